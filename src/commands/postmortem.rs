//! `incident postmortem ID`: render the blameless post-mortem; `--commit` keeps it in the repo as
//! `postmortems/<id>.md`.

use super::Context;
use crate::model::event_kind;
use crate::render::Renderer;
use crate::render::context::{PostmortemDocument, UpdateDocument};
use crate::store::{Change, NothingChanged, POSTMORTEMS_DIR, write_atomically};
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
    let store = ctx.store()?;
    let id = store.resolve(&args.id)?;
    let incident = store.load(&id)?;
    let renderer = Renderer::new(Some(store.root()), store.config());
    let wanted = if args.public && args.template == "postmortem" {
        "postmortem-public"
    } else {
        args.template.as_str()
    };
    let template = renderer.resolve_name(wanted)?;
    // Each public update quoted in the words customers saw, from the template every channel shares.
    let doc =
        PostmortemDocument::new(&incident, store.config(), ctx.now).with_update_texts(|u| {
            let words = UpdateDocument::public(&incident, store.config(), u.clone(), ctx.now);
            renderer
                .render("update-body.txt", &words)
                .map(|t| t.trim().to_string())
        })?;
    let summaries: Vec<_> = store
        .load_all_cached::<crate::model::IncidentSummary>()?
        .into_iter()
        .filter_map(Result::ok)
        .collect();
    let related =
        crate::metrics::related_incidents(&incident, &summaries, chrono::Duration::days(90));
    let doc = doc.with_related(related);
    let doc = if args.public { doc.public() } else { doc };
    let text = renderer.render(&template, doc)?;
    if let Some(out) = &args.out {
        let path = if out.is_absolute() {
            out.clone()
        } else {
            ctx.dir.join(out)
        };
        write_atomically(&path, text.as_bytes())?;
        ctx.out.line(format!("wrote {}", path.display()))?;
    }
    if args.commit {
        let author = ctx.author()?;
        let rel = Path::new(POSTMORTEMS_DIR).join(format!("{id}.md"));
        if !args.force
            && let Some(commit) = store.hand_edited_document(&id, &rel)?
        {
            anyhow::bail!(
                "`{}` was changed by hand in commit {commit}, and regenerating it would overwrite those edits; put what they say into the review (`incident pir {id} ...`) and run again with `--force`, or write the new version elsewhere with `--out FILE`",
                rel.display()
            );
        }
        let change = Change::new(
            event_kind::POSTMORTEM,
            format!("post-mortem written ({template})"),
        );
        match store.commit_document(&id, &rel, &text, &change, &author, ctx.now) {
            Ok(commit) => ctx
                .out
                .line(format!("committed {} [{commit}]", rel.display()))?,
            Err(e) if e.downcast_ref::<NothingChanged>().is_some() => ctx
                .out
                .line(format!("{} is unchanged; nothing to commit", rel.display()))?,
            Err(e) => return Err(e),
        }
    }
    if args.out.is_none() && !args.commit {
        ctx.out.line(text.trim_end())?;
    }
    Ok(())
}
