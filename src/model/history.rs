//! The record as it was at each moment: which severity the incident had, who held which role, and the
//! episodes between a declaration (or a reopen) and a resolution. Documents and deadlines need these:
//! a post-mortem names the role a person held when they acted, "time in SEV1" is the time actually
//! spent at SEV1, and a deadline runs from the moment the severity that imposes it was reached.
//!
//! Everything is read from the timeline the tool writes (`severity SEV2 → SEV1`, `assigned commander:
//! alice → bob`, `reopened: resolved → investigating`), walking back from the record's current state,
//! so records written before this module existed are read the same way.

use super::{Incident, Severity};
use chrono::{DateTime, Duration, Utc};
use std::collections::BTreeMap;

/// A stretch of time at one severity; `until` is `None` while it lasts.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct SeverityPeriod {
    pub severity: Severity,
    pub from: DateTime<Utc>,
    pub until: Option<DateTime<Utc>>,
}

/// Who held a role from when to when; `until` is `None` while they hold it.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct RolePeriod {
    pub role: String,
    pub who: String,
    pub from: DateTime<Utc>,
    pub until: Option<DateTime<Utc>>,
}

/// From a declaration or a reopen to the resolution that ended it (`None`: still open).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Episode {
    pub from: DateTime<Utc>,
    pub until: Option<DateTime<Utc>>,
}

/// `severity SEV2 → SEV1: reason` → (SEV2, SEV1).
fn severity_change(text: &str) -> Option<(Severity, Severity)> {
    let rest = text.strip_prefix("severity ")?;
    let (from, rest) = rest.split_once(" → ")?;
    let to = rest.split(':').next()?.trim();
    Some((from.trim().parse().ok()?, to.parse().ok()?))
}

/// One role change of an `assign` event: (role, before, after), `None` meaning nobody.
type RoleChange = (String, Option<String>, Option<String>);

/// `assigned commander: alice → bob, comms: carol, scribe: dan → nobody`.
fn role_changes(text: &str) -> Vec<RoleChange> {
    let Some(rest) = text.strip_prefix("assigned ") else {
        return Vec::new();
    };
    rest.split(", ")
        .filter_map(|part| {
            let (role, change) = part.split_once(": ")?;
            let (before, after) = match change.split_once(" → ") {
                Some((b, a)) => (Some(b.to_string()), a.to_string()),
                None => (None, change.to_string()),
            };
            let after = (after != "nobody").then_some(after);
            Some((role.to_string(), before, after))
        })
        .collect()
}

impl Incident {
    /// When the incident began for the documents: detection, else the declaration.
    pub fn began_at(&self) -> Option<DateTime<Utc>> {
        self.times.detected_at.or_else(|| {
            self.timeline
                .iter()
                .find(|e| e.kind == crate::model::EventKind::Declared)
                .map(|e| e.at)
        })
    }

    /// The changes `incident severity` recorded, as (when, from, to), in timeline order; the
    /// timeline is the only place they are kept.
    pub fn severity_changes(&self) -> Vec<(DateTime<Utc>, Severity, Severity)> {
        self.timeline
            .iter()
            .filter(|e| e.kind == crate::model::EventKind::Severity)
            .filter_map(|e| severity_change(&e.text).map(|(f, t)| (e.at, f, t)))
            .collect()
    }

    /// The severity periods from the beginning to now (or the resolution), in order.
    pub fn severity_periods(&self) -> Vec<SeverityPeriod> {
        let Some(began) = self.began_at() else {
            return Vec::new();
        };
        let changes = self.severity_changes();
        let mut current = changes.first().map_or(self.severity, |(_, from, _)| *from);
        let mut from = began;
        let mut out = Vec::new();
        for (at, _, to) in changes {
            let at = at.max(from);
            if to != current {
                if at > from {
                    out.push(SeverityPeriod {
                        severity: current,
                        from,
                        until: Some(at),
                    });
                }
                from = at;
                current = to;
            }
        }
        out.push(SeverityPeriod {
            severity: current,
            from,
            until: self.times.resolved_at.filter(|r| *r >= from),
        });
        out
    }

    /// The most severe severity the incident ever had.
    pub fn peak_severity(&self) -> Severity {
        self.severity_periods()
            .iter()
            .map(|p| p.severity)
            .min()
            .unwrap_or(self.severity)
    }

    /// The severity at moment `t`.
    pub fn severity_at(&self, t: DateTime<Utc>) -> Severity {
        self.severity_periods()
            .iter()
            .rev()
            .find(|p| p.from <= t)
            .or(self.severity_periods().first())
            .map_or(self.severity, |p| p.severity)
    }

