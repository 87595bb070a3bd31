//! A realistic SEV1 played minute by minute with a pinned clock, as the practice describes it: the
//! on-call declares a SEV2 (the alert fired three minutes earlier), escalates it to SEV1 six minutes
//! later, hands command to the incident commander, the comms lead tells customers (late) and the
//! executives (in time), it is resolved, reviewed, then reopened and resolved again. Every figure the
//! documents and metrics show is asserted.

use crate::support::Repo;
use serde_json::Value;

fn json(repo: &Repo, args: &[&str]) -> Value {
    let mut all = vec!["--json"];
    all.extend(args);
    serde_json::from_str(&repo.ok(&all)).unwrap()
}

fn at(repo: &mut Repo, hm: &str) {
    repo.at(&format!("2026-11-25T{hm}:00Z"));
}

/// What `incident due` says is owed now whose description contains `what`.
fn owed(repo: &Repo, what: &str) -> Value {
    let due = json(repo, &["due"]);
    due.as_array()
        .unwrap()
        .iter()
        .find(|d| d["what"].as_str().unwrap().contains(what))
        .unwrap_or_else(|| panic!("nothing `{what}` is owed: {due}"))
        .clone()
}

/// (severity, deadline) → (kept, missed, misses) from `stats --json`.
fn compliance(stats: &Value, sev: &str, deadline: &str) -> (u64, u64, Vec<String>) {
    let row = stats["comms"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["severity"] == sev && c["deadline"] == deadline)
        .unwrap_or_else(|| panic!("no {sev} {deadline} row in {}", stats["comms"]));
    (
        row["kept"].as_u64().unwrap(),
        row["missed"].as_u64().unwrap(),
        row["misses"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m.as_str().unwrap().to_string())
            .collect(),
    )
}

