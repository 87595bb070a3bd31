//! Bad input: a clear message naming what is wrong and what is valid, the right exit code, and
//! nothing lost.

use crate::support::Repo;

#[test]
fn outside_an_incident_repo_the_error_says_to_init() {
    let repo = Repo::bare_home();
    let err = repo.fails(1, &["list"]);
    assert!(err.contains("not inside an incident repo"), "{err}");
    assert!(err.contains("hint: run `incident init`"), "{err}");
}

#[test]
fn unknown_id_suggests_the_closest_and_ambiguous_lists_candidates() {
    let repo = Repo::new();
    repo.declare("Checkout down", &[]);
    repo.declare("Checkout slow", &[]);
    let err = repo.fails(1, &["show", "chekout-down"]);
    assert!(err.contains("no incident matches `chekout-down`"), "{err}");
    assert!(
        err.contains("did you mean `2026-11-25-checkout-down`"),
        "{err}"
    );
    let err = repo.fails(1, &["log", "checkout", "x"]);
    assert!(
        err.contains("2026-11-25-checkout-down, 2026-11-25-checkout-slow"),
        "{err}"
    );
}

#[test]
fn bad_severity_status_and_kind_list_the_valid_values_with_exit_2() {
    let repo = Repo::new();
    let id = repo.declare("Checkout down", &[]);
    let err = repo.fails(2, &["severity", &id, "SEV9"]);
    assert!(err.contains("SEV1, SEV2, SEV3, SEV4"), "{err}");
    let err = repo.fails(2, &["status", &id, "fixed"]);
    assert!(
        err.contains("investigating, identified, monitoring, resolved"),
        "{err}"
    );
    let err = repo.fails(2, &["log", &id, "x", "--kind", "gossip"]);
    assert!(err.contains("note") && err.contains("finding"), "{err}");
    let err = repo.fails(
        2,
        &[
            "declare",
            "X",
            "--sev",
            "1",
            "--service",
            "checkout",
            "--kind",
            "alien",
        ],
    );
    assert!(err.contains("third-party"), "{err}");
}

#[test]
fn without_a_terminal_missing_values_fail_at_once_naming_the_flags() {
    let repo = Repo::new();
    let err = repo.fails(2, &["declare", "Checkout down"]);
    assert!(err.contains("missing --sev, --service"), "{err}");
    let err = repo.fails(2, &["declare"]);
    assert!(err.contains("missing TITLE, --sev, --service"), "{err}");
    assert_eq!(repo.commit_count(), 1, "nothing committed");
}

#[test]
fn empty_titles_unknown_services_and_path_characters_are_refused() {
    let repo = Repo::new();
    let err = repo.fails(2, &["declare", "  ", "--sev", "2", "--service", "checkout"]);
    assert!(err.contains("title is empty"), "{err}");
    let err = repo.fails(2, &["declare", "X", "--sev", "2", "--service", "chekout"]);
    assert!(
        err.contains("unknown service `chekout`") && err.contains("checkout, payments, search"),
        "{err}"
    );
    let id = repo.declare("Checkout down", &[]);
    let err = repo.fails(2, &["show", "../../etc/passwd"]);
    assert!(err.contains("path characters"), "{err}");
    let err = repo.fails(2, &["assign", &id, "--role", "../x=bob"]);
    assert!(err.contains("path characters"), "{err}");
    let err = repo.fails(2, &["assign", &id, "--commander", "a/b"]);
    assert!(err.contains("path characters"), "{err}");
    let err = repo.fails(1, &["log", &id, "   "]);
    assert!(err.contains("event text is empty"), "{err}");
    let err = repo.fails(2, &["assign", &id]);
    assert!(err.contains("--commander"), "{err}");
}

#[test]
fn illegal_transitions_and_repeats_are_refused_without_a_commit() {
    let repo = Repo::new();
    let id = repo.declare("Checkout down", &[]);
    let before = repo.commit_count();
    assert!(
        repo.fails(1, &["status", &id, "investigating"])
            .contains("already investigating")
    );
    assert!(
        repo.fails(1, &["severity", &id, "SEV2"])
            .contains("already SEV2")
    );
    repo.ok(&["ack", &id]);
    assert!(
        repo.fails(1, &["ack", &id])
            .contains("already acknowledged")
    );
    repo.ok(&["assign", &id, "--commander", "alice"]);
    assert!(
        repo.fails(1, &["assign", &id, "--commander", "alice"])
            .contains("nothing changed")
    );
    assert_eq!(repo.commit_count(), before + 2);
}

#[test]
fn bad_times_name_the_flag_and_the_accepted_forms() {
    let repo = Repo::new();
    let id = repo.declare("Checkout down", &[]);
    let err = repo.fails(2, &["log", &id, "x", "--at", "yesterday"]);
    assert!(
        err.contains("--at") && err.contains("15m ago") && err.contains("RFC 3339"),
        "{err}"
    );
    let err = repo.fails(2, &["log", &id, "x", "--at", "2027-01-01T00:00:00Z"]);
    assert!(err.contains("in the future"), "{err}");
    let err = repo.fails(
        2,
        &[
            "declare",
            "Y",
            "--sev",
            "2",
            "--service",
            "checkout",
            "--started-at",
            "5m ago",
            "--detected-at",
            "10m ago",
        ],
    );
    assert!(err.contains("--started-at is after --detected-at"), "{err}");
}

