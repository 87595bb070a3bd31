//! Questions asked of the store: which incidents, in what order. Every face (the table of `list`,
//! shell completion, the server, the live view) asks them here, and none reads a cache's packed
//! bytes itself.

use crate::model::{IncidentSummary, Severity, Status};
use crate::store::{Store, SummaryRows, SummaryView, Want};
use anyhow::Result;
use chrono::{DateTime, Utc};

/// Which incidents to list; every field left empty lets all through.
#[derive(Debug, Clone, Default)]
pub struct IncidentFilter {
    /// Only those not resolved.
    pub open: bool,
    pub severity: Option<Severity>,
    /// Only those affecting this service.
    pub service: Option<String>,
    /// Only those opened (detected, else declared) at or after this time.
    pub since: Option<DateTime<Utc>>,
}

impl IncidentFilter {
    fn admits(&self, i: &SummaryView) -> bool {
        (!self.open || i.status.is_active())
            && self.severity.is_none_or(|s| i.severity == s)
            && self
                .service
                .as_ref()
                .is_none_or(|s| i.services().any(|x| x == s))
            && self
                .since
                .is_none_or(|t| i.opened_at().is_some_and(|o| o >= t))
    }
}

/// The summaries a filter asked for, read from the cache where they lie.
pub struct Listing {
    rows: SummaryRows,
    filter: IncidentFilter,
}

/// Reads the summaries `filter` may let through. `open` and `severity` are judged on the packed
/// rows, so only the rows that match are unpacked (at 100,000 incidents most of them are not).
pub fn incidents(store: &Store, filter: IncidentFilter) -> Result<Listing> {
    let matches = |packed: &[u8]| {
        crate::store::summary_state(packed).is_none_or(|(severity, status)| {
            (!filter.open || status.is_active()) && filter.severity.is_none_or(|s| s == severity)
        })
    };
    let narrowed = filter.open || filter.severity.is_some();
    let rows = store.load_summary_rows(narrowed.then_some(&matches as Want))?;
    Ok(Listing { rows, filter })
}

/// The incidents of a [`Listing`] in triage order, as views into the cache (at 100,000 incidents
/// owned summaries would be 800,000 allocations), and the records that could not be read.
pub struct Triaged<'a> {
    views: Vec<SummaryView<'a>>,
    order: Vec<usize>,
    /// Why each unreadable record was left out.
    pub skipped: Vec<String>,
}

impl Listing {
    pub fn triaged(&self) -> Triaged<'_> {
        let mut skipped = Vec::new();
        // Filtered where they lie (a view and a view-or-error are the same size, so the vector is
        // reused: asserted below), not copied into a second 14 MB vector.
        let views: Vec<SummaryView> = self
            .rows
            .views()
            .into_iter()
            .filter_map(|row| match row {
                Ok(incident) => Some(incident),
                Err(e) => {
                    skipped.push(e.to_string());
                    None
                }
            })
            .filter(|i| self.filter.admits(i))
            .collect();
        let order = triage_order(&views, |i| {
            (
                triage_key(i.drill, i.status, i.severity, i.opened_at()),
                i.id,
            )
        });
        Triaged {
            views,
            order,
            skipped,
        }
    }
}

/// `triaged` collects its views into the vector of views-or-errors they came in; the standard
/// library reuses a vector in place only for items of the same size and alignment.
const _: () = {
    use std::mem::{align_of, size_of};
    type Row<'a> = Result<SummaryView<'a>, &'a crate::store::StoreError>;
    assert!(size_of::<SummaryView>() == size_of::<Row>());
    assert!(align_of::<SummaryView>() == align_of::<Row>());
};

impl<'a> Triaged<'a> {
    pub fn len(&self) -> usize {
        self.views.len()
    }

    pub fn is_empty(&self) -> bool {
        self.views.is_empty()
    }

    /// The incidents in triage order.
    pub fn iter(&self) -> impl Iterator<Item = &SummaryView<'a>> + Clone {
        self.order.iter().map(|&n| &self.views[n])
    }

    /// The views in the order they were read, and positions into them in triage order: for work
    /// spread over cores that indexes rather than iterates.
    pub fn parts(&self) -> (&[SummaryView<'a>], &[usize]) {
        (&self.views, &self.order)
    }
}

/// Real incidents before drills; open ones first, worst severity first; then resolved ones, newest
/// first (severity no longer decides what to look at).
pub fn sort_for_triage(incidents: &mut [IncidentSummary]) {
    let order = triage_order(incidents, |i| {
        (
            triage_key(i.drill, i.status, i.severity, i.opened_at()),
            i.id.as_str(),
        )
    });
    apply_order(incidents, order);
}

