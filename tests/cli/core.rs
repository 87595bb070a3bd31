//! The incident lifecycle end to end: files, `git log` and output.

use crate::support::Repo;

#[test]
fn init_creates_policy_folder_and_one_commit_and_is_harmless_twice() {
    let repo = Repo::new();
    let policy = std::fs::read_to_string(repo.root.join(".incident.yaml")).unwrap();
    assert!(policy.contains("organisation: Acme"));
    assert!(policy.contains("status_page_within: 15m"));
    assert!(policy.contains("- id: checkout"));
    assert!(repo.root.join("incidents").is_dir());
    assert_eq!(repo.commit_count(), 1);
    let again = repo.ok(&["init"]);
    assert!(again.contains("already an incident repo"), "{again}");
    assert_eq!(repo.commit_count(), 1);
    assert_eq!(repo.git(&["status", "--porcelain"]), "");
}

#[test]
fn declare_writes_the_record_in_a_year_folder_with_one_commit() {
    let repo = Repo::new();
    let id = repo.declare(
        "Checkout down for EU customers",
        &[
            "--sev",
            "SEV1",
            "--service",
            "checkout",
            "--service",
            "payments",
            "--kind",
            "outage",
            "--summary",
            "EU checkout fails",
            "--commander",
            "alice",
            "--started-at",
            "2026-11-25T09:50:00Z",
        ],
    );
    assert_eq!(id, "2026-11-25-checkout-down-for-eu-customers");
    let yaml = repo.read(&id);
    for expected in [
        "version: 1\n",
        "id: 2026-11-25-checkout-down-for-eu-customers\n",
        "severity: SEV1\n",
        "status: investigating\n",
        "kind: outage\n",
        "services:\n- checkout\n- payments\n",
        "roles:\n  commander: alice\n",
        "started_at: 2026-11-25T09:50:00Z\n",
        "detected_at: 2026-11-25T10:00:00Z\n",
        "acknowledged_at: 2026-11-25T10:00:00Z\n",
        "  kind: declared\n",
        "  by: Alice Example\n",
        "  visibility: public\n",
    ] {
        assert!(yaml.contains(expected), "missing {expected:?} in\n{yaml}");
    }
    let log = repo.git(&["log", "-1", "--format=%an <%ae>%n%B"]);
    assert_eq!(
        log.trim_end(),
        "Alice Example <alice@example.com>\n2026-11-25-checkout-down-for-eu-customers: declared SEV1: Checkout down for EU customers\n\nIncident: 2026-11-25-checkout-down-for-eu-customers\nEvent: declared"
    );
    let files = repo.git(&["show", "--name-only", "--format=", "HEAD"]);
    assert_eq!(
        files.trim(),
        "incidents/2026/2026-11-25-checkout-down-for-eu-customers.yaml"
    );
    assert_eq!(repo.git(&["status", "--porcelain"]), "");
}

#[test]
fn the_same_title_twice_gets_a_suffix() {
    let repo = Repo::new();
    let first = repo.declare("DB latency", &[]);
    let second = repo.declare("DB latency", &[]);
    assert_eq!(first, "2026-11-25-db-latency");
    assert_eq!(second, "2026-11-25-db-latency-2");
    assert!(repo.read(&second).contains("id: 2026-11-25-db-latency-2\n"));
}

