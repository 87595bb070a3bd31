//! `incident sync`: fetch, merge every incident record semantically, commit, push, retry.
//!
//! Network traffic runs the user's own `git` (their ssh config, agent and credential helpers work
//! exactly as for `git push`); the merge itself is git2 and [`crate::model::merge`]. Every incident
//! file changed on both sides is merged by the record's rules, even where a line-based merge would
//! have succeeded, so the result never depends on how the YAML happened to be laid out.

use super::{Author, Store, git, parse_incident, yaml};
use crate::model::merge::{MergeError, merge};
use crate::model::{Incident, Stamp, Visibility};
use anyhow::{Context, Result, anyhow, bail};
use chrono::{DateTime, Utc};
use git2::{Oid, Repository};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The attribute line that routes incident records through `incident merge-file`.
pub const GITATTRIBUTES_LINE: &str = "incidents/**/*.yaml merge=incident";

#[derive(Debug, Default, serde::Serialize)]
pub struct SyncReport {
    pub remote: String,
    pub branch: String,
    /// What the fetch found (pushed too unless `--no-push`: see `pushed`).
    pub outcome: SyncOutcome,
    pub merged_incidents: Vec<String>,
    /// Same-ID incidents from two clones: (kept ID, new ID of the renamed one).
    pub renamed: Vec<(String, String)>,
    pub attempts: u32,
    pub pushed: bool,
}

/// What a sync found on the remote, as `sync --json` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum SyncOutcome {
    /// Both sides hold the same commit.
    #[default]
    UpToDate,
    /// Only this clone had new commits.
    Ahead,
    /// Only the remote had new commits: moved forward to them.
    FastForward,
    /// Both had: merged, record by record.
    Merged,
    /// The branch did not exist on the remote yet.
    NewBranch,
}

pub struct SyncOptions<'a> {
    pub remote: &'a str,
    pub push: bool,
    /// The `incident` binary, registered as git's merge driver so plain `git pull` merges too.
    pub driver: &'a Path,
    /// Whether git may ask for credentials on the terminal, as `git push` would; off in scripts so
    /// a missing credential fails at once instead of hanging.
    pub prompt: bool,
    /// How long the whole sync may spend on the network; a `git fetch` or `git push` still running
    /// then is stopped and the sync fails, saying what was left (the local commits stay).
    pub timeout: std::time::Duration,
}

const MAX_ATTEMPTS: u32 = 8;

impl Store {
    /// Incident records (and the policy) with changes git has not committed, which a merge could
    /// overwrite.
    pub fn uncommitted_incident_files(&self) -> Result<Vec<String>> {
        let mut opts = git2::StatusOptions::new();
        opts.include_untracked(true).recurse_untracked_dirs(true);
        let prefix = self.prefix.to_string_lossy().replace('\\', "/");
        let under = |p: &str| {
            let rel = p
                .strip_prefix(&prefix)
                .map(|r| r.trim_start_matches('/'))
                .unwrap_or(p);
            rel.starts_with("incidents/") && rel.ends_with(".yaml") || rel == super::CONFIG_FILE
        };
        let mut files: Vec<String> = self
            .repo
            .statuses(Some(&mut opts))?
            .iter()
            .filter(|s| !s.status().is_ignored() && s.status() != git2::Status::CURRENT)
            .filter_map(|s| s.path().ok().map(str::to_string))
            .filter(|p| under(p))
            .collect();
        files.sort();
        Ok(files)
    }

    /// Points the repo's git config at `driver` for `merge=incident`; returns whether
    /// `.gitattributes` routes incident records to it.
    pub fn register_merge_driver(&self, driver: &Path) -> Result<bool> {
        let mut config = self.repo.config()?.open_level(git2::ConfigLevel::Local)?;
        let command = format!("'{}' merge-file %O %A %B %P", driver.display());
        if config.get_string("merge.incident.driver").ok().as_deref() != Some(command.as_str()) {
            config.set_str(
                "merge.incident.name",
                "incident records: keep every event from both sides",
            )?;
            config.set_str("merge.incident.driver", &command)?;
        }
        let attributes = self.root.join(".gitattributes");
        Ok(std::fs::read_to_string(attributes)
            .is_ok_and(|t| t.lines().any(|l| l.trim() == GITATTRIBUTES_LINE)))
    }

