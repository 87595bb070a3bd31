//! A change as a transaction: it lands whole (work tree, index and branch moved to one new commit) or
//! not at all, and a process killed at any instant leaves something the next command can finish or
//! undo without guessing.
//!
//! The order of one change, every step of which is undone when a later one fails:
//! 1. under the repo lock, finish or undo what a killed predecessor left ([`Store::recover`]);
//! 2. refuse what would bury the change or absorb someone else's: a detached HEAD, a merge or rebase
//!    in progress, a git lock held, a file with edits `incident` did not make;
//! 3. write the journal (`.git/incident-transaction.json`): the branch, its commit before, each file's
//!    blob before and after;
//! 4. write the files atomically, run the `pre-commit` and `commit-msg` hooks against a temporary index
//!    holding the new tree (as `git commit --only` does), sign if `commit.gpgsign` asks;
//! 5. move the branch with a compare-and-swap on its old value, then refresh the index entries;
//! 6. delete the journal.
//!
//! The journal makes recovery exact: if the branch still points at the journal's "before", nothing
//! landed and the files go back; if it points at a commit whose parent is "before" and whose tree holds
//! the journal's "after" blobs, the change landed and only the index needs refreshing.

use super::{RepoLock, Store, git};
use anyhow::{Context, Result, anyhow, bail};
use chrono::{DateTime, Utc};
use git2::{ErrorCode, Oid};
use serde::{Deserialize, Serialize};
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Where the journal of the change in flight lives, inside the git folder so `git status` never shows
/// it and no commit can take it along.
const JOURNAL: &str = "incident-transaction.json";
/// Temporary files are made here and renamed into place, so one left by a killed process is never in
/// the work tree.
const TEMP_DIR: &str = "incident-tmp";
/// How long to wait for a git lock another git command holds before calling it stale.
const GIT_LOCK_PATIENCE: Duration = Duration::from_secs(2);

/// One file a change writes, relative to the git work tree.
pub struct StagedFile {
    pub path: PathBuf,
    pub content: Vec<u8>,
}

#[derive(Debug, Serialize, Deserialize)]
struct Journal {
    pid: u32,
    branch: String,
    /// The branch's commit before the change; `None` on a branch with no commits yet.
    before: Option<String>,
    /// The commit the branch moves to, when it exists before any file is written (`sync`'s
    /// fast-forward or merge); a change's own commit is recognised by its parent and blobs instead.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    target: Option<String>,
    files: Vec<JournalFile>,
}

#[derive(Debug, Serialize, Deserialize)]
struct JournalFile {
    path: PathBuf,
    /// The blob HEAD held; `None` for a file the change creates.
    old: Option<String>,
    /// The blob the change writes; git's null ID (all zeros) for a file it deletes.
    new: String,
}

impl JournalFile {
    /// The blob the file holds once the change landed, `None` when the change deletes it.
    fn new_blob(&self) -> Result<Option<Oid>> {
        let oid = Oid::from_str(&self.new)?;
        Ok((!oid.is_zero()).then_some(oid))
    }
}

/// Something the store did or waits for that a person should hear about; the command layer prints it.
#[derive(Debug, Clone)]
pub enum Notice {
    /// Another process holds the repo lock; who, as it wrote into the lock file.
    WaitingForLock(String),
    /// A change interrupted by a killed process was finished or undone.
    Recovered(String),
    /// A change interrupted by a killed process could not be finished yet (why, and what to run).
    Unfinished(String),
}

impl Store {
    fn journal_path(&self) -> PathBuf {
        self.repo.path().join(JOURNAL)
    }

    /// Whether a killed process left a change half done (a cheap check readers make).
    pub(super) fn has_journal(&self) -> bool {
        self.journal_path().exists()
    }

    /// The branch HEAD names (`refs/heads/main`); refuses a detached HEAD, where a commit would be
    /// reachable from nothing anyone looks at.
    pub(super) fn current_branch(&self) -> Result<String> {
        let head = self
            .repo
            .find_reference("HEAD")
            .context("cannot read HEAD of the incident repo")?;
        match head.symbolic_target() {
            Ok(Some(target)) => Ok(target.to_string()),
            _ => bail!(
                "HEAD is detached, so a commit would belong to no branch; check out a branch first (`git switch main`)"
            ),
        }
    }