#[test]
fn a_whole_incident_from_declare_to_resolve_is_the_git_log() {
    let mut repo = Repo::new();
    let id = repo.declare("Checkout down", &["--sev", "SEV2"]);
    repo.at("2026-11-25T10:03:00Z").ok(&["ack", "checkout"]);
    repo.at("2026-11-25T10:05:00Z").ok(&[
        "assign",
        "checkout",
        "--commander",
        "alice",
        "--comms",
        "bob",
        "--role",
        "scribe=dana",
    ]);
    repo.at("2026-11-25T10:07:00Z").ok(&[
        "severity",
        "checkout",
        "SEV1",
        "--reason",
        "checkout down for all EU customers",
    ]);
    repo.at("2026-11-25T10:10:00Z").ok(&[
        "status",
        "checkout",
        "identified",
        "--note",
        "bad deploy 4512",
    ]);
    repo.at("2026-11-25T10:12:00Z").ok(&[
        "log",
        "checkout",
        "rolled back deploy 4512",
        "--kind",
        "action",
    ]);
    repo.at("2026-11-25T10:20:00Z")
        .ok(&["status", "checkout", "monitoring"]);
    repo.at("2026-11-25T10:45:00Z").ok(&[
        "resolve",
        "checkout",
        "--note",
        "error rate back to baseline",
    ]);

    let rec = repo.record(&id);
    assert_eq!(rec["severity"], "SEV1");
    assert_eq!(rec["status"], "resolved");
    assert_eq!(rec["acknowledged_at"], "2026-11-25T10:03:00Z");
    assert_eq!(rec["mitigated_at"], "2026-11-25T10:20:00Z");
    assert_eq!(rec["resolved_at"], "2026-11-25T10:45:00Z");
    assert_eq!(rec["roles"]["commander"], "alice");
    assert_eq!(rec["roles"]["comms"], "bob");
    assert_eq!(rec["roles"]["scribe"], "dana");
    let kinds: Vec<&str> = rec["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        [
            "declared", "ack", "assign", "severity", "status", "action", "status", "resolved"
        ]
    );

    let log = repo.git(&["log", "--format=%s", "--reverse"]);
    let subjects: Vec<&str> = log.lines().skip(1).collect();
    assert_eq!(
        subjects,
        [
            "2026-11-25-checkout-down: declared SEV2: Checkout down",
            "2026-11-25-checkout-down: acknowledged by Alice Example",
            "2026-11-25-checkout-down: assigned commander: alice, comms: bob, scribe: dana",
            "2026-11-25-checkout-down: severity SEV2 → SEV1: checkout down for all EU customers",
            "2026-11-25-checkout-down: status investigating → identified: bad deploy 4512",
            "2026-11-25-checkout-down: rolled back deploy 4512",
            "2026-11-25-checkout-down: status identified → monitoring",
            "2026-11-25-checkout-down: status monitoring → resolved: error rate back to baseline",
        ]
    );
    let events = repo.git(&["log", "--format=%(trailers:key=Event,valueonly)", "-3"]);
    assert_eq!(
        events.split_whitespace().collect::<Vec<_>>(),
        ["resolved", "status", "action"]
    );

    let history = repo.ok(&["history", "checkout"]);
    assert!(history.contains("severity SEV2 → SEV1"), "{history}");
    assert!(
        history
            .lines()
            .nth(1)
            .unwrap()
            .contains("status monitoring → resolved"),
        "newest first:\n{history}"
    );
    let fsck = std::process::Command::new("git")
        .args(["fsck", "--strict"])
        .current_dir(&repo.root)
        .output()
        .unwrap();
    assert!(
        fsck.status.success(),
        "{}",
        String::from_utf8_lossy(&fsck.stderr)
    );
}

#[test]
fn first_status_change_acknowledges_when_nobody_did() {
    let mut repo = Repo::new();
    let id = repo.declare("Search slow", &["--service", "search", "--sev", "SEV3"]);
    assert!(repo.record(&id).get("acknowledged_at").is_none());
    repo.at("2026-11-25T10:09:00Z")
        .ok(&["status", &id, "identified"]);
    assert_eq!(repo.record(&id)["acknowledged_at"], "2026-11-25T10:09:00Z");
}

