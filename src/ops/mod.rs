//! Operations: every change a person can make to an incident, as one library function with typed
//! input and a typed outcome. The command line parses its arguments into an input, calls the
//! operation and prints the [`Outcome`]; the server and the live view call the very same functions,
//! so a rule of the domain lives here or in the model, never in a front door.
//!
//! An operation never prints, never prompts and reads no environment: who acts and when come in an
//! [`Actor`], the repository in a [`Store`]. Each change is one commit.

pub mod action;
pub mod alert;
pub mod board;
pub mod changes;
pub mod check;
pub mod incident;
pub mod maintenance;
pub mod oncall;
pub mod postmortem;
pub mod publish;
pub mod query;
pub mod report;
pub mod runbook;
pub mod task;

pub use incident::{
    Declare, IncidentChange, Posted, Resolve, Review, Update, Updated, change, declare, edit,
    resolve, review, update,
};

use crate::model::{Config, Incident, ModelError, Stamp};
use crate::notify::Notification;
use crate::store::{Author, Saved, Store};
use anyhow::{Result, anyhow};
use chrono::{DateTime, Utc};
use std::fmt;

/// Who makes a change, and the moment the front door took it (the clock of the CLI's context, of
/// the server's request, of the live view's key press).
#[derive(Debug, Clone)]
pub struct Actor {
    pub author: Author,
    pub now: DateTime<Utc>,
}

impl Actor {
    pub fn new(author: Author, now: DateTime<Utc>) -> Actor {
        Actor { author, now }
    }

    /// Who and when for an event: now, or a backfilled time, which may not lie in the future
    /// (a minute of clock skew between clones is allowed).
    pub fn stamp(&self, at: Option<DateTime<Utc>>) -> Result<Stamp, ModelError> {
        let at = at.unwrap_or(self.now);
        if at > self.now + chrono::Duration::minutes(1) {
            return Err(ModelError::Invalid(format!(
                "{} is in the future; events are recorded as they happen or backfilled",
                at.to_rfc3339()
            )));
        }
        Ok(Stamp {
            at,
            by: self.author.name.clone(),
        })
    }
}

/// What a change did: the record as written and its commit, what it did in words, what the people
/// making it should hear, and the notifications it now calls for.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub incident: Incident,
    /// The commit's short hash.
    pub commit: String,
    /// What the change did, as the commit's subject says it after the ID (`severity SEV1 → SEV2`).
    pub what: String,
    pub warnings: Vec<Warning>,
    /// Every notification the incident's events from this change on call for, by the targets of
    /// `.incident.yaml` (delivered by `notify`, `--notify` or the server; planned, not sent, here).
    pub owed: Vec<Notification>,
    /// The runbooks the change attached (their paths): their steps are now tasks.
    pub attached: Vec<String>,
}

impl Outcome {
    fn new(
        saved: Saved,
        what: String,
        warnings: Vec<Warning>,
        config: &Config,
        from: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Outcome {
        let owed = if config.notify.targets.is_empty() {
            Vec::new()
        } else {
            crate::notify::plan(
                std::slice::from_ref(&saved.incident),
                &[],
                config,
                &crate::model::escalation::Paging::default(),
                from,
                now,
            )
        };
        Outcome {
            incident: saved.incident,
            commit: saved.commit,
            what,
            warnings,
            owed,
            attached: Vec::new(),
        }
    }
}

/// Attaches every runbook of the repo that applies to the incident as it stands and is not
/// attached yet (its steps become tasks, with the version followed); the paths attached. A
/// runbook that does not read is left out: `check` reports it.
pub(crate) fn attach_runbooks(
    runbooks: &[crate::store::RunbookFile],
    incident: &mut Incident,
    stamp: &Stamp,
) -> Vec<String> {
    let mut attached = Vec::new();
    for file in runbooks {
        if let Ok(runbook) = &file.runbook
            && runbook.applies_to(incident)
            && incident
                .attach_runbook(runbook, &file.blob, stamp)
                .is_some()
        {
            attached.push(file.path.clone());
        }
    }
    attached
}

/// Something the people making a change should hear; the change is made all the same (mid-outage,
/// whoever helps is helping, and an alert hook names nobody).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Warning {
    /// A person in a role whom the `people` roster of `.incident.yaml` does not know.
    UnknownPerson { who: String, known: Vec<String> },
    /// The severity requires an incident commander and none is named.
    CommanderNeeded {
        id: String,
        severity: crate::model::Severity,
        due: DateTime<Utc>,
    },
}

