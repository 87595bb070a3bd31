//! `incident due`: what every active incident owes right now, from the policy and the record.

use super::Context;
use crate::model::format_duration;
use crate::output::Style;
use crate::table::hang;
use anyhow::Result;
use unicode_width::UnicodeWidthStr;

#[derive(Debug, clap::Args)]
pub struct Args {}

pub fn run(ctx: &Context, _args: Args) -> Result<()> {
    let owed = crate::ops::query::owed(ctx.store()?, ctx.now)?;
    for e in &owed.skipped {
        crate::say!("warning: skipped {e}");
    }
    let due = owed.due;
    if ctx.out.json {
        return ctx.out.json(&due);
    }
    if due.is_empty() {
        let active = owed.active;
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
