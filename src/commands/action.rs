//! `incident action ...`: follow-up items that are specific, owned and dated, across all incidents.

use super::Context;
use crate::model::{ActionState, ActionType, ModelError, parse_date};
use crate::ops::{self, action::NewAction};
use crate::output::{Layout, Style};
use crate::store::Store;
use crate::table::{Cell, Column, Grid};
use anyhow::Result;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    pub command: ActionCommand,
}

#[derive(Debug, clap::Subcommand)]
pub enum ActionCommand {
    /// add an action item to an incident
    Add {
        /// the incident (any unique part of its ID)
        id: String,
        /// what will be done, specifically
        title: String,
        /// who owns it
        #[arg(long, value_name = "WHO")]
        owner: String,
        /// when it is due: YYYY-MM-DD or a span from today (7d, 2w)
        #[arg(long, value_name = "DATE")]
        due: Option<String>,
        /// mitigate, prevent or process
        #[arg(long = "type", value_enum, default_value_t = ActionType::Prevent)]
        action_type: ActionType,
        /// a ticket or pull request
        #[arg(long, value_name = "URL")]
        link: Option<String>,
        /// the runbook it improves (its path or name): lessons flow back by pull request
        #[arg(long, value_name = "RUNBOOK")]
        runbook: Option<String>,
    },
    /// mark action item N done
    Done {
        /// the incident (any unique part of its ID)
        id: String,
        /// the action item's number
        number: u32,
        /// what was done
        #[arg(long, short)]
        note: Option<String>,
    },
    /// drop action item N, saying why
    Drop {
        /// the incident (any unique part of its ID)
        id: String,
        /// the action item's number
        number: u32,
        /// why it will not be done
        #[arg(long, short)]
        reason: String,
    },
    /// list action items across all incidents
    List {
        /// only open items
        #[arg(long)]
        open: bool,
        /// only open items past their due date
        #[arg(long)]
        overdue: bool,
        /// only items owned by WHO
        #[arg(long, value_name = "WHO")]
        owner: Option<String>,
    },
    /// close items named by `Closes-Action: <id>#<n>` trailers in the repo's commits
    Sync,
}

impl clap::ValueEnum for ActionType {
    fn value_variants<'a>() -> &'a [Self] {
        &[
            ActionType::Mitigate,
            ActionType::Prevent,
            ActionType::Process,
        ]
    }
    fn to_possible_value(&self) -> Option<clap::builder::PossibleValue> {
        Some(clap::builder::PossibleValue::new(self.as_str()))
    }
}

pub fn run(ctx: &Context, args: Args) -> Result<()> {
    match args.command {
        ActionCommand::Add {
            id,
            title,
            owner,
            due,
            action_type,
            link,
            runbook,
        } => {
            let due = due
                .map(|d| {
                    parse_date(&d, ctx.now.date_naive())
                        .map_err(|e| ModelError::Invalid(format!("--due: {e}")))
                })
                .transpose()?;
            let input = NewAction {
                title,
                owner,
                due,
                action_type,
                link,
                runbook,
            };
            let outcome = ops::action::add(ctx.store()?, &super::actor(ctx)?, &id, input)?;
            super::report(ctx, &outcome)
        }
        ActionCommand::Done { id, number, note } => {
            let outcome = ops::action::close(
                ctx.store()?,
                &super::actor(ctx)?,
                &id,
                number,
                ActionState::Done,
                note,
            )?;
            super::report(ctx, &outcome)
        }
        ActionCommand::Drop { id, number, reason } => {
            let outcome = ops::action::close(
                ctx.store()?,
                &super::actor(ctx)?,
                &id,
                number,
                ActionState::Dropped,
                Some(reason),
            )?;
            super::report(ctx, &outcome)
        }
        ActionCommand::List {
            open,
            overdue,
            owner,
        } => list(ctx, open, overdue, owner),
        ActionCommand::Sync => {
            let store = ctx.store()?;
            let closed = sync(ctx, store)?;
            if ctx.out.json {
                return ctx.out.json(&closed);
            }
            if closed.is_empty() {
                return ctx
                    .out
                    .line("no `Closes-Action` trailers name an open action item");
            }
            for line in closed {
                ctx.out.line(line)?;
            }
            Ok(())
        }
    }
}

fn list(ctx: &Context, open: bool, overdue: bool, owner: Option<String>) -> Result<()> {
    let store = ctx.store()?;
    let incidents: Vec<_> = store
        .load_all()?
        .into_iter()
        .filter_map(|r| r.map_err(|e| crate::say!("warning: skipped {e}")).ok())
        .collect();
    let filter = ops::action::ActionFilter {
        open,
        overdue,
        owner,
    };
    let rows = ops::action::items(&incidents, &filter, ctx.now.date_naive());
    if ctx.out.json {
        return ctx.out.json(&rows);
    }
    if rows.is_empty() {
        return ctx.out.line("no action items match");
    }
    // What its reader came for first: whose it is, when it is due, where it stands; the title
    // shrinks before those go, the type goes first.
    let mut grid = Grid::new(vec![
        Column::keep("ITEM"),
        Column::shrink("TITLE", 12, 4),
        Column::drop("OWNER", 1),
        Column::drop("DUE", 2),
        Column::drop("TYPE", 5),
        Column::drop("STATE", 3),
    ]);
    // On a terminal the incident is named without its date where that names it alone (as `list`
    // shows it, and as every command takes it).
    let short_ids = ctx.out.tty.then(|| crate::store::ShortIds::of(store));
    let short = |id: &str| -> String {
        match &short_ids {
            Some(short) => short.shown(id),
            None => id.to_string(),
        }
    };
    for r in &rows {
        let due = r
            .item
            .due
            .map(|d| d.to_string())
            .unwrap_or_else(|| "-".into());
        let due = if r.overdue {
            Cell::styled(format!("{due} overdue"), Style::Red)
        } else {
            due.into()
        };
        grid.row(vec![
            format!("{}#{}", short(r.incident), r.item.number).into(),
            r.item.title.as_str().into(),
            r.item.owner.as_str().into(),
            due,
            r.item.action_type.as_str().into(),
            r.item.state.as_str().into(),
        ]);
    }
    ctx.out.grid(&grid, Layout::Fit)
}

/// Closes every open item a `Closes-Action: <id>#<n>` trailer names (see
/// [`Store::close_actions_from_trailers`]) and says what it did.
pub fn sync(ctx: &Context, store: &Store) -> Result<Vec<String>> {
    let author = ctx.author()?;
    let done = store.close_actions_from_trailers(&author, ctx.now)?;
    let mut said: Vec<String> = done
        .warnings
        .iter()
        .map(|w| format!("warning: {w}"))
        .collect();
    said.extend(
        done.closed
            .iter()
            .map(|(id, n, commit)| format!("{id}#{n} done (commit {commit})")),
    );
    Ok(said)
}