    /// The commit `branch` points at, `None` when it has none yet.
    fn branch_tip(&self, branch: &str) -> Result<Option<Oid>> {
        match self.repo.refname_to_id(branch) {
            Ok(oid) => Ok(Some(oid)),
            Err(e) if e.code() == ErrorCode::NotFound => Ok(None),
            Err(e) => Err(e).with_context(|| format!("cannot read the branch `{branch}`")),
        }
    }

    /// Makes one commit holding `files` on the current branch, or changes nothing. The caller holds
    /// the repo lock (the `_lock` argument proves it) and has checked what the change means.
    pub(super) fn commit_change(
        &self,
        _lock: &RepoLock,
        files: &[StagedFile],
        message: &str,
        author: &git::Author,
        now: DateTime<Utc>,
    ) -> Result<Oid> {
        for file in files {
            self.check_writable_path(&file.path)?;
        }
        super::ensure_no_operation_in_progress(self)?;
        let branch = self.current_branch()?;
        let before = self.branch_tip(&branch)?;
        let base_tree = match before {
            Some(oid) => Some(self.repo.find_commit(oid)?.tree()?),
            None => None,
        };
        let mut entries = Vec::with_capacity(files.len());
        for file in files {
            let old = match &base_tree {
                Some(tree) => tree.get_path(&file.path).ok().map(|e| e.id()),
                None => None,
            };
            self.check_untouched(&file.path, old)?;
            let new = self
                .repo
                .blob(&file.content)
                .context("could not write the file into git")?;
            entries.push((old, new));
        }
        if entries.iter().all(|(old, new)| *old == Some(*new)) {
            bail!(NothingChanged);
        }
        self.wait_for_git_locks(&branch)?;

        let journal = Journal {
            pid: std::process::id(),
            branch: branch.clone(),
            before: before.map(|o| o.to_string()),
            target: None,
            files: files
                .iter()
                .zip(&entries)
                .map(|(f, (old, new))| JournalFile {
                    path: f.path.clone(),
                    old: old.map(|o| o.to_string()),
                    new: new.to_string(),
                })
                .collect(),
        };
        self.write_journal(&journal)?;
        let landed = self.land(&journal, files, base_tree.as_ref(), message, author, now);
        match landed {
            Ok(oid) => {
                self.remove_journal()?;
                // As with git, post-commit cannot undo the commit (it is told, not asked), and
                // `--no-verify` does not skip it.
                let workdir = self.workdir_path()?;
                super::hooks::run_post_commit(&self.repo, &workdir, author);
                super::housekeeping::after_commit(&self.repo, &workdir);
                Ok(oid)
            }
            Err(e) => {
                if self.branch_tip(&branch)? != before {
                    // The commit landed and could not be taken back: the journal stays, and the next
                    // command finishes the change (refreshes the index) under the lock.
                    return Err(e.context(
                        "the change was committed but not finished; the next incident command completes it",
                    ));
                }
                match self.roll_back(&journal) {
                    Ok(()) => {
                        self.remove_journal()?;
                        Err(e.context("nothing was changed"))
                    }
                    Err(undo) => Err(e.context(format!(
                        "and undoing the half-written change failed too ({undo:#})"
                    ))),
                }
            }
        }
    }

