//! What people and scripts read: tables, JSON, colour rules, completions, the man page, pipes.

use crate::support::Repo;

fn three_incidents() -> (Repo, [String; 3]) {
    let mut repo = Repo::new();
    repo.at("2026-11-24T08:00:00Z");
    let old = repo.declare("Search slow", &["--sev", "SEV3", "--service", "search"]);
    repo.at("2026-11-24T09:00:00Z").ok(&["resolve", &old]);
    repo.at("2026-11-25T09:00:00Z");
    let minor = repo.declare(
        "Payments retries",
        &["--sev", "SEV3", "--service", "payments"],
    );
    repo.at("2026-11-25T09:30:00Z");
    let major = repo.declare(
        "Checkout down",
        &[
            "--sev",
            "SEV1",
            "--service",
            "checkout",
            "--commander",
            "alice",
        ],
    );
    repo.at("2026-11-25T10:00:00Z");
    (repo, [old, minor, major])
}

#[test]
fn list_puts_open_incidents_first_by_severity_as_a_plain_table() {
    let (repo, _) = three_incidents();
    let out = repo.ok(&["list"]);
    insta::assert_snapshot!(out, @r"
    ID                           SEV   STATUS         TITLE             COMMANDER  AGE
    2026-11-25-checkout-down     SEV1  investigating  Checkout down     alice      30 min (open)
    2026-11-25-payments-retries  SEV3  investigating  Payments retries  -          1 h (open)
    2026-11-24-search-slow       SEV3  resolved       Search slow       -          1 h
    ");
}

#[test]
fn list_filters_and_json() {
    let (repo, [old, minor, major]) = three_incidents();
    let ids = |args: &[&str]| -> Vec<String> {
        let mut full = vec!["--json", "list"];
        full.extend(args);
        let v: serde_json::Value = serde_json::from_str(&repo.ok(&full)).unwrap();
        v.as_array()
            .unwrap()
            .iter()
            .map(|i| i["id"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(ids(&[]), [major.clone(), minor.clone(), old.clone()]);
    assert_eq!(ids(&["--open"]), [major.clone(), minor.clone()]);
    assert_eq!(ids(&["--sev", "SEV3"]), [minor.clone(), old.clone()]);
    assert_eq!(
        ids(&["--service", "checkout"]),
        std::slice::from_ref(&major)
    );
    assert_eq!(ids(&["--since", "12h"]), [major.clone(), minor.clone()]);
    assert_eq!(ids(&["--since", "2026-11-25T09:15:00Z"]), [major]);
}

#[test]
fn show_prints_header_roles_times_and_timeline() {
    let (repo, [_, _, major]) = three_incidents();
    repo.ok(&[
        "log",
        &major,
        "rolled back",
        "--kind",
        "action",
        "--internal",
    ]);
    let out = repo.ok(&["show", &major]);
    insta::assert_snapshot!(out, @r"
    2026-11-25-checkout-down  SEV1  investigating
    Checkout down
    other · services: checkout

    Roles
      commander  alice

    Components
      checkout  major_outage since 2026-11-25 09:30

    Times (UTC)
      started       -
      detected      2026-11-25 09:30
      acknowledged  2026-11-25 09:30
      mitigated     -
      resolved      -
      duration      30 min (ongoing)

    Timeline (UTC)
      11-25 09:30  declared  Alice Example  declared SEV1: Checkout down
      11-25 10:00  action    Alice Example  rolled back (internal)
    ");
    let utc = repo.ok(&["--utc", "show", &major]);
    assert!(
        utc.contains("Times (UTC)") && utc.contains("detected      2026-11-25 09:30"),
        "{utc}"
    );
}

#[test]
fn local_time_is_shown_unless_utc_is_asked() {
    let (repo, [_, _, major]) = three_incidents();
    let out = repo
        .cmd()
        .env("TZ", "Europe/Berlin")
        .args(["show", &major])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("Times (UTC+01:00)") && text.contains("detected      2026-11-25 10:30"),
        "{text}"
    );
}

#[test]
fn colour_follows_the_flag_and_no_color() {
    let (repo, _) = three_incidents();
    assert!(
        !repo.ok(&["list"]).contains('\x1b'),
        "no colour off a terminal"
    );
    let coloured = repo.ok(&["--color", "always", "list"]);
    let never = repo.ok(&["--color", "never", "list"]);
    assert!(
        coloured.contains("\x1b[") && coloured.contains("SEV1"),
        "{coloured:?}"
    );
    assert!(!never.contains('\x1b'));
    assert_eq!(
        crate::terminal::strip_ansi(&coloured),
        never,
        "only the colour differs"
    );
    let out = repo
        .cmd()
        .env("NO_COLOR", "1")
        .args(["--color", "auto", "list"])
        .output()
        .unwrap();
    assert!(!String::from_utf8_lossy(&out.stdout).contains('\x1b'));
}

#[test]
fn changing_commands_print_what_they_did_or_the_record_as_json() {
    let repo = Repo::new();
    let id = repo.declare("Checkout down", &[]);
    let out = repo.ok(&["severity", &id, "SEV1", "--reason", "all regions"]);
    assert!(
        out.starts_with("SEV1 2026-11-25-checkout-down: severity SEV2 → SEV1: all regions ["),
        "{out}"
    );
    let json: serde_json::Value =
        serde_json::from_str(&repo.ok(&["--json", "log", &id, "paged database team"])).unwrap();
    assert_eq!(json["id"], id.as_str());
    assert_eq!(json["timeline"].as_array().unwrap().len(), 3);
    assert_eq!(json["timeline"][2]["text"], "paged database team");
}

#[test]
fn history_is_the_git_log_of_the_file() {
    let (repo, [_, _, major]) = three_incidents();
    repo.ok(&["status", &major, "identified"]);
    let json: serde_json::Value =
        serde_json::from_str(&repo.ok(&["--json", "history", &major])).unwrap();
    let entries = json.as_array().unwrap();
    assert_eq!(entries.len(), 2);
    assert_eq!(entries[0]["event"], "status");
    assert_eq!(entries[1]["event"], "declared");
    assert_eq!(entries[1]["author"], "Alice Example");
    let git = repo.git(&[
        "log",
        "--format=%h",
        "--",
        &format!("incidents/2026/{major}.yaml"),
    ]);
    assert_eq!(git.lines().count(), 2);
}

#[test]
fn a_closed_pipe_is_not_an_error() {
    let repo = Repo::new();
    let template = repo.read(&repo.declare("Template", &[]));
    for n in 0..400 {
        let id = format!("2026-11-25-bulk-{n:03}");
        repo.write(
            &format!("incidents/2026/{id}.yaml"),
            &template.replace("2026-11-25-template", &id),
        );
    }
    let bin = assert_cmd::cargo::cargo_bin("incident");
    let out = std::process::Command::new("bash")
        .env_clear()
        .envs(repo.env())
        .current_dir(&repo.root)
        .arg("-c")
        .arg(format!(
            "'{}' --json list | head -c 10 >/dev/null; echo \"${{PIPESTATUS[0]}}\"",
            bin.display()
        ))
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "0",
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!String::from_utf8_lossy(&out.stderr).contains("panicked"));
}

#[test]
fn completions_and_man_page_are_generated() {
    let repo = Repo::new();
    let bash = repo.ok(&["completions", "bash"]);
    assert!(
        bash.contains("_clap_complete_incident"),
        "bash completions: {bash}"
    );
    let zsh = repo.ok(&["completions", "zsh"]);
    assert!(zsh.contains("#compdef incident"), "{zsh}");
    let fish = repo.ok(&["completions", "fish"]);
    assert!(fish.contains("complete"), "{fish}");
    let man = repo.ok(&["man"]);
    assert!(
        man.contains(".TH incident") && man.contains("declare"),
        "{}",
        &man[..200.min(man.len())]
    );
}

/// Asks the binary for completions as the registered shell function does.
fn complete(repo: &Repo, words: &[&str]) -> Vec<String> {
    let out = repo
        .cmd()
        .env("COMPLETE", "bash")
        .env("_CLAP_COMPLETE_INDEX", (words.len() - 1).to_string())
        .env("_CLAP_IFS", "\n")
        .arg("--")
        .args(words)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_string)
        .collect()
}

#[test]
fn completions_offer_open_incidents_services_severities_and_statuses() {
    let repo = Repo::example("acme", "2026-11-18T16:00:00Z");
    let ids = complete(&repo, &["incident", "show", "2026"]);
    assert_eq!(
        ids,
        ["2026-11-18-api-elevated-errors"],
        "open incidents first"
    );
    let ids = complete(&repo, &["incident", "show", "2026-10-2"]);
    assert!(
        ids.contains(&"2026-10-27-checkout-and-payments-failing".to_string()),
        "{ids:?}"
    );
    let services = complete(&repo, &["incident", "declare", "X", "--service", ""]);
    assert!(
        services.contains(&"checkout".to_string()) && services.contains(&"api".to_string()),
        "{services:?}"
    );
    let sevs = complete(&repo, &["incident", "severity", "api", "SEV"]);
    assert_eq!(sevs, ["SEV1", "SEV2", "SEV3", "SEV4"]);
    let statuses = complete(&repo, &["incident", "status", "api", "mon"]);
    assert_eq!(statuses, ["monitoring"]);
    let kinds = complete(&repo, &["incident", "edit", "api", "--kind", "th"]);
    assert_eq!(kinds, ["third-party"]);
    let components = complete(&repo, &["incident", "update", "api", "--component", "pa"]);
    assert_eq!(components, ["payments="]);
    let statuses = complete(
        &repo,
        &["incident", "update", "api", "--component", "payments=deg"],
    );
    assert_eq!(statuses, ["payments=degraded_performance"]);
    repo.ok(&[
        "maintenance",
        "schedule",
        "Database upgrade",
        "--service",
        "payments",
        "--from",
        "2026-11-20T02:00:00Z",
        "--until",
        "1h",
    ]);
    let windows = complete(&repo, &["incident", "maintenance", "start", "2026"]);
    assert_eq!(windows, ["2026-11-20-database-upgrade"]);
    // The registration script a shell sources calls back into the binary.
    let bash = repo.ok(&["completions", "bash"]);
    assert!(
        bash.contains("COMPLETE=\"bash\"") && bash.contains("complete "),
        "{bash}"
    );
}

#[test]
fn there_is_a_lint_clean_man_page_for_every_page_the_manual_refers_to() {
    let repo = Repo::new();
    let dir = repo.home.path().join("man1");
    repo.ok(&["man", "--out", dir.to_str().unwrap()]);
    let main = std::fs::read_to_string(dir.join("incident.1")).unwrap();
    // The SUBCOMMANDS section names pages as `incident\-declare(1)`.
    let referred: Vec<String> = main
        .split("incident\\-")
        .skip(1)
        .filter_map(|rest| {
            rest.split_once("(1)")
                .map(|(name, _)| name.replace("\\-", "-"))
        })
        .filter(|name| !name.contains(' '))
        .collect();
    assert!(referred.len() > 20, "{referred:?}");
    for name in &referred {
        let page = dir.join(format!("incident-{name}.1"));
        assert!(
            page.is_file(),
            "incident.1 refers to a missing page {}",
            page.display()
        );
    }
    for page in [
        "incident-declare.1",
        "incident-edit.1",
        "incident-action-add.1",
    ] {
        let text = std::fs::read_to_string(dir.join(page)).unwrap();
        assert!(text.contains(".SH OPTIONS"), "{page}");
    }
    let declare = std::fs::read_to_string(dir.join("incident-declare.1")).unwrap();
    assert!(
        declare.contains("\\-\\-started\\-at"),
        "all options are documented"
    );
    let mut pages: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    pages.sort();
    let lint = std::process::Command::new("mandoc")
        .args(["-T", "lint", "-W", "warning"])
        .args(&pages)
        .output()
        .expect("mandoc is needed for this test (.ci/setup installs it)");
    assert!(
        lint.status.success() && lint.stdout.is_empty() && lint.stderr.is_empty(),
        "mandoc -T lint: {}{}",
        String::from_utf8_lossy(&lint.stdout),
        String::from_utf8_lossy(&lint.stderr)
    );
}

#[test]
fn resolved_incidents_list_newest_first_and_drills_last() {
    let repo = Repo::example("acme", "2026-11-18T12:00:00Z");
    let list: serde_json::Value = serde_json::from_str(&repo.ok(&["--json", "list"])).unwrap();
    let ids: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        [
            "2026-11-18-api-elevated-errors",
            "2026-11-11-dashboard-charts-empty",
            "2026-11-05-search-latency",
            "2026-10-27-checkout-and-payments-failing",
            "2026-11-13-game-day-database-failover",
        ]
    );
}

/// Every flag the README's quick start uses is documented in its command table, and exists.
#[test]
fn readme_documents_every_flag_its_quick_start_uses() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let quick = readme
        .split("A real incident, from declaring to resolving:")
        .nth(1)
        .and_then(|rest| rest.split("```sh").nth(1))
        .and_then(|block| block.split("```").next())
        .unwrap()
        .replace("\\\n", " ");
    let table: Vec<&str> = readme
        .lines()
        .filter(|l| l.starts_with("| `incident "))
        .collect();
    let mut checked = 0;
    for line in quick
        .lines()
        .map(str::trim)
        .filter(|l| l.starts_with("incident "))
    {
        let command = line.split_whitespace().nth(1).unwrap();
        let row = table
            .iter()
            .find(|r| {
                r.starts_with(&format!("| `incident {command} "))
                    || r.starts_with(&format!("| `incident {command}`"))
            })
            .unwrap_or_else(|| panic!("no table row for `incident {command}`"));
        for flag in line.split_whitespace().filter(|w| w.starts_with("--")) {
            assert!(
                row.contains(flag),
                "`{flag}` of `incident {command}` is not in its README row: {row}"
            );
            let help = Repo::new().ok(&[command, "--help"]);
            assert!(help.contains(flag), "`incident {command}` has no {flag}");
            checked += 1;
        }
    }
    assert!(checked > 20, "{checked}");
}