    pub fn sync(
        &self,
        opts: &SyncOptions,
        author: &Author,
        now: DateTime<Utc>,
    ) -> Result<SyncReport> {
        // Checked up front (under the lock, briefly) so a doomed sync fails before any network
        // traffic; checked again under the lock before integrating.
        let branch = {
            let _lock = self.lock()?;
            self.check_syncable()?
        };
        self.repo.find_remote(opts.remote).map_err(|_| {
            anyhow!(
                "no remote named `{}`: add one with `git remote add {} URL`, or pass `--remote NAME`",
                opts.remote,
                opts.remote
            )
        })?;
        let mut report = SyncReport {
            remote: opts.remote.into(),
            branch: branch.clone(),
            ..Default::default()
        };
        self.register_merge_driver(opts.driver)?;
        let deadline = std::time::Instant::now() + opts.timeout;
        let git = |args: &[&str], what: &str| self.git_cli(args, what, opts.prompt, deadline);
        for attempt in 1..=MAX_ATTEMPTS {
            report.attempts = attempt;
            git(&["fetch", "--quiet", opts.remote], "fetch from")?;
            let remote_ref = format!("refs/remotes/{}/{branch}", opts.remote);
            let upstream_exists = self.repo.find_reference(&remote_ref).is_ok();
            if upstream_exists {
                // The lock is held only here, never across fetch or push: a responder's `incident
                // log` waits for a merge, not for the network.
                let lock = self.lock()?;
                if self.check_syncable()? != branch {
                    bail!("the branch changed while syncing; run `incident sync` again");
                }
                let outcome = self.integrate(
                    &lock,
                    &remote_ref,
                    opts.remote,
                    &branch,
                    author,
                    now,
                    &mut report,
                )?;
                report.outcome = outcome;
            } else {
                report.outcome = SyncOutcome::NewBranch;
            }
            if !opts.push {
                return Ok(report);
            }
            let local = self.repo.refname_to_id(&format!("refs/heads/{branch}"))?;
            if upstream_exists && self.repo.refname_to_id(&remote_ref)? == local {
                return Ok(report);
            }
            let refspec = format!("HEAD:refs/heads/{branch}");
            let mut args = vec!["push", "--quiet", "--porcelain"];
            if !upstream_exists {
                args.push("--set-upstream");
            }
            args.extend([opts.remote, refspec.as_str()]);
            match git(&args, "push to") {
                Ok(()) => {
                    report.pushed = true;
                    let _ = self.git_cli(&["gc", "--auto", "--quiet"], "tidy", false, deadline);
                    return Ok(report);
                }
                Err(e) if is_rejection(&e) && attempt < MAX_ATTEMPTS => {
                    // Someone pushed in between: back off a little (more each time, with jitter
                    // so racing clones do not retry in lockstep), then fetch and merge again.
                    let jitter = u64::from(
                        std::time::SystemTime::now()
                            .duration_since(std::time::UNIX_EPOCH)
                            .map_or(0, |d| d.subsec_nanos())
                            % 100,
                    );
                    std::thread::sleep(std::time::Duration::from_millis(
                        50 * u64::from(attempt) + jitter,
                    ));
                    continue;
                }
                Err(e) => return Err(e),
            }
        }
        bail!(
            "the push was rejected {MAX_ATTEMPTS} times because others kept pushing; run `incident sync` again"
        )
    }

    /// The branch to sync, if the work tree is in a state a merge may touch.
    fn check_syncable(&self) -> Result<String> {
        let dirty = self.uncommitted_incident_files()?;
        if !dirty.is_empty() {
            bail!(
                "uncommitted changes to incident files: {}; commit them (or `git stash`) before syncing",
                dirty.join(", ")
            );
        }
        super::ensure_no_operation_in_progress(self)?;
        let branch = self.current_branch()?;
        if self.repo.refname_to_id(&branch).is_err() {
            bail!("the incident repo has no commits yet");
        }
        Ok(branch
            .strip_prefix("refs/heads/")
            .unwrap_or(&branch)
            .to_string())
    }

