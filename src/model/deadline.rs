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
        .filter(|e| e.kind == "comms" && e.audience.as_deref() == Some(audience) && keep(e.at))
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
                    i.acknowledged_at
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
    let horizon = i.resolved_at.map_or(now, |r| r.min(now));
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
        if i.resolved_at.is_some_and(|r| r <= update.at) {
            continue;
        }
        let met = public.get(n + 1).map(|u| u.at).or(i.resolved_at);
        out.push(Deadline::new(DeadlineKind::NextUpdate, due, met, horizon));
    }
    out
}