    /// Time actually spent at each severity, up to the resolution or `now`.
    pub fn time_at_severity(&self, now: DateTime<Utc>) -> BTreeMap<Severity, Duration> {
        let mut out = BTreeMap::new();
        for p in self.severity_periods() {
            let until = p.until.unwrap_or(now).max(p.from);
            *out.entry(p.severity).or_insert_with(Duration::zero) += until - p.from;
        }
        out
    }

    /// Who held which role when. Roles given at declaration start at the declaration.
    pub fn role_periods(&self) -> Vec<RolePeriod> {
        let declared = self
            .timeline
            .iter()
            .find(|e| e.kind == crate::model::EventKind::Declared)
            .map(|e| e.at)
            .or(self.times.detected_at);
        let Some(declared) = declared else {
            return Vec::new();
        };
        let assigns: Vec<(DateTime<Utc>, Vec<RoleChange>)> = self
            .timeline
            .iter()
            .filter(|e| e.kind == crate::model::EventKind::Assign)
            .map(|e| (e.at, role_changes(&e.text)))
            .collect();
        // Walk back from today's roles to the roles at declaration.
        let mut holders: BTreeMap<String, String> = self.roles.clone();
        for (_, changes) in assigns.iter().rev() {
            for (role, before, _) in changes.iter().rev() {
                match before {
                    Some(b) => holders.insert(role.clone(), b.clone()),
                    None => holders.remove(role),
                };
            }
        }
        let mut open: BTreeMap<String, (String, DateTime<Utc>)> = holders
            .into_iter()
            .map(|(role, who)| (role, (who, declared)))
            .collect();
        let mut out = Vec::new();
        for (at, changes) in assigns {
            for (role, _, after) in changes {
                if let Some((who, from)) = open.remove(&role) {
                    out.push(RolePeriod {
                        role: role.clone(),
                        who,
                        from,
                        until: Some(at),
                    });
                }
                if let Some(who) = after {
                    open.insert(role, (who, at));
                }
            }
        }
        for (role, (who, from)) in open {
            out.push(RolePeriod {
                role,
                who,
                from,
                until: None,
            });
        }
        out.sort_by(|a, b| (a.from, &a.role).cmp(&(b.from, &b.role)));
        out
    }

    /// The roles `who` held at moment `t` (an event at the same second as a handoff sees the
    /// handoff).
    pub fn roles_of_at(&self, who: &str, t: DateTime<Utc>) -> Vec<String> {
        self.role_periods()
            .into_iter()
            .filter(|p| p.who == who && p.from <= t && p.until.is_none_or(|u| u > t))
            .map(|p| p.role)
            .collect()
    }

    /// The episodes: declared (or detected) to the first resolution, each reopen to the next
    /// resolution.
    pub fn episodes(&self) -> Vec<Episode> {
        let Some(began) = self.began_at() else {
            return Vec::new();
        };
        let mut out = Vec::new();
        let mut from = Some(began);
        for e in &self.timeline {
            let reopen =
                e.kind == crate::model::EventKind::Status && e.text.starts_with("reopened");
            if e.kind == crate::model::EventKind::Resolved {
                if let Some(f) = from.take() {
                    out.push(Episode {
                        from: f,
                        until: Some(e.at.max(f)),
                    });
                }
            } else if reopen && from.is_none() {
                from = Some(e.at);
            }
        }
        if let Some(f) = from {
            out.push(Episode {
                from: f,
                until: self.times.resolved_at.filter(|r| *r >= f),
            });
        }
        out
    }

    /// The severity and lifecycle status just after timeline event `seq` (events of one second
    /// keep their order; `usize::MAX`: after all of them).
    pub fn state_through(&self, seq: usize) -> (Severity, super::Status) {
        let mut severity = self
            .severity_changes()
            .first()
            .map_or(self.severity, |(_, from, _)| *from);
        let mut status = super::Status::Investigating;
        for e in self.timeline.iter().take(seq.saturating_add(1)) {
            if e.kind == crate::model::EventKind::Resolved {
                status = super::Status::Resolved;
            } else if e.kind == crate::model::EventKind::Severity
                && let Some((_, to)) = severity_change(&e.text)
            {
                severity = to;
            } else if let Some(to) = status_change_to(e) {
                status = to;
            }
        }
        (severity, status)
    }

    /// Every public status change, in timeline order: when, the event's ID, and the status it
    /// moved to (a resolution included).
    pub fn status_changes(&self) -> Vec<(DateTime<Utc>, &str, super::Status)> {
        self.timeline
            .iter()
            .filter(|e| e.visibility.is_public())
            .filter_map(|e| {
                let to = if e.kind == crate::model::EventKind::Resolved {
                    super::Status::Resolved
                } else {
                    status_change_to(e)?
                };
                Some((e.at, e.id.as_str(), to))
            })
            .collect()
    }

