//! What notifications the records call for: for each target of the policy, each event it asks
//! for, as it was when it happened. Pure: delivery, the shared ledger and the words of updates
//! (rendered from templates) are `crate::notify`'s.
//!
//! A notification is one event of one incident for one target, named by the key
//! `<incident>/<event id>/<target>`. Event IDs are stable across clones (they are derived from the
//! event and kept in the record), so every clone and CI job computes the same keys, and the ledger
//! can say "sent" once for all of them.

pub use super::escalation::Paging;
use super::{
    Config, DeadlineState, EventKind, Incident, Maintenance, NotifyTarget, Severity, TargetKind,
    Visibility,
};
use chrono::{DateTime, Utc};
use serde::Serialize;

/// The kinds of event a target may ask for.
pub const EVENTS: [&str; 11] = [
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
    "page",
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
    /// For a page: the person it is for, with the contacts the roster has for them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recipient: Option<Recipient>,
}

/// Who a page is for, and how to reach them.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Recipient {
    pub handle: String,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// Their chat member ID, for a mention (`<@U024BE7LH>`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub chat: Option<String>,
    /// For an SMS or phone gateway behind a webhook.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
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

/// Every notification the records call for from `since` on, oldest first: for each target, each
/// event it asks for, of the severities it asks for; internal events and updates only to targets
/// marked `internal`. Drills notify nobody.
pub fn plan(
    incidents: &[Incident],
    maintenance: &[Maintenance],
    config: &Config,
    paging: &Paging,
    since: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Vec<Notification> {
    let mut out = maintenance_notifications(maintenance, config, since);
    for i in incidents.iter().filter(|i| !i.drill) {
        let mut events = timeline_events(i, since);
        events.extend(update_events(i, since));
        if i.status.is_active() {
            events.extend(reminders(i, config, now));
        }
        events.extend(overdue_actions(i, now));
        for target in &config.notify.targets {
            out.extend(events.iter().filter_map(|e| notification(i, target, e)));
        }
        out.extend(pages(i, config, paging, since, now));
    }
    out.sort_by(|a, b| {
        (a.at, &a.incident, a.seq, &a.target).cmp(&(b.at, &b.incident, b.seq, &b.target))
    });
    out
}

/// Maintenance windows: every step is public news (severity filters do not apply).
fn maintenance_notifications(
    maintenance: &[Maintenance],
    config: &Config,
    since: DateTime<Utc>,
) -> Vec<Notification> {
    let mut out = Vec::new();
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
                    recipient: None,
                });
            }
        }
    }
    out
}

/// The timeline's events a target may ask for, from `since` on.
fn timeline_events(i: &Incident, since: DateTime<Utc>) -> Vec<Event> {
    let mut events = Vec::new();
    for (seq, e) in i.timeline.iter().enumerate().filter(|(_, e)| e.at >= since) {
        let kind = match &e.kind {
            EventKind::Declared => "declared",
            EventKind::Severity => "severity",
            EventKind::Status => "status",
            EventKind::Resolved => "resolved",
            EventKind::Assign => "assign",
            // What responders log (`incident log`): notes, actions, decisions, findings, comms.
            k if k.is_loggable() => "note",
            _ => continue,
        };
        let text = if e.text.contains(&i.title) {
            e.text.clone()
        } else {
            format!("{}: {}", i.title, e.text)
        };
        events.push(Event {
            kind,
            id: e.id.clone(),
            at: e.at,
            public: e.visibility == Visibility::Public,
            text,
            seq,
        });
    }
    events
}

/// Status updates, from `since` on. An update goes where its timeline event is, so events of one
/// second keep their order (PagerDuty must see the trigger before the resolve). Their words are
/// rendered later, only for what is still to be sent (`crate::notify::render_texts`).
fn update_events(i: &Incident, since: DateTime<Utc>) -> Vec<Event> {
    let mut in_timeline = i
        .timeline
        .iter()
        .enumerate()
        .filter(|(_, e)| e.kind == crate::model::EventKind::Update);
    let mut events = Vec::new();
    for u in i.updates.iter().filter(|u| u.at >= since) {
        let seq = in_timeline
            .find(|(_, e)| e.at == u.at)
            .map_or(usize::MAX, |(n, _)| n);
        events.push(Event {
            kind: "update",
            id: u.id.clone(),
            at: u.at,
            public: u.visibility.is_public(),
            text: String::new(),
            seq,
        });
    }
    events
}

/// Reminders of what an active incident owes (`incident due`), once per deadline, to responders'
/// channels only: a deadline due within ten minutes or already missed.
fn reminders(i: &Incident, config: &Config, now: DateTime<Utc>) -> Vec<Event> {
    let mut events = Vec::new();
    for d in super::deadlines(i, config, now) {
        let soon = d.due_at - chrono::Duration::minutes(REMIND_BEFORE_MINUTES);
        let owed = matches!(d.state, DeadlineState::Pending | DeadlineState::Overdue);
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
        let kind = serde_json::to_value(d.kind)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default();
        events.push(Event {
            kind: "reminder",
            id: format!("reminder-{kind}{audience}-{}", d.due_at.timestamp()),
            at: now.min(d.due_at).max(soon),
            public: false,
            text: format!("{} {}: {} {when}", i.severity, i.title, d.label()),
            seq: usize::MAX,
        });
    }
    events.extend(task_reminders(i, now));
    events
}