/// The positions of `incidents` in [`sort_for_triage`]'s order, by each one's [`triage_key`] and
/// then its ID. Comparing the summaries' fields, and moving 200-byte values twenty times each, took
/// 20 ms at 100,000 incidents.
fn triage_order<S>(incidents: &[S], key: impl Fn(&S) -> (u128, &str)) -> Vec<usize> {
    let mut order: Vec<(u128, usize)> = incidents
        .iter()
        .enumerate()
        .map(|(n, i)| (key(i).0, n))
        .collect();
    order.sort_unstable_by(|a, b| {
        a.0.cmp(&b.0)
            .then_with(|| key(&incidents[a.1]).1.cmp(key(&incidents[b.1]).1))
            .then(a.1.cmp(&b.1))
    });
    order.into_iter().map(|(_, n)| n).collect()
}

/// Orders as (drill, resolved, severity while active, latest opened first, unknown opening last),
/// packed high bit first: drill 1 bit, resolved 1, severity 3, no opening time 1, then the opening
/// time's seconds (64) and nanoseconds (30), both inverted so later comes first.
pub(crate) fn triage_key(
    drill: bool,
    status: Status,
    severity: Severity,
    opened: Option<DateTime<Utc>>,
) -> u128 {
    let active = status.is_active();
    let severity = if active { severity as u128 + 1 } else { 0 };
    let opened = match opened {
        Some(t) => {
            let secs = (t.timestamp() as u64) ^ (1 << 63);
            let nanos = u128::from(t.timestamp_subsec_nanos());
            (u128::from(!secs) << 30) | ((1 << 30) - 1 - nanos)
        }
        None => 1 << 94,
    };
    (u128::from(drill) << 99) | (u128::from(!active) << 98) | (severity << 95) | opened
}

/// Puts `items[order[n]]` at `n`, following each cycle of the permutation with swaps.
fn apply_order<T>(items: &mut [T], mut order: Vec<usize>) {
    for start in 0..items.len() {
        let mut at = start;
        while order[at] != start {
            let from = order[at];
            items.swap(at, from);
            order[at] = at;
            at = from;
        }
        order[at] = at;
    }
}

/// What every active incident owes now.
pub struct Owed {
    pub due: Vec<crate::metrics::Due>,
    /// How many incidents are active (some may owe nothing).
    pub active: usize,
    /// Why each unreadable record was left out.
    pub skipped: Vec<String>,
}

/// What every active incident owes as of `now`, worst first. Only active incidents can owe
/// anything: the cached figures say which they are, judged on their packed form so that only
/// those are unpacked, and only those records are read whole.
pub fn owed(store: &Store, now: DateTime<Utc>) -> Result<Owed> {
    use crate::store::{MetricFacts, metric_status};
    let mut skipped = Vec::new();
    let is_active = |packed: &[u8]| metric_status(packed).is_none_or(|s| s.is_active());
    let mut active: Vec<String> = store
        .load_all_cached_where::<MetricFacts>(&is_active)?
        .into_iter()
        .filter_map(|r| match r {
            Ok(f) => f.record.status.is_active().then_some(f.record.id),
            Err(e) => {
                skipped.push(e.to_string());
                None
            }
        })
        .collect();
    active.sort();
    let mut incidents = Vec::with_capacity(active.len());
    for loaded in store.load_ids_mapped(&active, crate::model::Incident::for_metrics) {
        match loaded {
            Ok(i) => incidents.push(i),
            Err(e) => skipped.push(e.to_string()),
        }
    }
    Ok(Owed {
        due: crate::metrics::due(&incidents, store.config(), now),
        active: incidents.iter().filter(|i| i.status.is_active()).count(),
        skipped,
    })
}

/// Past incidents matching `query`, best first, and the records that could not be read. The words
/// of every record are kept in the cache, so a warm search reads no YAML.
pub fn search(
    store: &Store,
    query: &crate::model::search::SearchQuery,
) -> Result<(Vec<crate::model::search::Hit>, Vec<String>)> {
    let (docs, skipped) = search_docs(store)?;
    Ok((crate::model::search::search(&docs, query), skipped))
}

/// The three past incidents most like `incident` (same service or kind, similar words).
pub fn similar(
    store: &Store,
    incident: &crate::model::Incident,
) -> Result<Vec<crate::model::search::Hit>> {
    let (docs, _) = search_docs(store)?;
    Ok(crate::model::search::similar(&docs, incident))
}

fn search_docs(store: &Store) -> Result<(Vec<crate::model::search::SearchDoc>, Vec<String>)> {
    let mut docs = Vec::new();
    let mut skipped = Vec::new();
    for loaded in store.load_all_cached::<crate::model::search::SearchDoc>()? {
        match loaded {
            Ok(doc) => docs.push(doc),
            Err(e) => skipped.push(e.to_string()),
        }
    }
    Ok((docs, skipped))
}

/// When each incident's first page went out, from this clone's copy of the shared notify ledger.
pub fn first_pages(store: &Store) -> Result<std::collections::HashMap<String, DateTime<Utc>>> {
    let mut out: std::collections::HashMap<String, DateTime<Utc>> = Default::default();
    for stamp in store
        .ledger("origin", String::new())?
        .sent_matching("/page-")
    {
        if let Some((incident, _)) = crate::model::escalation::paged_in(&stamp.key) {
            let first = out.entry(incident.to_string()).or_insert(stamp.at);
            *first = (*first).min(stamp.at);
        }
    }
    Ok(out)
}

