//! Runbooks in the incident repo: listed, shown, written from a skeleton, and checked.

use crate::support::Repo;

const ROLLBACK: &str = "---
title: Rollback of a bad deploy
when:
  kind: [deploy]
  service: [checkout, payments]
---
# Rollback of a bad deploy

- [ ] Stop the rollout
  - role: commander
  - within: 5m of declaration
  - run: `kubectl rollout pause deploy/checkout`
- [ ] Roll back to the last good version
  - within: 15m of detection
  - link: https://wiki.example.com/rollback
";

#[test]
fn runbooks_are_listed_shown_and_written_from_a_skeleton() {
    let repo = Repo::new();
    assert!(repo.ok(&["runbook", "list"]).contains("no runbooks yet"));
    repo.write("runbooks/rollback.md", ROLLBACK);
    let list = repo.ok(&["runbook", "list"]);
    assert!(
        list.contains("runbooks/rollback.md") && list.contains("Rollback of a bad deploy"),
        "{list}"
    );
    let json: serde_json::Value =
        serde_json::from_str(&repo.ok(&["--json", "runbook", "list"])).unwrap();
    assert_eq!(json[0]["steps"], 2);
    assert_eq!(json[0]["when"]["service"][1], "payments");
    // The blob is git's own hash of the file: which version was followed is checkable.
    let blob = repo.git(&["hash-object", "runbooks/rollback.md"]);
    assert_eq!(json[0]["blob"], blob.trim());
    let shown = repo.ok(&["runbook", "show", "rollback"]);
    for wanted in [
        "Stop the rollout",
        "role: commander",
        "within 5 minutes of declaration",
        "run: kubectl rollout pause deploy/checkout",
        "within 15 minutes of detection",
        "link: https://wiki.example.com/rollback",
        "deploy · checkout, payments",
    ] {
        assert!(shown.contains(wanted), "{wanted}\n{shown}");
    }
    // A new one: a skeleton that reads back, never written over an existing file.
    let out = repo.ok(&[
        "runbook",
        "new",
        "Database failover",
        "--sev",
        "SEV1",
        "--service",
        "payments",
    ]);
    assert!(out.contains("runbooks/database-failover.md"), "{out}");
    let json: serde_json::Value =
        serde_json::from_str(&repo.ok(&["--json", "runbook", "show", "database-failover"]))
            .unwrap();
    assert_eq!(json["runbook"]["when"]["severity"][0], "SEV1");
    assert_eq!(json["runbook"]["title"], "Database failover");
    let again = repo.fails(1, &["runbook", "new", "Database failover"]);
    assert!(again.contains("exists already"), "{again}");
    let unknown = repo.fails(2, &["runbook", "new", "X", "--service", "nope"]);
    assert!(unknown.contains("unknown service `nope`"), "{unknown}");
    let missing = repo.fails(1, &["runbook", "show", "nothing-like-it"]);
    assert!(
        missing.contains("runbooks/rollback.md"),
        "names what there is: {missing}"
    );
}

#[test]
fn check_reports_a_runbook_that_does_not_read_or_can_never_apply() {
    let repo = Repo::new();
    repo.write("runbooks/rollback.md", ROLLBACK);
    repo.ok(&["check"]);
    repo.write(
        "runbooks/legacy.md",
        "---\ntitle: Legacy billing\nwhen:\n  service: [billing-v1]\n---\n- [ ] Call Bob\n",
    );
    let report = repo.ok(&["--json", "check"]);
    let json: serde_json::Value = serde_json::from_str(&report).unwrap();
    let finding = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["file"] == "runbooks/legacy.md")
        .unwrap_or_else(|| panic!("{json}"));
    assert_eq!(finding["rule"], "runbook-never-applies");
    assert_eq!(finding["level"], "warning");
    repo.write(
        "runbooks/broken.md",
        "---\ntitle: Broken\n---\n- [ ] Wait\n  - within: a while\n",
    );
    let out = repo.run(&["check"]);
    assert_eq!(out.status.code(), Some(1));
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        said.contains("error: runbooks/broken.md: line 5: within: invalid duration `a while`"),
        "{said}"
    );
    let listed = repo.ok(&["runbook", "list"]);
    assert!(listed.contains("does not read"), "{listed}");
}

const SEV1: &str = "---
title: SEV1 response
when:
  severity: [SEV1]
---
# SEV1 response

