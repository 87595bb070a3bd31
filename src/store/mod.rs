//! The incident repo on disk: the only code that reads or writes files and talks to git.
//!
//! Every change is one call to [`Store::update`], [`Store::create`] or [`Store::commit_document`]:
//! take the repo lock, read the record, apply the change, then land it as a transaction
//! ([`transaction`]): one commit or nothing. Nothing here prints; what a person should hear about
//! (waiting for a lock, a recovered change) goes to the [`Notice`] callback the command layer sets.

mod cache;
mod canonical;
mod error;
#[cfg(test)]
mod fuzz;
mod git;
mod history_index;
mod hooks;
pub(crate) mod housekeeping;
mod index_file;
pub mod ledger;
mod maintenance;
mod oncall;
mod pack;
mod runbooks;
mod signing;
mod sources;
mod summary_view;
mod sync;
mod transaction;
mod yaml;

pub use cache::{Cached, CheckFacts, MetricFacts, Want, metric_status, summary_state};
pub use error::StoreError;
use git::CommitMessage;
pub use git::{Author, HistoryEntry, TrailerHit, changed_paths};
pub use hooks::HookRejected;
pub use maintenance::{MAINTENANCE_DIR, maintenance_file};
pub use oncall::{ESCALATION_FILE, ONCALL_DIR, OVERRIDES_DIR};
pub use runbooks::{RUNBOOKS_DIR, RunbookFile};
pub use sources::{Source, entries as source_entries};
pub use summary_view::{SummaryRows, SummaryView};
pub use sync::{GITATTRIBUTES_LINE, GitFailed, SyncOptions, SyncOutcome, SyncReport, merge_files};
use transaction::StagedFile;
pub use transaction::{HandEdit, NothingChanged, Notice};

use crate::model::{self, Config, Incident};
use anyhow::{Context, Result, anyhow, bail};
use chrono::{DateTime, Utc};
use git2::Repository;
use serde::de::DeserializeOwned;
use std::fs::{self, File};
use std::io::Write;
use std::path::{Path, PathBuf};

/// The policy file that marks the root of an incident repo.
pub const CONFIG_FILE: &str = ".incident.yaml";
/// Where the records live: `incidents/<year>/<id>.yaml`.
pub const INCIDENTS_DIR: &str = "incidents";
/// Where committed post-mortems live: `postmortems/<id>.md`.
pub const POSTMORTEMS_DIR: &str = "postmortems";

pub struct Store {
    root: PathBuf,
    /// The incident repo's root relative to the git work tree (empty when they are the same folder).
    prefix: PathBuf,
    repo: Repository,
    config: Config,
    /// Whether commits run the `pre-commit` and `commit-msg` hooks (off with `--no-verify`).
    run_hooks: bool,
    notices: Option<NoticeSink>,
    process: Process,
}

/// What the command layer tells the store about the process it runs in: the store reads no
/// environment and no process arguments of its own.
#[derive(Debug, Clone, Default)]
pub struct Process {
    /// Work without `.git/incident-cache/` (`INCIDENT_NO_CACHE=1`): read every record.
    pub no_cache: bool,
    /// The command line, as the lock file shows it to a command that waits (`incident log x ...`).
    pub command: String,
    /// The home folder, for a signing key that git's config names `~/...`.
    pub home: Option<PathBuf>,
}

/// Where the store sends what a person should hear about; the command layer prints it.
pub type NoticeSink = Box<dyn Fn(&Notice)>;

/// What a change produced: the record as written and the commit that holds it.
pub struct Saved {
    pub incident: Incident,
    pub commit: String,
}

/// The timeline event a change made, which becomes the commit message.
pub struct Change {
    pub kind: String,
    pub summary: String,
}

impl Change {
    pub fn new(kind: &str, summary: impl Into<String>) -> Change {
        Change {
            kind: kind.to_string(),
            summary: summary.into(),
        }
    }
}

/// What [`Store::close_actions_from_trailers`] did: the items closed (incident, number, commit) and
/// the trailers it could not follow.
#[derive(Debug, Default)]
pub struct ActionSync {
    pub closed: Vec<(String, u32, String)>,
    pub warnings: Vec<String>,
}

pub enum InitOutcome {
    Created { root: PathBuf, commit: String },
    AlreadyInitialized { root: PathBuf },
}

/// Held while a command reads, changes and commits, so concurrent commands on one repo queue up
/// instead of losing each other's events. Released on drop (and by the kernel when a process dies).
pub struct RepoLock {
    _file: File,
}

/// Records that name the same thing as [`Incident`] does, so every reader can check that a record
/// sits at its own path.
pub trait Record {
    fn record_id(&self) -> &str;

    /// The only top-level fields a reader of this type looks at, when it looks at few: the rest of
    /// the record is then not parsed (see [`yaml::parse_fields`]).
    const FIELDS: Option<&'static [&'static str]> = None;
}

impl Record for Incident {
    fn record_id(&self) -> &str {
        &self.id
    }
}

impl Record for model::IncidentSummary {
    fn record_id(&self) -> &str {
        &self.id
    }

    const FIELDS: Option<&'static [&'static str]> = Some(&[
        "id",
        "title",
        "kind",
        "severity",
        "status",
        "drill",
        "services",
        "roles",
        "started_at",
        "detected_at",
        "acknowledged_at",
        "mitigated_at",
        "resolved_at",
    ]);
}

impl Record for model::PublicView {
    fn record_id(&self) -> &str {
        &self.id
    }
}

impl Store {
    /// Finds the incident repo the way git finds its repo: `start` or the nearest parent with
    /// `.incident.yaml`.
    pub fn discover(start: &Path) -> Result<Store> {
        let start = fs::canonicalize(start)
            .with_context(|| format!("cannot open folder `{}`", start.display()))?;
        let root = start
            .ancestors()
            .find(|dir| dir.join(CONFIG_FILE).is_file())
            .ok_or_else(|| StoreError::NotAnIncidentRepo(start.clone()))?;
        Store::open(root)
    }

    pub fn open(root: &Path) -> Result<Store> {
        tune_libgit2();
        let root = fs::canonicalize(root)?;
        let repo = Repository::discover(&root).with_context(|| {
            format!(
                "`{}` has `{CONFIG_FILE}` but is not inside a git repository",
                root.display()
            )
        })?;
        let config_path = root.join(CONFIG_FILE);
        let text = fs::read_to_string(&config_path)
            .with_context(|| format!("cannot read `{}`", config_path.display()))?;
        let config: Config = yaml::parse(&text, Path::new(CONFIG_FILE))?;
        Store::with_repo(root, repo, config)
    }

    fn with_repo(root: PathBuf, repo: Repository, config: Config) -> Result<Store> {
        let workdir = repo.workdir().ok_or_else(|| {
            anyhow!(
                "the git repository at `{}` is bare; incidents need a work tree",
                repo.path().display()
            )
        })?;
        let workdir = fs::canonicalize(workdir)?;
        let prefix = root
            .strip_prefix(&workdir)
            .unwrap_or(Path::new(""))
            .to_path_buf();
        Ok(Store {
            root,
            prefix,
            repo,
            config,
            run_hooks: true,
            notices: None,
            process: Process::default(),
        })
    }

