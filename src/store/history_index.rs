//! Which commits changed which record, kept in `.git/incident-cache/history.json` so `incident
//! history ID` reads a handful of commits instead of walking the repository.
//!
//! The index remembers the HEAD it was built for. When HEAD moved forward, only the new commits are
//! read and their entries put in front; when the old HEAD is no longer in HEAD's history (a rebase,
//! an amend, a reset), the index is built again from scratch. A commit counts for a record when the
//! record's blob differs from every parent's (for a merge) or its parent's, as `git log -- FILE`
//! counts it; a record's trail ends at the commit that created it, as [`super::git::history`] does.
//! Same header and checksum as the record cache, same rules: anything off and it is rebuilt.

use super::cache::{cache_path, read_checked, write_checked};
use super::git::{self, HistoryEntry};
use anyhow::Result;
use git2::{Delta, DiffOptions, Oid, Repository};
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};
use std::path::Path;

#[derive(Serialize, Deserialize, Default)]
struct Index {
    binary: String,
    /// The folder (relative to the git work tree) whose `incidents/` is indexed.
    prefix: String,
    head: String,
    /// Git path → commits that changed it, newest first; `true` marks the commit that added it.
    paths: HashMap<String, Vec<(String, bool)>>,
}

/// The commits that changed `path` (a path in the git tree), newest first, from the index (built or
/// extended as needed).
pub fn history(
    repo: &Repository,
    git_dir: &Path,
    prefix: &Path,
    path: &Path,
) -> Result<Vec<HistoryEntry>> {
    let Some(head) = git::head_commit(repo)? else {
        return Ok(Vec::new());
    };
    let file = cache_path(git_dir, "history");
    let prefix_text = prefix.to_string_lossy().replace('\\', "/");
    let mut index = read_checked::<Index>(&file)
        .filter(|i| i.binary == env!("CARGO_PKG_VERSION") && i.prefix == prefix_text)
        .unwrap_or_default();
    let head_hex = head.id().to_string();
    if index.head != head_hex {
        let known = Oid::from_str(&index.head)
            .ok()
            .filter(|old| repo.graph_descendant_of(head.id(), *old).unwrap_or(false));
        let fresh = read_commits(repo, head.id(), known, &prefix.join("incidents"))?;
        if known.is_none() {
            index.paths.clear();
        }
        for (p, mut commits) in fresh {
            let list = index.paths.entry(p).or_default();
            commits.append(list);
            *list = commits;
        }
        index.binary = env!("CARGO_PKG_VERSION").to_string();
        index.prefix = prefix_text;
        index.head = head_hex;
        write_checked(&file, &index);
    }
    let key = path.to_string_lossy().replace('\\', "/");
    let mut out = Vec::new();
    for (commit, added) in index.paths.get(&key).map(Vec::as_slice).unwrap_or(&[]) {
        let commit = repo.find_commit(Oid::from_str(commit)?)?;
        out.push(git::entry_of(&commit));
        if *added {
            break;
        }
    }
    Ok(out)
}

/// The records each commit reachable from `head` but not from `known` changed, newest first.
fn read_commits(
    repo: &Repository,
    head: Oid,
    known: Option<Oid>,
    under: &Path,
) -> Result<HashMap<String, Vec<(String, bool)>>> {
    let mut walk = repo.revwalk()?;
    walk.push(head)?;
    if let Some(old) = known {
        walk.hide(old)?;
    }
    walk.set_sorting(git2::Sort::TOPOLOGICAL | git2::Sort::TIME)?;
    let mut out: HashMap<String, Vec<(String, bool)>> = HashMap::new();
    for oid in walk {
        let commit = repo.find_commit(oid?)?;
        let tree = commit.tree()?;
        let mut options = DiffOptions::new();
        options.pathspec(under);
        options.skip_binary_check(true);
        // The records this commit changed against each parent; kept if changed against all.
        let mut changed: Option<HashMap<String, bool>> = None;
        let parents: Vec<git2::Commit> = commit.parents().collect();
        let parent_trees: Vec<Option<git2::Tree>> = if parents.is_empty() {
            vec![None]
        } else {
            parents.iter().map(|p| p.tree().ok()).collect()
        };
        for parent_tree in &parent_trees {
            let diff =
                repo.diff_tree_to_tree(parent_tree.as_ref(), Some(&tree), Some(&mut options))?;
            let mut mine = HashMap::new();
            for delta in diff.deltas() {
                if let Some(p) = delta.new_file().path().or(delta.old_file().path()) {
                    mine.insert(
                        p.to_string_lossy().replace('\\', "/"),
                        delta.status() == Delta::Added,
                    );
                }
            }
            changed = Some(match changed {
                None => mine,
                Some(before) => before
                    .into_iter()
                    .filter_map(|(p, added)| mine.get(&p).map(|a| (p, added && *a)))
                    .collect(),
            });
        }
        let hex = commit.id().to_string();
        let mut seen = HashSet::new();
        for (p, added) in changed.unwrap_or_default() {
            if seen.insert(p.clone()) {
                out.entry(p).or_default().push((hex.clone(), added));
            }
        }
    }
    Ok(out)
}