    /// Steps 4 and 5: files, hooks, commit object, branch, index.
    fn land(
        &self,
        journal: &Journal,
        files: &[StagedFile],
        base_tree: Option<&git2::Tree>,
        message: &str,
        author: &git::Author,
        now: DateTime<Utc>,
    ) -> Result<Oid> {
        let workdir = self.workdir_path()?;
        for file in files {
            self.write_file(&workdir.join(&file.path), &file.content)?;
        }
        let mut update = git2::build::TreeUpdateBuilder::new();
        for (file, jf) in files.iter().zip(&journal.files) {
            update.upsert(&file.path, Oid::from_str(&jf.new)?, git2::FileMode::Blob);
        }
        // One file already in the tree (the common change): patch the trees on its way.
        let patched = match (base_tree, files, journal.files.as_slice()) {
            (Some(tree), [file], [jf]) => {
                let path = git_path(&file.path);
                let parts: Vec<&[u8]> = path.split('/').map(str::as_bytes).collect();
                git::tree_with_blob(&self.repo, tree.id(), &parts, Oid::from_str(&jf.new)?)?
            }
            _ => None,
        };
        let tree_id = match (patched, base_tree) {
            (Some(id), _) => id,
            (None, Some(tree)) => update.create_updated(&self.repo, tree)?,
            (None, None) => {
                let empty = self.repo.treebuilder(None)?.write()?;
                update.create_updated(&self.repo, &self.repo.find_tree(empty)?)?
            }
        };
        let tree = self.repo.find_tree(tree_id)?;
        let message = if self.run_hooks {
            super::hooks::run_commit_hooks(&self.repo, &workdir, &tree, message, author)?
        } else {
            message.to_string()
        };
        let parents: Vec<git2::Commit> = match &journal.before {
            Some(oid) => vec![self.repo.find_commit(Oid::from_str(oid)?)?],
            None => Vec::new(),
        };
        let parent_refs: Vec<&git2::Commit> = parents.iter().collect();
        let home = self.process.home.as_deref();
        let commit =
            git::write_commit(&self.repo, author, now, &message, &tree, &parent_refs, home)?;
        let subject = message.lines().next().unwrap_or("");
        self.move_branch(journal, commit, subject)?;
        if let Err(e) = self.refresh_index(files.iter().map(|f| f.path.as_path())) {
            // The branch moved but the index did not follow: put the branch back, so a later
            // `git commit` cannot quietly revert this change from a stale index.
            self.restore_branch(journal, commit)
                .context("the commit landed but the git index could not be updated")?;
            return Err(e);
        }
        Ok(commit)
    }

    fn move_branch(&self, journal: &Journal, commit: Oid, subject: &str) -> Result<()> {
        let log = format!("commit: {subject}");
        let moved = match &journal.before {
            Some(before) => self.repo.reference_matching(
                &journal.branch,
                commit,
                true,
                Oid::from_str(before)?,
                &log,
            ),
            None => self.repo.reference(&journal.branch, commit, false, &log),
        };
        moved.map(|_| ()).map_err(|e| match e.code() {
            ErrorCode::Locked => anyhow!(
                "the branch `{}` is locked by another git command ({}); if none is running, remove the lock: `rm '{}'`",
                journal.branch,
                e.message(),
                self.repo.path().join(format!("{}.lock", journal.branch)).display()
            ),
            ErrorCode::Modified | ErrorCode::Exists => anyhow!(
                "the branch `{}` moved while this change was being made; run the command again",
                journal.branch
            ),
            _ => anyhow!(e).context(format!("cannot move the branch `{}`", journal.branch)),
        })
    }

    fn restore_branch(&self, journal: &Journal, commit: Oid) -> Result<()> {
        match &journal.before {
            Some(before) => {
                self.repo.reference_matching(
                    &journal.branch,
                    Oid::from_str(before)?,
                    true,
                    commit,
                    "incident: undo a change whose index update failed",
                )?;
            }
            None => self.repo.find_reference(&journal.branch)?.delete()?,
        }
        Ok(())
    }

