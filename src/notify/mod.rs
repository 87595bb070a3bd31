//! Notifications from the history: which events each target is owed (`plan`), the shared record
//! of what was claimed and sent (`ledger`), and delivery over HTTP (`deliver`).
//!
//! A notification is one event of one incident for one target, named by the key
//! `<incident>/<event id>/<target>`. Event IDs are stable across clones (they are derived from the
//! event and kept in the record), so every clone and CI job computes the same keys, and the ledger
//! can say "sent" once for all of them.

pub mod deliver;
pub mod ledger;

use crate::model::{Config, Incident, NotifyTarget, Severity, Visibility, event_kind};
use crate::render::Renderer;
use crate::render::context::UpdateDocument;
use chrono::{DateTime, Utc};
use serde::Serialize;

/// The kinds of event a target may ask for.
pub const EVENTS: [&str; 7] = [
    "declared", "severity", "status", "update", "resolved", "assign", "note",
];

/// The kinds of target this version delivers to.
pub const KINDS: [&str; 2] = ["slack", "webhook"];

#[derive(Debug, Clone, Serialize)]
pub struct Notification {
    /// `<incident>/<event id>/<target>`: the same on every clone, the idempotency key receivers see.
    pub key: String,
    pub target: String,
    pub incident: String,
    pub title: String,
    pub severity: Severity,
    pub status: String,
    pub event: String,
    pub event_id: String,
    pub at: DateTime<Utc>,
    pub public: bool,
    /// What it says, from the channel templates for updates.
    pub text: String,
}

/// Refuses a target this version cannot serve, naming the field and what is valid.
pub fn check_target(t: &NotifyTarget) -> Result<(), String> {
    if !KINDS.contains(&t.kind.as_str()) {
        return Err(format!(
            "notify target `{}`: kind `{}` is not supported (yet); use one of {}",
            t.id,
            t.kind,
            KINDS.join(", ")
        ));
    }
    if let Some(bad) = t.events.iter().find(|e| !EVENTS.contains(&e.as_str())) {
        return Err(format!(
            "notify target `{}`: unknown event `{bad}` in `events`; use any of {}",
            t.id,
            EVENTS.join(", ")
        ));
    }
    crate::model::check_name("notify target id", &t.id).map_err(|e| e.to_string())?;
    Ok(())
}

/// Every notification the records call for from `since` on, oldest first: for each target, each
/// event it asks for, of the severities it asks for; internal events and updates only to targets
/// marked `internal`. Drills notify nobody.
pub fn plan(
    incidents: &[Incident],
    config: &Config,
    renderer: &Renderer,
    since: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<Vec<Notification>, crate::render::RenderError> {
    let mut out = Vec::new();
    for i in incidents.iter().filter(|i| !i.drill) {
        // (event kind, event id, when, public, text)
        let mut events: Vec<(&str, String, DateTime<Utc>, bool, String)> = Vec::new();
        for e in i.timeline.iter().filter(|e| e.at >= since) {
            let kind = match e.kind.as_str() {
                event_kind::DECLARED => "declared",
                event_kind::SEVERITY => "severity",
                event_kind::STATUS => "status",
                event_kind::RESOLVED => "resolved",
                event_kind::ASSIGN => "assign",
                // What responders log (`incident log`): notes, actions, decisions, findings, comms.
                k if event_kind::LOGGABLE.contains(&k) => "note",
                _ => continue,
            };
            let public = e.visibility == Visibility::Public;
            let text = format!("{} {}: {}", i.severity, i.title, e.text);
            events.push((kind, e.id.clone(), e.at, public, text));
        }
        for u in i.updates.iter().filter(|u| u.at >= since) {
            let public = u.visibility.is_public();
            let text = match UpdateDocument::for_update(i, config, &u.id, now) {
                Some(doc) => renderer.render("update-chat.md", &doc)?.trim().to_string(),
                None => continue,
            };
            events.push(("update", u.id.clone(), u.at, public, text));
        }
        for target in &config.notify.targets {
            let wants_severity =
                target.severities.is_empty() || target.severities.contains(&i.severity);
            if !wants_severity {
                continue;
            }
            for (kind, id, at, public, text) in &events {
                if !target.events.is_empty() && !target.events.iter().any(|e| e == kind) {
                    continue;
                }
                // The canary rule: a channel that is not internal never hears an internal note.
                if !public && !target.internal {
                    continue;
                }
                out.push(Notification {
                    key: format!("{}/{id}/{}", i.id, target.id),
                    target: target.id.clone(),
                    incident: i.id.clone(),
                    title: i.title.clone(),
                    severity: i.severity,
                    status: i.status.to_string(),
                    event: kind.to_string(),
                    event_id: id.clone(),
                    at: *at,
                    public: *public,
                    text: text.clone(),
                });
            }
        }
    }
    out.sort_by(|a, b| (a.at, &a.key).cmp(&(b.at, &b.key)));
    Ok(out)
}