- [ ] Name an incident commander
  - role: commander
  - within: 5m
- [ ] Post the first status-page update
  - within: 15m of detection
  - run: `incident update ID`
- [ ] Brief the executives
  - within: 1h of severity
";

fn tasks(repo: &Repo, id: &str) -> Vec<serde_json::Value> {
    repo.record(id)["tasks"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

#[test]
fn declare_attaches_the_runbooks_that_apply_and_says_what_to_do_first() {
    let mut repo = Repo::new();
    repo.write("runbooks/sev1.md", SEV1);
    repo.write("runbooks/rollback.md", ROLLBACK);
    repo.git(&["add", "runbooks"]);
    repo.git(&["commit", "-qm", "runbooks"]);
    repo.at("2026-11-25T10:00:00Z");
    let commits = repo.commit_count();
    let out = repo.ok(&[
        "declare",
        "Checkout down",
        "--sev",
        "SEV1",
        "--service",
        "checkout",
        "--commander",
        "dana",
        "--started-at",
        "09:50",
    ]);
    assert_eq!(repo.commit_count(), commits + 1, "one commit");
    assert!(
        out.contains("runbook runbooks/sev1.md: 3 step(s); next:"),
        "{out}"
    );
    assert!(
        out.contains("#1 Name an incident commander (by 2026-11-25 10:05 UTC)"),
        "{out}"
    );
    assert!(
        !out.contains("rollback"),
        "a deploy runbook does not apply: {out}"
    );
    let id = repo.ids_of_year("2026")[0].clone();
    let t = tasks(&repo, &id);
    assert_eq!(t.len(), 3);
    // The version followed: git's own hash of the runbook as committed.
    let blob = repo.git(&["rev-parse", "HEAD~1:runbooks/sev1.md"]);
    assert_eq!(t[0]["runbook"]["blob"], blob.trim());
    assert_eq!(t[0]["runbook"]["path"], "runbooks/sev1.md");
    assert_eq!(
        t[0]["assignee"], "dana",
        "the commander holds the commander's step"
    );
    assert_eq!(
        t[1]["due_at"], "2026-11-25T10:15:00Z",
        "15m of detection (10:00)"
    );
    // Edited afterwards, the runbook does not change what the incident followed.
    repo.write(
        "runbooks/sev1.md",
        &SEV1.replace("Brief the executives", "Brief the board"),
    );
    repo.at("2026-11-25T10:03:00Z");
    repo.ok(&["log", &id, "still down"]);
    assert_eq!(tasks(&repo, &id)[2]["text"], "Brief the executives");
    // `show`, `due` and `check` speak of them.
    let shown = repo.ok(&["show", &id]);
    assert!(
        shown.contains("Tasks (UTC)") && shown.contains("#2   Post the first status-page update"),
        "{shown}"
    );
    assert!(shown.contains("from runbooks/sev1.md (version"), "{shown}");
    repo.at("2026-11-25T10:20:00Z");
    let due = repo.ok(&["due"]);
    assert!(
        due.contains("task #2: Post the first status-page update overdue by 5 min"),
        "{due}"
    );
    let check = repo.ok(&["--json", "check"]);
    let json: serde_json::Value = serde_json::from_str(&check).unwrap();
    assert!(
        json["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["rule"] == "task-overdue" && f["field"] == "tasks[#2]"),
        "{json}"
    );
}

#[test]
fn a_severity_change_attaches_the_runbook_that_now_applies_once() {
    let mut repo = Repo::new();
    repo.write("runbooks/sev1.md", SEV1);
    repo.at("2026-11-25T10:00:00Z");
    let id = repo.declare("Search slow", &["--sev", "SEV2", "--service", "search"]);
    assert!(tasks(&repo, &id).is_empty());
    repo.at("2026-11-25T10:30:00Z");
    let out = repo.ok(&["severity", &id, "SEV1", "--reason", "worse"]);
    assert!(out.contains("runbook runbooks/sev1.md"), "{out}");
    let t = tasks(&repo, &id);
    assert_eq!(t.len(), 3);
    assert_eq!(
        t[2]["due_at"], "2026-11-25T11:30:00Z",
        "1h of reaching SEV1"
    );
    repo.ok(&["severity", &id, "SEV2", "--reason", "better"]);
    repo.at("2026-11-25T10:40:00Z");
    let out = repo.ok(&["severity", &id, "SEV1", "--reason", "worse again"]);
    assert!(!out.contains("runbook"), "never twice: {out}");
    assert_eq!(tasks(&repo, &id).len(), 3);
}

#[test]
fn tasks_are_worked_one_commit_each() {
    let mut repo = Repo::new();
    repo.write("runbooks/sev1.md", SEV1);
    repo.at("2026-11-25T10:00:00Z");
    let id = repo.declare(
        "Checkout down",
        &[
            "--sev",
            "SEV1",
            "--service",
            "checkout",
            "--commander",
            "dana",
        ],
    );
    let commits = repo.commit_count();
    repo.at("2026-11-25T10:04:00Z");
    repo.ok(&["task", "done", &id, "1", "--note", "dana is IC"]);
    repo.ok(&[
        "task",
        "skip",
        &id,
        "3",
        "--reason",
        "the execs are on the bridge",
    ]);
    repo.ok(&[
        "task",
        "add",
        &id,
        "Page the payments team",
        "--role",
        "comms",
        "--within",
        "10m",
    ]);
    repo.ok(&["task", "assign", &id, "2", "erin"]);
    repo.ok(&["task", "done", &id, "4", "--at", "10:03"]);
    assert_eq!(repo.commit_count(), commits + 5, "one commit each");
    let t = tasks(&repo, &id);
    assert_eq!(t[0]["state"], "done");
    assert_eq!(t[0]["note"], "dana is IC");
    assert_eq!(t[2]["state"], "skipped");
    assert_eq!(t[1]["assignee"], "erin");
    assert_eq!(t[3]["closed_at"], "2026-11-25T10:03:00Z");
    assert_eq!(t[3]["due_at"], "2026-11-25T10:14:00Z");
    let log = repo.git(&["log", "--format=%s", "-5"]);
    assert!(
        log.contains("task #1 done: Name an incident commander: dana is IC"),
        "{log}"
    );
    // Refusals name what is wrong.
    let again = repo.fails(1, &["task", "done", &id, "1"]);
    assert!(
        again.contains("task #1") && again.contains("done already"),
        "{again}"
    );
    let none = repo.fails(2, &["task", "done", &id, "9"]);
    assert!(none.contains("no task #9"), "{none}");
    // Lists: open first, for scripts as JSON.
    let list: serde_json::Value =
        serde_json::from_str(&repo.ok(&["--json", "task", "list", &id])).unwrap();
    assert_eq!(list[0]["number"], 2);
    assert_eq!(list[0]["state"], "open");
    let all = repo.ok(&["task", "list"]);
    assert!(all.contains("Post the first status-page update"), "{all}");
}

#[test]
fn two_clones_checking_off_tasks_merge_cleanly_and_the_earlier_close_wins() {
    let team = crate::sync::Team::new(2);
    team.home.write("runbooks/sev1.md", SEV1);
    team.home.git(&["add", "runbooks"]);
    team.home.git(&["commit", "-qm", "runbooks"]);
    let id = team
        .home
        .declare("Checkout down", &["--sev", "SEV1", "--service", "checkout"]);
    team.at(0, &["sync"]);
    team.at(1, &["sync"]);
    // The clock stands at 10:00 (support::NOW): backfilled times.
    team.at(0, &["task", "done", &id, "1", "--at", "09:52"]);
    team.at(0, &["task", "done", &id, "3", "--at", "09:56"]);
    team.at(1, &["task", "done", &id, "2", "--at", "09:53"]);
    team.at(
        1,
        &[
            "task", "done", &id, "3", "--at", "09:54", "--note", "briefed",
        ],
    );
    team.at(0, &["sync"]);
    team.at(1, &["sync"]);
    team.at(0, &["sync"]);
    for k in 0..2 {
        let json: serde_json::Value =
            serde_json::from_str(&team.at(k, &["--json", "task", "list", &id])).unwrap();
        let by_number = |n: u64| {
            json.as_array()
                .unwrap()
                .iter()
                .find(|t| t["number"] == n)
                .unwrap()
                .clone()
        };
        for n in 1..=3 {
            assert_eq!(by_number(n)["state"], "done", "clone {k}: {json}");
        }
        assert_eq!(
            by_number(3)["closed_at"],
            "2026-11-25T09:54:00Z",
            "the earlier close"
        );
        assert_eq!(by_number(3)["note"], "briefed");
    }
    let status = team.git_at(0, &["status", "--porcelain"]);
    assert!(status.trim().is_empty(), "no conflict left: {status}");
}

#[test]
fn the_post_mortem_shows_the_checklist_followed_and_the_public_one_does_not() {
    let mut repo = Repo::new();
    repo.write("runbooks/sev1.md", SEV1);
    repo.at("2026-11-25T10:00:00Z");
    let id = repo.declare(
        "Checkout down",
        &[
            "--sev",
            "SEV1",
            "--service",
            "checkout",
            "--commander",
            "dana",
            "--update",
        ],
    );
    repo.at("2026-11-25T10:20:00Z");
    repo.ok(&["task", "done", &id, "1", "--at", "10:03"]);
    repo.ok(&[
        "task", "done", &id, "2", "--at", "10:18", "--note", "posted",
    ]);
    repo.ok(&["task", "skip", &id, "3", "--reason", "on the bridge"]);
    let pm = repo.ok(&["postmortem", &id]);
    let blob = repo.git(&["hash-object", "runbooks/sev1.md"]);
    assert!(pm.contains("## Checklist"), "{pm}");
    assert!(
        pm.contains(&format!(
            "`runbooks/sev1.md` version {}",
            &blob.trim()[..10]
        )),
        "{pm}"
    );
    assert!(
        pm.contains("| 1 | Name an incident commander | dana |"),
        "{pm}"
    );
    assert!(
        pm.contains("done") && pm.contains("(late): posted"),
        "the update came after 10:15: {pm}"
    );
    assert!(
        pm.contains("skipped") && pm.contains("on the bridge"),
        "{pm}"
    );
    // A lesson flows back into the runbook it improves.
    let added = repo.ok(&[
        "action",
        "add",
        &id,
        "Name the comms lead in the first five minutes",
        "--owner",
        "dana",
        "--runbook",
        "sev1",
    ]);
    assert!(added.contains("improves runbooks/sev1.md"), "{added}");
    let pm = repo.ok(&["postmortem", &id]);
    assert!(pm.contains("(improves `runbooks/sev1.md`)"), "{pm}");
    let missing = repo.fails(
        1,
        &[
            "action",
            "add",
            &id,
            "x",
            "--owner",
            "dana",
            "--runbook",
            "nope",
        ],
    );
    assert!(missing.contains("no runbook `nope`"), "{missing}");
    let public = repo.ok(&["postmortem", &id, "--public"]);
    assert!(!public.contains("improves"), "{public}");
    assert!(
        !public.contains("Checklist") && !public.contains("dana"),
        "{public}"
    );
}

#[test]
fn init_starts_a_repo_with_the_runbooks_of_the_practice() {
    let mut repo = Repo::bare_home();
    std::fs::create_dir_all(&repo.root).unwrap();
    repo.ok(&[
        "init",
        "--org",
        "Acme",
        "--service",
        "checkout",
        "--service",
        "payments",
    ]);
    let files = repo.git(&["ls-files", "runbooks"]);
    for name in [
        "sev1-response",
        "sev2-response",
        "security-incident",
        "data-loss-restore",
        "rollback-bad-deploy",
        "post-incident-review",
    ] {
        assert!(files.contains(&format!("runbooks/{name}.md")), "{files}");
    }
    assert_eq!(repo.commit_count(), 1, "in the init commit");
    repo.ok(&["check"]);
    repo.at("2026-11-25T10:00:00Z");
    let out = repo.ok(&[
        "declare",
        "Checkout down",
        "--sev",
        "SEV1",
        "--service",
        "checkout",
        "--kind",
        "deploy",
        "--commander",
        "dana",
    ]);
    for path in ["sev1-response", "rollback-bad-deploy"] {
        assert!(
            out.contains(&format!("runbook runbooks/{path}.md")),
            "{path}\n{out}"
        );
    }
    // The review checklist waits for the resolution: the response's steps come first.
    assert!(!out.contains("sev2-response"), "{out}");
    assert!(!out.contains("post-incident-review"), "{out}");
    assert!(out.contains("next:\n  #1 Stop the rollout"), "{out}");
    // The practice's deadlines: status page within 15 min of detection, customers within 30 min
    // and executives within an hour of reaching SEV1.
    let id = repo.ids_of_year("2026")[0].clone();
    let json: serde_json::Value =
        serde_json::from_str(&repo.ok(&["--json", "task", "list", &id])).unwrap();
    let due = |text: &str| {
        json.as_array()
            .unwrap()
            .iter()
            .find(|t| t["text"].as_str().unwrap().starts_with(text))
            .unwrap_or_else(|| panic!("{text}: {json}"))["due_at"]
            .clone()
    };
    assert_eq!(
        due("Post the first status-page update"),
        "2026-11-25T10:15:00Z"
    );
    assert_eq!(due("Tell affected customers"), "2026-11-25T10:30:00Z");
    assert_eq!(due("Brief the executives"), "2026-11-25T11:00:00Z");
    // Resolving it attaches the review and says what to do next.
    repo.at("2026-11-25T12:00:00Z");
    let out = repo.ok(&["resolve", &id]);
    assert!(
        out.contains("runbook runbooks/post-incident-review.md: 6 step(s); next:")
            && out.contains("Name the review's author"),
        "{out}"
    );
    let tasks = repo.record(&id)["tasks"].as_array().unwrap().len();
    // Reopened and resolved again: attached once only.
    repo.ok(&["status", &id, "monitoring", "--reopen"]);
    repo.ok(&["resolve", &id]);
    assert_eq!(repo.record(&id)["tasks"].as_array().unwrap().len(), tasks);
    // A repo that wants none.
    let bare = Repo::bare_home();
    std::fs::create_dir_all(&bare.root).unwrap();
    bare.ok(&["init", "--no-runbooks"]);
    assert!(bare.git(&["ls-files", "runbooks"]).trim().is_empty());
}

#[test]
fn search_finds_past_incidents_by_their_words_and_declare_shows_the_likeliest() {
    let mut repo = Repo::example("acme", "2026-11-18T12:00:00Z");
    let json: serde_json::Value =
        serde_json::from_str(&repo.ok(&["--json", "search", "connection pool"])).unwrap();
    assert_eq!(
        json[0]["id"], "2026-10-27-checkout-and-payments-failing",
        "{json}"
    );
    assert!(
        json[0]["why"][0]
            .as_str()
            .unwrap()
            .starts_with("root cause: "),
        "{json}"
    );
    // Filters narrow, and a drill is never an answer.
    let none: serde_json::Value = serde_json::from_str(&repo.ok(&[
        "--json",
        "search",
        "connection pool",
        "--service",
        "search",
    ]))
    .unwrap();
    assert_eq!(none, serde_json::json!([]));
    let drill = repo.ok(&["search", "game day"]);
    assert!(!drill.contains("game-day"), "{drill}");
    let words = repo.ok(&["search", "connection pool"]);
    assert!(
        words.contains("root cause: \"The connection-pool limit"),
        "{words}"
    );
    // Declaring on a terminal's stdout names what looks the same, with its cause and its fix.
    repo.at("2026-11-18T12:05:00Z");
    let out = repo.ok(&[
        "declare",
        "Checkout errors on payment",
        "--sev",
        "SEV3",
        "--service",
        "checkout",
    ]);
    assert!(out.contains("seen before?"), "{out}");
    assert!(
        out.contains("2026-10-27-checkout-and-payments-failing")
            && out.contains("cause: The connection-pool limit"),
        "{out}"
    );
    assert!(
        out.contains("fixed by: The config deploy was rolled back"),
        "{out}"
    );
}

#[test]
fn briefs_for_the_next_commander_and_for_leadership() {
    let mut repo = Repo::new();
    repo.write("runbooks/sev1.md", SEV1);
    repo.at("2026-11-25T10:00:00Z");
    let id = repo.declare(
        "Checkout down",
        &[
            "--sev",
            "SEV1",
            "--service",
            "checkout",
            "--commander",
            "dana",
            "--update",
            "--users",
            "1200",
        ],
    );
    repo.at("2026-11-25T10:20:00Z");
    repo.ok(&[
        "log",
        &id,
        "Fail over to the standby database",
        "--kind",
        "decision",
    ]);
    repo.ok(&[
        "log",
        &id,
        "Is the replica lag growing?",
        "--kind",
        "finding",
    ]);
    repo.ok(&["task", "done", &id, "1"]);
    let handoff = repo.ok(&["render", &id, "--channel", "handoff"]);
    for wanted in [
        "# Handoff: Checkout down",
        "- commander: dana",
        "## What is due",
        "- task #2: Post the first status-page update: overdue since 2026-11-25 10:15 UTC",
        "- task 2: Post the first status-page update, due 2026-11-25 10:15 UTC (late)",
        "- 2026-11-25 10:20 UTC: Fail over to the standby database",
        "- 2026-11-25 10:20 UTC: Is the replica lag growing?",
        "## What customers were last told",
    ] {
        assert!(handoff.contains(wanted), "{wanted}\n{handoff}");
    }
    assert!(
        !handoff.contains("Name an incident commander, due"),
        "done tasks are not open: {handoff}"
    );
    let exec = repo.ok(&["render", &id, "--channel", "exec"]);
    for wanted in [
        "# Situation report: Checkout down",
        "- **Severity**: SEV1 (critical)",
        "- **Status**: investigating, ongoing for 20 min",
        "- **Impact**: 1200 users",
        "- **Commander**: dana",
        "1 public update(s) posted",
    ] {
        assert!(exec.contains(wanted), "{wanted}\n{exec}");
    }
    // Both read as clean Markdown to independent readers.
    let dir = repo.home.path();
    std::fs::write(dir.join("handoff.md"), &handoff).unwrap();
    std::fs::write(dir.join("exec.md"), &exec).unwrap();
    let out = std::process::Command::new("python3")
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/tools/markdown_check.py"
        ))
        .arg(dir.join("handoff.md"))
        .arg(dir.join("exec.md"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A step says what checks it off (`done when:`); the command that does it checks it off in its
/// own commit, at its time and by its author, so the board stops calling it due. The seeded
/// SEV2 response names the commander, first update and customers this way.
#[test]
fn a_step_is_checked_off_by_the_command_that_does_it() {
    let mut repo = Repo::bare_home();
    std::fs::create_dir_all(&repo.root).unwrap();
    repo.ok(&["init", "--org", "Acme", "--service", "checkout"]);
    repo.at("2026-11-25T10:00:00Z");
    let out = repo.ok(&[
        "declare",
        "Checkout slow",
        "--sev",
        "SEV2",
        "--service",
        "checkout",
        "--commander",
        "dana",
    ]);
    // Named as it was declared: not among the next steps.
    assert!(!out.contains("Name an incident commander"), "{out}");
    let id = repo.ids_of_year("2026")[0].clone();
    let task = |repo: &Repo, text: &str| {
        let list: serde_json::Value =
            serde_json::from_str(&repo.ok(&["--json", "task", "list", &id])).unwrap();
        list.as_array()
            .unwrap()
            .iter()
            .find(|t| t["text"].as_str().unwrap().starts_with(text))
            .cloned()
            .unwrap_or_else(|| panic!("{text}: {list}"))
    };
    let named = task(&repo, "Name an incident commander");
    assert_eq!(named["state"], "done", "{named}");
    assert_eq!(named["note"], "commander named");
    assert_eq!(task(&repo, "Tell affected customers")["state"], "open");
    assert!(repo.ok(&["due"]).contains("Tell affected customers"));
    // The customers are told: the step is checked off in the same commit.
    repo.at("2026-11-25T10:20:00Z");
    let commits = repo.commit_count();
    repo.ok(&[
        "--as",
        "carol",
        "log",
        &id,
        "emailed affected customers",
        "--to",
        "customers",
    ]);
    assert_eq!(repo.commit_count(), commits + 1, "one commit");
    let told = task(&repo, "Tell affected customers");
    assert_eq!(told["state"], "done", "{told}");
    assert_eq!(told["closed_at"], "2026-11-25T10:20:00Z");
    assert_eq!(told["closed_by"], "carol");
    assert_eq!(told["note"], "comms to customers");
    let shown = repo.git(&["show", "--format=%s", "HEAD"]);
    assert!(
        shown.contains("task #3 done: Tell affected customers directly: comms to customers"),
        "{shown}"
    );
    assert!(!repo.ok(&["due"]).contains("Tell affected customers"));
    // A step that is not done by anything stays for the responder.
    assert_eq!(task(&repo, "Mitigate first")["state"], "open");
    // A trigger that does not read is a check error naming the file, the line and the forms.
    repo.write(
        "runbooks/odd.md",
        "---\ntitle: Odd\n---\n- [ ] Wait\n  - done when: the moon is full\n",
    );
    let out = repo.run(&["check"]);
    assert_eq!(out.status.code(), Some(1));
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        said.contains("runbooks/odd.md: line 5: done when: `the moon is full`")
            && said.contains("comms to AUDIENCE"),
        "{said}"
    );
}
