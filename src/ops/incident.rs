//! Changes to one incident: declaring it, the timeline's everyday changes, status updates and the
//! resolution.

use super::{
    Actor, Outcome, Warning, check_services, commander_needed, keep_words, unknown_people,
};
use crate::model::{
    ComponentStatus, DeclareSpec, Draft, ImpactChange, Incident, IncidentKind, ModelError,
    Severity, Status, TimelineEvent, Visibility, post_update,
};
use crate::store::{Change, Store};
use anyhow::Result;
use chrono::{DateTime, Utc};

/// What a new incident is, as whoever declares it knows it then.
#[derive(Debug, Clone)]
pub struct Declare {
    pub title: String,
    pub severity: Severity,
    pub services: Vec<String>,
    /// What it does to a service when that is not what the severity implies.
    pub components: Vec<(String, ComponentStatus)>,
    pub kind: IncidentKind,
    pub summary: Option<String>,
    pub commander: Option<String>,
    pub comms: Option<String>,
    pub started_at: Option<DateTime<Utc>>,
    pub detected_at: Option<DateTime<Utc>>,
    pub impact: ImpactChange,
    pub drill: bool,
    /// Post the first public status update in the same commit.
    pub post_update: bool,
    /// The alert group it answers and its alerts' lines, logged in the same commit
    /// (`crate::ops::alert`).
    pub alert: Option<(String, Vec<String>)>,
}

/// The outcome of a change that may post an update in the same commit (a declaration with its
/// first update, a resolution with its closing one).
#[derive(Debug, Clone)]
pub struct Posted {
    pub outcome: Outcome,
    /// The ID of the first public update, when `post_update` asked for it.
    pub posted: Option<String>,
}

/// Opens a new incident: one record, one commit. A service named only by a component setting is
/// affected too. The record is accepted without a commander even where the severity requires one
/// (an alert names nobody); the outcome warns instead.
pub fn declare(store: &Store, actor: &Actor, mut input: Declare) -> Result<Posted> {
    for (service, _) in &input.components {
        if !input.services.contains(service) {
            input.services.push(service.clone());
        }
    }
    check_services(store.config(), &input.services)?;
    let config = store.config();
    let stamp = actor.stamp(None)?;
    let mut incident = Incident::from_spec(
        DeclareSpec {
            title: input.title,
            severity: input.severity,
            kind: input.kind,
            services: input.services,
            summary: input.summary,
            commander: input.commander,
            comms: input.comms,
            started_at: input.started_at,
            detected_at: input.detected_at,
            drill: input.drill,
            impact: input.impact,
        },
        &stamp,
    )?;
    let default = ComponentStatus::for_severity(config, input.severity);
    for (service, status) in input.components.iter().filter(|(_, s)| *s != default) {
        incident.set_component(config, service, *status, &stamp)?;
    }
    if input.post_update {
        let (update, _) = post_update(&mut incident, config, Draft::standard(), &stamp)?;
        keep_words(store, &mut incident, &update.id, actor.now)?;
    }
    if let Some((group, lines)) = input.alert {
        incident.alerts.push(group);
        for line in lines {
            incident.push_event(
                &stamp,
                crate::model::EventKind::Alert,
                line,
                Visibility::Internal,
            );
        }
    }
    let attached = super::attach_runbooks(&store.runbooks()?, &mut incident, &stamp);
    // A commander named or an update posted as it is declared does those steps already.
    incident.settle_tasks(&Default::default());
    let mut warnings = unknown_people(config, incident.roles.values().map(String::as_str));
    let saved = store.create(incident, &actor.author, actor.now)?;
    warnings.extend(commander_needed(&saved.incident, config));
    let what = format!(
        "declared {}{}: {}",
        saved.incident.severity,
        if input.drill { " drill" } else { "" },
        saved.incident.title
    );
    // The ID may have changed (`-2` when taken), which changes the update's ID too: read it back.
    let posted = input
        .post_update
        .then(|| saved.incident.updates.first().map(|u| u.id.clone()))
        .flatten();
    let mut outcome = Outcome::new(saved, what, warnings, config, stamp.at, actor.now);
    outcome.attached = attached;
    Ok(Posted { outcome, posted })
}

/// The everyday changes of a running incident, each one event on the timeline.
#[derive(Debug, Clone)]
pub enum IncidentChange {
    /// What just happened. `audience` (who was told) goes with the `comms` kind.
    Log {
        text: String,
        kind: String,
        visibility: Visibility,
        audience: Option<String>,
    },
    Severity {
        to: Severity,
        reason: Option<String>,
    },
    Status {
        to: Status,
        note: Option<String>,
        reopen: crate::model::Reopen,
    },
    /// A responder has it: the clock for MTTA stops.
    Ack,
    /// Who holds which role (`commander`, `comms`, `liaison` or any other name); an empty name
    /// leaves the role.
    Assign { roles: Vec<(String, String)> },
}

