//! `incident changes ID`: what changed in the code before (and during) an incident, and `--log N`
//! to put one change on the timeline as a finding.

use super::Context;
use crate::model::Span;
use crate::model::source::Phase;
use crate::ops::changes::{ChangesQuery, DEFAULT_BEFORE};
use crate::output::{Layout, Style};
use crate::table::{Cell, Column, Grid};
use anyhow::Result;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// the incident (any unique part of its ID)
    #[arg(add = crate::complete::incidents())]
    pub id: String,
    /// how far before the incident's start to look (default 24h)
    #[arg(long, value_name = "SPAN")]
    pub before: Option<Span>,
    /// record change N of the listing on the timeline as an internal finding (one commit)
    #[arg(long, value_name = "N")]
    pub log: Option<usize>,
    /// read the copies of remote repos fetched before, without fetching
    #[arg(long)]
    pub offline: bool,
}

pub fn run(ctx: &Context, args: Args) -> Result<()> {
    let ask = ChangesQuery {
        before: args.before.unwrap_or(DEFAULT_BEFORE),
        fetch: !args.offline,
    };
    let store = ctx.store()?;
    let listed = crate::ops::changes::changes(store, &args.id, &ask, ctx.now)?;
    for warning in &listed.warnings {
        crate::say!("warning: {warning}");
    }
    if let Some(number) = args.log {
        let outcome = crate::ops::changes::log(store, &super::actor(ctx)?, &listed, number)?;
        return super::report(ctx, &outcome);
    }
    if ctx.out.json {
        return ctx.out.json(&listed);
    }
    if listed.changes.is_empty() {
        return ctx.out.line(format!(
            "nothing changed in {} from {} until {}",
            listed.repos.join(", "),
            ctx.out.time_labelled(listed.window.from),
            ctx.out.time_labelled(listed.window.until)
        ));
    }
    let zone = ctx.out.zone_of(listed.changes.iter().map(|c| c.at));
    let mut grid = Grid::new(vec![
        Column::keep("#"),
        Column::keep(&format!("WHEN ({zone})")),
        Column::drop("WHAT", 2),
        Column::keep("REF"),
        Column::shrink("SUBJECT", 12, 1),
        Column::drop("BY", 3),
        Column::drop("REPO", 4),
    ]);
    for c in &listed.changes {
        let when = ctx.out.time_in_zone(c.at);
        // The incident's start divides the listing: what came during it is marked.
        let when = match c.phase {
            Phase::Before => Cell::from(when),
            Phase::During => Cell::styled(format!("{when} during"), Style::Yellow),
        };
        let what = match c.kind {
            crate::model::source::SourceKind::Deploy => {
                Cell::styled(c.kind.as_str().to_string(), Style::Bold)
            }
            kind => kind.as_str().into(),
        };
        grid.row(vec![
            c.number.to_string().into(),
            when,
            what,
            c.name.as_str().into(),
            c.subject.as_str().into(),
            c.author.as_str().into(),
            c.repo.as_str().into(),
        ]);
    }
    ctx.out.grid(&grid, Layout::Fit)?;
    ctx.out.line(format!(
        "started {}; `incident changes {} --log N` records change N as a finding",
        ctx.out.time_labelled(listed.window.started),
        args.id
    ))
}
