//! `incident pir ID`: write the post-incident review's parts (summary, root cause, whys, lessons...)
//! into the record, from flags or in `$EDITOR`.

use super::{Context, edit_in_editor};
use crate::model::{ReviewPatch, ReviewStatus};
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
    /// where the review stands: draft, in-review or final
    #[arg(long, value_name = "STATUS")]
    pub status: Option<ReviewStatus>,
    /// who wrote the review
    #[arg(long, value_name = "WHO")]
    pub author: Option<String>,
    /// a reviewer (repeat)
    #[arg(long = "reviewer", value_name = "WHO")]
    pub reviewers: Vec<String>,
    /// the date of the review meeting (YYYY-MM-DD or a span from today like 3d)
    #[arg(long, value_name = "DATE")]
    pub meeting: Option<String>,
    /// put the customer-safe version on the status page (`incident postmortem ID --public` shows it)
    #[arg(long, conflicts_with = "unpublish")]
    pub publish: bool,
    /// take it off the status page again
    #[arg(long)]
    pub unpublish: bool,
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
    let current = store.load(&id)?.postmortem;
    if args.edit && !ctx.interactive {
        return Err(anyhow!(crate::UsageError(
            "--edit opens $EDITOR, which needs a terminal; off one, pass the fields as flags (--summary, --root-cause, --why ...)".into()
        )));
    }
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
    let meeting = args
        .meeting
        .as_deref()
        .map(|d| {
            crate::model::parse_date(d, ctx.now.date_naive())
                .map_err(|e| crate::model::ModelError::Invalid(format!("--meeting: {e}")))
        })
        .transpose()?;
    let patch = ReviewPatch {
        publish: if args.publish {
            Some(Some(ctx.now))
        } else if args.unpublish {
            Some(None)
        } else {
            None
        },
        status: args.status,
        author: args.author.clone(),
        reviewers: args.reviewers.clone(),
        meeting,
        summary: args.summary.clone(),
        root_cause: args.root_cause.clone(),
        trigger: args.trigger.clone(),
        resolution: args.resolution.clone(),
        detection: args.detection.clone(),
        whys: (!args.whys.is_empty()).then(|| args.whys.clone()),
        add_whys: args.add_whys.clone(),
        factors: args.factors.clone(),
        went_well: args.went_well.clone(),
        went_wrong: args.went_wrong.clone(),
        lucky: args.lucky.clone(),
        lessons: args.lessons.clone(),
    };
    let impact = args.impact.change();
    if edited.is_none() && impact.is_empty() && patch.is_empty() {
        return Err(anyhow!(crate::UsageError(
            "nothing to write: pass --summary, --root-cause, --trigger, --why, --users ... or --edit".into()
        )));
    }
    let input = crate::ops::Review {
        patch,
        impact,
        edited: edited.map(|e| (current, e)),
    };
    match crate::ops::review(store, &super::actor(ctx)?, &id, input)? {
        Some(outcome) => super::report(ctx, &outcome),
        None => ctx.out.line(format!(
            "the review of `{id}` already says that: nothing to commit"
        )),
    }
}