    /// Where the store reports what a person should know (the command layer prints it).
    pub fn on_notice(&mut self, notices: NoticeSink) {
        self.notices = Some(notices);
    }

    /// The shared ledger of notifications (`refs/incident-notify/*`) in this repo, shared through
    /// `remote` when the repo has it; `sender` is who claims, as the ledger records it.
    pub fn ledger(&self, remote: &str, sender: String) -> Result<ledger::Ledger> {
        ledger::Ledger::open(&self.root, remote, sender)
    }

    /// What the last complete delivery run saw (`notify-state.json`, a checked cache file): `None`
    /// when there is none, it is damaged, or the cache is off.
    pub fn notify_state<T: serde::de::DeserializeOwned>(&self) -> Option<T> {
        if self.cache_off() {
            return None;
        }
        cache::read_checked(&cache::cache_path(self.repo.path(), "notify-state"))
    }

    /// Keeps what a complete delivery run saw, for the next run to read only what changed.
    pub fn save_notify_state<T: serde::Serialize>(&self, state: &T) {
        if !self.cache_off() {
            cache::write_checked(&cache::cache_path(self.repo.path(), "notify-state"), state);
        }
    }

    /// What the process is (its command line, home, whether the cache is off).
    pub fn in_process(&mut self, process: Process) {
        self.process = process;
    }

    fn cache_off(&self) -> bool {
        self.process.no_cache
    }

    /// `--no-verify`: commit without running the `pre-commit` and `commit-msg` hooks.
    pub fn skip_hooks(&mut self) {
        self.run_hooks = false;
    }

    fn notice(&self, notice: Notice) {
        if let Some(notify) = &self.notices {
            notify(&notice);
        }
    }

    /// A reader that finds a change a killed process left half done finishes or undoes it first,
    /// when no other process is busy with the repo; otherwise the next writer does.
    /// A reader never fails for it: what it cannot finish it reports, and the next writer, which
    /// must finish it first, says what to run.
    pub fn recover_if_interrupted(&self) {
        if !self.has_journal() {
            return;
        }
        let recovered = self
            .try_lock()
            .and_then(|lock| lock.map_or(Ok(()), |lock| self.finish_recovery(&lock)));
        if let Err(e) = recovered {
            self.notice(Notice::Unfinished(format!("{e:#}")));
        }
    }

    /// Makes `dir` an incident repo: `git init` where needed, the policy file and `incidents/`, one
    /// commit. A second run changes nothing.
    /// Makes `dir` an incident repo. A refusal or failure leaves nothing behind: the folders it
    /// created and a git repository it initialised are removed again.
    pub fn init(
        dir: &Path,
        config: &Config,
        seed: &[(&str, &str)],
        author: &Author,
        now: DateTime<Utc>,
    ) -> Result<InitOutcome> {
        let absolute = std::path::absolute(dir).unwrap_or_else(|_| dir.to_path_buf());
        // The topmost folder this call creates, if any.
        let first_missing = absolute
            .ancestors()
            .take_while(|a| !a.exists())
            .last()
            .map(Path::to_path_buf);
        let had_git = absolute.join(".git").exists();
        let result = Store::init_in(dir, config, seed, author, now);
        if result.is_err() {
            if let Some(made) = &first_missing {
                let _ = fs::remove_dir_all(made);
            } else if !had_git {
                let git = absolute.join(".git");
                if git.is_dir() && Repository::open(&absolute).is_ok() {
                    let _ = fs::remove_dir_all(git);
                }
            }
        }
        result
    }

