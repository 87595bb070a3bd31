//! `check` as an operation: every record, maintenance window and the policy against the rules of
//! the model, from the caches where a record did not change. CI, the command line and the server
//! ask it here.

use crate::model::{CheckInput, Finding, Incident, Level, Rule, check_parts};
use crate::store::{CheckFacts, Store, StoreError};
use anyhow::Result;
use chrono::{DateTime, Utc};
use serde::Serialize;

/// What `check` found, errors first, by file.
#[derive(Debug, Serialize)]
pub struct CheckReport {
    pub incidents: usize,
    pub maintenance: usize,
    pub errors: usize,
    pub warnings: usize,
    pub findings: Vec<Finding>,
}

/// Checks the whole repo as of `now`. `show_time` writes a time into a finding's words as the
/// reader's front door shows times.
pub fn check(
    store: &Store,
    now: DateTime<Utc>,
    show_time: &dyn Fn(DateTime<Utc>) -> String,
) -> Result<CheckReport> {
    let (ids, mut findings) = check_records(store, now)?;
    let windows = store.maintenance_ids()?;
    for id in &windows {
        let file = crate::store::maintenance_file(id);
        match store.load_maintenance(id) {
            Ok(m) => findings.extend(m.check(store.config(), now, &file)),
            Err(e) => findings.push(Finding {
                rule: Rule::Unreadable,
                level: Level::Error,
                file,
                field: String::new(),
                problem: format!("{e:#}"),
                fix: "fix the YAML by hand; see docs/format.md".into(),
            }),
        }
    }
    findings.extend(crate::model::check_config(store.config()));
    findings.extend(super::runbook::findings(store)?);
    findings.extend(super::oncall::findings(store));
    findings.extend(failed_deliveries(store, show_time));
    findings.sort_by(|a, b| (a.level, &a.file).cmp(&(b.level, &b.file)));
    let errors = findings.iter().filter(|f| f.level == Level::Error).count();
    Ok(CheckReport {
        incidents: ids,
        maintenance: windows.len(),
        errors,
        warnings: findings.len() - errors,
        findings,
    })
}

/// The findings of every incident record, and how many there are. What a record's own rules found
/// is kept in the cache; an active incident is read whole for its deadlines.
fn check_records(store: &Store, now: DateTime<Utc>) -> Result<(usize, Vec<Finding>)> {
    let (ids, loaded) = store.load_all_cached_with_ids::<CheckFacts>()?;
    // Sized for a finding per record: grown by doubling, its copies were a tenth of the fresh
    // memory `check` touched at 100,000 records (pages never written cost nothing).
    let mut findings = Vec::with_capacity(ids.len());
    // Post-mortem files, listed once: asking for each of thousands of records is a system call each.
    let postmortems: std::collections::HashSet<String> = std::fs::read_dir(store.postmortems_dir())
        .map(|dir| {
            dir.filter_map(Result::ok)
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    // Active incidents' deadlines need the whole record: read them all at once, on all cores.
    let active: Vec<String> = ids
        .iter()
        .zip(&loaded)
        .filter(|(_, l)| matches!(l, Ok(f) if f.clock.active))
        .map(|(id, _)| id.clone())
        .collect();
    let mut active_records = store.load_ids_mapped(&active, |i: Incident| i).into_iter();
    let mut file = String::new();
    for (id, loaded) in ids.iter().zip(loaded) {
        // One buffer for every record's path: only findings copy it.
        file.clear();
        store.push_record_file(id, &mut file);
        match loaded {
            Ok(facts) => {
                let input = CheckInput {
                    config: store.config(),
                    now,
                    file: &file,
                    file_id: id,
                    // Looked for only when the post-mortem rule could ask.
                    has_postmortem_file: facts.clock.needs_postmortem_file()
                        && postmortems.contains(&format!("{id}.md"))
                        && store.postmortem_path(id).is_file(),
                };
                let record = if facts.clock.active {
                    Some(active_records.next().expect("one read per active record")?)
                } else {
                    None
                };
                findings.extend(check_parts(
                    facts.findings,
                    record.as_ref(),
                    &facts.clock,
                    &input,
                ));
            }
            Err(StoreError::Parse { line, message, .. }) => findings.push(Finding {
                rule: Rule::Unreadable,
                level: Level::Error,
                file: file.clone(),
                field: line.map(|l| format!("line {l}")).unwrap_or_default(),
                problem: message,
                fix: "fix the YAML by hand; see docs/format.md".into(),
            }),
            Err(e @ StoreError::MisplacedRecord { .. }) => findings.push(Finding {
                rule: Rule::MisplacedRecord,
                level: Level::Error,
                file: file.clone(),
                field: "id".into(),
                problem: e.to_string(),
                fix: e.hint().unwrap_or_default(),
            }),
            Err(e) => return Err(e.into()),
        }
    }
    Ok((ids.len(), findings))
}

/// Deliveries that failed and were not made since, from the local copy of the ledger (`check`
/// only reads; `incident notify` fetches it).
fn failed_deliveries(store: &Store, show_time: &dyn Fn(DateTime<Utc>) -> String) -> Vec<Finding> {
    if store.config().notify.targets.is_empty() {
        return Vec::new();
    }
    let Ok(ledger) = store.ledger("origin", String::new()) else {
        return Vec::new();
    };
    ledger
        .failures()
        .into_iter()
        .map(|f| Finding {
            rule: Rule::DeliveryFailed,
            level: Level::Warning,
            file: ".incident.yaml".into(),
            field: "notify".into(),
            problem: format!(
                "notification {} failed at {} and was not delivered since: {}",
                f.key,
                show_time(f.at),
                f.note.as_deref().unwrap_or("no reason recorded")
            ),
            fix: "fix the target (URL, secret, receiver), then run `incident notify`".into(),
        })
        .collect()
}