/// Each person's load from `since` until `now`: the roles they held in incidents opened in the
/// window (drills only when asked) and the pages the shared ledger says were sent to them, out of
/// hours as their rota's zone tells (UTC for someone on no rota).
pub fn responders(
    store: &Store,
    since: DateTime<Utc>,
    now: DateTime<Utc>,
    drills: bool,
) -> Result<Vec<crate::metrics::ResponderLoad>> {
    let mut incidents = Vec::new();
    for loaded in store.load_all()? {
        // A record that does not read is `check`'s to report; the load of the others stands.
        let Ok(i) = loaded else { continue };
        let opened = i.times.opened_at().or(i.timeline.first().map(|e| e.at));
        let ended = i.times.resolved_at.unwrap_or(now);
        if (drills || !i.drill) && opened.is_some_and(|o| o <= now) && ended >= since {
            incidents.push(i);
        }
    }
    let schedules = store.schedules()?;
    let zone_of = |who: &str| {
        schedules
            .iter()
            .find(|s| s.layers.iter().any(|l| l.members.iter().any(|m| m == who)))
            .map_or(chrono_tz::UTC, |s| s.tz())
    };
    let ledger = store.ledger("origin", String::new())?;
    let mut seen = std::collections::HashSet::new();
    let mut pages = Vec::new();
    for stamp in ledger.sent_matching("/page-") {
        let Some((_, person)) = crate::model::escalation::paged_in(&stamp.key) else {
            continue;
        };
        // One page, however many targets carried it: the key less its target.
        let page = stamp
            .key
            .rsplit_once('/')
            .map_or(stamp.key.as_str(), |(p, _)| p);
        if !seen.insert(page.to_string()) {
            continue;
        }
        pages.push(crate::metrics::PageSent {
            person: person.to_string(),
            at: stamp.at,
            zone: zone_of(person),
        });
    }
    let refs: Vec<&crate::model::Incident> = incidents.iter().collect();
    Ok(crate::metrics::responder_load(&refs, &pages, since, now))
}

#[cfg(test)]
mod tests {
    use crate::model::{IncidentSummary, Severity, Status};
    use chrono::{DateTime, TimeZone, Utc};

    fn summary(
        n: usize,
        drill: bool,
        severity: Severity,
        status: Status,
        opened: Option<DateTime<Utc>>,
    ) -> IncidentSummary {
        IncidentSummary {
            id: format!("id-{}", n % 7),
            title: format!("t{n}"),
            kind: Default::default(),
            severity,
            status,
            drill,
            services: Vec::new(),
            roles: Default::default(),
            times: crate::model::Lifecycle {
                started_at: None,
                detected_at: opened,
                acknowledged_at: None,
                mitigated_at: None,
                resolved_at: None,
            },
        }
    }

    proptest::proptest! {
        /// The packed key orders as the fields it packs: drills last, open before resolved, worst
        /// first while open, latest opening first, no opening time last, then by ID.
        #[test]
        fn triage_order_is_the_fields_order(
            rows in proptest::collection::vec(
                (proptest::bool::ANY, 0usize..4, 0usize..5, proptest::option::of(-4_000_000_000i64..4_000_000_000), 0u32..3),
                0..40,
            ),
        ) {
            let mut items: Vec<IncidentSummary> = rows.iter().enumerate().map(|(n, (drill, sev, status, secs, nanos))| {
                let opened = secs.map(|s| Utc.timestamp_opt(s, *nanos * 400_000_000).unwrap());
                summary(n, *drill, Severity::ALL[*sev], Status::ALL[*status % Status::ALL.len()], opened)
            }).collect();
            let mut wanted = items.clone();
            wanted.sort_by(|a, b| {
                let rank = |i: &IncidentSummary| {
                    let active = i.status.is_active();
                    (i.drill, !active, if active { Some(i.severity) } else { None }, std::cmp::Reverse(i.opened_at()))
                };
                rank(a).cmp(&rank(b)).then_with(|| a.id.cmp(&b.id))
            });
            super::sort_for_triage(&mut items);
            proptest::prop_assert_eq!(items, wanted);
        }

        /// Applying an order by swaps gives what indexing gives.
        #[test]
        fn orders_are_applied_as_indexing_would(
            items in proptest::collection::vec(0u32..1000, 0..60),
        ) {
            let mut order: Vec<usize> = (0..items.len()).collect();
            order.sort_by_key(|&n| (items[n], n));
            let wanted: Vec<u32> = order.iter().map(|&n| items[n]).collect();
            let mut got = items.clone();
            super::apply_order(&mut got, order);
            proptest::prop_assert_eq!(got, wanted);
        }
    }
}
