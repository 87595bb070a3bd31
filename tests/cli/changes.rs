//! `incident changes`: what changed in the code of an incident's services, read from real second
//! git repositories (a folder, and a remote fetched into a copy).

use crate::support::Repo;
use std::path::{Path, PathBuf};

/// Runs git in `dir` with both dates at `at` (the commits' times are what the listing is about).
fn git_at(repo: &Repo, dir: &Path, at: &str, args: &[&str]) -> String {
    let mut cmd = std::process::Command::new("git");
    cmd.env_clear()
        .envs(repo.env())
        .env("GIT_AUTHOR_DATE", at)
        .env("GIT_COMMITTER_DATE", at)
        .current_dir(dir)
        .args(args);
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn commit(repo: &Repo, dir: &Path, at: &str, file: &str, subject: &str) {
    std::fs::write(dir.join(file), subject).unwrap();
    git_at(repo, dir, at, &["add", file]);
    git_at(repo, dir, at, &["commit", "-q", "-m", subject]);
}

/// The source of `checkout`, beside the incident repo: a commit the day before (outside a 24 h
/// window), a commit and a merged branch before the incident, an annotated deploy tag, and a
/// commit during it.
fn checkout_source(repo: &Repo) -> PathBuf {
    let dir = repo.home.path().join("checkout-src");
    std::fs::create_dir_all(&dir).unwrap();
    git_at(
        repo,
        &dir,
        "2026-11-20T08:00:00Z",
        &["init", "-q", "-b", "main"],
    );
    commit(repo, &dir, "2026-11-24T08:00:00Z", "a", "Old change");
    commit(
        repo,
        &dir,
        "2026-11-25T07:00:00Z",
        "b",
        "Raise the connection pool to 200",
    );
    git_at(
        repo,
        &dir,
        "2026-11-25T07:10:00Z",
        &["checkout", "-q", "-b", "retry"],
    );
    commit(
        repo,
        &dir,
        "2026-11-25T07:20:00Z",
        "c",
        "Retry card declines twice",
    );
    git_at(
        repo,
        &dir,
        "2026-11-25T07:30:00Z",
        &["checkout", "-q", "main"],
    );
    git_at(
        repo,
        &dir,
        "2026-11-25T08:00:00Z",
        &[
            "merge",
            "-q",
            "--no-ff",
            "-m",
            "Merge pull request #42 from retry",
            "retry",
        ],
    );
    git_at(
        repo,
        &dir,
        "2026-11-25T09:30:00Z",
        &[
            "tag",
            "-a",
            "deploy-2026-11-25",
            "-m",
            "Deploy 1.42 to production",
        ],
    );
    commit(
        repo,
        &dir,
        "2026-11-25T10:20:00Z",
        "d",
        "Revert the pool size",
    );
    dir
}

fn with_repos(repo: &Repo, service: &str, lines: &str) {
    let path = repo.root.join(".incident.yaml");
    let config = std::fs::read_to_string(&path).unwrap();
    let needle = format!("- id: {service}\n");
    assert!(config.contains(&needle), "{config}");
    std::fs::write(
        &path,
        config.replacen(&needle, &format!("{needle}{lines}"), 1),
    )
    .unwrap();
}

#[test]
fn changes_lists_commits_merges_and_deploys_around_the_incident_and_logs_one() {
    let mut repo = Repo::new();
    checkout_source(&repo);
    with_repos(&repo, "checkout", "  repos:\n  - ../checkout-src\n");
    let id = repo.declare("Checkout returns 502", &["--started-at", "09:45"]);
    repo.at("2026-11-25T11:00:00Z");

    let json: serde_json::Value =
        serde_json::from_str(&repo.ok(&["--json", "changes", &id])).unwrap();
    let rows: Vec<(u64, String, String, String)> = json["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["number"].as_u64().unwrap(),
                c["kind"].as_str().unwrap().to_string(),
                c["phase"].as_str().unwrap().to_string(),
                c["subject"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let expected = [
        (1, "commit", "during", "Revert the pool size"),
        (2, "deploy", "before", "Deploy 1.42 to production"),
        (3, "merge", "before", "Merge pull request #42 from retry"),
        (4, "commit", "before", "Retry card declines twice"),
        (5, "commit", "before", "Raise the connection pool to 200"),
    ];
    let expected: Vec<(u64, String, String, String)> = expected
        .iter()
        .map(|(n, k, p, s)| (*n, k.to_string(), p.to_string(), s.to_string()))
        .collect();
    assert_eq!(rows, expected, "{json:#}");
    assert_eq!(json["changes"][1]["name"], "deploy-2026-11-25");
    assert_eq!(json["window"]["started"], "2026-11-25T09:45:00Z");
    assert_eq!(json["window"]["from"], "2026-11-24T09:45:00Z");
    assert_eq!(json["changes"][0]["author"], "Alice Example");

    // A narrower window leaves out what came earlier.
    let narrow: serde_json::Value =
        serde_json::from_str(&repo.ok(&["--json", "changes", &id, "--before", "1h"])).unwrap();
    let subjects: Vec<&str> = narrow["changes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["subject"].as_str().unwrap())
        .collect();
    assert_eq!(
        subjects,
        ["Revert the pool size", "Deploy 1.42 to production"]
    );

    let table = repo.ok(&["changes", &id]);
    for wanted in [
        "deploy-2026-11-25",
        "Merge pull request #42",
        "during",
        "--log N",
    ] {
        assert!(table.contains(wanted), "{wanted} missing:\n{table}");
    }
    assert!(!table.contains("Old change"), "{table}");

    // Logging the deploy: one commit, an internal finding that reads on its own.
    let before = repo.commit_count();
    let out = repo.ok(&["changes", &id, "--log", "2"]);
    assert!(out.contains(&id), "{out}");
    assert_eq!(repo.commit_count(), before + 1);
    let record = repo.record(&id);
    let last = record["timeline"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(last["kind"], "finding");
    assert_eq!(last["visibility"], "internal", "{last}");
    let text = last["text"].as_str().unwrap();
    assert!(
        text.starts_with("changed before the incident: deploy deploy-2026-11-25 (")
            && text.contains("in ../checkout-src (service checkout) at 2026-11-25 09:30 UTC")
            && text.contains("\"Deploy 1.42 to production\""),
        "{text}"
    );
    // A number the listing does not have is a usage error naming the range.
    let err = repo.fails(2, &["changes", &id, "--log", "9"]);
    assert!(err.contains("--log 9") && err.contains("1 to 5"), "{err}");
    assert_eq!(repo.commit_count(), before + 1);
}

#[test]
fn a_remote_is_fetched_into_a_copy_and_read_offline_or_when_it_is_gone() {
    let mut repo = Repo::new();
    let source = checkout_source(&repo);
    let bare = repo.home.path().join("checkout.git");
    git_at(
        &repo,
        repo.home.path(),
        "2026-11-25T10:20:00Z",
        &[
            "clone",
            "-q",
            "--bare",
            source.to_str().unwrap(),
            bare.to_str().unwrap(),
        ],
    );
    let url = format!("file://{}", bare.display());
    with_repos(
        &repo,
        "checkout",
        &format!("  repos:\n  - {url}\n  deploys: refs/tags/deploy-*\n"),
    );
    let id = repo.declare("Checkout returns 502", &["--started-at", "09:45"]);
    repo.at("2026-11-25T11:00:00Z");
    let subjects = |args: &[&str]| -> Vec<String> {
        let out = repo.cmd().args(args).output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        json["changes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["subject"].as_str().unwrap().to_string())
            .collect()
    };
    let first = subjects(&["--json", "changes", &id]);
    assert_eq!(first.len(), 5, "{first:?}");
    // The copy lives in the incident repo's git directory, never in its work tree.
    let copies = std::fs::read_dir(repo.root.join(".git/incident/sources"))
        .unwrap()
        .count();
    assert_eq!(copies, 1);
    assert_eq!(
        repo.git(&["status", "--porcelain"]).trim(),
        "M .incident.yaml"
    );

    // Someone pushes a hot fix: read offline, the copy does not have it yet; fetched, it does.
    commit(
        &repo,
        &source,
        "2026-11-25T10:40:00Z",
        "e",
        "Hot fix: cap retries",
    );
    git_at(
        &repo,
        &source,
        "2026-11-25T10:40:00Z",
        &["push", "-q", bare.to_str().unwrap(), "main"],
    );
    assert_eq!(subjects(&["--json", "changes", &id, "--offline"]), first);
    let fetched = subjects(&["--json", "changes", &id]);
    assert_eq!(fetched[0], "Hot fix: cap retries");

    // The remote gone: the copy is read, with a warning saying so.
    std::fs::rename(&bare, repo.home.path().join("moved.git")).unwrap();
    let out = repo.run(&["changes", &id]);
    assert!(out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("cannot fetch") && err.contains("showing the copy fetched before"),
        "{err}"
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("Hot fix: cap retries"));
}

#[test]
fn changes_says_what_to_configure_when_nothing_names_a_repo() {
    let repo = Repo::new();
    let id = repo.declare("Checkout returns 502", &[]);
    let err = repo.fails(1, &["changes", &id]);
    assert!(
        err.contains("names its git repositories") && err.contains("repos:"),
        "{err}"
    );
    with_repos(&repo, "checkout", "  repos:\n  - ../nowhere\n");
    let err = repo.fails(1, &["changes", &id]);
    assert!(
        err.contains("../nowhere") && err.contains("not a git repository"),
        "{err}"
    );
    // A bad --before is a usage error naming the flag.
    let err = repo.fails(2, &["changes", &id, "--before", "soon"]);
    assert!(err.contains("--before"), "{err}");
}