    /// Brings the remote branch into the local one: fast-forward, or a merge commit.
    #[allow(clippy::too_many_arguments)]
    fn integrate(
        &self,
        lock: &super::RepoLock,
        remote_ref: &str,
        remote: &str,
        branch: &str,
        author: &Author,
        now: DateTime<Utc>,
        report: &mut SyncReport,
    ) -> Result<SyncOutcome> {
        let repo = &self.repo;
        let ours = repo.head()?.peel_to_commit()?;
        let theirs = repo.find_reference(remote_ref)?.peel_to_commit()?;
        if ours.id() == theirs.id() {
            return Ok(SyncOutcome::UpToDate);
        }
        let base = repo.merge_base(ours.id(), theirs.id()).with_context(|| {
            format!("the local branch and `{remote}/{branch}` share no history; merge them once with git")
        })?;
        if base == theirs.id() {
            return Ok(SyncOutcome::Ahead);
        }
        let branch_ref = format!("refs/heads/{branch}");
        if base == ours.id() {
            self.move_to_commit(
                lock,
                &branch_ref,
                ours.id(),
                theirs.id(),
                "incident sync: fast-forward",
            )?;
            return Ok(SyncOutcome::FastForward);
        }
        let base_tree = repo.find_commit(base)?.tree()?;
        let (our_tree, their_tree) = (ours.tree()?, theirs.tree()?);
        let mut index = repo.merge_trees(&base_tree, &our_tree, &their_tree, None)?;
        let changed_ours = changed_records(repo, &base_tree, &our_tree, &self.prefix)?;
        let changed_theirs = changed_records(repo, &base_tree, &their_tree, &self.prefix)?;
        let mut taken_ids: BTreeSet<String> = BTreeSet::new();
        for tree in [&our_tree, &their_tree] {
            taken_ids.extend(record_ids(repo, tree, &self.prefix)?);
        }
        for path in changed_ours.intersection(&changed_theirs) {
            let read = |tree: &git2::Tree| -> Result<Option<String>> {
                match tree.get_path(path) {
                    Ok(entry) => Ok(Some(
                        String::from_utf8_lossy(repo.find_blob(entry.id())?.content()).into_owned(),
                    )),
                    Err(_) => Ok(None),
                }
            };
            let (b, o, t) = (read(&base_tree)?, read(&our_tree)?, read(&their_tree)?);
            let merged = match (o, t) {
                (Some(o), Some(t)) => {
                    self.merge_texts(path, b.as_deref(), &o, &t, &mut taken_ids, now, report)?
                }
                // Changed on one side, deleted on the other: keep the record, nothing is lost.
                (Some(kept), None) | (None, Some(kept)) => vec![(path.clone(), kept)],
                (None, None) => continue,
            };
            let _ = index.conflict_remove(path);
            for (p, text) in merged {
                let mut entry = index_entry(&p, text.len());
                entry.id = repo.blob(text.as_bytes())?;
                index.add(&entry)?;
            }
            report.merged_incidents.push(record_id(path));
        }
        if index.has_conflicts() {
            let mut paths = Vec::new();
            for c in index.conflicts()? {
                let c = c?;
                if let Some(e) = c.our.or(c.their).or(c.ancestor) {
                    paths.push(String::from_utf8_lossy(&e.path).into_owned());
                }
            }
            bail!(
                "conflicts outside the incident records: {}; merge with `git pull`, then run `incident sync` again",
                paths.join(", ")
            );
        }
        let tree = repo.find_tree(index.write_tree_to(repo)?)?;
        let mut message = format!("Merge {remote}/{branch} (incident sync)\n\n");
        for id in &report.merged_incidents {
            message.push_str(&format!("Merged-Incident: {id}\n"));
        }
        message.push_str("Event: sync\n");
        let oid = git::write_commit(
            repo,
            &self.with_email(author),
            now,
            &message,
            &tree,
            &[&ours, &theirs],
            self.process.home.as_deref(),
        )?;
        self.move_to_commit(
            lock,
            &branch_ref,
            ours.id(),
            oid,
            &format!("incident sync: merge {remote}/{branch}"),
        )?;
        Ok(SyncOutcome::Merged)
    }

