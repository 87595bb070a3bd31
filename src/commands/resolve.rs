//! `incident resolve ID`: the lifecycle's last step, recording `resolved_at`.

use super::Context;
use anyhow::Result;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// the incident (any unique part of its ID)
    #[arg(add = crate::complete::incidents())]
    pub id: String,
    /// how it was resolved, for the timeline
    #[arg(long, short)]
    pub note: Option<String>,
    /// when it was resolved, if not now (RFC 3339, HH:MM or `15m ago`)
    #[arg(long, value_name = "TIME")]
    pub at: Option<String>,
    /// also post the resolution update ("This incident has been resolved ...")
    #[arg(long, conflicts_with = "no_update")]
    pub update: bool,
    /// do not offer to post the resolution update
    #[arg(long)]
    pub no_update: bool,
}

pub fn run(ctx: &Context, args: Args) -> Result<()> {
    let post_update = super::offer(
        ctx,
        args.update,
        args.no_update,
        "Post the resolution update on the status page?",
    )?;
    let resolved = crate::ops::resolve(
        ctx.store()?,
        &super::actor(ctx)?,
        &args.id,
        super::at_arg(ctx, args.at.as_deref())?,
        crate::ops::Resolve {
            note: args.note,
            post_update,
        },
    )?;
    super::report(ctx, &resolved.outcome)?;
    match resolved.posted {
        Some(update) if !ctx.out.json => {
            super::update::print_posted(ctx, &resolved.outcome.incident, &update)
        }
        _ => Ok(()),
    }
}
