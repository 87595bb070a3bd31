//! `incident history ID`: the audit trail as git recorded it (when, who, what), newest first.

use super::Context;
use crate::output::{Layout, Style};
use crate::table::{Cell, Column, Grid};
use anyhow::Result;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// the incident (any unique part of its ID)
    #[arg(add = crate::complete::incidents())]
    pub id: String,
}

pub fn run(ctx: &Context, args: Args) -> Result<()> {
    let store = ctx.store()?;
    let id = store.resolve(&args.id)?;
    let entries = store.history(&id)?;
    if ctx.out.json {
        return ctx.out.json(&entries);
    }
    if entries.is_empty() {
        return ctx.out.line(format!(
            "`{id}` has no commits yet (is the file committed?)"
        ));
    }
    let mut grid = Grid::new(vec![
        Column::keep(&format!(
            "WHEN ({})",
            ctx.out.zone_of(entries.iter().map(|e| e.at))
        )),
        Column::drop("WHO", 2),
        Column::drop("COMMIT", 3),
        Column::shrink("WHAT", 20, 1),
    ]);
    for e in &entries {
        let what = e
            .summary
            .strip_prefix(&format!("{id}: "))
            .unwrap_or(&e.summary);
        grid.row(vec![
            ctx.out.time_in_zone(e.at).into(),
            e.author.as_str().into(),
            Cell::styled(&e.commit, Style::Dim),
            what.into(),
        ]);
    }
    ctx.out.grid(&grid, Layout::Fit)
}
