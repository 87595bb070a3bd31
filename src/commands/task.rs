//! `incident task ...`: the steps of the runbooks an incident follows, and tasks added by hand.

use super::Context;
use crate::model::{NewTask, Span, TaskState};
use crate::output::{Layout, Style};
use crate::table::{Cell, Column, Grid};
use anyhow::Result;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    pub command: TaskCommand,
}

#[derive(Debug, clap::Subcommand)]
pub enum TaskCommand {
    /// list the tasks of an incident, or of every active incident
    List {
        /// the incident (any unique part of its ID); every active one when left out
        #[arg(add = crate::complete::incidents())]
        id: Option<String>,
    },
    /// mark task N done
    Done {
        #[arg(add = crate::complete::incidents())]
        id: String,
        number: u32,
        /// when it was done, if not now (RFC 3339, HH:MM or `15m ago`)
        #[arg(long, value_name = "TIME")]
        at: Option<String>,
        /// what was done
        #[arg(long, short)]
        note: Option<String>,
    },
    /// skip task N, saying why
    Skip {
        #[arg(add = crate::complete::incidents())]
        id: String,
        number: u32,
        /// why it is not done
        #[arg(long, short)]
        reason: String,
    },
    /// add a task by hand
    Add {
        #[arg(add = crate::complete::incidents())]
        id: String,
        /// what to do
        text: String,
        /// the role that does it (commander, comms, ...)
        #[arg(long, value_name = "ROLE")]
        role: Option<String>,
        /// due this long from now (15m, 1h)
        #[arg(long, value_name = "SPAN")]
        within: Option<Span>,
    },
    /// ask someone to do task N
    Assign {
        #[arg(add = crate::complete::incidents())]
        id: String,
        number: u32,
        /// who
        who: String,
    },
}

pub fn run(ctx: &Context, args: Args) -> Result<()> {
    use crate::ops::task;
    let store = ctx.store()?;
    let outcome = match args.command {
        TaskCommand::List { id } => return list(ctx, &task::incidents(store, id.as_deref())?),
        TaskCommand::Done {
            id,
            number,
            at,
            note,
        } => {
            let at = super::at_arg(ctx, at.as_deref())?;
            task::close(
                store,
                &super::actor(ctx)?,
                &id,
                number,
                TaskState::Done,
                note,
                at,
            )?
        }
        TaskCommand::Skip { id, number, reason } => task::close(
            store,
            &super::actor(ctx)?,
            &id,
            number,
            TaskState::Skipped,
            Some(reason),
            None,
        )?,
        TaskCommand::Add {
            id,
            text,
            role,
            within,
        } => task::add(
            store,
            &super::actor(ctx)?,
            &id,
            NewTask { text, role, within },
        )?,
        TaskCommand::Assign { id, number, who } => {
            task::assign(store, &super::actor(ctx)?, &id, number, &who)?
        }
    };
    super::report(ctx, &outcome)
}

fn list(ctx: &Context, incidents: &[crate::model::Incident]) -> Result<()> {
    let rows = crate::ops::task::rows(incidents, ctx.now);
    if ctx.out.json {
        return ctx.out.json(&rows);
    }
    if rows.is_empty() {
        return ctx.out.line(
            "no tasks: they come from the runbooks that apply (`incident runbook list`) or `incident task add`",
        );
    }
    let zone = ctx.out.zone_of(rows.iter().filter_map(|r| r.task.due_at));
    let mut grid = Grid::new(vec![
        Column::keep("TASK"),
        // What to do matters most; who holds it goes first when the terminal is narrow.
        Column::shrink("WHAT", 16, 1),
        Column::drop(&format!("DUE ({zone})"), 3),
        Column::drop("WHO", 4),
        Column::drop("STATE", 2),
    ]);
    // Named as `list` names incidents on a terminal; whole IDs in a pipe.
    let short = if ctx.out.tty {
        Some(crate::store::ShortIds::of(ctx.store()?))
    } else {
        None
    };
    for r in &rows {
        let name = short
            .as_ref()
            .map_or_else(|| r.incident.to_string(), |s| s.shown(r.incident));
        let due = r
            .task
            .due_at
            .map_or_else(|| "-".to_string(), |d| ctx.out.time_in_zone(d));
        let due = if r.overdue {
            Cell::styled(format!("{due} overdue"), Style::Red)
        } else {
            due.into()
        };
        let who = r.task.holder().unwrap_or("-").to_string();
        grid.row(vec![
            Cell::styled(format!("{name}#{}", r.task.number), Style::Bold),
            r.task.text.as_str().into(),
            due,
            who.into(),
            r.task.state.as_str().into(),
        ]);
    }
    ctx.out.grid(&grid, Layout::Fit)
}
