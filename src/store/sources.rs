//! The repositories services are built from (`repos:` in `.incident.yaml`), read for what changed
//! around an incident. A folder is read where it is; a remote is kept as a bare copy inside the
//! incident repo's git directory (`incident/sources/`), fetched with the user's own git so their
//! credentials, proxies and SSH keys apply as they do everywhere else.

use super::Store;
use crate::model::source::{SourceEntry, SourceKind, Window, is_remote, ref_matches};
use anyhow::{Context as _, Result, anyhow, bail};
use chrono::{DateTime, TimeZone, Utc};
use git2::{Oid, Repository, Sort};
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// How long one fetch of a service's remote may take.
const FETCH_LIMIT: Duration = Duration::from_secs(60);

/// Commits are walked a day past the window's start: a committer's clock may run behind, and a
/// branch merged later can hold older commits.
const SKEW: chrono::Duration = chrono::Duration::hours(24);

/// A service's repository, opened: what was read and anything the reader should know (a fetch
/// that failed, so an older copy was read).
pub struct Source {
    pub repo: Repository,
    pub note: Option<String>,
}

impl Store {
    /// Opens the repository `spec` of a service: a folder as it is, a remote through its copy
    /// (fetched first unless `fetch` is false; a failed fetch falls back on the copy with a note).
    pub fn source(&self, spec: &str, deploys: Option<&str>, fetch: bool) -> Result<Source> {
        if !is_remote(spec) {
            let path = self.root.join(spec);
            let repo = Repository::open(&path).with_context(|| {
                format!(
                    "`{spec}` (a repo of a service in .incident.yaml) is not a git repository at `{}`",
                    path.display()
                )
            })?;
            return Ok(Source { repo, note: None });
        }
        let dir = self.source_copy(spec);
        let fresh = !dir.join("HEAD").exists();
        if fresh {
            std::fs::create_dir_all(&dir)
                .with_context(|| format!("cannot create `{}`", dir.display()))?;
            Repository::init_bare(&dir).with_context(|| {
                format!("cannot create a copy of `{spec}` in `{}`", dir.display())
            })?;
        }
        let mut note = None;
        if (fetch || fresh)
            && let Err(e) = fetch_source(&dir, spec, deploys)
        {
            if fresh {
                let _ = std::fs::remove_dir_all(&dir);
                return Err(e);
            }
            note = Some(format!("{e}; showing the copy fetched before"));
        }
        let repo = Repository::open_bare(&dir)
            .with_context(|| format!("cannot open the copy of `{spec}` in `{}`", dir.display()))?;
        Ok(Source { repo, note })
    }

    /// Where the copy of a remote lives: named after the remote, so two remotes never share one.
    fn source_copy(&self, spec: &str) -> PathBuf {
        let readable: String = spec
            .rsplit(['/', ':'])
            .find(|part| !part.is_empty())
            .unwrap_or("repo")
            .trim_end_matches(".git")
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
            .take(40)
            .collect();
        let hash = Oid::hash_object(git2::ObjectType::Blob, spec.as_bytes())
            .map(|oid| oid.to_string()[..12].to_string())
            .unwrap_or_default();
        self.repo
            .path()
            .join("incident")
            .join("sources")
            .join(format!("{readable}-{hash}.git"))
    }
}

/// Fetches a remote's branches, tags and deploy refs into its bare copy, pruning what is gone.
fn fetch_source(dir: &std::path::Path, url: &str, deploys: Option<&str>) -> Result<()> {
    let mut refspecs = vec![
        "+refs/heads/*:refs/heads/*".to_string(),
        "+refs/tags/*:refs/tags/*".to_string(),
    ];
    if let Some(pattern) = deploys
        && !pattern.starts_with("refs/heads/")
        && !pattern.starts_with("refs/tags/")
    {
        refspecs.push(format!("+{pattern}:{pattern}"));
    }
    let mut git = std::process::Command::new("git");
    git.arg("--git-dir")
        .arg(dir)
        .args([
            "fetch",
            "--quiet",
            "--prune",
            "--no-write-fetch-head",
            "--",
            url,
        ])
        .args(&refspecs)
        .env("GIT_TERMINAL_PROMPT", "0");
    let Some(out) = super::git::output_until(git, Instant::now() + FETCH_LIMIT)? else {
        bail!(
            "cannot fetch `{url}`: no answer within {} s; the network or the remote is slow or down",
            FETCH_LIMIT.as_secs()
        );
    };
    if !out.status.success() {
        let message = String::from_utf8_lossy(&out.stderr).trim().to_string();
        return Err(anyhow!("cannot fetch `{url}`: git says: {message}"));
    }
    Ok(())
}

