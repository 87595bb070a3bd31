//! Action items, metrics, deadlines and the CI check, on the `examples/acme` fixture whose figures are
//! worked out by hand in `docs/metrics.md`.

use crate::support::Repo;
use serde_json::{Value, json};

const NOW: &str = "2026-11-18T12:00:00Z";
const SEV1: &str = "2026-10-27-checkout-and-payments-failing";

fn json_of(repo: &Repo, args: &[&str]) -> Value {
    let mut full = vec!["--json"];
    full.extend(args);
    serde_json::from_str(&repo.ok(&full)).unwrap()
}

#[test]
fn stats_on_the_fixture_match_the_figures_worked_out_by_hand() {
    let repo = Repo::example("acme", NOW);
    let s = json_of(&repo, &["stats", "--since", "90d"]);
    assert_eq!(s["incidents"], 4);
    assert_eq!(s["drills"], 1);
    assert_eq!(s["by_severity"], json!({"SEV1": 1, "SEV2": 2, "SEV3": 1}));
    let fig = |m: &str| {
        let f = &s["times"][m];
        (
            f["count"].as_u64().unwrap(),
            f["missing"].as_u64().unwrap(),
            f["mean_secs"].as_i64().unwrap(),
            f["median_secs"].as_i64().unwrap(),
            f["p90_secs"].as_i64().unwrap(),
        )
    };
    assert_eq!(fig("mttd"), (3, 1, 600, 600, 900));
    assert_eq!(fig("mtta"), (4, 0, 405, 300, 900));
    assert_eq!(fig("mttm"), (3, 1, 2600, 2700, 2700));
    assert_eq!(fig("mttr"), (3, 1, 4080, 4200, 5040));
    assert_eq!(s["recurrence"]["services"], json!({}));
    assert_eq!(
        s["recurrence"]["kinds"],
        json!({"degradation": ["2026-11-05-search-latency", "2026-11-18-api-elevated-errors"]})
    );

    let comms: Vec<(String, String, u64, u64)> = s["comms"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["severity"].as_str().unwrap().into(),
                c["deadline"].as_str().unwrap().into(),
                c["kept"].as_u64().unwrap(),
                c["missed"].as_u64().unwrap(),
            )
        })
        .collect();
    let row = |sev: &str, d: &str, kept, missed| (sev.to_string(), d.to_string(), kept, missed);
    assert_eq!(
        comms,
        [
            row("SEV1", "status-page", 1, 0),
            row("SEV1", "coordination", 1, 0),
            row("SEV1", "customers", 1, 0),
            row("SEV1", "executives", 1, 0),
            row("SEV1", "next-update", 3, 0),
            row("SEV2", "coordination", 2, 0),
            row("SEV2", "customers", 1, 1),
            row("SEV2", "next-update", 0, 2),
        ]
    );
    let sev2_updates = s["comms"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["severity"] == "SEV2" && c["deadline"] == "next-update")
        .unwrap();
    assert_eq!(
        sev2_updates["misses"],
        json!([
            "2026-11-05-search-latency: late by 15 min",
            "2026-11-18-api-elevated-errors: still missing, overdue by 2 h"
        ])
    );

    assert_eq!(
        s["actions"],
        json!({"total": 5, "open": 2, "done": 2, "dropped": 1, "overdue": 1, "completion_percent": 50.0, "median_days_to_close": 4.0})
    );
}