    fn init_in(
        dir: &Path,
        config: &Config,
        seed: &[(&str, &str)],
        author: &Author,
        now: DateTime<Utc>,
    ) -> Result<InitOutcome> {
        tune_libgit2();
        if let Ok(repo) = Repository::open(dir)
            && repo.is_bare()
        {
            bail!(
                "`{}` is a bare git repository (no work tree); clone it (`git clone {} ops`) and run `incident init` in the clone",
                dir.display(),
                dir.display()
            );
        }
        fs::create_dir_all(dir).with_context(|| format!("cannot create `{}`", dir.display()))?;
        let root = fs::canonicalize(dir)?;
        if root.join(CONFIG_FILE).is_file() {
            return Ok(InitOutcome::AlreadyInitialized { root });
        }
        let repo = match Repository::discover(&root) {
            Ok(repo) if repo.is_bare() || repo.workdir().is_none() => bail!(
                "`{}` is inside the bare git repository `{}`; clone it and run `incident init` in the clone",
                root.display(),
                repo.path().display()
            ),
            Ok(repo) => repo,
            Err(_) => Repository::init(&root)
                .with_context(|| format!("`git init` failed in `{}`", root.display()))?,
        };
        let config_text = yaml::to_string(config)?;
        let store = Store::with_repo(root.clone(), repo, config.clone())?;
        let attributes_path = root.join(".gitattributes");
        let mut attributes = fs::read_to_string(&attributes_path).unwrap_or_default();
        if !attributes.lines().any(|l| l.trim() == GITATTRIBUTES_LINE) {
            if !attributes.is_empty() && !attributes.ends_with('\n') {
                attributes.push('\n');
            }
            attributes.push_str(GITATTRIBUTES_LINE);
            attributes.push('\n');
        }
        let mut files = vec![
            StagedFile {
                path: store.prefix.join(CONFIG_FILE),
                content: config_text.into_bytes(),
            },
            StagedFile {
                path: store.prefix.join(".gitattributes"),
                content: attributes.into_bytes(),
            },
        ];
        let keep = Path::new(INCIDENTS_DIR).join(".gitkeep");
        if !root.join(&keep).exists() {
            files.push(StagedFile {
                path: store.prefix.join(keep),
                content: Vec::new(),
            });
        }
        // Files to start from (the runbooks of the practice); a file already there is left as it is.
        for (path, content) in seed {
            if !root.join(path).exists() {
                files.push(StagedFile {
                    path: store.prefix.join(path),
                    content: content.as_bytes().to_vec(),
                });
            }
        }
        let message = format!(
            "Set up incident repo for {}\n\nEvent: init\n",
            config.organisation
        );
        let lock = store.lock()?;
        let oid = store.commit_change(&lock, &files, &message, author, now)?;
        Ok(InitOutcome::Created {
            root,
            commit: git::oid_short(oid),
        })
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The commit HEAD points at (none on an unborn branch): what a face that stays open watches
    /// to notice anyone's change.
    pub fn head_id(&self) -> Option<git2::Oid> {
        // libgit2 reads HEAD's file on each call: another process's commit is seen.
        git::head_commit(&self.repo).ok().flatten().map(|c| c.id())
    }

    /// Local commits that `remote`'s copy of the branch does not have (none known when the
    /// branch has never been fetched or pushed).
    pub fn commits_to_push(&self, remote: &str) -> Option<usize> {
        let head = self.repo.head().ok()?;
        let branch = head.shorthand().ok()?.to_string();
        let theirs = self
            .repo
            .refname_to_id(&format!("refs/remotes/{remote}/{branch}"))
            .ok()?;
        self.repo
            .graph_ahead_behind(head.target()?, theirs)
            .ok()
            .map(|(ahead, _)| ahead)
    }

    /// The IDs of the incident records that differ between two commits (added, changed or
    /// removed), as `git diff --name-only` would find them.
    pub fn records_changed(&self, from: git2::Oid, to: git2::Oid) -> Result<Vec<String>> {
        let tree = |oid| -> Result<git2::Tree<'_>> { Ok(self.repo.find_commit(oid)?.tree()?) };
        let under = self.prefix.join(INCIDENTS_DIR);
        let mut ids: Vec<String> =
            git::changed_paths(&self.repo, &tree(from)?, &tree(to)?, Some(&under))?
                .into_iter()
                .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
                .filter_map(|p| p.file_stem()?.to_str().map(str::to_string))
                .collect();
        ids.sort();
        ids.dedup();
        Ok(ids)
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Absolute path of an incident's file; the year folder is the ID's first four characters.
    pub fn path_of(&self, id: &str) -> PathBuf {
        self.root.join(relative_record_path(id))
    }

    fn git_path_of(&self, id: &str) -> PathBuf {
        self.prefix.join(relative_record_path(id))
    }

    /// Every incident ID, sorted, from the file names alone (no parsing).
    /// Refuses an output folder that `publish` (or any command writing a whole folder) must never
    /// fill: the filesystem root, `home`, the repo's root, its `.git`, and the folders it keeps
    /// records and templates in (or anything inside those). `out` need not exist yet.
    /// `what` names what would be written (`the status page`), for the refusal.
    pub fn check_output_folder(&self, out: &Path, home: Option<&Path>, what: &str) -> Result<()> {
        let out = resolve_existing_prefix(out);
        let git_dir = fs::canonicalize(self.repo.path()).unwrap_or(self.repo.path().into());
        let why = if out.parent().is_none() {
            Some("the filesystem root".to_string())
        } else if home.map(resolve_existing_prefix).as_deref() == Some(out.as_path()) {
            Some("your home folder".to_string())
        } else if out == self.root {
            Some("the incident repo's own root".to_string())
        } else if out.starts_with(&git_dir) {
            Some("the repo's `.git` folder".to_string())
        } else {
            [
                INCIDENTS_DIR,
                MAINTENANCE_DIR,
                RUNBOOKS_DIR,
                crate::render::TEMPLATES_DIR,
            ]
            .into_iter()
            .find(|dir| out.starts_with(self.root.join(dir)))
            .map(|dir| format!("the repo's `{dir}/` folder, which holds what the tool reads"))
        };
        match why {
            None => Ok(()),
            Some(why) => bail!(
                "refusing to write {what} to `{}`: it is {why}, and its files would mix with (and replace) files that are not its own; pass a folder of its own, such as `--out public` or `--out /tmp/status`",
                out.display()
            ),
        }
    }

    pub fn incident_ids(&self) -> Result<Vec<String>> {
        let dir = self.root.join(INCIDENTS_DIR);
        if self.cache_off() {
            return ids_in_year_folders(&dir);
        }
        cache::listed_ids(self.repo.path(), &dir)
    }

    /// Turns what the user typed into one ID: exact, else a unique prefix, else a unique substring.
    pub fn resolve(&self, query: &str) -> Result<String> {
        model::check_name("incident ID", query)?;
        // A whole ID needs no listing of every record (10,000 file names at scale).
        if model::check_record_id(query).is_ok() && self.path_of(query).is_file() {
            return Ok(query.to_string());
        }
        let ids = self.incident_ids()?;
        match resolve_among(&ids, query) {
            Ok(id) => Ok(id),
            Err(e @ StoreError::UnknownIncident { .. }) => {
                // A committed record deleted by hand: say so rather than "no such incident".
                if model::check_record_id(query).is_ok() && self.id_taken(query)? {
                    let file = relative_record_path(query);
                    bail!(HandEdit(format!(
                        "`{}` was deleted but the deletion is not committed; restore it with `git checkout HEAD -- {}` (or commit the deletion yourself)",
                        file.display(),
                        file.display()
                    )));
                }
                Err(e.into())
            }
            Err(e) => Err(e.into()),
        }
    }

    pub fn load(&self, id: &str) -> Result<Incident> {
        let incident = parse_record(&self.read_record(id)?, id)?;
        check_record_id(&incident, id)?;
        Ok(incident)
    }

    fn read_record(&self, id: &str) -> Result<String> {
        model::check_read_id(id)?;
        let path = self.path_of(id);
        fs::read_to_string(&path)
            .with_context(|| format!("cannot read incident `{id}` ({})", path.display()))
    }

    /// Reads every record, in ID order, on all cores. A file that does not parse is returned as its
    /// error so one broken record never hides the others.
    pub fn load_all(&self) -> Result<Vec<Result<Incident, StoreError>>> {
        self.load_all_mapped(|mut incident: Incident| {
            incident.fill_entry_ids();
            incident
        })
    }

    /// Like [`Store::load_all`], reading only the fields `T` has: what `list` uses to stay small.
    pub fn load_all_as<T: DeserializeOwned + Send + Record>(
        &self,
    ) -> Result<Vec<Result<T, StoreError>>> {
        self.load_all_mapped(|record: T| record)
    }

    /// Reads every record as `T` and passes each through `keep` on the reading thread, so only what
    /// `keep` returns is ever held for all records at once (`stats` drops the texts it does not read).
    pub fn load_all_mapped<T, U, F>(&self, keep: F) -> Result<Vec<Result<U, StoreError>>>
    where
        T: DeserializeOwned + Record,
        U: Send,
        F: Fn(T) -> U + Sync,
    {
        let ids = self.incident_ids()?;
        Ok(self.load_ids_mapped(&ids, keep))
    }

    /// The records `ids` as `T`, in order, on all cores.
    pub fn load_ids_mapped<T, U, F>(&self, ids: &[String], keep: F) -> Vec<Result<U, StoreError>>
    where
        T: DeserializeOwned + Record,
        U: Send,
        F: Fn(T) -> U + Sync,
    {
        let root = self.root.as_path();
        par_map_ids(ids, |id| {
            let rel = relative_record_path(id);
            // A file name that is no valid ID (`$(touch x).yaml`) is never read as a record.
            if let Err(e) = model::check_read_id(id) {
                return Err(StoreError::Parse {
                    path: rel,
                    line: None,
                    message: format!("{e}; rename the file"),
                });
            }
            match fs::read_to_string(root.join(&rel)) {
                Ok(text) => yaml::parse_fields::<T>(&text, &rel, T::FIELDS)
                    .and_then(|r| check_record_id(&r, id).map(|()| r))
                    .map(&keep),
                Err(e) => Err(StoreError::Parse {
                    path: rel,
                    line: None,
                    message: e.to_string(),
                }),
            }
        })
    }

    fn lock_path(&self) -> PathBuf {
        self.repo.path().join("incident.lock")
    }

    fn open_lock_file(&self) -> Result<File> {
        let path = self.lock_path();
        fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .read(true)
            .write(true)
            .open(&path)
            .with_context(|| format!("cannot open lock file `{}`", path.display()))
    }

    /// Takes the repo-wide lock, waiting for any other `incident` process to finish its change (after
    /// a second, saying who holds it). Then finishes or undoes a change a killed process left.
    pub fn lock(&self) -> Result<RepoLock> {
        let mut file = self.open_lock_file()?;
        let started = std::time::Instant::now();
        let mut told = false;
        loop {
            match file.try_lock() {
                Ok(()) => break,
                Err(fs::TryLockError::WouldBlock) => {
                    if !told && started.elapsed() >= std::time::Duration::from_secs(1) {
                        told = true;
                        let holder = fs::read_to_string(self.lock_path()).unwrap_or_default();
                        let holder = holder.trim();
                        self.notice(Notice::WaitingForLock(if holder.is_empty() {
                            "another incident process".into()
                        } else {
                            holder.to_string()
                        }));
                    }
                    std::thread::sleep(std::time::Duration::from_millis(20));
                }
                Err(fs::TryLockError::Error(e)) => {
                    return Err(e)
                        .with_context(|| format!("cannot lock `{}`", self.lock_path().display()));
                }
            }
        }
        transaction::describe_holder(&mut file, &self.process.command, Utc::now());
        let lock = RepoLock { _file: file };
        self.finish_recovery(&lock)?;
        Ok(lock)
    }

    fn try_lock(&self) -> Result<Option<RepoLock>> {
        let file = self.open_lock_file()?;
        match file.try_lock() {
            Ok(()) => Ok(Some(RepoLock { _file: file })),
            Err(fs::TryLockError::WouldBlock) => Ok(None),
            Err(fs::TryLockError::Error(e)) => Err(e.into()),
        }
    }

    fn finish_recovery(&self, lock: &RepoLock) -> Result<()> {
        if let Some(what) = self.recover(lock)? {
            self.notice(Notice::Recovered(what));
        }
        Ok(())
    }

    /// No command can write a record that `check` rejects (beyond what it already had).
    fn refuse_invalid(
        &self,
        before: Option<&Incident>,
        after: &Incident,
        now: DateTime<Utc>,
    ) -> Result<(), model::ModelError> {
        let file = self.record_file(&after.id);
        model::refuse_invalid_change(
            before,
            after,
            &model::CheckInput {
                config: &self.config,
                now,
                file: &file,
                file_id: &after.id,
                has_postmortem_file: self.postmortem_path(&after.id).is_file(),
            },
        )
    }

    /// Whether `id` is taken: a record in the work tree, the index or HEAD (a deleted but committed
    /// record still owns its ID).
    fn id_taken(&self, id: &str) -> Result<bool> {
        self.path_taken(&relative_record_path(id))
    }

    /// Whether `rel` (relative to the incident repo) is in the work tree, the index or HEAD.
    fn path_taken(&self, rel: &Path) -> Result<bool> {
        if self.root.join(rel).exists() {
            return Ok(true);
        }
        let path = self.prefix.join(rel);
        if self.repo.index()?.get_path(&path, 0).is_some() {
            return Ok(true);
        }
        Ok(match git::head_commit(&self.repo)? {
            Some(head) => head.tree()?.get_path(&path).is_ok(),
            None => false,
        })
    }

    /// Writes a new incident under a free ID (adding `-2`, `-3`, ... when the ID is taken) and commits it.
    pub fn create(
        &self,
        mut incident: Incident,
        author: &Author,
        now: DateTime<Utc>,
    ) -> Result<Saved> {
        model::check_record_id(&incident.id)?;
        let lock = self.lock()?;
        let base = incident.id.clone();
        let mut n = 1;
        while self.id_taken(&incident.id)? {
            n += 1;
            incident.id = format!("{base}-{n}");
        }
        if n > 1 {
            for e in &mut incident.timeline {
                e.id.clear();
            }
            incident.fill_entry_ids();
        }
        let summary = incident
            .timeline
            .first()
            .map(|e| e.text.clone())
            .unwrap_or_else(|| format!("declared {}", incident.title));
        let change = Change::new(model::event_kind::DECLARED, summary);
        self.refuse_invalid(None, &incident, now)?;
        let text = yaml::to_string(&incident)?;
        let rel = relative_record_path(&incident.id);
        let commit = self.commit_file(&lock, &incident.id, &rel, &text, &change, author, now)?;
        canonical::Canonical::in_git_dir(self.repo.path())
            .remember(transaction::blob_id(text.as_bytes()));
        Ok(Saved { incident, commit })
    }

    /// Applies `apply` to the current record under the lock and commits the result. When `apply`
    /// fails, or the commit does, nothing is written.
    pub fn update<F>(
        &self,
        id: &str,
        author: &Author,
        now: DateTime<Utc>,
        apply: F,
    ) -> Result<Saved>
    where
        F: FnOnce(&mut Incident) -> Result<Change>,
    {
        let lock = self.lock()?;
        // commit_change checks these again; checked here too so a half-done merge or a detached HEAD
        // is what the user hears about, not a record that merge left half-written.
        ensure_no_operation_in_progress(self)?;
        self.current_branch()?;
        let before = self.read_record(id)?;
        let rel = relative_record_path(id);
        // A file this tool wrote is already in the order it writes: no need to learn its layout.
        let canonical = canonical::Canonical::in_git_dir(self.repo.path());
        let written_by_us = canonical.contains(transaction::blob_id(before.as_bytes()));
        let (mut incident, layout) = if written_by_us {
            (yaml::parse::<Incident>(&before, &rel)?, None)
        } else {
            let parsed = yaml::parse_keeping_tree::<Incident>(&before, &rel)?;
            (parsed.value, Some(parsed.tree))
        };
        incident.fill_entry_ids();
        check_record_id(&incident, id)?;
        let original = incident.clone();
        let change = apply(&mut incident)?;
        if incident.id != id {
            bail!("a change may not rename incident `{id}`");
        }
        // Whatever front door made the change, a runbook step it does is checked off with it.
        let before: std::collections::HashSet<String> =
            original.timeline.iter().map(|e| e.id.clone()).collect();
        incident.settle_tasks(&before);
        self.refuse_invalid(Some(&original), &incident, now)?;
        let (text, in_our_order) = match &layout {
            Some(tree) => yaml::to_string_like_tree(&incident, tree)?,
            None => (yaml::to_string(&incident)?, true),
        };
        let commit = self.commit_file(&lock, id, &rel, &text, &change, author, now)?;
        if in_our_order {
            canonical.remember(transaction::blob_id(text.as_bytes()));
        }
        Ok(Saved { incident, commit })
    }

    /// Writes a document that belongs to an incident (its post-mortem) and commits just that file.
    /// Writing the same content again makes no commit: the error is [`NothingChanged`].
    /// The commit that put the current `rel` into HEAD, described (`abc1234 "subject"`), when it is
    /// not one this tool made for `incident` (its `Incident:` trailer): a document rewritten by hand
    /// and committed, which regenerating it would overwrite. `None` for a file HEAD lacks or the
    /// tool wrote. Follows the parent that holds the same file through merges.
    pub fn hand_edited_document(&self, incident: &str, rel: &Path) -> Result<Option<String>> {
        let path = self.prefix.join(rel);
        let blob_at = |c: &git2::Commit| -> Result<Option<git2::Oid>> {
            Ok(c.tree()?.get_path(&path).ok().map(|e| e.id()))
        };
        let Ok(mut commit) = self.repo.head().and_then(|h| h.peel_to_commit()) else {
            return Ok(None);
        };
        let Some(blob) = blob_at(&commit)? else {
            return Ok(None);
        };
        // Far enough for any document's life; past it, the file is taken as the tool's.
        for _ in 0..100_000 {
            let mut same = None;
            for parent in commit.parents() {
                if blob_at(&parent)? == Some(blob) {
                    same = Some(parent);
                    break;
                }
            }
            match same {
                Some(parent) => commit = parent,
                None => break,
            }
        }
        let message = commit.message().unwrap_or("");
        let ours = message
            .lines()
            .any(|l| l.trim() == format!("Incident: {incident}"));
        if ours {
            return Ok(None);
        }
        Ok(Some(format!(
            "{} \"{}\"",
            git::oid_short(commit.id()),
            commit.summary().ok().flatten().unwrap_or("")
        )))
    }

    pub fn commit_document(
        &self,
        incident: &str,
        rel: &Path,
        content: &str,
        change: &Change,
        author: &Author,
        now: DateTime<Utc>,
    ) -> Result<String> {
        let lock = self.lock()?;
        self.commit_file(&lock, incident, rel, content, change, author, now)
    }

    /// [`Store::commit_document`] for several files of one incident in one commit (a post-mortem
    /// and its chart).
    pub fn commit_documents(
        &self,
        incident: &str,
        files: &[(PathBuf, String)],
        change: &Change,
        author: &Author,
        now: DateTime<Utc>,
    ) -> Result<String> {
        let lock = self.lock()?;
        let message = CommitMessage {
            key: "Incident",
            incident,
            event_kind: &change.kind,
            summary: &change.summary,
        }
        .render();
        let staged: Vec<StagedFile> = files
            .iter()
            .map(|(rel, content)| StagedFile {
                path: self.prefix.join(rel),
                content: content.as_bytes().to_vec(),
            })
            .collect();
        let oid = self.commit_change(&lock, &staged, &message, &self.with_email(author), now)?;
        Ok(git::oid_short(oid))
    }

    /// The one way a change lands: commit `rel` (relative to the incident repo) with its new content
    /// and the `<id>: <event>` message, as a transaction. The caller holds the lock.
    #[allow(clippy::too_many_arguments)]
    fn commit_file(
        &self,
        lock: &RepoLock,
        incident: &str,
        rel: &Path,
        content: &str,
        change: &Change,
        author: &Author,
        now: DateTime<Utc>,
    ) -> Result<String> {
        self.commit_file_as(
            lock, "Incident", incident, rel, content, change, author, now,
        )
    }

    /// [`Store::commit_file`] for any record: `key` is the trailer that names it.
    #[allow(clippy::too_many_arguments)]
    fn commit_file_as(
        &self,
        lock: &RepoLock,
        key: &str,
        incident: &str,
        rel: &Path,
        content: &str,
        change: &Change,
        author: &Author,
        now: DateTime<Utc>,
    ) -> Result<String> {
        let message = CommitMessage {
            key,
            incident,
            event_kind: &change.kind,
            summary: &change.summary,
        }
        .render();
        let file = StagedFile {
            path: self.prefix.join(rel),
            content: content.as_bytes().to_vec(),
        };
        let oid = self.commit_change(lock, &[file], &message, &self.with_email(author), now)?;
        Ok(git::oid_short(oid))
    }

    /// Closes every open action item a `Closes-Action: <id>#<n>` trailer names, one commit per
    /// incident. Trailers naming unknown incidents or items are reported back, not fatal.
    pub fn close_actions_from_trailers(
        &self,
        author: &Author,
        now: DateTime<Utc>,
    ) -> Result<ActionSync> {
        let mut result = ActionSync::default();
        let mut by_incident: std::collections::BTreeMap<String, Vec<(u32, TrailerHit)>> =
            Default::default();
        for hit in self.trailer_hits("Closes-Action")? {
            match model::parse_action_ref(&hit.value) {
                Ok((query, number)) => match self.resolve(query) {
                    Ok(id) => by_incident.entry(id).or_default().push((number, hit)),
                    Err(e) => result.warnings.push(format!("commit {}: {e}", hit.commit)),
                },
                Err(e) => result
                    .warnings
                    .push(format!("commit {} has `Closes-Action: {e}", hit.commit)),
            }
        }
        for (id, hits) in by_incident {
            let incident = self.load(&id)?;
            let todo: Vec<_> = hits
                .into_iter()
                .filter(|(n, _)| incident.has_open_action(*n))
                .collect();
            if todo.is_empty() {
                continue;
            }
            let mut closed = Vec::new();
            self.update(&id, author, now, |incident| {
                let mut texts = Vec::new();
                for (number, hit) in &todo {
                    if let Ok(event) = incident.close_action_by_commit(
                        *number,
                        &hit.commit,
                        &hit.subject,
                        hit.at,
                        now,
                        &author.name,
                    ) {
                        texts.push(event.text);
                        closed.push((id.clone(), *number, hit.commit.clone()));
                    }
                }
                Ok(Change::new(
                    model::event_kind::ACTION_ITEM,
                    texts.join("; "),
                ))
            })?;
            result.closed.extend(closed);
        }
        Ok(result)
    }

    /// Commits reachable from HEAD carrying a `key:` trailer (e.g. `Closes-Action`), oldest first.
    pub fn trailer_hits(&self, key: &str) -> Result<Vec<TrailerHit>> {
        git::trailer_hits(&self.repo, key)
    }

    /// Where `postmortem --commit` puts an incident's post-mortem.
    pub fn postmortems_dir(&self) -> PathBuf {
        self.root.join(POSTMORTEMS_DIR)
    }

    pub fn postmortem_path(&self, id: &str) -> PathBuf {
        self.root.join(POSTMORTEMS_DIR).join(format!("{id}.md"))
    }

    /// The path of a record relative to the incident repo, as findings and messages name it.
    pub fn record_file(&self, id: &str) -> String {
        let mut file = String::new();
        self.push_record_file(id, &mut file);
        file
    }

    /// [`Store::record_file`] appended to `out`: `check` names a file for each of 100,000 records,
    /// where a path built by joins is five allocations.
    pub fn push_record_file(&self, id: &str, out: &mut String) {
        push_in_year_folder(INCIDENTS_DIR, id, out);
    }

    /// git needs an e-mail on every commit; one acting `--as carol` gets the address the people list
    /// gives carol, else git's `commit_files` falls back to a reserved `.invalid` one.
    fn with_email(&self, author: &Author) -> Author {
        let mut author = author.clone();
        if author.email.is_empty()
            && let Some(email) = self
                .config
                .people
                .iter()
                .find(|p| p.handle == author.name || p.name.as_deref() == Some(&author.name))
                .and_then(|p| p.email.clone())
        {
            author.email = email;
        }
        author
    }

    /// The incident's audit trail from `git log`, newest first: the commits that changed the
    /// record (from the history index, or by walking the commits when the cache is off) and those
    /// that changed its committed post-mortem (`postmortems/<id>.md`, walked only when it exists).
    pub fn history(&self, id: &str) -> Result<Vec<HistoryEntry>> {
        let mut entries = if self.cache_off() {
            git::history(&self.repo, &self.git_path_of(id))?
        } else {
            history_index::history(
                &self.repo,
                self.repo.path(),
                &self.prefix,
                &self.git_path_of(id),
            )?
        };
        let document = self.prefix.join(POSTMORTEMS_DIR).join(format!("{id}.md"));
        let more = git::history(&self.repo, &document)?;
        if !more.is_empty() {
            for entry in more {
                if !entries.iter().any(|e| e.commit == entry.commit) {
                    entries.push(entry);
                }
            }
            // Newest first; a stable sort keeps git's order among equal times.
            entries.sort_by_key(|e| std::cmp::Reverse(e.at));
        }
        Ok(entries)
    }
}

/// A record as its file holds it: for tools (benchmarks, fixtures) that write records in bulk.
pub fn record_to_yaml(incident: &Incident) -> Result<String> {
    Ok(yaml::to_string(incident)?)
}

/// Any value as YAML, for commands that let a person edit part of a record (`pir --edit`).
pub fn to_yaml<T: serde::Serialize>(value: &T) -> Result<String> {
    Ok(yaml::to_string(value)?)
}

/// Parses YAML a person edited; errors name `origin` and the line.
pub fn from_yaml<T: DeserializeOwned>(text: &str, origin: &Path) -> Result<T, StoreError> {
    yaml::parse(text, origin)
}

/// Keeps `content` outside the repo, in a new private folder (mode 0700) of the system's temporary
/// folder, as `name`, created exclusively with mode 0600: no other user can read it, and a file or
/// symbolic link someone planted under a guessable name is never followed or overwritten.
pub fn keep_privately(name: &str, content: &[u8]) -> Result<PathBuf> {
    use std::os::unix::fs::OpenOptionsExt;
    model::check_name("file name", name)?;
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::Builder::new()
        .prefix("incident-")
        .permissions(fs::Permissions::from_mode(0o700))
        .tempdir()
        .context("cannot create a private folder in the temporary folder")?
        .keep();
    let path = dir.join(name);
    let mut file = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .custom_flags(rustix::fs::OFlags::NOFOLLOW.bits() as i32)
        .open(&path)
        .with_context(|| format!("cannot create `{}`", path.display()))?;
    file.write_all(content)?;
    file.sync_all()?;
    Ok(path)
}

/// The policy file's text, for tools that set up repos in bulk.
pub fn config_to_yaml(config: &Config) -> Result<String> {
    Ok(yaml::to_string(config)?)
}

/// The identity git would use for a commit in the repo at (or above) `dir`, if any is configured.
pub fn git_identity_at(dir: &Path) -> Option<Author> {
    match Repository::discover(dir) {
        Ok(repo) => git_identity(&repo),
        Err(_) => {
            let config = git2::Config::open_default().ok()?;
            identity_from(&config)
        }
    }
}

fn git_identity(repo: &Repository) -> Option<Author> {
    identity_from(&repo.config().ok()?)
}

fn identity_from(config: &git2::Config) -> Option<Author> {
    let name = config
        .get_string("user.name")
        .ok()
        .filter(|n| !n.trim().is_empty())?;
    let email = config.get_string("user.email").unwrap_or_default();
    Some(Author { name, email })
}

fn parse_record(text: &str, id: &str) -> Result<Incident, StoreError> {
    parse_incident(text, &relative_record_path(id))
}

/// A record must sit at its own path: `incidents/<year>/<id>.yaml` holding `id: <id>`. Otherwise a
/// change to it would be written to (and overwrite) another incident's file.
fn check_record_id<R: Record>(record: &R, file_id: &str) -> Result<(), StoreError> {
    let id = record.record_id();
    if id == file_id {
        return Ok(());
    }
    Err(StoreError::MisplacedRecord {
        path: relative_record_path(file_id),
        id: id.to_string(),
    })
}

/// A record as every reader needs it: parsed (errors name `shown_as` and the line), with the entry
/// IDs of records written before they existed filled in.
fn parse_incident(text: &str, shown_as: &Path) -> Result<Incident, StoreError> {
    let mut incident: Incident = yaml::parse(text, shown_as)?;
    incident.fill_entry_ids();
    Ok(incident)
}

fn relative_record_path(id: &str) -> PathBuf {
    in_year_folder(INCIDENTS_DIR, id)
}

/// `<dir>/<year>/<id>.yaml`, the year being [`year_folder`]'s.
fn in_year_folder(dir: &str, id: &str) -> PathBuf {
    let mut path = String::new();
    push_in_year_folder(dir, id, &mut path);
    PathBuf::from(path)
}

/// [`in_year_folder`] appended to a string: the one place the layout is spelt out.
fn push_in_year_folder(dir: &str, id: &str, out: &mut String) {
    use std::path::MAIN_SEPARATOR_STR as SEP;
    for part in [dir, SEP, year_folder(id), SEP, id, ".yaml"] {
        out.push_str(part);
    }
}

/// The folder a record's year puts it in: the ID's first four characters, else `other`.
/// `path` made absolute with `.` and `..` taken away as written and its longest existing prefix
/// resolved (symbolic links included), the rest appended: a folder about to be created compares
/// like one that exists.
fn resolve_existing_prefix(path: &Path) -> PathBuf {
    use std::path::Component;
    let absolute = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let mut plain = PathBuf::new();
    for part in absolute.components() {
        match part {
            Component::CurDir => {}
            Component::ParentDir => {
                plain.pop();
            }
            other => plain.push(other),
        }
    }
    let mut rest = Vec::new();
    let mut existing = plain.as_path();
    loop {
        if let Ok(real) = fs::canonicalize(existing) {
            return rest
                .iter()
                .rev()
                .fold(real, |p: PathBuf, part| p.join(part));
        }
        match (existing.parent(), existing.file_name()) {
            (Some(parent), Some(name)) => {
                rest.push(name.to_owned());
                existing = parent;
            }
            _ => return plain,
        }
    }
}

fn year_folder(id: &str) -> &str {
    id.get(..4)
        .filter(|y| y.chars().all(|c| c.is_ascii_digit()))
        .unwrap_or("other")
}

fn resolve_among(ids: &[String], query: &str) -> Result<String, StoreError> {
    if ids.iter().any(|id| id == query) {
        return Ok(query.to_string());
    }
    // The whole slug, then the start of a slug (what tables show on a terminal), then a prefix,
    // then any part.
    for matcher in [
        (|id: &str, q: &str| short_id(id) == q) as fn(&str, &str) -> bool,
        |id: &str, q: &str| short_id(id).starts_with(q),
        |id: &str, q: &str| id.starts_with(q),
        |id: &str, q: &str| id.contains(q),
    ] {
        let found: Vec<&String> = ids.iter().filter(|id| matcher(id, query)).collect();
        match found.len() {
            0 => continue,
            1 => return Ok(found[0].clone()),
            _ => {
                return Err(StoreError::AmbiguousIncident {
                    query: query.to_string(),
                    candidates: found.into_iter().cloned().collect(),
                });
            }
        }
    }
    Err(StoreError::UnknownIncident {
        query: query.to_string(),
        suggestions: closest(ids, query),
    })
}

/// An ID without its `YYYY-MM-DD-` date: the part people say (`checkout-down`), and what `list`
/// shows on a terminal where it names one incident alone.
pub fn short_id(id: &str) -> &str {
    let dated = id.len() > 11
        && id.as_bytes()[..11]
            .iter()
            .enumerate()
            .all(|(n, b)| match n {
                4 | 7 | 10 => *b == b'-',
                _ => b.is_ascii_digit(),
            });
    if dated { &id[11..] } else { id }
}

/// How tables on a terminal name incidents, as git abbreviates hashes: the shortest start of the
/// slug, cut at a word and at least [`ShortIds::MIN`] characters long, that no other record's slug
/// starts with (`checkout#2` rather than `2026-12-01-checkout-api-returns-502#2`). A slug that is
/// the start of another is shown whole, and one that two records share keeps its date: each form
/// is what [`resolve_among`] takes back to exactly that incident.
pub struct ShortIds(std::collections::HashMap<String, String>);

impl ShortIds {
    /// Shorter than this, a word of the slug says too little to be recognised at a glance.
    pub const MIN: usize = 8;

    pub fn of(store: &Store) -> ShortIds {
        ShortIds::among(store.incident_ids().unwrap_or_default())
    }

    /// The same for maintenance windows, which [`Store::resolve_maintenance`] takes back alike.
    pub fn of_maintenance(store: &Store) -> ShortIds {
        ShortIds::among(store.maintenance_ids().unwrap_or_default())
    }

    fn among(ids: Vec<String>) -> ShortIds {
        let mut slugs: Vec<(&str, &str)> =
            ids.iter().map(|id| (short_id(id), id.as_str())).collect();
        slugs.sort_unstable();
        let common =
            |a: &str, b: &str| a.bytes().zip(b.bytes()).take_while(|(x, y)| x == y).count();
        let mut shown = std::collections::HashMap::with_capacity(slugs.len());
        for (n, (slug, id)) in slugs.iter().enumerate() {
            let before = n.checked_sub(1).map(|p| slugs[p].0);
            let after = slugs.get(n + 1).map(|s| s.0);
            let shared = before
                .iter()
                .chain(after.iter())
                .map(|o| common(slug, o))
                .max()
                .unwrap_or(0);
            let name = if before == Some(slug) || after == Some(slug) {
                id.to_string()
            } else {
                // Cut after the first word boundary past what is shared and past the minimum.
                let need = (shared + 1).max(Self::MIN.min(slug.len()));
                let cut = slug[need.min(slug.len())..]
                    .find('-')
                    .map_or(slug.len(), |i| i + need);
                slug[..cut].to_string()
            };
            shown.insert(id.to_string(), name);
        }
        ShortIds(shown)
    }

    pub fn shown(&self, id: &str) -> String {
        self.0.get(id).cloned().unwrap_or_else(|| id.to_string())
    }
}

/// Up to three IDs closest to a mistyped one: by edit distance to the whole ID, to the start of its
/// slug and to each word of it, since people type `checkuot` meaning `...-checkout-down`.
fn closest(ids: &[String], query: &str) -> Vec<String> {
    let limit = (query.chars().count() / 3).max(1);
    let mut scored: Vec<(usize, &String)> = ids
        .iter()
        .filter_map(|id| {
            let slug = id.get(11..).unwrap_or(id);
            let head: String = slug.chars().take(query.chars().count()).collect();
            let best = slug
                .split('-')
                .map(|word| edit_distance(word, query))
                .chain([
                    edit_distance(id, query),
                    edit_distance(slug, query),
                    edit_distance(&head, query),
                ])
                .min()?;
            (best <= limit).then_some((best, id))
        })
        .collect();
    scored.sort();
    scored
        .into_iter()
        .take(3)
        .map(|(_, id)| id.clone())
        .collect()
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = if ca == *cb {
                prev
            } else {
                1 + prev.min(cur).min(row[j])
            };
            prev = cur;
        }
    }
    row[b.len()]
}

