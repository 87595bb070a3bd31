//! Tasks of an incident: added, done, skipped, assigned (each one commit), and listed.

use super::{Actor, Outcome};
use crate::model::{Incident, NewTask, Task, TaskState};
use crate::store::Store;
use anyhow::Result;
use chrono::{DateTime, Utc};
use serde::Serialize;

/// Adds a task by hand to the incident `query` names.
pub fn add(store: &Store, actor: &Actor, query: &str, task: NewTask) -> Result<Outcome> {
    super::incident::apply(store, actor, query, None, Vec::new(), |incident, stamp| {
        incident.add_task(task, stamp)
    })
}

/// Marks task `number` done or skipped, as of `at` (a backfill) or now. A skip says why.
pub fn close(
    store: &Store,
    actor: &Actor,
    query: &str,
    number: u32,
    state: TaskState,
    note: Option<String>,
    at: Option<DateTime<Utc>>,
) -> Result<Outcome> {
    super::incident::apply(store, actor, query, at, Vec::new(), |incident, stamp| {
        incident.close_task(number, state, note.as_deref(), stamp)
    })
}

/// Asks `who` to do task `number`.
pub fn assign(
    store: &Store,
    actor: &Actor,
    query: &str,
    number: u32,
    who: &str,
) -> Result<Outcome> {
    let warnings = super::unknown_people(store.config(), [who]);
    super::incident::apply(store, actor, query, None, warnings, |incident, stamp| {
        incident.assign_task(number, who, stamp)
    })
}

/// One task as lists show it.
#[derive(Debug, Serialize)]
pub struct TaskRow<'a> {
    pub incident: &'a str,
    #[serde(flatten)]
    pub task: &'a Task,
    pub overdue: bool,
}

/// The tasks of `incidents`, open ones first, soonest due first, then by incident and number.
pub fn rows(incidents: &[Incident], now: DateTime<Utc>) -> Vec<TaskRow<'_>> {
    let mut rows: Vec<TaskRow> = incidents
        .iter()
        .flat_map(|i| {
            i.tasks.iter().map(move |t| TaskRow {
                incident: &i.id,
                task: t,
                overdue: t.is_overdue(now),
            })
        })
        .collect();
    rows.sort_by(|a, b| {
        let key = |r: &TaskRow| {
            (
                r.task.state != TaskState::Open,
                r.task.due_at.is_none(),
                r.task.due_at,
                r.incident.to_string(),
                r.task.number,
            )
        };
        key(a).cmp(&key(b))
    });
    rows
}

/// The incident `query` names, or every active one.
pub fn incidents(store: &Store, query: Option<&str>) -> Result<Vec<Incident>> {
    match query {
        Some(query) => Ok(vec![store.load(&store.resolve(query)?)?]),
        None => {
            let active = super::query::incidents(
                store,
                super::query::IncidentFilter {
                    open: true,
                    ..Default::default()
                },
            )?;
            let ids: Vec<String> = active.triaged().iter().map(|v| v.id.to_string()).collect();
            store
                .load_ids_mapped(&ids, |i: Incident| i)
                .into_iter()
                .map(|r| r.map_err(anyhow::Error::from))
                .collect()
        }
    }
}
