//! Correcting the record: `incident edit` by flags and in `$EDITOR`, and changes that change nothing.

use crate::support::Repo;

#[test]
fn each_corrected_field_is_one_event_and_the_whole_edit_one_commit() {
    let repo = Repo::new();
    let id = repo.declare("Checkout slow", &["--commander", "alice"]);
    let other = repo.declare("Payments retries", &["--service", "payments"]);
    let commits = repo.commit_count();
    let out = repo.ok(&[
        "edit",
        &id,
        "--title",
        "Checkout down",
        "--add-service",
        "payments",
        "--users",
        "48000",
        "--revenue",
        "EUR 310,000",
        "--tag",
        "database",
        "--related",
        "payments-retries",
        "--kind",
        "outage",
    ]);
    assert!(
        out.contains("title: Checkout slow → Checkout down"),
        "{out}"
    );
    assert_eq!(repo.commit_count(), commits + 1, "one commit");
    let subject = repo.git(&["log", "-1", "--format=%s"]);
    assert_eq!(
        subject.trim(),
        format!(
            "{id}: corrected title, kind, services, tags, related, users affected, revenue at risk"
        )
    );
    let record = repo.record(&id);
    assert_eq!(record["id"], id.as_str(), "the ID never changes");
    assert_eq!(record["title"], "Checkout down");
    assert_eq!(
        record["services"],
        serde_json::json!(["checkout", "payments"])
    );
    assert_eq!(record["related"], serde_json::json!([other]));
    assert_eq!(record["impact"]["users_affected"], 48000);
    assert_eq!(record["impact"]["revenue_at_risk"], "EUR 310,000");
    let edits: Vec<&str> = record["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "edit")
        .map(|e| e["text"].as_str().unwrap())
        .collect();
    assert_eq!(edits.len(), 7, "{edits:?}");
    assert!(
        edits.contains(&"services: checkout → checkout, payments"),
        "{edits:?}"
    );

    // Nothing to change: no commit, and it says so.
    let out = repo.ok(&["edit", &id, "--title", "Checkout down"]);
    assert!(out.contains("unchanged"), "{out}");
    assert_eq!(repo.commit_count(), commits + 1);
    // Refusals name the flag and what is valid.
    let err = repo.fails(2, &["edit", &id, "--add-service", "chekout"]);
    assert!(
        err.contains("unknown service `chekout`") && err.contains("checkout, payments, search"),
        "{err}"
    );
    let err = repo.fails(2, &["edit", &id, "--title", ""]);
    assert!(err.contains("title must not be empty"), "{err}");
    let err = repo.fails(2, &["edit", &id]);
    assert!(err.contains("--title") && err.contains("$EDITOR"), "{err}");
    let err = repo.fails(
        1,
        &[
            "edit",
            &id,
            "--started-at",
            "2026-11-25T09:50:00Z",
            "--detected-at",
            "2026-11-25T09:40:00Z",
        ],
    );
    assert!(
        err.contains("detected_at") && err.contains("before started_at"),
        "{err}"
    );
    assert_eq!(repo.commit_count(), commits + 1);
}

#[test]
fn on_a_terminal_edit_opens_the_fields_in_the_editor_and_commits_only_what_changed() {
    let repo = Repo::new();
    let id = repo.declare("Checkout slow", &["--commander", "alice"]);
    let editor = repo.home.path().join("editor.sh");
    std::fs::write(
        &editor,
        "#!/bin/sh\nsed -i 's/^title: .*/title: Checkout down for EU customers/; s/^users_affected: .*/users_affected: 1200/' \"$1\"\n",
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&editor, std::fs::Permissions::from_mode(0o755)).unwrap();
    let commits = repo.commit_count();
    let screen = crate::terminal::on_terminal(
        &repo,
        100,
        &[("EDITOR", editor.to_str().unwrap())],
        &["edit", &id],
    );
    assert!(
        screen.contains("title: Checkout slow → Checkout down for EU customers"),
        "{screen}"
    );
    assert_eq!(repo.commit_count(), commits + 1);
    let record = repo.record(&id);
    assert_eq!(record["impact"]["users_affected"], 1200);
    // An editor that changes nothing commits nothing.
    let screen = crate::terminal::on_terminal(&repo, 100, &[("EDITOR", "true")], &["edit", &id]);
    assert!(screen.contains("unchanged"), "{screen}");
    assert_eq!(repo.commit_count(), commits + 1);
}

#[test]
fn pir_why_replaces_add_why_appends_and_repeating_changes_nothing() {
    let repo = Repo::new();
    let id = repo.declare("Checkout down", &[]);
    repo.ok(&[
        "pir",
        &id,
        "--why",
        "pool exhausted",
        "--why",
        "limit lowered",
    ]);
    repo.ok(&["pir", &id, "--add-why", "no canary"]);
    assert_eq!(
        repo.record(&id)["postmortem"]["whys"],
        serde_json::json!(["pool exhausted", "limit lowered", "no canary"])
    );
    repo.ok(&["pir", &id, "--why", "the one real why"]);
    assert_eq!(
        repo.record(&id)["postmortem"]["whys"],
        serde_json::json!(["the one real why"])
    );
    let commits = repo.commit_count();
    let out = repo.ok(&["pir", &id, "--why", "the one real why"]);
    assert!(out.contains("nothing to commit"), "{out}");
    assert_eq!(repo.commit_count(), commits, "no commit for no change");
}

#[test]
fn impact_is_set_at_declare_and_in_the_review() {
    let repo = Repo::new();
    let id = repo.declare(
        "Checkout down",
        &["--users", "48000", "--revenue", "EUR 310,000"],
    );
    let record = repo.record(&id);
    assert_eq!(record["impact"]["users_affected"], 48000);
    assert_eq!(record["impact"]["revenue_at_risk"], "EUR 310,000");
    repo.ok(&[
        "pir",
        &id,
        "--customers",
        "1250",
        "--impact",
        "EU card payments failed for 50 min",
    ]);
    let record = repo.record(&id);
    assert_eq!(record["impact"]["customers_affected"], 1250);
    assert_eq!(
        record["impact"]["description"],
        "EU card payments failed for 50 min"
    );
    let pm = repo.ok(&["postmortem", &id]);
    assert!(pm.contains("48000") || pm.contains("48,000"), "{pm}");
}

/// An editor script at `home/NAME.sh` running `body` on the file in `$1`.
fn editor(repo: &Repo, name: &str, body: &str) -> String {
    use std::os::unix::fs::PermissionsExt;
    let path = repo.home.path().join(format!("{name}.sh"));
    std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    path.to_str().unwrap().to_string()
}

#[test]
fn pir_edit_applies_only_what_you_changed_on_top_of_what_others_committed() {
    let repo = Repo::new();
    let id = repo.declare("Checkout slow", &["--commander", "alice"]);
    repo.ok(&["pir", &id, "--summary", "first draft"]);
    let bin = assert_cmd::cargo::cargo_bin("incident");
    // While the editor is open, another responder writes the root cause.
    let ed = editor(
        &repo,
        "ed-other-field",
        &format!(
            "'{}' pir {id} --root-cause 'a config push' >/dev/null\nsed -i 's/^summary: .*/summary: second draft/' \"$1\"",
            bin.display()
        ),
    );
    let tmp = repo.home.path().join("tmp");
    std::fs::create_dir_all(&tmp).unwrap();
    let tmp_s = tmp.to_str().unwrap();
    crate::terminal::on_terminal(
        &repo,
        100,
        &[("EDITOR", ed.as_str()), ("TMPDIR", tmp_s)],
        &["pir", &id, "--edit"],
    );
    let record = repo.record(&id);
    assert_eq!(record["postmortem"]["summary"], "second draft");
    assert_eq!(
        record["postmortem"]["root_cause"], "a config push",
        "the other responder's change is kept"
    );

    // Both change the same field: refused, naming it, and theirs stays.
    let ed = editor(
        &repo,
        "ed-same-field",
        &format!(
            "'{}' pir {id} --summary 'their summary' >/dev/null\nsed -i 's/^summary: .*/summary: my summary/' \"$1\"",
            bin.display()
        ),
    );
    let commits = repo.commit_count();
    let (ok, screen) = crate::terminal::on_terminal_any(
        &repo,
        100,
        &[("EDITOR", ed.as_str()), ("TMPDIR", tmp_s)],
        &["pir", &id, "--edit"],
    );
    assert!(
        !ok && screen.contains("someone else changed `summary`"),
        "{screen}"
    );
    assert_eq!(repo.commit_count(), commits + 1, "only theirs landed");
    assert_eq!(repo.record(&id)["postmortem"]["summary"], "their summary");
    assert!(
        std::fs::read_dir(&tmp).unwrap().next().is_none(),
        "the editor's file is gone"
    );
}

#[test]
fn pir_edit_off_a_terminal_refuses_at_once() {
    let repo = Repo::new();
    let id = repo.declare("Checkout slow", &[]);
    let err = repo.fails(2, &["pir", &id, "--edit"]);
    assert!(
        err.contains("needs a terminal") && err.contains("--summary"),
        "{err}"
    );
}

#[test]
fn text_that_does_not_parse_is_kept_privately_and_a_killed_editor_leaves_nothing() {
    use std::os::unix::fs::PermissionsExt;
    let repo = Repo::new();
    let id = repo.declare("Checkout slow", &["--commander", "alice"]);
    let tmp = repo.home.path().join("tmp");
    std::fs::create_dir_all(&tmp).unwrap();
    let tmp_s = tmp.to_str().unwrap();
    let ed = editor(
        &repo,
        "ed-broken",
        "printf 'summary: [unclosed\\n' > \"$1\"",
    );
    let (_, screen) = crate::terminal::on_terminal_any(
        &repo,
        100,
        &[("EDITOR", ed.as_str()), ("TMPDIR", tmp_s)],
        &["pir", &id, "--edit"],
    );
    let kept = screen
        .split("your text is kept in `")
        .nth(1)
        .and_then(|r| r.split('`').next())
        .unwrap_or_else(|| panic!("{screen}"));
    let kept = std::path::Path::new(kept);
    assert!(kept.starts_with(&tmp), "{}", kept.display());
    assert_eq!(
        std::fs::read_to_string(kept).unwrap().trim_end(),
        "summary: [unclosed"
    );
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(kept), 0o600);
    assert_eq!(mode(kept.parent().unwrap()), 0o700);
    std::fs::remove_dir_all(kept.parent().unwrap()).unwrap();

    // An editor killed mid-session: nothing committed, no file left behind.
    let commits = repo.commit_count();
    let ed = editor(&repo, "ed-killed", "kill -9 $$");
    crate::terminal::on_terminal_any(
        &repo,
        100,
        &[("EDITOR", ed.as_str()), ("TMPDIR", tmp_s)],
        &["pir", &id, "--edit"],
    );
    assert_eq!(repo.commit_count(), commits);
    let left: Vec<_> = std::fs::read_dir(&tmp).unwrap().collect();
    assert!(left.is_empty(), "{left:?}");
}
