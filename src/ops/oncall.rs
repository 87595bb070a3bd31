//! Who is on call: now, at any time, shift by shift; overrides given; the rota as calendars.

use super::Actor;
use crate::model::oncall::{Override, Schedule, Shift};
use crate::model::{Finding, Level, Rule};
use crate::store::Store;
use anyhow::{Result, anyhow, bail};
use chrono::{DateTime, Utc};
use std::path::{Path, PathBuf};

/// The schedules `only` names (every one when `None`); an error when there are none or the name
/// is unknown, saying what there is.
pub fn schedules(store: &Store, only: Option<&str>) -> Result<Vec<Schedule>> {
    let all = store.schedules()?;
    if all.is_empty() {
        bail!(
            "no rotas yet: add `oncall/<name>.yaml` with a time zone and layers of members (see docs/oncall.md)"
        );
    }
    let Some(name) = only else {
        return Ok(all);
    };
    let names: Vec<&str> = all.iter().map(|s| s.id.as_str()).collect();
    match all.iter().find(|s| s.id == name) {
        Some(s) => Ok(vec![s.clone()]),
        None => Err(anyhow!(crate::UsageError(format!(
            "--schedule `{name}`: no such rota; there are {}",
            names.join(", ")
        )))),
    }
}

/// Who is on call at `at`, schedule by schedule, layer by layer.
pub fn on_call(store: &Store, only: Option<&str>, at: DateTime<Utc>) -> Result<Vec<Shift>> {
    let overrides = store.overrides()?;
    Ok(schedules(store, only)?
        .iter()
        .flat_map(|s| s.on_call(&overrides, at))
        .collect())
}

/// Every shift from `from` until `until`, cut to that window.
pub fn shifts(
    store: &Store,
    only: Option<&str>,
    from: DateTime<Utc>,
    until: DateTime<Utc>,
) -> Result<Vec<Shift>> {
    if until <= from {
        return Err(anyhow!(crate::UsageError(
            "--until must come after --from".into()
        )));
    }
    let overrides = store.overrides()?;
    Ok(schedules(store, only)?
        .iter()
        .flat_map(|s| s.shifts(&overrides, from, until))
        .collect())
}

/// Who the escalation policy of `incident` pages first at `at` (the on-call person of its rota),
/// each with the rota layer; none without a policy for it.
pub fn first_paged(
    store: &Store,
    incident: &crate::model::Incident,
    at: DateTime<Utc>,
) -> Result<Vec<(String, Option<String>)>> {
    let escalation = store.escalation()?;
    let Some(policy) = escalation.policy_for(incident) else {
        return Ok(Vec::new());
    };
    Ok(policy.level_people(1, &store.schedules()?, &store.overrides()?, at))
}

/// What an override says.
#[derive(Debug, Clone)]
pub struct NewOverride {
    pub schedule: String,
    pub layer: Option<String>,
    pub who: String,
    pub from: DateTime<Utc>,
    pub until: DateTime<Utc>,
    pub reason: Option<String>,
}

/// Gives a layer of a schedule to someone for a while: one file, one commit. Its commit, path, and
/// a warning when the person is not on the roster.
pub fn give(
    store: &Store,
    actor: &Actor,
    input: NewOverride,
) -> Result<(String, PathBuf, Vec<String>)> {
    let schedule = schedules(store, Some(&input.schedule))?.remove(0);
    if let Some(layer) = &input.layer
        && schedule.layer(Some(layer)).is_none()
    {
        let names: Vec<&str> = schedule.layers.iter().map(|l| l.name.as_str()).collect();
        return Err(anyhow!(crate::UsageError(format!(
            "--layer `{layer}`: `{}` has {}",
            schedule.id,
            names.join(", ")
        ))));
    }
    if input.until <= input.from {
        return Err(anyhow!(crate::UsageError(
            "--until must come after --from".into()
        )));
    }
    crate::model::check_name("--who", &input.who)?;
    if let Some(reason) = &input.reason {
        crate::model::check_line("--reason", reason)?;
    }
    let warnings = super::unknown_people(store.config(), [input.who.as_str()])
        .into_iter()
        .map(|w| w.to_string())
        .collect();
    let o = Override {
        schedule: input.schedule,
        layer: input.layer,
        who: input.who,
        from: input.from,
        until: input.until,
        reason: input.reason,
    };
    let (commit, path) = store.save_override(&o, &actor.author, actor.now)?;
    Ok((commit, path, warnings))
}

