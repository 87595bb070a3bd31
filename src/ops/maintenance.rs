//! Maintenance windows: announced ahead, moved through scheduled → in progress → verifying →
//! completed, cancelled or rescheduled before they begin; each step one commit.

use super::{Actor, check_services};
use crate::model::{Maintenance, MaintenanceSpec, MaintenanceStatus, ModelError};
use crate::store::{Change, Store};
use anyhow::Result;
use chrono::{DateTime, Utc};

/// What a change to a maintenance window did: the window as written and its commit.
#[derive(Debug, Clone)]
pub struct Changed {
    pub window: Maintenance,
    pub commit: String,
    /// What happened, in a word or two (`scheduled`, `in_progress`, `cancelled`).
    pub what: String,
}

/// A window in the past is recorded only when asked: announcing is done ahead of time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Timing {
    Ahead,
    /// It already began: record it anyway (`--backfill`).
    Backfill,
}

/// Announces a maintenance window: one new file, one commit.
pub fn schedule(
    store: &Store,
    actor: &Actor,
    spec: MaintenanceSpec,
    timing: Timing,
) -> Result<Changed> {
    check_services(store.config(), &spec.services)?;
    if spec.from < actor.now && timing == Timing::Ahead {
        return Err(ModelError::Invalid(format!(
            "--from ({}) is in the past: a maintenance window is announced ahead; pass --backfill to record one that already began",
            spec.from.format("%Y-%m-%d %H:%M UTC")
        ))
        .into());
    }
    let stamp = actor.stamp(None)?;
    let m = Maintenance::schedule(spec, &stamp)?;
    let (window, commit) = store.create_maintenance(m, &actor.author, actor.now)?;
    Ok(Changed {
        window,
        commit,
        what: "scheduled".into(),
    })
}

/// Moves the window `query` names to `status` (keeping its status when `None`), saying `text`.
pub fn advance(
    store: &Store,
    actor: &Actor,
    query: &str,
    status: Option<MaintenanceStatus>,
    text: String,
) -> Result<Changed> {
    let id = store.resolve_maintenance(query)?;
    let status = match status {
        Some(status) => status,
        None => store.load_maintenance(&id)?.status,
    };
    change(store, actor, &id, status.as_str(), |m, stamp| {
        m.advance(status, text.clone(), stamp)?;
        Ok(format!("{status}: {}", text.trim()))
    })
}

/// Calls off a window that has not begun, saying why.
pub fn cancel(store: &Store, actor: &Actor, query: &str, reason: &str) -> Result<Changed> {
    let id = store.resolve_maintenance(query)?;
    change(store, actor, &id, "cancelled", |m, stamp| {
        m.cancel(reason, stamp)?;
        Ok(format!("cancelled: {}", reason.trim()))
    })
}

/// Moves a window that has not begun to a new slot ahead.
pub fn reschedule(
    store: &Store,
    actor: &Actor,
    query: &str,
    from: DateTime<Utc>,
    until: DateTime<Utc>,
) -> Result<Changed> {
    if from < actor.now {
        return Err(ModelError::Invalid(format!(
            "--from ({}) is in the past: reschedule to a time ahead",
            from.format("%Y-%m-%d %H:%M UTC")
        ))
        .into());
    }
    let id = store.resolve_maintenance(query)?;
    change(store, actor, &id, "rescheduled", |m, stamp| {
        m.reschedule(from, until, stamp)?;
        Ok(format!(
            "rescheduled to {} – {}",
            from.to_rfc3339(),
            until.to_rfc3339()
        ))
    })
}

/// One change to window `id` under the lock: `apply` returns the commit message's words.
fn change(
    store: &Store,
    actor: &Actor,
    id: &str,
    what: &str,
    apply: impl FnOnce(&mut Maintenance, &crate::model::Stamp) -> Result<String, ModelError>,
) -> Result<Changed> {
    let stamp = actor.stamp(None)?;
    let (window, commit) = store.update_maintenance(id, &actor.author, actor.now, |m| {
        let said = apply(m, &stamp)?;
        Ok(Change::new("maintenance", said))
    })?;
    Ok(Changed {
        window,
        commit,
        what: what.to_string(),
    })
}
