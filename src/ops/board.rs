//! The war room as a question: every active incident, worst first, with what it owes next; and
//! for one of them, its roles, services, open tasks, what is due and its timeline, newest first.
//! `incident watch` draws this; any other face may ask it too.

use crate::metrics::Due;
use crate::model::{ComponentStatus, Incident, Severity, Status, TaskState};
use crate::store::Store;
use anyhow::Result;
use chrono::{DateTime, Utc};

/// One active incident in the list.
#[derive(Debug, Clone, PartialEq)]
pub struct Active {
    pub id: String,
    pub title: String,
    pub severity: Severity,
    pub status: Status,
    pub drill: bool,
    /// Since detection (or declaration).
    pub opened_at: Option<DateTime<Utc>>,
    /// The soonest thing it owes, and when.
    pub next: Option<Due>,
}

/// An open task: number, text, who or which role, due.
pub type OpenTask = (u32, String, Option<String>, Option<DateTime<Utc>>);

/// The selected incident, in full.
#[derive(Debug, Clone, PartialEq)]
pub struct Detail {
    pub id: String,
    pub roles: Vec<(String, String)>,
    pub services: Vec<(String, ComponentStatus)>,
    pub tasks: Vec<OpenTask>,
    pub due: Vec<Due>,
    /// Newest first: when, who, kind, text.
    pub timeline: Vec<(DateTime<Utc>, String, String, String)>,
    /// Who its escalation policy pages now, level by level (`L1 Dan Kowalski (platform/primary)`).
    pub on_call: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Board {
    pub active: Vec<Active>,
    pub detail: Option<Detail>,
}

/// The board as of `now`, with the detail of `selected` (an ID; the first incident when it is
/// not active any more).
pub fn board(store: &Store, now: DateTime<Utc>, selected: Option<&str>) -> Result<Board> {
    Ok(Live::load(store)?.board(store, now, selected))
}

/// The active incidents, parsed, kept between refreshes by a face that stays open (`incident
/// watch`): after a commit only the records it changed are read again, not every record's
/// stat data and every active record (at 10,000 incidents, 240 of them active, that was the
/// whole refresh budget).
#[derive(Debug, Clone, Default)]
pub struct Live {
    active: std::collections::BTreeMap<String, Incident>,
}

impl Live {
    /// Every active incident, from the cached summaries where they lie, each read whole.
    pub fn load(store: &Store) -> Result<Live> {
        let listing = super::query::incidents(
            store,
            super::query::IncidentFilter {
                open: true,
                ..Default::default()
            },
        )?;
        let triaged = listing.triaged();
        let ids: Vec<String> = triaged.iter().map(|v| v.id.to_string()).collect();
        drop(triaged);
        drop(listing);
        let active = store
            .load_ids_mapped(&ids, |i: Incident| i)
            .into_iter()
            .flatten()
            .map(|i| (i.id.clone(), i))
            .collect();
        Ok(Live { active })
    }

    /// Reads `ids` again (records a commit changed): an active one is kept as it now is, one
    /// resolved, removed or unreadable leaves the board.
    pub fn refresh(&mut self, store: &Store, ids: &[String]) {
        for (id, read) in ids.iter().zip(store.load_ids_mapped(ids, |i: Incident| i)) {
            match read {
                Ok(i) if i.status.is_active() => {
                    self.active.insert(id.clone(), i);
                }
                _ => {
                    self.active.remove(id);
                }
            }
        }
    }

    /// The board as of `now`, worst first as `list` orders them, with the detail of `selected`.
    pub fn board(&self, store: &Store, now: DateTime<Utc>, selected: Option<&str>) -> Board {
        let config = store.config();
        let mut incidents: Vec<&Incident> = self.active.values().collect();
        incidents.sort_by_cached_key(|i| {
            (
                super::query::triage_key(i.drill, i.status, i.severity, i.times.opened_at()),
                i.id.clone(),
            )
        });
        board_of(store, config, &incidents, now, selected)
    }
}

fn board_of(
    store: &Store,
    config: &crate::model::Config,
    incidents: &[&Incident],
    now: DateTime<Utc>,
    selected: Option<&str>,
) -> Board {
    let due = crate::metrics::due_of(incidents.iter().copied(), config, now);
    let active: Vec<Active> = incidents
        .iter()
        .map(|i| Active {
            id: i.id.clone(),
            title: i.title.clone(),
            severity: i.severity,
            status: i.status,
            drill: i.drill,
            opened_at: i.times.opened_at(),
            next: due
                .iter()
                .filter(|d| d.incident == i.id && d.due_at.is_some())
                .min_by_key(|d| d.due_at)
                .cloned(),
        })
        .collect();
    let chosen = selected
        .and_then(|s| incidents.iter().find(|i| i.id == s))
        .or(incidents.first())
        .copied();
    let detail = chosen.map(|i| {
        let mut timeline: Vec<(DateTime<Utc>, String, String, String)> = i
            .timeline
            .iter()
            .map(|e| (e.at, e.by.clone(), e.kind.to_string(), e.text.clone()))
            .collect();
        timeline.reverse();
        // Who its escalation policy pages, level by level, at this moment: the people to call,
        // not everyone on call for every rota.
        let on_call = store
            .escalation()
            .ok()
            .and_then(|e| e.policy_for(i).cloned())
            .map(|policy| {
                let schedules = store.schedules().unwrap_or_default();
                let overrides = store.overrides().unwrap_or_default();
                (1..=policy.levels.len())
                    .flat_map(|level| {
                        policy
                            .level_people(level, &schedules, &overrides, now)
                            .into_iter()
                            .map(move |(who, from)| (level, who, from))
                    })
                    .map(|(level, who, from)| {
                        let name = config.display_name(&who);
                        match from {
                            Some(layer) => format!("L{level} {name} ({layer})"),
                            None => format!("L{level} {name}"),
                        }
                    })
                    .collect()
            })
            .unwrap_or_default();
        Detail {
            id: i.id.clone(),
            roles: i
                .roles
                .iter()
                .map(|(r, w)| (r.clone(), config.display_name(w).to_string()))
                .collect(),
            services: i
                .services
                .iter()
                .map(|s| (s.clone(), i.component_status_at(config, s, now)))
                .collect(),
            tasks: i
                .tasks
                .iter()
                .filter(|t| t.state == TaskState::Open)
                .map(|t| {
                    (
                        t.number,
                        t.text.clone(),
                        t.assignee.clone().or(t.role.clone()),
                        t.due_at,
                    )
                })
                .collect(),
            due: due.iter().filter(|d| d.incident == i.id).cloned().collect(),
            timeline,
            on_call,
        }
    });
    Board { active, detail }
}
