//! `incident pir ID`: write the post-incident review's parts (summary, root cause, whys, lessons...)
//! into the record, from flags or in `$EDITOR`.

use super::{Context, edit_in_editor};
use crate::model::event_kind;
use crate::store::{Change, NothingChanged};
use anyhow::{Result, anyhow};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// the incident (any unique part of its ID)
    #[arg(add = crate::complete::incidents())]
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
    /// the five whys, in order (repeat); replaces the whys recorded so far
    #[arg(long = "why", value_name = "TEXT")]
    pub whys: Vec<String>,
    /// one more why after those recorded (repeat)
    #[arg(long = "add-why", value_name = "TEXT", conflicts_with = "whys")]
    pub add_whys: Vec<String>,
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
    #[command(flatten)]
    pub impact: super::ImpactArgs,
    /// edit the whole review as YAML in $EDITOR
    #[arg(long)]
    pub edit: bool,
}

const HEADER: &str = "\
# The post-incident review. Fields: summary, root_cause, trigger, resolution, detection, and the lists
# whys, contributing_factors, went_well, went_wrong, lucky, lessons. Blameless: roles, not names.
";

pub fn run(ctx: &Context, args: Args) -> Result<()> {
    let store = ctx.store()?;
    let id = store.resolve(&args.id)?;
    let author = ctx.author()?;
    let current = store.load(&id)?.postmortem;
    let edited = if args.edit {
        match edit_in_editor(HEADER, &current, "review")? {
            Some(edited) => Some(edited),
            None => {
                return ctx.out.line(format!(
                    "the review of `{id}` is unchanged: nothing to commit"
                ));
            }
        }
    } else {
        None
    };
    let lists = [
        &args.whys,
        &args.add_whys,
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
    let impact = args.impact.change();
    if edited.is_none()
        && impact.is_empty()
        && lists.iter().all(|l| l.is_empty())
        && texts.iter().all(|t| t.is_none())
    {
        return Err(anyhow!(crate::UsageError(
            "nothing to write: pass --summary, --root-cause, --trigger, --why, --users ... or --edit".into()
        )));
    }
    for text in lists
        .iter()
        .flat_map(|l| l.iter())
        .chain(texts.iter().copied().flatten())
    {
        crate::model::check_text("the review", text)?;
    }
    let result = store.update(&id, &author, ctx.now, |incident| {
        let before = (incident.postmortem.clone(), incident.impact.clone());
        incident.impact.apply(&impact)?;
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
        if !args.whys.is_empty() {
            pm.whys = args.whys.clone();
        }
        pm.whys.extend(args.add_whys.iter().cloned());
        pm.contributing_factors.extend(args.factors.iter().cloned());
        pm.went_well.extend(args.went_well.iter().cloned());
        pm.went_wrong.extend(args.went_wrong.iter().cloned());
        pm.lucky.extend(args.lucky.iter().cloned());
        pm.lessons.extend(args.lessons.iter().cloned());
        if (incident.postmortem.clone(), incident.impact.clone()) == before {
            anyhow::bail!(NothingChanged);
        }
        let stamp = ctx.stamp(&author, None)?;
        let event = incident.push_event(
            &stamp,
            event_kind::POSTMORTEM,
            "post-incident review updated".into(),
            crate::model::Visibility::Internal,
        );
        Ok(Change::new(event_kind::POSTMORTEM, event.text.clone()))
    });
    match result {
        Ok(saved) => super::report(ctx, &saved, "post-incident review updated"),
        Err(e) if e.downcast_ref::<NothingChanged>().is_some() => ctx.out.line(format!(
            "the review of `{id}` already says that: nothing to commit"
        )),
        Err(e) => Err(e),
    }
}
