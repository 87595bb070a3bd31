//! The semantic three-way merge of one incident record, for `incident sync` and git's merge driver.
//!
//! The record is treated as append-only where it matters: timeline events, status updates and action
//! items from both sides are all kept, matched by their stable `id`, and ordered by time. A field
//! changed on one side takes that side. A field changed on both sides to different values takes the
//! value whose timeline event is later (ties broken by comparing the values), and an internal
//! `merge` event names both values so nobody's change disappears silently. Fields this version does
//! not know merge by the same rules. Every rule depends only on the three records, never on which
//! side is "ours", so the result is the same on every clone.

use super::{ActionState, EventKind, Incident, Status, Visibility, entry_id, event_kind};
use chrono::{DateTime, Utc};
use serde_json::{Map, Value};
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// Lists whose entries carry an `id` and merge as sets of entries.
const ENTRY_LISTS: [&str; 4] = ["timeline", "updates", "actions", "tasks"];
/// Lists that merge as sets of values (additions from both sides kept, removals honoured).
const VALUE_LISTS: [&str; 10] = [
    "services",
    "alerts",
    "tags",
    "related",
    "whys",
    "contributing_factors",
    "went_well",
    "went_wrong",
    "lucky",
    "lessons",
];

#[derive(Debug, thiserror::Error)]
pub enum MergeError {
    #[error("both sides declared a different incident under the ID `{0}`")]
    DifferentIncidents(String),
    #[error("the merged record is not valid: {0}")]
    Invalid(String),
}

/// A field both sides changed to different values, and the value kept.
#[derive(Debug, Clone, PartialEq)]
pub struct Conflict {
    pub field: String,
    pub kept: Value,
    pub other: Value,
    pub at: Option<DateTime<Utc>>,
}

/// Merges `ours` and `theirs`, which both descend from `base` (absent when both sides created the
/// record). Two records created independently under one ID are refused: they are two incidents.
pub fn merge(
    base: Option<&Incident>,
    ours: &Incident,
    theirs: &Incident,
) -> Result<Incident, MergeError> {
    // Three versions of one record, or the merge would splice two incidents' timelines together.
    let different = ours.id != theirs.id
        || !same_incident(ours, theirs)
        || base.is_some_and(|b| b.id != ours.id || !same_incident(b, ours));
    if different {
        return Err(MergeError::DifferentIncidents(ours.id.clone()));
    }
    let to_value =
        |i: &Incident| serde_json::to_value(i).map_err(|e| MergeError::Invalid(e.to_string()));
    let (b, o, t) = (
        base.map(to_value).transpose()?,
        to_value(ours)?,
        to_value(theirs)?,
    );
    let times = SideTimes::new(base, ours, theirs);
    let mut conflicts = Vec::new();
    let merged = merge_value(b.as_ref(), Some(&o), Some(&t), "", &times, &mut conflicts)
        .ok_or_else(|| MergeError::Invalid("the record vanished".into()))?;
    let mut incident: Incident =
        serde_json::from_value(merged).map_err(|e| MergeError::Invalid(e.to_string()))?;
    incident.fill_entry_ids();
    renumber_actions(&mut incident, base);
    renumber_tasks(&mut incident, base);
    settle_lifecycle(&mut incident);
    note_conflicts(&mut incident, conflicts);
    sort_entries(&mut incident, base);
    Ok(incident)
}

/// Whether two records are the same incident: the same `declared` event (or, for records without
/// one, the same title and detection time).
pub fn same_incident(a: &Incident, b: &Incident) -> bool {
    let declared = |i: &Incident| {
        i.timeline
            .iter()
            .find(|e| e.kind == crate::model::EventKind::Declared)
            .map(|e| e.id.clone())
    };
    match (declared(a), declared(b)) {
        (Some(x), Some(y)) => x == y,
        _ => a.title == b.title && a.times.detected_at == b.times.detected_at,
    }
}

/// For each side, the time of its latest timeline event of each kind that the base does not have:
/// "whose change is later" is read from the timeline.
struct SideTimes {
    ours: HashMap<String, DateTime<Utc>>,
    theirs: HashMap<String, DateTime<Utc>>,
}

impl SideTimes {
    fn new(base: Option<&Incident>, ours: &Incident, theirs: &Incident) -> SideTimes {
        let known: BTreeSet<&str> = base
            .map(|b| b.timeline.iter().map(|e| e.id.as_str()).collect())
            .unwrap_or_default();
        let latest = |i: &Incident| {
            let mut m: HashMap<String, DateTime<Utc>> = HashMap::new();
            for e in i.timeline.iter().filter(|e| !known.contains(e.id.as_str())) {
                for key in [e.kind.as_str(), "*"] {
                    let slot = m.entry(key.to_string()).or_insert(e.at);
                    *slot = (*slot).max(e.at);
                }
            }
            m
        };
        SideTimes {
            ours: latest(ours),
            theirs: latest(theirs),
        }
    }

    /// The event kinds that change a field; other fields use the side's latest new event of any kind.
    fn kinds(field: &str) -> &'static [&'static str] {
        let top = field.split(['.', '[']).next().unwrap_or(field);
        match top {
            "severity" => &[event_kind::SEVERITY],
            "status" | "resolved_at" | "mitigated_at" => {
                &[event_kind::STATUS, event_kind::RESOLVED]
            }
            "roles" => &[event_kind::ASSIGN],
            "acknowledged_at" => &[event_kind::ACK, event_kind::STATUS, event_kind::ASSIGN],
            "actions" => &[event_kind::ACTION_ITEM],
            "postmortem" => &[event_kind::POSTMORTEM],
            _ => &["*"],
        }
    }

    fn times(&self, field: &str) -> (Option<DateTime<Utc>>, Option<DateTime<Utc>>) {
        let pick = |m: &HashMap<String, DateTime<Utc>>| {
            Self::kinds(field)
                .iter()
                .filter_map(|k| m.get(*k))
                .max()
                .copied()
                .or_else(|| m.get("*").copied())
        };
        (pick(&self.ours), pick(&self.theirs))
    }
}

