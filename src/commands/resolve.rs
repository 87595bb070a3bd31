//! `incident resolve ID`: the lifecycle's last step, recording `resolved_at`.

use super::Context;
use crate::model::ModelError;
use crate::model::Status;
use crate::store::Change;
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
    let post = super::offer(
        ctx,
        args.update,
        args.no_update,
        "Post the resolution update on the status page?",
    )?;
    let store = ctx.store()?;
    let id = store.resolve(&args.id)?;
    let author = ctx.author()?;
    let stamp = ctx.stamp(&author, args.at.as_deref())?;
    let config = store.config().clone();
    let mut said = String::new();
    let mut posted = None;
    let saved = store.update(&id, &author, ctx.now, |incident| {
        if incident.status == Status::Resolved {
            return Err(
                ModelError::Refused(format!("`{}` is already resolved", incident.id)).into(),
            );
        }
        let event = incident
            .set_status(Status::Resolved, args.note.as_deref(), false, &stamp)?
            .clone();
        if post {
            let (update, _) = crate::model::post_update(
                incident,
                &config,
                crate::model::Draft::closing(),
                &stamp,
            )?;
            super::keep_words(store, incident, &update.id, ctx.now)?;
            posted = Some(update.id);
        }
        said = event.text.clone();
        Ok(Change::new(&event.kind, event.text))
    })?;
    super::report(ctx, &saved, &said)?;
    match posted {
        Some(update) if !ctx.out.json => super::update::print_posted(ctx, &saved.incident, &update),
        _ => Ok(()),
    }
}