/// Reminders of the runbooks' steps, once per task deadline, like the communication deadlines:
/// an open task due within ten minutes or already late.
fn task_reminders(i: &Incident, now: DateTime<Utc>) -> Vec<Event> {
    let mut events = Vec::new();
    for t in i.tasks.iter().filter(|t| t.state == super::TaskState::Open) {
        let Some(due) = t.due_at else { continue };
        let soon = due - chrono::Duration::minutes(REMIND_BEFORE_MINUTES);
        if now < soon {
            continue;
        }
        let minutes = (due - now).num_minutes();
        let when = if minutes >= 0 {
            format!("due in {minutes} min")
        } else {
            format!("overdue by {} min", -minutes)
        };
        let who = t.holder().map(|w| format!(" ({w})")).unwrap_or_default();
        events.push(Event {
            kind: "reminder",
            id: format!("reminder-task-{}-{}", t.number, due.timestamp()),
            at: now.min(due).max(soon),
            public: false,
            text: format!(
                "{} {}: task #{} {}{who} {when}",
                i.severity, i.title, t.number, t.text
            ),
            seq: usize::MAX,
        });
    }
    events
}

/// Open action items past their due date: once per due date, to responders' channels.
fn overdue_actions(i: &Incident, now: DateTime<Utc>) -> Vec<Event> {
    let today = now.date_naive();
    i.actions
        .iter()
        .filter(|a| a.is_overdue(today))
        .map(|a| {
            let due = a.due.expect("overdue items have a due date");
            Event {
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
            }
        })
        .collect()
}

/// The notification of `event` for `target`, if the target asks for it.
fn notification(i: &Incident, target: &NotifyTarget, event: &Event) -> Option<Notification> {
    let Event {
        kind,
        id,
        at,
        public,
        text,
        seq,
    } = event;
    if !target.events.is_empty() && !target.events.iter().any(|e| e == kind) {
        return None;
    }
    if target.kind == TargetKind::PagerDuty && !PAGING_EVENTS.contains(kind) {
        return None;
    }
    let (severity, status) = i.state_through(*seq);
    if !target.severities.is_empty() && !target.severities.contains(&severity) {
        return None;
    }
    // The canary rule: a channel that is not internal never hears an internal note.
    if !public && !target.internal {
        return None;
    }
    // A timeline event keeps the key it had before `sync` renamed a same-named incident from
    // another clone: receivers must not get it again under a new name. Reminders and overdue
    // items are per incident and name, so they follow the name.
    let keyed_as = if *seq == usize::MAX {
        i.id.as_str()
    } else {
        i.original_id()
    };
    Some(Notification {
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
        recipient: None,
    })
}