/// The IDs of the `<year>/<id>.yaml` files under `dir`, sorted (none when `dir` does not exist).
fn ids_in_year_folders(dir: &Path) -> Result<Vec<String>> {
    let mut ids = Vec::new();
    let years = match fs::read_dir(dir) {
        Ok(years) => years,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(ids),
        Err(e) => return Err(e).with_context(|| format!("cannot list `{}`", dir.display())),
    };
    for year in years {
        let year = year?;
        if !year.file_type()?.is_dir() {
            continue;
        }
        ids.extend(ids_in_folder(&year.path())?);
    }
    ids.sort();
    Ok(ids)
}

/// The record IDs in one year folder: its `*.yaml` files not hidden, sorted.
fn ids_in_folder(folder: &Path) -> Result<Vec<String>> {
    let mut ids = Vec::new();
    for file in
        fs::read_dir(folder).with_context(|| format!("cannot list `{}`", folder.display()))?
    {
        let name = file?.file_name();
        let name = name.to_string_lossy();
        if let Some(id) = name.strip_suffix(".yaml")
            && !id.starts_with('.')
        {
            ids.push(id.to_string());
        }
    }
    ids.sort();
    Ok(ids)
}

/// `f` over `ids` on all cores (at most 8 threads), in order.
fn par_map_ids<U: Send>(ids: &[String], f: impl Fn(&String) -> U + Sync) -> Vec<U> {
    use rayon::prelude::*;
    // A record parses in ~20 µs: below 32 a thread is not worth starting.
    ids.par_iter().with_min_len(32).map(&f).collect()
}

