//! Notifications from the history: which events each target is owed (`plan`), the shared record
//! of what was claimed and sent (`ledger`), and delivery over HTTP (`deliver`).
//!
//! A notification is one event of one incident for one target, named by the key
//! `<incident>/<event id>/<target>`. Event IDs are stable across clones (they are derived from the
//! event and kept in the record), so every clone and CI job computes the same keys, and the ledger
//! can say "sent" once for all of them.

pub mod deliver;
pub mod ledger;
pub mod run;

pub use crate::model::TargetKind;

use crate::model::{Config, Incident, NotifyTarget, Severity, Visibility, event_kind};
use crate::render::Renderer;
use crate::render::context::UpdateDocument;
use chrono::{DateTime, Utc};
use serde::Serialize;

/// The kinds of event a target may ask for.
pub const EVENTS: [&str; 10] = [
    "declared",
    "severity",
    "status",
    "update",
    "resolved",
    "assign",
    "note",
    "reminder",
    "maintenance",
    "action-overdue",
];

/// Events about what is owed now rather than what happened: sent once each, whatever the floor.
pub fn is_reminder(event: &str) -> bool {
    matches!(event, "reminder" | "action-overdue")
}

/// How long before a communication deadline the responders' channels are reminded of it.
pub const REMIND_BEFORE_MINUTES: i64 = 10;

/// The events an alerting target can act on: PagerDuty triggers on a declaration or a severity
/// change, acknowledges on a status change and resolves on the resolution.
pub const PAGING_EVENTS: [&str; 4] = ["declared", "severity", "status", "resolved"];

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
    /// Its place in the incident's timeline: the order within one second.
    #[serde(skip)]
    pub seq: usize,
}

/// One event of an incident that targets may be told about.
struct Event {
    kind: &'static str,
    id: String,
    at: DateTime<Utc>,
    public: bool,
    text: String,
    /// Its place in the timeline: the order within one second.
    seq: usize,
}

