//! `incident check`: validate every record for CI. Errors (broken data, missing required roles) exit
//! 1; warnings (overdue updates and action items, missing post-mortems) are shown and exit 0. It only
//! reads: closing action items from `Closes-Action` trailers is `incident action sync`.

use super::Context;
use crate::model::{CheckInput, Finding, Level, check_clock, check_deadlines};
use crate::output::Style;
use crate::store::{CheckFacts, StoreError};
use anyhow::{Result, bail};

#[derive(Debug, clap::Args)]
pub struct Args {}

#[derive(serde::Serialize)]
struct Report {
    incidents: usize,
    maintenance: usize,
    errors: usize,
    warnings: usize,
    findings: Vec<Finding>,
}

pub fn run(ctx: &Context, _args: Args) -> Result<()> {
    let store = ctx.store()?;
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
    let mut active_records = store
        .load_ids_mapped(&active, |i: crate::model::Incident| i)
        .into_iter();
    let mut file = String::new();
    for (id, loaded) in ids.iter().zip(loaded) {
        // One buffer for every record's path: only findings copy it.
        file.clear();
        store.push_record_file(id, &mut file);
        match loaded {
            Ok(facts) => {
                let input = CheckInput {
                    config: store.config(),
                    now: ctx.now,
                    file: &file,
                    file_id: id,
                    // Looked for only when the post-mortem rule could ask.
                    has_postmortem_file: facts.clock.needs_postmortem_file()
                        && postmortems.contains(&format!("{id}.md"))
                        && store.postmortem_path(id).is_file(),
                };
                // The parts of `check_incident`, in its order: the record's own findings (kept),
                // an active incident's deadlines (from the record), the clock's rules (from what
                // was kept).
                findings.extend(facts.findings);
                if facts.clock.active {
                    let record = active_records.next().expect("one read per active record")?;
                    findings.extend(check_deadlines(&record, &input));
                }
                findings.extend(check_clock(&facts.clock, &input));
            }
            Err(StoreError::Parse { line, message, .. }) => findings.push(Finding {
                level: Level::Error,
                file: file.clone(),
                field: line.map(|l| format!("line {l}")).unwrap_or_default(),
                problem: message,
                fix: "fix the YAML by hand; see docs/format.md".into(),
            }),
            Err(e @ StoreError::MisplacedRecord { .. }) => findings.push(Finding {
                level: Level::Error,
                file: file.clone(),
                field: "id".into(),
                problem: e.to_string(),
                fix: e.hint().unwrap_or_default(),
            }),
            Err(e) => return Err(e.into()),
        }
    }
    let windows = store.maintenance_ids()?;
    for id in &windows {
        let file = crate::store::maintenance_file(id);
        match store.load_maintenance(id) {
            Ok(m) => findings.extend(m.check(store.config(), ctx.now, &file)),
            Err(e) => findings.push(Finding {
                level: Level::Error,
                file,
                field: String::new(),
                problem: format!("{e:#}"),
                fix: "fix the YAML by hand; see docs/format.md".into(),
            }),
        }
    }
    findings.extend(crate::model::check_config(store.config()));
    // Deliveries that failed and were not made since (from the local copy of the ledger: `check`
    // only reads; `incident notify` fetches it).
    if !store.config().notify.targets.is_empty()
        && let Ok(ledger) =
            crate::notify::ledger::Ledger::open(store.root(), "origin", String::new())
    {
        for f in ledger.failures() {
            findings.push(Finding {
                level: Level::Warning,
                file: ".incident.yaml".into(),
                field: "notify".into(),
                problem: format!(
                    "notification {} failed at {} and was not delivered since: {}",
                    f.key,
                    ctx.out.time_labelled(f.at),
                    f.note.as_deref().unwrap_or("no reason recorded")
                ),
                fix: "fix the target (URL, secret, receiver), then run `incident notify`".into(),
            });
        }
    }
    findings.sort_by(|a, b| (a.level, &a.file).cmp(&(b.level, &b.file)));
    let errors = findings.iter().filter(|f| f.level == Level::Error).count();
    let report = Report {
        incidents: ids.len(),
        maintenance: windows.len(),
        errors,
        warnings: findings.len() - errors,
        findings,
    };
    if ctx.out.json {
        ctx.out.json(&report)?;
    } else {
        // Written in pieces of about a megabyte: line by line, thousands of findings cost a system
        // call each; as one string, the 16 MB of 50,000 findings cost more in fresh memory than
        // in formatting.
        use std::fmt::Write as _;
        const PIECE: usize = 1 << 20;
        let error = ctx.out.paint("error", Style::Red);
        let warning = ctx.out.paint("warning", Style::Yellow);
        let mut text = String::with_capacity(PIECE + 4096);
        for f in &report.findings {
            let level = match f.level {
                Level::Error => &error,
                Level::Warning => &warning,
            };
            if text.len() >= PIECE {
                ctx.out.line(&text)?;
                text.clear();
            } else if !text.is_empty() {
                text.push('\n');
            }
            let _ = write!(
                text,
                "{level}: {}: {}: {}\n  fix: {}",
                f.file, f.field, f.problem, f.fix
            );
        }
        if !text.is_empty() {
            ctx.out.line(text)?;
        }
        ctx.out.line(format!(
            "checked {} incident(s){}: {} error(s), {} warning(s)",
            report.incidents,
            if report.maintenance > 0 {
                format!(" and {} maintenance window(s)", report.maintenance)
            } else {
                String::new()
            },
            report.errors,
            report.warnings
        ))?;
    }
    // Freeing every finding one by one costs more than the process exit that frees them at once.
    std::mem::forget(report);
    if errors > 0 {
        bail!(CheckFailed(errors));
    }
    Ok(())
}

/// Carries the exit code without repeating the findings `run` already printed.
#[derive(Debug, thiserror::Error)]
#[error("{0} error(s) found")]
pub struct CheckFailed(pub usize);
