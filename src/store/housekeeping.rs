//! git's own housekeeping after a commit. `git commit` ends by starting `git maintenance run
//! --auto`, which packs the loose objects once there are more than `gc.auto` (6,700) of them. A
//! commit made through libgit2 starts nothing, so an incident repo kept every object loose: five
//! files per `log` (blob, three trees, commit), half a million after 100,000 changes, each one a
//! file for every git command to look through.
//!
//! The check is git's own estimate, one folder listing: the loose objects in `objects/17`, times
//! 256. Only when that is over the limit does the user's `git gc --auto` run, in the background as
//! it does after `git commit`. `notify` calls it too after a run that delivered: each delivery adds
//! two loose objects and two refs to its ledger (git packs refs when it judges there are many). `gc.auto = 0` and `maintenance.auto = false` (which `git maintenance
//! start` sets, to run it on a schedule instead) turn it off here as they do for git.

use std::path::Path;
use std::process::{Command, Stdio};

/// git's default `gc.auto`.
const DEFAULT_LIMIT: i64 = 6700;

/// Starts `git gc --auto` when git would, without waiting for it. Errors are ignored: a repo that
/// is not packed is slower, never wrong, and the user's own git will pack it.
pub(crate) fn after_commit(repo: &git2::Repository, workdir: &Path) {
    if !over_limit(repo) {
        return;
    }
    // Nothing of this process is passed on: no output pipe for a caller to wait on (std opens
    // every file, the repo lock included, close-on-exec).
    let _ = Command::new("git")
        .args(["gc", "--auto", "--quiet"])
        .current_dir(workdir)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn();
}

/// Whether git's estimate of the loose objects is over `gc.auto`.
fn over_limit(repo: &git2::Repository) -> bool {
    let Ok(config) = repo.config() else {
        return false;
    };
    if config.get_bool("maintenance.auto").ok() == Some(false) {
        return false;
    }
    let limit = config.get_i64("gc.auto").unwrap_or(DEFAULT_LIMIT);
    if limit <= 0 {
        return false;
    }
    // As git counts: objects in one of the 256 folders, against the limit spread over them.
    let per_folder = (limit + 255) / 256;
    let Ok(entries) = std::fs::read_dir(repo.path().join("objects/17")) else {
        return false;
    };
    let loose = entries
        .filter_map(Result::ok)
        .filter(|e| {
            let name = e.file_name();
            let name = name.as_encoded_bytes();
            name.len() == 38 && name.iter().all(u8::is_ascii_hexdigit)
        })
        .count();
    i64::try_from(loose).unwrap_or(i64::MAX) > per_folder
}
