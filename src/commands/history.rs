//! `incident history ID`: the audit trail as git recorded it (when, who, what), newest first.

use super::Context;
use anyhow::Result;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// the incident (any unique part of its ID)
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
    let mut table = ctx.out.table(&["WHEN", "WHO", "COMMIT", "WHAT"]);
    for e in &entries {
        let what = e
            .summary
            .strip_prefix(&format!("{id}: "))
            .unwrap_or(&e.summary);
        table.add_row(vec![
            ctx.out.time(e.at),
            e.author.clone(),
            e.commit.clone(),
            what.to_string(),
        ]);
    }
    ctx.out.print_table(&table)
}