#[test]
fn stats_grouping_and_drills() {
    let repo = Repo::example("acme", NOW);
    let s = json_of(&repo, &["stats", "--by", "service"]);
    let keys: Vec<&str> = s["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["key"].as_str().unwrap())
        .collect();
    assert_eq!(keys, ["api", "checkout", "dashboard", "payments", "search"]);
    let s = json_of(&repo, &["stats", "--include-drills", "--by", "month"]);
    assert_eq!(s["incidents"], 5);
    let months: Vec<&str> = s["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["key"].as_str().unwrap())
        .collect();
    assert_eq!(
        months,
        ["2026-10", "2026-11"],
        "the SEV1 of Oct 27, the rest in November"
    );
    assert_eq!(s["times"]["mtta"]["count"], 5);
    let text = repo.ok(&["stats"]);
    assert!(text.contains("4 incidents from"), "{text}");
    assert!(
        text.contains("1 drill(s) in the window, left out"),
        "{text}"
    );
    assert!(text.contains("kind degradation: 2 incidents"), "{text}");
    assert!(
        text.contains("missed 2026-11-05-search-latency: late by 15 min"),
        "{text}"
    );
}

#[test]
fn action_items_add_close_list_and_sync_from_commit_trailers() {
    let repo = Repo::example("acme", NOW);
    let out = repo.ok(&[
        "action",
        "add",
        "api-elevated",
        "Test quota parsing against production samples",
        "--owner",
        "dan",
        "--due",
        "7d",
        "--type",
        "prevent",
        "--link",
        "https://tracker.acme.example/OPS-500",
    ]);
    assert!(out.contains("action #1 added: Test quota parsing against production samples (owner dan, due 2026-11-25, prevent)"), "{out}");
    repo.ok(&[
        "action",
        "add",
        "api-elevated",
        "Alert on 503 ratio",
        "--owner",
        "carol",
        "--due",
        "2026-11-21",
        "--type",
        "mitigate",
    ]);
    assert_eq!(
        repo.git(&["log", "-1", "--format=%(trailers:key=Event,valueonly)"])
            .trim(),
        "action-item"
    );

    let overdue = json_of(&repo, &["action", "list", "--overdue"]);
    let items: Vec<String> = overdue
        .as_array()
        .unwrap()
        .iter()
        .map(|r| format!("{}#{}", r["incident"].as_str().unwrap(), r["number"]))
        .collect();
    assert_eq!(items, [format!("{SEV1}#3")]);
    let carol = json_of(&repo, &["action", "list", "--open", "--owner", "carol"]);
    assert_eq!(carol.as_array().unwrap().len(), 2);
    let table = repo.ok(&["action", "list", "--open"]);
    assert!(table.lines().next().unwrap().starts_with("ITEM"), "{table}");
    assert!(table.contains("2026-11-13 overdue"), "{table}");

    repo.ok(&[
        "action",
        "done",
        "api-elevated",
        "2",
        "--note",
        "alert live",
    ]);
    let err = repo.fails(1, &["action", "done", "api-elevated", "2"]);
    assert!(err.contains("already done"), "{err}");
    let err = repo.fails(1, &["action", "done", "api-elevated", "9"]);
    assert!(err.contains("no action item #9 (it has #1, #2)"), "{err}");
    let err = repo.fails(2, &["action", "drop", "api-elevated", "1"]);
    assert!(err.contains("--reason"), "{err}");

    // A fix commit closes the item it names.
    repo.write("runbooks/canary.md", "canary\n");
    repo.git(&["add", "runbooks/canary.md"]);
    repo.git(&[
        "commit",
        "-q",
        "-m",
        "Add config canary\n\nCloses-Action: 2026-10-27-checkout#2",
    ]);
    let out = repo.ok(&["action", "sync"]);
    assert!(out.contains(&format!("{SEV1}#2 done (commit ")), "{out}");
    let rec = repo.record(SEV1);
    assert_eq!(rec["actions"][1]["state"], "done");
    assert!(
        rec["actions"][1]["note"]
            .as_str()
            .unwrap()
            .starts_with("closed by commit ")
    );
    let again = repo.ok(&["action", "sync"]);
    assert!(
        again.contains("no `Closes-Action` trailers name an open action item"),
        "{again}"
    );
}

#[test]
fn due_lists_what_active_incidents_owe() {
    let mut repo = Repo::example("acme", "2026-11-18T09:40:00Z");
    let due = repo.ok(&["due"]);
    assert_eq!(
        due.trim_end(),
        "SEV2 2026-11-18-api-elevated-errors: next public update due in 20 min\nSEV2 2026-11-18-api-elevated-errors: customer notification due in 30 min\nSEV2 2026-11-18-api-elevated-errors: task #3: Tell affected customers directly (comms) due in 30 min"
    );
    repo.at(NOW);
    let json = json_of(&repo, &["due"]);
    let whats: Vec<(&str, bool)> = json
        .as_array()
        .unwrap()
        .iter()
        .map(|d| (d["what"].as_str().unwrap(), d["overdue"].as_bool().unwrap()))
        .collect();
    assert_eq!(
        whats,
        [
            ("next public update", true),
            ("customer notification", true),
            ("task #3: Tell affected customers directly (comms)", true)
        ]
    );
    repo.ok(&[
        "log",
        "api-elevated",
        "emailed API customers",
        "--kind",
        "comms",
        "--to",
        "customers",
    ]);
    let json = json_of(&repo, &["due"]);
    assert_eq!(json.as_array().unwrap().len(), 2);
    repo.ok(&["task", "done", "api-elevated", "3"]);
    let json = json_of(&repo, &["due"]);
    assert_eq!(json.as_array().unwrap().len(), 1);
    assert_eq!(json[0]["what"], "next public update");
    let err = repo.fails(
        2,
        &[
            "log",
            "api-elevated",
            "x",
            "--to",
            "customers",
            "--kind",
            "note",
        ],
    );
    assert!(err.contains("--to goes with --kind comms"), "{err}");
}

#[test]
fn declaring_a_sev1_without_commander_shows_up_as_due_and_as_a_check_warning() {
    let repo = Repo::new();
    repo.declare("Checkout down", &["--sev", "SEV1"]);
    let due = repo.ok(&["due"]);
    assert!(
        due.contains("SEV1 2026-11-25-checkout-down: incident commander"),
        "{due}"
    );
    assert!(due.contains("first public update due in 15 min"), "{due}");
    // A response running late is a warning: the CI job stays green.
    let out = repo.run(&["check"]);
    assert_eq!(out.status.code(), Some(0));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("warning: incidents/2026/2026-11-25-checkout-down.yaml: roles.commander: SEV1 requires an incident commander"), "{stdout}");
    assert!(
        stdout.contains(
            "fix: assign one: `incident assign 2026-11-25-checkout-down --commander WHO`"
        ),
        "{stdout}"
    );
    repo.ok(&["assign", "checkout", "--commander", "alice"]);
    let out = repo.run(&["check"]);
    assert!(!String::from_utf8_lossy(&out.stdout).contains("roles.commander"));
}

/// Every fix hint `check` prints is a command that, run as printed, clears its finding.
#[test]
fn fix_hints_clear_their_findings_when_run() {
    let mut repo = Repo::new();
    repo.declare("Checkout down", &["--sev", "SEV1", "--update"]);
    repo.at("2026-11-25T11:30:00Z");
    let out = repo.run(&["--json", "check"]);
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let findings = report["findings"].as_array().unwrap().clone();
    assert!(findings.len() >= 3, "{findings:?}");
    let open_findings = |repo: &Repo| -> Vec<serde_json::Value> {
        let out = repo.run(&["--json", "check"]);
        let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        report["findings"].as_array().unwrap().clone()
    };
    for f in &findings {
        let same = |g: &serde_json::Value| g["field"] == f["field"] && g["problem"] == f["problem"];
        if !open_findings(&repo).iter().any(same) {
            continue; // an earlier fix cleared this one too
        }
        let fix = f["fix"].as_str().unwrap();
        let command = fix
            .split('`')
            .nth(1)
            .unwrap_or_else(|| panic!("no command in `{fix}`"));
        let args: Vec<String> = shell_words(command.strip_prefix("incident ").unwrap())
            .into_iter()
            .map(|a| if a == "WHO" { "alice".into() } else { a })
            .map(|a| if a == "..." { "fixed".into() } else { a })
            .collect();
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        repo.ok(&args);
        let after = repo.run(&["--json", "check"]);
        let after: serde_json::Value = serde_json::from_slice(&after.stdout).unwrap();
        assert!(
            !after["findings"]
                .as_array()
                .unwrap()
                .iter()
                .any(|g| g["field"] == f["field"] && g["problem"] == f["problem"]),
            "`{command}` did not clear {f}"
        );
    }
}

/// Splits a command line on spaces, keeping "quoted words" together.
fn shell_words(line: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut quoted = false;
    for c in line.chars() {
        match c {
            '"' => quoted = !quoted,
            ' ' if !quoted => {
                if !word.is_empty() {
                    words.push(std::mem::take(&mut word));
                }
            }
            other => word.push(other),
        }
    }
    if !word.is_empty() {
        words.push(word);
    }
    words
}

#[test]
fn drills_are_marked_in_list_and_left_out_of_stats() {
    let repo = Repo::new();
    let id = repo.declare("Game day: region evacuation", &["--drill"]);
    assert_eq!(repo.record(&id)["drill"], true);
    // Marked beside its status, so the title keeps its room.
    let list = repo.ok(&["list"]);
    let row = list.lines().find(|l| l.contains(&id)).unwrap();
    assert!(
        row.contains("investigating (drill)") && row.contains("Game day: region evacuation"),
        "{list}"
    );
    let s = json_of(&repo, &["stats"]);
    assert_eq!(
        (s["incidents"].as_u64(), s["drills"].as_u64()),
        (Some(0), Some(1))
    );
}

#[test]
fn check_passes_the_fixture_with_warnings_and_fails_on_broken_records() {
    let repo = Repo::example("acme", NOW);
    let report = json_of(&repo, &["check"]);
    assert_eq!(report["errors"], 0);
    assert_eq!(report["incidents"], 5);
    let problems: Vec<String> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            format!(
                "{} {}: {}",
                f["file"].as_str().unwrap(),
                f["field"].as_str().unwrap(),
                f["problem"].as_str().unwrap()
            )
        })
        .collect();
    assert!(
        problems.iter().any(|p| p.contains(
            "search-latency.yaml postmortem: SEV2 resolved 13 d ago without a post-mortem (policy: within 5 days)"
        )),
        "{problems:#?}"
    );
    assert!(
        problems
            .iter()
            .any(|p| p.contains("actions[#3]") && p.contains("was due 2026-11-13")),
        "{problems:#?}"
    );
    assert!(
        problems
            .iter()
            .any(|p| p
                .contains("api-elevated-errors.yaml updates: next public update overdue by 2 h")),
        "{problems:#?}"
    );

    // Break one record three ways: time order, lifecycle and YAML syntax in another.
    let path = repo.path_of("2026-11-11-dashboard-charts-empty");
    let text = std::fs::read_to_string(&path).unwrap().replace(
        "resolved_at: 2026-11-11T17:10:00Z",
        "resolved_at: 2026-11-11T16:00:00Z",
    );
    std::fs::write(&path, text).unwrap();
    let path = repo.path_of("2026-11-05-search-latency");
    std::fs::write(
        &path,
        std::fs::read_to_string(&path)
            .unwrap()
            .replace("status: resolved\n", "status: [resolved\n"),
    )
    .unwrap();
    let out = repo.run(&["check"]);
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("error: incidents/2026/2026-11-11-dashboard-charts-empty.yaml: resolved_at: 2026-11-11T16:00:00+00:00 is before detected_at"), "{stdout}");
    assert!(
        stdout.contains("error: incidents/2026/2026-11-05-search-latency.yaml: line 6:"),
        "{stdout}"
    );
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("error: 3 error(s) found"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn check_only_reads_even_when_trailers_would_close_action_items() {
    let repo = Repo::new();
    let id = repo.declare("Checkout down", &["--commander", "alice"]);
    repo.ok(&[
        "action",
        "add",
        &id,
        "Add a canary",
        "--owner",
        "dan",
        "--due",
        "7d",
    ]);
    repo.git(&[
        "commit",
        "-q",
        "--allow-empty",
        "-m",
        &format!("Add canary\n\nCloses-Action: {id}#1"),
    ]);
    let head = repo.git(&["rev-parse", "HEAD"]);
    repo.ok(&["check"]);
    assert_eq!(
        repo.git(&["rev-parse", "HEAD"]),
        head,
        "check made no commit"
    );
    assert!(repo.read(&id).contains("state: open"));
    repo.ok(&["action", "sync"]);
    assert!(repo.read(&id).contains("state: done"));
}

#[test]
fn people_outside_the_roster_are_a_warning_not_a_refusal() {
    let repo = Repo::example("acme", "2026-11-18T16:00:00Z");
    let out = repo.run(&["assign", "api-elevated", "--comms", "zed"]);
    assert!(out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("warning: `zed` is not in the people roster"),
        "{err}"
    );
    let check = repo.run(&["check"]);
    let stdout = String::from_utf8_lossy(&check.stdout);
    assert!(
        stdout.contains("warning: incidents/2026/2026-11-18-api-elevated-errors.yaml: roles.comms: `zed` is not in the people roster"),
        "{stdout}"
    );
}
