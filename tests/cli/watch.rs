//! `incident watch` driven on a pseudo-terminal, its screen read by pyte (a VT100 emulator,
//! `tests/tools/pty_drive.py`): keys make commits, input survives an error, the view reflows on
//! resize, others' commits appear live (from another terminal, and from another clone through the
//! remote), and the terminal is restored on `q` and SIGTERM.

use crate::support::Repo;

/// Runs `incident ARGS` on a `cols` × `rows` terminal through `steps`; the driver's report.
fn drive(
    repo: &Repo,
    dir: &std::path::Path,
    cols: u16,
    rows: u16,
    args: &[&str],
    steps: serde_json::Value,
) -> serde_json::Value {
    drive_in(repo, dir, &[], (cols, rows), args, steps)
}

/// As [`drive`] in the repo's folder, with `env` added.
fn drive_with(
    repo: &Repo,
    env: &[(&str, &str)],
    size: (u16, u16),
    args: &[&str],
    steps: serde_json::Value,
) -> serde_json::Value {
    drive_in(repo, &repo.root, env, size, args, steps)
}

fn drive_in(
    repo: &Repo,
    dir: &std::path::Path,
    env: &[(&str, &str)],
    (cols, rows): (u16, u16),
    args: &[&str],
    steps: serde_json::Value,
) -> serde_json::Value {
    let tools = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/tools");
    let bin = assert_cmd::cargo::cargo_bin("incident");
    let mut child = std::process::Command::new("python3")
        .arg(tools.join("pty_drive.py"))
        .args([cols.to_string(), rows.to_string(), "--".into()])
        .arg(&bin)
        .args(args)
        .env_clear()
        .envs(repo.env())
        .envs(env.iter().copied())
        .current_dir(dir)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("python3 (bash .ci/setup installs pyte)");
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(steps.to_string().as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "the driver failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn checked(report: &serde_json::Value) {
    assert!(
        report["failure"].is_null(),
        "{}\n{}",
        report["failure"],
        report["last"].as_str().unwrap_or("")
    );
    assert_eq!(report["status"], 0, "{}", report["last"]);
    assert_eq!(report["restored"], true, "the terminal is left as found");
}

#[test]
fn the_war_room_shows_what_is_due_and_its_keys_make_the_commands_commits() {
    let repo = Repo::new();
    repo.ok(&[
        "declare",
        "Checkout down",
        "--sev",
        "SEV1",
        "--service",
        "checkout",
    ]);
    repo.ok(&[
        "declare",
        "Search slow",
        "--sev",
        "SEV3",
        "--service",
        "search",
    ]);
    let log = repo.git(&["rev-parse", "--short", "HEAD"]);
    let incident = assert_cmd::cargo::cargo_bin("incident");
    let report = drive(
        &repo,
        &repo.root,
        80,
        24,
        &["watch", "--offline"],
        serde_json::json!([
            {"wait": "Active incidents (2)"},
            {"screen": "first"},
            {"keys": "l"}, {"wait": "log:"},
            {"keys": "rolled back deploy 4512\r"},
            {"wait": "[note] rolled back deploy 4512"},
            {"keys": "a"}, {"wait": "[ack]"},
            {"keys": "s"}, {"keys": "sideways\r"},
            {"wait": "is not a status"},
            {"screen": "error"},
            {"keys": "\u{7f}\u{7f}\u{7f}\u{7f}\u{7f}\u{7f}\u{7f}\u{8}identified\r"},
            {"wait": "[status] status investigating → identified"},
            {"keys": "u"}, {"wait": "update 1/3"},
            {"keys": "Checkout fails in the EU\r"}, {"wait": "update 2/3"},
            {"keys": "A bad deploy\r"}, {"wait": "update 3/3"},
            {"keys": "30m\r"}, {"wait": "public status update posted"},
            {"keys": "c"}, {"keys": "comms bob\r"}, {"wait": "comms bob"},
            {"keys": "j"}, {"wait": "┌ 2026-11-25-search-slow"},
            {"keys": "k"},
            {"keys": "?"}, {"wait": "Keys"}, {"keys": "x"}, {"gone": "Keys"},
            {"resize": [120, 30]}, {"sleep": 0.5},
            {"screen": "wide"},
            {"shell": format!("'{}' log checkout 'from another terminal'", incident.display())},
            {"wait": "from another terminal"},
            // Declared and resolved elsewhere: on the board and off it.
            {"shell": format!("'{}' declare 'Payments failing' --sev SEV2 --service payments", incident.display())},
            {"wait": "Active incidents (3)"},
            {"shell": format!("'{}' resolve search", incident.display())},
            {"wait": "Active incidents (2)"},
            {"gone": "Search slow"},
            {"keys": "q"}
        ]),
    );
    checked(&report);
    let first = report["screens"]["first"].as_str().unwrap();
    // Worst first, with the next deadline counting down; the selected incident's due list.
    let checkout = first
        .lines()
        .position(|l| l.contains("Checkout down"))
        .unwrap();
    let search = first
        .lines()
        .position(|l| l.contains("Search slow"))
        .unwrap();
    assert!(checkout < search, "{first}");
    assert!(
        first.contains("SEV1 in 5m Checkout down · investigating"),
        "{first}"
    );
    assert!(first.contains("first public update"), "{first}");
    assert!(
        first.lines().all(|l| l.chars().count() <= 80),
        "fits 80 columns"
    );
    // The error in place, what was typed kept.
    let error = report["screens"]["error"].as_str().unwrap();
    assert!(
        error.contains("error: `sideways` is not a status")
            // Read whole: wrapped under itself, not cut at the edge.
            && error.contains("\n  resolved")
            && error.contains("status: sideways"),
        "{error}"
    );
    // Reflowed: both panes side by side at 120 columns.
    let wide = report["screens"]["wide"].as_str().unwrap();
    let top = wide.lines().next().unwrap();
    assert!(
        top.contains("Active incidents") && top.contains("2026-11-25-checkout-down"),
        "{wide}"
    );
    // Each key made the command's commit, authored by whoever watches.
    let made = repo.git(&["log", "--format=%an|%s", &format!("{}..HEAD", log.trim())]);
    assert!(
        made.contains("Alice Example|2026-11-25-checkout-down: rolled back deploy 4512"),
        "{made}"
    );
    assert!(made.contains("status investigating → identified"), "{made}");
    assert!(
        made.contains("|2026-11-25-checkout-down: acknowledged"),
        "{made}"
    );
}

/// With `--mouse`, a click chooses an incident and the terminal's mouse reporting is switched
/// off again on the way out; a paste (bracketed, as terminals send it) is typed as one line, its
/// newline not taken for Enter. Without `--mouse` the mouse is left to the terminal.
#[test]
fn a_click_chooses_and_a_pasted_message_stays_one_entry() {
    let repo = Repo::new();
    for (title, sev, service) in [
        ("Checkout down", "SEV1", "checkout"),
        ("Search slow", "SEV3", "search"),
    ] {
        repo.ok(&["declare", title, "--sev", sev, "--service", service]);
    }
    let report = drive(
        &repo,
        &repo.root,
        80,
        24,
        &["watch", "--offline", "--mouse"],
        serde_json::json!([
            {"wait": "Active incidents (2)"},
            // A left click (SGR report, 1-based) on the list's second row, then its release.
            {"keys": "\u{1b}[<0;6;3M\u{1b}[<0;6;3m"},
            {"wait": "┌ 2026-11-25-search-slow"},
            {"keys": "l"}, {"wait": "log:"},
            {"paste": "timeout in search-api\nretrying"},
            {"wait": "log: timeout in search-api retrying"},
            {"keys": "\r"},
            {"wait": "[note] timeout in search-api retrying"},
            {"keys": "q"}
        ]),
    );
    checked(&report);
    let modes = report["modes"].as_array().unwrap();
    assert!(
        modes.contains(&1000.into()) && modes.contains(&1006.into()),
        "mouse reporting on: {modes:?}"
    );
    assert!(modes.contains(&2004.into()), "bracketed paste: {modes:?}");
    let notes = repo.git(&["log", "--format=%s", "-3"]);
    assert!(
        notes.contains("2026-11-25-search-slow: timeout in search-api retrying"),
        "one entry, on the incident clicked: {notes}"
    );
    let without = drive(
        &repo,
        &repo.root,
        80,
        24,
        &["watch", "--offline"],
        serde_json::json!([{"wait": "Active incidents (2)"}, {"keys": "q"}]),
    );
    checked(&without);
    assert!(
        !without["modes"].as_array().unwrap().contains(&1000.into()),
        "the mouse left to the terminal: {}",
        without["modes"]
    );
}

#[test]
fn sigterm_ctrl_c_and_a_panic_leave_the_terminal_as_found() {
    let repo = Repo::new();
    repo.ok(&[
        "declare",
        "Checkout down",
        "--sev",
        "SEV2",
        "--service",
        "checkout",
    ]);
    for exit in [
        serde_json::json!({"signal": "TERM"}),
        serde_json::json!({"keys": "\u{3}"}),
    ] {
        let report = drive(
            &repo,
            &repo.root,
            80,
            24,
            &["watch", "--offline"],
            serde_json::json!([{"wait": "Active incidents (1)"}, exit]),
        );
        checked(&report);
    }
    // A panic (F12 panics in a debug build when the test asks) leaves the terminal restored
    // too, mouse reporting and bracketed paste included, and exits with Rust's panic status.
    let report = drive_with(
        &repo,
        &[("INCIDENT_TEST_WATCH_PANIC", "1")],
        (80, 24),
        &["watch", "--offline", "--mouse"],
        serde_json::json!([{"wait": "Active incidents (1)"}, {"keys": "\u{1b}[24~"}]),
    );
    assert_eq!(report["status"], 101, "{}", report["last"]);
    assert_eq!(report["restored"], true, "the terminal is left as found");
    assert!(report["modes"].as_array().unwrap().contains(&1000.into()));
}

#[test]
fn another_clones_entries_appear_after_the_watchers_fetch() {
    let repo = Repo::new();
    repo.ok(&[
        "declare",
        "Checkout down",
        "--sev",
        "SEV2",
        "--service",
        "checkout",
    ]);
    let remote = repo.with_origin();
    let other = repo.home.path().join("laptop");
    repo.git(&[
        "clone",
        "-q",
        remote.to_str().unwrap(),
        other.to_str().unwrap(),
    ]);
    let incident = assert_cmd::cargo::cargo_bin("incident");
    let in_other = |args: &str| {
        format!(
            "cd '{}' && '{}' {args}",
            other.display(),
            incident.display()
        )
    };
    let report = drive(
        &repo,
        &repo.root,
        100,
        30,
        &["watch", "--fetch-every", "1s"],
        serde_json::json!([
            {"wait": "Active incidents (1)"},
            {"wait": "fetched 0"},
            {"shell": in_other(&format!("log checkout 'failover started' && '{}' sync", incident.display()))},
            {"wait": "[note] failover started"},
            {"screen": "merged"},
            {"keys": "q"}
        ]),
    );
    checked(&report);
    let merged = report["screens"]["merged"].as_str().unwrap();
    assert!(merged.contains("remote origin"), "{merged}");
}

#[test]
fn a_snapshot_is_one_frame_and_the_view_needs_a_terminal() {
    let repo = Repo::new();
    repo.ok(&[
        "declare",
        "Checkout down",
        "--sev",
        "SEV1",
        "--service",
        "checkout",
    ]);
    let frame = repo.ok(&["watch", "--snapshot", "80x24"]);
    assert_eq!(frame.lines().count(), 24, "{frame}");
    assert!(frame.lines().all(|l| l.chars().count() <= 80), "{frame}");
    // At 60 columns too, the keys line is whole words and ends with the help.
    let narrow = repo.ok(&["watch", "--snapshot", "60x24"]);
    assert!(narrow.lines().all(|l| l.chars().count() <= 60), "{narrow}");
    assert!(
        narrow.contains("l log · u upd · a ack · s stat · v sev · t task · ? help"),
        "{narrow}"
    );
    assert!(
        frame.contains("Active incidents (1)") && frame.contains("Checkout down"),
        "{frame}"
    );
    let err = repo.fails(1, &["watch"]);
    assert!(err.contains("needs a terminal"), "{err}");
    let err = repo.fails(2, &["watch", "--snapshot", "80"]);
    assert!(err.contains("COLSxROWS"), "{err}");
    // A remote asked for by name must exist; with none asked for, a clone without `origin` is
    // watched offline.
    let err = repo.fails(1, &["watch", "--remote", "upstream", "--snapshot", "80x24"]);
    assert!(
        err.contains("--remote") && err.contains("no remote `upstream`"),
        "{err}"
    );
    assert!(
        repo.ok(&["watch", "--snapshot", "100x24"])
            .contains("offline")
    );
    // With a remote, the status line says what waits to be pushed.
    repo.with_origin();
    repo.ok(&["log", "checkout", "not pushed yet"]);
    let frame = repo.ok(&["watch", "--snapshot", "120x24"]);
    assert!(
        frame.contains("remote origin · not fetched yet · 1 commit(s) to push"),
        "{frame}"
    );
}

/// The capture in docs/watch.md is the frame `watch --snapshot 100x24 --utc` draws of
/// `examples/acme` at the examples' clock (the repo's folder aside): the docs show the view as it is.
#[test]
fn the_capture_in_the_docs_is_the_view_of_the_example() {
    let repo = Repo::example("acme", "2026-11-18T12:00:00Z");
    let frame = repo.ok(&["watch", "--snapshot", "100x24", "--utc"]);
    let frame = frame.replace(&repo.root.display().to_string(), "/tmp/acme-x");
    let docs = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/watch.md"),
    )
    .unwrap();
    let capture = docs
        .split("```text\n")
        .nth(1)
        .and_then(|rest| rest.split("\n```").next())
        .expect("a ```text block in docs/watch.md");
    // Whom the incident's policy pages, level by level (not everyone on call anywhere).
    assert!(
        frame.contains("Escalation: L1 Dan Kowalski (platform/primary), L2 Alice"),
        "{frame}"
    );
    assert_eq!(
        capture.trim_end(),
        frame.trim_end(),
        "docs/watch.md's capture is stale: paste the frame above"
    );
}