    /// Points the index entries of `paths` at what the work tree now holds (and HEAD too).
    fn refresh_index<'p>(&self, paths: impl Iterator<Item = &'p Path>) -> Result<()> {
        let paths: Vec<&Path> = paths.collect();
        // The common case, a tracked file's new content, patched in place (see `index_file`);
        // libgit2 for anything else.
        let workdir = self.workdir_path()?;
        let index_path = self.repo.path().join("index");
        let mut rest = Vec::new();
        for path in paths {
            let file = workdir.join(path);
            let patched = match fs::read(&file) {
                Ok(content) => {
                    let meta = fs::metadata(&file)?;
                    super::index_file::patch(
                        &index_path,
                        git_path(path).as_bytes(),
                        blob_id(&content),
                        &entry_stat(&meta),
                    )?
                }
                Err(_) => super::index_file::Patched::Unsupported,
            };
            if patched == super::index_file::Patched::Unsupported {
                rest.push(path);
            }
        }
        if rest.is_empty() {
            return Ok(());
        }
        self.refresh_index_with_libgit2(rest.into_iter())
    }

    /// The index through libgit2, which reads neither a split nor a sparse index: say so, and how
    /// to turn them off, rather than pass on its message.
    fn open_index(&self) -> Result<git2::Index> {
        self.repo.index().map_err(|e| {
            let message = e.message();
            if message.contains("'link'") {
                anyhow!(
                    "the git index is split (core.splitIndex), which incident cannot update; turn it off with `git update-index --no-split-index` and `git config core.splitIndex false`"
                )
            } else if message.contains("'sdir'") {
                anyhow!(
                    "the git index is sparse (index.sparse), which incident cannot update; turn it off with `git sparse-checkout disable` or `git config index.sparse false`"
                )
            } else {
                anyhow!(e).context("cannot read the git index")
            }
        })
    }

    fn refresh_index_with_libgit2<'p>(&self, paths: impl Iterator<Item = &'p Path>) -> Result<()> {
        let mut index = self.open_index()?;
        index.read(true)?;
        let workdir = self.workdir_path()?;
        for path in paths {
            let file = workdir.join(path);
            match fs::read(&file) {
                // The entry git itself would write: the blob and the file's stat, so `git status`
                // sees the file clean without re-reading it. Hashed once, with the fast SHA-1.
                Ok(content) => {
                    let meta = fs::metadata(&file)?;
                    index
                        .add(&index_entry(path, blob_id(&content), &meta))
                        .with_context(|| format!("could not stage `{}`", path.display()))?;
                }
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                    index.remove_path(path)?;
                }
                Err(e) => {
                    return Err(e).with_context(|| format!("cannot read `{}`", file.display()));
                }
            }
        }
        index.write().map_err(|e| {
            if e.code() == ErrorCode::Locked {
                anyhow!(
                    "the git index is locked by another git command; if none is running, remove the lock: `rm '{}'`",
                    self.repo.path().join("index.lock").display()
                )
            } else {
                anyhow!(e).context("could not write the git index")
            }
        })
    }

    /// Puts every file of the journal back to its "before" content, if it still holds what the
    /// change wrote (or already the old content).
    fn roll_back(&self, journal: &Journal) -> Result<()> {
        let workdir = self.workdir_path()?;
        for file in &journal.files {
            let path = workdir.join(&file.path);
            let now = blob_of_file(&path)?;
            let old = file.old.as_deref().map(Oid::from_str).transpose()?;
            let new = file.new_blob()?;
            if now == old {
                continue;
            }
            if now != new {
                bail!(
                    "`{}` was changed by someone else since the interrupted change; keep it with `git commit {}` or drop it with `git checkout HEAD -- {}`, then delete `{}`",
                    file.path.display(),
                    file.path.display(),
                    file.path.display(),
                    self.journal_path().display()
                );
            }
            match old {
                Some(old) => {
                    let blob = self.repo.find_blob(old)?;
                    self.write_file(&path, blob.content())?;
                }
                None => fs::remove_file(&path)
                    .with_context(|| format!("cannot remove `{}`", path.display()))?,
            }
        }
        Ok(())
    }

    /// Finishes or undoes what a killed `incident` left behind; `None` when there was nothing. The
    /// caller holds the repo lock. Also clears temporary files nobody is writing any more.
    pub(super) fn recover(&self, _lock: &RepoLock) -> Result<Option<String>> {
        let _ = fs::remove_dir_all(self.repo.path().join(TEMP_DIR));
        let path = self.journal_path();
        let text = match fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e).with_context(|| format!("cannot read `{}`", path.display())),
        };
        let journal: Journal = match serde_json::from_str(&text) {
            Ok(journal) => journal,
            Err(_) => {
                // Written atomically, so a torn journal was never complete: nothing was touched yet.
                self.remove_journal()?;
                return Ok(None);
            }
        };
        let names = journal
            .files
            .iter()
            .map(|f| format!("`{}`", f.path.display()))
            .collect::<Vec<_>>()
            .join(", ");
        let tip = self.branch_tip(&journal.branch)?;
        let before = journal.before.as_deref().map(Oid::from_str).transpose()?;
        if tip == before {
            self.roll_back(&journal)?;
            self.refresh_index(journal.files.iter().map(|f| f.path.as_path()))?;
            self.remove_journal()?;
            return Ok(Some(format!(
                "undid a change to {names} that a killed process had not committed"
            )));
        }
        let reached_target = tip.is_some_and(|t| journal.target == Some(t.to_string()));
        if let Some(tip) = tip
            && (reached_target || self.is_journal_commit(&journal, tip)?)
        {
            let workdir = self.workdir_path()?;
            for file in &journal.files {
                let path = workdir.join(&file.path);
                let new = file.new_blob()?;
                if blob_of_file(&path)? == new {
                    continue;
                }
                match new {
                    Some(new) => self.write_file(&path, self.repo.find_blob(new)?.content())?,
                    None => fs::remove_file(&path)
                        .with_context(|| format!("cannot remove `{}`", path.display()))?,
                }
            }
            self.refresh_index(journal.files.iter().map(|f| f.path.as_path()))?;
            self.remove_journal()?;
            let commit = self.repo.find_commit(tip)?;
            return Ok(Some(format!(
                "finished a change a killed process had committed: {} [{}]",
                commit.summary().ok().flatten().unwrap_or(""),
                git::oid_short(tip)
            )));
        }
        // The branch moved on by other means since: only clear the journal if nothing of it is left.
        let head_tree = match tip {
            Some(tip) => Some(self.repo.find_commit(tip)?.tree()?),
            None => None,
        };
        let workdir = self.workdir_path()?;
        for file in &journal.files {
            let in_head = head_tree
                .as_ref()
                .and_then(|t| t.get_path(&file.path).ok())
                .map(|e| e.id());
            if blob_of_file(&workdir.join(&file.path))? != in_head {
                bail!(
                    "a change by a killed `incident` process left {names} differing from HEAD, and the branch has moved since; inspect with `git diff`, keep what you want (`git commit` or `git checkout HEAD -- FILE`), then delete `{}`",
                    path.display()
                );
            }
        }
        self.remove_journal()?;
        Ok(None)
    }

    /// Moves `branch` (`refs/heads/...`) from `before` to `target`, a commit that already exists
    /// (`sync`'s fast-forward or merge), with the work tree and index following, as one
    /// transaction: the journal lists every file that differs, so a process killed at any instant
    /// leaves a clone the next command finishes (the branch moved) or undoes (it did not).
    pub(super) fn move_to_commit(
        &self,
        _lock: &RepoLock,
        branch: &str,
        before: Oid,
        target: Oid,
        log: &str,
    ) -> Result<()> {
        self.wait_for_git_locks(branch)?;
        let old_tree = self.repo.find_commit(before)?.tree()?;
        let new_tree = self.repo.find_commit(target)?.tree()?;
        let diff = self
            .repo
            .diff_tree_to_tree(Some(&old_tree), Some(&new_tree), None)?;
        let mut files = Vec::new();
        let workdir = self.workdir_path()?;
        for delta in diff.deltas() {
            let Some(path) = delta.new_file().path().or(delta.old_file().path()) else {
                continue;
            };
            if matches!(
                delta.new_file().mode(),
                git2::FileMode::Link | git2::FileMode::Commit
            ) {
                bail!(
                    "`{}` is a symbolic link or submodule in the remote's version, which incident does not merge; merge with `git pull`",
                    path.display()
                );
            }
            let old = delta.old_file().id();
            // What git's safe checkout refuses too: a file changed here and not committed.
            if blob_of_file(&workdir.join(path))? != (!old.is_zero()).then_some(old) {
                bail!(
                    "`{}` has changes that are not committed; commit them (or `git stash`) before syncing",
                    path.display()
                );
            }
            files.push(JournalFile {
                path: path.to_path_buf(),
                old: (!old.is_zero()).then(|| old.to_string()),
                new: delta.new_file().id().to_string(),
            });
        }
        let journal = Journal {
            pid: std::process::id(),
            branch: branch.to_string(),
            before: Some(before.to_string()),
            target: Some(target.to_string()),
            files,
        };
        self.write_journal(&journal)?;
        let moved = (|| -> Result<()> {
            // Each file replaced whole (a rename), never written in place: a kill leaves every file
            // either as it was or as it will be, which is what recovery tells apart.
            for file in &journal.files {
                let path = workdir.join(&file.path);
                match file.new_blob()? {
                    Some(new) => self.write_file(&path, self.repo.find_blob(new)?.content())?,
                    None => match fs::remove_file(&path) {
                        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                            return Err(e)
                                .with_context(|| format!("cannot remove `{}`", path.display()));
                        }
                        _ => {}
                    },
                }
            }
            self.repo
                .reference_matching(branch, target, true, before, log)
                .context("the branch moved meanwhile; run `incident sync` again")?;
            let mut index = self.open_index()?;
            index.read_tree(&new_tree)?;
            index.write().context("could not write the git index")?;
            Ok(())
        })();
        match moved {
            Ok(()) => self.remove_journal(),
            Err(e) if self.branch_tip(branch)? != Some(before) => Err(e.context(
                "the branch moved but the work tree is not finished; the next incident command completes it",
            )),
            Err(e) => match self.roll_back(&journal) {
                Ok(()) => {
                    self.refresh_index(journal.files.iter().map(|f| f.path.as_path()))?;
                    self.remove_journal()?;
                    Err(e.context("nothing was changed"))
                }
                Err(undo) => Err(e.context(format!(
                    "and undoing the half-written change failed too ({undo:#})"
                ))),
            },
        }
    }

    fn is_journal_commit(&self, journal: &Journal, tip: Oid) -> Result<bool> {
        let commit = self.repo.find_commit(tip)?;
        let parent = commit.parent_ids().next().map(|o| o.to_string());
        if parent != journal.before || commit.parent_count() > 1 {
            return Ok(false);
        }
        let tree = commit.tree()?;
        for file in &journal.files {
            let blob = tree.get_path(&file.path).ok().map(|e| e.id().to_string());
            if blob.as_deref() != Some(file.new.as_str()) {
                return Ok(false);
            }
        }
        Ok(true)
    }

    fn write_journal(&self, journal: &Journal) -> Result<()> {
        let text = serde_json::to_vec_pretty(journal)?;
        self.write_file(&self.journal_path(), &text)
    }

    fn remove_journal(&self) -> Result<()> {
        match fs::remove_file(self.journal_path()) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(e).context("cannot remove the transaction journal"),
        }
    }

    /// Atomic write whose temporary file lives in the git folder: a kill leaves it where `git status`
    /// never looks, and the next change clears it. Falls back to a sibling temporary file when the git
    /// folder is on another file system.
    pub(super) fn write_file(&self, path: &Path, content: &[u8]) -> Result<()> {
        let temp_dir = self.repo.path().join(TEMP_DIR);
        fs::create_dir_all(&temp_dir).ok();
        super::write_atomically_via(path, &[content], Some(&temp_dir), super::Durability::Synced)
    }

    /// Refuses to write anywhere but the incident repo's own folders, whatever a record or flag says.
    fn check_writable_path(&self, path: &Path) -> Result<()> {
        let safe = writable(&self.prefix, path);
        if !safe {
            bail!(
                "refusing to write `{}`: incident only writes under `incidents/`, `postmortems/`, `maintenance/`, `runbooks/` and `oncall/overrides/`",
                path.display()
            );
        }
        Ok(())
    }

    /// Refuses to commit a file whose work-tree or index content is not what HEAD holds: those are
    /// edits `incident` did not make (by hand, or another tool), and committing them under this
    /// change's message and author would falsify the audit trail.
    fn check_untouched(&self, path: &Path, in_head: Option<Oid>) -> Result<()> {
        let shown = path.display();
        let on_disk = blob_of_file(&self.workdir_path()?.join(path))?;
        let index_path = self.repo.path().join("index");
        let (staged, conflicted) =
            match super::index_file::lookup(&index_path, git_path(path).as_bytes()) {
                Some(found) => found,
                None => {
                    let index = self.open_index()?;
                    let staged = index.get_path(path, 0).map(|e| e.id);
                    let conflicted = (1..=3).any(|stage| index.get_path(path, stage).is_some());
                    (staged, conflicted)
                }
            };
        if conflicted {
            bail!(
                "`{shown}` has an unresolved merge conflict; resolve it (`incident sync` or `git mergetool`) first"
            );
        }
        if on_disk == in_head && staged == in_head {
            return Ok(());
        }
        match (in_head, on_disk) {
            (Some(_), None) => bail!(HandEdit(format!(
                "`{shown}` was deleted but the deletion is not committed; restore it with `git checkout HEAD -- {shown}` (or commit the deletion yourself), then run the command again"
            ))),
            (None, Some(_)) => bail!(HandEdit(format!(
                "`{shown}` exists but was never committed; commit it yourself (`git add {shown} && git commit`) or move it away, then run the command again"
            ))),
            _ => bail!(HandEdit(format!(
                "`{shown}` has changes that incident did not make (a hand edit?); commit them yourself (`git commit {shown}`) or discard them (`git checkout HEAD -- {shown}`), then run the command again"
            ))),
        }
    }

    /// git's own commands leave `index.lock` and `<ref>.lock` while they run, and behind them when
    /// killed. Wait briefly for a live one; name a stale one with the command that clears it.
    fn wait_for_git_locks(&self, branch: &str) -> Result<()> {
        let locks = [
            self.repo.path().join("index.lock"),
            self.repo.path().join(format!("{branch}.lock")),
            self.repo.path().join("HEAD.lock"),
        ];
        let start = Instant::now();
        loop {
            let Some(held) = locks.iter().find(|l| l.exists()) else {
                return Ok(());
            };
            if start.elapsed() > GIT_LOCK_PATIENCE {
                bail!(
                    "`{}` exists: another git command is running in this repo, or one was killed; if none is running, remove it: `rm '{}'`",
                    held.display(),
                    held.display()
                );
            }
            std::thread::sleep(Duration::from_millis(25));
        }
    }

    pub(super) fn workdir_path(&self) -> Result<PathBuf> {
        self.repo
            .workdir()
            .map(Path::to_path_buf)
            .ok_or_else(|| anyhow!("the incident repo has no work tree"))
    }
}