/// Three-way merge of one value; `None` means the field is absent.
fn merge_value(
    base: Option<&Value>,
    ours: Option<&Value>,
    theirs: Option<&Value>,
    path: &str,
    times: &SideTimes,
    conflicts: &mut Vec<Conflict>,
) -> Option<Value> {
    if ours == theirs {
        return ours.cloned();
    }
    if base == ours {
        return theirs.cloned();
    }
    if base == theirs {
        return ours.cloned();
    }
    let key = path
        .rsplit(['.', ']'])
        .find(|s| !s.is_empty())
        .unwrap_or(path);
    match (ours, theirs) {
        (Some(Value::Object(o)), Some(Value::Object(t))) => {
            let b = match base {
                Some(Value::Object(b)) => Some(b),
                _ => None,
            };
            Some(Value::Object(merge_maps(b, o, t, path, times, conflicts)))
        }
        (Some(Value::Array(o)), Some(Value::Array(t))) if ENTRY_LISTS.contains(&key) => {
            let b = match base {
                Some(Value::Array(b)) => b.as_slice(),
                _ => &[],
            };
            Some(Value::Array(merge_entries(b, o, t, path, times, conflicts)))
        }
        (Some(Value::Array(o)), Some(Value::Array(t))) if VALUE_LISTS.contains(&key) => {
            let b = match base {
                Some(Value::Array(b)) => b.as_slice(),
                _ => &[],
            };
            Some(Value::Array(merge_sets(b, o, t)))
        }
        _ => Some(pick_later(ours, theirs, path, times, conflicts)),
    }
}

fn merge_maps(
    base: Option<&Map<String, Value>>,
    ours: &Map<String, Value>,
    theirs: &Map<String, Value>,
    path: &str,
    times: &SideTimes,
    conflicts: &mut Vec<Conflict>,
) -> Map<String, Value> {
    let keys: BTreeSet<&String> = ours.keys().chain(theirs.keys()).collect();
    let mut out = Map::new();
    for k in keys {
        let child = if path.is_empty() {
            k.clone()
        } else {
            format!("{path}.{k}")
        };
        let b = base.and_then(|b| b.get(k));
        if let Some(v) = merge_value(b, ours.get(k), theirs.get(k), &child, times, conflicts) {
            out.insert(k.clone(), v);
        }
    }
    out
}

fn id_of(v: &Value) -> Option<&str> {
    v.get("id")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
}

/// Entries from both sides, matched by `id`; an entry changed on both sides merges field by field.
fn merge_entries(
    base: &[Value],
    ours: &[Value],
    theirs: &[Value],
    path: &str,
    times: &SideTimes,
    conflicts: &mut Vec<Conflict>,
) -> Vec<Value> {
    let index = |list: &[Value]| -> BTreeMap<String, Value> {
        list.iter()
            .map(|v| {
                (
                    id_of(v).map_or_else(|| v.to_string(), str::to_string),
                    v.clone(),
                )
            })
            .collect()
    };
    let (b, o, t) = (index(base), index(ours), index(theirs));
    let ids: BTreeSet<&String> = o.keys().chain(t.keys()).collect();
    let mut out = Vec::new();
    for id in ids {
        let child = format!("{path}[{id}]");
        // An entry one side never had is kept, not deleted: entries are append-only.
        let (ov, tv) = (
            o.get(id).or_else(|| t.get(id)),
            t.get(id).or_else(|| o.get(id)),
        );
        // A task done (or skipped) on two clones happened first where it happened first: the
        // earliest close is kept whole, with no change to arbitrate.
        if path == "tasks"
            && let (Some(o), Some(t)) = (ov, tv)
            && let (Some(oc), Some(tc)) = (closed_at(o), closed_at(t))
            && o != t
        {
            out.push(if (oc, canonical(o)) <= (tc, canonical(t)) {
                o.clone()
            } else {
                t.clone()
            });
            continue;
        }
        if let Some(v) = merge_value(b.get(id), ov, tv, &child, times, conflicts) {
            out.push(v);
        }
    }
    out
}

/// When an entry was closed (`closed_at`), as RFC 3339 text: it sorts in time order.
fn closed_at(v: &Value) -> Option<&str> {
    v.get("closed_at").and_then(Value::as_str)
}

/// Values kept by both sides, plus each side's additions; a value either side removed from the base
/// is gone. Additions follow in a side-independent order.
fn merge_sets(base: &[Value], ours: &[Value], theirs: &[Value]) -> Vec<Value> {
    let mut out: Vec<Value> = base
        .iter()
        .filter(|v| ours.contains(v) && theirs.contains(v))
        .cloned()
        .collect();
    let (first, second) =
        if canonical(&Value::Array(ours.to_vec())) <= canonical(&Value::Array(theirs.to_vec())) {
            (ours, theirs)
        } else {
            (theirs, ours)
        };
    for v in first.iter().chain(second) {
        if !base.contains(v) && !out.contains(v) {
            out.push(v.clone());
        }
    }
    out
}

