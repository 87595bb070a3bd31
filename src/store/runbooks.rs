//! The runbooks of the incident repo (`runbooks/**/*.md`), read with the git blob of the version on
//! disk: which version an incident followed is part of its audit trail.

use super::Store;
use crate::model::runbook::{Runbook, RunbookError};
use anyhow::{Context as _, Result};
use std::path::{Path, PathBuf};

/// Where runbooks live in the incident repo.
pub const RUNBOOKS_DIR: &str = "runbooks";

/// One runbook file: its path in the repo, the git blob of its content, and what it says (or why it
/// does not read).
#[derive(Debug, Clone)]
pub struct RunbookFile {
    pub path: String,
    pub blob: String,
    pub runbook: Result<Runbook, RunbookError>,
}

impl Store {
    /// Every runbook in `runbooks/` and its folders, by path; none when there is no such folder.
    pub fn runbooks(&self) -> Result<Vec<RunbookFile>> {
        let dir = self.root.join(RUNBOOKS_DIR);
        let mut files = Vec::new();
        markdown_files(&dir, &mut files)?;
        files.sort();
        files
            .into_iter()
            .map(|file| {
                let text = std::fs::read_to_string(&file)
                    .with_context(|| format!("cannot read `{}`", file.display()))?;
                let path = file
                    .strip_prefix(&self.root)
                    .unwrap_or(&file)
                    .to_string_lossy()
                    .replace('\\', "/");
                let blob = git2::Oid::hash_object(git2::ObjectType::Blob, text.as_bytes())
                    .map(|oid| oid.to_string())
                    .unwrap_or_default();
                Ok(RunbookFile {
                    runbook: Runbook::parse(&path, &text),
                    path,
                    blob,
                })
            })
            .collect()
    }

    /// The runbook `query` names: its path (`runbooks/sev1.md`), file name or file stem, or a
    /// unique part of it.
    pub fn runbook(&self, query: &str) -> Result<RunbookFile> {
        let all = self.runbooks()?;
        let stem = |p: &str| {
            Path::new(p)
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default()
        };
        let exact: Vec<&RunbookFile> = all
            .iter()
            .filter(|f| {
                f.path == query || stem(&f.path) == query || f.path.ends_with(&format!("/{query}"))
            })
            .collect();
        let found: Vec<&RunbookFile> = if exact.is_empty() {
            all.iter().filter(|f| f.path.contains(query)).collect()
        } else {
            exact
        };
        match found.as_slice() {
            [one] => Ok((*one).clone()),
            [] if all.is_empty() => anyhow::bail!(
                "no runbook `{query}`: `{RUNBOOKS_DIR}/` holds none yet (`incident runbook new TITLE`)"
            ),
            [] => anyhow::bail!(
                "no runbook `{query}`; there are: {}",
                all.iter()
                    .map(|f| f.path.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            many => anyhow::bail!(
                "`{query}` names several runbooks: {}; give more of the path",
                many.iter()
                    .map(|f| f.path.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        }
    }

    /// Where a new runbook named by `slug` is written.
    pub fn runbook_path(&self, slug: &str) -> PathBuf {
        self.root.join(RUNBOOKS_DIR).join(format!("{slug}.md"))
    }
}

fn markdown_files(dir: &Path, out: &mut Vec<PathBuf>) -> Result<()> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e).with_context(|| format!("cannot list `{}`", dir.display())),
    };
    for entry in entries {
        let entry = entry?;
        let path = entry.path();
        if entry.file_type()?.is_dir() {
            markdown_files(&path, out)?;
        } else if path.extension().is_some_and(|e| e == "md")
            && !path
                .file_name()
                .is_some_and(|n| n.eq_ignore_ascii_case("README.md"))
        {
            out.push(path);
        }
    }
    Ok(())
}