#[test]
fn a_broken_record_is_named_with_its_line_never_rewritten_and_others_still_work() {
    let repo = Repo::new();
    let broken = repo.declare("Checkout down", &[]);
    let fine = repo.declare("Search slow", &["--service", "search"]);
    let path = repo.path_of(&broken);
    let text = repo
        .read(&broken)
        .replace("severity: SEV2", "severity: [SEV2");
    std::fs::write(&path, &text).unwrap();
    let err = repo.fails(1, &["log", &broken, "still here?"]);
    assert!(
        err.contains(&format!("incidents/2026/{broken}.yaml")),
        "{err}"
    );
    assert!(err.contains("line "), "{err}");
    assert!(err.contains("hint: fix the file by hand"), "{err}");
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        text,
        "the broken file is untouched"
    );
    repo.ok(&["log", &fine, "other incidents still work"]);
    let out = repo.run(&["list"]);
    assert!(out.status.success());
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stdout.contains(&fine) && !stdout.contains(&broken),
        "{stdout}"
    );
    assert!(
        stderr.contains(&format!(
            "warning: skipped `incidents/2026/{broken}.yaml` line"
        )),
        "{stderr}"
    );
}

#[test]
fn a_pinned_clock_that_is_not_rfc3339_is_reported() {
    let repo = Repo::new();
    let err = String::from_utf8(
        repo.cmd()
            .env("INCIDENT_NOW", "noon")
            .arg("list")
            .output()
            .unwrap()
            .stderr,
    )
    .unwrap();
    assert!(err.contains("INCIDENT_NOW `noon`"), "{err}");
}

#[test]
fn no_git_identity_says_how_to_set_one() {
    let repo = Repo::new();
    std::fs::write(repo.home.path().join(".gitconfig"), "").unwrap();
    let err = repo.fails(1, &["declare", "X", "--sev", "2", "--service", "checkout"]);
    assert!(
        err.contains(&format!(
            "git -C '{}' config user.name",
            repo.root.display()
        )) && err.contains("--as"),
        "{err}"
    );
}

#[test]
fn changes_are_refused_in_the_middle_of_a_git_merge() {
    let repo = Repo::new();
    let id = repo.declare("Checkout down", &[]);
    repo.git(&["checkout", "-q", "-b", "side"]);
    repo.write("notes.md", "side\n");
    repo.git(&["add", "notes.md"]);
    repo.git(&["commit", "-qm", "side"]);
    repo.git(&["checkout", "-q", "main"]);
    repo.write("notes.md", "main\n");
    repo.git(&["add", "notes.md"]);
    repo.git(&["commit", "-qm", "main"]);
    let merge = std::process::Command::new("git")
        .env_clear()
        .envs(repo.env())
        .current_dir(&repo.root)
        .args(["merge", "-q", "side"])
        .output()
        .unwrap();
    assert!(!merge.status.success(), "the merge conflicts");
    let before = repo.commit_count();
    let err = repo.fails(1, &["log", &id, "during a merge"]);
    assert!(
        err.contains("in the middle of a git merge") && err.contains("git merge --abort"),
        "{err}"
    );
    assert_eq!(repo.commit_count(), before);
}

#[test]
fn init_dir_takes_the_identity_of_dirs_repo_and_hints_a_command_that_works() {
    let repo = Repo::bare_home();
    // No global identity at all.
    std::fs::write(
        repo.home.path().join(".gitconfig"),
        "[init]\n\tdefaultBranch = main\n",
    )
    .unwrap();
    let err = repo.fails(1, &["init", "ops", "--org", "Acme"]);
    assert!(
        err.contains("git config --global user.name") && err.contains("--as"),
        "{err}"
    );
    // DIR is a repo with its own identity: init uses it, from wherever it runs.
    let dir = repo.home.path().join("team-ops");
    std::fs::create_dir_all(&dir).unwrap();
    let git = |args: &[&str]| {
        let out = std::process::Command::new("git")
            .args(args)
            .current_dir(&dir)
            .env_clear()
            .envs(repo.env())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    git(&["init", "-q"]);
    let err = repo.fails(1, &["init", dir.to_str().unwrap(), "--org", "Acme"]);
    assert!(
        err.contains(&format!("git -C '{}' config user.name", dir.display())),
        "{err}"
    );
    git(&["config", "user.name", "Ops Bot"]);
    git(&["config", "user.email", "ops@example.com"]);
    repo.ok(&["init", dir.to_str().unwrap(), "--org", "Acme"]);
    assert_eq!(
        git(&["log", "-1", "--format=%an <%ae>"]).trim(),
        "Ops Bot <ops@example.com>"
    );
}
