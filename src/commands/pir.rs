//! `incident pir ID`: write the post-incident review's parts (summary, root cause, whys, lessons...)
//! into the record, from flags or in `$EDITOR`.

use super::Context;
use crate::model::{Postmortem, event_kind};
use crate::store::{self, Change};
use anyhow::{Context as _, Result, anyhow, bail};
use std::path::Path;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// the incident (any unique part of its ID)
    pub id: String,
    /// what happened, in a few sentences
    #[arg(long, value_name = "TEXT")]
    pub summary: Option<String>,
    /// the underlying cause
    #[arg(long, value_name = "TEXT")]
    pub root_cause: Option<String>,
    /// what set it off
    #[arg(long, value_name = "TEXT")]
    pub trigger: Option<String>,
    /// how service was restored
    #[arg(long, value_name = "TEXT")]
    pub resolution: Option<String>,
    /// how it was detected
    #[arg(long, value_name = "TEXT")]
    pub detection: Option<String>,
    /// one answer in the five whys (repeat, in order)
    #[arg(long = "why", value_name = "TEXT")]
    pub whys: Vec<String>,
    /// a contributing factor (repeat)
    #[arg(long = "factor", value_name = "TEXT")]
    pub factors: Vec<String>,
    /// something that went well (repeat)
    #[arg(long = "went-well", value_name = "TEXT")]
    pub went_well: Vec<String>,
    /// something that went wrong (repeat)
    #[arg(long = "went-wrong", value_name = "TEXT")]
    pub went_wrong: Vec<String>,
    /// where we got lucky (repeat)
    #[arg(long = "lucky", value_name = "TEXT")]
    pub lucky: Vec<String>,
    /// a lesson learned (repeat)
    #[arg(long = "lesson", value_name = "TEXT")]
    pub lessons: Vec<String>,
    /// edit the whole review as YAML in $EDITOR
    #[arg(long)]
    pub edit: bool,
}

pub fn run(ctx: &Context, args: Args) -> Result<()> {
    let store = ctx.store()?;
    let id = store.resolve(&args.id)?;
    let author = ctx.author()?;
    let edited = if args.edit {
        Some(edit(&store.load(&id)?.postmortem)?)
    } else {
        None
    };
    let lists = [
        &args.whys,
        &args.factors,
        &args.went_well,
        &args.went_wrong,
        &args.lucky,
        &args.lessons,
    ];
    let texts = [
        &args.summary,
        &args.root_cause,
        &args.trigger,
        &args.resolution,
        &args.detection,
    ];
    if edited.is_none() && lists.iter().all(|l| l.is_empty()) && texts.iter().all(|t| t.is_none()) {
        return Err(anyhow!(crate::UsageError(
            "nothing to write: pass --summary, --root-cause, --trigger, --why ... or --edit".into()
        )));
    }
    let saved = store.update(&id, &author, ctx.now, |incident| {
        let pm = &mut incident.postmortem;
        if let Some(edited) = edited {
            *pm = edited;
        }
        let set = |field: &mut Option<String>, value: &Option<String>| {
            if let Some(v) = value.as_ref().map(|v| v.trim()).filter(|v| !v.is_empty()) {
                *field = Some(v.to_string());
            }
        };
        set(&mut pm.summary, &args.summary);
        set(&mut pm.root_cause, &args.root_cause);
        set(&mut pm.trigger, &args.trigger);
        set(&mut pm.resolution, &args.resolution);
        set(&mut pm.detection, &args.detection);
        pm.whys.extend(args.whys.iter().cloned());
        pm.contributing_factors.extend(args.factors.iter().cloned());
        pm.went_well.extend(args.went_well.iter().cloned());
        pm.went_wrong.extend(args.went_wrong.iter().cloned());
        pm.lucky.extend(args.lucky.iter().cloned());
        pm.lessons.extend(args.lessons.iter().cloned());
        let stamp = ctx.stamp(&author, None)?;
        let event = incident.push_event(
            &stamp,
            event_kind::POSTMORTEM,
            "post-incident review updated".into(),
            crate::model::Visibility::Internal,
        );
        Ok(Change::new(event_kind::POSTMORTEM, event.text.clone()))
    })?;
    super::report(ctx, &saved, "post-incident review updated")
}

/// Opens the review as YAML in `$VISUAL`/`$EDITOR`. A file that does not parse is kept and named,
/// so nothing typed is lost.
fn edit(current: &Postmortem) -> Result<Postmortem> {
    let editor = std::env::var("VISUAL")
        .or_else(|_| std::env::var("EDITOR"))
        .map_err(|_| anyhow!("--edit needs $EDITOR (or $VISUAL) set, e.g. `EDITOR=vim`"))?;
    let header = "# The post-incident review. Fields: summary, root_cause, trigger, resolution, detection,\n# whys, contributing_factors, went_well, went_wrong, lucky, lessons (lists). Blameless: roles, not names.\n";
    let body = if current.is_empty() {
        "summary: \nroot_cause: \ntrigger: \nwhys: []\nwent_well: []\nwent_wrong: []\nlucky: []\nlessons: []\n".to_string()
    } else {
        store::to_yaml(current)?
    };
    let file = tempfile::Builder::new()
        .prefix("incident-pir-")
        .suffix(".yaml")
        .tempfile()?;
    std::fs::write(file.path(), format!("{header}{body}"))?;
    let status = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!("{editor} \"$1\""))
        .arg("sh")
        .arg(file.path())
        .status()
        .with_context(|| format!("cannot start the editor `{editor}`"))?;
    if !status.success() {
        bail!("the editor `{editor}` exited with {status}; nothing was changed");
    }
    let text = std::fs::read_to_string(file.path())?;
    match store::from_yaml::<Postmortem>(&text, Path::new("review")) {
        Ok(pm) => Ok(pm),
        Err(e) => {
            let (_, kept) = file
                .keep()
                .map_err(|e| anyhow!("cannot keep the edited file: {e}"))?;
            bail!("{e}; your text is kept in `{}`", kept.display())
        }
    }
}
