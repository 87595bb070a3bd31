//! Response metrics, communication deadlines and follow-through: pure functions over records.
//!
//! Nothing here reads files or the clock: callers pass the records, the policy and `now`. A time that
//! is missing from a record is counted as missing, never as zero, so one forgotten `ack` cannot make
//! MTTA look perfect.

use crate::model::{ActionState, Config, Incident, IncidentKind, Lifecycle, Severity, Status};
pub use crate::model::{Deadline, DeadlineKind, DeadlineState, deadlines};
use chrono::{DateTime, Datelike, Duration, NaiveDate, Timelike, Utc};
use serde::Serialize;
use std::collections::BTreeMap;

/// Mean, median and 90th percentile of a set of durations, in seconds.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Figure {
    pub count: usize,
    pub missing: usize,
    pub mean_secs: Option<i64>,
    pub median_secs: Option<i64>,
    pub p90_secs: Option<i64>,
}

impl Figure {
    /// Median of an even count is the mean of the two middle values; p90 is nearest-rank.
    pub fn of(mut values: Vec<i64>, missing: usize) -> Figure {
        values.sort_unstable();
        let n = values.len();
        let (mean, median, p90) = if n == 0 {
            (None, None, None)
        } else {
            let sum: i64 = values.iter().sum();
            let median = if n % 2 == 1 {
                values[n / 2]
            } else {
                (values[n / 2 - 1] + values[n / 2]) / 2
            };
            let rank = (n * 9).div_ceil(10).max(1);
            (Some(sum / n as i64), Some(median), Some(values[rank - 1]))
        };
        Figure {
            count: n,
            missing,
            mean_secs: mean,
            median_secs: median,
            p90_secs: p90,
        }
    }
}

/// MTTD (started → detected), MTTA (detected → acknowledged), time to mitigate (detected →
/// mitigated) and MTTR (detected → resolved).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ResponseTimes {
    pub mttd: Figure,
    pub mtta: Figure,
    pub mttm: Figure,
    pub mttr: Figure,
}

/// What the figures read of one incident, its deadlines worked out: the form `stats` keeps in the
/// record cache, so a run reads no YAML for incidents that did not change.
#[derive(Debug, Clone, PartialEq)]
pub struct MetricRecord {
    pub id: String,
    pub kind: IncidentKind,
    pub services: Vec<String>,
    pub drill: bool,
    pub status: Status,
    /// The worst severity reached: whose promises the incident is counted under.
    pub peak_severity: Severity,
    pub reopened: bool,
    pub times: Lifecycle,
    pub actions: Vec<ActionFact>,
    pub deadlines: Vec<Deadline>,
    /// When its first page went out, as the shared notify ledger says (not in the record, not
    /// cached: filled in by the front door that has the ledger). MTTA counts from it.
    pub paged_at: Option<DateTime<Utc>>,
}

/// What the follow-through figures read of an action item.
#[derive(Debug, Clone, PartialEq)]
pub struct ActionFact {
    pub state: ActionState,
    pub created_at: DateTime<Utc>,
    pub closed_at: Option<DateTime<Utc>>,
    pub due: Option<NaiveDate>,
}

impl ActionFact {
    fn is_overdue(&self, today: NaiveDate) -> bool {
        self.state == ActionState::Open && self.due.is_some_and(|d| d < today)
    }
}

impl MetricRecord {
    /// The incident's figures as of `now` (only its deadlines depend on the clock).
    pub fn of(i: &Incident, config: &Config, now: DateTime<Utc>) -> MetricRecord {
        MetricRecord {
            id: i.id.clone(),
            kind: i.kind,
            services: i.services.clone(),
            drill: i.drill,
            status: i.status,
            peak_severity: i.peak_severity(),
            reopened: i.was_reopened(),
            times: i.times,
            actions: i
                .actions
                .iter()
                .map(|a| ActionFact {
                    state: a.state,
                    created_at: a.created_at,
                    closed_at: a.closed_at,
                    due: a.due,
                })
                .collect(),
            deadlines: deadlines(i, config, now),
            paged_at: None,
        }
    }

    /// The moment from which the record's figures no longer change with the clock, if there is
    /// one: its resolution, when every deadline worked out then is the one worked out at any later
    /// time. Active incidents have none.
    pub fn settled_from(i: &Incident, config: &Config) -> Option<DateTime<Utc>> {
        let resolved = i
            .times
            .resolved_at
            .filter(|_| i.status == Status::Resolved)?;
        let far = DateTime::<Utc>::MAX_UTC - Duration::days(3650);
        (deadlines(i, config, resolved) == deadlines(i, config, far)).then_some(resolved)
    }

    pub fn opened_at(&self) -> Option<DateTime<Utc>> {
        self.times.opened_at()
    }
}

