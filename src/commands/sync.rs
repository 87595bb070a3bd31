//! `incident sync`: bring in everyone else's changes and share ours, merging records without
//! conflict markers.

use super::Context;
use crate::store::{Store, SyncOptions, SyncReport};
use anyhow::{Context as _, Result};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// the remote to sync with
    #[arg(long, default_value = "origin", value_name = "NAME")]
    pub remote: String,
    /// fetch and merge, but do not push
    #[arg(long)]
    pub no_push: bool,
    /// give up on the network after this long (fetch and push together), e.g. `2m`
    #[arg(long, value_name = "SPAN", default_value = "60s")]
    pub timeout: crate::model::Span,
}

pub fn run(ctx: &Context, args: Args) -> Result<()> {
    let store = ctx.store()?;
    let timeout = std::time::Duration::from_secs(args.timeout.seconds().max(1) as u64);
    let report = sync(ctx, store, &args.remote, !args.no_push, timeout)?;
    if ctx.out.json {
        return ctx.out.json(&report);
    }
    ctx.out.line(describe(&report))
}

pub(crate) fn sync(
    ctx: &Context,
    store: &Store,
    remote: &str,
    push: bool,
    timeout: std::time::Duration,
) -> Result<SyncReport> {
    let driver = std::env::current_exe().context("cannot find the running `incident` binary")?;
    let author = ctx.author()?;
    let options = SyncOptions {
        remote,
        push,
        driver: &driver,
        prompt: ctx.interactive,
        timeout,
    };
    store.sync(&options, &author, ctx.now)
}

pub(crate) fn describe(r: &SyncReport) -> String {
    use crate::store::SyncOutcome;
    let mut text = match r.outcome {
        SyncOutcome::UpToDate => format!("up to date with {}/{}", r.remote, r.branch),
        SyncOutcome::Ahead => format!("{}/{} had nothing new", r.remote, r.branch),
        SyncOutcome::FastForward => format!("fast-forwarded to {}/{}", r.remote, r.branch),
        SyncOutcome::Merged => format!(
            "merged {}/{}{}",
            r.remote,
            r.branch,
            if r.merged_incidents.is_empty() {
                String::new()
            } else {
                format!(" (incidents merged: {})", r.merged_incidents.join(", "))
            }
        ),
        SyncOutcome::NewBranch => format!("{}/{} did not exist yet", r.remote, r.branch),
    };
    if r.pushed {
        text.push_str(&format!("; pushed to {}/{}", r.remote, r.branch));
    }
    if r.attempts > 1 {
        text.push_str(&format!(
            " (after {} attempts: others pushed in between)",
            r.attempts
        ));
    }
    for (kept, renamed) in &r.renamed {
        text.push_str(&format!(
            "\nnote: two clones declared different incidents as `{kept}`; the later one is now `{renamed}`"
        ));
    }
    text
}