#[test]
fn a_sev1_escalated_handed_over_resolved_reviewed_and_reopened_tells_the_truth() {
    let mut repo = Repo::new();
    at(&mut repo, "10:00");
    let id = repo.declare(
        "Checkout errors",
        &[
            "--as",
            "oscar",
            "--commander",
            "oscar",
            "--detected-at",
            "2026-11-25T09:57:00Z",
            "--update",
        ],
    );
    let record = repo.record(&id);
    assert_eq!(
        record["acknowledged_at"], "2026-11-25T10:00:00Z",
        "declaring with a commander acknowledges when declaring, not at the backfilled detection"
    );

    at(&mut repo, "10:06");
    repo.ok(&[
        "--as",
        "oscar",
        "severity",
        &id,
        "SEV1",
        "--reason",
        "all regions",
    ]);
    at(&mut repo, "10:10");
    repo.ok(&[
        "--as",
        "alice",
        "assign",
        &id,
        "--commander",
        "alice",
        "--comms",
        "bob",
    ]);
    at(&mut repo, "10:12");
    repo.ok(&[
        "--as",
        "alice",
        "log",
        &id,
        "roll back deploy 812",
        "--kind",
        "decision",
    ]);
    at(&mut repo, "10:15");
    repo.ok(&[
        "--as",
        "oscar",
        "log",
        &id,
        "errors started with deploy 812",
        "--kind",
        "finding",
    ]);

    // At 10:20 the customer notification is owed by 10:36: SEV1's 30 min run from the escalation at
    // 10:06, not from detection (which would be 10:27), and beat SEV2's hour (10:57).
    at(&mut repo, "10:20");
    let customers = owed(&repo, "customer notification");
    assert_eq!(customers["due_at"], "2026-11-25T10:36:00Z", "{customers}");

    at(&mut repo, "10:25");
    repo.ok(&[
        "--as",
        "bob",
        "update",
        &id,
        "--impacted",
        "Checkout fails for all customers",
        "--learned",
        "A deploy broke payments; rolling it back",
    ]);
    at(&mut repo, "10:40");
    repo.ok(&[
        "--as",
        "bob",
        "log",
        &id,
        "emailed all customers",
        "--kind",
        "comms",
        "--to",
        "customers",
    ]);
    at(&mut repo, "11:00");
    repo.ok(&[
        "--as",
        "bob",
        "log",
        &id,
        "briefed the executives",
        "--kind",
        "comms",
        "--to",
        "executives",
    ]);
    at(&mut repo, "11:30");
    repo.ok(&[
        "--as",
        "alice",
        "resolve",
        &id,
        "--note",
        "error rate at baseline",
        "--update",
    ]);

    // The metrics.
    at(&mut repo, "12:00");
    let stats = json(&repo, &["stats", "--since", "1d"]);
    assert_eq!(
        stats["by_severity"],
        serde_json::json!({"SEV1": 1}),
        "counted at its peak"
    );
    assert_eq!(
        stats["times"]["mtta"]["mean_secs"], 180,
        "3 min: detection 09:57, declared 10:00"
    );
    assert_eq!(
        stats["times"]["mttr"]["mean_secs"],
        93 * 60,
        "09:57 to 11:30"
    );
    assert_eq!(
        compliance(&stats, "SEV1", "coordination").0,
        1,
        "bridge by 10:11, opened 10:00"
    );
    assert_eq!(
        compliance(&stats, "SEV1", "status-page").0,
        1,
        "by 10:21, posted 10:00"
    );
    let (kept, missed, misses) = compliance(&stats, "SEV1", "customers");
    assert_eq!((kept, missed), (0, 1));
    assert!(misses[0].contains("late by 4 min"), "{misses:?}");
    assert_eq!(
        compliance(&stats, "SEV1", "executives").0,
        1,
        "by 11:06, briefed 11:00"
    );
    assert_eq!(stats["reopened"], 0);

    // The post-mortem: roles as held at each moment, the peak and the time at each severity, the
    // updates in customers' words, the promise from the policy.
    repo.ok(&[
        "--as",
        "alice",
        "pir",
        &id,
        "--summary",
        "A deploy broke payments for 93 minutes.",
    ]);
    let pm = repo.ok(&["postmortem", &id]);
    let row = |text: &str| {
        pm.lines()
            .find(|l| l.starts_with("| 11-25") && l.contains(text))
            .unwrap_or_else(|| panic!("no timeline row `{text}`:\n{pm}"))
            .to_string()
    };
    assert!(
        row("declared SEV2").contains("| incident commander |"),
        "oscar commanded when declaring"
    );
    assert!(
        row("errors started with deploy 812").contains("| responder |"),
        "oscar had handed over"
    );
    assert!(
        row("roll back deploy 812").contains("| incident commander |"),
        "alice by then"
    );
    assert!(
        pm.contains("| incident commander | oscar | 11-25 10:00 | 11-25 10:10 |"),
        "{pm}"
    );
    assert!(
        pm.contains("| incident commander | alice | 11-25 10:10 | the end |"),
        "{pm}"
    );
    assert!(
        pm.contains("| Severity | SEV1 (critical) at its worst |"),
        "{pm}"
    );
    assert!(pm.contains("changes: SEV2 → SEV1 at 10:06"), "{pm}");
    assert!(
        pm.contains(
            "Time at each severity: SEV2 9 min (from 09:57); SEV1 1 h 24 min (from 10:06)."
        ),
        "{pm}"
    );
    assert!(
        pm.contains("· identified: Still impacted: Checkout fails for all customers.")
            || pm.contains("· investigating: Still impacted: Checkout fails for all customers."),
        "the update as customers saw it: {pm}"
    );
    assert!(
        pm.contains("We will publish a post-mortem within 5 days."),
        "{pm}"
    );
    assert!(!pm.contains("(standard wording)"), "{pm}");

    // Reopened: mitigation and resolution cleared, deadlines restart, MTTR runs to the end.
    repo.ok(&[
        "--as",
        "alice",
        "status",
        &id,
        "investigating",
        "--reopen",
        "--note",
        "errors are back",
    ]);
    let record = repo.record(&id);
    assert!(
        record["resolved_at"].is_null() && record["mitigated_at"].is_null(),
        "{record}"
    );
    at(&mut repo, "12:10");
    let first = owed(&repo, "first public update");
    assert_eq!(
        first["due_at"], "2026-11-25T12:15:00Z",
        "15 min from the reopen at 12:00"
    );
    repo.ok(&[
        "--as",
        "bob",
        "update",
        &id,
        "--impacted",
        "Some checkouts fail again",
        "--learned",
        "The rollback did not reach one region",
    ]);
    at(&mut repo, "12:30");
    repo.ok(&["--as", "alice", "resolve", &id]);
    at(&mut repo, "13:00");
    let stats = json(&repo, &["stats", "--since", "1d"]);
    assert_eq!(stats["reopened"], 1);
    assert_eq!(
        stats["times"]["mttr"]["mean_secs"],
        153 * 60,
        "09:57 to 12:30, reopened time included"
    );
    assert_eq!(
        compliance(&stats, "SEV1", "status-page").0,
        2,
        "kept in both episodes"
    );
}

