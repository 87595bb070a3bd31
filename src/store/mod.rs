//! The incident repo on disk: the only code that reads or writes files and talks to git.
//!
//! Every change is one call to [`Store::update`] or [`Store::create`]: take the repo lock, read the
//! record, apply the change, write the file atomically, commit just that file. Nothing here prints.

mod error;
mod git;
mod sync;
mod yaml;

pub use error::StoreError;
use git::CommitMessage;
pub use git::{Author, HistoryEntry, TrailerHit};
pub use sync::{GITATTRIBUTES_LINE, GitFailed, SyncOptions, SyncReport, merge_files};

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
}

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

pub enum InitOutcome {
    Created { root: PathBuf, commit: String },
    AlreadyInitialized { root: PathBuf },
}

/// Held while a command reads, changes and commits, so concurrent commands on one repo queue up
/// instead of losing each other's events. Released on drop.
pub struct RepoLock {
    _file: File,
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
        let config_path = root.join(CONFIG_FILE);
        let text = fs::read_to_string(&config_path)
            .with_context(|| format!("cannot read `{}`", config_path.display()))?;
        let config: Config = yaml::parse(&text, Path::new(CONFIG_FILE))?;
        Ok(Store {
            root,
            prefix,
            repo,
            config,
        })
    }

    /// Makes `dir` an incident repo: `git init` where needed, the policy file and `incidents/`, one
    /// commit. A second run changes nothing.
    pub fn init(
        dir: &Path,
        config: &Config,
        author: &Author,
        now: DateTime<Utc>,
    ) -> Result<InitOutcome> {
        tune_libgit2();
        fs::create_dir_all(dir).with_context(|| format!("cannot create `{}`", dir.display()))?;
        let root = fs::canonicalize(dir)?;
        if root.join(CONFIG_FILE).is_file() {
            return Ok(InitOutcome::AlreadyInitialized { root });
        }
        let repo = match Repository::discover(&root) {
            Ok(repo) if repo.workdir().is_some() => repo,
            _ => Repository::init(&root)
                .with_context(|| format!("`git init` failed in `{}`", root.display()))?,
        };
        let workdir = fs::canonicalize(repo.workdir().unwrap_or(&root))?;
        let prefix = root
            .strip_prefix(&workdir)
            .unwrap_or(Path::new(""))
            .to_path_buf();
        let config_text = yaml::to_string(config)?;
        let keep = root.join(INCIDENTS_DIR).join(".gitkeep");
        fs::create_dir_all(root.join(INCIDENTS_DIR))?;
        write_atomically(&root.join(CONFIG_FILE), config_text.as_bytes())?;
        if !keep.exists() {
            write_atomically(&keep, b"")?;
        }
        // In the incident repo's own folder, so the pattern is relative to it.
        let attributes_path = root.join(".gitattributes");
        let mut attributes = fs::read_to_string(&attributes_path).unwrap_or_default();
        if !attributes.lines().any(|l| l.trim() == GITATTRIBUTES_LINE) {
            if !attributes.is_empty() && !attributes.ends_with('\n') {
                attributes.push('\n');
            }
            attributes.push_str(GITATTRIBUTES_LINE);
            attributes.push('\n');
            write_atomically(&attributes_path, attributes.as_bytes())?;
        }
        let files: Vec<(PathBuf, Vec<u8>)> = vec![
            (prefix.join(CONFIG_FILE), config_text.into_bytes()),
            (prefix.join(INCIDENTS_DIR).join(".gitkeep"), Vec::new()),
            (prefix.join(".gitattributes"), attributes.into_bytes()),
        ];
        let refs: Vec<(&Path, &[u8])> = files
            .iter()
            .map(|(p, c)| (p.as_path(), c.as_slice()))
            .collect();
        let message = format!(
            "Set up incident repo for {}\n\nEvent: init\n",
            config.organisation
        );
        let oid = git::commit_files(&repo, &refs, &message, author, now)?;
        Ok(InitOutcome::Created {
            root,
            commit: git::oid_short(oid),
        })
    }

    pub fn root(&self) -> &Path {
        &self.root
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
    pub fn incident_ids(&self) -> Result<Vec<String>> {
        let dir = self.root.join(INCIDENTS_DIR);
        let mut ids = Vec::new();
        let years = match fs::read_dir(&dir) {
            Ok(years) => years,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(ids),
            Err(e) => return Err(e).with_context(|| format!("cannot list `{}`", dir.display())),
        };
        for year in years {
            let year = year?;
            if !year.file_type()?.is_dir() {
                continue;
            }
            for file in fs::read_dir(year.path())? {
                let name = file?.file_name();
                let name = name.to_string_lossy();
                if let Some(id) = name.strip_suffix(".yaml")
                    && !id.starts_with('.')
                {
                    ids.push(id.to_string());
                }
            }
        }
        ids.sort();
        Ok(ids)
    }

    /// Turns what the user typed into one ID: exact, else a unique prefix, else a unique substring.
    pub fn resolve(&self, query: &str) -> Result<String> {
        model::check_name("incident ID", query).map_err(|e| anyhow!(e))?;
        let ids = self.incident_ids()?;
        resolve_among(&ids, query).map_err(Into::into)
    }

    pub fn load(&self, id: &str) -> Result<Incident> {
        Ok(parse_record(&self.read_record(id)?, id)?)
    }

    fn read_record(&self, id: &str) -> Result<String> {
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
    pub fn load_all_as<T: DeserializeOwned + Send>(&self) -> Result<Vec<Result<T, StoreError>>> {
        self.load_all_mapped(|record: T| record)
    }

    /// Reads every record as `T` and passes each through `keep` on the reading thread, so only what
    /// `keep` returns is ever held for all records at once (`stats` drops the texts it does not read).
    pub fn load_all_mapped<T, U, F>(&self, keep: F) -> Result<Vec<Result<U, StoreError>>>
    where
        T: DeserializeOwned,
        U: Send,
        F: Fn(T) -> U + Sync,
    {
        let ids = self.incident_ids()?;
        let workers = std::thread::available_parallelism()
            .map_or(1, |n| n.get())
            .min(8);
        let chunk = ids.len().div_ceil(workers).max(1);
        let mut out = Vec::with_capacity(ids.len());
        let root = self.root.as_path();
        let keep = &keep;
        std::thread::scope(|scope| {
            let handles: Vec<_> = ids
                .chunks(chunk)
                .map(|part| {
                    scope.spawn(move || {
                        part.iter()
                            .map(|id| {
                                let rel = relative_record_path(id);
                                match fs::read_to_string(root.join(&rel)) {
                                    Ok(text) => yaml::parse::<T>(&text, &rel).map(&keep),
                                    Err(e) => Err(StoreError::Parse {
                                        path: rel,
                                        line: None,
                                        message: e.to_string(),
                                    }),
                                }
                            })
                            .collect::<Vec<_>>()
                    })
                })
                .collect();
            for h in handles {
                out.extend(h.join().expect("a record reader panicked"));
            }
        });
        Ok(out)
    }

    /// Takes the repo-wide lock, waiting for any other `incident` process to finish its change.
    pub fn lock(&self) -> Result<RepoLock> {
        let path = self.repo.path().join("incident.lock");
        let file = fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .with_context(|| format!("cannot open lock file `{}`", path.display()))?;
        file.lock()
            .with_context(|| format!("cannot lock `{}`", path.display()))?;
        Ok(RepoLock { _file: file })
    }

    /// Writes a new incident under a free ID (adding `-2`, `-3`, ... when the ID is taken) and commits it.
    pub fn create(
        &self,
        mut incident: Incident,
        author: &Author,
        now: DateTime<Utc>,
    ) -> Result<Saved> {
        model::check_name("incident ID", &incident.id).map_err(|e| anyhow!(e))?;
        let _lock = self.lock()?;
        ensure_no_operation_in_progress(self)?;
        let base = incident.id.clone();
        let mut n = 1;
        while self.path_of(&incident.id).exists() {
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
        let text = yaml::to_string(&incident)?;
        self.write_and_commit(incident, text, &change, author, now)
    }

    /// Applies `apply` to the current record under the lock and commits the result. When `apply`
    /// fails, nothing is written.
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
        let _lock = self.lock()?;
        ensure_no_operation_in_progress(self)?;
        let before = self.read_record(id)?;
        let mut incident = parse_record(&before, id)?;
        let change = apply(&mut incident)?;
        let text = yaml::to_string_like(&incident, &before)?;
        self.write_and_commit(incident, text, &change, author, now)
    }

    fn write_and_commit(
        &self,
        incident: Incident,
        text: String,
        change: &Change,
        author: &Author,
        now: DateTime<Utc>,
    ) -> Result<Saved> {
        let rel = relative_record_path(&incident.id);
        let commit = self.write_and_commit_file(&incident.id, &rel, &text, change, author, now)?;
        Ok(Saved { incident, commit })
    }

    /// Writes a document that belongs to an incident (its post-mortem) and commits just that file.
    pub fn commit_document(
        &self,
        incident: &str,
        rel: &Path,
        content: &str,
        change: &Change,
        author: &Author,
        now: DateTime<Utc>,
    ) -> Result<String> {
        let _lock = self.lock()?;
        self.write_and_commit_file(incident, rel, content, change, author, now)
    }

    /// The one way a change lands: write `rel` (relative to the incident repo) atomically, then
    /// commit only that file with the `<id>: <event>` message. The caller holds the lock.
    fn write_and_commit_file(
        &self,
        incident: &str,
        rel: &Path,
        content: &str,
        change: &Change,
        author: &Author,
        now: DateTime<Utc>,
    ) -> Result<String> {
        write_atomically(&self.root.join(rel), content.as_bytes())?;
        let message = CommitMessage {
            incident,
            event_kind: &change.kind,
            summary: &change.summary,
        }
        .render();
        let oid = git::commit_files(
            &self.repo,
            &[(&self.prefix.join(rel), content.as_bytes())],
            &message,
            &self.with_email(author),
            now,
        )?;
        Ok(git::oid_short(oid))
    }

    /// Commits reachable from HEAD carrying a `key:` trailer (e.g. `Closes-Action`), oldest first.
    pub fn trailer_hits(&self, key: &str) -> Result<Vec<TrailerHit>> {
        git::trailer_hits(&self.repo, key)
    }

    /// Where `postmortem --commit` puts an incident's post-mortem.
    pub fn postmortem_path(&self, id: &str) -> PathBuf {
        self.root.join(POSTMORTEMS_DIR).join(format!("{id}.md"))
    }

    /// The path of a record relative to the incident repo, as findings and messages name it.
    pub fn record_file(&self, id: &str) -> String {
        relative_record_path(id).display().to_string()
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

    /// The incident's audit trail from `git log`, newest first.
    pub fn history(&self, id: &str) -> Result<Vec<HistoryEntry>> {
        git::history(&self.repo, &self.git_path_of(id))
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

/// A record as every reader needs it: parsed (errors name `shown_as` and the line), with the entry
/// IDs of records written before they existed filled in.
fn parse_incident(text: &str, shown_as: &Path) -> Result<Incident, StoreError> {
    let mut incident: Incident = yaml::parse(text, shown_as)?;
    incident.fill_entry_ids();
    Ok(incident)
}

fn relative_record_path(id: &str) -> PathBuf {
    let year = id
        .get(..4)
        .filter(|y| y.chars().all(|c| c.is_ascii_digit()))
        .unwrap_or("other");
    Path::new(INCIDENTS_DIR)
        .join(year)
        .join(format!("{id}.yaml"))
}

fn resolve_among(ids: &[String], query: &str) -> Result<String, StoreError> {
    if ids.iter().any(|id| id == query) {
        return Ok(query.to_string());
    }
    for matcher in [
        (|id: &str, q: &str| id.starts_with(q)) as fn(&str, &str) -> bool,
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

/// Temporary file in the same folder, fsync, rename: a crash leaves the old file or the new one,
/// never half of either.
pub fn write_atomically(path: &Path, content: &[u8]) -> Result<()> {
    let dir = path
        .parent()
        .ok_or_else(|| anyhow!("`{}` has no parent folder", path.display()))?;
    fs::create_dir_all(dir).with_context(|| format!("cannot create `{}`", dir.display()))?;
    let mut tmp = tempfile::Builder::new()
        .prefix(".incident-")
        .suffix(".tmp")
        .tempfile_in(dir)
        .with_context(|| format!("cannot create a temporary file in `{}`", dir.display()))?;
    tmp.write_all(content)?;
    tmp.as_file().sync_all()?;
    tmp.persist(path)
        .map_err(|e| e.error)
        .with_context(|| format!("cannot write `{}`", path.display()))?;
    Ok(())
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
