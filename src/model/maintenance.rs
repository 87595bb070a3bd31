//! A scheduled maintenance window, stored in `maintenance/<year>/<id>.yaml`: announced ahead, then
//! started, verified and completed, each step a commit like any change to an incident.
//!
//! Maintenance is not an incident: the metrics never read these files, and uptime counts the time
//! apart (see `docs/metrics.md`). Its text is public by nature (it is written for the status page);
//! who wrote it is recorded but never published.

use super::{
    ComponentPeriod, ComponentStatus, Extra, Finding, Level, ModelError, Rule, Span, Stamp,
    entry_id,
};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;

/// Statuspage's maintenance statuses, in lifecycle order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MaintenanceStatus {
    Scheduled,
    InProgress,
    Verifying,
    Completed,
}

impl MaintenanceStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Scheduled => "scheduled",
            Self::InProgress => "in_progress",
            Self::Verifying => "verifying",
            Self::Completed => "completed",
        }
    }

    /// Whether the work is under way (the page shows the services as under maintenance).
    pub fn is_active(self) -> bool {
        matches!(self, Self::InProgress | Self::Verifying)
    }
}

impl fmt::Display for MaintenanceStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for MaintenanceStatus {
    type Err = ModelError;
    fn from_str(s: &str) -> Result<Self, ModelError> {
        let wanted = s.trim().to_ascii_lowercase().replace(['-', ' '], "_");
        [
            Self::Scheduled,
            Self::InProgress,
            Self::Verifying,
            Self::Completed,
        ]
        .into_iter()
        .find(|m| m.as_str() == wanted)
        .ok_or_else(|| {
            ModelError::Invalid(format!(
                "invalid maintenance status `{s}`: expected one of scheduled, in_progress, verifying, completed"
            ))
        })
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MaintenanceUpdate {
    pub id: String,
    pub at: DateTime<Utc>,
    /// Kept for the audit trail; never published.
    pub by: String,
    pub status: MaintenanceStatus,
    pub text: String,
    #[serde(flatten)]
    pub extra: Extra,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Maintenance {
    pub version: u32,
    #[serde(deserialize_with = "super::name::record_id")]
    pub id: String,
    pub title: String,
    pub status: MaintenanceStatus,
    #[serde(default, deserialize_with = "super::name::services")]
    pub services: Vec<String>,
    pub scheduled_for: DateTime<Utc>,
    pub scheduled_until: DateTime<Utc>,
    /// How long before the start subscribers are reminded (Statuspage's `scheduled_remind_prior`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notify_before: Option<Span>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub completed_at: Option<DateTime<Utc>>,
    /// Set when the window was called off before it started (`maintenance cancel`); it is then
    /// completed without ever having started.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cancelled_at: Option<DateTime<Utc>>,
    /// Oldest first.
    #[serde(default)]
    pub updates: Vec<MaintenanceUpdate>,
    #[serde(flatten)]
    pub extra: Extra,
}

/// What `maintenance schedule` is given.
pub struct MaintenanceSpec {
    pub title: String,
    pub services: Vec<String>,
    pub from: DateTime<Utc>,
    pub until: DateTime<Utc>,
    pub notify_before: Option<Span>,
    pub message: Option<String>,
}

impl Maintenance {
    pub fn schedule(spec: MaintenanceSpec, stamp: &Stamp) -> Result<Maintenance, ModelError> {
        super::check_line("the title", &spec.title)?;
        if spec.title.trim().is_empty() {
            return Err(ModelError::Invalid("the title may not be empty".into()));
        }
        if spec.services.is_empty() {
            return Err(ModelError::Invalid(
                "name at least one service the maintenance affects (--service)".into(),
            ));
        }
        if spec.until <= spec.from {
            return Err(ModelError::Invalid(format!(
                "--until ({}) must be after --from ({})",
                spec.until.to_rfc3339(),
                spec.from.to_rfc3339()
            )));
        }
        let id = format!(
            "{}-{}",
            spec.from.format("%Y-%m-%d"),
            super::slugify(&spec.title)
        );
        super::check_record_id(&id)?;
        let text = match spec.message {
            Some(m) => m,
            None => format!(
                "{} is scheduled; the services named may be unavailable during the window.",
                spec.title.trim()
            ),
        };
        let mut m = Maintenance {
            version: super::FORMAT_VERSION,
            id,
            title: spec.title.trim().to_string(),
            status: MaintenanceStatus::Scheduled,
            services: spec.services,
            scheduled_for: spec.from,
            scheduled_until: spec.until,
            notify_before: spec.notify_before,
            started_at: None,
            completed_at: None,
            cancelled_at: None,
            updates: Vec::new(),
            extra: Extra::new(),
        };
        m.post(MaintenanceStatus::Scheduled, text, stamp)?;
        Ok(m)
    }

    /// Moves the window to `status` with a public message. Completed is final; the lifecycle only
    /// moves forward (an update may repeat the current status).
    pub fn advance(
        &mut self,
        status: MaintenanceStatus,
        text: String,
        stamp: &Stamp,
    ) -> Result<(), ModelError> {
        if self.status == MaintenanceStatus::Completed {
            return Err(ModelError::Refused(format!(
                "maintenance `{}` is completed; schedule a new window instead",
                self.id
            )));
        }
        if status < self.status {
            return Err(ModelError::Refused(format!(
                "maintenance `{}` is {}; it cannot go back to {status}",
                self.id, self.status
            )));
        }
        if status.is_active() && self.started_at.is_none() {
            self.started_at = Some(stamp.at);
        }
        if status == MaintenanceStatus::Completed {
            self.started_at.get_or_insert(stamp.at);
            self.completed_at = Some(stamp.at);
        }
        self.status = status;
        self.post(status, text, stamp)
    }

    /// Calls the window off before it started, telling customers why: it is completed without ever
    /// having started, so its services were never under maintenance.
    pub fn cancel(&mut self, reason: &str, stamp: &Stamp) -> Result<(), ModelError> {
        if self.status != MaintenanceStatus::Scheduled {
            return Err(ModelError::Refused(format!(
                "maintenance `{}` is {}: only a window that has not started can be cancelled; end it with `incident maintenance complete {}`",
                self.id, self.status, self.id
            )));
        }
        let reason = reason.trim();
        if reason.is_empty() {
            return Err(ModelError::Invalid(
                "say why it is cancelled (--reason): customers planned around it".into(),
            ));
        }
        super::check_text("--reason", reason)?;
        self.cancelled_at = Some(stamp.at);
        self.completed_at = Some(stamp.at);
        self.status = MaintenanceStatus::Completed;
        let end = if reason.ends_with(['.', '!', '?']) {
            ""
        } else {
            "."
        };
        self.post(
            MaintenanceStatus::Completed,
            format!("This scheduled maintenance has been cancelled: {reason}{end}"),
            stamp,
        )
    }

    /// Moves a window that has not started to a new slot, telling customers.
    pub fn reschedule(
        &mut self,
        from: DateTime<Utc>,
        until: DateTime<Utc>,
        stamp: &Stamp,
    ) -> Result<(), ModelError> {
        if self.status != MaintenanceStatus::Scheduled {
            return Err(ModelError::Refused(format!(
                "maintenance `{}` is {}: only a window that has not started can be rescheduled",
                self.id, self.status
            )));
        }
        if until <= from {
            return Err(ModelError::Invalid(format!(
                "--until ({}) must be after --from ({})",
                until.to_rfc3339(),
                from.to_rfc3339()
            )));
        }
        if (from, until) == (self.scheduled_for, self.scheduled_until) {
            return Err(ModelError::Refused(format!(
                "maintenance `{}` is already scheduled for that slot",
                self.id
            )));
        }
        self.scheduled_for = from;
        self.scheduled_until = until;
        let when = |t: DateTime<Utc>| t.format("%Y-%m-%d %H:%M UTC").to_string();
        self.post(
            MaintenanceStatus::Scheduled,
            format!(
                "This maintenance has been rescheduled to {} – {}.",
                when(from),
                when(until)
            ),
            stamp,
        )
    }

    fn post(
        &mut self,
        status: MaintenanceStatus,
        text: String,
        stamp: &Stamp,
    ) -> Result<(), ModelError> {
        super::check_text("the maintenance message", &text)?;
        if text.trim().is_empty() {
            return Err(ModelError::Invalid(
                "the maintenance message may not be empty (--message)".into(),
            ));
        }
        let base = entry_id(
            "m-",
            &[&self.id, &stamp.at.to_rfc3339(), status.as_str(), &text],
        );
        let mut id = base.clone();
        let mut n = 1;
        while self.updates.iter().any(|u| u.id == id) {
            n += 1;
            id = entry_id("m-", &[&base, &n.to_string()]);
        }
        let pos = self.updates.partition_point(|u| u.at <= stamp.at);
        self.updates.insert(
            pos,
            MaintenanceUpdate {
                id,
                at: stamp.at,
                by: stamp.by.clone(),
                status,
                text: text.trim().to_string(),
                extra: Extra::new(),
            },
        );
        Ok(())
    }

    /// When the services were (or are) under maintenance: from the start to the completion (or `now`
    /// while it lasts); nothing before it starts.
    pub fn window(&self) -> Option<(DateTime<Utc>, Option<DateTime<Utc>>)> {
        self.started_at.map(|s| (s, self.completed_at))
    }

    /// The maintenance periods of its services, as incidents give theirs.
    pub fn component_periods(&self) -> Vec<ComponentPeriod> {
        let Some((from, until)) = self.window() else {
            return Vec::new();
        };
        self.services
            .iter()
            .map(|s| ComponentPeriod {
                component: s.clone(),
                status: ComponentStatus::UnderMaintenance,
                from,
                until,
            })
            .filter(|p| p.until.is_none_or(|u| u > p.from))
            .collect()
    }
}

impl Maintenance {
    /// What `incident check` reports about a window: data that cannot be right (errors) and a
    /// window the team forgot (warnings: not started an hour after its slot, overrunning, never
    /// completed).
    pub fn check(&self, config: &super::Config, now: DateTime<Utc>, file: &str) -> Vec<Finding> {
        let finding = |rule, level, field: &str, problem: String, fix: &str| Finding {
            rule,
            level,
            file: file.to_string(),
            field: field.to_string(),
            problem,
            fix: fix.to_string(),
        };
        let mut out = Vec::new();
        if self.scheduled_until <= self.scheduled_for {
            out.push(finding(
                Rule::MaintenanceEndsBeforeStart,
                Level::Error,
                "scheduled_until",
                "the window ends before it starts".into(),
                "fix the times in the file",
            ));
        }
        for s in &self.services {
            if !config.services.is_empty() && config.service(s).is_none() {
                out.push(finding(
                    Rule::UnknownService,
                    Level::Error,
                    "services",
                    format!("unknown service `{s}`"),
                    "add it to the catalog in .incident.yaml or fix the name",
                ));
            }
        }
        let started = self.started_at.is_some();
        let completed = self.completed_at.is_some();
        let consistent = match self.status {
            MaintenanceStatus::Scheduled => !started && !completed,
            MaintenanceStatus::InProgress | MaintenanceStatus::Verifying => started && !completed,
            MaintenanceStatus::Completed => completed && (started || self.cancelled_at.is_some()),
        };
        if !consistent {
            out.push(finding(
                Rule::MaintenanceStatusMismatch,
                Level::Error,
                "status",
                format!(
                    "status {} does not match started_at/completed_at",
                    self.status
                ),
                "use `incident maintenance start/complete` rather than editing the file",
            ));
        }
        let hour = chrono::Duration::hours(1);
        if self.status == MaintenanceStatus::Scheduled && now > self.scheduled_for + hour {
            out.push(finding(
                Rule::MaintenanceNotStarted,
                Level::Warning,
                "status",
                "still scheduled an hour after its start".into(),
                &format!("`incident maintenance start {}` or reschedule it", self.id),
            ));
        }
        if self.status.is_active() && now > self.scheduled_until {
            out.push(finding(
                Rule::MaintenanceOverrunning,
                Level::Warning,
                "scheduled_until",
                "in progress past the announced end".into(),
                &format!(
                    "`incident maintenance update {} --message ...` to tell customers, or complete it",
                    self.id
                ),
            ));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(hm: &str) -> DateTime<Utc> {
        format!("2026-11-30T{hm}:00Z").parse().unwrap()
    }

    fn stamp(hm: &str) -> Stamp {
        Stamp {
            at: t(hm),
            by: "alice".into(),
        }
    }

    fn spec() -> MaintenanceSpec {
        MaintenanceSpec {
            title: "Database upgrade".into(),
            services: vec!["api".into()],
            from: t("02:00"),
            until: t("04:00"),
            notify_before: None,
            message: None,
        }
    }

    #[test]
    fn the_lifecycle_moves_forward_and_records_the_window() {
        let mut m = Maintenance::schedule(spec(), &stamp("00:00")).unwrap();
        assert_eq!(m.id, "2026-11-30-database-upgrade");
        assert!(m.component_periods().is_empty());
        m.advance(
            MaintenanceStatus::InProgress,
            "Started".into(),
            &stamp("02:05"),
        )
        .unwrap();
        m.advance(
            MaintenanceStatus::Verifying,
            "Checking".into(),
            &stamp("03:00"),
        )
        .unwrap();
        let back = m
            .advance(
                MaintenanceStatus::InProgress,
                "Again".into(),
                &stamp("03:10"),
            )
            .unwrap_err();
        assert!(back.to_string().contains("cannot go back"), "{back}");
        m.advance(MaintenanceStatus::Completed, "Done".into(), &stamp("03:30"))
            .unwrap();
        assert_eq!(m.window(), Some((t("02:05"), Some(t("03:30")))));
        assert_eq!(m.updates.len(), 4);
        let p = m.component_periods();
        assert_eq!(p.len(), 1);
        assert_eq!(p[0].status, ComponentStatus::UnderMaintenance);
        assert!(
            m.advance(MaintenanceStatus::Completed, "x".into(), &stamp("03:40"))
                .is_err()
        );
    }

    #[test]
    fn a_window_must_end_after_it_starts_and_name_a_service() {
        let mut s = spec();
        s.until = s.from;
        assert!(Maintenance::schedule(s, &stamp("00:00")).is_err());
        let mut s = spec();
        s.services.clear();
        let e = Maintenance::schedule(s, &stamp("00:00")).unwrap_err();
        assert!(e.to_string().contains("--service"), "{e}");
    }
}