    /// Merges one record's three versions; two different incidents under one ID are both kept, the
    /// one declared later under a new ID.
    #[allow(clippy::too_many_arguments)]
    fn merge_texts(
        &self,
        path: &Path,
        base: Option<&str>,
        ours: &str,
        theirs: &str,
        taken: &mut BTreeSet<String>,
        now: DateTime<Utc>,
        report: &mut SyncReport,
    ) -> Result<Vec<(PathBuf, String)>> {
        let parse = |text: &str, side: &str| -> Result<Incident> {
            parse_incident(text, path).map_err(|e| {
                anyhow!(
                    "cannot merge `{}`: {side} version does not parse: {e}; resolve it by hand",
                    path.display()
                )
            })
        };
        let b = base
            .filter(|t| !t.trim().is_empty())
            .map(|t| parse(t, "the common"))
            .transpose()?;
        let (o, t) = (parse(ours, "our")?, parse(theirs, "their")?);
        match merge(b.as_ref(), &o, &t) {
            Ok(merged) => Ok(vec![(
                path.to_path_buf(),
                yaml::to_string_like(&merged, ours)?,
            )]),
            Err(MergeError::DifferentIncidents(id)) => {
                let declared = |i: &Incident| i.timeline.first().map(|e| (e.at, e.id.clone()));
                let (mut later, earlier, earlier_text) = if declared(&o) > declared(&t) {
                    (o, t, theirs)
                } else {
                    (t, o, ours)
                };
                let new_id = (2..)
                    .map(|n| format!("{id}-{n}"))
                    .find(|c| !taken.contains(c))
                    .expect("some suffix is free");
                taken.insert(new_id.clone());
                later.id = new_id.clone();
                let stamp = Stamp {
                    at: now,
                    by: "incident sync".into(),
                };
                later.push_event(
                    &stamp,
                    crate::model::EventKind::Rename,
                    format!("renamed from {id}: another clone declared a different incident under that ID"),
                    Visibility::Internal,
                );
                report.renamed.push((earlier.id.clone(), new_id.clone()));
                let new_path = path.with_file_name(format!("{new_id}.yaml"));
                Ok(vec![
                    (path.to_path_buf(), earlier_text.to_string()),
                    (new_path, yaml::to_string(&later)?),
                ])
            }
            Err(e) => Err(anyhow!("cannot merge `{}`: {e}", path.display())),
        }
    }

    /// Which of `ids` the remote's copy of this branch says were acknowledged or resolved: what
    /// another clone pushed and this one has not merged. Best effort: fetched with the user's git
    /// within 20 seconds; unreachable, it answers none.
    pub fn acknowledged_on_remote(
        &self,
        remote: &str,
        ids: &[String],
    ) -> std::collections::HashSet<String> {
        let mut out = std::collections::HashSet::new();
        let Some(branch) = self
            .repo
            .head()
            .ok()
            .and_then(|h| h.shorthand().ok().map(str::to_string))
        else {
            return out;
        };
        let seen = "refs/incident/remote-head";
        let spec = format!("+refs/heads/{branch}:{seen}");
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        if self
            .git_cli(
                &["fetch", "--quiet", "--no-tags", remote, &spec],
                "fetch from",
                false,
                deadline,
            )
            .is_err()
        {
            return out;
        }
        let Ok(tree) = self
            .repo
            .find_reference(seen)
            .and_then(|r| r.peel_to_tree())
        else {
            return out;
        };
        for id in ids {
            let Ok(entry) = tree.get_path(&self.git_path_of(id)) else {
                continue;
            };
            let Ok(blob) = self.repo.find_blob(entry.id()) else {
                continue;
            };
            let text = String::from_utf8_lossy(blob.content());
            if let Ok(i) = yaml::parse::<crate::model::Incident>(&text, Path::new(id))
                && (i.times.acknowledged_at.is_some() || !i.status.is_active())
            {
                out.insert(id.clone());
            }
        }
        out
    }

    /// Runs the user's own git in the work tree; its message is passed on when it fails.
    /// Stopped at `deadline` (with every process it started: ssh, credential helpers).
    fn git_cli(
        &self,
        args: &[&str],
        what: &str,
        prompt: bool,
        deadline: std::time::Instant,
    ) -> Result<()> {
        let mut git = Command::new("git");
        git.arg("-C").arg(self.workdir_path()?).args(args);
        if !prompt {
            git.env("GIT_TERMINAL_PROMPT", "0");
        }
        let remote = args
            .iter()
            .rev()
            .find(|a| !a.starts_with('-') && !a.contains(':'))
            .copied()
            .unwrap_or("");
        let Some(out) = super::git::output_until(git, deadline)? else {
            bail!(GitFailed(format!(
                "cannot {what} `{remote}`: no answer within the time limit; the network or the remote is slow or down. Local commits are kept: run `incident sync` again later (`--timeout` allows longer)"
            )));
        };
        if out.status.success() {
            return Ok(());
        }
        // `push --porcelain` reports a rejection on stdout and only a summary on stderr.
        let message = [out.stderr.as_slice(), out.stdout.as_slice()]
            .iter()
            .map(|b| String::from_utf8_lossy(b).trim().to_string())
            .filter(|m| !m.is_empty())
            .collect::<Vec<_>>()
            .join("\n");
        // A git killed mid-update leaves its ref lock; git names the file but not the command.
        let stale_lock = message
            .split("Unable to create '")
            .nth(1)
            .and_then(|rest| rest.split('\'').next())
            .filter(|p| p.ends_with(".lock"))
            .map(|p| {
                format!(
                    "; if no other git command is running in this repo, remove the lock: `rm '{p}'`"
                )
            })
            .unwrap_or_default();
        Err(anyhow!(GitFailed(format!(
            "cannot {what} `{remote}`: git says: {message}{stale_lock}"
        ))))
    }
}