impl IncidentChange {
    /// A `Log` whose kind follows from what it says: `comms` when it names who was told, `note`
    /// otherwise. A kind given with an audience must be `comms`.
    pub fn log(
        text: &str,
        kind: Option<&str>,
        visibility: Visibility,
        audience: Option<String>,
    ) -> Result<IncidentChange, ModelError> {
        let text = text.trim().to_string();
        if text.is_empty() {
            return Err(ModelError::Invalid(
                "the event text is empty: say what happened".into(),
            ));
        }
        let kind = match (kind, &audience) {
            (Some(kind), _) => kind.to_string(),
            (None, Some(_)) => "comms".to_string(),
            (None, None) => "note".to_string(),
        };
        if let Some(to) = &audience {
            if kind != "comms" {
                return Err(ModelError::Invalid(format!(
                    "an audience (--to) goes with the comms kind (this event is `{kind}`)"
                )));
            }
            crate::model::check_name("--to", to)?;
        }
        Ok(IncidentChange::Log {
            text,
            kind,
            visibility,
            audience,
        })
    }

    fn apply(
        self,
        incident: &mut Incident,
        stamp: &crate::model::Stamp,
    ) -> Result<TimelineEvent, ModelError> {
        match self {
            IncidentChange::Log {
                text,
                kind,
                visibility,
                audience,
            } => {
                let event = incident.push_event(
                    stamp,
                    crate::model::EventKind::parse(&kind),
                    text,
                    visibility,
                );
                event.audience = audience;
                Ok(event.clone())
            }
            IncidentChange::Severity { to, reason } => {
                incident.set_severity(to, reason.as_deref(), stamp).cloned()
            }
            IncidentChange::Status { to, note, reopen } => incident
                .set_status(to, note.as_deref(), reopen, stamp)
                .cloned(),
            IncidentChange::Ack => incident.acknowledge(stamp).cloned(),
            IncidentChange::Assign { roles } => {
                let id = incident.id.clone();
                incident.assign(&roles, stamp)?.cloned().ok_or_else(|| {
                    ModelError::Refused(format!("nothing changed: `{id}` already has those roles"))
                })
            }
        }
    }
}

/// Makes one everyday change to the incident `query` names (any unique part of its ID), as of
/// `at` (a backfill) or now: one event, one commit.
pub fn change(
    store: &Store,
    actor: &Actor,
    query: &str,
    at: Option<DateTime<Utc>>,
    change: IncidentChange,
) -> Result<Outcome> {
    let mut warnings = Vec::new();
    if let IncidentChange::Assign { roles } = &change {
        if roles.is_empty() {
            return Err(anyhow::anyhow!(crate::UsageError(
                "nothing to assign: name a role (--commander, --comms, --liaison or --role NAME=WHO)"
                    .into()
            )));
        }
        for (_, who) in roles {
            if !who.is_empty() {
                crate::model::check_name("person", who)?;
            }
        }
        warnings = unknown_people(store.config(), roles.iter().map(|(_, who)| who.as_str()));
    }
    // A severity or status change may make runbooks apply that did not (a review checklist on
    // resolution): their steps become tasks in the same commit (one already attached never again).
    let runbooks = match &change {
        IncidentChange::Severity { .. } | IncidentChange::Status { .. } => store.runbooks()?,
        _ => Vec::new(),
    };
    // Whoever acknowledges a page commands the incident, unless someone was named meanwhile.
    let escalation = match &change {
        // An escalation file that does not read (`check` says so) must never stop an ack.
        IncidentChange::Ack => store.escalation().unwrap_or_default(),
        _ => Default::default(),
    };
    let acker = roster_handle(store.config(), &actor.author);
    let mut attached = Vec::new();
    let mut outcome = apply(store, actor, query, at, warnings, |incident, stamp| {
        let is_ack = matches!(change, IncidentChange::Ack);
        let event = change.apply(incident, stamp)?;
        if is_ack
            && !incident.roles.contains_key("commander")
            && escalation.policy_for(incident).is_some()
        {
            incident.assign(&[("commander".to_string(), acker.clone())], stamp)?;
        }
        attached = super::attach_runbooks(&runbooks, incident, stamp);
        Ok(event)
    })?;
    outcome.attached = attached;
    Ok(outcome)
}

/// The roster handle of the person acting: the one whose name or e-mail is the author's, else the
/// author's name as it is.
fn roster_handle(config: &crate::model::Config, author: &crate::store::Author) -> String {
    config
        .people
        .iter()
        .find(|p| {
            p.handle == author.name
                || p.name.as_deref() == Some(author.name.as_str())
                || (!author.email.is_empty() && p.email.as_deref() == Some(author.email.as_str()))
        })
        .map_or_else(|| author.name.clone(), |p| p.handle.clone())
}