/// Temporary file in the same folder, fsync, rename: a crash leaves the old file or the new one,
/// never half of either. A new file gets the mode the umask gives (0644 under 022) and an existing
/// file keeps its mode, so a web server running as another user can read what `publish` wrote.
pub fn write_atomically(path: &Path, content: &[u8]) -> Result<()> {
    write_atomically_via(path, &[content], None, Durability::Synced)
}

/// [`write_atomically`] without the fsync: readers still see the old file or the new one, never
/// half of either, but a power cut may lose the new content. For output that is rebuilt from the
/// repo on the next run (`publish`), where thousands of fsyncs would cost seconds.
pub fn replace_file(path: &Path, content: &[u8]) -> Result<()> {
    write_atomically_via(path, &[content], None, Durability::Renamed)
}

/// [`replace_file`] with the content in pieces (a header and a 28 MB body), so no copy of the
/// whole is made.
pub fn replace_file_parts(path: &Path, parts: &[&[u8]]) -> Result<()> {
    write_atomically_via(path, parts, None, Durability::Renamed)
}

/// [`write_atomically`] with the temporary file made in `temp_dir` when given (on the same file
/// system; else beside the target).
/// How far a replaced file is made to last.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Durability {
    /// Written, synced to disk, then renamed: a power cut leaves the old file or the new one.
    Synced,
    /// Written and renamed: readers see the old file or the new one, but a power cut may lose the
    /// new content (for output rebuilt from the repo).
    Renamed,
}

