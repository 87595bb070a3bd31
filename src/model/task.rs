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
