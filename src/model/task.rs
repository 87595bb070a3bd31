//! Tasks: the steps of the runbooks an incident follows, copied into its record when the runbook
//! applies (with the runbook's path and the git blob of the version followed), plus any a
//! responder adds. Each is done or skipped once, by whom and when, on the timeline.

use super::runbook::{Anchor, Runbook};
use super::{
    EventKind, Extra, Incident, ModelError, Span, Stamp, TimelineEvent, Visibility, entry_id,
};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Where a task stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TaskState {
    #[default]
    Open,
    Done,
    Skipped,
}

impl TaskState {
    pub fn as_str(self) -> &'static str {
        match self {
            TaskState::Open => "open",
            TaskState::Done => "done",
            TaskState::Skipped => "skipped",
        }
    }
}

/// The runbook step a task was copied from: which file, which version of it, which step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskSource {
    pub path: String,
    /// The git blob of the runbook as it was when attached.
    pub blob: String,
    /// The step's place in the runbook, from 1.
    pub step: u32,
    #[serde(flatten)]
    pub extra: Extra,
}

/// One thing to do for the incident.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Task {
    /// Stable identity for merging (two clones checking off different tasks).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub id: String,
    pub number: u32,
    pub text: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub runbook: Option<TaskSource>,
    /// The role that does it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    /// Who was asked to, by name or handle.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assignee: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub due_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub link: Option<String>,
    /// What checks it off by itself (`comms to customers`: a comms event to customers), as the
    /// runbook step says; see [`DoneWhen`]. Kept as written, so a newer trigger survives here.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub done_when: Option<String>,
    #[serde(default)]
    pub state: TaskState,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub closed_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub closed_by: Option<String>,
    /// What was done, or why it was skipped.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    #[serde(flatten)]
    pub extra: Extra,
}

impl Task {
    pub fn derived_id(&self, incident: &str) -> String {
        let (path, step) = self
            .runbook
            .as_ref()
            .map_or((String::new(), 0), |r| (r.path.clone(), r.step));
        entry_id(
            "t-",
            &[
                incident,
                &path,
                &step.to_string(),
                &self.number.to_string(),
                &self.text,
            ],
        )
    }

    /// Who holds it: the person asked, else the role that does it.
    pub fn holder(&self) -> Option<&str> {
        self.assignee.as_deref().or(self.role.as_deref())
    }

    /// Open and past its deadline.
    pub fn is_overdue(&self, now: DateTime<Utc>) -> bool {
        self.state == TaskState::Open && self.due_at.is_some_and(|d| d < now)
    }
}

/// What checks a runbook step off by itself: the change the step asks for, made by any command,
/// the server or the live view. A responder who did it has nothing more to type, and the board
/// stops saying it is due.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DoneWhen {
    /// `ROLE named` (`commander named`, `comms named`): someone holds the role.
    Role(String),
    /// `update posted`: a status update is posted.
    Update,
    /// `comms to AUDIENCE`: a `comms` event to that audience is logged.
    Comms(String),
    /// `acknowledged`.
    Ack,
    /// `status STATUS`: the incident reaches that status.
    Status(super::Status),
}

impl DoneWhen {
    pub const FORMS: &'static str = "ROLE named (e.g. commander named), update posted, comms to AUDIENCE (e.g. comms to customers), acknowledged, or status STATUS (e.g. status monitoring)";

    /// Whether `event`, new on the timeline of `incident` as it now stands, does it. A state
    /// (a commander, acknowledged, a status reached) is done by any change once it holds, however
    /// it came about (a status change acknowledges too); a message by the event that sends it.
    fn done_by(&self, event: &TimelineEvent, incident: &Incident) -> bool {
        match self {
            DoneWhen::Role(role) => incident.roles.contains_key(role),
            DoneWhen::Update => event.kind == EventKind::Update,
            DoneWhen::Comms(audience) => {
                event.kind == EventKind::Comms
                    && event
                        .audience
                        .as_deref()
                        .is_some_and(|a| a.eq_ignore_ascii_case(audience))
            }
            DoneWhen::Ack => incident.times.acknowledged_at.is_some(),
            DoneWhen::Status(status) => incident.status >= *status,
        }
    }
}

