//! `incident update ID`: a status update saying what is still impacted, what the team has learned and
//! when the next update comes; stored, put on the timeline, committed and printed as published.

use super::Context;
use crate::context::Style;
use crate::model::{
    Config, Incident, ModelError, Span, Stamp, Status, StatusUpdate, TimelineEvent, Visibility,
};
use crate::render::Renderer;
use crate::render::context::UpdateDocument;
use crate::store::Change;
use anyhow::{Result, anyhow};
use chrono::{DateTime, Utc};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// the incident (any unique part of its ID)
    pub id: String,
    /// what is still impacted, in customers' words
    #[arg(long, value_name = "TEXT")]
    pub impacted: Option<String>,
    /// what the team has learned so far
    #[arg(long, value_name = "TEXT")]
    pub learned: Option<String>,
    /// when the next update comes, 1m to 30d (default: the severity's cadence from the policy)
    #[arg(long, value_name = "SPAN", value_parser = crate::model::Span::parse_cadence)]
    pub next: Option<Span>,
    /// also move the incident to this status
    #[arg(long, value_name = "STATUS")]
    pub status: Option<Status>,
    /// an internal update: recorded, never published
    #[arg(long)]
    pub internal: bool,
    /// when it was posted, if not now (RFC 3339, HH:MM or `15m ago`)
    #[arg(long, value_name = "TIME")]
    pub at: Option<String>,
}

/// What a new update says; fields left out get the standard wording for a first or final update.
pub struct Draft {
    pub impacted: Option<String>,
    pub learned: Option<String>,
    pub next: Option<Span>,
    pub visibility: Visibility,
}

impl Draft {
    /// The update that `declare --update` and `resolve --update` post: standard wording.
    pub fn standard() -> Draft {
        Draft {
            impacted: None,
            learned: None,
            next: None,
            visibility: Visibility::Public,
        }
    }
}

/// Builds the update for the incident's current status and records it, returning it with its
/// timeline event. Only the first public update and the resolution update may leave out what is
/// impacted and what was learned.
pub fn post(
    incident: &mut Incident,
    config: &Config,
    draft: Draft,
    stamp: &Stamp,
) -> Result<(StatusUpdate, TimelineEvent), ModelError> {
    let clean = |t: Option<String>| t.map(|s| s.trim().to_string()).filter(|s| !s.is_empty());
    let (impacted, learned) = (clean(draft.impacted), clean(draft.learned));
    let first = draft.visibility.is_public() && incident.first_public_update().is_none();
    let resolution = incident.status == Status::Resolved;
    if !first && !resolution {
        let mut missing = Vec::new();
        if impacted.is_none() {
            missing.push("--impacted (what is still impacted)");
        }
        if learned.is_none() {
            missing.push("--learned (what the team has learned)");
        }
        if !missing.is_empty() {
            return Err(ModelError::Invalid(format!(
                "a status update must say {}; only the first update and the resolution have standard wording",
                missing.join(" and ")
            )));
        }
    }
    let cadence = draft
        .next
        .or(config.severity(incident.severity).update_every);
    let mut update = StatusUpdate {
        id: String::new(),
        at: stamp.at,
        by: stamp.by.clone(),
        status: incident.status,
        impacted,
        learned,
        next_update_at: if resolution {
            None
        } else {
            cadence.and_then(|c| stamp.at.checked_add_signed(c.to_chrono()))
        },
        visibility: draft.visibility,
        extra: Default::default(),
    };
    update.id = update.derived_id(&incident.id);
    let event = incident.add_update(update.clone());
    Ok((update, event))
}

/// The update as the status page shows it.
pub fn rendered(
    renderer: &Renderer,
    incident: &Incident,
    config: &Config,
    update_id: &str,
    template: &str,
    now: DateTime<Utc>,
) -> Result<String> {
    let doc = UpdateDocument::for_update(incident, config, update_id, now)
        .ok_or_else(|| anyhow!("update `{update_id}` is not in `{}`", incident.id))?;
    Ok(renderer.render(template, &doc)?)
}

pub fn run(ctx: &Context, args: Args) -> Result<()> {
    let store = ctx.store()?;
    let id = store.resolve(&args.id)?;
    let author = ctx.author()?;
    let stamp = ctx.stamp(&author, args.at.as_deref())?;
    let config = store.config().clone();
    let draft = Draft {
        impacted: args.impacted,
        learned: args.learned,
        next: args.next,
        visibility: if args.internal {
            Visibility::Internal
        } else {
            Visibility::Public
        },
    };
    let mut posted = None;
    let saved = store.update(&id, &author, ctx.now, |incident| {
        if let Some(status) = args.status.filter(|s| *s != incident.status) {
            incident.set_status(status, None, false, &stamp)?;
        }
        let (update, event) = post(incident, &config, draft, &stamp)?;
        posted = Some(update);
        Ok(Change::new(&event.kind, event.text))
    })?;
    if ctx.out.json {
        return ctx.out.json(&saved.incident);
    }
    let update = posted.expect("the closure ran");
    let renderer = Renderer::new(Some(store.root()), &config);
    let text = rendered(
        &renderer,
        &saved.incident,
        &config,
        &update.id,
        "update-status-page.md",
        ctx.now,
    )?;
    let visibility = if update.visibility.is_public() {
        "public"
    } else {
        "internal"
    };
    ctx.out.line(format!(
        "{} {}: {visibility} status update posted {}\n\n{}",
        ctx.out.severity(saved.incident.severity),
        ctx.out.paint(&saved.incident.id, Style::Bold),
        ctx.out.paint(&format!("[{}]", saved.commit), Style::Dim),
        text.trim_end()
    ))
}
