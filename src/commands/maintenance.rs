//! `incident maintenance ...`: scheduled maintenance windows, announced on the status page ahead of
//! time and moved through scheduled → in_progress → verifying → completed, each step a commit.

use super::Context;
use crate::model::{Maintenance, MaintenanceSpec, MaintenanceStatus, Span};
use crate::output::{Layout, Style};
use crate::table::{Cell, Column, Grid};
use anyhow::Result;
use chrono::{DateTime, Utc};

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    pub command: MaintenanceCommand,
}

#[derive(Debug, clap::Subcommand)]
pub enum MaintenanceCommand {
    /// announce a maintenance window
    Schedule {
        /// what will be done, in customers' words
        title: String,
        /// a service it affects (repeat for each)
        #[arg(long = "service", value_name = "S", required = true, add = crate::complete::services())]
        services: Vec<String>,
        /// when it starts: RFC 3339, `YYYY-MM-DD HH:MM` (local), HH:MM (the next one) or `in 2h`
        #[arg(long, value_name = "TIME")]
        from: String,
        /// when it ends: a time as for --from, or a length after --from such as 2h
        #[arg(long, value_name = "TIME")]
        until: String,
        /// remind subscribers this long before it starts (e.g. 24h)
        #[arg(long, value_name = "SPAN")]
        notify_before: Option<Span>,
        /// the announcement (default: a sentence naming the title)
        #[arg(long, short, value_name = "TEXT")]
        message: Option<String>,
        /// record a window whose --from is already past (announcing the past is no schedule)
        #[arg(long)]
        backfill: bool,
    },
    /// call off a window that has not started, telling customers why
    Cancel {
        /// the window (any unique part of its ID)
        #[arg(add = crate::complete::maintenance())]
        id: String,
        /// why, in customers' words
        #[arg(long, value_name = "TEXT")]
        reason: String,
    },
    /// move a window that has not started to a new slot
    Reschedule {
        /// the window (any unique part of its ID)
        #[arg(add = crate::complete::maintenance())]
        id: String,
        /// when it now starts (as for `schedule --from`)
        #[arg(long, value_name = "TIME")]
        from: String,
        /// when it now ends: a time, or a length after --from such as 2h
        #[arg(long, value_name = "TIME")]
        until: String,
    },
    /// the work has begun: the services show as under maintenance
    Start {
        /// the window (any unique part of its ID)
        #[arg(add = crate::complete::maintenance())]
        id: String,
        /// what customers should know (default: "The scheduled maintenance is in progress.")
        #[arg(long, short, value_name = "TEXT")]
        message: Option<String>,
    },
    /// post an update, optionally moving to verifying
    Update {
        /// the window (any unique part of its ID)
        #[arg(add = crate::complete::maintenance())]
        id: String,
        /// what customers should know
        #[arg(long, short, value_name = "TEXT")]
        message: String,
        /// in_progress or verifying (default: the current status)
        #[arg(long, value_name = "STATUS")]
        status: Option<MaintenanceStatus>,
    },
    /// the work is done: the services are operational again
    Complete {
        /// the window (any unique part of its ID)
        #[arg(add = crate::complete::maintenance())]
        id: String,
        /// what customers should know (default: "The scheduled maintenance has been completed.")
        #[arg(long, short, value_name = "TEXT")]
        message: Option<String>,
    },
    /// list maintenance windows, newest first
    List {
        /// only windows not yet completed
        #[arg(long)]
        open: bool,
    },
}

impl clap::ValueEnum for MaintenanceStatus {
    fn value_variants<'a>() -> &'a [Self] {
        &[
            MaintenanceStatus::Scheduled,
            MaintenanceStatus::InProgress,
            MaintenanceStatus::Verifying,
            MaintenanceStatus::Completed,
        ]
    }

    fn to_possible_value(&self) -> Option<clap::builder::PossibleValue> {
        Some(clap::builder::PossibleValue::new(self.as_str()))
    }
}