    /// Whether the incident was ever reopened after a resolution.
    pub fn was_reopened(&self) -> bool {
        self.episodes().len() > 1
    }
}

/// The status a `status` event moved to (`status identified → monitoring: note`).
fn status_change_to(e: &super::TimelineEvent) -> Option<super::Status> {
    if e.kind != crate::model::EventKind::Status {
        return None;
    }
    let (_, to) = e.text.split_once(" → ")?;
    to.split(':').next().unwrap_or("").trim().parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Stamp, Status};

    fn t(hm: &str) -> DateTime<Utc> {
        format!("2026-11-25T{hm}:00Z").parse().unwrap()
    }

    fn stamp(hm: &str, by: &str) -> Stamp {
        Stamp {
            at: t(hm),
            by: by.into(),
        }
    }

    /// Declared SEV2 by the on-call at 10:00, escalated to SEV1 at 10:06, commander handed from
    /// oscar to alice at 10:10, resolved at 11:00.
    fn sev1_story() -> Incident {
        let mut i = Incident::declare(
            "2026-11-25-x".into(),
            "Checkout down".into(),
            Severity::Sev2,
            &stamp("10:00", "oscar"),
        );
        i.assign(
            &[("commander".into(), "oscar".into())],
            &stamp("10:00", "oscar"),
        )
        .unwrap();
        i.set_severity(Severity::Sev1, None, &stamp("10:06", "oscar"))
            .unwrap();
        i.assign(
            &[
                ("commander".into(), "alice".into()),
                ("comms".into(), "bob".into()),
            ],
            &stamp("10:10", "alice"),
        )
        .unwrap();
        i.set_status(
            Status::Resolved,
            None,
            crate::model::Reopen::No,
            &stamp("11:00", "alice"),
        )
        .unwrap();
        i
    }

    #[test]
    fn state_through_follows_severity_status_and_resolution_events_only() {
        let mut i = sev1_story();
        // A note worded like a change is not one.
        let mut note = i.timeline[2].clone();
        note.kind = crate::model::EventKind::Note;
        note.text = "severity SEV1 → SEV4: only a note".into();
        i.timeline.insert(3, note);
        let kinds: Vec<&str> = i.timeline.iter().map(|e| e.kind.as_str()).collect();
        assert_eq!(
            kinds,
            [
                "declared", "assign", "severity", "note", "assign", "resolved"
            ]
        );
        assert_eq!(i.state_through(0), (Severity::Sev2, Status::Investigating));
        assert_eq!(i.state_through(1), (Severity::Sev2, Status::Investigating));
        assert_eq!(i.state_through(2), (Severity::Sev1, Status::Investigating));
        assert_eq!(i.state_through(3), (Severity::Sev1, Status::Investigating));
        assert_eq!(i.state_through(4), (Severity::Sev1, Status::Investigating));
        assert_eq!(i.state_through(5), (Severity::Sev1, Status::Resolved));
        assert_eq!(
            i.state_through(usize::MAX),
            (Severity::Sev1, Status::Resolved)
        );
    }

    #[test]
    fn status_changes_are_the_public_moves_with_their_event() {
        let mut i = sev1_story();
        i.set_status(
            Status::Identified,
            Some("reopened"),
            crate::model::Reopen::Yes,
            &stamp("11:10", "alice"),
        )
        .unwrap();
        i.push_event(
            &stamp("11:20", "alice"),
            crate::model::EventKind::Status,
            "status identified → monitoring".into(),
            crate::model::Visibility::Internal,
        );
        i.push_event(
            &stamp("11:25", "alice"),
            crate::model::EventKind::Note,
            "status identified → monitoring".into(),
            crate::model::Visibility::Public,
        );
        let changes: Vec<_> = i
            .status_changes()
            .into_iter()
            .map(|(at, id, to)| (at, id.starts_with("e-"), to))
            .collect();
        assert_eq!(
            changes,
            [
                (t("11:00"), true, Status::Resolved),
                (t("11:10"), true, Status::Identified),
            ],
            "the resolution and the reopen; not an internal status event, not a note"
        );
    }

    #[test]
    fn severity_periods_peak_and_time_at_each() {
        let i = sev1_story();
        let periods = i.severity_periods();
        assert_eq!(periods.len(), 2);
        assert_eq!(
            (periods[0].severity, periods[0].from),
            (Severity::Sev2, t("10:00"))
        );
        assert_eq!(
            (periods[1].severity, periods[1].from),
            (Severity::Sev1, t("10:06"))
        );
        assert_eq!(periods[1].until, Some(t("11:00")));
        assert_eq!(i.peak_severity(), Severity::Sev1);
        let times = i.time_at_severity(t("12:00"));
        assert_eq!(times[&Severity::Sev2], Duration::minutes(6));
        assert_eq!(times[&Severity::Sev1], Duration::minutes(54));
        assert_eq!(i.severity_at(t("10:03")), Severity::Sev2);
        assert_eq!(i.severity_at(t("10:07")), Severity::Sev1);
    }

    #[test]
    fn roles_are_the_ones_held_at_each_moment() {
        let i = sev1_story();
        assert_eq!(i.roles_of_at("oscar", t("10:05")), ["commander"]);
        assert!(i.roles_of_at("oscar", t("10:20")).is_empty());
        assert_eq!(i.roles_of_at("alice", t("10:10")), ["commander"]);
        assert!(i.roles_of_at("alice", t("10:05")).is_empty());
        let periods = i.role_periods();
        type Held<'a> = (&'a str, DateTime<Utc>, Option<DateTime<Utc>>);
        let commander: Vec<Held> = periods
            .iter()
            .filter(|p| p.role == "commander")
            .map(|p| (p.who.as_str(), p.from, p.until))
            .collect();
        assert_eq!(
            commander,
            [
                ("oscar", t("10:00"), Some(t("10:10"))),
                ("alice", t("10:10"), None)
            ]
        );
    }

    #[test]
    fn a_reopen_starts_a_new_episode() {
        let mut i = sev1_story();
        i.set_status(
            Status::Investigating,
            None,
            crate::model::Reopen::Yes,
            &stamp("11:30", "alice"),
        )
        .unwrap();
        assert!(i.times.resolved_at.is_none() && i.times.mitigated_at.is_none());
        i.set_status(
            Status::Resolved,
            None,
            crate::model::Reopen::No,
            &stamp("12:00", "alice"),
        )
        .unwrap();
        let episodes = i.episodes();
        assert_eq!(
            episodes,
            [
                Episode {
                    from: t("10:00"),
                    until: Some(t("11:00"))
                },
                Episode {
                    from: t("11:30"),
                    until: Some(t("12:00"))
                },
            ]
        );
        assert!(i.was_reopened());
    }

    #[test]
    fn edges_of_the_history() {
        // Without a detection time the incident begins at its declaration.
        let mut i = sev1_story();
        assert!(!i.was_reopened(), "one episode only");
        i.times.detected_at = None;
        i.push_event(
            &stamp("09:50", "dan"),
            crate::model::EventKind::Finding,
            "backfilled".into(),
            crate::model::Visibility::Internal,
        );
        assert_eq!(
            i.began_at(),
            Some(t("10:00")),
            "the declaration, not an earlier backfilled event"
        );
        // An escalation in the very second of detection leaves no zero-length period behind.
        let mut j = Incident::declare(
            "2026-11-25-y".into(),
            "Y".into(),
            Severity::Sev2,
            &stamp("10:00", "a"),
        );
        j.set_severity(Severity::Sev1, None, &stamp("10:00", "a"))
            .unwrap();
        let periods = j.severity_periods();
        assert_eq!(periods.len(), 1, "{periods:?}");
        assert_eq!(periods[0].severity, Severity::Sev1);
        // Roles given when declaring start at the declaration, not a backfilled detection.
        let mut k = Incident::declare(
            "2026-11-25-z".into(),
            "Z".into(),
            Severity::Sev2,
            &stamp("10:00", "a"),
        );
        k.times.detected_at = Some(t("09:40"));
        k.roles.insert("commander".into(), "a".into());
        assert_eq!(k.role_periods()[0].from, t("10:00"));
        // At the very second of a handoff the role is the new holder's alone.
        let story = sev1_story();
        assert!(story.roles_of_at("oscar", t("10:10")).is_empty());
        // A record resolved by hand (no `resolved` event) is one episode ending at its resolution.
        let mut hand = Incident::declare(
            "2026-11-25-h".into(),
            "H".into(),
            Severity::Sev3,
            &stamp("10:00", "a"),
        );
        hand.status = Status::Resolved;
        hand.times.resolved_at = Some(t("11:00"));
        assert_eq!(
            hand.episodes(),
            [Episode {
                from: t("10:00"),
                until: Some(t("11:00"))
            }]
        );
        // A status change that is not a reopen does not start an episode.
        let mut s = sev1_story();
        s.push_event(
            &stamp("11:10", "a"),
            crate::model::EventKind::Status,
            "status note after the end".into(),
            crate::model::Visibility::Internal,
        );
        assert_eq!(s.episodes().len(), 1);
    }
}