/// The shape of every one-event change: resolve the ID, stamp the event, apply it under the lock,
/// commit with the event's text as the message.
pub(super) fn apply(
    store: &Store,
    actor: &Actor,
    query: &str,
    at: Option<DateTime<Utc>>,
    warnings: Vec<Warning>,
    apply: impl FnOnce(&mut Incident, &crate::model::Stamp) -> Result<TimelineEvent, ModelError>,
) -> Result<Outcome> {
    let id = store.resolve(query)?;
    let stamp = actor.stamp(at)?;
    let mut what = String::new();
    let saved = store.update(&id, &actor.author, actor.now, |incident| {
        let event = apply(incident, &stamp)?;
        what = event.text.clone();
        Ok(Change::new(event.kind.as_str(), event.text))
    })?;
    Ok(Outcome::new(
        saved,
        what,
        warnings,
        store.config(),
        stamp.at,
        actor.now,
    ))
}

/// A status update: the three things every update says, and what else changes with it.
#[derive(Debug, Clone, Default)]
pub struct Update {
    pub draft: Draft,
    /// Move the lifecycle with the update.
    pub status: Option<Status>,
    /// Reopen a resolved incident to post it.
    pub reopen: bool,
    /// Service states the update reports (a state already so is no error: the update says it).
    pub components: Vec<(String, ComponentStatus)>,
}

/// An update's outcome, with the ID of the update posted.
#[derive(Debug, Clone)]
pub struct Updated {
    pub outcome: Outcome,
    pub update_id: String,
    pub public: bool,
}

/// Posts a status update to the incident `query` names: one commit with the status and service
/// changes it reports. A public update keeps the words customers received.
pub fn update(
    store: &Store,
    actor: &Actor,
    query: &str,
    at: Option<DateTime<Utc>>,
    input: Update,
) -> Result<Updated> {
    let id = store.resolve(query)?;
    let stamp = actor.stamp(at)?;
    let config = store.config();
    let named: Vec<String> = input.components.iter().map(|(s, _)| s.clone()).collect();
    check_services(config, &named)?;
    let mut posted = None;
    let saved = store.update(&id, &actor.author, actor.now, |incident| {
        if input.reopen && incident.status == Status::Resolved {
            let back = input.status.unwrap_or(Status::Investigating);
            incident.set_status(
                back,
                Some("to post an update"),
                crate::model::Reopen::Yes,
                &stamp,
            )?;
        } else if let Some(status) = input.status.filter(|s| *s != incident.status) {
            incident.set_status(status, None, crate::model::Reopen::No, &stamp)?;
        }
        for (service, status) in &input.components {
            let listed = incident.services.iter().any(|s| s == service);
            let now = if listed {
                incident.component_status_at(config, service, stamp.at)
            } else {
                ComponentStatus::Operational
            };
            if now != *status {
                incident.set_component(config, service, *status, &stamp)?;
            }
        }
        let (update, event) = post_update(incident, config, input.draft.clone(), &stamp)?;
        keep_words(store, incident, &update.id, actor.now)?;
        posted = Some((update.id.clone(), update.visibility.is_public()));
        let mut summary = event.text;
        if !input.components.is_empty() {
            let set: Vec<String> = input
                .components
                .iter()
                .map(|(service, status)| format!("{service} {status}"))
                .collect();
            summary = format!("{summary} [{}]", set.join(", "));
        }
        Ok(Change::new(event.kind.as_str(), summary))
    })?;
    let (update_id, public) = posted.expect("the change ran");
    let what = format!(
        "{} status update posted",
        if public { "public" } else { "internal" }
    );
    Ok(Updated {
        outcome: Outcome::new(saved, what, Vec::new(), config, stamp.at, actor.now),
        update_id,
        public,
    })
}

/// The resolution: the lifecycle's last step, with the closing update when asked.
#[derive(Debug, Clone, Default)]
pub struct Resolve {
    pub note: Option<String>,
    pub post_update: bool,
}