/// The commits, merges and tags (or deploy refs) of `repo` that landed within `window`.
pub fn entries(
    repo: &Repository,
    window: &Window,
    deploys: Option<&str>,
) -> Result<Vec<SourceEntry>> {
    let mut found = Vec::new();
    let mut walk = repo.revwalk()?;
    walk.set_sorting(Sort::TIME)?;
    // Every branch, local and remote-tracking: a working clone's `origin/main` is often newer than
    // its `main`. An empty repository has none.
    for glob in ["refs/heads/*", "refs/remotes/*"] {
        walk.push_glob(glob)?;
    }
    let earliest = window.from - SKEW;
    for oid in walk {
        let commit = repo.find_commit(oid?)?;
        let at = time_of(commit.committer().when());
        if at < earliest {
            break;
        }
        if at < window.from || at > window.until {
            continue;
        }
        let kind = if commit.parent_count() > 1 {
            SourceKind::Merge
        } else {
            SourceKind::Commit
        };
        found.push(SourceEntry {
            kind,
            at,
            name: super::git::oid_short(commit.id()),
            commit: commit.id().to_string(),
            subject: commit
                .summary()
                .ok()
                .flatten()
                .unwrap_or_default()
                .to_string(),
            author: commit.author().name().unwrap_or_default().to_string(),
        });
    }
    found.extend(markers(repo, window, deploys)?);
    Ok(found)
}

/// Tags and deploy refs within the window: a tag's own time when it is annotated, else its
/// commit's.
fn markers(repo: &Repository, window: &Window, deploys: Option<&str>) -> Result<Vec<SourceEntry>> {
    let mut found = Vec::new();
    for reference in repo.references()? {
        let reference = reference?;
        let Ok(name) = reference.name() else {
            continue;
        };
        let is_tag = name.starts_with("refs/tags/");
        let kind = match deploys {
            Some(pattern) if ref_matches(pattern, name) => SourceKind::Deploy,
            Some(_) if is_tag => SourceKind::Tag,
            None if is_tag => SourceKind::Deploy,
            _ => continue,
        };
        let Ok(commit) = reference.peel_to_commit() else {
            continue;
        };
        // An annotated tag has its own time and words; a lightweight one is its commit's.
        let tag = reference.peel_to_tag().ok();
        let at = tag
            .as_ref()
            .and_then(|t| t.tagger().map(|who| time_of(who.when())))
            .unwrap_or_else(|| time_of(commit.committer().when()));
        if at < window.from || at > window.until {
            continue;
        }
        let short = reference.shorthand().unwrap_or(name).to_string();
        let subject = tag
            .as_ref()
            .and_then(|t| t.message().ok().flatten())
            .and_then(|m| m.lines().next())
            .filter(|m| !m.trim().is_empty())
            .map(str::to_string)
            .unwrap_or_else(|| {
                commit
                    .summary()
                    .ok()
                    .flatten()
                    .unwrap_or_default()
                    .to_string()
            });
        found.push(SourceEntry {
            kind,
            at,
            name: short,
            commit: commit.id().to_string(),
            subject,
            author: commit.author().name().unwrap_or_default().to_string(),
        });
    }
    Ok(found)
}

fn time_of(t: git2::Time) -> DateTime<Utc> {
    Utc.timestamp_opt(t.seconds(), 0)
        .single()
        .unwrap_or(DateTime::<Utc>::MIN_UTC)
}