/// Whether `path` (relative to the work tree, under the incident repo's `prefix`) is one the tool may
/// write: plain components only, under `incidents/` or `postmortems/`, or the two files `init` writes.
fn writable(prefix: &Path, path: &Path) -> bool {
    use std::path::Component;
    let plain = path.components().all(|c| matches!(c, Component::Normal(_)));
    let Ok(rel) = path.strip_prefix(prefix) else {
        return false;
    };
    plain
        && (rel.starts_with(super::INCIDENTS_DIR)
            || rel.starts_with(super::POSTMORTEMS_DIR)
            || rel.starts_with(super::MAINTENANCE_DIR)
            || rel.starts_with(super::RUNBOOKS_DIR)
            || rel.starts_with(super::OVERRIDES_DIR)
            || matches!(rel.to_str(), Some(super::CONFIG_FILE | ".gitattributes")))
}

/// A path as git's index and trees spell it.
fn git_path(path: &Path) -> String {
    path.to_string_lossy().replace('\\', "/")
}

/// The stat data git's index keeps, as git truncates it to 32 bits.
fn entry_stat(meta: &fs::Metadata) -> super::index_file::EntryStat {
    use std::os::unix::fs::MetadataExt;
    let executable = meta.mode() & 0o111 != 0;
    super::index_file::EntryStat {
        ctime: (meta.ctime() as u32, meta.ctime_nsec() as u32),
        mtime: (meta.mtime() as u32, meta.mtime_nsec() as u32),
        dev: meta.dev() as u32,
        ino: meta.ino() as u32,
        mode: if executable { 0o100755 } else { 0o100644 },
        uid: meta.uid(),
        gid: meta.gid(),
        size: meta.size() as u32,
    }
}