#[test]
fn backfilled_and_internal_events_are_ordered_and_marked() {
    let mut repo = Repo::new();
    let id = repo.declare("Payments errors", &["--service", "payments"]);
    repo.at("2026-11-25T10:30:00Z").ok(&[
        "log",
        &id,
        "vendor confirmed outage",
        "--kind",
        "finding",
        "--internal",
    ]);
    repo.ok(&["log", &id, "alerts fired", "--at", "2026-11-25T09:55:00Z"]);
    repo.ok(&["log", &id, "first customer ticket", "--at", "20m ago"]);
    let rec = repo.record(&id);
    let texts: Vec<&str> = rec["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["text"].as_str().unwrap())
        .collect();
    assert_eq!(
        texts,
        [
            "alerts fired",
            "declared SEV2: Payments errors",
            "first customer ticket",
            "vendor confirmed outage"
        ]
    );
    assert_eq!(rec["timeline"][2]["at"], "2026-11-25T10:10:00Z");
    assert_eq!(rec["timeline"][3]["visibility"], "internal");
}

#[test]
fn reopening_needs_the_flag_and_clears_resolution() {
    let mut repo = Repo::new();
    let id = repo.declare("Login failures", &[]);
    repo.at("2026-11-25T10:30:00Z").ok(&["resolve", &id]);
    let err = repo.fails(1, &["resolve", &id]);
    assert!(err.contains("already resolved"), "{err}");
    let err = repo.fails(1, &["status", &id, "investigating"]);
    assert!(err.contains("--reopen"), "{err}");
    repo.at("2026-11-25T10:40:00Z").ok(&[
        "status",
        &id,
        "investigating",
        "--reopen",
        "--note",
        "errors are back",
    ]);
    let rec = repo.record(&id);
    assert_eq!(rec["status"], "investigating");
    assert!(rec.get("resolved_at").is_none());
    assert_eq!(
        rec["timeline"].as_array().unwrap().last().unwrap()["text"],
        "reopened: resolved → investigating: errors are back"
    );
}

#[test]
fn author_comes_from_as_flag_or_environment() {
    let repo = Repo::new();
    let id = repo.declare("Queue backlog", &[]);
    repo.ok(&[
        "--as",
        "Bob Builder <bob@example.com>",
        "log",
        &id,
        "draining queue",
    ]);
    assert_eq!(
        repo.git(&["log", "-1", "--format=%an <%ae>"]).trim(),
        "Bob Builder <bob@example.com>"
    );
    repo.cmd()
        .env("INCIDENT_AUTHOR", "carol")
        .args(["log", &id, "scaled workers"])
        .assert()
        .success();
    let rec = repo.record(&id);
    let by: Vec<&str> = rec["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["by"].as_str().unwrap())
        .collect();
    assert_eq!(by, ["Alice Example", "Bob Builder", "carol"]);
}

#[test]
fn a_change_commits_only_its_own_file_and_leaves_other_work_alone() {
    let repo = Repo::new();
    let id = repo.declare("Cache stampede", &[]);
    repo.write("notes.txt", "draft\n");
    repo.write("runbook.md", "staged\n");
    repo.git(&["add", "runbook.md"]);
    std::fs::write(
        repo.root.join(".incident.yaml"),
        std::fs::read_to_string(repo.root.join(".incident.yaml")).unwrap() + "# local edit\n",
    )
    .unwrap();
    repo.ok(&["log", &id, "purged cache"]);
    let files = repo.git(&["show", "--name-only", "--format=", "HEAD"]);
    assert_eq!(files.trim(), format!("incidents/2026/{id}.yaml"));
    let status = repo.git(&["status", "--porcelain"]);
    assert_eq!(status, " M .incident.yaml\nA  runbook.md\n?? notes.txt\n");
}

#[test]
fn ids_resolve_by_prefix_or_substring() {
    let repo = Repo::new();
    repo.declare("Checkout down", &[]);
    repo.declare("Search slow", &["--service", "search"]);
    let out = repo.ok(&["show", "2026-11-25-se"]);
    assert!(out.contains("Search slow"), "{out}");
    let out = repo.ok(&["show", "down"]);
    assert!(out.contains("Checkout down"), "{out}");
}

#[test]
fn unknown_fields_survive_every_rewrite() {
    let repo = Repo::new();
    let id = repo.declare("Webhook delays", &[]);
    let path = repo.path_of(&id);
    let text = std::fs::read_to_string(&path).unwrap();
    let text = text.replacen(
        "services:",
        "pager_escalation:\n  policy: p-123\n  level: 2\nservices:",
        1,
    ) + "future_list:\n- a\n- b\n";
    let text = text.replacen(
        "  visibility: public\n",
        "  visibility: public\n  source: pagerduty\n",
        1,
    );
    std::fs::write(&path, text).unwrap();
    repo.git(&["commit", "-qam", "hand edit"]);
    repo.ok(&["severity", &id, "SEV3"]);
    let after = repo.read(&id);
    assert!(
        after.contains("pager_escalation:\n  policy: p-123\n  level: 2\n"),
        "{after}"
    );
    assert!(after.contains("future_list:\n- a\n- b\n"), "{after}");
    assert!(after.contains("  source: pagerduty\n"), "{after}");
    let diff = repo.git(&["diff", "HEAD~1", "--stat"]);
    assert!(diff.contains("1 file changed"), "{diff}");
    let diff = repo.git(&["diff", "-U0", "HEAD~1"]);
    let removed: Vec<&str> = diff
        .lines()
        .filter(|l| l.starts_with('-') && !l.starts_with("---"))
        .collect();
    assert_eq!(
        removed,
        ["-severity: SEV2"],
        "only what changed is rewritten:\n{diff}"
    );
}

#[test]
fn the_readme_quick_start_runs_as_written() {
    let repo = Repo::bare_home();
    std::fs::create_dir_all(&repo.root).unwrap();
    let readme =
        std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md"))
            .unwrap();
    let start = readme
        .find("A real incident, from declaring to resolving:")
        .expect("README has the quick start");
    let block = &readme[start..];
    let script = block
        .split("```sh\n")
        .nth(1)
        .unwrap()
        .split("```")
        .next()
        .unwrap();
    let bin_dir = assert_cmd::cargo::cargo_bin("incident")
        .parent()
        .unwrap()
        .to_path_buf();
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let out = std::process::Command::new("bash")
        .arg("-ec")
        .arg(script)
        .env_clear()
        .envs(repo.env())
        .env("PATH", path)
        .current_dir(&repo.root)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "quick start failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let incident_repo = repo.root.join("ops-incidents");
    assert!(
        incident_repo
            .join("postmortems/2026-11-25-checkout-down-for-eu-customers.md")
            .is_file()
    );
    assert!(incident_repo.join("public/summary.json").is_file());
}

fn declare_on_terminal(repo: &Repo, keys: &[u8]) -> std::process::Output {
    crate::terminal::type_on_terminal(repo, &["declare"], keys)
}

#[test]
fn on_a_terminal_declare_asks_for_what_is_missing() {
    // The keys answer the prompts in order: the title; Up to SEV1 from the default SEV2; Space to pick
    // the first service; Enter for kind `other`; Enter for "started now"; Enter for the commander
    // (SEV1 requires one; the default is me); `y` to post the first update.
    let repo = Repo::new();
    let out = declare_on_terminal(&repo, b"Payments failing\r|\x1b[A\r| \r|\r|\r|\r|y");
    let screen = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{screen}");
    for prompt in [
        "What is broken",
        "Severity",
        "Services",
        "Kind",
        "Impact started",
        "Commander",
    ] {
        assert!(screen.contains(prompt), "no `{prompt}` prompt: {screen}");
    }
    assert!(
        screen.contains("SEV1 critical: complete outage"),
        "severities are described: {screen}"
    );
    let rec = repo.record("2026-11-25-payments-failing");
    assert_eq!(rec["severity"], "SEV1");
    assert_eq!(rec["services"], serde_json::json!(["checkout"]));
    assert_eq!(rec["kind"], "other");
    assert_eq!(rec["roles"]["commander"], "Alice Example");
    assert_eq!(rec["started_at"], "2026-11-25T10:00:00Z");
    assert_eq!(
        rec["updates"].as_array().unwrap().len(),
        1,
        "the offered first update was posted"
    );
}

#[test]
fn ctrl_c_at_a_declare_prompt_leaves_nothing() {
    let repo = Repo::new();
    let commits = repo.commit_count();
    let out = declare_on_terminal(&repo, b"Payments failing\r|\x03");
    assert!(
        !out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert_eq!(repo.commit_count(), commits);
    assert_eq!(
        repo.git(&["status", "--porcelain", "--untracked-files=all"]),
        ""
    );
    assert!(!repo.root.join("incidents/2026").exists());
}
