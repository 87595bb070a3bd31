//! The git side of the store: one commit per change holding only the changed file, and the history.

use anyhow::{Context, Result};
use chrono::{DateTime, Utc};
use git2::{Oid, Repository, Signature, Time};
use std::path::Path;

/// Who a change is attributed to: the commit author and the `by` of the event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Author {
    pub name: String,
    pub email: String,
}

impl Author {
    /// Reads `Name <email>` or a bare name (e-mail then left empty).
    pub fn parse(text: &str) -> Author {
        let text = text.trim();
        if let (Some(open), true) = (text.find('<'), text.ends_with('>')) {
            return Author {
                name: text[..open].trim().to_string(),
                email: text[open + 1..text.len() - 1].trim().to_string(),
            };
        }
        Author {
            name: text.to_string(),
            email: String::new(),
        }
    }
}

/// What one commit says: `<id>: <event>` and the trailers tools can filter on.
pub struct CommitMessage<'a> {
    /// The trailer naming what changed: `Incident`, or `Maintenance` for a maintenance window.
    pub key: &'a str,
    pub incident: &'a str,
    pub event_kind: &'a str,
    pub summary: &'a str,
}

impl CommitMessage<'_> {
    pub fn render(&self) -> String {
        let first_line = self.summary.lines().next().unwrap_or("").trim();
        format!(
            "{}: {first_line}\n\n{}: {}\nEvent: {}\n",
            self.incident, self.key, self.incident, self.event_kind
        )
    }
}

/// Writes a commit object (signed when the repo's git config asks for it) without moving any ref:
/// the caller moves the branch, so a failure before that leaves nothing reachable.
pub fn write_commit(
    repo: &Repository,
    author: &Author,
    at: DateTime<Utc>,
    message: &str,
    tree: &git2::Tree,
    parents: &[&git2::Commit],
    home: Option<&std::path::Path>,
) -> Result<Oid> {
    let sig = signature(author, at)?;
    let config = repo.config()?.snapshot()?;
    if !config.get_bool("commit.gpgsign").unwrap_or(false) {
        return repo
            .commit(None, &sig, &sig, message, tree, parents)
            .context("could not write the commit");
    }
    let buffer = repo.commit_create_buffer(&sig, &sig, message, tree, parents)?;
    let buffer = std::str::from_utf8(&buffer).context("the commit is not UTF-8")?;
    let signature = super::signing::sign(&config, buffer, &sig, home)?;
    repo.commit_signed(buffer, &signature, None)
        .context("could not write the signed commit")
}

/// HEAD's commit, or `None` in a repo with no commits yet.
/// `tree` with the existing regular file at `path` (components) pointing at blob `blob`: the raw
/// tree objects on the way are patched in place, 20 bytes each, rather than parsed, sorted and
/// rebuilt (a year folder of 33,000 records made that most of a commit's cost). `None` when the
/// path is not an existing regular file, for the caller's general way.
pub fn tree_with_blob(
    repo: &Repository,
    tree: Oid,
    path: &[&[u8]],
    blob: Oid,
) -> Result<Option<Oid>> {
    let Some((name, below)) = path.split_first() else {
        return Ok(None);
    };
    let odb = repo.odb()?;
    let object = odb.read(tree)?;
    if object.kind() != git2::ObjectType::Tree {
        return Ok(None);
    }
    let mut data = object.data().to_vec();
    drop(object);
    let Some((mode, at)) = find_tree_entry(&data, name) else {
        return Ok(None);
    };
    let replacement = match (mode, below.is_empty()) {
        (b"100644" | b"100755", true) => blob,
        (b"40000", false) => {
            let sub = Oid::from_bytes(&data[at..at + 20])?;
            match tree_with_blob(repo, sub, below, blob)? {
                Some(id) => id,
                None => return Ok(None),
            }
        }
        _ => return Ok(None),
    };
    data[at..at + 20].copy_from_slice(replacement.as_bytes());
    Ok(Some(odb.write(git2::ObjectType::Tree, &data)?))
}

/// The mode of entry `name` in raw tree data and where its 20-byte ID starts.
fn find_tree_entry<'a>(data: &'a [u8], name: &[u8]) -> Option<(&'a [u8], usize)> {
    let mut at = 0;
    while at < data.len() {
        let space = at + data[at..].iter().position(|b| *b == b' ')?;
        let nul = space + data[space..].iter().position(|b| *b == 0)?;
        let id = nul + 1;
        if id + 20 > data.len() {
            return None;
        }
        if &data[space + 1..nul] == name {
            return Some((&data[at..space], id));
        }
        at = id + 20;
    }
    None
}

/// The paths that differ between two trees (under `under` when given), as `git diff --name-only`
/// lists them: a deleted file by its old path.
pub fn changed_paths(
    repo: &Repository,
    from: &git2::Tree,
    to: &git2::Tree,
    under: Option<&Path>,
) -> Result<Vec<std::path::PathBuf>> {
    let mut options = git2::DiffOptions::new();
    if let Some(under) = under {
        options.pathspec(under);
    }
    let diff = repo.diff_tree_to_tree(Some(from), Some(to), Some(&mut options))?;
    Ok(diff
        .deltas()
        .filter_map(|d| {
            d.new_file()
                .path()
                .or(d.old_file().path())
                .map(Path::to_path_buf)
        })
        .collect())
}