/// Both sides changed a field to different values: the later change wins; equal times fall back to
/// comparing the values, so every clone picks the same one.
fn pick_later(
    ours: Option<&Value>,
    theirs: Option<&Value>,
    path: &str,
    times: &SideTimes,
    conflicts: &mut Vec<Conflict>,
) -> Value {
    let (o, t) = (
        ours.cloned().unwrap_or(Value::Null),
        theirs.cloned().unwrap_or(Value::Null),
    );
    let (ot, tt) = times.times(path);
    let ours_wins = match ot.cmp(&tt) {
        std::cmp::Ordering::Greater => true,
        std::cmp::Ordering::Less => false,
        std::cmp::Ordering::Equal => canonical(&o) > canonical(&t),
    };
    let (kept, other, at) = if ours_wins { (o, t, ot) } else { (t, o, tt) };
    conflicts.push(Conflict {
        field: path.to_string(),
        kept: kept.clone(),
        other,
        at,
    });
    kept
}

/// Two clones may each add action item #3: the one created later (then by ID) moves to a new number.
fn renumber_actions(incident: &mut Incident, base: Option<&Incident>) {
    let in_base: BTreeSet<String> = base
        .map(|b| b.actions.iter().map(|a| a.id.clone()).collect())
        .unwrap_or_default();
    incident.actions.sort_by(|a, b| {
        (a.number, !in_base.contains(&a.id), a.created_at, &a.id).cmp(&(
            b.number,
            !in_base.contains(&b.id),
            b.created_at,
            &b.id,
        ))
    });
    let mut next = incident.actions.iter().map(|a| a.number).max().unwrap_or(0);
    let mut seen = BTreeSet::new();
    let mut moved = Vec::new();
    for a in &mut incident.actions {
        if !seen.insert(a.number) {
            next += 1;
            moved.push((a.number, next, a.title.clone(), a.created_at));
            a.number = next;
        }
    }
    incident.actions.sort_by_key(|a| a.number);
    for (from, to, title, at) in moved {
        push_merge_event(
            incident,
            at,
            format!("merge: action #{from} \"{title}\" was added on two clones; it is now #{to}"),
        );
    }
}

/// Tasks in number order; two clones may each add task #4 by hand: the one not in the base, then
/// the later ID, moves to a new number.
fn renumber_tasks(incident: &mut Incident, base: Option<&Incident>) {
    let in_base: BTreeSet<String> = base
        .map(|b| b.tasks.iter().map(|t| t.id.clone()).collect())
        .unwrap_or_default();
    incident.tasks.sort_by(|a, b| {
        (a.number, !in_base.contains(&a.id), &a.id).cmp(&(
            b.number,
            !in_base.contains(&b.id),
            &b.id,
        ))
    });
    let mut next = incident.tasks.iter().map(|t| t.number).max().unwrap_or(0);
    let mut seen = BTreeSet::new();
    for t in &mut incident.tasks {
        if !seen.insert(t.number) {
            next += 1;
            t.number = next;
        }
    }
    incident.tasks.sort_by_key(|t| t.number);
}

/// Keeps status and lifecycle times consistent after fields merged separately.
fn settle_lifecycle(incident: &mut Incident) {
    if incident.status.is_active() {
        incident.times.resolved_at = None;
    } else if incident.times.resolved_at.is_none() {
        incident.times.resolved_at = incident
            .timeline
            .iter()
            .filter(|e| e.kind == EventKind::Resolved)
            .map(|e| e.at)
            .max()
            .or(incident.timeline.last().map(|e| e.at));
    }
    // Monitoring or resolved means mitigated: when the field merge left no time, the change that
    // put the incident where it stands is when (as `set_status` records it).
    if matches!(incident.status, Status::Monitoring | Status::Resolved)
        && incident.times.mitigated_at.is_none()
    {
        incident.times.mitigated_at = incident
            .timeline
            .iter()
            .filter(|e| matches!(e.kind, EventKind::Status | EventKind::Resolved))
            .map(|e| e.at)
            .max()
            .or(incident.times.resolved_at);
    }
    for a in &mut incident.actions {
        if a.state == ActionState::Open {
            a.closed_at = None;
        }
    }
}

fn note_conflicts(incident: &mut Incident, mut conflicts: Vec<Conflict>) {
    conflicts.sort_by(|a, b| a.field.cmp(&b.field));
    for c in conflicts {
        let at =
            c.at.or(incident.timeline.iter().map(|e| e.at).max())
                .unwrap_or_default();
        let text = format!(
            "merge: `{}` was changed on two clones ({} and {}); kept {}, the later change",
            c.field,
            show(&c.kept),
            show(&c.other),
            show(&c.kept)
        );
        push_merge_event(incident, at, text);
    }
}

/// A total, side-independent order on values: their JSON text.
fn canonical(v: &Value) -> String {
    v.to_string()
}

fn show(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => "nothing".into(),
        other => other.to_string(),
    }
}

fn push_merge_event(incident: &mut Incident, at: DateTime<Utc>, text: String) {
    let id = entry_id(
        "e-",
        &[
            &incident.id,
            &at.to_rfc3339(),
            "incident merge",
            event_kind::MERGE,
            &text,
        ],
    );
    if incident.timeline.iter().any(|e| e.id == id) {
        return;
    }
    incident.timeline.push(super::TimelineEvent {
        id,
        at,
        by: "incident merge".into(),
        kind: event_kind::MERGE.into(),
        text,
        visibility: Visibility::Internal,
        audience: None,
        extra: Default::default(),
    });
}

