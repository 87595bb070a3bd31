//! The communication promises of the severity policy, and whether a record shows them kept. Shared by
//! `check` (overdue updates), `due` (what is owed now) and `stats` (compliance).

use super::{Incident, SeverityPolicy, Span};
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
}

impl DeadlineKind {
    pub fn label(self) -> &'static str {
        match self {
            Self::StatusPage => "first public update",
            Self::Coordination => "acknowledgement (coordination)",
            Self::Customers => "customer notification",
            Self::Executives => "executive briefing",
            Self::NextUpdate => "next public update",
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
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Deadline {
    pub kind: DeadlineKind,
    pub due_at: DateTime<Utc>,
    pub met_at: Option<DateTime<Utc>>,
    pub state: DeadlineState,
}

impl Deadline {
    fn new(
        kind: DeadlineKind,
        due_at: DateTime<Utc>,
        met_at: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> Deadline {
        let state = match met_at {
            Some(m) if m <= due_at => DeadlineState::Kept,
            Some(_) => DeadlineState::Late,
            None if now > due_at => DeadlineState::Overdue,
            None => DeadlineState::Pending,
        };
        Deadline {
            kind,
            due_at,
            met_at,
            state,
        }
    }
}

/// Every communication deadline the policy sets for this incident (at its current severity), and
/// whether the record shows it kept. A resolved incident owes nothing after its resolution.
pub fn deadlines(i: &Incident, policy: &SeverityPolicy, now: DateTime<Utc>) -> Vec<Deadline> {
    let Some(detected) = i.detected_at else {
        return Vec::new();
    };
    let horizon = i.resolved_at.map_or(now, |r| r.min(now));
    let mut out = Vec::new();
    let mut first = |kind, within: Option<Span>, met: Option<DateTime<Utc>>| {
        if let Some(within) = within {
            let due = detected + within.to_chrono();
            let met = met.or(i.resolved_at.filter(|r| *r <= due));
            out.push(Deadline::new(kind, due, met, horizon));
        }
    };
    first(
        DeadlineKind::StatusPage,
        policy.status_page_within,
        i.first_public_update().map(|u| u.at),
    );
    first(
        DeadlineKind::Coordination,
        policy.coordination_within,
        i.acknowledged_at,
    );
    first(
        DeadlineKind::Customers,
        policy.customers_within,
        i.first_comms_to("customers").map(|e| e.at),
    );
    first(
        DeadlineKind::Executives,
        policy.executives_within,
        i.first_comms_to("executives").map(|e| e.at),
    );

    let mut public: Vec<_> = i
        .updates
        .iter()
        .filter(|u| u.visibility.is_public())
        .collect();
    public.sort_by_key(|u| u.at);
    for (n, update) in public.iter().enumerate() {
        let promised = update
            .next_update_at
            .or_else(|| policy.update_every.map(|e| update.at + e.to_chrono()));
        let Some(due) = promised else { continue };
        if i.resolved_at.is_some_and(|r| r <= update.at) {
            continue;
        }
        let met = public.get(n + 1).map(|u| u.at).or(i.resolved_at);
        out.push(Deadline::new(DeadlineKind::NextUpdate, due, met, horizon));
    }
    out
}