/// `check` writes a long report in pieces of about a megabyte: the text is still every finding of
/// its JSON, once each, in order, one newline apart, past several piece boundaries.
#[test]
fn a_long_check_report_is_every_finding_once_in_order() {
    let mut repo = Repo::new();
    repo.at("2026-10-01T08:00:00Z");
    let id = repo.declare("Search slow", &["--sev", "SEV2", "--service", "search"]);
    repo.at("2026-10-01T09:00:00Z").ok(&["resolve", &id]);
    let record = repo.read(&id);
    let year = &id[..4];
    // Resolved without a post-mortem, long past the policy's promise: a warning each.
    for n in 0..8_000 {
        let copy = format!("{id}-{n:04}");
        repo.write(
            &format!("incidents/{year}/{copy}.yaml"),
            &record.replace(&format!("id: {id}\n"), &format!("id: {copy}\n")),
        );
    }
    repo.at("2026-11-25T10:00:00Z");
    let text = repo.ok(&["check"]);
    let json: serde_json::Value = serde_json::from_str(&repo.ok(&["--json", "check"])).unwrap();
    let findings = json["findings"].as_array().unwrap();
    assert!(findings.len() > 8_000, "{} findings", findings.len());
    let mut expected: String = findings
        .iter()
        .map(|f| {
            let s = |k: &str| f[k].as_str().unwrap().to_string();
            format!(
                "{}: {}: {}: {}\n  fix: {}\n",
                s("level"),
                s("file"),
                s("field"),
                s("problem"),
                s("fix")
            )
        })
        .collect();
    expected += &format!(
        "checked {} incident(s): 0 error(s), {} warning(s)\n",
        json["incidents"],
        findings.len()
    );
    assert!(
        text.len() > 2 << 20,
        "{} bytes: fewer than three pieces",
        text.len()
    );
    assert_eq!(text.len(), expected.len());
    assert!(text == expected, "the report differs from its findings");
}