/// Time order; among entries of the same second, those the base had keep their base order, then the
/// new ones by ID, which no side can influence.
fn sort_entries(incident: &mut Incident, base: Option<&Incident>) {
    let pos = |ids: Vec<&str>| -> HashMap<String, usize> {
        ids.into_iter()
            .enumerate()
            .map(|(n, id)| (id.to_string(), n))
            .collect()
    };
    let tb = pos(base
        .map(|b| b.timeline.iter().map(|e| e.id.as_str()).collect())
        .unwrap_or_default());
    let ub = pos(base
        .map(|b| b.updates.iter().map(|u| u.id.as_str()).collect())
        .unwrap_or_default());
    incident.timeline.sort_by(|a, b| {
        let ka = (a.at, tb.get(&a.id).copied().unwrap_or(usize::MAX), &a.id);
        let kb = (b.at, tb.get(&b.id).copied().unwrap_or(usize::MAX), &b.id);
        ka.cmp(&kb)
    });
    incident.updates.sort_by(|a, b| {
        let ka = (a.at, ub.get(&a.id).copied().unwrap_or(usize::MAX), &a.id);
        let kb = (b.at, ub.get(&b.id).copied().unwrap_or(usize::MAX), &b.id);
        ka.cmp(&kb)
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Severity, Stamp};

    fn stamp(t: &str, by: &str) -> Stamp {
        Stamp {
            at: format!("2026-11-25T{t}:00Z").parse().unwrap(),
            by: by.into(),
        }
    }

    fn base() -> Incident {
        let mut i = Incident::declare(
            "2026-11-25-x".into(),
            "X".into(),
            Severity::Sev2,
            &stamp("10:00", "a"),
        );
        i.services = vec!["checkout".into()];
        i
    }

    #[test]
    fn events_from_both_sides_are_kept_once_in_time_order() {
        let b = base();
        let mut o = b.clone();
        o.push_event(
            &stamp("10:05", "a"),
            crate::model::EventKind::Note,
            "ours".into(),
            Visibility::Public,
        );
        let mut t = b.clone();
        t.push_event(
            &stamp("10:03", "b"),
            crate::model::EventKind::Note,
            "theirs".into(),
            Visibility::Public,
        );
        let m = merge(Some(&b), &o, &t).unwrap();
        let texts: Vec<&str> = m.timeline.iter().map(|e| e.text.as_str()).collect();
        assert_eq!(texts, ["declared SEV2: X", "theirs", "ours"]);
        assert_eq!(m, merge(Some(&b), &t, &o).unwrap());
    }

    #[test]
    fn a_field_changed_on_one_side_takes_that_side() {
        let b = base();
        let mut o = b.clone();
        o.set_severity(Severity::Sev1, None, &stamp("10:05", "a"))
            .unwrap();
        let mut t = b.clone();
        t.push_event(
            &stamp("10:06", "b"),
            crate::model::EventKind::Note,
            "n".into(),
            Visibility::Public,
        );
        let m = merge(Some(&b), &o, &t).unwrap();
        assert_eq!(m.severity, Severity::Sev1);
        assert!(
            m.timeline
                .iter()
                .all(|e| e.kind != crate::model::EventKind::Merge)
        );
    }

    #[test]
    fn both_sides_changing_a_field_keeps_the_later_and_says_so() {
        let b = base();
        let mut o = b.clone();
        o.set_severity(Severity::Sev1, None, &stamp("10:05", "a"))
            .unwrap();
        let mut t = b.clone();
        t.set_severity(Severity::Sev3, None, &stamp("10:07", "b"))
            .unwrap();
        let m = merge(Some(&b), &o, &t).unwrap();
        assert_eq!(m.severity, Severity::Sev3);
        let note = m
            .timeline
            .iter()
            .find(|e| e.kind == crate::model::EventKind::Merge)
            .unwrap();
        assert_eq!(
            note.text,
            "merge: `severity` was changed on two clones (SEV3 and SEV1); kept SEV3, the later change"
        );
        assert_eq!(note.visibility, Visibility::Internal);
        assert_eq!(m, merge(Some(&b), &t, &o).unwrap());
    }

    #[test]
    fn actions_numbered_alike_on_two_clones_are_renumbered() {
        let b = base();
        let item = |title: &str| crate::model::ActionItem {
            id: String::new(),
            number: 0,
            title: title.into(),
            owner: "o".into(),
            due: None,
            action_type: Default::default(),
            state: Default::default(),
            link: None,
            runbook: None,
            created_at: Default::default(),
            closed_at: None,
            note: None,
            extra: Default::default(),
        };
        let mut o = b.clone();
        o.add_action(item("ours"), &stamp("10:05", "a"));
        let mut t = b.clone();
        t.add_action(item("theirs"), &stamp("10:06", "b"));
        let m = merge(Some(&b), &o, &t).unwrap();
        let numbered: Vec<(u32, &str)> = m
            .actions
            .iter()
            .map(|a| (a.number, a.title.as_str()))
            .collect();
        assert_eq!(numbered, [(1, "ours"), (2, "theirs")]);
        assert_eq!(m, merge(Some(&b), &t, &o).unwrap());
    }

    #[test]
    fn unknown_fields_merge_by_the_same_rules() {
        let mut b = base();
        b.extra.insert("pager".into(), "p-1".into());
        let mut o = b.clone();
        o.extra.insert("pager".into(), "p-2".into());
        let mut t = b.clone();
        t.extra.insert("runbook".into(), "rb".into());
        let m = merge(Some(&b), &o, &t).unwrap();
        assert_eq!(m.extra.get("pager").and_then(|v| v.as_str()), Some("p-2"));
        assert_eq!(m.extra.get("runbook").and_then(|v| v.as_str()), Some("rb"));
    }

    #[test]
    fn independently_declared_incidents_are_not_merged() {
        let a = base();
        let other = Incident::declare(
            "2026-11-25-x".into(),
            "X".into(),
            Severity::Sev2,
            &stamp("10:02", "b"),
        );
        assert!(matches!(
            merge(None, &a, &other),
            Err(MergeError::DifferentIncidents(_))
        ));
        assert_eq!(merge(None, &a, &a).unwrap(), a);
    }

    #[test]
    fn reopening_on_one_side_and_resolving_on_the_other_stays_consistent() {
        let mut b = base();
        b.set_status(
            Status::Resolved,
            None,
            crate::model::Reopen::No,
            &stamp("10:10", "a"),
        )
        .unwrap();
        let mut o = b.clone();
        o.set_status(
            Status::Investigating,
            Some("back"),
            crate::model::Reopen::Yes,
            &stamp("10:20", "a"),
        )
        .unwrap();
        let mut t = b.clone();
        t.push_event(
            &stamp("10:15", "b"),
            crate::model::EventKind::Note,
            "n".into(),
            Visibility::Public,
        );
        let m = merge(Some(&b), &o, &t).unwrap();
        assert_eq!(m.status, Status::Investigating);
        assert_eq!(m.times.resolved_at, None);
    }

    fn item(title: &str) -> crate::model::ActionItem {
        crate::model::ActionItem {
            id: String::new(),
            number: 0,
            title: title.into(),
            owner: "o".into(),
            due: None,
            action_type: Default::default(),
            state: Default::default(),
            link: None,
            runbook: None,
            created_at: Default::default(),
            closed_at: None,
            note: None,
            extra: Default::default(),
        }
    }

    fn note(i: &mut Incident, at: &str, by: &str) {
        i.push_event(
            &stamp(at, by),
            crate::model::EventKind::Note,
            format!("{by} at {at}"),
            Visibility::Public,
        );
    }

    fn merge_notes(i: &Incident) -> usize {
        i.timeline
            .iter()
            .filter(|e| e.kind == crate::model::EventKind::Merge)
            .count()
    }

    /// Each guard against splicing two incidents together stops the merge on its own.
    #[test]
    fn every_sign_of_two_incidents_stops_the_merge() {
        let b = base();
        let o = b.clone();
        // The same incident under another ID (a clone renamed it `-2`).
        let mut renamed = b.clone();
        renamed.id = "2026-11-25-x-2".into();
        assert!(
            merge(Some(&b), &o, &renamed).is_err(),
            "ours and theirs differ"
        );
        // A base under another ID, or another incident altogether.
        assert!(
            merge(Some(&renamed), &o, &o).is_err(),
            "the base is named otherwise"
        );
        let other = Incident::declare(
            b.id.clone(),
            "X".into(),
            Severity::Sev2,
            &stamp("10:02", "b"),
        );
        assert!(
            merge(Some(&other), &o, &o).is_err(),
            "the base is another incident"
        );
        assert!(
            merge(Some(&b), &o, &other).is_err(),
            "theirs is another incident"
        );
        assert_eq!(
            merge(Some(&b), &o, &o).unwrap(),
            o,
            "all three the same one"
        );
    }

    /// One incident is one `declared` event; records without one (hand-written) are compared by
    /// title and detection time, both.
    #[test]
    fn the_same_incident_is_the_same_declaration() {
        let a = base();
        let mut same_words = Incident::declare(
            a.id.clone(),
            a.title.clone(),
            a.severity,
            &stamp("10:00", "z"),
        );
        same_words.times.detected_at = a.times.detected_at;
        assert!(same_incident(&a, &a.clone()));
        assert!(
            !same_incident(&a, &same_words),
            "another declaration, same title and time"
        );
        let bare = |title: &str, detected: &str| {
            let mut i = a.clone();
            i.timeline.clear();
            i.title = title.into();
            i.times.detected_at = Some(stamp(detected, "a").at);
            i
        };
        assert!(same_incident(&bare("X", "10:00"), &bare("X", "10:00")));
        assert!(!same_incident(&bare("X", "10:00"), &bare("Y", "10:00")));
        assert!(!same_incident(&bare("X", "10:00"), &bare("X", "10:01")));
    }

    /// "The later change" is read from the events that change the field: a note logged after an
    /// older change does not make that change later.
    #[test]
    fn the_later_change_is_judged_by_the_events_that_make_it() {
        let b = {
            let mut b = base();
            b.add_action(item("fix it"), &stamp("10:01", "a"));
            b
        };
        type Change = fn(&mut Incident, &str, bool);
        type Read = fn(&Incident) -> String;
        let cases: [(&str, Change, Read); 6] = [
            (
                "severity",
                |i, at, mine| {
                    let to = if mine { Severity::Sev1 } else { Severity::Sev3 };
                    i.set_severity(to, None, &stamp(at, "x")).unwrap();
                },
                |i| i.severity.to_string(),
            ),
            (
                "status",
                |i, at, mine| {
                    let to = if mine {
                        Status::Identified
                    } else {
                        Status::Monitoring
                    };
                    i.set_status(to, None, crate::model::Reopen::No, &stamp(at, "x"))
                        .unwrap();
                },
                |i| i.status.to_string(),
            ),
            (
                "roles",
                |i, at, mine| {
                    let who = if mine { "alice" } else { "bob" };
                    i.assign(&[("commander".into(), who.into())], &stamp(at, "x"))
                        .unwrap();
                },
                |i| i.commander().unwrap_or_default().to_string(),
            ),
            (
                "acknowledged_at",
                |i, at, _| {
                    i.acknowledge(&stamp(at, "x")).unwrap();
                },
                |i| format!("{:?}", i.times.acknowledged_at),
            ),
            (
                "actions",
                |i, at, mine| {
                    let state = if mine {
                        ActionState::Done
                    } else {
                        ActionState::Dropped
                    };
                    i.close_action(1, state, Some("why"), &stamp(at, "x"))
                        .unwrap();
                },
                |i| i.actions[0].state.as_str().to_string(),
            ),
            (
                "postmortem",
                |i, at, mine| {
                    i.postmortem.summary = Some(if mine { "a" } else { "z" }.into());
                    i.push_event(
                        &stamp(at, "x"),
                        crate::model::EventKind::Postmortem,
                        "review".into(),
                        Visibility::Internal,
                    );
                },
                |i| format!("{:?}", i.postmortem.summary),
            ),
        ];
        for (field, change, read) in cases {
            // Ours changed it last (10:07); theirs earlier (10:05), then logged a note (10:09).
            let mut o = b.clone();
            change(&mut o, "10:07", true);
            let mut t = b.clone();
            change(&mut t, "10:05", false);
            note(&mut t, "10:09", "t");
            let m = merge(Some(&b), &o, &t).unwrap();
            assert_eq!(read(&m), read(&o), "{field}: the later change is ours");
            assert_eq!(
                m,
                merge(Some(&b), &t, &o).unwrap(),
                "{field}: either way round"
            );
        }
    }

    /// Two changes in the same second: the value whose JSON text sorts last wins, on every clone
    /// and whichever side it came from (no clock decides it).
    #[test]
    fn changes_in_the_same_second_keep_the_value_that_sorts_last() {
        let b = base();
        let mut o = b.clone();
        o.set_severity(Severity::Sev1, None, &stamp("10:05", "a"))
            .unwrap();
        let mut t = b.clone();
        t.set_severity(Severity::Sev3, None, &stamp("10:05", "b"))
            .unwrap();
        for m in [
            merge(Some(&b), &o, &t).unwrap(),
            merge(Some(&b), &t, &o).unwrap(),
        ] {
            assert_eq!(m.severity, Severity::Sev3);
        }
    }

    /// After fields merged one by one, the lifecycle is put back in order: no resolution time on
    /// an active incident, one on a resolved incident (its resolution event, not any later event),
    /// and a mitigation time where the status says it was mitigated.
    #[test]
    fn the_lifecycle_is_settled_after_a_merge_of_fields() {
        let mut active = base();
        active.times.resolved_at = Some(stamp("10:30", "a").at);
        settle_lifecycle(&mut active);
        assert_eq!(active.times.resolved_at, None);

        let mut resolved = base();
        resolved
            .set_status(
                Status::Resolved,
                None,
                crate::model::Reopen::No,
                &stamp("10:10", "a"),
            )
            .unwrap();
        note(&mut resolved, "10:20", "b");
        resolved.times.resolved_at = None;
        resolved.times.mitigated_at = None;
        settle_lifecycle(&mut resolved);
        assert_eq!(resolved.times.resolved_at, Some(stamp("10:10", "a").at));
        assert_eq!(resolved.times.mitigated_at, Some(stamp("10:10", "a").at));

        let mut monitoring = base();
        monitoring
            .set_status(
                Status::Monitoring,
                None,
                crate::model::Reopen::No,
                &stamp("10:15", "a"),
            )
            .unwrap();
        note(&mut monitoring, "10:25", "b");
        monitoring.times.mitigated_at = None;
        settle_lifecycle(&mut monitoring);
        assert_eq!(monitoring.times.mitigated_at, Some(stamp("10:15", "a").at));
        assert_eq!(monitoring.times.resolved_at, None);

        let mut open_item = base();
        open_item.add_action(item("fix"), &stamp("10:01", "a"));
        open_item.actions[0].closed_at = Some(stamp("10:02", "a").at);
        settle_lifecycle(&mut open_item);
        assert_eq!(
            open_item.actions[0].closed_at, None,
            "an open item is not closed"
        );
    }

    /// An item the base had keeps its number; a new item that took the same number (the base's
    /// item was removed by hand on one clone while the other added one) moves to the next free.
    #[test]
    fn an_item_from_the_base_keeps_its_number() {
        let mut b = base();
        b.add_action(item("from the base"), &stamp("10:01", "a"));
        let mut o = b.clone();
        o.actions.clear();
        // On a clone whose clock runs behind: created "before" the base's item.
        o.add_action(item("new on ours"), &stamp("09:59", "a"));
        assert_eq!(o.actions[0].number, 1);
        let mut t = b.clone();
        t.add_action(item("new on theirs"), &stamp("10:06", "b"));
        let m = merge(Some(&b), &o, &t).unwrap();
        let numbered: Vec<(u32, &str)> = m
            .actions
            .iter()
            .map(|a| (a.number, a.title.as_str()))
            .collect();
        assert_eq!(
            numbered,
            [
                (1, "from the base"),
                (2, "new on theirs"),
                (3, "new on ours")
            ]
        );
    }

    /// Two clones checking off different tasks keep both; the same task done on both keeps the
    /// earlier, whoever did it, with no merge note.
    #[test]
    fn tasks_checked_off_on_two_clones_merge_cleanly() {
        let mut b = base();
        for text in ["Name a commander", "Open the bridge", "Post an update"] {
            let task = crate::model::NewTask {
                text: text.into(),
                ..Default::default()
            };
            b.add_task(task, &stamp("10:01", "a")).unwrap();
        }
        let mut o = b.clone();
        o.close_task(
            1,
            crate::model::TaskState::Done,
            None,
            &stamp("10:05", "ann"),
        )
        .unwrap();
        o.close_task(
            3,
            crate::model::TaskState::Done,
            None,
            &stamp("10:09", "ann"),
        )
        .unwrap();
        let mut t = b.clone();
        t.close_task(
            2,
            crate::model::TaskState::Done,
            None,
            &stamp("10:06", "bob"),
        )
        .unwrap();
        t.close_task(
            3,
            crate::model::TaskState::Done,
            Some("posted"),
            &stamp("10:07", "bob"),
        )
        .unwrap();
        let m = merge(Some(&b), &o, &t).unwrap();
        let states: Vec<(&str, Option<&str>)> = m
            .tasks
            .iter()
            .map(|t| (t.state.as_str(), t.closed_by.as_deref()))
            .collect();
        assert_eq!(
            states,
            [
                ("done", Some("ann")),
                ("done", Some("bob")),
                ("done", Some("bob"))
            ]
        );
        assert_eq!(
            m.tasks[2].closed_at,
            Some(stamp("10:07", "b").at),
            "the earlier"
        );
        assert_eq!(merge_notes(&m), 0);
        assert_eq!(m, merge(Some(&b), &t, &o).unwrap());
    }

    /// Tasks numbered alike on two clones: the base's keeps its number, the others move to the
    /// next free ones, whatever their IDs.
    #[test]
    fn a_task_from_the_base_keeps_its_number() {
        for (ours, theirs) in [
            ("Call the vendor", "Page the DBA"),
            ("Page the DBA", "Call the vendor"),
        ] {
            let mut b = base();
            let task = |text: &str| crate::model::NewTask {
                text: text.into(),
                ..Default::default()
            };
            b.add_task(task("Open the bridge"), &stamp("10:01", "a"))
                .unwrap();
            let mut o = b.clone();
            o.tasks.clear();
            o.add_task(task(ours), &stamp("10:05", "a")).unwrap();
            let mut t = b.clone();
            t.add_task(task(theirs), &stamp("10:06", "b")).unwrap();
            let m = merge(Some(&b), &o, &t).unwrap();
            let numbered: Vec<(u32, &str)> = m
                .tasks
                .iter()
                .map(|t| (t.number, t.text.as_str()))
                .collect();
            assert_eq!(numbered[0], (1, "Open the bridge"), "{numbered:?}");
            assert_eq!(numbered[1], (2, theirs), "{numbered:?}");
            assert_eq!(numbered[2], (3, ours), "{numbered:?}");
        }
    }

    /// An open task changed on both clones (asked of two people) merges like any field: the later
    /// change wins, and the merge says so.
    #[test]
    fn an_open_task_changed_on_two_clones_keeps_the_later_change() {
        let mut b = base();
        let task = crate::model::NewTask {
            text: "Open the bridge".into(),
            ..Default::default()
        };
        b.add_task(task, &stamp("10:01", "a")).unwrap();
        let mut o = b.clone();
        o.assign_task(1, "zed", &stamp("10:07", "a")).unwrap();
        let mut t = b.clone();
        t.assign_task(1, "erin", &stamp("10:05", "b")).unwrap();
        let m = merge(Some(&b), &o, &t).unwrap();
        assert_eq!(m.tasks[0].assignee.as_deref(), Some("zed"));
        assert_eq!(merge_notes(&m), 1);
        assert_eq!(m, merge(Some(&b), &t, &o).unwrap());
    }

    /// Lists of values merge as sets: both sides' additions kept, a removal honoured.
    #[test]
    fn lists_edited_on_both_clones_keep_every_addition_and_removal() {
        let mut b = base();
        b.services = vec!["checkout".into(), "payments".into()];
        b.tags = vec!["db".into()];
        b.postmortem.lessons = vec!["one".into()];
        let mut o = b.clone();
        o.services.retain(|s| s != "checkout");
        o.services.push("search".into());
        o.tags.push("network".into());
        o.postmortem.lessons.push("two".into());
        note(&mut o, "10:05", "o");
        let mut t = b.clone();
        t.services.push("api".into());
        t.tags.push("cache".into());
        t.postmortem.lessons.push("three".into());
        note(&mut t, "10:06", "t");
        let m = merge(Some(&b), &o, &t).unwrap();
        // What both kept, then the additions of the side whose list sorts first as JSON (here
        // theirs), so every clone lists them alike.
        assert_eq!(m.services, ["payments", "api", "search"]);
        let mut tags = m.tags.clone();
        tags.sort();
        assert_eq!(tags, ["cache", "db", "network"]);
        let mut lessons = m.postmortem.lessons.clone();
        lessons.sort();
        assert_eq!(lessons, ["one", "three", "two"]);
        assert_eq!(merge_notes(&m), 0, "nothing to arbitrate");
        assert_eq!(m, merge(Some(&b), &t, &o).unwrap());
    }

    /// An entry one side changed and the other left alone takes the change, without a merge note,
    /// while the other side's new entry is kept.
    #[test]
    fn an_entry_changed_on_one_side_takes_that_change() {
        let mut b = base();
        b.add_action(item("first"), &stamp("10:01", "a"));
        let mut o = b.clone();
        o.close_action(1, ActionState::Done, Some("shipped"), &stamp("10:05", "a"))
            .unwrap();
        let mut t = b.clone();
        t.add_action(item("second"), &stamp("10:06", "b"));
        let m = merge(Some(&b), &o, &t).unwrap();
        assert_eq!(m.actions.len(), 2);
        assert_eq!(m.actions[0].state, ActionState::Done);
        assert_eq!(merge_notes(&m), 0);
    }

    /// A list this version does not know is one value: changed on both sides, the later wins
    /// whole (as an unknown scalar does), and the merge says so.
    #[test]
    fn an_unknown_list_changed_on_both_sides_is_one_value() {
        let list = |items: &[&str]| {
            serde_yaml::Value::Sequence(items.iter().map(|s| (*s).into()).collect())
        };
        let mut b = base();
        b.extra.insert("pagers".into(), list(&["p1"]));
        let mut o = b.clone();
        o.extra.insert("pagers".into(), list(&["p1", "p2"]));
        note(&mut o, "10:05", "o");
        let mut t = b.clone();
        t.extra.insert("pagers".into(), list(&["p3"]));
        note(&mut t, "10:07", "t");
        let m = merge(Some(&b), &o, &t).unwrap();
        let pagers = serde_json::to_value(m.extra.get("pagers").unwrap()).unwrap();
        assert_eq!(pagers, serde_json::json!(["p3"]));
        assert_eq!(merge_notes(&m), 1);
    }

    mod properties {
        use super::*;
        use crate::model::{ActionItem, StatusUpdate};
        use proptest::prelude::*;

        /// One change a responder can make on a clone.
        #[derive(Debug, Clone)]
        enum Edit {
            Log(u8, u16),
            Severity(u8, u16),
            Status(u8, u16),
            Assign(u8, u16),
            Update(u8, u16),
            Action(u8, u16),
            CloseAction(u8, u16),
        }

        fn edit() -> impl Strategy<Value = Edit> {
            (0u8..7, any::<u8>(), 0u16..180).prop_map(|(k, n, m)| match k {
                0 => Edit::Log(n, m),
                1 => Edit::Severity(n, m),
                2 => Edit::Status(n, m),
                3 => Edit::Assign(n, m),
                4 => Edit::Update(n, m),
                5 => Edit::Action(n, m),
                _ => Edit::CloseAction(n, m),
            })
        }

        fn apply(i: &mut Incident, edits: &[Edit], who: &str) {
            for e in edits {
                let at = |m: &u16| Stamp {
                    at: "2026-11-25T10:00:00Z".parse::<DateTime<Utc>>().unwrap()
                        + chrono::Duration::minutes(i64::from(*m)),
                    by: who.into(),
                };
                match e {
                    Edit::Log(n, m) => {
                        i.push_event(
                            &at(m),
                            crate::model::EventKind::Note,
                            format!("{who} note {n}"),
                            Visibility::Public,
                        );
                    }
                    Edit::Severity(n, m) => {
                        let _ = i.set_severity(Severity::ALL[usize::from(*n) % 4], None, &at(m));
                    }
                    Edit::Status(n, m) => {
                        let _ = i.set_status(
                            Status::ALL[usize::from(*n) % 4],
                            None,
                            crate::model::Reopen::Yes,
                            &at(m),
                        );
                    }
                    Edit::Assign(n, m) => {
                        let _ =
                            i.assign(&[("commander".into(), format!("{who}{}", n % 3))], &at(m));
                    }
                    Edit::Update(n, m) => {
                        i.add_update(StatusUpdate {
                            id: String::new(),
                            at: at(m).at,
                            by: who.into(),
                            status: i.status,
                            impacted: Some(format!("{who} impacted {n}")),
                            learned: None,
                            next_update_at: None,
                            visibility: Visibility::Public,
                            said: None,
                            extra: Default::default(),
                        });
                    }
                    Edit::Action(n, m) => {
                        i.add_action(
                            ActionItem {
                                id: String::new(),
                                number: 0,
                                title: format!("{who} action {n}"),
                                owner: who.into(),
                                due: None,
                                action_type: Default::default(),
                                state: Default::default(),
                                link: None,
                                runbook: None,
                                created_at: at(m).at,
                                closed_at: None,
                                note: None,
                                extra: Default::default(),
                            },
                            &at(m),
                        );
                    }
                    Edit::CloseAction(n, m) => {
                        if !i.actions.is_empty() {
                            let number = i.actions[usize::from(*n) % i.actions.len()].number;
                            let _ = i.close_action(number, ActionState::Done, None, &at(m));
                        }
                    }
                }
            }
        }

        fn ids(i: &Incident) -> Vec<String> {
            i.timeline
                .iter()
                .map(|e| e.id.clone())
                .chain(i.updates.iter().map(|u| u.id.clone()))
                .chain(i.actions.iter().map(|a| a.id.clone()))
                .collect()
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(200))]

            #[test]
            fn no_entry_lost_none_duplicated_symmetric_and_idempotent(
                shared in prop::collection::vec(edit(), 0..6),
                mine in prop::collection::vec(edit(), 0..8),
                yours in prop::collection::vec(edit(), 0..8),
            ) {
                let mut b = base();
                apply(&mut b, &shared, "base");
                let mut o = b.clone();
                apply(&mut o, &mine, "ours");
                let mut t = b.clone();
                apply(&mut t, &yours, "theirs");

                let m = merge(Some(&b), &o, &t).unwrap();
                let merged: Vec<String> = ids(&m);
                for id in ids(&o).into_iter().chain(ids(&t)) {
                    prop_assert!(merged.contains(&id), "lost {id}");
                }
                let unique: BTreeSet<&String> = merged.iter().collect();
                prop_assert_eq!(unique.len(), merged.len(), "duplicated entries");
                let numbers: BTreeSet<u32> = m.actions.iter().map(|a| a.number).collect();
                prop_assert_eq!(numbers.len(), m.actions.len(), "action numbers collide");
                prop_assert!(m.timeline.windows(2).all(|w| w[0].at <= w[1].at), "timeline out of order");
                prop_assert_eq!(&m, &merge(Some(&b), &t, &o).unwrap(), "not symmetric");
                prop_assert_eq!(&o, &merge(Some(&o), &o, &o).unwrap(), "merging a record with itself changed it");
                prop_assert_eq!(&m, &merge(Some(&m), &m, &m).unwrap(), "the merge result is not stable");
            }
        }
    }
}
