//! What was claimed and sent, kept in git refs so every clone and CI job agrees:
//! `refs/incident-notify/claims/<k>`, `.../sent/<k>` and `.../failed/<k>`, each pointing at a small
//! blob that says who, when and what (`<k>` is the SHA-1 of the notification key).
//!
//! With a remote, a sender claims a notification by *creating* its claim ref there (`git push`
//! without force): of several senders at once exactly one succeeds, and only that one sends. A claim
//! older than the claim timeout without a `sent` ref is taken over with `--force-with-lease` (the
//! sender died between claim and send): delivery is then at least once, and receivers can drop the
//! repeat by its idempotency key. Without a remote the same happens on local refs, which git updates
//! atomically. The user's own `git` does the network part (their ssh keys and credential helpers).

use anyhow::{Context, Result, bail};
use chrono::{DateTime, Duration, Utc};
use git2::{Oid, Repository};
use serde::{Deserialize, Serialize};
use sha1::{Digest, Sha1};
use std::path::{Path, PathBuf};
use std::process::Command;

const PREFIX: &str = "refs/incident-notify";

/// How old a lock file on a ledger ref must be to be a killed sender's: a live one holds it for
/// milliseconds.
const STALE_LOCK: std::time::Duration = std::time::Duration::from_secs(5);

