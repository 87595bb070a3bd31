//! `incident list`: every incident, open ones first, worst first.

use super::Context;
use crate::model::{IncidentSummary, Severity, format_duration};
use crate::output::{Layout, Style, severity_style};
use crate::store::SummaryView;
use crate::table::{Cell, Column, Grid};
use anyhow::Result;
use chrono::{DateTime, Utc};
use std::borrow::Cow;

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
    let listing = crate::ops::query::incidents(
        store,
        crate::ops::query::IncidentFilter {
            open: args.open,
            severity: args.sev,
            service: args.service.clone(),
            since,
        },
    )?;
    let triaged = listing.triaged();
    for e in &triaged.skipped {
        crate::say!("warning: skipped {e}");
    }
    if ctx.out.json {
        ctx.out
            .json(&Sorted(triaged.iter().map(SummaryView::to_summary)))?;
        return Ok(());
    }
    if triaged.is_empty() {
        return ctx.out.line("no incidents match");
    }
    // Narrow terminals lose the title's tail first, then the age, the commander and the title (the ID
    // holds its slug); the ID, severity and status always show in full.
    let columns = vec![
        Column::keep("ID"),
        Column::keep("SEV"),
        Column::drop("STATUS", 1),
        Column::shrink("TITLE", 16, 2),
        Column::drop("COMMANDER", 3),
        Column::drop("AGE", 4),
    ];
    let now = ctx.now;
    // On a terminal an ID is shown without its date where that names one incident alone, as git
    // abbreviates hashes: the title keeps its room at 80 columns, and what is shown still resolves
    // (`incident show checkout-down`). Pipes and `--wide` get the whole ID.
    let short_ids = (ctx.out.tty && !args.wide).then(|| crate::store::ShortIds::of(store));
    let shown_id = |id: &str| -> String {
        match &short_ids {
            Some(short) => short.shown(id),
            None => id.to_string(),
        }
    };
    use rayon::prelude::*;
    let (incidents, order) = triaged.parts();
    // Rows of cells laid out on all cores straight into one vector (an indexed collect), then
    // seen as one run of cells without a copy.
    let rows: Vec<[Cell; 6]> = order
        .par_iter()
        .with_min_len(1000)
        .map(|&n| {
            let i = &incidents[n];
            // A drill says so beside its status, so its title keeps the room a title gets.
            let status: Cow<str> = if i.drill {
                format!("{} (drill)", i.status.as_str()).into()
            } else {
                i.status.as_str().into()
            };
            [
                Cell::styled(shown_id(i.id), Style::Bold),
                Cell::styled(i.severity.as_str(), severity_style(i.severity)),
                Cell::plain(status),
                Cell::plain(i.title),
                Cell::plain(i.commander().unwrap_or("-")),
                Cell::plain(age(i, now)),
            ]
        })
        .collect();
    let grid = Grid::with_cells(columns, rows.into_flattened());
    ctx.out
        .grid(&grid, if args.wide { Layout::Wide } else { Layout::Fit })?;
    // Freeing 100,000 rows one by one costs more than the process exit that frees them at once.
    std::mem::forget(grid);
    Ok(())
}

/// Serialises the items of an iterator as a JSON array, without collecting them.
struct Sorted<I>(I);

impl<I: Iterator<Item = IncidentSummary> + Clone> serde::Serialize for Sorted<I> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.0.clone())
    }
}

/// How long an open incident has run, or how long a resolved one lasted.
fn age(i: &SummaryView, now: DateTime<Utc>) -> String {
    match i.duration(now) {
        Some(d) if i.status.is_active() => format_duration(d) + " (open)",
        Some(d) => format_duration(d),
        None => "-".into(),
    }
}