impl Warning {
    /// The time the warning names, for a front door that shows times in its reader's zone.
    pub fn due(&self) -> Option<DateTime<Utc>> {
        match self {
            Warning::CommanderNeeded { due, .. } => Some(*due),
            Warning::UnknownPerson { .. } => None,
        }
    }
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Warning::UnknownPerson { who, known } => write!(
                f,
                "`{who}` is not in the people roster of .incident.yaml (known: {})",
                known.join(", ")
            ),
            Warning::CommanderNeeded { id, severity, due } => write!(
                f,
                "{severity} needs an incident commander by {}: `incident assign {id} --commander WHO` (or declare with --commander)",
                due.format("%Y-%m-%d %H:%M UTC")
            ),
        }
    }
}

/// Warnings for people the roster does not know (none when there is no roster).
pub(crate) fn unknown_people<'a>(
    config: &Config,
    people: impl IntoIterator<Item = &'a str>,
) -> Vec<Warning> {
    if config.people.is_empty() {
        return Vec::new();
    }
    let known: Vec<String> = config.people.iter().map(|p| p.handle.clone()).collect();
    let mut out: Vec<Warning> = Vec::new();
    for who in people {
        if !who.is_empty() && config.person(who).is_none() {
            let warning = Warning::UnknownPerson {
                who: who.to_string(),
                known: known.clone(),
            };
            if !out.contains(&warning) {
                out.push(warning);
            }
        }
    }
    out
}

/// The warning for a severity that requires a commander nobody holds.
fn commander_needed(incident: &Incident, config: &Config) -> Option<Warning> {
    crate::metrics::commander_due(incident, config).map(|due| Warning::CommanderNeeded {
        id: incident.id.clone(),
        severity: incident.severity,
        due,
    })
}

/// A typo in a service name would split the status page: the catalog in `.incident.yaml` is the
/// truth. A name it does not hold is a usage error (exit 2 on the command line, 400 at a server).
pub fn check_services(config: &Config, services: &[String]) -> Result<()> {
    for s in services {
        crate::model::check_name("service", s)?;
        if !config.services.is_empty() && config.service(s).is_none() {
            let known: Vec<&str> = config.services.iter().map(|c| c.id.as_str()).collect();
            return Err(anyhow!(crate::UsageError(format!(
                "unknown service `{s}` (--service/--component): the catalog in .incident.yaml has {}; add it there if it is new",
                known.join(", ")
            ))));
        }
    }
    Ok(())
}

/// Keeps what the public update `update_id` tells customers in the record, worded now by the
/// shared `update-body` template, with the severity and service states it speaks of: nothing shown
/// later (pages, feeds, the post-mortem, a late notification) words it again from a changed record.
pub fn keep_words(
    store: &Store,
    incident: &mut Incident,
    update_id: &str,
    now: DateTime<Utc>,
) -> Result<()> {
    let config = store.config();
    let Some(doc) =
        crate::render::context::UpdateDocument::for_update(incident, config, update_id, now)
    else {
        return Ok(());
    };
    if !doc.update.public {
        return Ok(());
    }
    let renderer = crate::render::Renderer::new(Some(store.root()), config);
    let text = renderer.render("update-body.txt", &doc)?.trim().to_string();
    incident.keep_said(config, update_id, text);
    Ok(())
}
