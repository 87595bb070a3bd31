//! Alerts in: a group's alerts declare its incident, or go on the timeline of the incident that
//! already answers the group. `incident ingest` and `incident serve` both call [`ingest`].

use super::{Actor, Declare, Outcome};
use crate::model::alert::{AlertBatch, OnResolved};
use crate::model::{EventKind, Incident, Reopen, Status, Visibility};
use crate::store::{Change, Record, Store};
use anyhow::Result;
use std::collections::{BTreeMap, HashMap};

/// The fields of a record that say which groups it answers.
#[derive(Debug, serde::Deserialize)]
struct Links {
    id: String,
    status: Status,
    #[serde(default)]
    alerts: Vec<String>,
}

impl Record for Links {
    fn record_id(&self) -> &str {
        &self.id
    }
    const FIELDS: Option<&'static [&'static str]> = Some(&["id", "status", "alerts"]);
}

/// Where each alert group stands in the repo.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GroupState {
    /// The incident answering it now: the open one, else the latest.
    pub incident: Option<String>,
    pub open: bool,
    /// How many incidents ever answered it (a new declaration is the next of these).
    pub declared: usize,
}

/// Every alert group the records name, with the incident that answers it.
pub fn groups(store: &Store) -> Result<HashMap<String, GroupState>> {
    let mut out: HashMap<String, GroupState> = HashMap::new();
    for links in store
        .load_all_mapped(|l: Links| l)?
        .into_iter()
        .flatten()
        .filter(|l| !l.alerts.is_empty())
    {
        let open = links.status != Status::Resolved;
        for group in links.alerts {
            let state = out.entry(group).or_default();
            state.declared += 1;
            // IDs begin with the date: among closed ones the greatest is the latest.
            let later = state
                .incident
                .as_deref()
                .is_none_or(|id| links.id.as_str() > id);
            if !state.open && (open || later) {
                state.incident = Some(links.id.clone());
                state.open = open;
            }
        }
    }
    Ok(out)
}

/// What one ingest did for one group.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Ingested {
    pub group: String,
    /// The incident the alerts went to (none: ignored, or only resolved alerts of a group no
    /// incident ever answered).
    pub incident: Option<String>,
    pub declared: bool,
    /// Alert lines put on the timeline (repeats of a state already there are not).
    pub logged: usize,
    /// The status the incident moved to because its alerts resolved.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub moved_to: Option<Status>,
    /// A rule of `.incident.yaml` says to ignore this group.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub ignored: bool,
    #[serde(skip)]
    pub outcome: Option<Outcome>,
}

impl Ingested {
    fn nothing(group: &str, incident: Option<String>) -> Ingested {
        Ingested {
            group: group.to_string(),
            incident,
            declared: false,
            logged: 0,
            moved_to: None,
            ignored: false,
            outcome: None,
        }
    }
}

/// Each alert's mark and whether its latest line on the timeline says firing.
fn states(incident: &Incident) -> BTreeMap<String, bool> {
    let mut states = BTreeMap::new();
    for e in incident
        .timeline
        .iter()
        .filter(|e| e.kind == EventKind::Alert)
    {
        if let Some(mark) = e.text.rsplit(' ').next().filter(|m| m.starts_with('[')) {
            states.insert(mark.to_string(), e.text.starts_with("firing"));
        }
    }
    states
}

