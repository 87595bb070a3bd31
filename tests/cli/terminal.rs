//! What a person sees on a real terminal: the binary runs on a pseudo-terminal (util-linux `script`)
//! with colour on, at several widths, and the screen is checked as a person would read it.

use crate::support::Repo;
use unicode_width::UnicodeWidthStr;

const WIDTHS: [usize; 5] = [60, 80, 100, 120, 200];

/// Runs `incident ARGS` on a pseudo-terminal `cols` wide and returns what it printed, `\r` removed.
pub fn on_terminal(repo: &Repo, cols: usize, env: &[(&str, &str)], args: &[&str]) -> String {
    on_terminal_sized(repo, cols, 50, env, args)
}

/// [`on_terminal`] for a command that may fail: whether it succeeded, and the screen.
pub fn on_terminal_any(
    repo: &Repo,
    cols: usize,
    env: &[(&str, &str)],
    args: &[&str],
) -> (bool, String) {
    let (status, screen) = run_on_terminal(repo, cols, 50, env, args);
    (status.success(), screen)
}

/// [`on_terminal`] on a terminal that reports `rows` rows (0: none, as `script` without a size does).
fn on_terminal_sized(
    repo: &Repo,
    cols: usize,
    rows: usize,
    env: &[(&str, &str)],
    args: &[&str],
) -> String {
    let (status, screen) = run_on_terminal(repo, cols, rows, env, args);
    assert!(
        status.success(),
        "incident {args:?} at {cols} columns:\n{screen}"
    );
    screen
}

fn run_on_terminal(
    repo: &Repo,
    cols: usize,
    rows: usize,
    env: &[(&str, &str)],
    args: &[&str],
) -> (std::process::ExitStatus, String) {
    let bin = assert_cmd::cargo::cargo_bin("incident");
    let command = format!(
        "stty cols {cols} rows {rows}; '{}' {}",
        bin.display(),
        args.iter()
            .map(|a| format!("'{}'", a.replace('\'', "'\\''")))
            .collect::<Vec<_>>()
            .join(" ")
    );
    let out = std::process::Command::new("script")
        .args(["-qec", &command, "/dev/null"])
        .env_clear()
        .envs(repo.env())
        .env("TERM", "xterm-256color")
        .envs(env.iter().copied())
        .current_dir(&repo.root)
        .stdin(std::process::Stdio::null())
        .output()
        .expect("`script` from util-linux runs the command on a terminal");
    let screen = String::from_utf8_lossy(&out.stdout).replace('\r', "");
    (out.status, screen)
}

/// The text without its colour and style codes (`ESC [ ... m`).
pub fn strip_ansi(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' && chars.peek() == Some(&'[') {
            for d in chars.by_ref() {
                if d.is_ascii_alphabetic() {
                    break;
                }
            }
            continue;
        }
        out.push(c);
    }
    out
}

/// Every line of the table (from the top border to the bottom one) has the same display width, no
/// wider than the terminal unless `overflow_ok`.
fn assert_aligned(screen: &str, cols: usize, what: &str) {
    let plain = strip_ansi(screen);
    let table: Vec<&str> = plain
        .lines()
        .skip_while(|l| !l.starts_with('┌'))
        .take_while(|l| !l.is_empty())
        .collect();
    assert!(table.len() >= 4, "{what} at {cols}: no table in\n{plain}");
    let widths: Vec<usize> = table.iter().map(|l| l.width()).collect();
    assert!(
        widths.iter().all(|w| *w == widths[0]),
        "{what} at {cols} columns: lines of different widths {widths:?}\n{plain}"
    );
    assert!(
        widths[0] <= cols,
        "{what} at {cols}: {} wide\n{plain}",
        widths[0]
    );
}

#[test]
fn coloured_tables_stay_aligned_and_ids_never_wrap_at_any_width() {
    let repo = Repo::example("acme", "2026-11-18T16:00:00Z");
    let ids = repo.ids_of_year("2026");
    for cols in WIDTHS {
        let screen = on_terminal(&repo, cols, &[], &["list"]);
        assert!(
            screen.contains("\u{1b}["),
            "colour is on at a terminal: {screen}"
        );
        assert_aligned(&screen, cols, "list");
        let plain = strip_ansi(&screen);
        // Shown as the shortest start of the slug that names one incident alone (as git abbreviates
        // hashes), never split: every row's first cell takes exactly one incident back.
        let shown: Vec<&str> = plain
            .lines()
            .filter(|l| l.starts_with('│') && !l.contains(" ID "))
            .filter_map(|l| l.trim_start_matches('│').split('┆').next())
            .map(str::trim)
            .collect();
        assert_eq!(shown.len(), ids.len(), "{cols}:\n{plain}");
        for name in &shown {
            let named: Vec<&String> = ids.iter().filter(|id| id[11..].starts_with(name)).collect();
            assert_eq!(
                named.len(),
                1,
                "`{name}` at {cols} names {named:?}:\n{plain}"
            );
        }
        for args in [
            vec!["stats", "--since", "3650d"],
            vec!["action", "list"],
            vec!["history", "2026-10-27-checkout-and-payments-failing"],
        ] {
            let screen = on_terminal(&repo, cols, &[], &args);
            assert_aligned(&screen, cols, &args.join(" "));
        }
    }
    // `--wide` shows every column in full, whatever the width.
    let wide = strip_ansi(&on_terminal(&repo, 60, &[], &["list", "--wide"]));
    assert!(
        wide.contains("Checkout and payments failing") && wide.contains("COMMANDER"),
        "{wide}"
    );
}