pub fn head_commit(repo: &Repository) -> Result<Option<git2::Commit<'_>>> {
    match repo.head() {
        Ok(head) => Ok(Some(
            head.peel_to_commit()
                .context("HEAD does not point at a commit")?,
        )),
        Err(e)
            if e.code() == git2::ErrorCode::UnbornBranch
                || e.code() == git2::ErrorCode::NotFound =>
        {
            Ok(None)
        }
        Err(e) => Err(e).context("could not read HEAD of the incident repo"),
    }
}

/// The signature of every commit `incident` makes. libgit2 refuses an empty e-mail, so an author
/// without one gets `<name>@incident.invalid`: `.invalid` is reserved (RFC 2606) and reaches nobody.
pub fn signature(author: &Author, at: DateTime<Utc>) -> Result<Signature<'static>> {
    let email = if author.email.is_empty() {
        format!("{}@incident.invalid", crate::model::slugify(&author.name))
    } else {
        author.email.clone()
    };
    Signature::new(&author.name, &email, &Time::new(at.timestamp(), 0))
        .with_context(|| format!("`{}` is not a usable git author name", author.name))
}

/// One commit that changed an incident's file.
#[derive(Debug, Clone, serde::Serialize)]
pub struct HistoryEntry {
    pub commit: String,
    pub at: DateTime<Utc>,
    pub author: String,
    pub email: String,
    pub summary: String,
    /// The `Event:` trailer, absent on commits made by hand.
    pub event: Option<String>,
}

/// Commits that changed `path`, newest first, back to the commit that created the file.
///
/// Like `git log -- PATH`, a commit counts when its blob at `path` differs from its first parent's (for
/// a merge, from every parent's). Unlike it, only commits reachable through parents that hold the
/// file are read: a record's audit trail starts at its creation. Trees are compared level by level
/// and memoised by tree ID, so a commit that touched another year's folder costs two tiny tree
/// reads. This is the walk behind the history index (`history_index.rs`) and what runs with the
/// cache off.
pub fn history(repo: &Repository, path: &Path) -> Result<Vec<HistoryEntry>> {
    let Some(head) = head_commit(repo)? else {
        return Ok(Vec::new());
    };
    let mut probe = PathProbe::new(repo, path);
    if probe.blob_in(head.tree_id())?.is_none() {
        return Ok(Vec::new());
    }
    // Children always come before their parents (a clock that ran backwards cannot reorder the
    // trail), ties by commit time, as `git log --topo-order` lists them.
    let mut walk = repo.revwalk()?;
    walk.push(head.id())?;
    walk.set_sorting(git2::Sort::TOPOLOGICAL | git2::Sort::TIME)?;
    let mut wanted = std::collections::HashSet::from([head.id()]);
    let mut entries = Vec::new();
    for oid in walk {
        let oid = oid?;
        if !wanted.remove(&oid) {
            continue;
        }
        let commit = repo.find_commit(oid)?;
        let mine = probe.blob_in(commit.tree_id())?;
        let mut changed = true;
        for parent in commit.parents() {
            let theirs = probe.blob_in(parent.tree_id())?;
            if theirs == mine {
                changed = false;
            }
            if theirs.is_some() {
                wanted.insert(parent.id());
            }
        }
        if changed {
            entries.push(entry_of(&commit));
        }
        if wanted.is_empty() {
            break;
        }
    }
    Ok(entries)
}

pub(super) fn entry_of(commit: &git2::Commit) -> HistoryEntry {
    let message = String::from_utf8_lossy(commit.message_bytes()).into_owned();
    let author = commit.author();
    HistoryEntry {
        commit: oid_short(commit.id()),
        at: DateTime::from_timestamp(commit.time().seconds(), 0).unwrap_or_default(),
        author: String::from_utf8_lossy(author.name_bytes()).into_owned(),
        email: String::from_utf8_lossy(author.email_bytes()).into_owned(),
        summary: message.lines().next().unwrap_or("").to_string(),
        event: trailer(&message, "Event"),
    }
}

/// Finds the blob at one path in many trees, remembering every (depth, tree) it has resolved, since
/// consecutive commits share almost all of their subtrees.
struct PathProbe<'r> {
    repo: &'r Repository,
    components: Vec<Vec<u8>>,
    memo: std::collections::HashMap<(usize, Oid), Option<Oid>>,
}

