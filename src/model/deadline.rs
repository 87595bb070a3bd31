//! The communication promises of the severity policy, and whether a record shows them kept. Shared by
//! `check` (overdue updates), `due` (what is owed now) and `stats` (compliance).

use super::{Config, Incident, Severity, SeverityPolicy, Span};
use chrono::{DateTime, Utc};
use serde::Serialize;

/// A communication promise from the severity policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum DeadlineKind {
    /// The first public status update.
    StatusPage,
    /// Responders engaged: the incident acknowledged.
    Coordination,
    /// A `comms` event to `customers`.
    Customers,
    /// A `comms` event to `executives`.
    Executives,
    /// The next public status update, as promised by the last one or the policy cadence.
    NextUpdate,
    /// A `comms` event to an audience the policy names under `notify` (the board, partners, ...).
    Audience,
}

impl DeadlineKind {
    pub fn label(self) -> &'static str {
        match self {
            Self::StatusPage => "first public update",
            Self::Coordination => "acknowledgement (coordination)",
            Self::Customers => "customer notification",
            Self::Executives => "executive briefing",
            Self::NextUpdate => "next public update",
            Self::Audience => "notification",
        }
    }

    /// The command that meets this deadline for incident `id` (and so clears the finding).
    pub fn fix(self, id: &str) -> String {
        match self {
            Self::StatusPage => format!("post the first public update: `incident update {id}`"),
            Self::Coordination => format!("acknowledge it: `incident ack {id}`"),
            Self::Customers => format!(
                "tell customers, then record it: `incident log {id} \"emailed affected customers\" --kind comms --to customers`"
            ),
            Self::Executives => format!(
                "brief the executives, then record it: `incident log {id} \"briefed the executive team\" --kind comms --to executives`"
            ),
            Self::NextUpdate => format!(
                "post an update: `incident update {id} --impacted \"...\" --learned \"...\"`"
            ),
            Self::Audience => format!(
                "tell them, then record it with `incident log {id} ... --kind comms --to AUDIENCE`"
            ),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DeadlineState {
    Kept,
    Late,
    Overdue,
    Pending,
    /// Not met, and the incident was resolved before it came due: nobody was told, and nobody
    /// had to be. Neither kept nor missed.
    NotApplicable,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Deadline {
    pub kind: DeadlineKind,
    /// For [`DeadlineKind::Audience`]: which audience.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub audience: Option<String>,
    pub due_at: DateTime<Utc>,
    pub met_at: Option<DateTime<Utc>>,
    pub state: DeadlineState,
}

impl Deadline {
    /// What it is, as people say it: `customer notification`, `notification to board`.
    pub fn label(&self) -> String {
        match &self.audience {
            Some(a) => format!("notification to {a}"),
            None => self.kind.label().to_string(),
        }
    }

    /// The command that meets it for incident `id`.
    pub fn fix(&self, id: &str) -> String {
        match &self.audience {
            Some(a) => format!(
                "tell them, then record it: `incident log {id} \"briefed the {a}\" --kind comms --to {a}`"
            ),
            None => self.kind.fix(id),
        }
    }

    fn new(
        kind: DeadlineKind,
        due_at: DateTime<Utc>,
        met_at: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> Deadline {
        Deadline::ended(kind, due_at, met_at, now, None)
    }

    /// [`Deadline::new`] for an episode that `ended` (resolved) then: a communication that never
    /// happened is missed if it came due first, not applicable if the resolution came first.
    /// Only a communication keeps a deadline, never the resolution itself.
    fn ended(
        kind: DeadlineKind,
        due_at: DateTime<Utc>,
        met_at: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
        ended: Option<DateTime<Utc>>,
    ) -> Deadline {
        let state = match met_at {
            Some(m) if m <= due_at => DeadlineState::Kept,
            Some(_) => DeadlineState::Late,
            None if ended.is_some_and(|r| r <= due_at) => DeadlineState::NotApplicable,
            None if now > due_at => DeadlineState::Overdue,
            None => DeadlineState::Pending,
        };
        Deadline {
            kind,
            audience: None,
            due_at,
            met_at,
            state,
        }
    }
}

/// A once-per-episode deadline: its kind, where the policy keeps its span, and when it was met.
type FirstDeadline = (
    DeadlineKind,
    fn(&SeverityPolicy) -> Option<Span>,
    Option<DateTime<Utc>>,
);

/// The first moment in `episode` when the incident was at `severity` or worse.
fn reached_in(
    periods: &[super::SeverityPeriod],
    severity: Severity,
    episode: super::Episode,
) -> Option<DateTime<Utc>> {
    periods
        .iter()
        .filter(|p| p.severity <= severity)
        .filter(|p| p.until.is_none_or(|u| u > episode.from))
        .map(|p| p.from.max(episode.from))
        .filter(|t| episode.until.is_none_or(|u| *t <= u))
        .min()
}

/// Whether a deadline of `severity` due at `due` still binds as of `horizon`: the incident was
/// still that severe (or worse) when it came due, or, not due yet, still is now. One of a
/// severity the incident left before it came due no longer applies.
fn still_that_severe(
    periods: &[super::SeverityPeriod],
    severity: Severity,
    due: DateTime<Utc>,
    horizon: DateTime<Utc>,
) -> bool {
    if due <= horizon {
        periods
            .iter()
            .any(|p| p.severity <= severity && p.from <= due && p.until.is_none_or(|u| u > due))
    } else {
        // Not due yet: that severe up to the horizon (a resolution ends the last period there).
        periods.iter().any(|p| {
            p.severity <= severity && p.from <= horizon && p.until.is_none_or(|u| u >= horizon)
        })
    }
}

/// The first `comms` event to `audience` for which `keep` holds.
fn first_comms(
    i: &Incident,
    audience: &str,
    keep: &dyn Fn(DateTime<Utc>) -> bool,
) -> Option<DateTime<Utc>> {
    i.timeline
        .iter()
        .filter(|e| {
            e.kind == crate::model::EventKind::Comms
                && e.audience.as_deref() == Some(audience)
                && keep(e.at)
        })
        .map(|e| e.at)
        .min()
}

/// Every communication deadline the policy sets for this incident, and whether the record shows it
/// kept.
///
/// A deadline runs from the moment the incident reached the severity that imposes it: escalated from
/// SEV2 to SEV1 six minutes in, the SEV1 status-page deadline is +6 min + 15 min. Of the deadlines of one
/// kind, the earliest that applies counts. One imposed by a severity the incident left before it came
/// due (and unmet) no longer applies; one that came due while it lasted stays kept, late or missed after
/// a downgrade. A reopen starts a new episode whose deadlines run from the reopen. A resolved episode
/// owes nothing after its resolution.
pub fn deadlines(i: &Incident, config: &Config, now: DateTime<Utc>) -> Vec<Deadline> {
    let periods = i.severity_periods();
    let mut out = Vec::new();
    for episode in i.episodes() {
        let horizon = episode.until.map_or(now, |r| r.min(now));
        let in_episode =
            |t: DateTime<Utc>| t >= episode.from && episode.until.is_none_or(|u| t <= u);
        let kinds: [FirstDeadline; 4] = [
            (
                DeadlineKind::StatusPage,
                |p| p.status_page_within,
                i.updates
                    .iter()
                    .filter(|u| u.visibility.is_public() && in_episode(u.at))
                    .map(|u| u.at)
                    .min(),
            ),
            (
                DeadlineKind::Coordination,
                |p| p.coordination_within,
                // The first episode's acknowledgement; a reopen is acknowledged by the reopen itself.
                if episode.from == periods.first().map_or(episode.from, |p| p.from) {
                    i.times.acknowledged_at
                } else {
                    Some(episode.from)
                },
            ),
            (
                DeadlineKind::Customers,
                |p| p.customers_within,
                first_comms(i, "customers", &in_episode),
            ),
            (
                DeadlineKind::Executives,
                |p| p.executives_within,
                first_comms(i, "executives", &in_episode),
            ),
        ];
        for (kind, within_of, met) in kinds {
            let mut best: Option<Deadline> = None;
            for severity in Severity::ALL {
                let Some(within) = within_of(&config.severity(severity)) else {
                    continue;
                };
                let reached = reached_in(&periods, severity, episode);
                let Some(reached) = reached else { continue };
                let due = reached + within.to_chrono();
                let kept_in_time = met.is_some_and(|m| m <= due);
                if !(kept_in_time || still_that_severe(&periods, severity, due, horizon)) {
                    continue;
                }
                let candidate = Deadline::ended(kind, due, met, horizon, episode.until);
                if best.as_ref().is_none_or(|b| candidate.due_at < b.due_at) {
                    best = Some(candidate);
                }
            }
            out.extend(best);
        }
        // Audiences the policy names: the earliest applicable deadline per audience, as above.
        let mut audiences: std::collections::BTreeMap<String, Deadline> = Default::default();
        for severity in Severity::ALL {
            for (audience, within) in config.severity(severity).notify {
                let reached = reached_in(&periods, severity, episode);
                let Some(reached) = reached else { continue };
                let due = reached + within.to_chrono();
                let met = first_comms(i, &audience, &in_episode);
                let applies = met.is_some_and(|m| m <= due)
                    || still_that_severe(&periods, severity, due, horizon);
                if !applies {
                    continue;
                }
                let mut d =
                    Deadline::ended(DeadlineKind::Audience, due, met, horizon, episode.until);
                d.audience = Some(audience.clone());
                if audiences.get(&audience).is_none_or(|b| d.due_at < b.due_at) {
                    audiences.insert(audience, d);
                }
            }
        }
        out.extend(audiences.into_values());
    }
    let policy = config.severity(i.severity);
    let horizon = i.times.resolved_at.map_or(now, |r| r.min(now));
    let mut public: Vec<_> = i
        .updates
        .iter()
        .filter(|u| u.visibility.is_public())
        .collect();
    public.sort_by_key(|u| u.at);
    for (n, update) in public.iter().enumerate() {
        let cadence = config.severity(i.severity_at(update.at)).update_every;
        let promised = update.next_update_at.or_else(|| {
            cadence
                .or(policy.update_every)
                .map(|e| update.at + e.to_chrono())
        });
        let Some(due) = promised else { continue };
        if i.times.resolved_at.is_some_and(|r| r <= update.at) {
            continue;
        }
        let met = public.get(n + 1).map(|u| u.at).or(i.times.resolved_at);
        out.push(Deadline::new(DeadlineKind::NextUpdate, due, met, horizon));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{SeverityPeriod, Stamp, Status, StatusUpdate, Visibility};

    fn t(s: &str) -> DateTime<Utc> {
        format!("2026-11-25T{s}:00Z").parse().unwrap()
    }

    fn stamp(at: &str) -> Stamp {
        Stamp {
            at: t(at),
            by: "a".into(),
        }
    }

    fn period(severity: Severity, from: &str, until: Option<&str>) -> SeverityPeriod {
        SeverityPeriod {
            severity,
            from: t(from),
            until: until.map(t),
        }
    }

    /// Splits a command as a shell would, for the double-quoted words these commands use.
    fn words(command: &str) -> Vec<String> {
        let mut out = Vec::new();
        for (n, part) in command.split('"').enumerate() {
            if n % 2 == 1 {
                out.push(part.to_string());
            } else {
                out.extend(part.split_whitespace().map(str::to_string));
            }
        }
        out
    }

    /// Every fix names the incident and is a command line `incident` accepts as written.
    #[test]
    fn each_fix_is_a_command_that_parses_and_names_the_incident() {
        use clap::Parser;
        let id = "2026-11-25-checkout-down";
        let mut fixes: Vec<String> = [
            DeadlineKind::StatusPage,
            DeadlineKind::Coordination,
            DeadlineKind::Customers,
            DeadlineKind::Executives,
            DeadlineKind::NextUpdate,
            DeadlineKind::Audience,
        ]
        .iter()
        .map(|k| k.fix(id))
        .collect();
        let board = Deadline {
            kind: DeadlineKind::Audience,
            audience: Some("board".into()),
            due_at: t("10:00"),
            met_at: None,
            state: DeadlineState::Pending,
        };
        fixes.push(board.fix(id));
        let plain = Deadline {
            audience: None,
            kind: DeadlineKind::Customers,
            ..board.clone()
        };
        assert_eq!(plain.fix(id), DeadlineKind::Customers.fix(id));
        assert!(fixes.last().unwrap().contains("--to board"));
        for fix in fixes {
            let command = fix.split('`').nth(1).unwrap_or_else(|| panic!("{fix}"));
            assert!(
                command.starts_with("incident ") && command.contains(id),
                "{fix}"
            );
            crate::cli::Cli::try_parse_from(words(command))
                .unwrap_or_else(|e| panic!("{command}: {e}"));
        }
    }

    #[test]
    fn a_deadline_is_overdue_only_after_its_moment() {
        let at = |now: &str| Deadline::new(DeadlineKind::Customers, t("10:30"), None, t(now)).state;
        assert_eq!(at("10:29"), DeadlineState::Pending);
        assert_eq!(at("10:30"), DeadlineState::Pending);
        assert_eq!(at("10:31"), DeadlineState::Overdue);
        let met = |m: &str| {
            Deadline::new(DeadlineKind::Customers, t("10:30"), Some(t(m)), t("12:00")).state
        };
        assert_eq!(met("10:30"), DeadlineState::Kept);
        assert_eq!(met("10:31"), DeadlineState::Late);
    }

    /// A severity left at the very moment an episode begins (a reopen) was not reached in it.
    #[test]
    fn a_period_that_ends_as_the_episode_begins_is_not_in_it() {
        let periods = [
            period(Severity::Sev1, "10:00", Some("10:30")),
            period(Severity::Sev2, "10:30", None),
        ];
        let reopened = crate::model::Episode {
            from: t("10:30"),
            until: None,
        };
        assert_eq!(reached_in(&periods, Severity::Sev1, reopened), None);
        assert_eq!(
            reached_in(&periods, Severity::Sev2, reopened),
            Some(t("10:30"))
        );
    }

    #[test]
    fn a_deadline_binds_while_the_incident_was_that_severe_then() {
        // SEV2, up to SEV1 from 10:10 to 10:20, back to SEV2.
        let periods = [
            period(Severity::Sev2, "10:00", Some("10:10")),
            period(Severity::Sev1, "10:10", Some("10:20")),
            period(Severity::Sev2, "10:20", None),
        ];
        let binds =
            |sev, due: &str, horizon: &str| still_that_severe(&periods, sev, t(due), t(horizon));
        // Came due while SEV1 lasted; and after it ended, not a SEV1 promise any more.
        assert!(binds(Severity::Sev1, "10:15", "10:30"));
        assert!(!binds(Severity::Sev1, "10:25", "10:30"));
        assert!(
            !binds(Severity::Sev1, "10:05", "10:30"),
            "before SEV1 began"
        );
        assert!(binds(Severity::Sev2, "10:25", "10:30"));
        // Not due yet: binds only while the incident is still that severe now.
        assert!(!binds(Severity::Sev1, "10:40", "10:30"));
        assert!(binds(Severity::Sev2, "10:40", "10:30"));
        let early = [period(Severity::Sev1, "10:00", None)];
        assert!(
            !still_that_severe(&early, Severity::Sev1, t("10:40"), t("09:50")),
            "not yet that severe at the horizon"
        );
    }

    fn config() -> Config {
        let mut config = Config::new("acme");
        for sev in [Severity::Sev1, Severity::Sev2] {
            let mut p = config.severity(sev);
            p.status_page_within = Some(
                if sev == Severity::Sev1 { "15m" } else { "60m" }
                    .parse()
                    .unwrap(),
            );
            p.notify = [(
                "board".to_string(),
                if sev == Severity::Sev1 { "15m" } else { "60m" }
                    .parse()
                    .unwrap(),
            )]
            .into_iter()
            .collect();
            config.severities.insert(sev, p);
        }
        config
    }

    /// Of the deadlines one kind gets from several severities, the earliest counts: SEV2 from
    /// 10:00 (an hour: 11:00) and SEV1 from 10:50 (15 min: 11:05) make the first update due at
    /// 11:00, whichever severity the policy lists first.
    #[test]
    fn the_earliest_deadline_of_a_kind_counts_whichever_severity_sets_it() {
        let config = config();
        let mut i = Incident::declare("x".into(), "x".into(), Severity::Sev2, &stamp("10:00"));
        i.set_severity(Severity::Sev1, Some("worse"), &stamp("10:50"))
            .unwrap();
        let all = deadlines(&i, &config, t("10:55"));
        let first = all
            .iter()
            .find(|d| d.kind == DeadlineKind::StatusPage)
            .unwrap();
        assert_eq!(first.due_at, t("11:00"));
        let board = all
            .iter()
            .find(|d| d.audience.as_deref() == Some("board"))
            .unwrap();
        assert_eq!(board.due_at, t("11:00"));
        // And where SEV1 sets the earlier one, that one.
        let mut j = Incident::declare("y".into(), "y".into(), Severity::Sev2, &stamp("10:00"));
        j.set_severity(Severity::Sev1, Some("worse"), &stamp("10:10"))
            .unwrap();
        let all = deadlines(&j, &config, t("10:15"));
        for d in all.iter().filter(|d| {
            d.kind == DeadlineKind::StatusPage || d.audience.as_deref() == Some("board")
        }) {
            assert_eq!(d.due_at, t("10:25"), "{d:?}");
        }
    }

    /// Each episode (a reopen starts one) is kept only by what happened in it, and only a public
    /// update keeps the status-page deadline.
    #[test]
    fn an_episode_counts_only_its_own_public_updates() {
        let config = Config::new("acme");
        let mut i = Incident::declare("x".into(), "x".into(), Severity::Sev1, &stamp("10:00"));
        let update = |at: &str, visibility| StatusUpdate {
            id: String::new(),
            at: t(at),
            by: "c".into(),
            status: Status::Investigating,
            impacted: None,
            learned: None,
            next_update_at: None,
            visibility,
            said: None,
            extra: Default::default(),
        };
        i.updates.push(update("10:05", Visibility::Internal));
        i.updates.push(update("10:10", Visibility::Public));
        i.set_status(
            Status::Resolved,
            None,
            crate::model::Reopen::No,
            &stamp("10:30"),
        )
        .unwrap();
        i.set_status(
            Status::Investigating,
            Some("back"),
            crate::model::Reopen::Yes,
            &stamp("11:00"),
        )
        .unwrap();
        let first: Vec<Deadline> = deadlines(&i, &config, t("11:20"))
            .into_iter()
            .filter(|d| d.kind == DeadlineKind::StatusPage)
            .collect();
        assert_eq!(first.len(), 2, "{first:?}");
        assert_eq!(
            first[0].met_at,
            Some(t("10:10")),
            "the public one, not the internal"
        );
        assert_eq!(first[0].state, DeadlineState::Kept);
        assert_eq!(first[1].due_at, t("11:15"));
        assert_eq!(
            first[1].met_at, None,
            "the first episode's update is not the reopen's"
        );
        assert_eq!(first[1].state, DeadlineState::Overdue);
    }

    /// The closing update posted as the incident resolves promises nothing; the one before it is
    /// kept by it.
    #[test]
    fn an_update_posted_at_the_resolution_promises_no_next_one() {
        let config = Config::new("acme");
        let mut i = Incident::declare("x".into(), "x".into(), Severity::Sev1, &stamp("10:00"));
        for at in ["10:30", "11:00"] {
            i.updates.push(StatusUpdate {
                id: String::new(),
                at: t(at),
                by: "c".into(),
                status: Status::Investigating,
                impacted: None,
                learned: None,
                next_update_at: None,
                visibility: Visibility::Public,
                said: None,
                extra: Default::default(),
            });
        }
        i.set_status(
            Status::Resolved,
            None,
            crate::model::Reopen::No,
            &stamp("11:00"),
        )
        .unwrap();
        let next: Vec<Deadline> = deadlines(&i, &config, t("12:00"))
            .into_iter()
            .filter(|d| d.kind == DeadlineKind::NextUpdate)
            .collect();
        assert_eq!(next.len(), 1, "{next:?}");
        assert_eq!(next[0].due_at, t("11:00"));
        assert_eq!(next[0].state, DeadlineState::Kept);
    }
}
