//! `incident list`: every incident, open ones first, worst first.

use super::Context;
use crate::model::{IncidentSummary, Severity, Status, format_duration};
use crate::output::{Style, severity_style};
use crate::store::{SummaryView, Want};
use crate::table::{Cell, Column, Grid};
use anyhow::Result;
use chrono::{DateTime, Utc};
use std::borrow::Cow;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// only incidents that are not resolved
    #[arg(long)]
    pub open: bool,
    /// only this severity
    #[arg(long, value_name = "SEV", add = crate::complete::severities())]
    pub sev: Option<Severity>,
    /// only incidents affecting this service
    #[arg(long, value_name = "S", add = crate::complete::services())]
    pub service: Option<String>,
    /// only incidents detected since TIME (RFC 3339, HH:MM, `2h ago` or a span like `30d`)
    #[arg(long, value_name = "TIME")]
    pub since: Option<String>,
    /// show every column in full, however narrow the terminal
    #[arg(long)]
    pub wide: bool,
}

pub fn run(ctx: &Context, args: Args) -> Result<()> {
    let store = ctx.store()?;
    let since = args
        .since
        .as_deref()
        .map(|s| ctx.since_arg(s))
        .transpose()?;
    // `--open` and `--sev` are answered from the packed rows, unpacking only those that match.
    let matches = |packed: &[u8]| {
        crate::store::summary_state(packed).is_none_or(|(severity, status)| {
            (!args.open || status.is_active()) && args.sev.is_none_or(|s| s == severity)
        })
    };
    let filtered = args.open || args.sev.is_some();
    let rows = store.load_summary_rows(filtered.then_some(&matches as Want))?;
    // Views into the cache, not owned summaries: at 100,000 incidents those would be 800,000
    // allocations. Filtered where they lie (a view and a view-or-error are the same size, so the
    // vector is reused: asserted below), not copied into a second 14 MB vector.
    let incidents: Vec<SummaryView> = rows
        .views()
        .into_iter()
        .filter_map(|row| match row {
            Ok(incident) => Some(incident),
            Err(e) => {
                crate::say!("warning: skipped {e}");
                None
            }
        })
        .filter(|i| {
            (!args.open || i.status.is_active())
                && args.sev.is_none_or(|s| i.severity == s)
                && args
                    .service
                    .as_ref()
                    .is_none_or(|s| i.services().any(|x| x == s))
                && since.is_none_or(|t| i.opened_at().is_some_and(|o| o >= t))
        })
        .collect();
    let order = triage_order(&incidents, |i| {
        (
            triage_key(i.drill, i.status, i.severity, i.opened_at()),
            i.id,
        )
    });
    let sorted = order.iter().map(|&n| &incidents[n]);
    if ctx.out.json {
        ctx.out.json(&Sorted(sorted.map(SummaryView::to_summary)))?;
        return Ok(());
    }
    if incidents.is_empty() {
        return ctx.out.line("no incidents match");
    }
    // Narrow terminals lose the title's tail first, then the age, the commander and the title (the ID
    // holds its slug); the ID, severity and status always show in full.
    let columns = vec![
        Column::keep("ID"),
        Column::keep("SEV"),
        Column::drop("STATUS", 1),
        Column::shrink("TITLE", 16, 2),
        Column::drop("COMMANDER", 3),
        Column::drop("AGE", 4),
    ];
    let now = ctx.now;
    // On a terminal an ID is shown without its date where that names one incident alone, as git
    // abbreviates hashes: the title keeps its room at 80 columns, and what is shown still resolves
    // (`incident show checkout-down`). Pipes and `--wide` get the whole ID.
    let short_ids = (ctx.out.tty && !args.wide).then(|| crate::store::ShortIds::of(store));
    let shown_id = |id: &str| -> String {
        match &short_ids {
            Some(short) => short.shown(id),
            None => id.to_string(),
        }
    };
    use rayon::prelude::*;
    // Rows of cells laid out on all cores straight into one vector (an indexed collect), then
    // seen as one run of cells without a copy.
    let rows: Vec<[Cell; 6]> = order
        .par_iter()
        .with_min_len(1000)
        .map(|&n| {
            let i = &incidents[n];
            // A drill says so beside its status, so its title keeps the room a title gets.
            let status: Cow<str> = if i.drill {
                format!("{} (drill)", i.status.as_str()).into()
            } else {
                i.status.as_str().into()
            };
            [
                Cell::styled(shown_id(i.id), Style::Bold),
                Cell::styled(i.severity.as_str(), severity_style(i.severity)),
                Cell::plain(status),
                Cell::plain(i.title),
                Cell::plain(i.commander().unwrap_or("-")),
                Cell::plain(age(i, now)),
            ]
        })
        .collect();
    let grid = Grid::with_cells(columns, rows.into_flattened());
    ctx.out.grid(&grid, args.wide)?;
    // Freeing 100,000 rows one by one costs more than the process exit that frees them at once.
    std::mem::forget(grid);
    Ok(())
}

/// `run` collects its views into the vector of views-or-errors they came in; the standard library
/// reuses a vector in place only for items of the same size and alignment.
const _: () = {
    use std::mem::{align_of, size_of};
    type Row<'a> = Result<SummaryView<'a>, &'a crate::store::StoreError>;
    assert!(size_of::<SummaryView>() == size_of::<Row>());
    assert!(align_of::<SummaryView>() == align_of::<Row>());
};

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
fn triage_key(
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

/// Serialises the items of an iterator as a JSON array, without collecting them.
struct Sorted<I>(I);

impl<I: Iterator<Item = IncidentSummary> + Clone> serde::Serialize for Sorted<I> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.0.clone())
    }
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

/// How long an open incident has run, or how long a resolved one lasted.
fn age(i: &SummaryView, now: DateTime<Utc>) -> String {
    match i.duration(now) {
        Some(d) if i.status.is_active() => format_duration(d) + " (open)",
        Some(d) => format_duration(d),
        None => "-".into(),
    }
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
            started_at: None,
            detected_at: opened,
            acknowledged_at: None,
            mitigated_at: None,
            resolved_at: None,
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