#[test]
fn no_color_turns_colour_off_on_a_terminal() {
    let repo = Repo::example("acme", "2026-11-18T16:00:00Z");
    let coloured = on_terminal(&repo, 120, &[], &["list"]);
    assert!(coloured.contains("\u{1b}["), "{coloured}");
    let plain = on_terminal(&repo, 120, &[("NO_COLOR", "1")], &["list"]);
    assert!(!plain.contains('\u{1b}'), "NO_COLOR is honoured: {plain:?}");
    let never = on_terminal(&repo, 120, &[], &["--color", "never", "list"]);
    assert!(!never.contains('\u{1b}'), "{never:?}");
    assert_eq!(strip_ansi(&coloured), plain, "only the colour differs");
}

#[test]
fn escapes_in_record_text_are_shown_not_obeyed_on_a_terminal() {
    let repo = Repo::new();
    let id = repo.declare("Checkout down", &[]);
    let edited = repo.read(&id).replace(
        "title: Checkout down",
        "title: \"Checkout \\e[2J\\e]0;owned\\a down\"",
    );
    std::fs::write(repo.path_of(&id), edited).unwrap();
    repo.git(&["commit", "-qam", "hand edit with escapes"]);
    for args in [vec!["list"], vec!["show", id.as_str()]] {
        let screen = on_terminal(&repo, 100, &[], &args);
        assert!(
            !screen.contains("\u{1b}[2J") && !screen.contains("\u{1b}]0"),
            "{screen:?}"
        );
        assert!(screen.contains("\\u{1b}"), "{screen}");
    }
    assert_aligned(&on_terminal(&repo, 100, &[], &["list"]), 100, "list");
}

#[test]
fn list_show_stats_and_due_as_a_terminal_shows_them_at_80_and_120_columns() {
    let repo = Repo::example("acme", "2026-11-18T16:00:00Z");
    for cols in [80, 120] {
        for (name, args) in [
            ("list", vec!["list"]),
            (
                "show",
                vec!["show", "2026-10-27-checkout-and-payments-failing"],
            ),
            ("stats", vec!["stats", "--since", "3650d"]),
            ("due", vec!["due"]),
        ] {
            let screen = on_terminal(&repo, cols, &[("NO_COLOR", "1")], &args);
            assert!(
                screen.lines().all(|l| l.width() <= cols),
                "{name} is wider than {cols} columns:\n{screen}"
            );
            insta::assert_snapshot!(format!("terminal-{name}-{cols}"), screen);
        }
    }
}

/// Runs `incident ARGS` on a terminal and types `keys` at its prompts, one `|`-separated answer at a
/// time, as a person would.
pub fn type_on_terminal(repo: &Repo, args: &[&str], keys: &[u8]) -> std::process::Output {
    let bin = assert_cmd::cargo::cargo_bin("incident");
    let command = format!(
        "stty cols 100 rows 40; '{}' {}",
        bin.display(),
        args.iter()
            .map(|a| format!("'{}'", a.replace('\'', "'\\''")))
            .collect::<Vec<_>>()
            .join(" ")
    );
    let mut child = std::process::Command::new("script")
        .args(["-qfec", &command, "/dev/null"])
        .env_clear()
        .envs(repo.env())
        .env("TERM", "xterm")
        .current_dir(&repo.root)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("`script` from util-linux runs the command on a terminal");
    use std::io::Write;
    let mut stdin = child.stdin.take().unwrap();
    for chunk in keys.split(|b| *b == b'|') {
        std::thread::sleep(std::time::Duration::from_millis(150));
        stdin.write_all(chunk).unwrap();
        stdin.flush().unwrap();
    }
    std::thread::sleep(std::time::Duration::from_millis(150));
    drop(stdin);
    child.wait_with_output().unwrap()
}

#[test]
fn on_a_terminal_update_and_assign_ask_for_what_is_missing() {
    let repo = Repo::new();
    let id = repo.declare("Checkout down", &["--commander", "alice", "--update"]);
    let out = type_on_terminal(
        &repo,
        &["update", &id],
        b"Card payments fail for EU customers\r|A config change cut capacity\r",
    );
    let screen = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{screen}");
    assert!(
        screen.contains("What is still impacted") && screen.contains("learned"),
        "{screen}"
    );
    let updates = repo.record(&id)["updates"].as_array().unwrap().clone();
    assert_eq!(
        updates.last().unwrap()["impacted"],
        "Card payments fail for EU customers"
    );
    // Without a terminal the same command fails at once naming the flags.
    let err = repo.fails(2, &["update", &id]);
    assert!(
        err.contains("--impacted") && err.contains("--learned"),
        "{err}"
    );

    let out = type_on_terminal(&repo, &["assign", &id], b"\x1b[B\r|bob\r");
    let screen = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{screen}");
    assert_eq!(repo.record(&id)["roles"]["comms"], "bob");
}

