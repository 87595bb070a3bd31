//! The reliability report as an operation: `stats`' figures over a window, the same over time
//! (week by week or month by month), each service's uptime against its SLO, overdue action items
//! by owner and the responders' load. `incident stats` and `incident report` read the records
//! through [`metric_records`] alike.

use crate::metrics::{self, Group, MetricRecord, ResponderLoad, Stats};
use crate::model::{ActionState, PublicView};
use crate::store::{Store, SummaryView};
use crate::trends::{Period, Slo, Trend};
use anyhow::Result;
use chrono::{DateTime, Utc};
use serde::Serialize;
use std::collections::BTreeMap;

/// What the report breaks the response times down by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum By {
    Service,
    Severity,
    /// The team of each affected service (`team:` in the catalog).
    Team,
}

/// Every record as the figures read it (from the cache where a record did not change), with
/// MTTA counting from the first page where the ledger has one; and what could not be read.
pub fn metric_records(
    store: &Store,
    now: DateTime<Utc>,
) -> Result<(Vec<MetricRecord>, Vec<String>)> {
    let mut skipped = Vec::new();
    let mut records: Vec<MetricRecord> = store
        .load_metric_records(now)?
        .into_iter()
        .filter_map(|r| r.map_err(|e| skipped.push(e.to_string())).ok())
        .collect();
    // The ledger holds every notification ever sent: read only where pages can exist.
    let paged = if store.escalation().map_or(true, |e| e.policies.is_empty()) {
        Default::default()
    } else {
        super::query::first_pages(store)?
    };
    if !paged.is_empty() {
        for r in &mut records {
            r.paged_at = paged.get(&r.id).copied();
        }
    }
    Ok((records, skipped))
}

#[derive(Debug, Serialize)]
pub struct Report {
    pub organisation: String,
    /// `stats --json` over the same window: the figures the report's tables and CSV repeat.
    pub stats: Stats,
    pub period: Period,
    pub trends: Vec<Trend>,
    pub by: Option<By>,
    /// The response times by `by` (for `team`, by each service's team).
    pub groups: Vec<Group>,
    pub slos: Vec<Slo>,
    /// Open action items past their due date, by owner.
    pub overdue_by_owner: BTreeMap<String, usize>,
    /// Pages, out-of-hours pages and time engaged per person (when rotas exist).
    pub responders: Vec<ResponderLoad>,
    /// Incidents of the same service and kind, where there was more than one.
    pub recurring: Vec<Recurring>,
    /// Records that could not be read, left out.
    #[serde(skip)]
    pub skipped: Vec<String>,
}

/// Incidents of one service and kind in the window: a problem that came back.
#[derive(Debug, Serialize)]
pub struct Recurring {
    pub service: String,
    pub kind: String,
    pub incidents: Vec<String>,
}