#[test]
fn a_review_left_in_draft_past_the_promise_is_a_check_warning_until_final() {
    let mut repo = Repo::new();
    at(&mut repo, "10:00");
    let id = repo.declare(
        "Checkout errors",
        &["--sev", "SEV2", "--commander", "alice"],
    );
    repo.ok(&["resolve", &id]);
    repo.ok(&[
        "pir",
        &id,
        "--summary",
        "A deploy broke checkout.",
        "--author",
        "alice",
        "--reviewer",
        "bob",
    ]);
    let pm = repo.ok(&["postmortem", &id]);
    assert!(
        pm.contains("| Review | draft, by alice; reviewers bob; due 2026-11-30 |"),
        "{pm}"
    );
    repo.at("2026-12-01T10:00:00Z");
    let out = repo.run(&["check"]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("postmortem.status: the SEV2 post-mortem is still a draft")
            && text.contains(&format!("`incident pir {id} --status final`")),
        "{text}"
    );
    repo.ok(&["pir", &id, "--status", "final", "--meeting", "2026-11-28"]);
    let text = repo.ok(&["check"]);
    assert!(!text.contains("still a draft"), "{text}");
    let pm = repo.ok(&["postmortem", &id]);
    assert!(
        pm.contains(
            "| Review | final, by alice; reviewers bob; meeting 2026-11-28; due 2026-11-30 |"
        ),
        "{pm}"
    );
    let err = repo.fails(2, &["pir", &id, "--status", "approved"]);
    assert!(err.contains("draft, in-review or final"), "{err}");
}

#[test]
fn an_audience_the_policy_names_counts_for_its_deadline() {
    let mut repo = Repo::new();
    // The board is told of every SEV1 within 2 hours.
    let policy = std::fs::read_to_string(repo.root.join(".incident.yaml")).unwrap();
    let policy = policy.replacen(
        "    requires_commander: true\n",
        "    requires_commander: true\n    notify:\n      board: 2h\n",
        1,
    );
    std::fs::write(repo.root.join(".incident.yaml"), &policy).unwrap();
    repo.git(&["commit", "-qam", "board notification policy"]);
    at(&mut repo, "10:00");
    let id = repo.declare(
        "Checkout down",
        &["--sev", "SEV1", "--commander", "alice", "--update"],
    );
    at(&mut repo, "11:00");
    let board = owed(&repo, "notification to board");
    assert_eq!(board["due_at"], "2026-11-25T12:00:00Z");
    at(&mut repo, "12:30");
    let check = repo.run(&["check"]);
    let text = String::from_utf8_lossy(&check.stdout);
    assert!(
        text.contains("notification to board overdue by 30 min")
            && text.contains(&format!(
                "`incident log {id} \"briefed the board\" --kind comms --to board`"
            )),
        "{text}"
    );
    repo.ok(&[
        "log",
        &id,
        "briefed the board",
        "--kind",
        "comms",
        "--to",
        "board",
    ]);
    let stats = json(&repo, &["stats", "--since", "1d"]);
    let row = stats["comms"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["audience"] == "board")
        .unwrap_or_else(|| panic!("{}", stats["comms"]))
        .clone();
    assert_eq!(
        (row["kept"].as_u64(), row["missed"].as_u64()),
        (Some(0), Some(1)),
        "late by 30 min"
    );
}

#[test]
fn the_postmortem_links_related_and_recurring_incidents() {
    let mut repo = Repo::new();
    repo.at("2026-11-01T10:00:00Z");
    let earlier = repo.declare("Checkout slow", &["--kind", "degradation"]);
    repo.at("2026-11-10T10:00:00Z");
    let other = repo.declare("Search down", &["--service", "search", "--kind", "outage"]);
    repo.at("2026-11-25T10:00:00Z");
    let id = repo.declare("Checkout down", &["--kind", "outage"]);
    repo.ok(&["edit", &id, "--related", &other]);
    let pm = repo.ok(&["postmortem", &id]);
    let section = pm
        .split("## Related incidents")
        .nth(1)
        .unwrap()
        .split("\n## ")
        .next()
        .unwrap();
    assert!(
        section.contains(&format!("`{other}` Search down (related)")),
        "{section}"
    );
    assert!(
        section.contains(&format!("`{earlier}` Checkout slow (service checkout)")),
        "{section}"
    );
    let public = repo.ok(&["postmortem", &id, "--public"]);
    assert!(!public.contains(&earlier), "{public}");
}
