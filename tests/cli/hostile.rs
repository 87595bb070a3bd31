//! Hostile input and half-done work (issue 22): names that would become paths, nesting that would
//! hang the reader, and the doors a crashing laptop or a planted file could open.

use crate::support::{Repo, walk};

/// Every file under `dir`, for asserting that nothing appeared outside a folder.
fn files_under(dir: &std::path::Path) -> Vec<String> {
    walk(dir)
}

/// `incident check`'s report (stdout) and verdict (stderr), asserting exit 1.
fn check_fails(repo: &Repo) -> String {
    let out = repo.run(&["check"]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

#[test]
fn a_service_id_in_a_record_never_writes_outside_out_and_check_names_it() {
    let repo = Repo::new();
    let id = repo.declare("Checkout down", &["--update"]);
    let path = repo.path_of(&id);
    let text = repo.read(&id).replace(
        "services:\n- checkout\n",
        "services:\n- checkout\n- ../../../escaped\n",
    );
    assert!(text.contains("escaped"), "{text}");
    std::fs::write(&path, &text).unwrap();
    let before = files_under(repo.home.path());

    let err = check_fails(&repo);
    assert!(
        err.contains(&format!("incidents/2026/{id}.yaml"))
            && err.contains("service `../../../escaped`"),
        "{err}"
    );
    assert!(err.contains("path characters"), "{err}");
    let err = repo.fails(1, &["publish", "--out", "site"]);
    assert!(err.contains(&format!("incidents/2026/{id}.yaml")), "{err}");
    let after = files_under(repo.home.path());
    let new: Vec<&String> = after.iter().filter(|f| !before.contains(f)).collect();
    assert!(
        new.iter().all(|f| !f.contains("escaped")),
        "nothing named after the hostile service: {new:?}"
    );
    // The broken record is the only one refused: a fine one still reads.
    repo.fails(1, &["show", &id]);
}

#[test]
fn names_in_the_policy_that_would_be_paths_are_refused_naming_the_file() {
    let repo = Repo::new();
    let config = std::fs::read_to_string(repo.root.join(".incident.yaml")).unwrap();
    for (from, to) in [
        ("- id: search", "- id: ../search"),
        ("- id: search", "- id: 'a/b'"),
        ("- id: search", "- id: .hidden"),
    ] {
        std::fs::write(repo.root.join(".incident.yaml"), config.replace(from, to)).unwrap();
        let err = repo.fails(1, &["list"]);
        assert!(
            err.contains(".incident.yaml") && err.contains("line "),
            "{to}: {err}"
        );
    }
}

#[test]
fn record_ids_with_shell_syntax_are_refused_by_every_reader() {
    let repo = Repo::new();
    let id = repo.declare("Checkout down", &[]);
    let text = repo.read(&id);
    for bad in [
        "2026-11-25-$(touch pwned)",
        "2026-11-25-a`id`",
        "2026-11-25-a;b",
        "2026-11-25-a b",
    ] {
        let dir = repo.root.join("incidents/2026");
        let file = dir.join(format!("{bad}.yaml"));
        let body = text.replace(&format!("id: {id}"), &format!("id: '{bad}'"));
        std::fs::write(&file, body).unwrap();
        let err = check_fails(&repo);
        assert!(err.contains("is not valid"), "{bad}: {err}");
        let out = repo.run(&["list", "--json"]);
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(!stdout.contains(bad), "{bad}: listed: {stdout}");
        std::fs::remove_file(&file).unwrap();
    }
    assert!(!repo.root.join("pwned").exists());
}

#[test]
fn deeply_nested_yaml_is_refused_at_once_naming_the_file() {
    let repo = Repo::new();
    let id = repo.declare("Checkout down", &[]);
    let deep = format!("x_deep: {}{}\n", "[".repeat(200_000), "]".repeat(200_000));
    std::fs::write(repo.path_of(&id), format!("{}{deep}", repo.read(&id))).unwrap();
    let err = repo.fails(1, &["show", &id]);
    assert!(
        err.contains(&format!("incidents/2026/{id}.yaml")) && err.contains("deeper than 64"),
        "{err}"
    );
    let err = check_fails(&repo);
    assert!(err.contains("deeper than 64"), "{err}");
    std::fs::write(repo.path_of(&id), repo.read(&id).replace(&deep, "")).unwrap();

    let config = repo.root.join(".incident.yaml");
    let text = std::fs::read_to_string(&config).unwrap();
    let block: String = (1..100)
        .map(|d| format!("{}k:\n", "  ".repeat(d)))
        .collect();
    std::fs::write(&config, format!("{text}x_deep:\n{block}")).unwrap();
    let err = repo.fails(1, &["list"]);
    assert!(
        err.contains(".incident.yaml") && err.contains("deeper than 64"),
        "{err}"
    );
}

#[test]
fn publish_refuses_folders_that_hold_something_else_and_says_what_to_pass() {
    let repo = Repo::new();
    repo.declare("Checkout down", &["--update"]);
    std::fs::create_dir_all(repo.root.join("templates")).unwrap();
    let home = repo.home.path().to_str().unwrap().to_string();
    for out in [
        "/",
        home.as_str(),
        ".",
        "./",
        ".git",
        ".git/site",
        "incidents",
        "incidents/site",
        "maintenance",
        "runbooks",
        "templates",
        "sub/../incidents",
    ] {
        let before = files_under(repo.home.path());
        let err = repo.fails(1, &["publish", "--out", out]);
        assert!(
            err.contains("refusing to write the status page") && err.contains("--out public"),
            "{out}: {err}"
        );
        assert_eq!(
            files_under(repo.home.path()),
            before,
            "{out}: nothing written"
        );
    }
    // A folder of its own works, and files it did not write stay.
    std::fs::create_dir_all(repo.root.join("public")).unwrap();
    std::fs::write(repo.root.join("public/CNAME"), "status.example.com\n").unwrap();
    repo.ok(&["publish", "--out", "public"]);
    assert!(repo.root.join("public/index.html").is_file());
    assert!(repo.root.join("public/CNAME").is_file());
}

#[test]
fn init_leaves_nothing_behind_when_it_refuses() {
    let repo = Repo::bare_home();
    let bare = repo.home.path().join("bare.git");
    let out = std::process::Command::new("git")
        .args(["init", "-q", "--bare"])
        .arg(&bare)
        .output()
        .unwrap();
    assert!(out.status.success());
    let before = files_under(repo.home.path());
    let target = bare.join("new/ops");
    let err = repo.fails(1, &["init", target.to_str().unwrap()]);
    assert!(err.contains("bare git repository"), "{err}");
    assert!(!bare.join("new").exists(), "the folders it made are gone");
    assert_eq!(files_under(repo.home.path()), before);
}

#[cfg(unix)]
#[test]
fn templates_export_writes_only_inside_the_repo() {
    let repo = Repo::new();
    let elsewhere = repo.home.path().join("elsewhere");
    std::fs::create_dir_all(&elsewhere).unwrap();
    std::os::unix::fs::symlink(&elsewhere, repo.root.join("templates")).unwrap();
    let err = repo.fails(1, &["templates", "export"]);
    assert!(err.contains("outside the repo"), "{err}");
    assert!(files_under(&elsewhere).is_empty());

    std::fs::remove_file(repo.root.join("templates")).unwrap();
    std::fs::create_dir_all(repo.root.join("templates")).unwrap();
    let victim = elsewhere.join("victim");
    std::fs::write(&victim, "mine\n").unwrap();
    std::os::unix::fs::symlink(&victim, repo.root.join("templates/status.md.j2")).unwrap();
    let err = repo.fails(1, &["templates", "export", "status.md", "--force"]);
    assert!(err.contains("symbolic link"), "{err}");
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "mine\n");
}

#[test]
fn a_template_that_floods_its_output_fails_publish_naming_it() {
    let repo = Repo::new();
    repo.declare("Checkout down", &["--update"]);
    std::fs::create_dir_all(repo.root.join("templates")).unwrap();
    std::fs::write(
        repo.root.join("templates/status.md.j2"),
        format!(
            "{{% for a in range(100000) %}}{{% for b in range(100000) %}}{}{{% endfor %}}{{% endfor %}}",
            "x".repeat(100)
        ),
    )
    .unwrap();
    let err = repo.fails(1, &["publish", "--out", "site"]);
    assert!(
        err.contains("templates/status.md.j2") && err.contains("grew past 64 MB"),
        "{err}"
    );
}

#[test]
fn postmortem_commit_refuses_to_overwrite_a_committed_hand_edit() {
    let repo = Repo::new();
    let id = repo.declare("Checkout down", &["--commander", "alice"]);
    repo.ok(&["pir", &id, "--summary", "a config push"]);
    repo.ok(&["postmortem", &id, "--commit"]);
    let file = repo.root.join(format!("postmortems/{id}.md"));
    // The tool's own document is regenerated freely.
    repo.ok(&["pir", &id, "--root-cause", "no canary"]);
    repo.ok(&["postmortem", &id, "--commit"]);
    let mut text = std::fs::read_to_string(&file).unwrap();
    text.push_str("\nA paragraph the review meeting added by hand.\n");
    std::fs::write(&file, &text).unwrap();
    repo.git(&["commit", "-qam", "postmortem: notes from the meeting"]);
    repo.ok(&["pir", &id, "--lesson", "canaries first"]);
    let commits = repo.commit_count();
    let err = repo.fails(1, &["postmortem", &id, "--commit"]);
    assert!(
        err.contains("changed by hand in commit")
            && err.contains("notes from the meeting")
            && err.contains("--force"),
        "{err}"
    );
    assert_eq!(std::fs::read_to_string(&file).unwrap(), text);
    assert_eq!(repo.commit_count(), commits);
    repo.ok(&["postmortem", &id, "--commit", "--force"]);
    assert!(!std::fs::read_to_string(&file).unwrap().contains("by hand"));
    assert_eq!(repo.commit_count(), commits + 1);
}

#[test]
fn invisible_characters_are_refused_in_arguments_and_shown_escaped_from_records() {
    let repo = Repo::new();
    let id = repo.declare("Checkout down", &["--commander", "alice", "--update"]);
    for hidden in ['\u{202e}', '\u{2066}', '\u{200b}', '\u{2028}', '\u{feff}'] {
        let text = format!("rolled back{hidden}kcabdellor");
        let err = repo.fails(2, &["log", &id, &text]);
        assert!(
            err.contains(&format!("U+{:04X}", hidden as u32)) && !err.contains(hidden),
            "{err:?}"
        );
    }
    // A hand edit puts them in with YAML escapes, with an XML-forbidden control for good measure.
    let path = repo.path_of(&id);
    let text = repo.read(&id).replacen(
        "title: Checkout down",
        "title: \"Checkout \\u202Edown\\e[2J \\x07\"",
        1,
    );
    std::fs::write(&path, &text).unwrap();
    repo.git(&["commit", "-qam", "hand edit"]);
    let out = repo.run(&["check"]);
    let report = String::from_utf8_lossy(&out.stdout);
    assert!(
        report.contains("title") && report.contains("U+202E"),
        "{report}"
    );
    let shown = repo.ok(&["show", &id]);
    assert!(
        shown.contains("\\u{202e}") && !shown.contains('\u{202e}'),
        "{shown}"
    );
    assert!(!shown.contains('\u{1b}'), "{shown:?}");
    repo.ok(&["publish", "--out", "site"]);
    // Pages, feeds and Markdown show it escaped; the JSON API carries the record's data as it is
    // (JSON escapes the controls itself).
    for file in crate::support::walk(&repo.root.join("site")) {
        if file.ends_with(".json") {
            continue;
        }
        let body = std::fs::read_to_string(repo.root.join("site").join(&file)).unwrap();
        assert!(
            !body.contains(['\u{202e}', '\u{1b}', '\u{7}']),
            "{file} shows a raw control or hidden character"
        );
        if file.ends_with(".atom") || file.ends_with(".rss") {
            let mut reader = quick_xml::Reader::from_str(&body);
            loop {
                match reader.read_event() {
                    Ok(quick_xml::events::Event::Eof) => break,
                    Ok(_) => {}
                    Err(e) => panic!("{file} is not XML: {e}"),
                }
            }
        }
    }
    let feed = std::fs::read_to_string(repo.root.join("site/feed.atom")).unwrap();
    assert!(feed.contains("\\u{202e}"), "shown, escaped");
}

/// Points a command's output somewhere hostile.
type Setup = fn(&mut std::process::Command);

/// How a command ended with its output going somewhere hostile.
fn exit_with(repo: &Repo, args: &[&str], setup: Setup) -> Option<i32> {
    let mut cmd = repo.spawnable(args);
    setup(&mut cmd);
    cmd.status().unwrap().code()
}

#[test]
fn a_full_or_closed_stdout_or_stderr_never_panics_and_a_closed_pipe_is_success() {
    use std::os::unix::process::CommandExt;
    let repo = Repo::new();
    let id = repo.declare("Checkout down", &["--commander", "alice"]);
    let commands: Vec<Vec<&str>> = vec![
        vec!["list"],
        vec!["show", &id],
        vec!["show", "no-such-incident"],
        vec!["stats"],
        vec!["due"],
        vec!["check"],
        vec!["history", &id],
        vec!["completions", "bash"],
        vec!["log", &id, "written while the output is broken"],
        vec!["severity", &id, "SEV9"],
    ];
    for args in &commands {
        let cases: [(&str, Setup); 4] = [
            ("stdout full", |c| {
                c.stdout(
                    std::fs::OpenOptions::new()
                        .write(true)
                        .open("/dev/full")
                        .unwrap(),
                );
            }),
            ("stderr full", |c| {
                c.stderr(
                    std::fs::OpenOptions::new()
                        .write(true)
                        .open("/dev/full")
                        .unwrap(),
                );
            }),
            ("stdout closed", |c| unsafe {
                c.pre_exec(|| {
                    libc::close(1);
                    Ok(())
                });
            }),
            ("stderr closed", |c| unsafe {
                c.pre_exec(|| {
                    libc::close(2);
                    Ok(())
                });
            }),
        ];
        for (what, setup) in cases {
            let code = exit_with(&repo, args, setup);
            assert!(
                matches!(code, Some(0..=2)),
                "incident {args:?} with {what}: exit {code:?}"
            );
        }
    }
    // A reader that stops early (`incident list | head -1`) is no error.
    for _ in 0..5 {
        repo.ok(&["log", &id, "one more line for the table"]);
    }
    let mut child = repo
        .spawnable(&["history", &id])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    assert_eq!(child.wait().unwrap().code(), Some(0));
}

fn script(path: &std::path::Path, body: &str) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::write(path, format!("#!/bin/sh\n{body}\n")).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

#[test]
fn x509_signing_runs_gpgsm_as_git_does() {
    let repo = Repo::new();
    let id = repo.declare("Checkout down", &[]);
    let bin = repo.home.path().join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    // A stand-in gpgsm: git's protocol (status on fd 2, the signature on stdout).
    script(
        &bin.join("gpgsm"),
        "cat >/dev/null\necho '[GNUPG:] SIG_CREATED D 1 8 00 1 X' >&2\nprintf -- '-----BEGIN SIGNED MESSAGE-----\\nZmFrZQ==\\n-----END SIGNED MESSAGE-----\\n'",
    );
    repo.git(&["config", "commit.gpgsign", "true"]);
    repo.git(&["config", "gpg.format", "x509"]);
    repo.git(&["config", "user.signingkey", "0xCAFE"]);
    // The OpenPGP program is not the one x509 uses.
    repo.git(&["config", "gpg.openpgp.program", "/bin/false"]);
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let out = repo
        .cmd()
        .env("PATH", &path)
        .args(["log", &id, "signed with an x509 certificate"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let head = repo.git(&["cat-file", "-p", "HEAD"]);
    assert!(
        head.contains("gpgsig -----BEGIN SIGNED MESSAGE-----"),
        "{head}"
    );
}

#[test]
fn a_hook_that_refuses_is_quoted_line_by_line_in_the_order_it_wrote() {
    let repo = Repo::new();
    let id = repo.declare("Checkout down", &[]);
    script(
        &repo.root.join(".git/hooks/pre-commit"),
        "echo 'first, on stdout'\necho 'second, on stderr' >&2\necho 'third, on stdout'\nexit 1",
    );
    let err = repo.fails(1, &["log", &id, "refused by the hook"]);
    assert!(
        err.contains("first, on stdout\nsecond, on stderr\nthird, on stdout"),
        "{err}"
    );
}

#[test]
fn what_every_reader_cannot_take_is_reported_by_check() {
    let repo = Repo::new();
    let id = repo.declare("Checkout down", &["--commander", "alice", "--update"]);
    let path = repo.path_of(&id);
    let good = repo.read(&id);
    for bad in [
        "'+10000-01-01T00:00:00Z'",
        "'-0001-01-01T00:00:00Z'",
        "1969-07-20T20:17:00Z",
    ] {
        let text = good.replacen(
            "detected_at: 2026-11-25T10:00:00Z",
            &format!("detected_at: {bad}"),
            1,
        );
        assert_ne!(text, good);
        std::fs::write(&path, &text).unwrap();
        let out = repo.run(&["check"]);
        let report = String::from_utf8_lossy(&out.stdout);
        assert_eq!(out.status.code(), Some(1), "{bad}: {report}");
        assert!(
            report.contains("detected_at") && report.contains("1970 to 9999"),
            "{bad}: {report}"
        );
    }
    std::fs::write(&path, &good).unwrap();
    repo.ok(&["check"]);
    let config = repo.root.join(".incident.yaml");
    let text = std::fs::read_to_string(&config).unwrap();
    std::fs::write(
        &config,
        text.replacen(
            "status_page: {}",
            "status_page:\n  time_zone: Mars/Olympus",
            1,
        ),
    )
    .unwrap();
    let out = repo.run(&["check"]);
    let report = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{report}");
    assert!(
        report.contains("status_page.time_zone") && report.contains("Mars/Olympus"),
        "{report}"
    );
}