impl std::fmt::Display for DoneWhen {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DoneWhen::Role(role) => write!(f, "{role} named"),
            DoneWhen::Update => f.write_str("update posted"),
            DoneWhen::Comms(audience) => write!(f, "comms to {audience}"),
            DoneWhen::Ack => f.write_str("acknowledged"),
            DoneWhen::Status(status) => write!(f, "status {}", status.as_str()),
        }
    }
}

/// As its words (`comms to customers`), as the runbook says it.
impl Serialize for DoneWhen {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl std::str::FromStr for DoneWhen {
    type Err = String;

    fn from_str(text: &str) -> Result<DoneWhen, String> {
        let words: Vec<&str> = text.split_whitespace().collect();
        let lower: Vec<String> = words.iter().map(|w| w.to_ascii_lowercase()).collect();
        let lower: Vec<&str> = lower.iter().map(String::as_str).collect();
        Ok(match lower.as_slice() {
            [role, "named"] => {
                super::check_name("role name", role).map_err(|e| e.to_string())?;
                DoneWhen::Role(role.to_string())
            }
            ["update", "posted"] => DoneWhen::Update,
            ["comms", "to", _] => DoneWhen::Comms(lower[2].to_string()),
            ["acknowledged"] => DoneWhen::Ack,
            ["status", status] => DoneWhen::Status(status.parse().map_err(|_| {
                format!(
                    "`{}` is not a status: investigating, identified, monitoring or resolved",
                    words[1]
                )
            })?),
            _ => {
                return Err(format!(
                    "`{text}` is not something that checks a step off: {}",
                    Self::FORMS
                ));
            }
        })
    }
}

/// What a responder adds by hand.
#[derive(Debug, Clone, Default)]
pub struct NewTask {
    pub text: String,
    pub role: Option<String>,
    /// Due this long after now.
    pub within: Option<Span>,
}

impl Incident {
    /// The runbooks this incident follows (by path), from its tasks.
    pub fn runbooks_followed(&self) -> Vec<&str> {
        let mut paths: Vec<&str> = self
            .tasks
            .iter()
            .filter_map(|t| t.runbook.as_ref().map(|r| r.path.as_str()))
            .collect();
        paths.dedup();
        paths
    }

    /// Copies the steps of `runbook` (version `blob`) into the record as tasks, unless it is
    /// attached already; their deadlines count from detection, declaration or reaching the
    /// severity, as each step says. The timeline event, or `None` when it was attached before.
    pub fn attach_runbook(
        &mut self,
        runbook: &Runbook,
        blob: &str,
        stamp: &Stamp,
    ) -> Option<TimelineEvent> {
        if self.runbooks_followed().contains(&runbook.path.as_str()) {
            return None;
        }
        let declared = self
            .timeline
            .iter()
            .find(|e| e.kind == EventKind::Declared)
            .map_or(stamp.at, |e| e.at);
        let detected = self.times.detected_at.unwrap_or(declared);
        // The severity the runbook applies at was reached when the incident last became that
        // severe (or worse); now, if the runbook names none.
        let reached = self
            .severity_periods()
            .iter()
            .rev()
            .take_while(|p| {
                runbook.when.severity.is_empty()
                    || runbook.when.severity.iter().any(|s| p.severity <= *s)
            })
            .last()
            .map_or(stamp.at, |p| p.from);
        let first = self.tasks.iter().map(|t| t.number).max().unwrap_or(0) + 1;
        for (n, step) in runbook.steps.iter().enumerate() {
            let due_at = step.within.map(|(span, anchor)| {
                let from = match anchor {
                    Anchor::Detection => detected,
                    Anchor::Declaration => declared,
                    Anchor::Severity => reached,
                };
                from + span.to_chrono()
            });
            let mut task = Task {
                id: String::new(),
                number: first + n as u32,
                text: step.text.clone(),
                runbook: Some(TaskSource {
                    path: runbook.path.clone(),
                    blob: blob.to_string(),
                    step: n as u32 + 1,
                    extra: Extra::new(),
                }),
                role: step.role.clone(),
                assignee: step
                    .role
                    .as_deref()
                    .and_then(|r| self.roles.get(r))
                    .cloned(),
                due_at,
                run: step.run.clone(),
                link: step.link.clone(),
                done_when: step.done_when.as_ref().map(ToString::to_string),
                state: TaskState::Open,
                closed_at: None,
                closed_by: None,
                note: None,
                extra: Extra::new(),
            };
            task.id = task.derived_id(&self.id);
            self.tasks.push(task);
        }
        let text = format!(
            "runbook attached: {} ({}, {} steps)",
            runbook.title,
            runbook.path,
            runbook.steps.len()
        );
        Some(
            self.push_event(stamp, EventKind::Task, text, Visibility::Internal)
                .clone(),
        )
    }

