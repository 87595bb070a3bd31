//! Shell completion that knows the incident repo: open incident IDs (worst first), service IDs from
//! the catalog, severities, statuses and kinds. The shell asks the binary itself at completion time
//! (`COMPLETE=bash incident -- ...`, registered by `incident completions SHELL`), so the values are
//! always the repo's current ones.

use crate::model::{IncidentKind, IncidentSummary, Severity, Status};
use crate::store::Store;
use clap_complete::engine::{ArgValueCompleter, CompletionCandidate};
use std::ffi::OsStr;

fn matching(
    current: &OsStr,
    values: impl IntoIterator<Item = (String, Option<String>)>,
) -> Vec<CompletionCandidate> {
    let current = current.to_string_lossy();
    values
        .into_iter()
        // Only what the shell can take as one plain word: a value with shell syntax is never
        // offered (readers refuse such IDs anyway), so nothing offered needs quoting.
        .filter(|(v, _)| crate::model::check_read_id(v).is_ok())
        .filter(|(v, _)| {
            v.starts_with(current.as_ref()) || v.to_lowercase().starts_with(&current.to_lowercase())
        })
        .map(|(v, help)| CompletionCandidate::new(v).help(help.map(|h| one_line(&h).into())))
        .collect()
}

/// A description as one line of visible text: shells print it in a menu, and fish and zsh read a
/// tab or newline in it as the end of the entry.
fn one_line(text: &str) -> String {
    crate::model::make_visible(text)
        .chars()
        .map(|c| if c.is_whitespace() { ' ' } else { c })
        .collect()
}

fn store() -> Option<Store> {
    Store::discover(&std::env::current_dir().ok()?).ok()
}

/// Open incidents first, worst first, described by their title; resolved ones follow for a typed
/// prefix that matches no open one.
pub fn incidents() -> ArgValueCompleter {
    ArgValueCompleter::new(|current: &OsStr| {
        let Some(store) = store() else {
            return Vec::new();
        };
        let Ok(loaded) = store.load_all_cached::<IncidentSummary>() else {
            return Vec::new();
        };
        let mut all: Vec<IncidentSummary> = loaded.into_iter().filter_map(Result::ok).collect();
        crate::ops::query::sort_for_triage(&mut all);
        let describe = |i: &IncidentSummary| {
            (
                i.id.clone(),
                Some(format!("{} {}: {}", i.severity, i.status, i.title)),
            )
        };
        let open = matching(
            current,
            all.iter().filter(|i| i.status.is_active()).map(describe),
        );
        if !open.is_empty() {
            return open;
        }
        matching(current, all.iter().map(describe))
    })
}

/// Maintenance windows not yet completed, soonest first, described by status and title.
pub fn maintenance() -> ArgValueCompleter {
    ArgValueCompleter::new(|current: &OsStr| {
        let Some(store) = store() else {
            return Vec::new();
        };
        let Ok(mut all) = store.load_all_maintenance() else {
            return Vec::new();
        };
        all.retain(|m| m.status != crate::model::MaintenanceStatus::Completed);
        all.sort_by(|a, b| (a.scheduled_for, &a.id).cmp(&(b.scheduled_for, &b.id)));
        matching(
            current,
            all.into_iter()
                .map(|m| (m.id, Some(format!("{}: {}", m.status, m.title)))),
        )
    })
}

/// `SERVICE=STATUS` for `--component`: the catalog's services, then the statuses after `=`.
pub fn components() -> ArgValueCompleter {
    ArgValueCompleter::new(|current: &OsStr| {
        let text = current.to_string_lossy();
        if let Some((service, _)) = text.split_once('=') {
            return matching(
                current,
                crate::model::ComponentStatus::ALL
                    .iter()
                    .map(|s| (format!("{service}={s}"), Some(s.label().to_string()))),
            );
        }
        matching(current, catalog("="))
    })
}

/// The catalog's service IDs, each followed by `suffix`, with their display names (none outside an
/// incident repo).
fn catalog(suffix: &str) -> Vec<(String, Option<String>)> {
    let Some(store) = store() else {
        return Vec::new();
    };
    store
        .config()
        .services
        .iter()
        .map(|s| (format!("{}{suffix}", s.id), s.name.clone()))
        .collect()
}

/// Service IDs from the catalog in `.incident.yaml`, with their display names.
pub fn services() -> ArgValueCompleter {
    ArgValueCompleter::new(|current: &OsStr| matching(current, catalog("")))
}

pub fn severities() -> ArgValueCompleter {
    ArgValueCompleter::new(|current: &OsStr| {
        let policy = store().map(|s| s.config().clone());
        matching(
            current,
            Severity::ALL.iter().map(|s| {
                let label = policy.as_ref().map(|p| p.severity(*s).label.clone());
                (s.as_str().to_string(), label)
            }),
        )
    })
}

pub fn statuses() -> ArgValueCompleter {
    ArgValueCompleter::new(|current: &OsStr| {
        matching(
            current,
            Status::ALL.iter().map(|s| (s.as_str().to_string(), None)),
        )
    })
}

pub fn kinds() -> ArgValueCompleter {
    ArgValueCompleter::new(|current: &OsStr| {
        matching(
            current,
            IncidentKind::ALL.iter().map(|k| (k.to_string(), None)),
        )
    })
}