/// An index entry for a regular file with content `id`, stat data from `meta`.
fn index_entry(path: &Path, id: Oid, meta: &fs::Metadata) -> git2::IndexEntry {
    let s = entry_stat(meta);
    let time = |(secs, nanos): (u32, u32)| git2::IndexTime::new(secs as i32, nanos);
    let path = git_path(path).into_bytes();
    git2::IndexEntry {
        ctime: time(s.ctime),
        mtime: time(s.mtime),
        dev: s.dev,
        ino: s.ino,
        mode: s.mode,
        uid: s.uid,
        gid: s.gid,
        file_size: s.size,
        id,
        flags: path.len().min(0xfff) as u16,
        flags_extended: 0,
        path,
    }
}

/// The git blob ID of `content`, as `git hash-object` computes it. Plain SHA-1 (RustCrypto): several
/// times faster than libgit2's collision-detecting one, and it only names content this tool reads
/// back itself.
pub(super) fn blob_id(content: &[u8]) -> Oid {
    use sha1::{Digest, Sha1};
    let mut hasher = Sha1::new();
    hasher.update(format!("blob {}\0", content.len()).as_bytes());
    hasher.update(content);
    Oid::from_bytes(&hasher.finalize()).expect("a SHA-1 is 20 bytes")
}

/// The git blob ID of a file's content, `None` when there is no such file.
fn blob_of_file(path: &Path) -> Result<Option<Oid>> {
    match fs::read(path) {
        Ok(bytes) => Ok(Some(blob_id(&bytes))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e).with_context(|| format!("cannot read `{}`", path.display())),
    }
}