/// The report over `[since, now]`.
pub fn report(
    store: &Store,
    since: DateTime<Utc>,
    now: DateTime<Utc>,
    by: Option<By>,
    include_drills: bool,
) -> Result<Report> {
    let config = store.config();
    let (records, skipped) = metric_records(store, now)?;
    let grouping = match by {
        Some(By::Service) => Some(metrics::Grouping::Service),
        Some(By::Severity) => Some(metrics::Grouping::Severity),
        Some(By::Team) | None => None,
    };
    let stats = metrics::stats_of(&records, since, now, grouping, include_drills);
    let counted: Vec<&MetricRecord> = records
        .iter()
        .filter(|r| include_drills || !r.drill)
        .collect();
    let days = (now - since).num_days().max(1);
    let period = Period::for_window(days);
    let trends = crate::trends::trends(&counted, since, now, period);
    let in_window: Vec<&MetricRecord> = counted
        .iter()
        .copied()
        .filter(|r| r.opened_at().is_some_and(|t| t >= since && t <= now))
        .collect();
    let groups = match by {
        Some(By::Team) => {
            let mut members: BTreeMap<String, Vec<&MetricRecord>> = BTreeMap::new();
            for r in &in_window {
                let mut teams: Vec<String> = r
                    .services
                    .iter()
                    .map(|s| {
                        config
                            .service(s)
                            .and_then(|c| c.team.clone())
                            .unwrap_or_else(|| "(no team)".into())
                    })
                    .collect();
                if teams.is_empty() {
                    teams.push("(no team)".into());
                }
                teams.sort();
                teams.dedup();
                for t in teams {
                    members.entry(t).or_default().push(r);
                }
            }
            members
                .into_iter()
                .map(|(key, list)| Group {
                    key,
                    incidents: list.len(),
                    times: metrics::response_times(&list),
                })
                .collect()
        }
        _ => stats.groups.clone(),
    };
    let today = now.date_naive();
    let overdue_ids: Vec<String> = in_window
        .iter()
        .filter(|r| {
            r.actions
                .iter()
                .any(|a| a.state == ActionState::Open && a.due.is_some_and(|d| d < today))
        })
        .map(|r| r.id.clone())
        .collect();
    let mut overdue_by_owner: BTreeMap<String, usize> = BTreeMap::new();
    for loaded in store.load_ids_mapped(&overdue_ids, |i: crate::model::Incident| i) {
        let Ok(i) = loaded else { continue };
        for a in i.actions.iter().filter(|a| a.state == ActionState::Open) {
            if a.due.is_some_and(|d| d < today) {
                *overdue_by_owner
                    .entry(config.display_name(&a.owner).to_string())
                    .or_insert(0) += 1;
            }
        }
    }
    let mut pairs: BTreeMap<(String, String), Vec<String>> = BTreeMap::new();
    for r in &in_window {
        for service in &r.services {
            pairs
                .entry((service.clone(), r.kind.to_string()))
                .or_default()
                .push(r.id.clone());
        }
    }
    let recurring = pairs
        .into_iter()
        .filter(|(_, ids)| ids.len() > 1)
        .map(|((service, kind), incidents)| Recurring {
            service,
            kind,
            incidents,
        })
        .collect();
    let slos = slos(store, since, now)?;
    let responders = if store.schedules().is_ok_and(|s| !s.is_empty()) {
        super::query::responders(store, since, now, include_drills)?
    } else {
        Vec::new()
    };
    Ok(Report {
        organisation: config.organisation.clone(),
        stats,
        period,
        trends,
        by,
        groups,
        slos,
        overdue_by_owner,
        responders,
        recurring,
        skipped,
    })
}

/// Each service with an `slo:`, its uptime over the window (days in the page's time zone)
/// against it.
fn slos(store: &Store, since: DateTime<Utc>, now: DateTime<Utc>) -> Result<Vec<Slo>> {
    let config = store.config();
    let promised: Vec<(&str, f64, Option<chrono::NaiveDate>)> = config
        .services
        .iter()
        .filter_map(|s| s.slo.map(|t| (s.id.as_str(), t, s.start_date)))
        .collect();
    if promised.is_empty() {
        return Ok(Vec::new());
    }
    // Only incidents that were not over before the window are read, as the page reads them.
    let wanted_view = |packed: &[u8]| {
        SummaryView::decode(packed)
            .is_none_or(|s| !s.drill && s.times.resolved_at.is_none_or(|r| r >= since))
    };
    let rows = store.load_summary_rows(Some(&wanted_view))?;
    let wanted: Vec<String> = rows
        .views()
        .into_iter()
        .filter_map(Result::ok)
        .filter(|s| !s.drill && s.times.resolved_at.is_none_or(|r| r >= since))
        .map(|s| s.id.to_string())
        .collect();
    drop(rows);
    let mut periods = Vec::new();
    for view in store
        .load_ids_cached::<PublicView>(&wanted)
        .into_iter()
        .flatten()
    {
        periods.extend(view.into_incident().component_periods(config));
    }
    let tz: chrono_tz::Tz = config
        .status_page
        .time_zone
        .as_deref()
        .and_then(|z| z.parse().ok())
        .unwrap_or(chrono_tz::UTC);
    let first = since.with_timezone(&tz).date_naive();
    let today = now.with_timezone(&tz).date_naive();
    let days = u32::try_from((today - first).num_days() + 1).unwrap_or(1);
    let refs: Vec<&crate::model::ComponentPeriod> = periods.iter().collect();
    Ok(promised
        .into_iter()
        .map(|(service, target, start)| {
            // Counted from the window's start, not before the service went live.
            let start = Some(start.map_or(first, |s| s.max(first)));
            let uptime = crate::uptime::component_uptime(service, &refs, start, days, now, &tz);
            crate::trends::slo(&uptime, target)
        })
        .collect())
}