/// Refuses a target this version cannot serve, naming the field and what is valid.
pub fn check_target(t: &NotifyTarget) -> Result<(), String> {
    if let TargetKind::Unknown(_) = t.kind {
        return Err(format!(
            "notify target `{}`: kind `{}` is not supported (yet); use one of {}",
            t.id,
            t.kind,
            TargetKind::ALL.map(|k| k.as_str().to_string()).join(", ")
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
    if t.kind == TargetKind::Email {
        if t.to.is_empty() {
            return Err(format!(
                "notify target `{}`: an email target needs `to`, the list of recipients",
                t.id
            ));
        }
        for address in t.to.iter().chain(&t.from) {
            address.parse::<lettre::Address>().map_err(|_| {
                format!(
                    "notify target `{}`: `{address}` is not an e-mail address",
                    t.id
                )
            })?;
        }
    }
    if t.kind == TargetKind::PagerDuty && t.secret_env.is_none() {
        return Err(format!(
            "notify target `{}`: a pagerduty target needs `secret_env`, the variable holding its integration (routing) key",
            t.id
        ));
    }
    Ok(())
}

/// Every notification the records call for from `since` on, oldest first: for each target, each
/// event it asks for, of the severities it asks for; internal events and updates only to targets
/// marked `internal`. Drills notify nobody.
pub fn plan(
    incidents: &[Incident],
    maintenance: &[crate::model::Maintenance],
    config: &Config,
    since: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Vec<Notification> {
    let mut out = Vec::new();
    // Maintenance windows: every step is public news (severity filters do not apply).
    for m in maintenance {
        for u in m.updates.iter().filter(|u| u.at >= since) {
            for target in config.notify.targets.iter().filter(|t| {
                t.kind != TargetKind::PagerDuty
                    && (t.events.is_empty() || t.events.iter().any(|e| e == "maintenance"))
            }) {
                out.push(Notification {
                    key: format!("{}/{}/{}", m.id, u.id, target.id),
                    target: target.id.clone(),
                    incident: m.id.clone(),
                    title: m.title.clone(),
                    severity: Severity::Sev4,
                    status: u.status.to_string(),
                    event: "maintenance".into(),
                    event_id: u.id.clone(),
                    at: u.at,
                    public: true,
                    text: format!(
                        "Maintenance {}: {} ({} – {} UTC)",
                        u.status.as_str().replace('_', " "),
                        m.title,
                        m.scheduled_for.format("%b %-d %H:%M"),
                        m.scheduled_until.format("%b %-d %H:%M")
                    ) + &format!("\n{}", u.text),
                    seq: 0,
                });
            }
        }
    }
    for i in incidents.iter().filter(|i| !i.drill) {
        let mut events: Vec<Event> = Vec::new();
        for (seq, e) in i.timeline.iter().enumerate().filter(|(_, e)| e.at >= since) {
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
            let text = if e.text.contains(&i.title) {
                e.text.clone()
            } else {
                format!("{}: {}", i.title, e.text)
            };
            events.push(Event {
                kind,
                id: e.id.clone(),
                at: e.at,
                public,
                text,
                seq,
            });
        }
        // An update goes where its timeline event is, so events of one second keep their order
        // (PagerDuty must see the trigger before the resolve).
        let mut update_events = i
            .timeline
            .iter()
            .enumerate()
            .filter(|(_, e)| e.kind == event_kind::UPDATE);
        for u in i.updates.iter().filter(|u| u.at >= since) {
            let seq = update_events
                .find(|(_, e)| e.at == u.at)
                .map_or(usize::MAX, |(n, _)| n);
            let public = u.visibility.is_public();
            // Rendered later, only if it is still to be sent (see [`render_texts`]).
            let text = String::new();
            events.push(Event {
                kind: "update",
                id: u.id.clone(),
                at: u.at,
                public,
                text,
                seq,
            });
        }
        // Reminders of what the incident owes (`incident due`), once per deadline, to responders'
        // channels only: a deadline due within ten minutes or already missed.
        if i.status.is_active() {
            for d in crate::model::deadlines(i, config, now) {
                let soon = d.due_at - chrono::Duration::minutes(REMIND_BEFORE_MINUTES);
                let owed = matches!(
                    d.state,
                    crate::model::DeadlineState::Pending | crate::model::DeadlineState::Overdue
                );
                if !owed || now < soon {
                    continue;
                }
                let minutes = (d.due_at - now).num_minutes();
                let when = if minutes >= 0 {
                    format!("due in {minutes} min")
                } else {
                    format!("overdue by {} min", -minutes)
                };
                let audience = d
                    .audience
                    .as_deref()
                    .map(|a| format!("-{a}"))
                    .unwrap_or_default();
                events.push(Event {
                    kind: "reminder",
                    id: format!(
                        "reminder-{}{audience}-{}",
                        serde_json::to_value(d.kind)
                            .ok()
                            .and_then(|v| v.as_str().map(str::to_string))
                            .unwrap_or_default(),
                        d.due_at.timestamp()
                    ),
                    at: now.min(d.due_at).max(soon),
                    public: false,
                    text: format!("{} {}: {} {when}", i.severity, i.title, d.label()),
                    seq: usize::MAX,
                });
            }
        }
        // Open action items past their due date: once per due date, to responders' channels.
        let today = now.date_naive();
        for a in i.actions.iter().filter(|a| a.is_overdue(today)) {
            let due = a.due.expect("overdue items have a due date");
            events.push(Event {
                kind: "action-overdue",
                id: format!("action-{}-overdue-{due}", a.number),
                at: due
                    .succ_opt()
                    .and_then(|d| d.and_hms_opt(0, 0, 0))
                    .map_or(now, |t| t.and_utc()),
                public: false,
                text: format!(
                    "{}: action item #{} \"{}\" ({}) was due {due}",
                    i.title, a.number, a.title, a.owner
                ),
                seq: usize::MAX,
            });
        }
        for target in &config.notify.targets {
            for Event {
                kind,
                id,
                at,
                public,
                text,
                seq,
            } in &events
            {
                if !target.events.is_empty() && !target.events.iter().any(|e| e == kind) {
                    continue;
                }
                if target.kind == TargetKind::PagerDuty && !PAGING_EVENTS.contains(kind) {
                    continue;
                }
                let (severity, status) = i.state_through(*seq);
                if !target.severities.is_empty() && !target.severities.contains(&severity) {
                    continue;
                }
                // The canary rule: a channel that is not internal never hears an internal note.
                if !public && !target.internal {
                    continue;
                }
                // A timeline event keeps the key it had before `sync` renamed a same-named
                // incident from another clone: receivers must not get it again under a new name.
                // Reminders and overdue items are per incident and name, so they follow the name.
                let keyed_as = if *seq == usize::MAX {
                    i.id.as_str()
                } else {
                    i.original_id()
                };
                out.push(Notification {
                    key: format!("{keyed_as}/{id}/{}", target.id),
                    target: target.id.clone(),
                    incident: i.id.clone(),
                    title: i.title.clone(),
                    // As they were when it happened: a late run still says what was true then.
                    severity,
                    status: status.to_string(),
                    event: kind.to_string(),
                    event_id: id.clone(),
                    at: *at,
                    public: *public,
                    text: text.clone(),
                    seq: *seq,
                });
            }
        }
    }
    out.sort_by(|a, b| {
        (a.at, &a.incident, a.seq, &a.target).cmp(&(b.at, &b.incident, b.seq, &b.target))
    });
    out
}

/// Gives each update notification its text, from the `update-chat.md` template. Done only for
/// what is still to be sent: with nothing due, a run renders nothing.
pub fn render_texts(
    pending: &mut [Notification],
    incidents: &[Incident],
    config: &Config,
    renderer: &Renderer,
    now: DateTime<Utc>,
) -> Result<(), crate::render::RenderError> {
    for n in pending.iter_mut().filter(|n| n.event == "update") {
        let Some(i) = incidents.iter().find(|i| i.id == n.incident) else {
            continue;
        };
        let email = config
            .notify
            .targets
            .iter()
            .any(|t| t.id == n.target && t.kind == TargetKind::Email);
        // E-mail in the e-mail channel's words (first line `Subject: ...`), the rest as chat.
        let template = if email {
            "update-email.txt"
        } else {
            "update-chat.md"
        };
        if let Some(doc) = UpdateDocument::for_update(i, config, &n.event_id, now) {
            n.text = renderer.render(template, &doc)?.trim().to_string();
        }
    }
    Ok(())
}
