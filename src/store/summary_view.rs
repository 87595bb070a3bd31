//! An incident's summary read in place from its packed form, for `list` over every record: at
//! 100,000 incidents, unpacking owned summaries makes 800,000 small allocations, and on this kind of
//! machine the fresh memory alone costs more than the rest of the command.

use super::StoreError;
use super::cache::Mapped;
use super::pack::Unpacker;
use crate::model::{IncidentKind, IncidentSummary, Lifecycle, RoleList, Severity, Status};
use chrono::{DateTime, Utc};

/// The fields of an [`IncidentSummary`], borrowed from the bytes `Cached::pack` wrote for it.
#[derive(Debug, Clone, Copy)]
pub struct SummaryView<'a> {
    pub id: &'a str,
    pub title: &'a str,
    pub kind: IncidentKind,
    pub severity: Severity,
    pub status: Status,
    pub drill: bool,
    /// The packed services and their count, read on demand.
    services: (usize, &'a [u8]),
    /// The packed role/person pairs, sorted by role, and their count.
    roles: (usize, &'a [u8]),
    pub times: Lifecycle,
}

impl<'a> SummaryView<'a> {
    /// The view of a packed summary, or nothing when the bytes are not one whole summary as
    /// `Cached::pack` writes it, so a damaged entry is read from its record instead.
    pub fn decode(bytes: &'a [u8]) -> Option<SummaryView<'a>> {
        let mut u = Unpacker::new(bytes);
        let view = SummaryView::read(&mut u)?;
        u.is_empty().then_some(view)
    }

    /// Reads one packed summary from `u`; the summary's own unpacking is this view made owned.
    pub(super) fn read(u: &mut Unpacker<'a>) -> Option<SummaryView<'a>> {
        let id = u.str()?;
        let title = u.str()?;
        let kind = u.pick(&IncidentKind::ALL)?;
        let severity = u.pick(&Severity::ALL)?;
        let status = u.pick(&Status::ALL)?;
        let drill = u.bool()?;
        let services = section(u, |u| u.str().map(|_| ()))?;
        let mut last: Option<&str> = None;
        let roles = section(u, |u| {
            let role = u.str()?;
            u.str()?;
            // Packed in order from a sorted list; anything else is not what was written.
            if last.is_some_and(|last| last >= role) {
                return None;
            }
            last = Some(role);
            Some(())
        })?;
        Some(SummaryView {
            id,
            title,
            kind,
            severity,
            status,
            drill,
            services,
            roles,
            // In the order `Cached::pack` wrote them (a struct literal's fields are evaluated in
            // the order written).
            times: Lifecycle {
                started_at: u.opt_time()?,
                detected_at: u.opt_time()?,
                acknowledged_at: u.opt_time()?,
                mitigated_at: u.opt_time()?,
                resolved_at: u.opt_time()?,
            },
        })
    }

    pub fn services(&self) -> impl Iterator<Item = &'a str> {
        let mut u = Unpacker::new(self.services.1);
        (0..self.services.0).map_while(move |_| u.str())
    }

    pub fn roles(&self) -> impl Iterator<Item = (&'a str, &'a str)> {
        let mut u = Unpacker::new(self.roles.1);
        (0..self.roles.0).map_while(move |_| Some((u.str()?, u.str()?)))
    }

    pub fn commander(&self) -> Option<&'a str> {
        self.roles()
            .find(|(role, _)| *role == "commander")
            .map(|(_, who)| who)
    }

    /// See [`Lifecycle::opened_at`].
    pub fn opened_at(&self) -> Option<DateTime<Utc>> {
        self.times.opened_at()
    }

    /// See [`Lifecycle::duration`].
    pub fn duration(&self, now: DateTime<Utc>) -> Option<chrono::Duration> {
        self.times.duration(now)
    }

    pub fn to_summary(&self) -> IncidentSummary {
        IncidentSummary {
            id: self.id.to_string(),
            title: self.title.to_string(),
            kind: self.kind,
            severity: self.severity,
            status: self.status,
            drill: self.drill,
            services: self.services().map(str::to_string).collect(),
            roles: self
                .roles()
                .map(|(r, w)| (r.to_string(), w.to_string()))
                .collect::<RoleList>(),
            times: self.times,
        }
    }
}

/// A count and that many items, each checked by `item`; gives the count and the items' bytes.
fn section<'a>(
    u: &mut Unpacker<'a>,
    mut item: impl FnMut(&mut Unpacker<'a>) -> Option<()>,
) -> Option<(usize, &'a [u8])> {
    let n = u.len()?;
    let start = u.rest();
    for _ in 0..n {
        item(u)?;
    }
    Some((n, &start[..start.len() - u.remaining()]))
}

/// Every record's packed summary, where it lies: in the mapped cache file, or packed this run from
/// a record that had changed. Views borrow from this.
pub struct SummaryRows {
    pub(super) mapped: Option<Mapped>,
    pub(super) fresh: Vec<u8>,
    pub(super) rows: Vec<Result<Packed, StoreError>>,
}

/// Where one packed value lies: its offset and length in the mapped file or in the fresh bytes.
pub(super) enum Packed {
    Mapped(usize, usize),
    Fresh(usize, usize),
}

impl SummaryRows {
    /// A view of each record's summary, in ID order, or why it could not be read; read on all
    /// cores.
    pub fn views(&self) -> Vec<Result<SummaryView<'_>, &StoreError>> {
        let mapped = self.mapped.as_deref().unwrap_or_default();
        use rayon::prelude::*;
        // Below 1,000 rows a thread costs more than it saves.
        self.rows
            .par_iter()
            .with_min_len(1000)
            .map(|row| {
                let bytes = match row {
                    Ok(Packed::Mapped(at, len)) => &mapped[*at..at + len],
                    Ok(Packed::Fresh(at, len)) => &self.fresh[*at..at + len],
                    Err(e) => return Err(e),
                };
                Ok(SummaryView::decode(bytes).expect("checked when it was loaded"))
            })
            .collect()
    }

    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::SummaryView;
    use crate::model::{IncidentKind, IncidentSummary, Severity, Status};
    use crate::store::Cached;
    use crate::store::pack::{Packer, Unpacker};
    use chrono::{TimeZone, Utc};
    use proptest::prelude::*;

    fn unpacked(bytes: &[u8]) -> Option<IncidentSummary> {
        let mut u = Unpacker::new(bytes);
        let value = IncidentSummary::unpack(&mut u)?;
        u.is_empty().then_some(value)
    }

    fn summary() -> impl Strategy<Value = IncidentSummary> {
        let time = proptest::option::of((0i64..4_000_000_000, 0u32..1_000_000_000))
            .prop_map(|t| t.map(|(s, n)| Utc.timestamp_opt(s, n).unwrap()));
        (
            (
                "[a-z0-9-]{1,30}",
                "\\PC{0,40}",
                0usize..4,
                0usize..4,
                0usize..5,
                any::<bool>(),
            ),
            proptest::collection::vec("[a-zé]{0,8}", 0..4),
            proptest::collection::btree_map("[a-z]{1,10}", "\\PC{0,12}", 0..4),
            [time.clone(), time.clone(), time.clone(), time.clone(), time],
        )
            .prop_map(
                |((id, title, kind, sev, status, drill), services, roles, times)| IncidentSummary {
                    id,
                    title,
                    kind: IncidentKind::ALL[kind % IncidentKind::ALL.len()],
                    severity: Severity::ALL[sev],
                    status: Status::ALL[status % Status::ALL.len()],
                    drill,
                    services,
                    roles: roles.into_iter().collect(),
                    times: crate::model::Lifecycle {
                        started_at: times[0],
                        detected_at: times[1],
                        acknowledged_at: times[2],
                        mitigated_at: times[3],
                        resolved_at: times[4],
                    },
                },
            )
    }

    proptest! {
        /// A view reads back every field that was packed, and what a command derives from them.
        #[test]
        fn views_read_what_was_packed(s in summary()) {
            let mut p = Packer::default();
            s.pack(&mut p);
            let view = SummaryView::decode(&p.bytes).expect("a packed summary decodes");
            prop_assert_eq!(view.to_summary(), s.clone());
            prop_assert_eq!(view.commander(), s.commander());
            prop_assert_eq!(view.opened_at(), s.opened_at());
            let now = Utc.timestamp_opt(2_000_000_000, 0).unwrap();
            prop_assert_eq!(view.duration(now), s.duration(now));
        }

        /// Every cut of a packed summary is refused, and a summary read from bytes with one byte
        /// changed packs back to exactly those bytes: nothing is read that was not written.
        #[test]
        fn only_whole_packed_summaries_are_read(s in summary(), at in any::<prop::sample::Index>(), to in any::<u8>()) {
            let mut p = Packer::default();
            s.pack(&mut p);
            for cut in 0..p.bytes.len() {
                prop_assert!(SummaryView::decode(&p.bytes[..cut]).is_none());
                prop_assert!(unpacked(&p.bytes[..cut]).is_none());
            }
            let mut changed = p.bytes.clone();
            let at = at.index(changed.len());
            changed[at] = to;
            if let Some(view) = SummaryView::decode(&changed) {
                let mut again = Packer::default();
                view.to_summary().pack(&mut again);
                prop_assert_eq!(again.bytes, changed.clone());
            }
            prop_assert_eq!(
                SummaryView::decode(&changed).map(|v| v.to_summary()),
                unpacked(&changed)
            );
        }
    }

    /// Roles out of order were not written by us: both readers refuse them.
    #[test]
    fn roles_out_of_order_are_refused() {
        let packed = |roles: [&str; 4]| {
            let mut p = Packer::default();
            p.str("id");
            p.str("title");
            for _ in 0..3 {
                p.u8(0);
            }
            p.bool(false);
            p.len(0);
            p.len(2);
            for s in roles {
                p.str(s);
            }
            for _ in 0..5 {
                p.opt_time(None);
            }
            p.bytes
        };
        let sorted = packed(["commander", "bo", "scribe", "al"]);
        assert_eq!(
            SummaryView::decode(&sorted).unwrap().commander(),
            Some("bo")
        );
        let unsorted = packed(["scribe", "al", "commander", "bo"]);
        assert!(SummaryView::decode(&unsorted).is_none());
        assert!(unpacked(&unsorted).is_none());
    }
}