#[test]
fn the_width_counts_on_a_terminal_that_reports_no_rows() {
    let repo = Repo::example("acme", "2026-11-18T12:00:00Z");
    let screen = strip_ansi(&on_terminal_sized(
        &repo,
        80,
        0,
        &[],
        &["show", "2026-10-27-checkout-and-payments-failing"],
    ));
    assert!(screen.contains("Timeline"), "{screen}");
    for line in screen.lines() {
        assert!(
            line.width() <= 80,
            "{} wide: {line}\n{screen}",
            line.width()
        );
    }
}

/// `maintenance list` on a colour terminal: every line the same width, never wider than the
/// terminal, each column's values under their header.
#[test]
fn the_maintenance_table_fits_every_width() {
    let repo = Repo::new();
    repo.ok(&[
        "maintenance",
        "schedule",
        "Database upgrade",
        "--service",
        "payments",
        "--from",
        "2026-11-26T02:00:00Z",
        "--until",
        "2h",
    ]);
    for cols in WIDTHS {
        let out = on_terminal(&repo, cols, &[], &["maintenance", "list"]);
        assert!(out.contains('\u{1b}'), "colour at {cols}");
        let plain = strip_ansi(&out);
        let lines: Vec<&str> = plain.lines().filter(|l| !l.trim().is_empty()).collect();
        let width = |l: &str| unicode_width::UnicodeWidthStr::width(l);
        assert!(lines.iter().all(|l| width(l) <= cols), "{cols}:\n{plain}");
        assert!(
            lines.iter().all(|l| width(l) == width(lines[0])),
            "{cols}:\n{plain}"
        );
        // Named as tables name incidents: the shortest start of the slug that is its alone.
        assert!(plain.contains("│ database "), "{cols}:\n{plain}");
        assert!(
            plain.contains("2026-11-26 02:00"),
            "the start at {cols}:\n{plain}"
        );
        if let Some(title_col) = lines[1].find("TITLE") {
            assert!(
                lines[3][title_col..].starts_with("Database"),
                "{cols}:\n{plain}"
            );
        }
    }
}

/// `NO_COLOR` is read once, with `--color`: the table library must not read it again and print
/// empty `ESC [m` codes where the colours were asked for (`--color always`).
#[test]
fn color_always_wins_over_no_color_in_every_table() {
    let repo = Repo::new();
    repo.declare("Checkout down", &["--sev", "SEV1", "--commander", "alice"]);
    for args in [
        &["--color", "always", "list"][..],
        &["--color", "always", "list", "--wide"][..],
    ] {
        let out = repo.cmd().env("NO_COLOR", "1").args(args).output().unwrap();
        let text = String::from_utf8(out.stdout).unwrap();
        assert!(text.contains("\u{1b}[1m"), "{args:?}: {text:?}");
        assert!(
            text.contains("\u{1b}[38;5;9m"),
            "SEV1 in red: {args:?}: {text:?}"
        );
        assert!(
            !text.contains("\u{1b}[m"),
            "no empty codes: {args:?}: {text:?}"
        );
    }
    // And with `--color auto`, NO_COLOR off a terminal: no escape at all.
    let out = repo
        .cmd()
        .env("NO_COLOR", "1")
        .arg("list")
        .output()
        .unwrap();
    assert!(!String::from_utf8(out.stdout).unwrap().contains('\u{1b}'));
}

/// The tables of runbook tasks, rotas, changes and responder load keep what matters most (the
/// task, the person, the time) at every width, aligned and within the terminal.
#[test]
fn the_task_rota_and_load_tables_keep_what_matters_at_every_width() {
    let repo = Repo::example("acme", "2026-11-18T12:00:00Z");
    for cols in WIDTHS {
        for (args, wanted) in [
            (&["task", "list"][..], &["Tell affected", "open"][..]),
            (
                &["oncall", "shifts"][..],
                &["Dan Kowalski", "2026-11-18 20:00"][..],
            ),
            (&["oncall"][..], &["Dan Kowalski", "Alice Martin"][..]),
            (
                &["stats", "--by", "responder"][..],
                &["Dan Kowalski", "5 h 22 min"][..],
            ),
        ] {
            let out = on_terminal(&repo, cols, &[], args);
            assert_aligned(&out, cols, &args.join(" "));
            let plain = strip_ansi(&out);
            for w in wanted {
                assert!(
                    plain.contains(w),
                    "{args:?} at {cols}: {w} missing\n{plain}"
                );
            }
        }
    }
}
