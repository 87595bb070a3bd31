//! `incident stats`: MTTD, MTTA, time to mitigate and MTTR, recurrence, comms deadline compliance and
//! action-item follow-through over a window.

use super::Context;
use crate::metrics::{self, Grouping, ResponseTimes};
use crate::model::format_duration;
use crate::output::{Layout, Output, Style};
use crate::table::{Cell, Column, Grid, hang};
use anyhow::Result;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// the window: incidents detected since TIME (a span like 90d, or RFC 3339)
    #[arg(long, default_value = "90d", value_name = "TIME")]
    pub since: String,
    /// break the response times down by severity, service, kind or month; `responder`: each
    /// person's load instead (pages, out-of-hours pages, time engaged, incidents commanded)
    #[arg(long, value_enum)]
    pub by: Option<By>,
    /// count drills (practice incidents) too
    #[arg(long)]
    pub include_drills: bool,
}

/// What `--by` breaks the figures down by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum By {
    Severity,
    Service,
    Kind,
    Month,
    Responder,
}

pub fn run(ctx: &Context, args: Args) -> Result<()> {
    let store = ctx.store()?;
    let since = ctx.since_arg(&args.since)?;
    let by = match args.by {
        None => None,
        Some(By::Severity) => Some(Grouping::Severity),
        Some(By::Service) => Some(Grouping::Service),
        Some(By::Kind) => Some(Grouping::Kind),
        Some(By::Month) => Some(Grouping::Month),
        Some(By::Responder) => return responders(ctx, since, args.include_drills),
    };
    let (records, skipped) = crate::ops::report::metric_records(store, ctx.now)?;
    for e in &skipped {
        crate::say!("warning: skipped {e}");
    }
    let s = metrics::stats_of(&records, since, ctx.now, by, args.include_drills);
    if ctx.out.json {
        std::mem::forget(records);
        return ctx.out.json(&s);
    }
    // On a terminal, each figure's trend: its median period by period over the window.
    let trends = if ctx.out.tty {
        let counted: Vec<&metrics::MetricRecord> = records
            .iter()
            .filter(|r| args.include_drills || !r.drill)
            .collect();
        let period = crate::trends::Period::for_window((ctx.now - since).num_days());
        // The last two years of months at most: a trend, not a history.
        let mut all = crate::trends::trends(&counted, since, ctx.now, period);
        all.drain(..all.len().saturating_sub(24));
        all
    } else {
        Vec::new()
    };
    // Freeing every record one by one costs more than the process exit that frees them at once.
    std::mem::forget(records);
    let out = &ctx.out;
    window(out, &s)?;
    times_table(out, &s, &trends)?;
    recurrence(out, &s)?;
    deadlines(out, &s)?;
    follow_through(out, &s)
}

/// Each person's load over the window, most engaged first.
fn responders(ctx: &Context, since: chrono::DateTime<chrono::Utc>, drills: bool) -> Result<()> {
    let store = ctx.store()?;
    let load = crate::ops::query::responders(store, since, ctx.now, drills)?;
    if ctx.out.json {
        return ctx.out.json(&load);
    }
    if load.is_empty() {
        return ctx
            .out
            .line("nobody held a role or was paged in the window");
    }
    let mut grid = Grid::new(vec![
        Column::keep("WHO"),
        Column::keep("PAGES"),
        Column::keep("OUT OF HOURS"),
        Column::keep("ENGAGED"),
        Column::drop("INCIDENTS", 2),
        Column::drop("COMMANDED", 1),
    ]);
    let config = store.config();
    for l in &load {
        grid.row(vec![
            Cell::styled(config.display_name(&l.who).to_string(), Style::Bold),
            l.pages.to_string().into(),
            l.out_of_hours_pages.to_string().into(),
            format_duration(chrono::Duration::seconds(l.engaged_secs)).into(),
            l.incidents.to_string().into(),
            l.commanded.to_string().into(),
        ]);
    }
    ctx.out.grid(&grid, Layout::Fit)
}

/// The window, its incidents by severity, drills and reopenings.
fn window(out: &Output, s: &metrics::Stats) -> Result<()> {
    let sev: Vec<String> = s
        .by_severity
        .iter()
        .map(|(k, v)| format!("{k} {v}"))
        .collect();
    out.line(hang(
        "",
        0,
        &format!(
            "{} incidents from {} to {} ({}){}",
            s.incidents,
            out.time_in_zone(s.since),
            out.time_in_zone(s.until),
            out.zone_of([s.since, s.until]),
            if sev.is_empty() {
                String::new()
            } else {
                format!(" ({})", sev.join(", "))
            }
        ),
        out.width,
    ))?;
    if s.drills > 0 {
        out.line(hang(
            "",
            0,
            &format!(
                "{} drill(s) in the window, {}",
                s.drills,
                if s.drills_included {
                    "included"
                } else {
                    "left out (--include-drills to count them)"
                }
            ),
            out.width,
        ))?;
    }
    if s.reopened > 0 {
        out.line(hang(
            "",
            0,
            &format!(
                "{} reopened after a resolution (their MTTR runs to the final resolution)",
                s.reopened
            ),
            out.width,
        ))?;
    }
    Ok(())
}

