//! What changed before an incident: the commits, merges and deploys of the repositories its
//! services are built from, listed newest first, and one of them put on the timeline as a finding.

use super::{Actor, IncidentChange, Outcome};
use crate::model::source::{SourceChange, Window, finding, listing};
use crate::model::{Span, Visibility};
use crate::store::Store;
use anyhow::{Result, anyhow, bail};
use chrono::{DateTime, Utc};
use serde::Serialize;

/// How far before the incident a listing looks when not told (a deploy from the evening before is
/// a usual suspect the next morning).
pub const DEFAULT_BEFORE: Span = Span(24 * 60 * 60);

/// What to list.
#[derive(Debug, Clone)]
pub struct ChangesQuery {
    /// How long before the incident's start.
    pub before: Span,
    /// Fetch the remotes first (off: read the copies fetched before).
    pub fetch: bool,
}

/// The changes around one incident, and what could not be read.
#[derive(Debug, Clone, Serialize)]
pub struct Changes {
    pub incident: String,
    pub window: Window,
    /// The repositories read, as `.incident.yaml` names them.
    pub repos: Vec<String>,
    pub changes: Vec<SourceChange>,
    pub warnings: Vec<String>,
}

/// Lists the changes of the repositories of the services of the incident `query` names.
pub fn changes(
    store: &Store,
    query: &str,
    ask: &ChangesQuery,
    now: DateTime<Utc>,
) -> Result<Changes> {
    let id = store.resolve(query)?;
    let incident = store.load(&id)?;
    if incident.services.is_empty() {
        bail!(
            "`{id}` names no service, so there is no code to look at: add one with `incident edit {id} --services S`"
        );
    }
    let window = Window::around(&incident, ask.before.to_chrono(), now);
    let mut repos = Vec::new();
    let mut warnings = Vec::new();
    let mut entries = Vec::new();
    for service in &incident.services {
        let Some(config) = store.config().services.iter().find(|s| &s.id == service) else {
            warnings.push(format!(
                "service `{service}` is not in .incident.yaml, so it names no repos"
            ));
            continue;
        };
        for spec in &config.repos {
            let deploys = config.deploys.as_deref();
            let read = store.source(spec, deploys, ask.fetch).and_then(|source| {
                if let Some(note) = source.note {
                    warnings.push(note);
                }
                crate::store::source_entries(&source.repo, &window, deploys)
            });
            match read {
                Ok(found) => {
                    repos.push(spec.clone());
                    entries.extend(
                        found
                            .into_iter()
                            .map(|e| (service.clone(), spec.clone(), e)),
                    );
                }
                Err(e) => warnings.push(format!("{e:#}")),
            }
        }
    }
    if repos.is_empty() && warnings.is_empty() {
        bail!(
            "no service of `{id}` ({}) names its git repositories: add `repos:` (a folder or a git URL) under the service in .incident.yaml",
            incident.services.join(", ")
        );
    }
    if repos.is_empty() {
        bail!(
            "no repository of `{id}`'s services could be read: {}",
            warnings.join("; ")
        );
    }
    Ok(Changes {
        incident: id,
        window,
        repos,
        changes: listing(&window, entries),
        warnings,
    })
}

/// Puts change `number` of a listing on the incident's timeline as an internal finding (commit
/// subjects and authors are not for the status page).
pub fn log(store: &Store, actor: &Actor, listed: &Changes, number: usize) -> Result<Outcome> {
    let change = listed
        .changes
        .iter()
        .find(|c| c.number == number)
        .ok_or_else(|| {
            anyhow!(crate::UsageError(match listed.changes.len() {
                0 => format!(
                    "--log {number}: nothing changed in the window, so there is nothing to log"
                ),
                n => format!("--log {number}: the listing has changes 1 to {n}"),
            }))
        })?;
    let text = finding(change);
    let change = IncidentChange::log(&text, Some("finding"), Visibility::Internal, None)?;
    super::change(store, actor, &listed.incident, None, change)
}