/// Takes the alerts of `batches` (all of one group, in the order they came) into the repo, as
/// one commit: declares the group's incident when none is open and something fires, else logs
/// the alerts whose state is news on the incident that answers it. `state` is where the group
/// stands ([`groups`]); the server keeps it between requests.
pub fn ingest(
    store: &Store,
    actor: &Actor,
    batches: &[AlertBatch],
    state: &GroupState,
) -> Result<Ingested> {
    let Some(first) = batches.first() else {
        anyhow::bail!("no alerts to take in");
    };
    let group = first.group.as_str();
    let config = store.config();
    let plan = first.plan(config);
    if plan.ignore {
        return Ok(Ingested {
            ignored: true,
            ..Ingested::nothing(group, None)
        });
    }
    let alerts: Vec<&crate::model::alert::Alert> =
        batches.iter().flat_map(|b| b.alerts.iter()).collect();
    let stamp = actor.stamp(None)?;
    let Some(id) = state.incident.clone().filter(|_| state.open) else {
        if !alerts.iter().any(|a| a.firing) {
            // Nothing fires: a late "resolved" goes to the incident that answered the group.
            return match &state.incident {
                Some(id) => log(store, actor, id, group, &alerts, OnResolved::Log),
                None => Ok(Ingested::nothing(group, None)),
            };
        }
        // Each alert once, in its latest state.
        let mut latest: Vec<&crate::model::alert::Alert> = Vec::new();
        for a in &alerts {
            match latest.iter_mut().find(|l| l.fingerprint == a.fingerprint) {
                Some(slot) => *slot = a,
                None => latest.push(a),
            }
        }
        let started = batches
            .iter()
            .filter_map(AlertBatch::started_at)
            .min()
            .map(|t| t.min(stamp.at));
        let posted = super::declare(
            store,
            actor,
            Declare {
                title: plan.title.clone(),
                severity: plan.severity,
                services: plan.services.clone(),
                components: Vec::new(),
                kind: plan.kind,
                summary: None,
                commander: None,
                comms: None,
                started_at: started,
                detected_at: None,
                impact: Default::default(),
                drill: false,
                post_update: false,
                alert: Some((group.to_string(), latest.iter().map(|a| a.line()).collect())),
            },
        )?;
        return Ok(Ingested {
            group: group.to_string(),
            incident: Some(posted.outcome.incident.id.clone()),
            declared: true,
            logged: latest.len(),
            moved_to: None,
            ignored: false,
            outcome: Some(posted.outcome),
        });
    };
    log(store, actor, &id, group, &alerts, plan.on_resolved)
}

/// Logs what is news among `alerts` on `id`, and moves it as `on_resolved` says once none fires.
fn log(
    store: &Store,
    actor: &Actor,
    id: &str,
    group: &str,
    alerts: &[&crate::model::alert::Alert],
    on_resolved: OnResolved,
) -> Result<Ingested> {
    let stamp = actor.stamp(None)?;
    let runbooks = match on_resolved {
        OnResolved::Log => Vec::new(),
        _ => store.runbooks()?,
    };
    let mut logged = 0;
    let mut moved_to = None;
    let result = store.update(id, &actor.author, actor.now, |incident| {
        let mut seen = states(incident);
        if !incident.alerts.iter().any(|g| g == group) {
            incident.alerts.push(group.to_string());
        }
        let mut said = Vec::new();
        for a in alerts {
            if seen.get(&a.mark()) == Some(&a.firing) {
                continue;
            }
            seen.insert(a.mark(), a.firing);
            let line = a.line();
            incident.push_event(&stamp, EventKind::Alert, line.clone(), Visibility::Internal);
            said.push(line);
        }
        logged = said.len();
        let none_firing = !seen.is_empty() && seen.values().all(|firing| !firing);
        let to = match on_resolved {
            OnResolved::Log => None,
            OnResolved::Monitoring => Some(Status::Monitoring),
            OnResolved::Resolve => Some(Status::Resolved),
        };
        if let Some(to) = to.filter(|to| none_firing && logged > 0 && incident.status < *to) {
            incident.set_status(
                to,
                Some("every alert of its group resolved"),
                Reopen::No,
                &stamp,
            )?;
            super::attach_runbooks(&runbooks, incident, &stamp);
            moved_to = Some(to);
        }
        if said.is_empty() {
            anyhow::bail!(crate::store::NothingChanged);
        }
        let summary = match said.as_slice() {
            [one] => one.clone(),
            many => format!("{} alerts: {}", many.len(), many[0]),
        };
        let summary = match moved_to {
            Some(to) => format!("{summary}; now {to}"),
            None => summary,
        };
        Ok(Change::new(crate::model::event_kind::ALERT, summary))
    });
    match result {
        Ok(saved) => {
            let what = format!("{logged} alert line(s) logged");
            Ok(Ingested {
                group: group.to_string(),
                incident: Some(id.to_string()),
                declared: false,
                logged,
                moved_to,
                ignored: false,
                outcome: Some(Outcome::new(
                    saved,
                    what,
                    Vec::new(),
                    store.config(),
                    stamp.at,
                    actor.now,
                )),
            })
        }
        Err(e) if e.downcast_ref::<crate::store::NothingChanged>().is_some() => {
            Ok(Ingested::nothing(group, Some(id.to_string())))
        }
        Err(e) => Err(e),
    }
}
