//! The user's git hooks, run as `git commit` runs them: teams put their policy there (a YAML linter,
//! a ticket reference in the message), and a commit made by `incident` must meet it like any other.
//!
//! `pre-commit` sees a temporary index holding exactly the new tree (`GIT_INDEX_FILE`), the way
//! `git commit --only FILE` presents a partial commit; `commit-msg` gets the message in
//! `.git/COMMIT_EDITMSG` and may rewrite it. A hook that exits non-zero stops the change.
//! `post-commit` runs once the change has landed; like git, its exit status changes nothing.

use super::git::Author;
use anyhow::{Context, Result, bail};
use git2::Repository;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Runs `pre-commit` then `commit-msg`; returns the message (as `commit-msg` may have edited it).
pub fn run_commit_hooks(
    repo: &Repository,
    workdir: &Path,
    tree: &git2::Tree,
    message: &str,
    author: &Author,
) -> Result<String> {
    let dir = hooks_dir(repo, workdir);
    let pre_commit = dir.join("pre-commit");
    let commit_msg = dir.join("commit-msg");
    let (run_pre, run_msg) = (is_executable(&pre_commit), is_executable(&commit_msg));
    if !run_pre && !run_msg {
        return Ok(message.to_string());
    }
    let index_path = repo.path().join("incident-hook-index");
    let mut index = git2::Index::open(&index_path)?;
    index.read_tree(tree)?;
    index
        .write()
        .context("cannot write the temporary index for the hooks")?;
    let result = (|| {
        if run_pre {
            run(&pre_commit, &[], workdir, &index_path, author)?;
        }
        if !run_msg {
            return Ok(message.to_string());
        }
        let message_file = repo.path().join("COMMIT_EDITMSG");
        std::fs::write(&message_file, message)?;
        run(
            &commit_msg,
            &[message_file.as_os_str()],
            workdir,
            &index_path,
            author,
        )?;
        let edited = std::fs::read_to_string(&message_file)?;
        if edited.trim().is_empty() {
            bail!("the commit-msg hook emptied the commit message");
        }
        Ok(edited)
    })();
    let _ = std::fs::remove_file(&index_path);
    result
}

/// Runs `post-commit` after a change landed, as `git commit` does: its exit status is ignored (the
/// commit is made), and what it prints goes to stderr where the user sees it.
pub fn run_post_commit(repo: &Repository, workdir: &Path, author: &Author) {
    let hook = hooks_dir(repo, workdir).join("post-commit");
    if !is_executable(&hook) {
        return;
    }
    let _ = Command::new(&hook)
        .current_dir(workdir)
        .env("GIT_AUTHOR_NAME", &author.name)
        .env("GIT_AUTHOR_EMAIL", &author.email)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::from(std::io::stderr()))
        .status();
}

/// `core.hooksPath` (relative to the work tree, as git reads it) or `.git/hooks`.
fn hooks_dir(repo: &Repository, workdir: &Path) -> PathBuf {
    let configured = repo
        .config()
        .ok()
        .and_then(|c| c.get_path("core.hooksPath").ok());
    match configured {
        Some(path) if path.is_absolute() => path,
        Some(path) => workdir.join(path),
        None => repo.path().join("hooks"),
    }
}

/// git skips a hook file that is not executable (it only hints about it); so do we.
fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

fn run(
    hook: &Path,
    args: &[&std::ffi::OsStr],
    workdir: &Path,
    index: &Path,
    author: &Author,
) -> Result<()> {
    let name = hook.file_name().unwrap_or_default().to_string_lossy();
    // As git does, the hook's stdout goes where its stderr goes: one stream, in the order it was
    // written, each line whole.
    let (mut said_pipe, writer) = std::io::pipe()?;
    let mut command = Command::new(hook);
    command
        .args(args)
        .current_dir(workdir)
        .env("GIT_INDEX_FILE", index)
        .env("GIT_EDITOR", ":")
        .env("GIT_AUTHOR_NAME", &author.name)
        .env("GIT_AUTHOR_EMAIL", &author.email)
        .stdin(std::process::Stdio::null())
        .stdout(writer.try_clone()?)
        .stderr(writer);
    let mut child = command
        .spawn()
        .with_context(|| format!("cannot run the {name} hook `{}`", hook.display()))?;
    // The command holds the write ends until dropped; without this the read never ends.
    drop(command);
    let mut output = Vec::new();
    std::io::Read::read_to_end(&mut said_pipe, &mut output)?;
    let status = child.wait()?;
    if !status.success() {
        let said = String::from_utf8_lossy(&output).trim().to_string();
        bail!(HookRejected {
            hook: name.into_owned(),
            said: if said.is_empty() {
                String::new()
            } else {
                format!(": {said}")
            },
        });
    }
    Ok(())
}

/// A hook said no; the change was not made. `--no-verify` skips the hooks, as with git.
#[derive(Debug, thiserror::Error)]
#[error("the {hook} hook rejected the commit{said}")]
pub struct HookRejected {
    pub hook: String,
    pub said: String,
}