/// On a colour terminal the overdue countdown is red and inverse and the SEV2 light red; with
/// `NO_COLOR` (or `--color never`) no colour at all, and overdue is still inverse.
#[test]
fn overdue_stands_out_with_colour_and_without() {
    let repo = Repo::example("acme", "2026-11-18T12:00:00Z");
    let steps = serde_json::json!([
        {"wait": "Active incidents (1)"},
        {"style": "overdue 2h00m API"},
        {"style": "SEV2 overdue"},
        {"style": "Roles:"},
        {"keys": "q"}
    ]);
    let coloured = drive_with(&repo, &[], (80, 24), &["watch", "--offline"], steps.clone());
    checked(&coloured);
    // The overdue countdown inverse red on the chosen row (not lost in a row drawn inverse);
    // pyte names ANSI red by its colour.
    let styles = &coloured["styles"];
    let overdue = &styles["overdue 2h00m API"];
    assert_eq!(overdue["reverse"], true, "{coloured}");
    assert!(
        ["red", "cd0000"].contains(&overdue["fg"].as_str().unwrap()),
        "{coloured}"
    );
    assert_eq!(styles["SEV2 overdue"]["reverse"], false, "{coloured}");
    assert_eq!(styles["SEV2 overdue"]["bold"], true, "chosen: {coloured}");
    assert!(["brightred", "ff0000"].contains(&styles["SEV2 overdue"]["fg"].as_str().unwrap()));
    assert_eq!(styles["Roles:"]["fg"], "default");
    for (env, args) in [
        (&[("NO_COLOR", "1")][..], &["watch", "--offline"][..]),
        (&[][..], &["watch", "--offline", "--color", "never"][..]),
    ] {
        let plain = drive_with(&repo, env, (80, 24), args, steps.clone());
        checked(&plain);
        let overdue = &plain["styles"]["overdue 2h00m API"];
        assert_eq!(overdue["reverse"], true, "{plain}");
        assert_eq!(plain["styles"]["SEV2 overdue"]["reverse"], false, "{plain}");
        for text in ["overdue 2h00m API", "SEV2 overdue", "Roles:"] {
            assert_eq!(
                plain["styles"][text]["fg"], "default",
                "{args:?} {text}: {plain}"
            );
        }
    }
}
