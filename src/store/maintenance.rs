//! Maintenance windows on disk: `maintenance/<year>/<id>.yaml`, committed through the same
//! transaction as incidents, with a `Maintenance:` trailer instead of `Incident:` so incident history
//! never picks them up.

use super::{Author, Change, Store, StoreError, yaml};
use crate::model::{self, Maintenance};
use anyhow::{Context, Result, anyhow, bail};
use chrono::{DateTime, Utc};
use std::fs;
use std::path::{Path, PathBuf};

/// Where maintenance windows live, next to `incidents/`.
pub const MAINTENANCE_DIR: &str = "maintenance";

/// A window's file relative to the incident repo.
pub fn maintenance_file(id: &str) -> String {
    relative_path(id).display().to_string()
}

fn relative_path(id: &str) -> PathBuf {
    super::in_year_folder(MAINTENANCE_DIR, id)
}

fn load_from(root: &Path, id: &str) -> Result<Maintenance> {
    let rel = relative_path(id);
    let text = fs::read_to_string(root.join(&rel))
        .with_context(|| format!("cannot read maintenance `{id}` ({})", rel.display()))?;
    let m: Maintenance = yaml::parse(&text, &rel)?;
    if m.id != id {
        return Err(StoreError::MisplacedRecord {
            path: rel,
            id: m.id,
        }
        .into());
    }
    Ok(m)
}

impl Store {
    /// Every maintenance ID, sorted, from the file names.
    pub fn maintenance_ids(&self) -> Result<Vec<String>> {
        super::ids_in_year_folders(&self.root.join(MAINTENANCE_DIR))
    }

    /// Exact ID, else the whole slug, else a unique start of a slug (what tables show on a
    /// terminal), else a unique prefix, else a unique substring.
    pub fn resolve_maintenance(&self, query: &str) -> Result<String> {
        model::check_name("maintenance ID", query)?;
        let ids = self.maintenance_ids()?;
        if ids.iter().any(|id| id == query) {
            return Ok(query.to_string());
        }
        for hit in [
            (|id: &str, q: &str| super::short_id(id) == q) as fn(&str, &str) -> bool,
            |id: &str, q: &str| super::short_id(id).starts_with(q),
            |id: &str, q: &str| id.starts_with(q),
            |id: &str, q: &str| id.contains(q),
        ] {
            let found: Vec<&String> = ids.iter().filter(|id| hit(id, query)).collect();
            match found.len() {
                0 => continue,
                1 => return Ok(found[0].clone()),
                _ => bail!(
                    "`{query}` matches several maintenance windows: {}; give more of the ID",
                    found
                        .iter()
                        .map(|s| s.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            }
        }
        if ids.is_empty() {
            bail!(
                "no maintenance window `{query}`: none is scheduled (`incident maintenance schedule`)"
            );
        }
        bail!(
            "no maintenance window `{query}`; `incident maintenance list` shows the {} there are",
            ids.len()
        )
    }

    pub fn load_maintenance(&self, id: &str) -> Result<Maintenance> {
        load_from(&self.root, id)
    }

    /// Every maintenance window; the first broken file is the error (the page must not silently
    /// drop an announced window).
    pub fn load_all_maintenance(&self) -> Result<Vec<Maintenance>> {
        let ids = self.maintenance_ids()?;
        let root = self.root.as_path();
        super::par_map_ids(&ids, |id| load_from(root, id))
            .into_iter()
            .collect()
    }

    /// Commits a new window under a free ID (`-2`, `-3`, ... when taken); returns it as written and
    /// the commit.
    pub fn create_maintenance(
        &self,
        mut m: Maintenance,
        author: &Author,
        now: DateTime<Utc>,
    ) -> Result<(Maintenance, String)> {
        let lock = self.lock()?;
        let base = m.id.clone();
        let mut n = 1;
        while self.path_taken(&relative_path(&m.id))? {
            n += 1;
            m.id = format!("{base}-{n}");
        }
        let text = yaml::to_string(&m)?;
        let change = Change::new("maintenance", format!("scheduled {}", m.title));
        let commit = self.commit_file_as(
            &lock,
            "Maintenance",
            &m.id,
            &relative_path(&m.id),
            &text,
            &change,
            author,
            now,
        )?;
        Ok((m, commit))
    }

    /// Applies `apply` under the lock and commits the result; nothing is written when it fails.
    pub fn update_maintenance<F>(
        &self,
        id: &str,
        author: &Author,
        now: DateTime<Utc>,
        apply: F,
    ) -> Result<(Maintenance, String)>
    where
        F: FnOnce(&mut Maintenance) -> Result<Change>,
    {
        let lock = self.lock()?;
        super::ensure_no_operation_in_progress(self)?;
        let mut m = self.load_maintenance(id)?;
        let change = apply(&mut m)?;
        if m.id != id {
            return Err(anyhow!("a change may not rename maintenance `{id}`"));
        }
        let text = yaml::to_string(&m)?;
        let commit = self.commit_file_as(
            &lock,
            "Maintenance",
            id,
            &relative_path(id),
            &text,
            &change,
            author,
            now,
        )?;
        Ok((m, commit))
    }
}
