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