    /// A task added by hand.
    pub fn add_task(&mut self, task: NewTask, stamp: &Stamp) -> Result<TimelineEvent, ModelError> {
        let text = task.text.trim().to_string();
        super::check_line("the task", &text)?;
        if text.is_empty() {
            return Err(ModelError::Invalid(
                "the task is empty: say what to do".into(),
            ));
        }
        let number = self.tasks.iter().map(|t| t.number).max().unwrap_or(0) + 1;
        let mut new = Task {
            id: String::new(),
            number,
            text: text.clone(),
            runbook: None,
            assignee: task
                .role
                .as_deref()
                .and_then(|r| self.roles.get(r))
                .cloned(),
            role: task.role,
            due_at: task.within.map(|w| stamp.at + w.to_chrono()),
            run: None,
            link: None,
            done_when: None,
            state: TaskState::Open,
            closed_at: None,
            closed_by: None,
            note: None,
            extra: Extra::new(),
        };
        new.id = new.derived_id(&self.id);
        self.tasks.push(new);
        let event = format!("task #{number} added: {text}");
        Ok(self
            .push_event(stamp, EventKind::Task, event, Visibility::Internal)
            .clone())
    }

    /// Marks task `number` done or skipped (a skip says why), by the stamp's author at its time.
    pub fn close_task(
        &mut self,
        number: u32,
        state: TaskState,
        note: Option<&str>,
        stamp: &Stamp,
    ) -> Result<TimelineEvent, ModelError> {
        let id = self.id.clone();
        let task = self.task_mut(number)?;
        if task.state != TaskState::Open {
            return Err(ModelError::Refused(format!(
                "task #{number} of `{id}` is {} already",
                task.state.as_str()
            )));
        }
        let note = note.map(str::trim).filter(|n| !n.is_empty());
        if state == TaskState::Skipped && note.is_none() {
            return Err(ModelError::Invalid(
                "--reason is empty: say why the task is skipped".into(),
            ));
        }
        task.state = state;
        task.closed_at = Some(stamp.at);
        task.closed_by = Some(stamp.by.clone());
        task.note = note.map(str::to_string);
        let verb = match state {
            TaskState::Skipped => "skipped",
            _ => "done",
        };
        let why = note.map(|n| format!(": {n}")).unwrap_or_default();
        let text = format!("task #{number} {verb}: {}{why}", task.text);
        Ok(self
            .push_event(stamp, EventKind::Task, text, Visibility::Internal)
            .clone())
    }

