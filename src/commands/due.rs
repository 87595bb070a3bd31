//! `incident due`: what every active incident owes right now, from the policy and the record.

use super::Context;
use crate::metrics;
use crate::model::Incident;
use crate::model::format_duration;
use crate::output::Style;
use crate::store::{MetricFacts, metric_status};
use crate::table::hang;
use anyhow::Result;
use unicode_width::UnicodeWidthStr;

#[derive(Debug, clap::Args)]
pub struct Args {}

pub fn run(ctx: &Context, _args: Args) -> Result<()> {
    let store = ctx.store()?;
    // Only active incidents owe anything: the cached figures say which they are, read from their
    // packed form so that only those are unpacked.
    let is_active = |packed: &[u8]| metric_status(packed).is_none_or(|s| s.is_active());
    let mut active: Vec<String> = store
        .load_all_cached_where::<MetricFacts>(&is_active)?
        .into_iter()
        .filter_map(|r| match r {
            Ok(f) => f.record.status.is_active().then_some(f.record.id),
            Err(e) => {
                crate::say!("warning: skipped {e}");
                None
            }
        })
        .collect();
    active.sort();
    let incidents: Vec<_> = store
        .load_ids_mapped(&active, Incident::for_metrics)
        .into_iter()
        .filter_map(|r| r.map_err(|e| crate::say!("warning: skipped {e}")).ok())
        .collect();
    let due = metrics::due(&incidents, store.config(), ctx.now);
    if ctx.out.json {
        return ctx.out.json(&due);
    }
    if due.is_empty() {
        let active = incidents.iter().filter(|i| i.status.is_active()).count();
        return ctx.out.line(if active == 0 {
            "no active incidents".to_string()
        } else {
            format!("nothing due on {active} active incident(s)")
        });
    }
    for d in &due {
        let span = |secs: i64| {
            format_duration(chrono::Duration::try_seconds(secs).unwrap_or(chrono::TimeDelta::MAX))
        };
        let line = match d.in_secs {
            None => d.what.clone(),
            Some(s) if s < 0 => format!("{} overdue by {}", d.what, span(-s)),
            Some(s) => format!("{} due in {}", d.what, span(s)),
        };
        let drill = if d.drill { " [drill]" } else { "" };
        let head = format!("{} {}{drill}: ", d.severity, d.incident);
        let text = hang(&head, head.width(), &line, ctx.out.width);
        ctx.out.line(if d.overdue {
            ctx.out.paint(&text, Style::Red)
        } else {
            text.replacen(d.severity.as_str(), &ctx.out.severity(d.severity), 1)
        })?;
    }
    Ok(())
}