pub fn run(ctx: &Context, args: Args) -> Result<()> {
    use crate::ops::maintenance as ops;
    let store = ctx.store()?;
    let changed = match args.command {
        MaintenanceCommand::List { open } => return list(ctx, open),
        MaintenanceCommand::Schedule {
            title,
            services,
            from,
            until,
            notify_before,
            message,
            backfill,
        } => {
            let (from, until) = slot(ctx, &from, &until)?;
            let spec = MaintenanceSpec {
                title,
                services,
                from,
                until,
                notify_before,
                message,
            };
            let timing = if backfill {
                ops::Timing::Backfill
            } else {
                ops::Timing::Ahead
            };
            ops::schedule(store, &super::actor(ctx)?, spec, timing)?
        }
        MaintenanceCommand::Start { id, message } => ops::advance(
            store,
            &super::actor(ctx)?,
            &id,
            Some(MaintenanceStatus::InProgress),
            message.unwrap_or_else(|| "The scheduled maintenance is in progress.".into()),
        )?,
        MaintenanceCommand::Update {
            id,
            message,
            status,
        } => ops::advance(store, &super::actor(ctx)?, &id, status, message)?,
        MaintenanceCommand::Complete { id, message } => ops::advance(
            store,
            &super::actor(ctx)?,
            &id,
            Some(MaintenanceStatus::Completed),
            message.unwrap_or_else(|| "The scheduled maintenance has been completed.".into()),
        )?,
        MaintenanceCommand::Cancel { id, reason } => {
            ops::cancel(store, &super::actor(ctx)?, &id, &reason)?
        }
        MaintenanceCommand::Reschedule { id, from, until } => {
            let (from, until) = slot(ctx, &from, &until)?;
            ops::reschedule(store, &super::actor(ctx)?, &id, from, until)?
        }
    };
    report(ctx, &changed.window, &changed.commit, &changed.what)
}

/// `--from` and `--until` (a time, or a length after `--from`).
fn slot(ctx: &Context, from: &str, until: &str) -> Result<(DateTime<Utc>, DateTime<Utc>)> {
    let from = ctx.planned_arg("--from", from)?;
    let until = match until.trim().parse::<Span>() {
        Ok(span) => from + span.to_chrono(),
        Err(_) => ctx.planned_arg("--until", until)?,
    };
    Ok((from, until))
}

fn report(ctx: &Context, m: &Maintenance, commit: &str, what: &str) -> Result<()> {
    if ctx.out.json {
        ctx.out.json(m)?;
    } else {
        let what = format!(
            "{what} ({} – {})",
            ctx.out.time_in_zone(m.scheduled_for),
            ctx.out.time_in_zone(m.scheduled_until),
        );
        let head = format!("{}: ", ctx.out.paint(&m.id, Style::Bold));
        ctx.out.changed(&head, m.id.len() + 2, &what, commit)?;
    }
    super::after_change(ctx)
}

fn list(ctx: &Context, open: bool) -> Result<()> {
    let store = ctx.store()?;
    let mut all = store.load_all_maintenance()?;
    all.retain(|m| !open || m.status != MaintenanceStatus::Completed);
    all.sort_by(|a, b| (b.scheduled_for, &b.id).cmp(&(a.scheduled_for, &a.id)));
    if ctx.out.json {
        return ctx.out.json(&all);
    }
    if all.is_empty() {
        return ctx.out.line(if open {
            "no open maintenance windows"
        } else {
            "no maintenance windows"
        });
    }
    let mut grid = Grid::new(vec![
        // ID and status always; then the start, the title, the services, the end, in that order of
        // importance.
        Column::keep("ID"),
        Column::keep("STATUS"),
        Column::drop(
            &format!(
                "FROM ({})",
                ctx.out.zone_of(
                    all.iter()
                        .flat_map(|m| [m.scheduled_for, m.scheduled_until])
                )
            ),
            1,
        ),
        Column::shrink("TITLE", 12, 2),
        Column::drop("SERVICES", 3),
        Column::drop("UNTIL", 4),
    ]);
    // On a terminal a window is named as tables name incidents: the shortest start of its slug
    // that `maintenance start|cancel|...` takes back.
    let short = (ctx.out.tty).then(|| crate::store::ShortIds::of_maintenance(store));
    // When it really began and ended, once it did; the slot until then.
    for m in &all {
        let status = if m.cancelled_at.is_some() {
            "cancelled"
        } else {
            m.status.as_str()
        };
        let until = match (m.cancelled_at, m.completed_at) {
            (Some(_), _) => "-".to_string(),
            (None, Some(done)) => ctx.out.time_in_zone(done),
            (None, None) => ctx.out.time_in_zone(m.scheduled_until),
        };
        grid.row(vec![
            Cell::styled(
                short
                    .as_ref()
                    .map_or_else(|| m.id.clone(), |s| s.shown(&m.id)),
                Style::Bold,
            ),
            Cell::plain(status),
            Cell::plain(
                ctx.out
                    .time_in_zone(m.started_at.unwrap_or(m.scheduled_for)),
            ),
            Cell::plain(&m.title),
            Cell::plain(m.services.join(", ")),
            Cell::plain(until),
        ]);
    }
    ctx.out.grid(&grid, Layout::Fit)
}
