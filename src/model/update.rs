//! Status updates as the practice asks for them: every update after the first says what is still
//! impacted and what the team has learned, and promises when the next one comes.

use super::{
    Config, Incident, ModelError, Span, Stamp, Status, StatusUpdate, TimelineEvent, Visibility,
};

/// What a new update says; fields left out get the standard wording for a first or final update.
#[derive(Debug, Clone)]
pub struct Draft {
    pub impacted: Option<String>,
    pub learned: Option<String>,
    pub next: Option<Span>,
    pub visibility: Visibility,
    /// The update that announces the resolution itself, the one update a resolved incident takes.
    pub closing: bool,
}

impl Default for Draft {
    fn default() -> Draft {
        Draft::standard()
    }
}

impl Draft {
    /// The update that `declare --update` and `resolve --update` post: standard wording.
    pub fn standard() -> Draft {
        Draft {
            impacted: None,
            learned: None,
            next: None,
            visibility: Visibility::Public,
            closing: false,
        }
    }

    /// The resolution update `resolve --update` posts.
    pub fn closing() -> Draft {
        Draft {
            closing: true,
            ..Draft::standard()
        }
    }
}

/// Builds the update for the incident's current status and records it, returning it with its
/// timeline event. Only the first public update and the resolution update may leave out what is
/// impacted and what was learned.
pub fn post_update(
    incident: &mut Incident,
    config: &Config,
    draft: Draft,
    stamp: &Stamp,
) -> Result<(StatusUpdate, TimelineEvent), ModelError> {
    if incident.status == Status::Resolved && !draft.closing {
        return Err(ModelError::Refused(format!(
            "`{}` is resolved; reopen it to post an update (`incident update {} --reopen ...`)",
            incident.id, incident.id
        )));
    }
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
        said: None,
        extra: Default::default(),
    };
    update.id = update.derived_id(&incident.id);
    let event = incident.add_update(update.clone());
    Ok((update, event))
}
