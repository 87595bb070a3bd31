//! `incident postmortem ID`: render the blameless post-mortem; `--commit` keeps it in the repo as
//! `postmortems/<id>.md`.

use super::Context;
use crate::store::{POSTMORTEMS_DIR, write_atomically};
use anyhow::Result;
use std::path::{Path, PathBuf};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// the incident (any unique part of its ID)
    #[arg(add = crate::complete::incidents())]
    pub id: String,
    /// the template: postmortem (default), postmortem-short, postmortem-pagerduty or your own
    #[arg(long, value_name = "NAME", default_value = "postmortem")]
    pub template: String,
    /// write it to FILE instead of printing it
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// also commit it as postmortems/ID.md
    #[arg(long)]
    pub commit: bool,
    /// with --commit: replace a postmortems/ID.md that was changed by hand
    #[arg(long, requires = "commit")]
    pub force: bool,
    /// the customer-safe version: public events and updates only, no people (template
    /// postmortem-public unless --template names another)
    #[arg(long)]
    pub public: bool,
}

pub fn run(ctx: &Context, args: Args) -> Result<()> {
    use crate::ops::postmortem::{Audience, HandEdits, commit, render};
    let store = ctx.store()?;
    let audience = if args.public {
        Audience::Public
    } else {
        Audience::Internal
    };
    let doc = render(store, &args.id, &args.template, audience, ctx.now)?;
    if let Some(out) = &args.out {
        let path = if out.is_absolute() {
            out.clone()
        } else {
            ctx.dir.join(out)
        };
        write_atomically(&path, doc.text.as_bytes())?;
        ctx.out.line(format!("wrote {}", path.display()))?;
    }
    if args.commit {
        let rel = Path::new(POSTMORTEMS_DIR).join(format!("{}.md", doc.id));
        let hand_edits = if args.force {
            HandEdits::Overwrite
        } else {
            HandEdits::Keep
        };
        match commit(store, &super::actor(ctx)?, &doc, hand_edits)? {
            Some(commit) => ctx
                .out
                .line(format!("committed {} [{commit}]", rel.display()))?,
            None => ctx
                .out
                .line(format!("{} is unchanged; nothing to commit", rel.display()))?,
        }
    }
    if args.out.is_none() && !args.commit {
        ctx.out.line(doc.text.trim_end())?;
    }
    Ok(())
}