/// The pages of `i` due from `since` until `now` by its escalation policy, one notification per
/// person and target the policy pages through. Keyed by pass, level and person, so a level is
/// paged once across every clone and run, and never the next one twice.
fn pages(
    i: &Incident,
    config: &Config,
    paging: &Paging,
    since: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Vec<Notification> {
    let Some(policy) = paging.escalation.policy_for(i) else {
        return Vec::new();
    };
    let declared = i.timeline.first().map_or(now, |e| e.at);
    let mut out = Vec::new();
    for page in policy.due_pages(i, &paging.schedules, &paging.overrides, now) {
        if page.due < since {
            continue;
        }
        let person = config.people.iter().find(|p| p.handle == page.person);
        let recipient = Recipient {
            handle: page.person.clone(),
            name: config.display_name(&page.person).to_string(),
            email: person.and_then(|p| p.email.clone()),
            chat: person.and_then(|p| p.chat.clone()),
            phone: person.and_then(|p| p.phone.clone()),
        };
        let through = page
            .via_rota
            .as_ref()
            .map(|r| format!(", on call for {r}"))
            .unwrap_or_default();
        let text = format!(
            "Page for {} ({} level {}{through}): {} {}, not acknowledged since {}. Acknowledge: `incident ack {}`",
            recipient.name,
            page.policy,
            page.level,
            i.severity,
            i.title,
            declared.format("%Y-%m-%d %H:%M UTC"),
            i.id
        );
        for target in config
            .notify
            .targets
            .iter()
            .filter(|t| policy.via.contains(&t.id))
        {
            out.push(Notification {
                key: format!("{}/{}/{}", i.id, page.key(), target.id),
                target: target.id.clone(),
                incident: i.id.clone(),
                title: i.title.clone(),
                severity: i.severity,
                status: i.status.to_string(),
                event: "page".into(),
                event_id: page.key(),
                at: page.due,
                public: false,
                text: text.clone(),
                seq: usize::MAX,
                recipient: Some(recipient.clone()),
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{NewTask, Stamp};

    fn at(t: &str) -> DateTime<Utc> {
        format!("2026-11-25T{t}:00Z").parse().unwrap()
    }

    /// An internal responders' channel and a public one.
    fn config() -> Config {
        let mut config = Config::new("acme");
        config.notify = serde_yaml::from_str(
            "targets:\n  - id: responders\n    kind: slack\n    url_env: X\n    internal: true\n  - id: customers\n    kind: webhook\n    url_env: Y\n",
        )
        .unwrap();
        config
    }

    /// Pages go through the policy's `via` targets only, addressed to the person with the roster's
    /// contacts, keyed per level and person, and none due before `since`.
    #[test]
    fn pages_go_through_the_policys_targets_to_the_person_with_their_contacts() {
        let mut config = config();
        config.people = serde_yaml::from_str(
            "- handle: ana\n  name: Ana Lima\n  email: ana@x.example\n  chat: U1\n  phone: '+1'\n- handle: ben\n",
        )
        .unwrap();
        let paging = Paging {
            escalation: serde_yaml::from_str(
                "policies:\n- id: p\n  levels:\n  - page: [ana]\n    after: 5m\n  - page: [ben]\n    after: 5m\n  via: [responders]\n",
            )
            .unwrap(),
            ..Paging::default()
        };
        let i = Incident::declare(
            "i".into(),
            "Down".into(),
            Severity::Sev1,
            &Stamp {
                at: at("10:00"),
                by: "x".into(),
            },
        );
        let pages = |since: &str, now: &str| -> Vec<Notification> {
            plan(
                std::slice::from_ref(&i),
                &[],
                &config,
                &paging,
                at(since),
                at(now),
            )
            .into_iter()
            .filter(|n| n.event == "page")
            .collect()
        };
        let due = pages("09:00", "10:06");
        let keys: Vec<&str> = due.iter().map(|n| n.key.as_str()).collect();
        assert_eq!(
            keys,
            ["i/page-1-1-ana/responders", "i/page-1-2-ben/responders"]
        );
        let ana = due[0].recipient.as_ref().unwrap();
        assert_eq!(
            (
                ana.name.as_str(),
                ana.email.as_deref(),
                ana.chat.as_deref(),
                ana.phone.as_deref()
            ),
            ("Ana Lima", Some("ana@x.example"), Some("U1"), Some("+1"))
        );
        let ben = due[1].recipient.as_ref().unwrap();
        assert_eq!((ben.name.as_str(), ben.email.as_deref()), ("ben", None));
        assert!(
            due[0]
                .text
                .starts_with("Page for Ana Lima (p level 1): SEV1 Down"),
            "{}",
            due[0].text
        );
        assert_eq!((due[0].at, due[1].at), (at("10:00"), at("10:05")));
        // A page due before `since` is not sent (a first run does not page the past); one due at
        // `since` is.
        let later = pages("10:05", "10:06");
        assert_eq!(later.len(), 1);
        assert_eq!(later[0].key, "i/page-1-2-ben/responders");
    }

    /// A task due soon is reminded once per deadline, to internal channels only; a task done is not.
    #[test]
    fn task_deadlines_are_reminded_once_to_responders() {
        let config = config();
        let stamp = |t: &str| Stamp {
            at: at(t),
            by: "a".into(),
        };
        let mut i = Incident::declare("x".into(), "X".into(), Severity::Sev3, &stamp("10:00"));
        let task = |text: &str, within: &str| NewTask {
            text: text.into(),
            role: Some("comms".into()),
            within: Some(within.parse().unwrap()),
        };
        i.add_task(task("Tell support", "15m"), &stamp("10:00"))
            .unwrap();
        i.add_task(task("Check backups", "2h"), &stamp("10:00"))
            .unwrap();
        let reminders = |i: &Incident, now: &str| -> Vec<Notification> {
            plan(
                std::slice::from_ref(i),
                &[],
                &config,
                &Paging::default(),
                at("09:00"),
                at(now),
            )
            .into_iter()
            .filter(|n| n.event == "reminder")
            .collect()
        };
        assert!(
            reminders(&i, "10:04").is_empty(),
            "not yet ten minutes before"
        );
        let soon = reminders(&i, "10:07");
        assert_eq!(soon.len(), 1, "{soon:?}");
        assert_eq!(soon[0].target, "responders");
        assert_eq!(
            soon[0].text,
            "SEV3 X: task #1 Tell support (comms) due in 8 min"
        );
        let late = reminders(&i, "10:30");
        assert_eq!(
            late[0].key, soon[0].key,
            "one reminder per deadline, whenever it is planned"
        );
        assert!(late[0].text.ends_with("overdue by 15 min"));
        i.close_task(1, crate::model::TaskState::Done, None, &stamp("10:31"))
            .unwrap();
        assert!(reminders(&i, "10:40").is_empty(), "done is done");
    }
}