fn write_atomically_via(
    path: &Path,
    content: &[&[u8]],
    temp_dir: Option<&Path>,
    durable: Durability,
) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let dir = path
        .parent()
        .ok_or_else(|| anyhow!("`{}` has no parent folder", path.display()))?;
    fs::create_dir_all(dir).with_context(|| format!("cannot create `{}`", dir.display()))?;
    let existing_mode = fs::metadata(path).ok().map(|m| m.permissions().mode());
    let make = |in_dir: &Path| {
        tempfile::Builder::new()
            .prefix(".incident-")
            .suffix(".tmp")
            .permissions(fs::Permissions::from_mode(0o666))
            .tempfile_in(in_dir)
            .with_context(|| format!("cannot create a temporary file in `{}`", in_dir.display()))
    };
    let mut tmp = make(temp_dir.unwrap_or(dir))?;
    for part in content {
        tmp.write_all(part)?;
    }
    if durable == Durability::Synced {
        tmp.as_file().sync_all()?;
    }
    if let Some(mode) = existing_mode {
        tmp.as_file()
            .set_permissions(fs::Permissions::from_mode(mode))?;
    }
    match tmp.persist(path) {
        Ok(_) => Ok(()),
        Err(e) if e.error.raw_os_error() == Some(18) && temp_dir.is_some() => {
            // EXDEV: the git folder is on another file system; go the plain way.
            drop(e);
            write_atomically_via(path, content, None, durable)
        }
        Err(e) => Err(e.error).with_context(|| format!("cannot write `{}`", path.display())),
    }
}