/// MTTD, MTTA, time to mitigate and MTTR, overall and by group.
fn times_table(out: &Output, s: &metrics::Stats, trends: &[crate::trends::Trend]) -> Result<()> {
    out.line("")?;
    let mut columns = vec![
        Column::keep("GROUP"),
        Column::keep("METRIC"),
        Column::keep("MEAN"),
        Column::drop("MEDIAN", 2),
        Column::drop("P90", 3),
        Column::drop("COUNTED", 4),
        Column::drop("MISSING", 5),
    ];
    // The medians period by period, low ▁ to high █ (· no incident), named by the period.
    if let Some(first) = trends.first() {
        columns.push(Column::drop(
            if first.period.contains('W') {
                "BY WEEK"
            } else {
                "BY MONTH"
            },
            6,
        ));
    }
    let mut grid = Grid::new(columns);
    add_times(&mut grid, "all", &s.times, trends);
    for g in &s.groups {
        add_times(&mut grid, &g.key, &g.times, &[]);
    }
    out.grid(&grid, Layout::Fit)?;
    Ok(())
}

/// Services and kinds with more than one incident in the window.
fn recurrence(out: &Output, s: &metrics::Stats) -> Result<()> {
    out.line("\nRecurrence (more than one incident in the window)")?;
    if s.recurrence.services.is_empty() && s.recurrence.kinds.is_empty() {
        out.line("  none")?;
    }
    for (what, map) in [
        ("service", &s.recurrence.services),
        ("kind", &s.recurrence.kinds),
    ] {
        for (key, ids) in map {
            // The latest few; a list of thousands of IDs tells a person nothing (`--json` has all).
            let shown = &ids[ids.len().saturating_sub(LISTED)..];
            let earlier = match ids.len() - shown.len() {
                0 => String::new(),
                n => format!(" (and {n} earlier; --json lists all)"),
            };
            out.line(hang(
                "  ",
                2,
                &format!(
                    "{what} {key}: {} incidents: {}{earlier}",
                    ids.len(),
                    shown.join(", ")
                ),
                out.width,
            ))?;
        }
    }
    Ok(())
}

/// Each communication deadline: how often kept, and the misses.
fn deadlines(out: &Output, s: &metrics::Stats) -> Result<()> {
    out.line("\nCommunication deadlines")?;
    if s.comms.is_empty() {
        out.line("  none due in the window")?;
    }
    for c in &s.comms {
        // Never "kept" where nothing was: no kept or missed deadline is no percentage at all.
        let counted = match c.percent {
            Some(p) => format!("{p:.0}% kept ({} kept, {} missed)", c.kept, c.missed),
            None => "nothing kept or missed".to_string(),
        };
        let not_applicable = if c.not_applicable > 0 {
            format!(
                "; {} not applicable (resolved before it came due, nothing sent)",
                c.not_applicable
            )
        } else {
            String::new()
        };
        // Wrapped to the terminal under its own start, like every text line here.
        out.line(hang(
            "  ",
            4,
            &format!(
                "{} {}: {counted}{not_applicable}",
                c.severity,
                c.audience.as_ref().map_or_else(
                    || c.deadline.label().to_string(),
                    |a| format!("notification to {a}")
                ),
            ),
            out.width,
        ))?;
        for m in c.misses.iter().take(LISTED) {
            out.line(hang("      missed ", 13, m, out.width))?;
        }
        if c.misses.len() > LISTED {
            out.line(format!(
                "      and {} more misses (--json lists all)",
                c.misses.len() - LISTED
            ))?;
        }
    }
    Ok(())
}

/// Action items: how many of each state, completion, time to close.
fn follow_through(out: &Output, s: &metrics::Stats) -> Result<()> {
    let a = &s.actions;
    out.line("\nAction items")?;
    out.line(hang(
        "  ",
        2,
        &format!(
            "{} total: {} open, {} done, {} dropped; {} overdue; completion {}; median {} to close",
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
        ),
        out.width,
    ))
}

/// How many incident IDs a line of recurrence, and how many misses a deadline, lists on a terminal.
const LISTED: usize = 10;

fn add_times<'a>(
    grid: &mut Grid<'a>,
    group: &'a str,
    t: &ResponseTimes,
    trends: &[crate::trends::Trend],
) {
    type Pick = fn(&ResponseTimes) -> &metrics::Figure;
    let picks: [(&str, Pick); 4] = [
        ("MTTD", |t| &t.mttd),
        ("MTTA", |t| &t.mtta),
        ("mitigate", |t| &t.mttm),
        ("MTTR", |t| &t.mttr),
    ];
    for (name, pick) in picks {
        let f = pick(t);
        let mut row = vec![
            group.into(),
            Cell::styled(name, Style::Bold),
            show(f.mean_secs).into(),
            show(f.median_secs).into(),
            show(f.p90_secs).into(),
            f.count.to_string().into(),
            f.missing.to_string().into(),
        ];
        if !trends.is_empty() {
            row.push(crate::trends::sparkline(&crate::trends::medians(trends, pick)).into());
        }
        grid.row(row);
    }
}

fn show(secs: Option<i64>) -> String {
    secs.map(|s| {
        format_duration(chrono::Duration::try_seconds(s).unwrap_or(chrono::TimeDelta::MAX))
    })
    .unwrap_or_else(|| "-".into())
}