/// Descriptions stay one line of visible text whatever a title holds, and nothing offered needs
/// quoting by the shell.
#[test]
fn completions_offer_plain_words_with_one_line_descriptions() {
    let repo = Repo::new();
    let id = repo.declare("Checkout down", &[]);
    let path = repo.path_of(&id);
    let text = std::fs::read_to_string(&path).unwrap().replacen(
        "title: Checkout down",
        "title: \"Checkout\\tdown \\e[31m$(touch pwned)\"",
        1,
    );
    std::fs::write(&path, text).unwrap();
    let out = repo
        .cmd()
        .env("COMPLETE", "fish")
        .env("_CLAP_COMPLETE_INDEX", "2")
        .arg("--")
        .args(["incident", "show", "2026"])
        .output()
        .unwrap();
    let lines = String::from_utf8_lossy(&out.stdout).into_owned();
    let entries: Vec<&str> = lines.lines().collect();
    assert_eq!(entries.len(), 1, "{lines:?}");
    let (value, help) = entries[0].split_once('\t').unwrap();
    assert_eq!(value, id);
    assert!(!help.contains(['\t', '\u{1b}']), "{help:?}");
    assert!(help.contains("Checkout down"), "{help:?}");
    for c in value.chars() {
        assert!(c.is_ascii_alphanumeric() || c == '-', "{value}");
    }
    assert!(!repo.root.join("pwned").exists());
}