    /// Checks off every open task whose `done when` an event not in `before` (the IDs of the
    /// events the record had before this change) does: at that event's time, by its author, the
    /// trigger as the note. The task events it added. A trigger this version does not know is
    /// left for the responder.
    pub fn settle_tasks(
        &mut self,
        before: &std::collections::HashSet<String>,
    ) -> Vec<TimelineEvent> {
        let mut news: Vec<TimelineEvent> = self
            .timeline
            .iter()
            .filter(|e| !before.contains(&e.id) && e.kind != EventKind::Task)
            .cloned()
            .collect();
        news.sort_by_key(|e| e.at);
        let mut done = Vec::new();
        for event in &news {
            let due: Vec<(u32, String)> = self
                .tasks
                .iter()
                .filter(|t| t.state == TaskState::Open)
                .filter_map(|t| {
                    let trigger: DoneWhen = t.done_when.as_deref()?.parse().ok()?;
                    trigger
                        .done_by(event, self)
                        .then(|| (t.number, trigger.to_string()))
                })
                .collect();
            for (number, trigger) in due {
                let stamp = Stamp {
                    at: event.at,
                    by: event.by.clone(),
                };
                if let Ok(e) = self.close_task(number, TaskState::Done, Some(&trigger), &stamp) {
                    done.push(e);
                }
            }
        }
        done
    }

    /// Asks `who` to do task `number`.
    pub fn assign_task(
        &mut self,
        number: u32,
        who: &str,
        stamp: &Stamp,
    ) -> Result<TimelineEvent, ModelError> {
        super::check_name("person", who)?;
        let task = self.task_mut(number)?;
        task.assignee = Some(who.to_string());
        let text = format!("task #{number} assigned to {who}: {}", task.text);
        Ok(self
            .push_event(stamp, EventKind::Task, text, Visibility::Internal)
            .clone())
    }