/// libgit2 re-validates every object a new tree points at; our trees only ever point at objects we
/// just wrote or that HEAD already holds, and the check costs ~80 ms on a folder of 10,000 files.
/// It also re-hashes every object it reads, which was 70 % of `history` on a large repo; git itself
/// does neither on these paths (`git fsck` is the integrity check).
fn tune_libgit2() {
    git2::opts::strict_object_creation(false);
    git2::opts::strict_hash_verification(false);
}

/// Refuses to touch a repo in the middle of a merge or rebase: committing then would bury it.
pub fn ensure_no_operation_in_progress(store: &Store) -> Result<()> {
    use git2::RepositoryState as S;
    let what = match store.repo.state() {
        S::Clean => return Ok(()),
        S::Merge => "merge",
        S::Revert | S::RevertSequence => "revert",
        S::CherryPick | S::CherryPickSequence => "cherry-pick",
        S::Rebase | S::RebaseInteractive | S::RebaseMerge => "rebase",
        S::ApplyMailbox | S::ApplyMailboxOrRebase => "am",
        S::Bisect => bail!(
            "the incident repo is in the middle of a git bisect; end it with `git bisect reset` first"
        ),
    };
    bail!(
        "the incident repo is in the middle of a git {what}; finish it (`git {what} --continue`) or abort it (`git {what} --abort`) first"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids() -> Vec<String> {
        [
            "2026-11-20-db-latency",
            "2026-11-25-checkout-down",
            "2026-11-25-checkout-slow",
        ]
        .map(String::from)
        .to_vec()
    }

    #[test]
    fn prefix_then_substring_resolution() {
        assert_eq!(
            resolve_among(&ids(), "2026-11-20").unwrap(),
            "2026-11-20-db-latency"
        );
        assert_eq!(
            resolve_among(&ids(), "latency").unwrap(),
            "2026-11-20-db-latency"
        );
        assert_eq!(
            resolve_among(&ids(), "down").unwrap(),
            "2026-11-25-checkout-down"
        );
        match resolve_among(&ids(), "checkout") {
            Err(StoreError::AmbiguousIncident { candidates, .. }) => {
                assert_eq!(candidates.len(), 2)
            }
            other => panic!(
                "expected ambiguity, got {:?}",
                other.map_err(|e| e.to_string())
            ),
        }
    }

    #[test]
    fn tables_name_incidents_by_the_shortest_start_that_takes_them_back() {
        let ids: Vec<String> = [
            "2026-11-20-db-latency",
            "2026-11-25-checkout-down",
            "2026-11-25-checkout-slow",
            "2026-11-26-checkout",
            "2026-11-27-payments-api-returns-502-for-cards",
            "2026-11-28-payments-api-slow",
            "2026-10-01-dns-outage",
            "2026-11-01-dns-outage",
            "legacy-import",
        ]
        .map(String::from)
        .to_vec();
        let short = ShortIds::among(ids.clone());
        let shown: Vec<String> = ids.iter().map(|id| short.shown(id)).collect();
        assert_eq!(
            shown,
            [
                "db-latency",
                "checkout-down",
                "checkout-slow",
                "checkout",
                "payments-api-returns",
                "payments-api-slow",
                "2026-10-01-dns-outage",
                "2026-11-01-dns-outage",
                "legacy-import",
            ]
        );
        for (id, name) in ids.iter().zip(&shown) {
            assert_eq!(&resolve_among(&ids, name).unwrap(), id, "{name}");
        }
        // One incident alone: its first word, if that is long enough to be read.
        let one = ShortIds::among(vec!["2026-12-01-checkout-api-returns-502".into()]);
        assert_eq!(one.shown("2026-12-01-checkout-api-returns-502"), "checkout");
        let one = ShortIds::among(vec!["2026-12-01-db-is-down".into()]);
        assert_eq!(one.shown("2026-12-01-db-is-down"), "db-is-down");
    }

    #[test]
    fn unknown_ids_suggest_the_closest() {
        match resolve_among(&ids(), "checkuot") {
            Err(StoreError::UnknownIncident { suggestions, .. }) => {
                assert_eq!(suggestions.len(), 2)
            }
            other => panic!("unexpected {:?}", other.map_err(|e| e.to_string())),
        }
        match resolve_among(&ids(), "db-latancy") {
            Err(StoreError::UnknownIncident { suggestions, .. }) => {
                assert_eq!(suggestions, ["2026-11-20-db-latency"]);
            }
            other => panic!("unexpected {:?}", other.map_err(|e| e.to_string())),
        }
    }

    #[test]
    fn records_go_in_year_folders() {
        assert_eq!(
            relative_record_path("2026-11-25-x"),
            Path::new("incidents/2026/2026-11-25-x.yaml")
        );
    }
}
