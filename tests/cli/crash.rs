//! `kill -9` at random moments of `incident log`: afterwards the repo is whole, every event was
//! committed at most once and under its own message, and the next command succeeds.

use crate::support::Repo;
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

const KILLS: usize = 200;

/// A small deterministic generator (the seed is printed, so a failure can be replayed).
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) % n.max(1)
    }
}

#[derive(Default, Debug)]
struct Tally {
    killed: usize,
    finished_before_kill: usize,
    recovered_undone: usize,
    recovered_finished: usize,
    stale_git_locks_cleared: usize,
}

#[test]
fn two_hundred_kills_leave_a_whole_repo_and_no_event_twice() {
    let repo = Repo::new();
    let id = repo.declare("Checkout down", &["--commander", "alice"]);
    let seed = std::env::var("INCIDENT_KILL_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x5eed_u64);
    eprintln!("kill loop seed {seed} (set INCIDENT_KILL_SEED to replay)");
    let mut rng = Lcg(seed);
    // How long one spawned `log` takes here, start to exit: kills land anywhere in that time and a
    // little past it.
    let mut longest = Duration::ZERO;
    for warm in 0..5 {
        let start = Instant::now();
        let status = repo
            .spawnable(&["log", &id, &format!("warm-up {warm}")])
            .status()
            .unwrap();
        assert!(status.success());
        longest = longest.max(start.elapsed());
    }
    // Most of a short process's life is starting up; kills land from 30 % to 150 % of it, so
    // every phase of the change (lock, journal, write, hooks, branch, index) is hit.
    let span = (longest.as_micros() as u64).max(2_000);
    eprintln!(
        "one log takes up to {longest:?}; kills land between {} and {} µs",
        span * 3 / 10,
        span * 15 / 10
    );
    let mut tally = Tally::default();
    for n in 0..KILLS {
        let mut child = repo
            .spawnable(&["log", &id, &format!("event {n}")])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_micros(
            span * 3 / 10 + rng.below(span * 12 / 10),
        ));
        match child.try_wait().unwrap() {
            Some(_) => tally.finished_before_kill += 1,
            None => {
                child.kill().unwrap();
                tally.killed += 1;
            }
        }
        let out = child.wait_with_output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            !err.contains("panicked"),
            "event {n}: the command panicked: {err}"
        );
        // A kill inside git's own index write leaves `index.lock`; the next command names it and
        // the command that clears it, which is what a person would run.
        settle(&repo, &id, n, &mut tally);
    }
    // The next command succeeds, and the repo is whole.
    repo.ok(&["log", &id, "after the storm"]);
    let fsck = repo.git_output(&["fsck", "--full", "--strict", "--no-dangling"]);
    assert!(
        fsck.status.success() && fsck.stdout.is_empty(),
        "git fsck: {}{}",
        String::from_utf8_lossy(&fsck.stdout),
        String::from_utf8_lossy(&fsck.stderr)
    );
    assert_eq!(
        repo.git(&[
            "status",
            "--porcelain",
            "--untracked-files=all",
            "--ignored"
        ]),
        "",
        "the work tree is clean and no temporary file shows"
    );
    let check = repo.run(&["check"]);
    assert!(
        check.status.success(),
        "{}",
        String::from_utf8_lossy(&check.stdout)
    );

    // Every commit adds exactly the event its message names; no event is committed twice.
    let log = repo.git(&[
        "log",
        "-p",
        "--format=@@COMMIT %s",
        "--",
        &format!("incidents/2026/{id}.yaml"),
    ]);
    let mut committed: BTreeMap<String, usize> = BTreeMap::new();
    for commit in log.split("@@COMMIT ").filter(|c| !c.is_empty()) {
        let subject = commit.lines().next().unwrap();
        let added: Vec<&str> = commit
            .lines()
            .filter(|l| l.starts_with("+  text: "))
            .map(|l| l.trim_start_matches("+  text: "))
            .collect();
        let Some(event) = subject.strip_prefix(&format!("{id}: ")) else {
            panic!("a commit not made by incident: {subject}");
        };
        if event.starts_with("declared") {
            continue;
        }
        assert_eq!(added, [event], "commit `{subject}` adds other events");
        *committed.entry(event.to_string()).or_default() += 1;
    }
    assert!(
        committed.values().all(|&c| c == 1),
        "events committed twice: {:?}",
        committed
            .iter()
            .filter(|(_, c)| **c > 1)
            .collect::<Vec<_>>()
    );
    let record = repo.record(&id);
    let texts: Vec<String> = record["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["text"].as_str().unwrap().to_string())
        .filter(|t| t.starts_with("event ") || t.starts_with("warm-up") || t == "after the storm")
        .collect();
    let in_record: BTreeMap<String, usize> = texts.iter().fold(BTreeMap::new(), |mut m, t| {
        *m.entry(t.clone()).or_default() += 1;
        m
    });
    let committed_events: BTreeMap<String, usize> = committed
        .into_iter()
        .filter(|(t, _)| {
            t.starts_with("event ") || t.starts_with("warm-up") || t == "after the storm"
        })
        .collect();
    assert_eq!(
        in_record, committed_events,
        "the record holds exactly the committed events"
    );
    eprintln!(
        "kill loop: {tally:?}; {} of {KILLS} events committed",
        committed_events.len() - 6
    );
    assert!(tally.killed > KILLS / 4, "too few kills landed: {tally:?}");
}

