//! Many responders on many clones: a bare remote and several clones in a temp dir, only local paths.

use crate::support::Repo;
use std::path::{Path, PathBuf};

/// A bare remote and `n` clones of one incident repo, all under one temp home.
pub(crate) struct Team {
    pub(crate) home: Repo,
    pub(crate) remote: PathBuf,
    pub(crate) clones: Vec<PathBuf>,
}

impl Team {
    pub(crate) fn new(n: usize) -> Team {
        let home = Repo::new();
        let remote = home.home.path().join("remote.git");
        run_git(
            home.home.path(),
            &home,
            &[
                "init",
                "-q",
                "--bare",
                "-b",
                "main",
                remote.to_str().unwrap(),
            ],
        );
        home.git(&["remote", "add", "origin", remote.to_str().unwrap()]);
        home.ok(&["sync"]);
        let mut clones = vec![home.root.clone()];
        for k in 1..n {
            let dir = home.home.path().join(format!("clone{k}"));
            run_git(
                home.home.path(),
                &home,
                &[
                    "clone",
                    "-q",
                    remote.to_str().unwrap(),
                    dir.to_str().unwrap(),
                ],
            );
            clones.push(dir);
        }
        Team {
            home,
            remote,
            clones,
        }
    }

    fn output(&self, k: usize, args: &[&str]) -> std::process::Output {
        self.home
            .cmd()
            .current_dir(&self.clones[k])
            .args(args)
            .output()
            .unwrap()
    }