/// Resolves the incident `query` names (refused when it already is): one commit, with the closing
/// public update in it when asked. The outcome names that update.
pub fn resolve(
    store: &Store,
    actor: &Actor,
    query: &str,
    at: Option<DateTime<Utc>>,
    input: Resolve,
) -> Result<Posted> {
    let id = store.resolve(query)?;
    let stamp = actor.stamp(at)?;
    let config = store.config();
    let runbooks = store.runbooks()?;
    let mut what = String::new();
    let mut posted = None;
    let mut attached = Vec::new();
    let saved = store.update(&id, &actor.author, actor.now, |incident| {
        if incident.status == Status::Resolved {
            return Err(
                ModelError::Refused(format!("`{}` is already resolved", incident.id)).into(),
            );
        }
        let event = incident
            .set_status(
                Status::Resolved,
                input.note.as_deref(),
                crate::model::Reopen::No,
                &stamp,
            )?
            .clone();
        if input.post_update {
            let (update, _) = post_update(incident, config, Draft::closing(), &stamp)?;
            keep_words(store, incident, &update.id, actor.now)?;
            posted = Some(update.id);
        }
        // What to do now that it is over: the runbooks for resolved incidents (the review).
        attached = super::attach_runbooks(&runbooks, incident, &stamp);
        what = event.text.clone();
        Ok(Change::new(event.kind.as_str(), event.text))
    })?;
    let mut outcome = Outcome::new(
        saved,
        what,
        Vec::<Warning>::new(),
        config,
        stamp.at,
        actor.now,
    );
    outcome.attached = attached;
    Ok(Posted { outcome, posted })
}

/// Corrects what an incident record says (title, summary, kind, services, tags, related incidents,
/// impact figures, times) from `before` (what the person saw) to `after` (what they want): only the
/// fields they changed, on top of whatever others committed meanwhile; a field both changed is
/// refused, naming it. `None` when `after` changes nothing.
pub fn edit(
    store: &Store,
    actor: &Actor,
    query: &str,
    before: &crate::model::Editable,
    after: &crate::model::Editable,
) -> Result<Option<Outcome>> {
    let id = store.resolve(query)?;
    let added: Vec<String> = after
        .services
        .iter()
        .filter(|s| !before.services.contains(s))
        .cloned()
        .collect();
    check_services(store.config(), &added)?;
    if after.related.contains(&id) {
        return Err(ModelError::Invalid("an incident cannot be related to itself".into()).into());
    }
    after.check()?;
    if after == before {
        return Ok(None);
    }
    let stamp = actor.stamp(None)?;
    // A kind or service corrected may make runbooks apply.
    let runbooks = store.runbooks()?;
    let mut attached = Vec::new();
    let mut said = Vec::new();
    let saved = store.update(&id, &actor.author, actor.now, |incident| {
        crate::model::merge_edit(before, after, &crate::model::Editable::of(incident))?;
        let events = incident.apply_edit(before, after, &stamp)?;
        attached = super::attach_runbooks(&runbooks, incident, &stamp);
        said = events.iter().map(|e| e.text.clone()).collect();
        let summary = match said.as_slice() {
            [one] => one.clone(),
            many => format!(
                "corrected {}",
                many.iter()
                    .map(|t| t.split(':').next().unwrap_or(t))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        };
        Ok(Change::new(crate::model::event_kind::EDIT, summary))
    })?;
    let config = store.config();
    let mut outcome = Outcome::new(
        saved,
        said.join("; "),
        Vec::new(),
        config,
        stamp.at,
        actor.now,
    );
    outcome.attached = attached;
    Ok(Some(outcome))
}

/// What a change to the post-incident review writes.
#[derive(Debug, Clone, Default)]
pub struct Review {
    /// Fields set or appended, by flag.
    pub patch: crate::model::ReviewPatch,
    pub impact: ImpactChange,
    /// A whole review edited by hand: what the person saw, and what they saved.
    pub edited: Option<(crate::model::Postmortem, crate::model::Postmortem)>,
}

/// Writes into the post-incident review of the incident `query` names: one commit with an internal
/// timeline event. An edited review applies only the fields the person changed, on top of what
/// others committed meanwhile. `None` when the review already says all of it.
pub fn review(store: &Store, actor: &Actor, query: &str, input: Review) -> Result<Option<Outcome>> {
    let id = store.resolve(query)?;
    let stamp = actor.stamp(None)?;
    let result = store.update(&id, &actor.author, actor.now, |incident| {
        let before = (incident.postmortem.clone(), incident.impact.clone());
        incident.impact.apply(&input.impact)?;
        if let Some((seen, edited)) = &input.edited {
            incident.postmortem = crate::model::merge_edit(seen, edited, &incident.postmortem)?;
        }
        incident.postmortem.apply(&input.patch)?;
        if (incident.postmortem.clone(), incident.impact.clone()) == before {
            anyhow::bail!(crate::store::NothingChanged);
        }
        let event = incident.push_event(
            &stamp,
            crate::model::EventKind::Postmortem,
            "post-incident review updated".into(),
            Visibility::Internal,
        );
        Ok(Change::new(
            crate::model::event_kind::POSTMORTEM,
            event.text.clone(),
        ))
    });
    match result {
        Ok(saved) => Ok(Some(Outcome::new(
            saved,
            "post-incident review updated".into(),
            Vec::new(),
            store.config(),
            stamp.at,
            actor.now,
        ))),
        Err(e) if e.downcast_ref::<crate::store::NothingChanged>().is_some() => Ok(None),
        Err(e) => Err(e),
    }
}
