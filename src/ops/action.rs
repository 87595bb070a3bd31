//! Action items: adding and closing them (each one commit) and the list across every incident.

use super::{Actor, Outcome};
use crate::model::{ActionItem, ActionState, ActionType, Incident, ModelError, check_name};
use crate::store::Store;
use anyhow::Result;
use chrono::NaiveDate;
use serde::Serialize;

/// A new action item: specific, owned and, ideally, dated.
#[derive(Debug, Clone)]
pub struct NewAction {
    pub title: String,
    pub owner: String,
    pub due: Option<NaiveDate>,
    pub action_type: ActionType,
    pub link: Option<String>,
    /// The runbook it improves: its path, file name or a unique part of it.
    pub runbook: Option<String>,
}

/// Adds an action item to the incident `query` names: one commit.
pub fn add(store: &Store, actor: &Actor, query: &str, input: NewAction) -> Result<Outcome> {
    let title = input.title.trim().to_string();
    crate::model::check_line("the action item's title", &title)?;
    if title.is_empty() {
        return Err(ModelError::Invalid(
            "the action item's title is empty: say specifically what will be done".into(),
        )
        .into());
    }
    check_name("owner (--owner)", &input.owner)?;
    let runbook = match &input.runbook {
        Some(query) => Some(store.runbook(query)?.path),
        None => None,
    };
    let item = ActionItem {
        id: String::new(),
        number: 0,
        title,
        owner: input.owner,
        due: input.due,
        action_type: input.action_type,
        state: ActionState::Open,
        link: input.link,
        runbook,
        created_at: actor.now,
        closed_at: None,
        note: None,
        extra: Default::default(),
    };
    super::incident::apply(store, actor, query, None, Vec::new(), |incident, stamp| {
        Ok(incident.add_action(item, stamp))
    })
}

/// Closes action item `number`: done (with what was done) or dropped (with why, which is required).
pub fn close(
    store: &Store,
    actor: &Actor,
    query: &str,
    number: u32,
    state: ActionState,
    note: Option<String>,
) -> Result<Outcome> {
    if state == ActionState::Dropped && note.as_deref().is_none_or(|r| r.trim().is_empty()) {
        return Err(ModelError::Invalid(
            "--reason is empty: say why the action item will not be done".into(),
        )
        .into());
    }
    super::incident::apply(store, actor, query, None, Vec::new(), |incident, stamp| {
        incident.close_action(number, state, note.as_deref(), stamp)
    })
}

/// Which action items to list.
#[derive(Debug, Clone, Default)]
pub struct ActionFilter {
    pub open: bool,
    pub overdue: bool,
    pub owner: Option<String>,
}

/// One action item as the list shows it.
#[derive(Debug, Serialize)]
pub struct ActionRow<'a> {
    pub incident: &'a str,
    #[serde(flatten)]
    pub item: &'a ActionItem,
    pub overdue: bool,
}

/// The action items of `incidents` that `filter` lets through, in the order people work them: open
/// ones first, soonest due first (undated after dated), then by incident and number.
pub fn items<'a>(
    incidents: &'a [Incident],
    filter: &ActionFilter,
    today: NaiveDate,
) -> Vec<ActionRow<'a>> {
    let mut rows: Vec<ActionRow> = incidents
        .iter()
        .flat_map(|i| {
            i.actions.iter().map(move |a| ActionRow {
                incident: &i.id,
                item: a,
                overdue: a.is_overdue(today),
            })
        })
        .filter(|r| !filter.open || r.item.state == ActionState::Open)
        .filter(|r| !filter.overdue || r.overdue)
        .filter(|r| filter.owner.as_ref().is_none_or(|o| &r.item.owner == o))
        .collect();
    let key = |r: &ActionRow<'a>| {
        (
            r.item.state != ActionState::Open,
            r.item.due.is_none(),
            r.item.due,
            r.incident,
            r.item.number,
        )
    };
    rows.sort_by(|a, b| key(a).cmp(&key(b)));
    rows
}