pub fn response_times(incidents: &[&MetricRecord]) -> ResponseTimes {
    let figure = |from: fn(&MetricRecord) -> Option<DateTime<Utc>>,
                  to: fn(&MetricRecord) -> Option<DateTime<Utc>>| {
        let mut values = Vec::new();
        let mut missing = 0;
        for i in incidents {
            match (from(i), to(i)) {
                (Some(a), Some(b)) => values.push((b - a).num_seconds()),
                _ => missing += 1,
            }
        }
        Figure::of(values, missing)
    };
    ResponseTimes {
        mttd: figure(|i| i.times.started_at, |i| i.times.detected_at),
        // From the first page when one went out before the acknowledgement, else from detection.
        mtta: figure(
            |i| {
                i.paged_at
                    .filter(|p| i.times.acknowledged_at.is_none_or(|a| *p <= a))
                    .or(i.times.detected_at)
            },
            |i| i.times.acknowledged_at,
        ),
        mttm: figure(|i| i.times.detected_at, |i| i.times.mitigated_at),
        mttr: figure(|i| i.times.detected_at, |i| i.times.resolved_at),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Grouping {
    Severity,
    Service,
    Kind,
    Month,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Group {
    pub key: String,
    pub incidents: usize,
    pub times: ResponseTimes,
}

/// The keys an incident falls under; an incident with two services counts under both.
fn group_keys(i: &MetricRecord, by: Grouping) -> Vec<String> {
    match by {
        // The worst severity reached, as `by_severity` counts it: an incident escalated to SEV1 and
        // downgraded before it was resolved is a SEV1 for the figures.
        Grouping::Severity => vec![i.peak_severity.to_string()],
        Grouping::Kind => vec![i.kind.to_string()],
        Grouping::Service if i.services.is_empty() => vec!["(none)".into()],
        Grouping::Service => i.services.clone(),
        Grouping::Month => vec![i.opened_at().map_or("(unknown)".into(), |t| {
            format!("{}-{:02}", t.year(), t.month())
        })],
    }
}

/// Services and kinds with more than one incident in the window, with the incident IDs.
#[derive(Debug, Clone, PartialEq, Serialize, Default)]
pub struct Recurrence {
    pub services: BTreeMap<String, Vec<String>>,
    pub kinds: BTreeMap<String, Vec<String>>,
}

pub fn recurrence(incidents: &[&MetricRecord]) -> Recurrence {
    let mut r = Recurrence::default();
    for i in incidents {
        for s in &i.services {
            r.services.entry(s.clone()).or_default().push(i.id.clone());
        }
        r.kinds
            .entry(i.kind.to_string())
            .or_default()
            .push(i.id.clone());
    }
    r.services.retain(|_, ids| ids.len() > 1);
    r.kinds.retain(|_, ids| ids.len() > 1);
    r
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Compliance {
    pub severity: Severity,
    pub deadline: DeadlineKind,
    /// For audience deadlines: which audience.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub audience: Option<String>,
    pub kept: usize,
    pub missed: usize,
    /// Resolved before it came due, with nothing sent: neither kept nor missed.
    pub not_applicable: usize,
    /// Kept as a share of kept + missed, in percent; pending deadlines are not counted.
    pub percent: Option<f64>,
    /// `<id>: <how late>` for each miss.
    pub misses: Vec<String>,
}

pub fn compliance(incidents: &[&MetricRecord], now: DateTime<Utc>) -> Vec<Compliance> {
    let mut table: BTreeMap<(Severity, DeadlineKind, Option<String>), Compliance> = BTreeMap::new();
    for i in incidents {
        // Counted under the worst severity the incident reached: that is whose promise it was.
        let severity = i.peak_severity;
        for d in &i.deadlines {
            let row = table
                .entry((severity, d.kind, d.audience.clone()))
                .or_insert_with(|| Compliance {
                    severity,
                    deadline: d.kind,
                    audience: d.audience.clone(),
                    kept: 0,
                    missed: 0,
                    not_applicable: 0,
                    percent: None,
                    misses: Vec::new(),
                });
            match d.state {
                DeadlineState::Kept => row.kept += 1,
                DeadlineState::Late | DeadlineState::Overdue => {
                    row.missed += 1;
                    let late = crate::model::format_duration(d.met_at.unwrap_or(now) - d.due_at);
                    row.misses.push(match (d.state, i.times.resolved_at) {
                        (DeadlineState::Late, _) => format!("{}: late by {late}", i.id),
                        (_, Some(r)) => format!(
                            "{}: never sent (resolved {} after it was due)",
                            i.id,
                            crate::model::format_duration(r - d.due_at)
                        ),
                        _ => format!("{}: still missing, overdue by {late}", i.id),
                    });
                }
                DeadlineState::NotApplicable => row.not_applicable += 1,
                DeadlineState::Pending => {}
            }
        }
    }
    table
        .into_values()
        .map(|mut row| {
            let total = row.kept + row.missed;
            row.percent = (total > 0).then(|| 100.0 * row.kept as f64 / total as f64);
            row
        })
        .collect()
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ActionStats {
    pub total: usize,
    pub open: usize,
    pub done: usize,
    pub dropped: usize,
    pub overdue: usize,
    /// Done as a share of done + open, in percent (dropped items are neither).
    pub completion_percent: Option<f64>,
    pub median_days_to_close: Option<f64>,
}

pub fn action_stats(incidents: &[&MetricRecord], today: NaiveDate) -> ActionStats {
    let actions: Vec<_> = incidents.iter().flat_map(|i| &i.actions).collect();
    let count = |s: ActionState| actions.iter().filter(|a| a.state == s).count();
    let (open, done, dropped) = (
        count(ActionState::Open),
        count(ActionState::Done),
        count(ActionState::Dropped),
    );
    let mut days: Vec<f64> = actions
        .iter()
        .filter(|a| a.state == ActionState::Done)
        .filter_map(|a| {
            a.closed_at
                .map(|c| (c - a.created_at).num_seconds() as f64 / 86_400.0)
        })
        .collect();
    days.sort_by(f64::total_cmp);
    let median = match days.len() {
        0 => None,
        n if n % 2 == 1 => Some(days[n / 2]),
        n => Some((days[n / 2 - 1] + days[n / 2]) / 2.0),
    };
    ActionStats {
        total: actions.len(),
        open,
        done,
        dropped,
        overdue: actions.iter().filter(|a| a.is_overdue(today)).count(),
        completion_percent: (done + open > 0).then(|| 100.0 * done as f64 / (done + open) as f64),
        median_days_to_close: median.map(|d| (d * 10.0).round() / 10.0),
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Stats {
    pub since: DateTime<Utc>,
    pub until: DateTime<Utc>,
    pub incidents: usize,
    /// Drills in the window: left out of every figure unless included.
    pub drills: usize,
    pub drills_included: bool,
    /// Incidents reopened after a resolution (their MTTR runs to the final resolution).
    pub reopened: usize,
    /// Counted by the worst severity each reached.
    pub by_severity: BTreeMap<String, usize>,
    pub times: ResponseTimes,
    pub grouping: Option<Grouping>,
    pub groups: Vec<Group>,
    pub recurrence: Recurrence,
    pub comms: Vec<Compliance>,
    pub actions: ActionStats,
}

/// Everything `incident stats` shows, for incidents opened in `[since, now]`.
pub fn stats(
    all: &[Incident],
    config: &Config,
    since: DateTime<Utc>,
    now: DateTime<Utc>,
    by: Option<Grouping>,
    include_drills: bool,
) -> Stats {
    let records: Vec<MetricRecord> = all
        .iter()
        .map(|i| MetricRecord::of(i, config, now))
        .collect();
    stats_of(&records, since, now, by, include_drills)
}

/// [`stats`] over records already reduced to what the figures read.
pub fn stats_of(
    all: &[MetricRecord],
    since: DateTime<Utc>,
    now: DateTime<Utc>,
    by: Option<Grouping>,
    include_drills: bool,
) -> Stats {
    let in_window: Vec<&MetricRecord> = all
        .iter()
        .filter(|i| i.opened_at().is_some_and(|t| t >= since && t <= now))
        .collect();
    let drills = in_window.iter().filter(|i| i.drill).count();
    let counted: Vec<&MetricRecord> = in_window
        .into_iter()
        .filter(|i| include_drills || !i.drill)
        .collect();
    let mut by_severity = BTreeMap::new();
    for i in &counted {
        *by_severity.entry(i.peak_severity.to_string()).or_insert(0) += 1;
    }
    let reopened = counted.iter().filter(|i| i.reopened).count();
    let groups = by
        .map(|by| {
            let mut members: BTreeMap<String, Vec<&MetricRecord>> = BTreeMap::new();
            for i in &counted {
                for key in group_keys(i, by) {
                    members.entry(key).or_default().push(i);
                }
            }
            members
                .into_iter()
                .map(|(key, list)| Group {
                    key,
                    incidents: list.len(),
                    times: response_times(&list),
                })
                .collect()
        })
        .unwrap_or_default();
    Stats {
        since,
        until: now,
        incidents: counted.len(),
        drills,
        drills_included: include_drills,
        reopened,
        by_severity,
        times: response_times(&counted),
        grouping: by,
        groups,
        recurrence: recurrence(&counted),
        comms: compliance(&counted, now),
        actions: action_stats(&counted, now.date_naive()),
    }
}

/// A reminder for an active incident: what is owed, and by when.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Due {
    pub incident: String,
    pub severity: Severity,
    pub drill: bool,
    pub what: String,
    pub due_at: Option<DateTime<Utc>>,
    /// Negative when overdue.
    pub in_secs: Option<i64>,
    pub overdue: bool,
}

/// An incident a post-mortem points to: one the record names as related, or an earlier one of the
/// same service or kind (a recurrence).
#[derive(Debug, Clone, Serialize)]
pub struct RelatedIncident {
    pub id: String,
    pub title: String,
    pub detected_at: Option<DateTime<Utc>>,
    /// `related`, or what it shares: `service checkout`, `kind outage`.
    pub why: String,
}

/// The incidents `i` names as related, then the earlier real incidents (not drills) detected in the
/// `window` before it that share a service or its kind, newest first.
pub fn related_incidents(
    i: &Incident,
    all: &[crate::model::IncidentSummary],
    window: Duration,
) -> Vec<RelatedIncident> {
    let mut out: Vec<RelatedIncident> = Vec::new();
    for id in &i.related {
        if let Some(r) = all.iter().find(|r| &r.id == id) {
            out.push(RelatedIncident {
                id: r.id.clone(),
                title: r.title.clone(),
                detected_at: r.times.detected_at,
                why: "related".into(),
            });
        }
    }
    let Some(detected) = i.times.detected_at else {
        return out;
    };
    let mut recurrences: Vec<&crate::model::IncidentSummary> = all
        .iter()
        .filter(|r| r.id != i.id && !r.drill && !i.related.contains(&r.id))
        .filter(|r| {
            r.times
                .detected_at
                .is_some_and(|t| t < detected && t >= detected - window)
        })
        .collect();
    recurrences.sort_by_key(|r| std::cmp::Reverse(r.times.detected_at));
    for r in recurrences {
        let shared: Vec<String> = r
            .services
            .iter()
            .filter(|s| i.services.contains(s))
            .map(|s| format!("service {s}"))
            .chain(
                (r.kind == i.kind && i.kind != crate::model::IncidentKind::Other)
                    .then(|| format!("kind {}", r.kind)),
            )
            .collect();
        if !shared.is_empty() {
            out.push(RelatedIncident {
                id: r.id.clone(),
                title: r.title.clone(),
                detected_at: r.times.detected_at,
                why: shared.join(", "),
            });
        }
    }
    out
}

/// When an active incident whose severity requires a commander and has none owes one: within the
/// policy's coordination time from when it first reached such a severity. `None` when none is owed.
pub fn commander_due(i: &Incident, config: &Config) -> Option<DateTime<Utc>> {
    if !i.status.is_active() || i.commander().is_some() {
        return None;
    }
    if !config.severity(i.severity).requires_commander {
        return None;
    }
    let reached = i
        .severity_periods()
        .iter()
        .filter(|p| config.severity(p.severity).requires_commander)
        .map(|p| p.from)
        .min()
        .or(i.times.detected_at)?;
    let within = config
        .severity(i.severity)
        .coordination_within
        .map_or(Duration::zero(), |s| s.to_chrono());
    Some(reached + within)
}

/// What every active incident owes now: open deadlines (pending or overdue) and missing roles.
pub fn due(all: &[Incident], config: &Config, now: DateTime<Utc>) -> Vec<Due> {
    due_of(all.iter(), config, now)
}

/// [`due`] of incidents held elsewhere (the live view keeps its own).
pub fn due_of<'a>(
    all: impl Iterator<Item = &'a Incident>,
    config: &Config,
    now: DateTime<Utc>,
) -> Vec<Due> {
    let mut out = Vec::new();
    for i in all.filter(|i| i.status.is_active()) {
        if let Some(due_at) = commander_due(i, config) {
            out.push(Due {
                incident: i.id.clone(),
                severity: i.severity,
                drill: i.drill,
                what: "incident commander (`incident assign ID --commander WHO`)".into(),
                due_at: Some(due_at),
                in_secs: Some((due_at - now).num_seconds()),
                overdue: due_at < now,
            });
        }
        for d in deadlines(i, config, now) {
            if matches!(d.state, DeadlineState::Pending | DeadlineState::Overdue) {
                out.push(Due {
                    incident: i.id.clone(),
                    severity: i.severity,
                    drill: i.drill,
                    what: d.label(),
                    due_at: Some(d.due_at),
                    in_secs: Some((d.due_at - now).num_seconds()),
                    overdue: d.state == DeadlineState::Overdue,
                });
            }
        }
        // The runbooks' steps with a deadline, and who holds them.
        for t in i
            .tasks
            .iter()
            .filter(|t| t.state == crate::model::TaskState::Open)
        {
            let Some(due_at) = t.due_at else { continue };
            let who = t.holder().map(|w| format!(" ({w})")).unwrap_or_default();
            out.push(Due {
                incident: i.id.clone(),
                severity: i.severity,
                drill: i.drill,
                what: format!("task #{}: {}{who}", t.number, t.text),
                due_at: Some(due_at),
                in_secs: Some((due_at - now).num_seconds()),
                overdue: due_at < now,
            });
        }
    }
    out.sort_by(|a, b| {
        (a.severity, a.due_at.unwrap_or(now - Duration::days(3650)))
            .cmp(&(b.severity, b.due_at.unwrap_or(now - Duration::days(3650))))
    });
    out
}

/// One person's load over a window: what burns people out (`stats --by responder`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ResponderLoad {
    pub who: String,
    /// Pages sent to them (one per level paged, however many targets carried it).
    pub pages: usize,
    /// Of those, outside 08:00–18:00 on a weekday in their rota's zone.
    pub out_of_hours_pages: usize,
    /// Time holding any role of an incident, overlapping roles of one incident counted once.
    pub engaged_secs: i64,
    /// Incidents they held any role in.
    pub incidents: usize,
    /// Incidents they commanded at some point.
    pub commanded: usize,
}

/// From when until when someone held a role.
type Held = (DateTime<Utc>, DateTime<Utc>);

/// A page the ledger says was sent.
#[derive(Debug, Clone)]
pub struct PageSent {
    pub person: String,
    pub at: DateTime<Utc>,
    /// The zone their working hours are in (their rota's).
    pub zone: chrono_tz::Tz,
}

/// The load of everyone who held a role in `incidents` or was paged, from `since` until `now`:
/// most engaged first.
pub fn responder_load(
    incidents: &[&Incident],
    pages: &[PageSent],
    since: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Vec<ResponderLoad> {
    let mut load: BTreeMap<String, ResponderLoad> = BTreeMap::new();
    let entry = |load: &mut BTreeMap<String, ResponderLoad>, who: &str| {
        load.entry(who.to_string())
            .or_insert_with(|| ResponderLoad {
                who: who.to_string(),
                pages: 0,
                out_of_hours_pages: 0,
                engaged_secs: 0,
                incidents: 0,
                commanded: 0,
            })
            .who
            .clone()
    };
    for i in incidents {
        let end = i.times.resolved_at.unwrap_or(now).min(now);
        let mut spans: BTreeMap<&str, Vec<Held>> = BTreeMap::new();
        let periods = i.role_periods();
        for p in &periods {
            let from = p.from.max(since);
            let until = p.until.unwrap_or(end).min(end);
            spans.entry(&p.who).or_default();
            if until > from {
                spans.entry(&p.who).or_default().push((from, until));
            }
        }
        for (who, mut list) in spans {
            let key = entry(&mut load, who);
            let l = load.get_mut(&key).expect("just made");
            l.incidents += 1;
            if periods
                .iter()
                .any(|p| p.who == who && p.role == "commander")
            {
                l.commanded += 1;
            }
            // Overlapping roles of one person in one incident count once.
            list.sort();
            let mut covered: Option<(DateTime<Utc>, DateTime<Utc>)> = None;
            for (from, until) in list {
                match covered {
                    Some((a, b)) if from <= b => covered = Some((a, b.max(until))),
                    Some((a, b)) => {
                        l.engaged_secs += (b - a).num_seconds();
                        covered = Some((from, until));
                    }
                    None => covered = Some((from, until)),
                }
            }
            if let Some((a, b)) = covered {
                l.engaged_secs += (b - a).num_seconds();
            }
        }
    }
    for page in pages.iter().filter(|p| p.at >= since && p.at <= now) {
        let key = entry(&mut load, &page.person);
        let l = load.get_mut(&key).expect("just made");
        l.pages += 1;
        let local = page.at.with_timezone(&page.zone);
        let weekday = local.weekday().number_from_monday() <= 5;
        let hour = local.hour();
        if !(weekday && (8..18).contains(&hour)) {
            l.out_of_hours_pages += 1;
        }
    }
    let mut out: Vec<ResponderLoad> = load.into_values().collect();
    out.sort_by(|a, b| (b.engaged_secs, b.pages, &a.who).cmp(&(a.engaged_secs, a.pages, &b.who)));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{ActionItem, ActionType, Incident, Stamp, StatusUpdate, Visibility};

    fn record(i: &Incident) -> MetricRecord {
        MetricRecord::of(i, &Config::new("acme"), t("12:00"))
    }

    fn t(s: &str) -> DateTime<Utc> {
        format!("2026-11-25T{s}:00Z").parse().unwrap()
    }

    fn incident(id: &str, sev: Severity, detected: &str) -> Incident {
        let mut i = Incident::declare(
            id.into(),
            id.into(),
            sev,
            &Stamp {
                at: t(detected),
                by: "a".into(),
            },
        );
        i.services = vec!["checkout".into()];
        i
    }

    fn update(i: &mut Incident, at: &str, next: Option<&str>) {
        i.updates.push(StatusUpdate {
            id: String::new(),
            at: t(at),
            by: "c".into(),
            status: i.status,
            impacted: None,
            learned: None,
            next_update_at: next.map(t),
            visibility: Visibility::Public,
            said: None,
            extra: Default::default(),
        });
    }

    #[test]
    fn figures_use_median_of_middle_pair_and_nearest_rank_p90() {
        let f = Figure::of(vec![60, 120, 180, 240], 1);
        assert_eq!((f.count, f.missing), (4, 1));
        assert_eq!(f.mean_secs, Some(150));
        assert_eq!(f.median_secs, Some(150));
        assert_eq!(f.p90_secs, Some(240));
        let ten: Vec<i64> = (1..=10).collect();
        assert_eq!(Figure::of(ten, 0).p90_secs, Some(9));
        assert_eq!(Figure::of(vec![], 3).median_secs, None);
    }

    #[test]
    fn missing_times_are_counted_as_missing_never_zero() {
        let mut a = incident("a", Severity::Sev2, "10:00");
        a.times.started_at = Some(t("09:50"));
        a.times.acknowledged_at = Some(t("10:05"));
        a.times.resolved_at = Some(t("11:00"));
        let b = incident("b", Severity::Sev2, "10:00");
        let (a, b) = (record(&a), record(&b));
        let times = response_times(&[&a, &b]);
        assert_eq!(
            (times.mttd.count, times.mttd.missing, times.mttd.mean_secs),
            (1, 1, Some(600))
        );
        assert_eq!(
            (times.mtta.count, times.mtta.missing, times.mtta.mean_secs),
            (1, 1, Some(300))
        );
        assert_eq!(
            (times.mttr.count, times.mttr.missing, times.mttr.mean_secs),
            (1, 1, Some(3600))
        );
        assert_eq!((times.mttm.count, times.mttm.missing), (0, 2));
    }

    #[test]
    fn sev1_deadlines_kept_late_and_overdue() {
        let config = Config::new("x");
        let mut i = incident("a", Severity::Sev1, "10:00");
        update(&mut i, "10:10", Some("10:40"));
        update(&mut i, "10:50", None);
        let d = deadlines(&i, &config, t("12:00"));
        let states: Vec<_> = d.iter().map(|d| (d.kind, d.state)).collect();
        assert_eq!(
            states,
            [
                (DeadlineKind::StatusPage, DeadlineState::Kept),
                (DeadlineKind::Coordination, DeadlineState::Overdue),
                (DeadlineKind::Customers, DeadlineState::Overdue),
                (DeadlineKind::Executives, DeadlineState::Overdue),
                (DeadlineKind::NextUpdate, DeadlineState::Late),
                (DeadlineKind::NextUpdate, DeadlineState::Overdue),
            ]
        );
        assert_eq!(d[1].due_at, t("10:05"), "the SEV1 bridge opens at once");
        assert_eq!(
            d[5].due_at,
            t("11:20"),
            "cadence from the policy when no promise was made"
        );
    }

    /// A SEV1 downgraded to SEV3 at 10:10 owes none of the SEV1 promises that had not come due by
    /// then (customers 10:30, executives 11:00), only what SEV3 itself promises; one that came due
    /// while it was SEV1 (the bridge, 10:05) stays owed.
    #[test]
    fn a_deadline_of_a_severity_left_before_it_came_due_no_longer_applies() {
        let config = Config::new("x");
        let mut i = incident("a", Severity::Sev1, "10:00");
        i.set_severity(
            Severity::Sev3,
            None,
            &Stamp {
                at: t("10:10"),
                by: "c".into(),
            },
        )
        .unwrap();
        for now in ["10:20", "10:45", "12:00"] {
            let d = deadlines(&i, &config, t(now));
            let kinds: Vec<_> = d.iter().map(|d| (d.kind, d.due_at)).collect();
            assert!(
                !kinds.contains(&(DeadlineKind::Customers, t("10:30"))),
                "{now}: {kinds:?}"
            );
            assert!(
                !kinds.contains(&(DeadlineKind::Executives, t("11:00"))),
                "{now}: {kinds:?}"
            );
            assert!(
                kinds.contains(&(DeadlineKind::Coordination, t("10:05"))),
                "{now}: came due while SEV1: {kinds:?}"
            );
        }
        // Telling customers late, after the downgrade, does not bring the SEV1 promise back.
        let mut told = i.clone();
        told.push_event(
            &Stamp {
                at: t("10:45"),
                by: "c".into(),
            },
            crate::model::EventKind::Comms,
            "emailed".into(),
            Visibility::Internal,
        );
        told.timeline.last_mut().unwrap().audience = Some("customers".into());
        let d = deadlines(&told, &config, t("12:00"));
        assert!(
            !d.iter()
                .any(|d| d.kind == DeadlineKind::Customers && d.due_at == t("10:30")),
            "{d:?}"
        );
        // Left at the very moment it came due: no longer owed either.
        let mut at_due = incident("c", Severity::Sev1, "10:00");
        at_due
            .set_severity(
                Severity::Sev3,
                None,
                &Stamp {
                    at: t("10:30"),
                    by: "c".into(),
                },
            )
            .unwrap();
        let d = deadlines(&at_due, &config, t("12:00"));
        assert!(
            !d.iter()
                .any(|d| d.kind == DeadlineKind::Customers && d.due_at == t("10:30")),
            "{d:?}"
        );
        // Still SEV1: every promise stands, due or not.
        let kept = incident("b", Severity::Sev1, "10:00");
        let d = deadlines(&kept, &config, t("10:20"));
        let kinds: Vec<_> = d.iter().map(|d| d.kind).collect();
        assert!(
            kinds.contains(&DeadlineKind::Customers) && kinds.contains(&DeadlineKind::Executives)
        );
    }

    /// Resolving is not communicating: a deadline nobody met is missed when it came due before the
    /// resolution, and not applicable when the resolution came first; never kept.
    #[test]
    fn a_resolution_without_communication_keeps_nothing() {
        let config = Config::new("x");
        let mut i = incident("a", Severity::Sev1, "10:00");
        i.set_status(
            crate::model::Status::Resolved,
            None,
            crate::model::Reopen::No,
            &Stamp {
                at: t("10:20"),
                by: "c".into(),
            },
        )
        .unwrap();
        let d = deadlines(&i, &config, t("12:00"));
        let state = |kind| d.iter().find(|d| d.kind == kind).map(|d| d.state);
        assert_eq!(
            state(DeadlineKind::StatusPage),
            Some(DeadlineState::Overdue)
        );
        assert_eq!(
            state(DeadlineKind::Customers),
            Some(DeadlineState::NotApplicable)
        );
        assert_eq!(
            state(DeadlineKind::Executives),
            Some(DeadlineState::NotApplicable)
        );
        let record = MetricRecord::of(&i, &config, t("12:00"));
        let rows = compliance(&[&record], t("12:00"));
        let customers = rows
            .iter()
            .find(|r| r.deadline == DeadlineKind::Customers)
            .unwrap();
        assert_eq!(
            (customers.kept, customers.missed, customers.not_applicable),
            (0, 0, 1)
        );
        assert_eq!(customers.percent, None);
        let page = rows
            .iter()
            .find(|r| r.deadline == DeadlineKind::StatusPage)
            .unwrap();
        assert_eq!((page.kept, page.missed), (0, 1));
        assert!(page.misses[0].contains("never sent"), "{:?}", page.misses);
    }

    /// The board is owed word within 20 min of a SEV1: kept when told in time, even after a
    /// downgrade; no longer owed when the incident left SEV1 before it came due.
    #[test]
    fn an_audience_deadline_follows_the_same_rules() {
        let mut config = Config::new("x");
        config
            .severities
            .get_mut(&Severity::Sev1)
            .unwrap()
            .notify
            .insert("board".into(), crate::model::Span(20 * 60));
        let story = |told: Option<&str>, downgraded: Option<&str>| {
            let mut i = incident("a", Severity::Sev1, "10:00");
            if let Some(at) = downgraded {
                i.set_severity(
                    Severity::Sev3,
                    None,
                    &Stamp {
                        at: t(at),
                        by: "c".into(),
                    },
                )
                .unwrap();
            }
            if let Some(at) = told {
                let event = i.push_event(
                    &Stamp {
                        at: t(at),
                        by: "c".into(),
                    },
                    crate::model::EventKind::Comms,
                    "told the board".into(),
                    Visibility::Internal,
                );
                event.audience = Some("board".into());
            }
            deadlines(&i, &config, t("11:00"))
                .into_iter()
                .find(|d| d.audience.as_deref() == Some("board"))
                .map(|d| (d.due_at, d.state))
        };
        assert_eq!(
            story(Some("10:10"), None),
            Some((t("10:20"), DeadlineState::Kept))
        );
        assert_eq!(
            story(Some("10:03"), Some("10:05")),
            Some((t("10:20"), DeadlineState::Kept)),
            "told in time, then downgraded: still kept"
        );
        assert_eq!(
            story(None, Some("10:05")),
            None,
            "left SEV1 before it came due"
        );
        assert_eq!(
            story(Some("10:30"), Some("10:05")),
            None,
            "told late after leaving SEV1: not owed, so not late either"
        );
        assert_eq!(
            story(None, None),
            Some((t("10:20"), DeadlineState::Overdue))
        );
    }

    #[test]
    fn comms_events_to_an_audience_meet_their_deadline() {
        let config = Config::new("x");
        let mut i = incident("a", Severity::Sev1, "10:00");
        i.push_event(
            &Stamp {
                at: t("10:20"),
                by: "c".into(),
            },
            crate::model::EventKind::Comms,
            "emailed".into(),
            Visibility::Internal,
        );
        i.timeline.last_mut().unwrap().audience = Some("customers".into());
        let d = deadlines(&i, &config, t("10:25"));
        let customers = d
            .iter()
            .find(|d| d.kind == DeadlineKind::Customers)
            .unwrap();
        assert_eq!(customers.state, DeadlineState::Kept);
        let execs = d
            .iter()
            .find(|d| d.kind == DeadlineKind::Executives)
            .unwrap();
        assert_eq!(execs.state, DeadlineState::Pending);
    }

    #[test]
    fn compliance_counts_per_severity_and_lists_misses() {
        let config = Config::new("x");
        let mut kept = incident("kept", Severity::Sev1, "10:00");
        update(&mut kept, "10:05", None);
        let late = incident("late", Severity::Sev1, "10:00");
        let now = t("10:30");
        let (kept, late) = (
            MetricRecord::of(&kept, &config, now),
            MetricRecord::of(&late, &config, now),
        );
        let rows = compliance(&[&kept, &late], now);
        let sp = rows
            .iter()
            .find(|r| r.deadline == DeadlineKind::StatusPage)
            .unwrap();
        assert_eq!((sp.kept, sp.missed), (1, 1));
        assert_eq!(sp.percent, Some(50.0));
        assert_eq!(sp.misses, ["late: still missing, overdue by 15 min"]);
    }

    #[test]
    fn drills_are_left_out_unless_included_and_recurrence_needs_two() {
        let config = Config::new("x");
        let mut a = incident("a", Severity::Sev2, "10:00");
        a.times.acknowledged_at = Some(t("10:10"));
        let mut b = incident("b", Severity::Sev3, "10:00");
        b.times.acknowledged_at = Some(t("10:20"));
        let mut drill = incident("d", Severity::Sev1, "10:00");
        drill.drill = true;
        drill.times.acknowledged_at = Some(t("10:59"));
        let mut escalated = incident("e", Severity::Sev1, "10:00");
        escalated
            .set_severity(
                Severity::Sev3,
                None,
                &crate::model::Stamp {
                    at: t("10:30"),
                    by: "x".into(),
                },
            )
            .unwrap();
        escalated.drill = true;
        let all = vec![a, b, drill, escalated];
        let s = stats(
            &all,
            &config,
            t("09:00"),
            t("12:00"),
            Some(Grouping::Severity),
            false,
        );
        assert_eq!((s.incidents, s.drills), (2, 2));
        assert_eq!(s.times.mtta.mean_secs, Some(900));
        assert_eq!(s.recurrence.services["checkout"], ["a", "b"]);
        assert_eq!(
            s.groups.iter().map(|g| g.key.as_str()).collect::<Vec<_>>(),
            ["SEV2", "SEV3"]
        );
        let with = stats(
            &all,
            &config,
            t("09:00"),
            t("12:00"),
            Some(Grouping::Severity),
            true,
        );
        assert_eq!(with.incidents, 4);
        assert_eq!(with.times.mtta.count, 3);
        // Grouped by the worst severity reached, as `by_severity` counts: the SEV1 that was
        // downgraded to SEV3 is in the SEV1 group.
        let groups: Vec<(&str, usize)> = with
            .groups
            .iter()
            .map(|g| (g.key.as_str(), g.incidents))
            .collect();
        assert_eq!(groups, [("SEV1", 2), ("SEV2", 1), ("SEV3", 1)]);
        assert_eq!(with.by_severity["SEV1"], 2);
    }

    #[test]
    fn action_completion_and_days_to_close() {
        let mut i = incident("a", Severity::Sev2, "10:00");
        let stamp = |d: &str| Stamp {
            at: format!("{d}T10:00:00Z").parse().unwrap(),
            by: "a".into(),
        };
        for (title, due) in [
            ("one", "2026-11-20"),
            ("two", "2026-12-20"),
            ("three", "2026-11-01"),
        ] {
            i.add_action(
                ActionItem {
                    id: String::new(),
                    number: 0,
                    title: title.into(),
                    owner: "bob".into(),
                    due: Some(due.parse().unwrap()),
                    action_type: ActionType::Prevent,
                    state: ActionState::Open,
                    link: None,
                    runbook: None,
                    created_at: t("10:00"),
                    closed_at: None,
                    note: None,
                    extra: Default::default(),
                },
                &stamp("2026-11-10"),
            );
        }
        i.close_action(1, ActionState::Done, None, &stamp("2026-11-14"))
            .unwrap();
        i.close_action(
            3,
            ActionState::Dropped,
            Some("obsolete"),
            &stamp("2026-11-15"),
        )
        .unwrap();
        assert!(
            i.close_action(1, ActionState::Done, None, &stamp("2026-11-16"))
                .is_err()
        );
        let r = record(&i);
        let s = action_stats(&[&r], "2026-11-25".parse().unwrap());
        assert_eq!(
            (s.total, s.open, s.done, s.dropped, s.overdue),
            (3, 1, 1, 1, 0)
        );
        assert_eq!(s.completion_percent, Some(50.0));
        assert_eq!(s.median_days_to_close, Some(4.0));
        let s = action_stats(&[&r], "2026-12-21".parse().unwrap());
        assert_eq!(s.overdue, 1);
    }

    #[test]
    fn a_responders_load_counts_overlapping_roles_once_and_pages_out_of_hours_in_their_zone() {
        let at = |t: &str| -> DateTime<Utc> { format!("2026-11-28T{t}:00Z").parse().unwrap() };
        let stamp = |t: &str, by: &str| crate::model::Stamp {
            at: at(t),
            by: by.into(),
        };
        let mut i = Incident::declare(
            "2026-11-28-x".into(),
            "X".into(),
            Severity::Sev1,
            &stamp("10:00", "alice"),
        );
        i.assign(
            &[("commander".into(), "alice".into())],
            &stamp("10:00", "alice"),
        )
        .unwrap();
        i.assign(
            &[("scribe".into(), "alice".into())],
            &stamp("10:05", "alice"),
        )
        .unwrap();
        i.assign(
            &[
                ("comms".into(), "bob".into()),
                ("scribe".into(), String::new()),
            ],
            &stamp("10:10", "alice"),
        )
        .unwrap();
        // Bob hands comms over for ten minutes and takes it back: the gap is not engagement.
        i.assign(
            &[("comms".into(), "carol".into())],
            &stamp("10:30", "alice"),
        )
        .unwrap();
        i.assign(&[("comms".into(), "bob".into())], &stamp("10:40", "alice"))
            .unwrap();
        i.set_status(
            Status::Resolved,
            None,
            crate::model::Reopen::No,
            &stamp("11:00", "alice"),
        )
        .unwrap();
        let berlin: chrono_tz::Tz = "Europe/Berlin".parse().unwrap();
        let pages = vec![
            // Saturday 2026-11-28 10:00 Berlin: a weekend.
            PageSent {
                person: "alice".into(),
                at: at("09:00"),
                zone: berlin,
            },
            // Monday 2026-11-30 09:00 Berlin: working hours; 19:00 is not.
            PageSent {
                person: "bob".into(),
                at: "2026-11-30T08:00:00Z".parse().unwrap(),
                zone: berlin,
            },
            PageSent {
                person: "bob".into(),
                at: "2026-11-30T18:00:00Z".parse().unwrap(),
                zone: berlin,
            },
            // Before the window.
            PageSent {
                person: "bob".into(),
                at: "2026-11-01T08:00:00Z".parse().unwrap(),
                zone: berlin,
            },
        ];
        let now: DateTime<Utc> = "2026-12-01T00:00:00Z".parse().unwrap();
        let load = responder_load(&[&i], &pages, "2026-11-20T00:00:00Z".parse().unwrap(), now);
        let rows: Vec<(&str, usize, usize, i64, usize, usize)> = load
            .iter()
            .map(|l| {
                (
                    l.who.as_str(),
                    l.pages,
                    l.out_of_hours_pages,
                    l.engaged_secs,
                    l.incidents,
                    l.commanded,
                )
            })
            .collect();
        assert_eq!(
            rows,
            [
                ("alice", 1, 1, 3600, 1, 1),
                ("bob", 2, 1, 2400, 1, 0),
                ("carol", 0, 0, 600, 1, 0)
            ]
        );
    }

    #[test]
    fn mtta_counts_from_the_first_page_sent_before_the_acknowledgement() {
        let mut i = incident("a", Severity::Sev1, "10:00");
        i.times.detected_at = Some(t("09:50"));
        i.times.acknowledged_at = Some(t("10:07"));
        let mut r = record(&i);
        let mtta = |r: &MetricRecord| response_times(&[r]).mtta.mean_secs;
        assert_eq!(mtta(&r), Some(17 * 60), "from detection without a page");
        r.paged_at = Some(t("10:00"));
        assert_eq!(mtta(&r), Some(7 * 60));
        r.paged_at = Some(t("10:07"));
        assert_eq!(mtta(&r), Some(0), "a page at the very moment of the ack");
        // A page recorded after the acknowledgement (a clone that had not seen it) is not the start.
        r.paged_at = Some(t("10:09"));
        assert_eq!(mtta(&r), Some(17 * 60));
    }
}