    fn task_mut(&mut self, number: u32) -> Result<&mut Task, ModelError> {
        let id = self.id.clone();
        let count = self.tasks.len();
        self.tasks
            .iter_mut()
            .find(|t| t.number == number)
            .ok_or_else(|| {
                ModelError::Invalid(format!(
                    "`{id}` has no task #{number} ({count} task(s); `incident task list {id}` lists them)"
                ))
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Severity;

    fn at(t: &str) -> DateTime<Utc> {
        format!("2026-11-25T{t}:00Z").parse().unwrap()
    }

    fn stamp(t: &str) -> Stamp {
        Stamp {
            at: at(t),
            by: "alice".into(),
        }
    }

    const RUNBOOK: &str = "---
title: SEV1 response
when:
  severity: [SEV1]
---
- [ ] Name a commander
  - role: commander
  - within: 5m
- [ ] First status update
  - within: 15m of detection
- [ ] Brief executives
  - within: 1h of severity
";

    const CHECKED_OFF: &str = "---
title: SEV2 response
---
- [ ] Name a commander
  - done when: Commander named
- [ ] Tell customers
  - within: 1h
  - done when: Comms to Customers
- [ ] Get to monitoring
  - done when: status monitoring
- [ ] Someone has it
  - done when: acknowledged
- [ ] A later trigger
";

    /// Each trigger checks off its step when an event of the change does it: at that event's
    /// time, by its author; an event the record had before does nothing, nor does another
    /// audience, another status, or a trigger this version does not know.
    #[test]
    fn a_step_is_checked_off_by_the_change_that_does_it() {
        let runbook = Runbook::parse("runbooks/sev2.md", CHECKED_OFF).unwrap();
        assert_eq!(
            runbook.steps[1].done_when,
            Some(DoneWhen::Comms("customers".into()))
        );
        let mut i = Incident::declare("x".into(), "X".into(), Severity::Sev2, &stamp("10:00"));
        i.attach_runbook(&runbook, "abc", &stamp("10:00")).unwrap();
        i.tasks[4].done_when = Some("phase of the moon".into());
        let ids = |i: &Incident| i.timeline.iter().map(|e| e.id.clone()).collect();
        let open = |i: &Incident| -> Vec<u32> {
            i.tasks
                .iter()
                .filter(|t| t.state == TaskState::Open)
                .map(|t| t.number)
                .collect()
        };
        // Nothing new: nothing checked off.
        assert!(i.settle_tasks(&ids(&i)).is_empty());
        // Executives told and a status change: not the customers' step, nor monitoring; but the
        // status change acknowledged it.
        let before = ids(&i);
        let bob = Stamp {
            at: at("10:20"),
            by: "bob".into(),
        };
        i.push_event(
            &bob,
            EventKind::Comms,
            "told the board".into(),
            Visibility::Internal,
        )
        .audience = Some("executives".into());
        i.set_status(
            super::super::Status::Identified,
            None,
            crate::model::Reopen::No,
            &bob,
        )
        .unwrap();
        let done = i.settle_tasks(&before);
        assert_eq!(done.len(), 1, "{done:?}");
        assert_eq!(open(&i), [1, 2, 3, 5]);
        // Customers told: step 2, at 10:25 by carol, the trigger as its note.
        let before = ids(&i);
        let carol = Stamp {
            at: at("10:25"),
            by: "carol".into(),
        };
        i.push_event(
            &carol,
            EventKind::Comms,
            "emailed".into(),
            Visibility::Internal,
        )
        .audience = Some("Customers".into());
        let done = i.settle_tasks(&before);
        assert_eq!(done.len(), 1);
        assert_eq!(
            done[0].text,
            "task #2 done: Tell customers: comms to customers"
        );
        let task = &i.tasks[1];
        assert_eq!(
            (task.state, task.closed_at, task.closed_by.as_deref()),
            (TaskState::Done, Some(at("10:25")), Some("carol"))
        );
        // A commander and straight to resolved in one change: both steps (resolved is past
        // monitoring).
        let before = ids(&i);
        i.assign(&[("commander".into(), "dana".into())], &stamp("10:30"))
            .unwrap();
        i.set_status(
            super::super::Status::Resolved,
            None,
            crate::model::Reopen::No,
            &stamp("10:32"),
        )
        .unwrap();
        assert_eq!(i.settle_tasks(&before).len(), 2);
        assert_eq!(
            open(&i),
            [5],
            "the unknown trigger is left to the responder"
        );
        // Once done, never again.
        let before = ids(&i);
        i.push_event(
            &carol,
            EventKind::Comms,
            "again".into(),
            Visibility::Internal,
        )
        .audience = Some("customers".into());
        assert!(i.settle_tasks(&before).is_empty());
    }

    /// A message sent before the step was attached does not do it (the customers told of a
    /// SEV3 are told again when it becomes a SEV2); the next one does. An update only by an
    /// update.
    #[test]
    fn only_a_message_of_the_change_checks_a_step_off() {
        let runbook = Runbook::parse(
            "runbooks/sev2.md",
            "---\ntitle: x\n---\n- [ ] Tell customers\n  - done when: comms to customers\n- [ ] First update\n  - done when: update posted\n",
        )
        .unwrap();
        let mut i = Incident::declare("x".into(), "X".into(), Severity::Sev3, &stamp("10:00"));
        i.push_event(
            &stamp("10:05"),
            EventKind::Comms,
            "told".into(),
            Visibility::Internal,
        )
        .audience = Some("customers".into());
        let before: std::collections::HashSet<String> =
            i.timeline.iter().map(|e| e.id.clone()).collect();
        i.set_severity(Severity::Sev2, None, &stamp("10:10"))
            .unwrap();
        i.attach_runbook(&runbook, "abc", &stamp("10:10")).unwrap();
        assert!(i.settle_tasks(&before).is_empty(), "{:?}", i.tasks);
        let before: std::collections::HashSet<String> =
            i.timeline.iter().map(|e| e.id.clone()).collect();
        i.push_event(
            &stamp("10:20"),
            EventKind::Note,
            "a note".into(),
            Visibility::Internal,
        );
        assert!(i.settle_tasks(&before).is_empty(), "a note is no update");
        i.push_event(
            &stamp("10:25"),
            EventKind::Update,
            "status update".into(),
            Visibility::Public,
        );
        i.push_event(
            &stamp("10:26"),
            EventKind::Comms,
            "told again".into(),
            Visibility::Internal,
        )
        .audience = Some("customers".into());
        let done = i.settle_tasks(&before);
        assert_eq!(done.len(), 2, "{done:?}");
        assert_eq!(i.tasks[0].closed_at, Some(at("10:26")));
        assert_eq!(i.tasks[1].closed_at, Some(at("10:25")));
    }

    #[test]
    fn a_trigger_reads_back_as_written_and_a_wrong_one_names_the_forms() {
        for text in [
            "commander named",
            "comms named",
            "update posted",
            "comms to customers",
            "acknowledged",
            "status monitoring",
        ] {
            assert_eq!(text.parse::<DoneWhen>().unwrap().to_string(), text);
        }
        let err = "status sideways".parse::<DoneWhen>().unwrap_err();
        assert!(err.contains("`sideways` is not a status"), "{err}");
        let err = "when done".parse::<DoneWhen>().unwrap_err();
        assert!(err.contains("comms to AUDIENCE"), "{err}");
        let err = Runbook::parse(
            "runbooks/x.md",
            "---\ntitle: x\n---\n- [ ] a\n  - done when: soon\n",
        )
        .unwrap_err();
        assert!(err.to_string().contains("done when"), "{err}");
    }

    #[test]
    fn a_runbook_attaches_once_with_deadlines_from_what_each_step_says() {
        let runbook = Runbook::parse("runbooks/sev1.md", RUNBOOK).unwrap();
        let mut i = Incident::declare("x".into(), "X".into(), Severity::Sev2, &stamp("10:00"));
        i.times.detected_at = Some(at("09:50"));
        i.roles.insert("commander".into(), "dana".into());
        i.set_severity(Severity::Sev1, None, &stamp("10:20"))
            .unwrap();
        let event = i
            .attach_runbook(&runbook, "abc123", &stamp("10:20"))
            .unwrap();
        assert!(event.text.contains("SEV1 response"));
        let due: Vec<Option<DateTime<Utc>>> = i.tasks.iter().map(|t| t.due_at).collect();
        assert_eq!(
            due,
            [Some(at("10:05")), Some(at("10:05")), Some(at("11:20"))]
        );
        assert_eq!(
            i.tasks[0].assignee.as_deref(),
            Some("dana"),
            "the role's holder"
        );
        assert_eq!(i.tasks[2].runbook.as_ref().unwrap().step, 3);
        assert_eq!(i.tasks[2].runbook.as_ref().unwrap().blob, "abc123");
        assert!(
            i.attach_runbook(&runbook, "def456", &stamp("10:30"))
                .is_none(),
            "never twice"
        );
        assert_eq!(i.tasks.len(), 3);
        assert!(i.tasks[0].is_overdue(at("10:06")) && !i.tasks[2].is_overdue(at("10:06")));
    }

    #[test]
    fn tasks_are_done_or_skipped_once_and_a_skip_says_why() {
        let mut i = Incident::declare("x".into(), "X".into(), Severity::Sev2, &stamp("10:00"));
        let new = NewTask {
            text: "Page the database team".into(),
            role: None,
            within: Some("10m".parse().unwrap()),
        };
        i.add_task(new, &stamp("10:01")).unwrap();
        assert_eq!(i.tasks[0].due_at, Some(at("10:11")));
        assert!(
            i.close_task(1, TaskState::Skipped, None, &stamp("10:02"))
                .is_err()
        );
        let done = i
            .close_task(1, TaskState::Done, Some("paged"), &stamp("10:03"))
            .unwrap();
        assert_eq!(done.text, "task #1 done: Page the database team: paged");
        assert_eq!(i.tasks[0].closed_by.as_deref(), Some("alice"));
        assert!(
            i.close_task(1, TaskState::Done, None, &stamp("10:04"))
                .is_err(),
            "once"
        );
        assert!(
            i.close_task(7, TaskState::Done, None, &stamp("10:04"))
                .is_err()
        );
        assert!(!i.tasks[0].is_overdue(at("12:00")), "done is never overdue");
    }
}