/// Writes `<schedule>.ics` for each schedule and `people/<handle>.ics` for each person with a shift
/// from `from` until `until` into `out`; the files written. Shifts are whole, so a calendar
/// re-imported next week updates the same events.
pub fn export_ics(
    store: &Store,
    out: &Path,
    from: DateTime<Utc>,
    until: DateTime<Utc>,
    home: Option<&Path>,
) -> Result<Vec<PathBuf>> {
    store.check_output_folder(out, home, "the on-call calendars")?;
    let overrides = store.overrides()?;
    let config = store.config();
    let display = |handle: &str| config.display_name(handle).to_string();
    let mut written = Vec::new();
    let mut everyone: Vec<Shift> = Vec::new();
    for schedule in schedules(store, None)? {
        let shifts = whole(&schedule, &overrides, from, until);
        let path = out.join(format!("{}.ics", schedule.id));
        let name = schedule.name.clone().unwrap_or_else(|| schedule.id.clone());
        write(
            &path,
            &crate::render::ics::calendar(&format!("On call: {name}"), &shifts, &display),
        )?;
        written.push(path);
        everyone.extend(shifts);
    }
    let mut people: Vec<&str> = everyone.iter().map(|s| s.who.as_str()).collect();
    people.sort();
    people.dedup();
    for who in people {
        let mine: Vec<Shift> = everyone.iter().filter(|s| s.who == who).cloned().collect();
        let path = out.join("people").join(format!("{who}.ics"));
        write(
            &path,
            &crate::render::ics::calendar(&format!("On call: {}", display(who)), &mine, &display),
        )?;
        written.push(path);
    }
    Ok(written)
}

/// The shifts of `[from, until)` with the first and last not cut to the window.
fn whole(
    schedule: &Schedule,
    overrides: &[Override],
    from: DateTime<Utc>,
    until: DateTime<Utc>,
) -> Vec<Shift> {
    let mut shifts = schedule.shifts(overrides, from, until);
    for s in &mut shifts {
        if s.from == from || s.until == until {
            let at = if s.from == from {
                from
            } else {
                until - chrono::Duration::seconds(1)
            };
            if let Some(full) = schedule
                .on_call(overrides, at)
                .into_iter()
                .find(|f| f.layer == s.layer && f.who == s.who)
            {
                s.from = s.from.min(full.from);
                s.until = s.until.max(full.until);
            }
        }
    }
    shifts
}

fn write(path: &Path, text: &str) -> Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)
            .map_err(|e| anyhow!("cannot create `{}`: {e}", dir.display()))?;
    }
    crate::store::write_atomically(path, text.as_bytes())
        .map_err(|e| anyhow!("cannot write `{}`: {e}", path.display()))
}

/// What `check` says of the rotas: a file that does not read, a schedule with a bad zone, an empty
/// or duplicate layer or a member not on the roster, an override of a rota or layer there is not.
pub fn findings(store: &Store) -> Vec<Finding> {
    let finding = |file: &str, field: String, problem: String| Finding {
        rule: Rule::OncallInvalid,
        level: Level::Error,
        file: file.to_string(),
        field,
        problem,
        fix: "fix the rota; see docs/oncall.md for the format".into(),
    };
    let mut out = Vec::new();
    let schedules = match store.schedules() {
        Ok(s) => s,
        Err(e) => {
            out.push(finding(
                crate::store::ONCALL_DIR,
                String::new(),
                format!("{e:#}"),
            ));
            return out;
        }
    };
    let people: Vec<&str> = store
        .config()
        .people
        .iter()
        .map(|p| p.handle.as_str())
        .collect();
    for s in &schedules {
        let file = format!("{}/{}.yaml", crate::store::ONCALL_DIR, s.id);
        for (field, problem) in s.problems(&people) {
            out.push(finding(&file, field, problem));
        }
    }
    let targets: Vec<&str> = store
        .config()
        .notify
        .targets
        .iter()
        .map(|t| t.id.as_str())
        .collect();
    match store.escalation() {
        Err(e) => out.push(finding(
            crate::store::ESCALATION_FILE,
            String::new(),
            format!("{e:#}"),
        )),
        Ok(escalation) => {
            for (field, problem) in escalation.problems(&schedules, &people, &targets) {
                out.push(finding(crate::store::ESCALATION_FILE, field, problem));
            }
        }
    }
    match store.overrides() {
        Err(e) => out.push(finding(
            crate::store::OVERRIDES_DIR,
            String::new(),
            format!("{e:#}"),
        )),
        Ok(overrides) => {
            for o in overrides {
                let known = schedules
                    .iter()
                    .find(|s| s.id == o.schedule)
                    .is_some_and(|s| s.layer(o.layer.as_deref()).is_some());
                if !known {
                    out.push(finding(
                        crate::store::OVERRIDES_DIR,
                        "schedule".into(),
                        format!(
                            "an override of `{}{}` for {}: no such rota or layer",
                            o.schedule,
                            o.layer
                                .as_deref()
                                .map(|l| format!("/{l}"))
                                .unwrap_or_default(),
                            o.who
                        ),
                    ));
                }
            }
        }
    }
    out
}