/// A change that would leave every file as HEAD has it: no commit is made.
#[derive(Debug, thiserror::Error)]
#[error("nothing to change: the files already hold this content")]
pub struct NothingChanged;

/// A file holds edits `incident` did not make.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct HandEdit(pub String);

/// Writes the lock file's "who holds it" line: what a waiting command shows after a second.
pub(super) fn describe_holder(file: &mut fs::File, command: &str, now: DateTime<Utc>) {
    let line = format!(
        "pid {}, `{}`, since {}\n",
        std::process::id(),
        command,
        now.format("%H:%M:%S UTC")
    );
    let _ = file.set_len(0);
    let _ = file.write_all(line.as_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn our_blob_ids_are_gits() {
        for content in [
            &b""[..],
            b"hello\n",
            &[0u8, 255, 10][..],
            "x".repeat(100_000).as_bytes(),
        ] {
            assert_eq!(
                blob_id(content),
                Oid::hash_object(git2::ObjectType::Blob, content).unwrap()
            );
        }
    }

    #[test]
    fn blob_ids_match_git() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        fs::write(&path, "hello\n").unwrap();
        // `echo hello | git hash-object --stdin`
        assert_eq!(
            blob_of_file(&path).unwrap().unwrap().to_string(),
            "ce013625030ba8dba906f756967f9e9ca394464a"
        );
        assert_eq!(blob_of_file(&dir.path().join("missing")).unwrap(), None);
    }

    #[test]
    fn only_the_repos_own_folders_are_writable() {
        let none = Path::new("");
        for ok in [
            "incidents/2026/x.yaml",
            "postmortems/x.md",
            "maintenance/2026/x.yaml",
            ".incident.yaml",
            ".gitattributes",
        ] {
            assert!(writable(none, Path::new(ok)), "{ok}");
        }
        for bad in [
            "incidents/../README.md",
            "/etc/passwd",
            "src/main.rs",
            ".git/config",
            "incidentsx/y.yaml",
            "../incidents/x.yaml",
        ] {
            assert!(!writable(none, Path::new(bad)), "{bad}");
        }
        let ops = Path::new("ops");
        assert!(writable(ops, Path::new("ops/incidents/2026/x.yaml")));
        assert!(
            !writable(ops, Path::new("incidents/2026/x.yaml")),
            "outside the repo's folder"
        );
        assert!(!writable(ops, Path::new("ops/src/x.rs")));
    }

    #[test]
    fn journals_round_trip() {
        let j = Journal {
            pid: 7,
            branch: "refs/heads/main".into(),
            before: None,
            target: None,
            files: vec![JournalFile {
                path: "incidents/2026/x.yaml".into(),
                old: None,
                new: "ce013625030ba8dba906f756967f9e9ca394464a".into(),
            }],
        };
        let back: Journal = serde_json::from_str(&serde_json::to_string(&j).unwrap()).unwrap();
        assert_eq!(back.files[0].path, Path::new("incidents/2026/x.yaml"));
    }
}
