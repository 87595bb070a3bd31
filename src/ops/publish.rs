//! Publishing the status page: the incidents and maintenance the page can show, rendered file by
//! file into a folder, each file replaced only when it differs; files of incidents that aged out
//! are removed, and nothing the tool did not write is touched.

use crate::model::PublicView;
use crate::render::Renderer;
use crate::render::publish::publish as render_site;
use crate::store::{Store, SummaryView, replace_file};
use anyhow::{Context as _, Result, bail};
use chrono::{DateTime, Utc};
use std::path::Path;
use std::sync::Mutex;

/// Whether to write the site or only say what would change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Write,
    /// Write nothing: name the files that are out of date.
    Check,
}

/// What publishing did (or, checking, would do).
#[derive(Debug, Clone)]
pub struct Published {
    /// The files written or removed (checking: that would be), sorted.
    pub changed: Vec<String>,
    /// How many files the site has.
    pub total: usize,
}

/// Publishes `days` of history into `out` (a folder checked to be safe to write: not the repo,
/// not `home`, not a folder of something else) as of `now`.
pub fn publish(
    store: &Store,
    out: &Path,
    days: u32,
    mode: Mode,
    now: DateTime<Utc>,
    home: Option<&Path>,
) -> Result<Published> {
    store.check_output_folder(out, home, "the status page")?;
    // Only incidents the page can show are read in full; the summaries (cached) say which.
    let horizon = crate::render::publish::horizon(now, days);
    // Chosen from the packed summaries in place: owned summaries of 100,000 incidents would be
    // 50 MB, used only to choose.
    let in_window = |packed: &[u8]| {
        SummaryView::decode(packed).is_none_or(|s| {
            crate::render::publish::may_publish(s.drill, s.times.resolved_at, horizon)
        })
    };
    let rows = store.load_summary_rows(Some(&in_window))?;
    let mut wanted = Vec::new();
    for summary in rows.views() {
        match summary {
            Ok(s)
                if !crate::render::publish::may_publish(s.drill, s.times.resolved_at, horizon) => {}
            Ok(s) => wanted.push(s.id.to_string()),
            Err(e) => bail!("cannot publish while a record is broken: {e}"),
        }
    }
    drop(rows);
    let mut incidents = Vec::new();
    for loaded in store.load_ids_cached::<PublicView>(&wanted) {
        match loaded {
            Ok(view) => incidents.push(view.into_incident()),
            Err(e) => bail!("cannot publish while a record is broken: {e}"),
        }
    }
    let maintenance = store
        .load_all_maintenance()
        .context("cannot publish while a maintenance record is broken")?;
    let renderer = Renderer::new(Some(store.root()), store.config());

    // Each file is compared with what is there and replaced only when it differs, as it is
    // rendered, so the site is never all in memory and an unchanged page keeps its mtime.
    let changed: Mutex<Vec<String>> = Mutex::new(Vec::new());
    let written: Mutex<Vec<String>> = Mutex::new(Vec::new());
    let write = |name: &str, content: String| -> Result<()> {
        // Every name is built from checked IDs; this keeps a future slip from writing elsewhere.
        let plain = std::path::Path::new(name)
            .components()
            .all(|c| matches!(c, std::path::Component::Normal(_)));
        if !plain {
            bail!("refusing to publish `{name}`: it would be written outside `--out`");
        }
        written.lock().expect("not poisoned").push(name.to_string());
        let path = out.join(name);
        let existing = std::fs::read(&path);
        if existing.as_deref().ok() != Some(content.as_bytes()) {
            if mode == Mode::Write {
                let missing = existing
                    .as_ref()
                    .is_err_and(|e| e.kind() == std::io::ErrorKind::NotFound);
                write_output(&path, content.as_bytes(), missing)
                    .with_context(|| format!("cannot publish `{}`", path.display()))?;
            }
            changed.lock().expect("not poisoned").push(name.to_string());
        }
        Ok(())
    };
    let total = render_site(
        &incidents,
        &maintenance,
        store.config(),
        &renderer,
        now,
        days,
        &write,
    )?;
    let mut changed_names = changed.into_inner().expect("not poisoned");
    let mut written = written.into_inner().expect("not poisoned");
    written.sort();
    changed_names.extend(remove_aged_out(out, &written, mode == Mode::Check)?);
    changed_names.sort();
    Ok(Published {
        changed: changed_names,
        total,
    })
}

/// A file nobody can have read yet is written in place (a fresh CI folder holds thousands: a
/// temporary file and a rename each would double the file-system work); one that exists is replaced
/// atomically, so a web server serving the folder never sends half a page. A crash mid-write leaves
/// a new file short, and the next `publish` sees it differ and rewrites it.
fn write_output(path: &Path, content: &[u8], missing: bool) -> Result<()> {
    use std::io::Write;
    if missing {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(path)
        {
            Ok(mut file) => return Ok(file.write_all(content)?),
            // Someone made it meanwhile: replace it like any existing file.
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(e.into()),
        }
    }
    replace_file(path, content)
}

/// Lists what the last `publish` wrote into the folder, so the next one can remove the pages of
/// incidents that aged out of `--days` without ever touching a file it did not write.
const MANIFEST: &str = ".incident-published";

/// Removes the files the previous run wrote and this one did not (with `check`, only names them);
/// then records what this run wrote. Returns the removed names.
fn remove_aged_out(out: &Path, written: &[String], check: bool) -> Result<Vec<String>> {
    let manifest = out.join(MANIFEST);
    let before = std::fs::read_to_string(&manifest).unwrap_or_default();
    let mut removed = Vec::new();
    for name in before.lines() {
        let plain = std::path::Path::new(name)
            .components()
            .all(|c| matches!(c, std::path::Component::Normal(_)));
        if name.is_empty() || !plain || written.binary_search(&name.to_string()).is_ok() {
            continue;
        }
        let path = out.join(name);
        if path.is_file() {
            if !check {
                std::fs::remove_file(&path)
                    .with_context(|| format!("cannot remove `{}`", path.display()))?;
            }
            removed.push(name.to_string());
        }
    }
    let now: String = written.iter().map(|n| format!("{n}\n")).collect();
    if !check && now != before {
        replace_file(&manifest, now.as_bytes())
            .with_context(|| format!("cannot write `{}`", manifest.display()))?;
    }
    Ok(removed)
}