#[derive(Debug, Serialize, Deserialize)]
pub struct Stamp {
    pub key: String,
    pub by: String,
    pub at: DateTime<Utc>,
    /// Makes every claim a different object, so two senders never push the same one.
    pub nonce: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

pub struct Ledger {
    repo: Repository,
    workdir: PathBuf,
    remote: Option<String>,
    sender: String,
    /// The hashed keys with a `sent` ref, read once: asking git ref by ref for every notification
    /// of a large repo would cost a file lookup each.
    sent: std::cell::RefCell<Option<std::collections::HashSet<String>>>,
}

/// What [`Ledger::claim`] found.
#[derive(Debug, PartialEq, Eq)]
pub enum Claim {
    /// This sender may send it now.
    Won,
    /// Sent already (by anyone).
    Sent,
    /// Another sender holds a fresh claim.
    Taken,
}

fn hashed(key: &str) -> String {
    Sha1::digest(key.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

impl Ledger {
    /// Opens the ledger of the repo at `dir`; `remote` is used when the repo has it. Reached
    /// through [`super::Store::ledger`].
    pub(super) fn open(dir: &Path, remote: &str, sender: String) -> Result<Ledger> {
        let repo = Repository::discover(dir).context("cannot open the incident repo's git repo")?;
        let workdir = repo
            .workdir()
            .map(Path::to_path_buf)
            .unwrap_or_else(|| dir.to_path_buf());
        let remote = repo.find_remote(remote).ok().map(|_| remote.to_string());
        Ok(Ledger {
            repo,
            workdir,
            remote,
            sender,
            sent: std::cell::RefCell::new(None),
        })
    }

    /// Brings the shared ledger in (`git fetch`), replacing local copies with the remote's.
    pub fn fetch(&self) -> Result<()> {
        self.sent.borrow_mut().take();
        let Some(remote) = &self.remote else {
            return Ok(());
        };
        let spec = format!("+{PREFIX}/*:{PREFIX}/*");
        let mut cleared = false;
        loop {
            let out = self.git(&["fetch", "--quiet", "--no-tags", remote, &spec])?;
            if out.status.success() {
                return Ok(());
            }
            let said = String::from_utf8_lossy(&out.stderr).trim().to_string();
            // A sender killed mid-update leaves git's lock on a ledger ref; only `incident`
            // writes those refs, so an old one is nobody's.
            let lock = said
                .split("Unable to create '")
                .nth(1)
                .and_then(|rest| rest.split('\'').next())
                .map(PathBuf::from);
            if let Some(lock) = &lock
                && !cleared
                && self.clear_stale_lock(lock)
            {
                cleared = true;
                continue;
            }
            let how = lock
                .map(|l| {
                    format!(
                        "; if no `incident notify` is running, remove the lock: `rm '{}'`",
                        l.display()
                    )
                })
                .unwrap_or_default();
            bail!("cannot fetch the notification ledger from `{remote}`: {said}{how}");
        }
    }

    /// Removes `lock` if it is a ledger ref's lock file older than [`STALE_LOCK`]: a sender holds
    /// one for a moment, so an old one was left by a sender that was killed.
    fn clear_stale_lock(&self, lock: &Path) -> bool {
        let ours = lock.strip_prefix(self.repo.path()).is_ok_and(|rel| {
            rel.starts_with(PREFIX) && rel.extension().is_some_and(|e| e == "lock")
        });
        let old = std::fs::metadata(lock)
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.elapsed().ok())
            .is_some_and(|age| age > STALE_LOCK);
        ours && old && std::fs::remove_file(lock).is_ok()
    }

    /// Runs `update` on the local ref `name`; a stale lock on it (see [`Ledger::clear_stale_lock`])
    /// is cleared and the update tried again, and a fresh one (a sender updating it this moment)
    /// waited for a little.
    fn update_ref(
        &self,
        name: &str,
        update: impl Fn() -> Result<(), git2::Error>,
    ) -> Result<(), git2::Error> {
        let lock = self.repo.path().join(format!("{name}.lock"));
        let start = std::time::Instant::now();
        loop {
            match update() {
                Err(e) if e.code() == git2::ErrorCode::Locked => {
                    if self.clear_stale_lock(&lock) {
                        continue;
                    }
                    if start.elapsed() > std::time::Duration::from_secs(1) {
                        return Err(e);
                    }
                    std::thread::sleep(std::time::Duration::from_millis(20));
                }
                done => return done,
            }
        }
    }

    fn git(&self, args: &[&str]) -> Result<std::process::Output> {
        Command::new("git")
            .args(args)
            .current_dir(&self.workdir)
            .stdin(std::process::Stdio::null())
            .output()
            .context("cannot run git")
    }

    fn reference(&self, kind: &str, key: &str) -> String {
        format!("{PREFIX}/{kind}/{}", hashed(key))
    }

    fn read(&self, name: &str) -> Option<(Oid, Stamp)> {
        let oid = self.repo.refname_to_id(name).ok()?;
        let blob = self.repo.find_blob(oid).ok()?;
        Some((oid, serde_json::from_slice(blob.content()).ok()?))
    }

    pub fn is_sent(&self, key: &str) -> bool {
        self.sent_contains(&hashed(key))
    }

    /// Whether the hashed key `k` has a `sent` ref (the set is read once).
    fn sent_contains(&self, k: &str) -> bool {
        let mut sent = self.sent.borrow_mut();
        let set = sent.get_or_insert_with(|| {
            let prefix = format!("{PREFIX}/sent/");
            self.repo
                .references_glob(&format!("{prefix}*"))
                .map(|refs| {
                    refs.flatten()
                        .filter_map(|r| {
                            r.name()
                                .ok()
                                .map(|n| n.trim_start_matches(&prefix).to_string())
                        })
                        .collect()
                })
                .unwrap_or_default()
        });
        set.contains(k)
    }

    /// Where `target`'s history starts: the `--since` of its first run, shared like the rest of the
    /// ledger, so a later run without `--since` never goes further back than the first one did.
    pub fn floor(&self, target: &str) -> Option<DateTime<Utc>> {
        self.read(&self.reference("floor", target))
            .map(|(_, s)| s.at)
    }

    /// Records `since` as `target`'s floor unless it has one.
    pub fn set_floor(&self, target: &str, since: DateTime<Utc>) -> Result<()> {
        if self.floor(target).is_some() {
            return Ok(());
        }
        let oid = self.stamp(target, since, Some("first run".into()))?;
        self.put(&self.reference("floor", target), oid, None)?;
        Ok(())
    }

    fn stamp(&self, key: &str, now: DateTime<Utc>, note: Option<String>) -> Result<Oid> {
        let nonce: String = {
            let mut h = Sha1::new();
            h.update(self.sender.as_bytes());
            h.update(now.to_rfc3339().as_bytes());
            h.update(std::process::id().to_le_bytes());
            h.update(
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(0, |d| d.as_nanos())
                    .to_le_bytes(),
            );
            h.finalize()
                .iter()
                .take(8)
                .map(|b| format!("{b:02x}"))
                .collect()
        };
        let stamp = Stamp {
            key: key.to_string(),
            by: self.sender.clone(),
            at: now,
            nonce,
            note,
        };
        Ok(self.repo.blob(&serde_json::to_vec(&stamp)?)?)
    }

    /// Points `name` at `oid` here and, with a remote, there: created only if absent, or moved
    /// from `lease` when given. False when someone else got there first.
    fn put(&self, name: &str, oid: Oid, lease: Option<Oid>) -> Result<bool> {
        if let Some(remote) = &self.remote {
            let spec = format!("{oid}:{name}");
            let lease_arg = lease.map(|old| format!("--force-with-lease={name}:{old}"));
            let mut args = vec!["push", "--quiet", "--porcelain"];
            if let Some(l) = &lease_arg {
                args.push(l);
            }
            args.push(remote);
            args.push(&spec);
            let out = self.git(&args)?;
            if !out.status.success() {
                let said = String::from_utf8_lossy(&out.stdout).to_string()
                    + &String::from_utf8_lossy(&out.stderr);
                if said.contains("rejected") || said.contains("stale info") {
                    return Ok(false);
                }
                bail!(
                    "cannot update the notification ledger on `{remote}`: {}",
                    said.trim()
                );
            }
            self.update_ref(name, || {
                self.repo
                    .reference(name, oid, true, "incident notify")
                    .map(|_| ())
            })
            .map_err(|e| self.locked(name, e))?;
            return Ok(true);
        }
        let done = self.update_ref(name, || {
            match lease {
                Some(old) => self
                    .repo
                    .reference_matching(name, oid, true, old, "incident notify"),
                None => self.repo.reference(name, oid, false, "incident notify"),
            }
            .map(|_| ())
        });
        match done {
            Ok(()) => Ok(true),
            // Someone else got there first, or is updating it right now.
            Err(e)
                if matches!(
                    e.code(),
                    git2::ErrorCode::Exists | git2::ErrorCode::Modified | git2::ErrorCode::Locked
                ) =>
            {
                Ok(false)
            }
            Err(e) => Err(e.into()),
        }
    }

    /// A lock that outlived the wait, said with the command that clears it.
    fn locked(&self, name: &str, e: git2::Error) -> anyhow::Error {
        if e.code() != git2::ErrorCode::Locked {
            return e.into();
        }
        let lock = self.repo.path().join(format!("{name}.lock"));
        anyhow::anyhow!(
            "the ledger ref `{name}` is locked; if no `incident notify` is running, remove the lock: `rm '{}'`",
            lock.display()
        )
    }

    /// Claims `key` for this sender: won, sent already, or held by a fresh claim of another.
    pub fn claim(&self, key: &str, now: DateTime<Utc>, timeout: Duration) -> Result<Claim> {
        if self.is_sent(key) {
            return Ok(Claim::Sent);
        }
        let name = self.reference("claims", key);
        let lease = match self.read(&name) {
            Some((_, held)) if held.at + timeout > now => return Ok(Claim::Taken),
            Some((oid, _)) => Some(oid),
            None => None,
        };
        let oid = self.stamp(key, now, None)?;
        Ok(if self.put(&name, oid, lease)? {
            Claim::Won
        } else {
            Claim::Taken
        })
    }

    /// Records the delivery, so no clone sends it again.
    pub fn mark_sent(&self, key: &str, now: DateTime<Utc>) -> Result<()> {
        let oid = self.stamp(key, now, None)?;
        self.put(&self.reference("sent", key), oid, None)?;
        if let Some(set) = self.sent.borrow_mut().as_mut() {
            set.insert(hashed(key));
        }
        Ok(())
    }

    /// Records why a delivery failed (shown by `notify --status`); the claim stays, so it is
    /// retried once the claim times out.
    pub fn mark_failed(&self, key: &str, now: DateTime<Utc>, why: &str) -> Result<()> {
        let name = self.reference("failed", key);
        let oid = self.stamp(key, now, Some(why.to_string()))?;
        let lease = self.read(&name).map(|(oid, _)| oid);
        self.put(&name, oid, lease)?;
        Ok(())
    }

    /// Whether some claim has no `sent` record: a delivery failed, or a sender died or is sending.
    pub fn has_open_claims(&self) -> bool {
        let prefix = format!("{PREFIX}/claims/");
        let Ok(refs) = self.repo.references_glob(&format!("{prefix}*")) else {
            return true;
        };
        let claimed: Vec<String> = refs
            .flatten()
            .filter_map(|r| {
                r.name()
                    .ok()
                    .map(|n| n.trim_start_matches(&prefix).to_string())
            })
            .collect();
        claimed.iter().any(|c| !self.sent_contains(c))
    }

    /// HEAD's commit, and the IDs of the records that changed between `old` and it; `None` when
    /// `old` is not in HEAD's history (rewritten) or cannot be read.
    pub fn changed_since(&self, old: &str, under: &Path) -> Option<(String, Vec<String>)> {
        let head = self.repo.head().ok()?.peel_to_commit().ok()?;
        let old = Oid::from_str(old).ok()?;
        if head.id() != old && !self.repo.graph_descendant_of(head.id(), old).ok()? {
            return None;
        }
        let old_tree = self.repo.find_commit(old).ok()?.tree().ok()?;
        let changed =
            crate::store::changed_paths(&self.repo, &old_tree, &head.tree().ok()?, Some(under))
                .ok()?;
        let ids = changed
            .into_iter()
            .filter_map(|p| {
                p.file_name()?
                    .to_str()?
                    .strip_suffix(".yaml")
                    .map(str::to_string)
            })
            .collect();
        Some((head.id().to_string(), ids))
    }

    /// HEAD's commit ID.
    pub fn head(&self) -> Option<String> {
        Some(
            self.repo
                .head()
                .ok()?
                .peel_to_commit()
                .ok()?
                .id()
                .to_string(),
        )
    }

    /// Where the incident repo's `incidents/` folder is, relative to the git work tree.
    pub fn incidents_path(&self, root: &Path) -> PathBuf {
        let work = std::fs::canonicalize(&self.workdir).unwrap_or_else(|_| self.workdir.clone());
        let root = std::fs::canonicalize(root).unwrap_or_else(|_| root.to_path_buf());
        root.strip_prefix(&work)
            .map(Path::to_path_buf)
            .unwrap_or_default()
            .join(crate::store::INCIDENTS_DIR)
    }

    /// Starts git's housekeeping as a commit would (see `store::housekeeping`): the ledger's
    /// stamps are loose objects, and its refs are files until git packs them.
    pub fn tidy(&self) {
        crate::store::housekeeping::after_commit(&self.repo, &self.workdir);
    }

    /// The git folder, where the run state is kept.
    pub fn git_dir(&self) -> &Path {
        self.repo.path()
    }

    /// The failures on record whose notification was not sent since, oldest first.
    /// Every delivery recorded as sent whose key contains `part` (`/page-` for pages), with when.
    pub fn sent_matching(&self, part: &str) -> Vec<Stamp> {
        let Ok(refs) = self.repo.references_glob(&format!("{PREFIX}/sent/*")) else {
            return Vec::new();
        };
        let mut out: Vec<Stamp> = refs
            .flatten()
            .filter_map(|r| r.target())
            .filter_map(|oid| self.repo.find_blob(oid).ok())
            .filter_map(|b| serde_json::from_slice::<Stamp>(b.content()).ok())
            .filter(|s| s.key.contains(part))
            .collect();
        out.sort_by(|a, b| (a.at, &a.key).cmp(&(b.at, &b.key)));
        out
    }

    pub fn failures(&self) -> Vec<Stamp> {
        let Ok(refs) = self.repo.references_glob(&format!("{PREFIX}/failed/*")) else {
            return Vec::new();
        };
        let mut out: Vec<Stamp> = refs
            .flatten()
            .filter_map(|r| r.target())
            .filter_map(|oid| self.repo.find_blob(oid).ok())
            .filter_map(|b| serde_json::from_slice::<Stamp>(b.content()).ok())
            .filter(|s| !self.is_sent(&s.key))
            .collect();
        out.sort_by(|a, b| (a.at, &a.key).cmp(&(b.at, &b.key)));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A file at `path` last written `age` ago.
    fn lock_file(path: &Path, age: std::time::Duration) {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        let file = std::fs::File::create(path).unwrap();
        file.set_modified(std::time::SystemTime::now() - age)
            .unwrap();
    }

    #[test]
    fn only_an_old_lock_on_a_ledger_ref_is_cleared() {
        let dir = tempfile::tempdir().unwrap();
        Repository::init(dir.path()).unwrap();
        let ledger = Ledger::open(dir.path(), "origin", "test".into()).unwrap();
        let git = ledger.git_dir().to_path_buf();
        let minute = std::time::Duration::from_secs(60);
        let ledger_lock = git.join(format!("{PREFIX}/claims/abc.lock"));
        // A live sender's (just made), then a killed one's (a minute old).
        lock_file(&ledger_lock, std::time::Duration::ZERO);
        assert!(!ledger.clear_stale_lock(&ledger_lock));
        assert!(ledger_lock.exists());
        lock_file(&ledger_lock, STALE_LOCK - std::time::Duration::from_secs(1));
        assert!(
            !ledger.clear_stale_lock(&ledger_lock),
            "younger than the limit"
        );
        lock_file(&ledger_lock, minute);
        assert!(ledger.clear_stale_lock(&ledger_lock));
        assert!(!ledger_lock.exists());
        // Never a lock that is not the ledger's, however old: git's own, or a ledger ref itself.
        for other in [
            git.join("index.lock"),
            git.join("refs/heads/main.lock"),
            git.join(format!("{PREFIX}/claims/abc")),
        ] {
            lock_file(&other, minute);
            assert!(!ledger.clear_stale_lock(&other), "{}", other.display());
            assert!(other.exists());
        }
    }

    #[test]
    fn a_ref_update_waits_for_a_live_lock_and_passes_other_errors_at_once() {
        let dir = tempfile::tempdir().unwrap();
        Repository::init(dir.path()).unwrap();
        let ledger = Ledger::open(dir.path(), "origin", "test".into()).unwrap();
        let name = format!("{PREFIX}/claims/abc");
        let lock = ledger.git_dir().join(format!("{name}.lock"));
        // Any error but a lock is passed on at the first try.
        let calls = std::cell::Cell::new(0);
        let err = ledger
            .update_ref(&name, || {
                calls.set(calls.get() + 1);
                Err(git2::Error::new(
                    git2::ErrorCode::NotFound,
                    git2::ErrorClass::Reference,
                    "gone",
                ))
            })
            .unwrap_err();
        assert_eq!((err.code(), calls.get()), (git2::ErrorCode::NotFound, 1));
        // A live sender's lock, released a moment later: the update waits and succeeds.
        lock_file(&lock, std::time::Duration::ZERO);
        let release = {
            let lock = lock.clone();
            std::thread::spawn(move || {
                std::thread::sleep(std::time::Duration::from_millis(150));
                std::fs::remove_file(lock).unwrap();
            })
        };
        let tries = std::cell::Cell::new(0);
        ledger
            .update_ref(&name, || {
                tries.set(tries.get() + 1);
                if lock.exists() {
                    Err(git2::Error::new(
                        git2::ErrorCode::Locked,
                        git2::ErrorClass::Reference,
                        "locked",
                    ))
                } else {
                    Ok(())
                }
            })
            .unwrap();
        release.join().unwrap();
        assert!(tries.get() > 1);
        // A lock that outlives the wait is said with the command that clears it; nothing else is.
        let locked = git2::Error::new(git2::ErrorCode::Locked, git2::ErrorClass::Reference, "x");
        let said = ledger.locked(&name, locked).to_string();
        assert!(said.contains(&format!("rm '{}'", lock.display())), "{said}");
        let other = git2::Error::new(git2::ErrorCode::NotFound, git2::ErrorClass::Reference, "y");
        assert!(!ledger.locked(&name, other).to_string().contains("rm '"));
    }
}