impl<'r> PathProbe<'r> {
    fn new(repo: &'r Repository, path: &Path) -> PathProbe<'r> {
        let components = path
            .components()
            .map(|c| c.as_os_str().as_encoded_bytes().to_vec())
            .collect();
        PathProbe {
            repo,
            components,
            memo: Default::default(),
        }
    }

    fn blob_in(&mut self, root: Oid) -> Result<Option<Oid>> {
        self.resolve(0, root)
    }

    fn resolve(&mut self, depth: usize, tree_id: Oid) -> Result<Option<Oid>> {
        if let Some(found) = self.memo.get(&(depth, tree_id)) {
            return Ok(*found);
        }
        let tree = self.repo.find_tree(tree_id)?;
        let name = &self.components[depth];
        let child = tree.get_name_bytes(name).map(|e| (e.id(), e.kind()));
        let found = match child {
            None => None,
            Some((id, _)) if depth + 1 == self.components.len() => Some(id),
            Some((id, Some(git2::ObjectType::Tree))) => self.resolve(depth + 1, id)?,
            Some(_) => None,
        };
        self.memo.insert((depth, tree_id), found);
        Ok(found)
    }
}

/// A commit whose message carries a given trailer.
#[derive(Debug, Clone)]
pub struct TrailerHit {
    pub commit: String,
    pub at: DateTime<Utc>,
    pub subject: String,
    pub value: String,
}

/// Every `key: value` trailer in the history reachable from HEAD, oldest first.
pub fn trailer_hits(repo: &Repository, key: &str) -> Result<Vec<TrailerHit>> {
    let Some(head) = head_commit(repo)? else {
        return Ok(Vec::new());
    };
    let mut walk = repo.revwalk()?;
    walk.push(head.id())?;
    walk.set_sorting(git2::Sort::TOPOLOGICAL | git2::Sort::TIME | git2::Sort::REVERSE)?;
    let needle = format!("{}:", key.to_ascii_lowercase());
    let mut hits = Vec::new();
    for oid in walk {
        let commit = repo.find_commit(oid?)?;
        let message = String::from_utf8_lossy(commit.message_bytes());
        if !message.to_ascii_lowercase().contains(&needle) {
            continue;
        }
        for (_, value) in trailers(&message).filter(|(k, _)| k.eq_ignore_ascii_case(key)) {
            hits.push(TrailerHit {
                commit: oid_short(commit.id()),
                at: DateTime::from_timestamp(commit.time().seconds(), 0).unwrap_or_default(),
                subject: message.lines().next().unwrap_or("").to_string(),
                value: value.to_string(),
            });
        }
    }
    Ok(hits)
}

pub fn oid_short(oid: Oid) -> String {
    oid.to_string()[..10].to_string()
}

/// The `Key: value` lines of a commit message's last paragraph, trimmed.
fn trailers(message: &str) -> impl Iterator<Item = (&str, &str)> {
    let last = message.trim_end().rsplit("\n\n").next().unwrap_or("");
    last.lines().filter_map(|line| {
        let (k, v) = line.split_once(':')?;
        Some((k.trim(), v.trim()))
    })
}

/// The value of the `key` trailer (any case).
pub fn trailer(message: &str, key: &str) -> Option<String> {
    trailers(message)
        .find(|(k, _)| k.eq_ignore_ascii_case(key))
        .map(|(_, v)| v.to_string())
}

/// Runs a prepared `git` command, its output read on threads so a chatty git never blocks on a
/// full pipe; `None` when it had to be stopped at `deadline` (a slow network or remote).
pub fn output_until(
    mut git: std::process::Command,
    deadline: std::time::Instant,
) -> Result<Option<std::process::Output>> {
    let mut child = git
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .context("cannot run `git`: is it installed and on PATH?")?;
    let mut stdout = child.stdout.take().expect("piped");
    let mut stderr = child.stderr.take().expect("piped");
    let out_reader = std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = std::io::Read::read_to_end(&mut stdout, &mut buf);
        buf
    });
    let err_reader = std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = std::io::Read::read_to_end(&mut stderr, &mut buf);
        buf
    });
    let status = loop {
        if let Some(status) = child.try_wait()? {
            break status;
        }
        if std::time::Instant::now() >= deadline {
            // git itself; an ssh it started may hold the pipes a while longer, so the readers are
            // left to finish on their own rather than waited for.
            let _ = child.kill();
            let _ = child.wait();
            return Ok(None);
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    };
    Ok(Some(std::process::Output {
        status,
        stdout: out_reader.join().unwrap_or_default(),
        stderr: err_reader.join().unwrap_or_default(),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn author_parses_name_and_email() {
        assert_eq!(
            Author::parse("Alice Example <alice@example.com>"),
            Author {
                name: "Alice Example".into(),
                email: "alice@example.com".into()
            }
        );
        assert_eq!(Author::parse("bob").email, "");
    }

    #[test]
    fn message_has_trailers() {
        let msg = CommitMessage {
            key: "Incident",
            incident: "2026-11-25-x",
            event_kind: "note",
            summary: "db failover started\nsecond line",
        }
        .render();
        assert_eq!(
            msg,
            "2026-11-25-x: db failover started\n\nIncident: 2026-11-25-x\nEvent: note\n"
        );
        assert_eq!(trailer(&msg, "event").as_deref(), Some("note"));
        assert_eq!(trailer(&msg, "Incident").as_deref(), Some("2026-11-25-x"));
    }
}
