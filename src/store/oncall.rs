//! The rotas on disk: `oncall/<schedule>.yaml`, and each override a file of its own under
//! `oncall/overrides/` (two people swapping shifts on two clones add two files: nothing to merge).
//! An override is committed through the same transaction as incidents, with an `Oncall:` trailer.

use super::{Author, Change, Store, yaml};
use crate::model::escalation::Escalation;
use crate::model::oncall::{Override, Schedule};
use anyhow::{Context as _, Result, bail};
use chrono::{DateTime, Utc};
use std::path::{Path, PathBuf};

/// Where rotas live in the incident repo.
pub const ONCALL_DIR: &str = "oncall";
/// Where overrides live.
pub const OVERRIDES_DIR: &str = "oncall/overrides";
/// The escalation policies (not a schedule).
pub const ESCALATION_FILE: &str = "oncall/escalation.yaml";

impl Store {
    /// Every schedule, by ID; none without an `oncall/` folder. A file that does not read is an
    /// error naming it.
    pub fn schedules(&self) -> Result<Vec<Schedule>> {
        let mut out = Vec::new();
        for path in yaml_files(&self.root.join(ONCALL_DIR))? {
            let rel = path.strip_prefix(&self.root).unwrap_or(&path).to_path_buf();
            if rel == Path::new(ESCALATION_FILE) {
                continue;
            }
            let text = std::fs::read_to_string(&path)
                .with_context(|| format!("cannot read `{}`", rel.display()))?;
            let mut schedule: Schedule = yaml::parse(&text, &rel)?;
            schedule.id = path
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default();
            out.push(schedule);
        }
        out.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(out)
    }

    /// Every override, oldest given first (their file names start with when they were given), so
    /// that the latest wins where two cover the same time.
    pub fn overrides(&self) -> Result<Vec<Override>> {
        let mut out = Vec::new();
        for path in yaml_files(&self.root.join(OVERRIDES_DIR))? {
            let rel = path.strip_prefix(&self.root).unwrap_or(&path).to_path_buf();
            let text = std::fs::read_to_string(&path)
                .with_context(|| format!("cannot read `{}`", rel.display()))?;
            out.push(yaml::parse(&text, &rel)?);
        }
        Ok(out)
    }

    /// The escalation policies (`oncall/escalation.yaml`); none without the file.
    pub fn escalation(&self) -> Result<Escalation> {
        let path = self.root.join(ESCALATION_FILE);
        match std::fs::read_to_string(&path) {
            Ok(text) => Ok(yaml::parse(&text, Path::new(ESCALATION_FILE))?),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Escalation::default()),
            Err(e) => Err(e).with_context(|| format!("cannot read `{ESCALATION_FILE}`")),
        }
    }

    /// Records an override as a file of its own, one commit; its path.
    pub fn save_override(
        &self,
        o: &Override,
        author: &Author,
        now: DateTime<Utc>,
    ) -> Result<(String, PathBuf)> {
        let name = format!(
            "{}-{}-{}-{}.yaml",
            now.format("%Y%m%dT%H%M%S"),
            o.schedule,
            o.layer.as_deref().unwrap_or("first"),
            o.who
        );
        let rel = Path::new(OVERRIDES_DIR).join(&name);
        if self.root.join(&rel).exists() {
            bail!(
                "`{}` exists already: the same override was given this second",
                rel.display()
            );
        }
        let text = yaml::to_string(o)?;
        let summary = format!(
            "override {}{}: {} from {} until {}",
            o.schedule,
            o.layer
                .as_deref()
                .map(|l| format!("/{l}"))
                .unwrap_or_default(),
            o.who,
            o.from.format("%Y-%m-%d %H:%M UTC"),
            o.until.format("%Y-%m-%d %H:%M UTC")
        );
        let change = Change::new("oncall", summary);
        let lock = self.lock()?;
        let commit = self.commit_file_as(
            &lock,
            "Oncall",
            &o.schedule,
            &rel,
            &text,
            &change,
            author,
            now,
        )?;
        Ok((commit, rel))
    }
}

/// The `.yaml` files directly in `dir`, sorted; none when it does not exist.
fn yaml_files(dir: &Path) -> Result<Vec<PathBuf>> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e).with_context(|| format!("cannot read `{}`", dir.display())),
    };
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file() && p.extension().is_some_and(|x| x == "yaml" || x == "yml"))
        .collect();
    files.sort();
    Ok(files)
}