    pub(crate) fn at(&self, k: usize, args: &[&str]) -> String {
        let out = self.output(k, args);
        assert!(
            out.status.success(),
            "clone {k}: incident {args:?}\n{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    fn fails_at(&self, k: usize, args: &[&str]) -> String {
        let out = self.output(k, args);
        assert_eq!(
            out.status.code(),
            Some(1),
            "clone {k}: incident {args:?} should fail\n{}",
            String::from_utf8_lossy(&out.stdout)
        );
        String::from_utf8(out.stderr).unwrap()
    }

    pub(crate) fn git_at(&self, k: usize, args: &[&str]) -> String {
        run_git(&self.clones[k], &self.home, args)
    }

    fn file(&self, k: usize, id: &str) -> String {
        std::fs::read_to_string(
            self.clones[k]
                .join("incidents")
                .join(&id[..4])
                .join(format!("{id}.yaml")),
        )
        .unwrap()
    }

    fn record(&self, k: usize, id: &str) -> serde_json::Value {
        serde_json::from_str(&self.at(k, &["--json", "show", id])).unwrap()
    }
}

fn run_git(dir: &Path, repo: &Repo, args: &[&str]) -> String {
    let out = std::process::Command::new("git")
        .env_clear()
        .envs(repo.env())
        .current_dir(dir)
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn texts(record: &serde_json::Value) -> Vec<String> {
    record["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["text"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn three_clones_change_one_incident_and_all_end_with_every_event_once() {
    let team = Team::new(3);
    let id = "2026-11-25-checkout-down";
    team.at(
        0,
        &[
            "declare",
            "Checkout down",
            "--sev",
            "SEV2",
            "--service",
            "checkout",
        ],
    );
    team.at(0, &["sync"]);
    team.at(1, &["sync"]);
    team.at(2, &["sync"]);

    // Each clone changes the same incident without syncing.
    team.at(0, &["log", id, "commander: failover started"]);
    team.at(0, &["severity", id, "SEV1", "--reason", "all regions"]);
    team.at(
        1,
        &[
            "update",
            id,
            "--impacted",
            "Checkout fails",
            "--learned",
            "DB failover",
            "--at",
            "1m ago",
        ],
    );
    team.at(1, &["assign", id, "--comms", "bob"]);
    team.at(
        2,
        &[
            "action",
            "add",
            id,
            "Add a failover drill",
            "--owner",
            "carol",
            "--due",
            "7d",
        ],
    );
    team.at(
        2,
        &[
            "log",
            id,
            "scribe: customers emailed",
            "--kind",
            "comms",
            "--to",
            "customers",
        ],
    );
    team.at(2, &["assign", id, "--commander", "carol"]);

    for k in [0, 1, 2, 0, 1] {
        team.at(k, &["sync"]);
    }
    let file = team.file(0, id);
    for k in 1..3 {
        assert_eq!(team.file(k, id), file, "clone {k} differs");
    }
    assert!(!file.contains("<<<<<<<") && !file.contains(">>>>>>>"));
    let rec = team.record(0, id);
    let all = texts(&rec);
    for expected in [
        "commander: failover started",
        "severity SEV2 → SEV1: all regions",
        "status update (investigating): Checkout fails",
        "assigned comms: bob",
        "scribe: customers emailed",
        "assigned commander: carol",
    ] {
        assert_eq!(
            all.iter().filter(|t| t.as_str() == expected).count(),
            1,
            "{expected} in {all:#?}"
        );
    }
    assert!(
        all.iter()
            .any(|t| t.starts_with("action #1 added: Add a failover drill"))
    );
    assert_eq!(rec["severity"], "SEV1");
    assert_eq!(rec["roles"]["comms"], "bob");
    assert_eq!(rec["roles"]["commander"], "carol");
    assert_eq!(rec["updates"].as_array().unwrap().len(), 1);
    assert_eq!(rec["actions"].as_array().unwrap().len(), 1);
    let ats: Vec<&str> = rec["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["at"].as_str().unwrap())
        .collect();
    let mut sorted = ats.clone();
    sorted.sort();
    assert_eq!(ats, sorted, "ordered by time");
    let log = team.git_at(0, &["log", "--merges", "--format=%s"]);
    assert!(log.contains("Merge origin/main (incident sync)"), "{log}");
    let fsck = std::process::Command::new("git")
        .arg("fsck")
        .current_dir(&team.remote)
        .output()
        .unwrap();
    assert!(fsck.status.success());
}

#[test]
fn conflicting_severities_keep_the_later_and_say_so() {
    let mut team = Team::new(2);
    let id = "2026-11-25-search-slow";
    team.at(
        0,
        &[
            "declare",
            "Search slow",
            "--sev",
            "SEV3",
            "--service",
            "search",
        ],
    );
    team.at(0, &["sync"]);
    team.at(1, &["sync"]);
    team.home.at("2026-11-25T10:05:00Z");
    team.at(0, &["severity", id, "SEV2"]);
    team.home.at("2026-11-25T10:07:00Z");
    team.at(1, &["severity", id, "SEV1"]);
    team.at(0, &["sync"]);
    team.at(1, &["sync"]);
    team.at(0, &["sync"]);
    let rec = team.record(0, id);
    assert_eq!(rec["severity"], "SEV1");
    let merge: Vec<String> = texts(&rec)
        .into_iter()
        .filter(|t| t.starts_with("merge:"))
        .collect();
    assert_eq!(
        merge,
        [
            "merge: `severity` was changed on two clones (SEV1 and SEV2); kept SEV1, the later change"
        ]
    );
    assert_eq!(team.file(0, id), team.file(1, id));
}

#[test]
fn plain_git_pull_uses_the_merge_driver() {
    let team = Team::new(2);
    let id = "2026-11-25-api-errors";
    team.at(
        0,
        &[
            "declare",
            "API errors",
            "--sev",
            "SEV2",
            "--service",
            "checkout",
        ],
    );
    team.at(0, &["sync"]);
    team.git_at(1, &["pull", "-q"]);
    team.at(1, &["init"]); // registers the driver in this clone, as `sync` would
    team.at(0, &["log", id, "from clone zero"]);
    team.at(1, &["log", id, "from clone one"]);
    team.git_at(0, &["push", "-q", "origin", "main"]);
    team.git_at(1, &["pull", "-q", "--no-rebase", "--no-edit"]);
    let file = team.file(1, id);
    assert!(!file.contains("<<<<<<<"), "{file}");
    let all = texts(&team.record(1, id));
    assert!(
        all.contains(&"from clone zero".to_string()) && all.contains(&"from clone one".to_string()),
        "{all:?}"
    );
    assert_eq!(team.git_at(1, &["status", "--porcelain"]), "");
}

#[test]
fn the_same_id_declared_on_two_clones_keeps_both() {
    let mut team = Team::new(2);
    team.home.at("2026-11-25T10:00:00Z");
    team.at(
        0,
        &[
            "declare",
            "DB latency",
            "--sev",
            "SEV2",
            "--service",
            "checkout",
        ],
    );
    team.home.at("2026-11-25T10:02:00Z");
    team.at(
        1,
        &[
            "declare",
            "DB latency",
            "--sev",
            "SEV3",
            "--service",
            "search",
        ],
    );
    team.at(0, &["sync"]);
    let out = team.at(1, &["sync"]);
    assert!(out.contains("two clones declared different incidents as `2026-11-25-db-latency`; the later one is now `2026-11-25-db-latency-2`"), "{out}");
    team.at(0, &["sync"]);
    for k in 0..2 {
        let first = team.record(k, "2026-11-25-db-latency");
        assert_eq!(first["severity"], "SEV2");
        let second = team.record(k, "2026-11-25-db-latency-2");
        assert_eq!(second["severity"], "SEV3");
        assert_eq!(second["id"], "2026-11-25-db-latency-2");
        assert!(
            texts(&second)
                .iter()
                .any(|t| t.starts_with("renamed from 2026-11-25-db-latency"))
        );
    }
}

#[test]
fn sync_errors_are_clear() {
    let team = Team::new(1);
    let err = team.fails_at(0, &["sync", "--remote", "upstream"]);
    assert!(
        err.contains("no remote named `upstream`") && err.contains("git remote add"),
        "{err}"
    );
    team.git_at(
        0,
        &["remote", "add", "gone", "file:///nonexistent/remote.git"],
    );
    let err = team.fails_at(0, &["sync", "--remote", "gone"]);
    assert!(err.contains("cannot fetch from `gone`: git says:"), "{err}");
    let id = team.home.declare("Checkout down", &[]);
    let path = team.home.path_of(&id);
    std::fs::write(
        &path,
        std::fs::read_to_string(&path).unwrap() + "# edited by hand\n",
    )
    .unwrap();
    let err = team.fails_at(0, &["sync"]);
    assert!(
        err.contains(
            "uncommitted changes to incident files: incidents/2026/2026-11-25-checkout-down.yaml"
        ),
        "{err}"
    );
}

#[test]
fn the_first_sync_sets_up_the_remote_branch_and_sync_flag_pushes() {
    let team = Team::new(2);
    let remote_log = |args: &[&str]| run_git(&team.remote, &team.home, args);
    assert!(remote_log(&["log", "--format=%s", "main"]).contains("Set up incident repo"));
    let id = team.home.declare("Queue backlog", &[]);
    let out = team.at(0, &["--sync", "log", &id, "draining"]);
    assert!(out.contains("pushed to origin/main"), "{out}");
    assert!(remote_log(&["log", "-1", "--format=%s", "main"]).contains("draining"));
    let policy = std::fs::read_to_string(team.clones[1].join(".incident.yaml"))
        .unwrap()
        .replace("sync: manual", "sync: auto");
    std::fs::write(team.clones[1].join(".incident.yaml"), policy).unwrap();
    team.git_at(1, &["commit", "-qam", "sync automatically"]);
    team.at(1, &["sync"]);
    let out = team.at(1, &["log", &id, "auto-synced"]);
    assert!(
        out.contains("merged origin/main") || out.contains("pushed to origin/main"),
        "{out}"
    );
    assert!(
        remote_log(&["log", "-1", "--format=%s", "main"]).contains("(incident sync)")
            || remote_log(&["log", "-1", "--format=%s", "main"]).contains("auto-synced")
    );
    // Machines read what a sync found by name.
    let json: serde_json::Value =
        serde_json::from_str(&team.at(0, &["--json", "sync", "--no-push"])).unwrap();
    assert_eq!(json["outcome"], "fast-forward", "{json}");
    let json: serde_json::Value =
        serde_json::from_str(&team.at(0, &["--json", "sync", "--no-push"])).unwrap();
    assert_eq!(json["outcome"], "up-to-date", "{json}");
}

#[test]
fn stress_concurrent_writers_and_syncing_clones_lose_nothing() {
    let team = Team::new(3);
    let id = team.home.declare("Checkout down", &[]);
    for k in 0..3 {
        team.at(k, &["sync"]);
    }
    // 20 processes writing on clone 0 while all three clones write and sync in a loop (a bounded
    // number of rounds), racing each other's pushes.
    let burst: Vec<_> = (0..20)
        .map(|n| {
            team.home
                .spawnable(&["log", &id, &format!("burst {n}")])
                .current_dir(&team.clones[0])
                .stdout(std::process::Stdio::null())
                .spawn()
                .unwrap()
        })
        .collect();
    let rounds = 3;
    std::thread::scope(|scope| {
        for k in 0..3 {
            let team = &team;
            let id = &id;
            scope.spawn(move || {
                for round in 0..rounds {
                    team.at(k, &["log", id, &format!("clone {k} round {round}")]);
                    team.at(k, &["sync"]);
                }
            });
        }
    });
    for mut c in burst {
        assert!(c.wait().unwrap().success());
    }
    for k in [0, 1, 2, 0, 1] {
        team.at(k, &["sync"]);
    }
    let file = team.file(0, &id);
    for k in 1..3 {
        assert_eq!(team.file(k, &id), file, "clone {k} differs");
    }
    let all = texts(&team.record(0, &id));
    let expected = (0..20)
        .map(|n| format!("burst {n}"))
        .chain((0..3).flat_map(|k| (0..rounds).map(move |r| format!("clone {k} round {r}"))));
    for e in expected {
        assert_eq!(all.iter().filter(|t| **t == e).count(), 1, "{e}");
    }
}

#[test]
fn merge_file_follows_the_driver_protocol_and_refuses_what_it_cannot_read() {
    let repo = Repo::new();
    let id = repo.declare("Checkout down", &[]);
    let base = repo.read(&id);
    repo.ok(&["log", &id, "ours"]);
    let ours = repo.read(&id);
    repo.git(&["reset", "-q", "--hard", "HEAD~1"]);
    repo.ok(&["log", &id, "theirs", "--at", "5m ago"]);
    let theirs = repo.read(&id);
    let dir = repo.home.path();
    let write = |name: &str, text: &str| {
        std::fs::write(dir.join(name), text).unwrap();
        dir.join(name).to_string_lossy().into_owned()
    };
    let (b, o, t) = (
        write("base.yaml", &base),
        write("ours.yaml", &ours),
        write("theirs.yaml", &theirs),
    );
    repo.ok(&["merge-file", &b, &o, &t, "incidents/2026/x.yaml"]);
    let merged = std::fs::read_to_string(&o).unwrap();
    assert!(
        merged.contains("text: ours") && merged.contains("text: theirs"),
        "{merged}"
    );
    assert!(
        merged.find("text: theirs").unwrap() < merged.find("text: ours").unwrap(),
        "ordered by time"
    );

    let broken = write("broken.yaml", "id: [unclosed\n");
    let o2 = write("ours2.yaml", &ours);
    let err = repo.fails(
        1,
        &["merge-file", &b, &o2, &broken, "incidents/2026/x.yaml"],
    );
    assert!(
        err.contains("their version does not parse") && err.contains("leaving the conflict to you"),
        "{err}"
    );
    assert_eq!(
        std::fs::read_to_string(&o2).unwrap(),
        ours,
        "ours is left as it was"
    );

    // Three versions that are not one record: git must be left with its conflict.
    let other = repo.declare("Payments down", &["--service", "payments"]);
    let foreign = write("foreign.yaml", &repo.read(&other));
    let o3 = write("ours3.yaml", &ours);
    for (base, theirs) in [(&b, &foreign), (&foreign, &t)] {
        let err = repo.fails(
            1,
            &["merge-file", base, &o3, theirs, "incidents/2026/x.yaml"],
        );
        assert!(err.contains("different incident"), "{err}");
        assert_eq!(std::fs::read_to_string(&o3).unwrap(), ours);
    }
}

#[test]
fn a_slow_fetch_does_not_hold_the_lock_against_responders() {
    use std::os::unix::fs::PermissionsExt;
    let team = Team::new(2);
    let id = team.home.declare("Checkout down", &[]);
    team.at(0, &["sync"]);
    team.at(1, &["sync"]);
    // The remote answers slowly: its upload-pack waits three seconds before serving the fetch.
    let slow = team.home.home.path().join("slow-upload-pack");
    std::fs::write(&slow, "#!/bin/sh\nsleep 3\nexec git-upload-pack \"$@\"\n").unwrap();
    std::fs::set_permissions(&slow, std::fs::Permissions::from_mode(0o755)).unwrap();
    team.home
        .git(&["config", "remote.origin.uploadpack", slow.to_str().unwrap()]);
    let syncing = team
        .home
        .spawnable(&["sync"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(700));
    let started = std::time::Instant::now();
    let out = team.output(0, &["log", &id, "logged during a slow sync"]);
    let took = started.elapsed();
    let sync = syncing.wait_with_output().unwrap();
    assert!(
        sync.status.success(),
        "{}",
        String::from_utf8_lossy(&sync.stderr)
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        !String::from_utf8_lossy(&out.stderr).contains("waiting for another incident command"),
        "the log waited for the sync's network traffic"
    );
    assert!(
        took < std::time::Duration::from_millis(1500),
        "log took {took:?}"
    );
}

/// Maintenance windows travel like records: `--sync` pushes the change, and a window changed on
/// one clone while another clone changes a record merges without a conflict.
#[test]
fn maintenance_windows_sync_between_clones() {
    let team = Team::new(2);
    let remote_log = |args: &[&str]| run_git(&team.remote, &team.home, args);
    let out = team.at(
        0,
        &[
            "--sync",
            "maintenance",
            "schedule",
            "Database upgrade",
            "--service",
            "payments",
            "--from",
            "2026-11-26T02:00:00Z",
            "--until",
            "2h",
        ],
    );
    assert!(out.contains("pushed to origin/main"), "{out}");
    assert!(
        remote_log(&["log", "-1", "--format=%B", "main"])
            .contains("Maintenance: 2026-11-26-database-upgrade")
    );
    team.at(1, &["sync"]);
    let id = team.home.declare("Queue backlog", &[]);
    team.at(0, &["sync"]);
    team.at(1, &["maintenance", "start", "database"]);
    team.at(0, &["log", &id, "draining"]);
    team.at(1, &["sync"]);
    team.at(0, &["sync"]);
    let listed = team.at(0, &["--json", "maintenance", "list"]);
    assert!(listed.contains("\"status\": \"in_progress\""), "{listed}");
    assert!(team.file(0, &id).contains("draining"));
}

/// A remote that never answers (an ssh that hangs): `sync` gives up at its time limit, and a change
/// made with `--sync` is committed and returns, saying the push is pending.
#[test]
fn a_remote_that_never_answers_stops_at_the_time_limit_and_keeps_the_change() {
    let repo = Repo::new();
    let id = repo.declare("Checkout down", &[]);
    repo.git(&["remote", "add", "origin", "ssh://git.invalid/ops.git"]);
    let hang = repo.home.path().join("hang.sh");
    std::fs::write(&hang, "#!/bin/sh\nsleep 30\n").unwrap();
    let mut perms = std::fs::metadata(&hang).unwrap().permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o755);
    std::fs::set_permissions(&hang, perms).unwrap();
    let started = std::time::Instant::now();
    let out = repo
        .cmd()
        .env("GIT_SSH_COMMAND", &hang)
        .args(["sync", "--timeout", "2s"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("no answer within the time limit"), "{err}");
    // Bounded: the limit, not git's own patience (30 s here).
    assert!(
        started.elapsed() < std::time::Duration::from_secs(20),
        "{err}"
    );

    let before = repo.commit_count();
    let out = repo
        .cmd()
        .env("GIT_SSH_COMMAND", &hang)
        .env("INCIDENT_SYNC_TIMEOUT", "2s")
        .args(["--sync", "log", &id, "still investigating"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(
        err.contains("committed locally and the push is pending"),
        "{err}"
    );
    assert_eq!(repo.commit_count(), before + 1);
}

/// A `git fetch` killed mid-update leaves git's ref lock: the error names the command that clears
/// it, and once cleared, sync works.
#[test]
fn a_stale_ref_lock_from_a_killed_fetch_is_named_with_its_command() {
    let team = Team::new(2);
    team.at(
        1,
        &[
            "declare",
            "Search slow",
            "--sev",
            "SEV3",
            "--service",
            "search",
        ],
    );
    team.at(1, &["sync"]);
    let lock = team.clones[0].join(".git/refs/remotes/origin/main.lock");
    std::fs::write(&lock, "").unwrap();
    let err = team.fails_at(0, &["sync"]);
    assert!(err.contains(&format!("rm '{}'", lock.display())), "{err}");
    std::fs::remove_file(&lock).unwrap();
    team.at(0, &["sync"]);
}
