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
    /// md: Markdown with the timeline as a Mermaid diagram (and its SVG beside the file with
    /// --out or --commit); html: one self-contained page with the chart inline, to read or print
    #[arg(long, value_enum, default_value = "md", value_name = "FORMAT")]
    pub format: Format,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Md,
    Html,
}

pub fn run(ctx: &Context, args: Args) -> Result<()> {
    use crate::ops::postmortem::{Audience, HandEdits, chart_name, commit, html, render};
    let store = ctx.store()?;
    let audience = if args.public {
        Audience::Public
    } else {
        Audience::Internal
    };
    if args.format == Format::Html {
        if args.commit {
            return Err(anyhow::anyhow!(crate::UsageError(
                "--commit keeps the Markdown post-mortem in the repo; write the HTML page with --out FILE".into()
            )));
        }
        let page = html(store, &args.id, &args.template, audience, ctx.now)?;
        return match &args.out {
            Some(out) => {
                let path = resolve(ctx, out);
                write_atomically(&path, page.text.as_bytes())?;
                ctx.out.line(format!("wrote {}", path.display()))
            }
            None => ctx.out.line(page.text.trim_end()),
        };
    }
    if let Some(out) = &args.out {
        let path = resolve(ctx, out);
        let stem = path
            .file_stem()
            .map_or_else(|| "postmortem".into(), |s| s.to_string_lossy().into_owned());
        let image = format!("{stem}.svg");
        let doc = render(
            store,
            &args.id,
            &args.template,
            audience,
            ctx.now,
            Some(&image),
        )?;
        write_atomically(&path, doc.text.as_bytes())?;
        ctx.out.line(format!("wrote {}", path.display()))?;
        if let Some(chart) = &doc.chart {
            let beside = path.with_file_name(&image);
            write_atomically(&beside, chart.as_bytes())?;
            ctx.out.line(format!("wrote {}", beside.display()))?;
        }
    }
    if args.commit {
        let id = store.resolve(&args.id)?;
        let doc = render(
            store,
            &args.id,
            &args.template,
            audience,
            ctx.now,
            Some(&chart_name(&id)),
        )?;
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
        let doc = render(store, &args.id, &args.template, audience, ctx.now, None)?;
        ctx.out.line(doc.text.trim_end())?;
    }
    Ok(())
}

fn resolve(ctx: &Context, out: &Path) -> PathBuf {
    if out.is_absolute() {
        out.to_path_buf()
    } else {
        ctx.dir.join(out)
    }
}