/// A failed `git fetch` or `git push`, with git's own words.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct GitFailed(pub String);

fn is_rejection(e: &anyhow::Error) -> bool {
    e.downcast_ref::<GitFailed>().is_some_and(|g| {
        let m = &g.0;
        m.contains("rejected") || m.contains("non-fast-forward") || m.contains("fetch first")
    })
}

fn index_entry(path: &Path, size: usize) -> git2::IndexEntry {
    git2::IndexEntry {
        ctime: git2::IndexTime::new(0, 0),
        mtime: git2::IndexTime::new(0, 0),
        dev: 0,
        ino: 0,
        mode: 0o100644,
        uid: 0,
        gid: 0,
        file_size: u32::try_from(size).unwrap_or(u32::MAX),
        id: Oid::ZERO_SHA1,
        flags: 0,
        flags_extended: 0,
        path: path.to_string_lossy().replace('\\', "/").into_bytes(),
    }
}

fn is_record(path: &Path, prefix: &Path) -> bool {
    let rel = path.strip_prefix(prefix).unwrap_or(path);
    rel.starts_with(super::INCIDENTS_DIR) && rel.extension().is_some_and(|e| e == "yaml")
}

fn record_id(path: &Path) -> String {
    path.file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// Incident records that differ between two trees.
fn changed_records(
    repo: &Repository,
    from: &git2::Tree,
    to: &git2::Tree,
    prefix: &Path,
) -> Result<BTreeSet<PathBuf>> {
    Ok(super::git::changed_paths(repo, from, to, None)?
        .into_iter()
        .filter(|p| is_record(p, prefix))
        .collect())
}

fn record_ids(repo: &Repository, tree: &git2::Tree, prefix: &Path) -> Result<BTreeSet<String>> {
    let mut ids = BTreeSet::new();
    let dir = prefix.join(super::INCIDENTS_DIR);
    let Ok(entry) = tree.get_path(&dir) else {
        return Ok(ids);
    };
    let incidents = repo.find_tree(entry.id())?;
    for year in incidents.iter() {
        if let Ok(sub) = repo.find_tree(year.id()) {
            for f in sub.iter() {
                if let Some(name) = f.name().ok().and_then(|n| n.strip_suffix(".yaml")) {
                    ids.insert(name.to_string());
                }
            }
        }
    }
    Ok(ids)
}

/// `incident merge-file BASE OURS THEIRS`: git's merge-driver protocol. Writes the merge over
/// `ours`; an error means git keeps its normal conflict for a person to resolve.
pub fn merge_files(base: &Path, ours: &Path, theirs: &Path, shown_as: &Path) -> Result<()> {
    let read = |p: &Path| {
        std::fs::read_to_string(p).with_context(|| format!("cannot read `{}`", p.display()))
    };
    let (b, o, t) = (read(base)?, read(ours)?, read(theirs)?);
    let parse = |text: &str, side: &str| -> Result<Incident> {
        parse_incident(text, shown_as).map_err(|e| {
            anyhow!("{side} version does not parse ({e}); leaving the conflict to you")
        })
    };
    let base = (!b.trim().is_empty())
        .then(|| parse(&b, "the common"))
        .transpose()?;
    let (oi, ti) = (parse(&o, "our")?, parse(&t, "their")?);
    let merged = merge(base.as_ref(), &oi, &ti).map_err(|e| match e {
        MergeError::DifferentIncidents(id) => anyhow!(
            "both sides declared a different incident as `{id}`; run `git merge --abort` and `incident sync`, which keeps both"
        ),
        other => anyhow!(other),
    })?;
    super::write_atomically(ours, yaml::to_string_like(&merged, &o)?.as_bytes())
}
