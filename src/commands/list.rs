//! `incident list`: every incident, open ones first, worst first.

use super::Context;
use crate::context::{Style, severity_style};
use crate::model::{IncidentSummary, Severity, format_duration};
use crate::table::{Cell, Column, Grid};
use anyhow::Result;
use chrono::{DateTime, Utc};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// only incidents that are not resolved
    #[arg(long)]
    pub open: bool,
    /// only this severity
    #[arg(long, value_name = "SEV", add = crate::complete::severities())]
    pub sev: Option<Severity>,
    /// only incidents affecting this service
    #[arg(long, value_name = "S", add = crate::complete::services())]
    pub service: Option<String>,
    /// only incidents detected since TIME (RFC 3339, HH:MM, `2h ago` or a span like `30d`)
    #[arg(long, value_name = "TIME")]
    pub since: Option<String>,
    /// show every column in full, however narrow the terminal
    #[arg(long)]
    pub wide: bool,
}

pub fn run(ctx: &Context, args: Args) -> Result<()> {
    let store = ctx.store()?;
    let since = args
        .since
        .as_deref()
        .map(|s| ctx.since_arg(s))
        .transpose()?;
    // `--open` and `--sev` are answered from the packed rows, unpacking only those that match.
    let matches = |packed: &[u8]| {
        crate::store::summary_state(packed).is_none_or(|(severity, status)| {
            (!args.open || status.is_active()) && args.sev.is_none_or(|s| s == severity)
        })
    };
    let loaded = if args.open || args.sev.is_some() {
        store.load_all_cached_where::<IncidentSummary>(&matches)?
    } else {
        store.load_all_cached::<IncidentSummary>()?
    };
    let mut incidents = Vec::new();
    for loaded in loaded {
        match loaded {
            Ok(incident) => incidents.push(incident),
            Err(e) => eprintln!("warning: skipped {e}"),
        }
    }
    incidents.retain(|i| {
        (!args.open || i.status.is_active())
            && args.sev.is_none_or(|s| i.severity == s)
            && args.service.as_ref().is_none_or(|s| i.services.contains(s))
            && since.is_none_or(|t| i.opened_at().is_some_and(|o| o >= t))
    });
    sort_for_triage(&mut incidents);
    if ctx.out.json {
        ctx.out.json(&incidents)?;
        std::mem::forget(incidents);
        return Ok(());
    }
    if incidents.is_empty() {
        return ctx.out.line("no incidents match");
    }
    // Narrow terminals lose the title's tail first, then the age, the commander and the title (the ID
    // holds its slug); the ID, severity and status always show in full.
    let mut grid = Grid::new(vec![
        Column::keep("ID"),
        Column::keep("SEV"),
        Column::drop("STATUS", 1),
        Column::shrink("TITLE", 16, 2),
        Column::drop("COMMANDER", 3),
        Column::drop("AGE", 4),
    ]);
    for i in &incidents {
        let title = if i.drill {
            format!("[drill] {}", i.title)
        } else {
            i.title.clone()
        };
        grid.row(vec![
            Cell::styled(&i.id, Style::Bold),
            Cell::styled(i.severity.as_str(), severity_style(i.severity)),
            i.status.as_str().into(),
            title.into(),
            i.commander().unwrap_or("-").into(),
            age(i, ctx.now).into(),
        ]);
    }
    ctx.out.grid(&grid, args.wide)?;
    // Freeing 10,000 rows one by one costs more than the process exit that frees them at once.
    std::mem::forget(grid);
    std::mem::forget(incidents);
    Ok(())
}

/// Real incidents before drills; open ones first, worst severity first; then resolved ones, newest
/// first (severity no longer decides what to look at).
pub fn sort_for_triage(incidents: &mut [IncidentSummary]) {
    let rank = |i: &IncidentSummary| {
        let active = i.status.is_active();
        (
            i.drill,
            !active,
            if active { Some(i.severity) } else { None },
            std::cmp::Reverse(i.opened_at()),
        )
    };
    incidents.sort_by(|a, b| rank(a).cmp(&rank(b)).then_with(|| a.id.cmp(&b.id)));
}

/// How long an open incident has run, or how long a resolved one lasted.
fn age(i: &IncidentSummary, now: DateTime<Utc>) -> String {
    match i.duration(now) {
        Some(d) if i.status.is_active() => format!("{} (open)", format_duration(d)),
        Some(d) => format_duration(d),
        None => "-".into(),
    }
}