/// Runs `incident show` (which finishes or undoes an interrupted change) and a writer, and clears a
/// stale git lock when the writer names one, as its message tells a person to.
fn settle(repo: &Repo, id: &str, n: usize, tally: &mut Tally) {
    for _ in 0..3 {
        let out = repo.run(&["show", id]);
        let err = String::from_utf8_lossy(&out.stderr).into_owned();
        if err.contains("undid a change") {
            tally.recovered_undone += 1;
        }
        if err.contains("finished a change") {
            tally.recovered_finished += 1;
        }
        assert!(
            out.status.success(),
            "after kill {n}: a reader failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        // A writer meets what a reader does not touch (a git lock the killed process held).
        let probe = repo.run(&["log", id, &format!("probe after {n}")]);
        let err = String::from_utf8_lossy(&probe.stderr).into_owned();
        if probe.status.success() {
            return;
        }
        if remove_named_lock(&err).is_none() {
            panic!("after kill {n}: the next command failed without a way out: {err}");
        }
        tally.stale_git_locks_cleared += 1;
    }
    panic!("after kill {n}: the repo did not settle");
}

fn span_duration(micros: u64) -> Duration {
    Duration::from_micros(micros)
}

/// Removes the lock file an error names with the command that clears it (`rm '…/x.lock'`), as a
/// person would run it; `None` when the error names none.
fn remove_named_lock(err: &str) -> Option<std::path::PathBuf> {
    let lock = err.split("rm '").nth(1)?.split('\'').next()?;
    assert!(lock.ends_with(".lock"), "{err}");
    std::fs::remove_file(lock).unwrap();
    Some(lock.into())
}

/// Kills the process and everything it started (`git fetch`, `git push`), as a crashing laptop
/// does: a `git` child left running would otherwise race the next command.
fn kill_group(child: &mut std::process::Child) {
    // SAFETY: kill(2) on the child's own process group; no memory is touched.
    unsafe {
        libc::kill(-(child.id() as i32), libc::SIGKILL);
    }
}

#[test]
fn sync_killed_at_any_moment_never_wedges_the_clone_nor_loses_an_event() {
    use std::os::unix::process::CommandExt;
    const SYNC_KILLS: usize = 60;
    let a = Repo::new();
    let id = a.declare("Checkout down", &["--commander", "alice"]);
    let remote = a.home.path().join("remote.git");
    let out = a.git_output(&[
        "init",
        "-q",
        "--bare",
        "-b",
        "main",
        remote.to_str().unwrap(),
    ]);
    assert!(out.status.success());
    a.git(&["remote", "add", "origin", remote.to_str().unwrap()]);
    a.ok(&["sync"]);
    let b_dir = a.home.path().join("b");
    let out = a.git_output(&[
        "clone",
        "-q",
        remote.to_str().unwrap(),
        b_dir.to_str().unwrap(),
    ]);
    assert!(out.status.success());
    // Killing `git push` to a remote on this machine kills its server side too, which can leave
    // the remote's ref lock; the error names it and the `rm` that clears it, as for any stale lock.
    let at_b = |args: &[&str]| {
        for _ in 0..3 {
            let out = a.cmd().current_dir(&b_dir).args(args).output().unwrap();
            if out.status.success() {
                return;
            }
            let err = String::from_utf8_lossy(&out.stderr).into_owned();
            if remove_named_lock(&err).is_none() {
                panic!("clone b: {args:?}: {err}");
            }
        }
        panic!("clone b: {args:?} did not settle");
    };
    let seed = std::env::var("INCIDENT_KILL_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x5eed_u64 + 1);
    let mut rng = Lcg(seed);
    let mut longest = Duration::ZERO;
    for warm in 0..3 {
        at_b(&["log", &id, &format!("b warm-up {warm}")]);
        at_b(&["sync"]);
        a.ok(&["log", &id, &format!("a warm-up {warm}")]);
        let start = Instant::now();
        assert!(a.spawnable(&["sync"]).status().unwrap().success());
        longest = longest.max(start.elapsed());
    }
    let span = (longest.as_micros() as u64).max(5_000);
    let (mut killed, mut recovered, mut locks_cleared) = (0, 0, 0);
    for n in 0..SYNC_KILLS {
        // Each round needs a real merge: both clones have a new event.
        at_b(&["log", &id, &format!("b event {n}")]);
        at_b(&["sync"]);
        a.ok(&["log", &id, &format!("a event {n}")]);
        let mut child = a
            .spawnable(&["sync"])
            .process_group(0)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        if n % 2 == 0 {
            // Anywhere in its life: fetch, merge, push.
            std::thread::sleep(Duration::from_micros(
                span * 2 / 10 + rng.below(span * 11 / 10),
            ));
        } else {
            // Inside the merge's transaction: from the moment its journal appears, a little later
            // each time (work tree, branch, index).
            let journal = a.root.join(".git/incident-transaction.json");
            let start = Instant::now();
            while !journal.exists()
                && start.elapsed() < span_duration(span * 3)
                && child.try_wait().unwrap().is_none()
            {
                std::hint::spin_loop();
            }
            std::thread::sleep(Duration::from_micros(rng.below(3_000)));
        }
        if child.try_wait().unwrap().is_none() {
            kill_group(&mut child);
            killed += 1;
        }
        child.wait().unwrap();
        // The next command of any kind works; `sync` then finishes what was left.
        let show = a.run(&["show", &id]);
        let err = String::from_utf8_lossy(&show.stderr).into_owned();
        assert!(show.status.success(), "after kill {n}: show failed: {err}");
        if err.contains("undid a change") || err.contains("finished a change") {
            recovered += 1;
        }
        // A kill inside a ref update leaves git's `.lock` file: the error names it and the command
        // that clears it, which is what a person would run.
        let mut settled = false;
        for _ in 0..3 {
            let sync = a.run(&["sync"]);
            if sync.status.success() {
                settled = true;
                break;
            }
            let err = String::from_utf8_lossy(&sync.stderr).into_owned();
            if remove_named_lock(&err).is_none() {
                let again = a.run(&["sync"]);
                panic!(
                    "after kill {n}: sync failed without a way out: {err}\nagain: {}",
                    String::from_utf8_lossy(&again.stderr)
                );
            }
            locks_cleared += 1;
        }
        assert!(settled, "after kill {n}: sync did not settle");
    }
    at_b(&["sync"]);
    for (who, dir) in [("a", a.root.clone()), ("b", b_dir.clone())] {
        let fsck = std::process::Command::new("git")
            .args(["fsck", "--full", "--strict", "--no-dangling"])
            .current_dir(&dir)
            .env_clear()
            .envs(a.env())
            .output()
            .unwrap();
        assert!(
            fsck.status.success() && fsck.stdout.is_empty(),
            "{who}: {fsck:?}"
        );
        let status = a
            .cmd()
            .current_dir(&dir)
            .args(["--json", "show", &id])
            .output()
            .unwrap();
        let record: serde_json::Value = serde_json::from_slice(&status.stdout).unwrap();
        let texts: Vec<&str> = record["timeline"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["text"].as_str().unwrap())
            .collect();
        for n in 0..SYNC_KILLS {
            for side in ["a", "b"] {
                let event = format!("{side} event {n}");
                assert_eq!(
                    texts.iter().filter(|t| **t == event).count(),
                    1,
                    "{who}: `{event}` once"
                );
            }
        }
    }
    assert_eq!(
        a.git(&["status", "--porcelain", "--untracked-files=all"]),
        "",
        "a clean work tree"
    );
    eprintln!(
        "sync kill loop: {killed} of {SYNC_KILLS} killed, {recovered} recovered mid-change, {locks_cleared} stale git locks cleared"
    );
    assert!(killed > SYNC_KILLS / 4, "too few kills landed: {killed}");
    assert!(
        recovered >= 3,
        "too few kills landed inside the merge to test it: {recovered}"
    );
}

/// `kill -9` at random moments of every other changing command, a few times each: afterwards the
/// repo is whole, `check` passes, no event is in the record twice, and the next command works.
#[test]
fn every_changing_command_survives_kills_at_random_moments() {
    const PER_COMMAND: u64 = 12;
    let repo = Repo::new();
    let id = repo.declare("Checkout down", &["--sev", "SEV2", "--commander", "alice"]);
    let seed = std::env::var("INCIDENT_KILL_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x5eed_u64 + 2);
    let mut rng = Lcg(seed);
    // Each command, as the n-th call makes it: every call a real change.
    type Make = fn(&str, u64) -> Vec<String>;
    let commands: Vec<(&str, Make)> = vec![
        ("declare", |_, n| {
            [
                "declare",
                &format!("Outage #{n}"),
                "--sev",
                "SEV3",
                "--service",
                "search",
            ]
            .map(String::from)
            .to_vec()
        }),
        ("severity", |id, n| {
            let sev = if n % 2 == 0 { "SEV3" } else { "SEV2" };
            ["severity", id, sev, "--reason", &format!("#{n}")]
                .map(String::from)
                .to_vec()
        }),
        ("assign", |id, n| {
            ["assign", id, "--comms", &format!("comms{n}")]
                .map(String::from)
                .to_vec()
        }),
        ("update", |id, n| {
            [
                "update",
                id,
                "--impacted",
                &format!("checkout #{n}"),
                "--learned",
                "a config push",
            ]
            .map(String::from)
            .to_vec()
        }),
        ("edit", |id, n| {
            ["edit", id, "--users", &format!("{}", 1000 + n)]
                .map(String::from)
                .to_vec()
        }),
        ("action", |id, n| {
            [
                "action",
                "add",
                id,
                &format!("Add a canary #{n}"),
                "--owner",
                "bob",
            ]
            .map(String::from)
            .to_vec()
        }),
        ("pir", |id, n| {
            ["pir", id, "--add-why", &format!("because #{n}")]
                .map(String::from)
                .to_vec()
        }),
        ("maintenance", |_, n| {
            [
                "maintenance",
                "schedule",
                &format!("Upgrade #{n}"),
                "--service",
                "search",
                "--from",
                "in 2h",
                "--until",
                "1h",
            ]
            .map(String::from)
            .to_vec()
        }),
    ];
    let mut killed = std::collections::BTreeMap::new();
    for (name, make) in &commands {
        for n in 0..PER_COMMAND {
            let args = make(&id, n);
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            let mut child = repo
                .spawnable(&args)
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .spawn()
                .unwrap();
            std::thread::sleep(Duration::from_micros(1_000 + rng.below(12_000)));
            if child.try_wait().unwrap().is_none() {
                child.kill().unwrap();
                *killed.entry(*name).or_insert(0) += 1;
            }
            child.wait().unwrap();
            let mut tally = Tally::default();
            settle(&repo, &id, n as usize, &mut tally);
        }
    }
    eprintln!("kills per command: {killed:?}");
    let fsck = repo.git_output(&["fsck", "--full", "--strict", "--no-dangling"]);
    assert!(
        fsck.status.success() && fsck.stdout.is_empty(),
        "git fsck: {}",
        String::from_utf8_lossy(&fsck.stderr)
    );
    assert_eq!(
        repo.git(&["status", "--porcelain", "--untracked-files=all"]),
        ""
    );
    let check = repo.run(&["check"]);
    assert!(
        check.status.success(),
        "{}",
        String::from_utf8_lossy(&check.stdout)
    );
    let record = repo.record(&id);
    let mut texts: Vec<&str> = record["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["text"].as_str().unwrap())
        .filter(|t| t.contains('#'))
        .collect();
    let total = texts.len();
    texts.sort();
    texts.dedup();
    assert_eq!(total, texts.len(), "an event is in the record twice");
    let actions = record["actions"].as_array().map_or(0, Vec::len);
    let mut titles: Vec<&str> = record["actions"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|a| a["title"].as_str().unwrap())
        .collect();
    titles.sort();
    titles.dedup();
    assert_eq!(
        actions,
        titles.len(),
        "an action item is in the record twice"
    );
    let total_killed: u64 = killed.values().sum();
    assert!(
        total_killed > commands.len() as u64 * PER_COMMAND / 4,
        "too few kills landed: {killed:?}"
    );
}
