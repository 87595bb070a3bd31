//! `incident stats`: MTTD, MTTA, time to mitigate and MTTR, recurrence, comms deadline compliance and
//! action-item follow-through over a window.

use super::Context;
use crate::metrics::{self, Grouping, ResponseTimes};
use crate::model::Incident;
use crate::model::format_duration;
use anyhow::Result;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// the window: incidents detected since TIME (a span like 90d, or RFC 3339)
    #[arg(long, default_value = "90d", value_name = "TIME")]
    pub since: String,
    /// break the response times down by severity, service, kind or month
    #[arg(long, value_enum)]
    pub by: Option<Grouping>,
    /// count drills (practice incidents) too
    #[arg(long)]
    pub include_drills: bool,
}

pub fn run(ctx: &Context, args: Args) -> Result<()> {
    let store = ctx.store()?;
    let since = ctx.since_arg(&args.since)?;
    let incidents: Vec<_> = store
        .load_all_mapped(Incident::for_metrics)?
        .into_iter()
        .filter_map(|r| r.map_err(|e| eprintln!("warning: skipped {e}")).ok())
        .collect();
    let s = metrics::stats(
        &incidents,
        store.config(),
        since,
        ctx.now,
        args.by,
        args.include_drills,
    );
    if ctx.out.json {
        return ctx.out.json(&s);
    }
    let out = &ctx.out;
    let sev: Vec<String> = s
        .by_severity
        .iter()
        .map(|(k, v)| format!("{k} {v}"))
        .collect();
    out.line(format!(
        "{} incidents from {} to {}{}",
        s.incidents,
        out.time(s.since),
        out.time(s.until),
        if sev.is_empty() {
            String::new()
        } else {
            format!(" ({})", sev.join(", "))
        }
    ))?;
    if s.drills > 0 {
        out.line(format!(
            "{} drill(s) in the window, {}",
            s.drills,
            if s.drills_included {
                "included"
            } else {
                "left out (--include-drills to count them)"
            }
        ))?;
    }
    out.line("")?;
    let mut table = out.table(&["", "METRIC", "MEAN", "MEDIAN", "P90", "COUNTED", "MISSING"]);
    add_times(&mut table, "all", &s.times);
    for g in &s.groups {
        add_times(&mut table, &g.key, &g.times);
    }
    out.print_table(&table)?;

    out.line("\nRecurrence (more than one incident in the window)")?;
    if s.recurrence.services.is_empty() && s.recurrence.kinds.is_empty() {
        out.line("  none")?;
    }
    for (what, map) in [
        ("service", &s.recurrence.services),
        ("kind", &s.recurrence.kinds),
    ] {
        for (key, ids) in map {
            out.line(format!(
                "  {what} {key}: {} incidents: {}",
                ids.len(),
                ids.join(", ")
            ))?;
        }
    }

    out.line("\nCommunication deadlines")?;
    if s.comms.is_empty() {
        out.line("  none due in the window")?;
    }
    for c in &s.comms {
        let pct = c
            .percent
            .map(|p| format!("{p:.0}%"))
            .unwrap_or_else(|| "-".into());
        out.line(format!(
            "  {} {}: {pct} kept ({} kept, {} missed)",
            c.severity,
            c.deadline.label(),
            c.kept,
            c.missed
        ))?;
        for m in &c.misses {
            out.line(format!("      missed {m}"))?;
        }
    }

    let a = &s.actions;
    out.line("\nAction items")?;
    out.line(format!(
        "  {} total: {} open, {} done, {} dropped; {} overdue; completion {}; median {} to close",
        a.total,
        a.open,
        a.done,
        a.dropped,
        a.overdue,
        a.completion_percent
            .map(|p| format!("{p:.0}%"))
            .unwrap_or_else(|| "-".into()),
        a.median_days_to_close
            .map(|d| format!("{d} days"))
            .unwrap_or_else(|| "-".into()),
    ))
}

fn add_times(table: &mut comfy_table::Table, group: &str, t: &ResponseTimes) {
    for (name, f) in [
        ("MTTD", &t.mttd),
        ("MTTA", &t.mtta),
        ("mitigate", &t.mttm),
        ("MTTR", &t.mttr),
    ] {
        table.add_row(vec![
            group.to_string(),
            name.to_string(),
            show(f.mean_secs),
            show(f.median_secs),
            show(f.p90_secs),
            f.count.to_string(),
            f.missing.to_string(),
        ]);
    }
}

fn show(secs: Option<i64>) -> String {
    secs.map(|s| {
        format_duration(chrono::Duration::try_seconds(s).unwrap_or(chrono::TimeDelta::MAX))
    })
    .unwrap_or_else(|| "-".into())
}
