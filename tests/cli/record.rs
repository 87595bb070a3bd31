//! What the record shows is what happened (issue 23): the words customers were told stay as they
//! were posted, whatever the record says later.

use crate::support::Repo;

#[test]
fn the_words_customers_were_told_never_change_afterwards() {
    let repo = Repo::new();
    let id = repo.declare(
        "Checkout down",
        &["--sev", "SEV2", "--commander", "alice", "--update"],
    );
    let record = repo.record(&id);
    let said = &record["updates"][0]["said"];
    let words = said["text"].as_str().unwrap().to_string();
    assert!(words.contains("checkout"), "{words}");
    assert_eq!(said["severity"], "SEV2");
    assert_eq!(said["components"]["checkout"], "partial_outage");

    // Later the record changes: another service, a worse severity.
    repo.ok(&["edit", &id, "--add-service", "payments"]);
    repo.ok(&["severity", &id, "SEV1", "--reason", "worse"]);
    repo.ok(&["resolve", &id, "--update"]);

    let pm = repo.ok(&["postmortem", &id]);
    assert!(
        pm.contains(&words),
        "the post-mortem quotes it word for word:\n{pm}"
    );
    repo.ok(&["publish", "--out", "site"]);
    let site = repo.root.join("site");
    let page = std::fs::read_to_string(site.join(format!("incidents/{id}.html"))).unwrap();
    assert!(page.contains(&words.replace('\'', "&#39;")), "{page}");
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(site.join("api/v2/incidents.json")).unwrap())
            .unwrap();
    let bodies: Vec<&str> = json["incidents"][0]["incident_updates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["body"].as_str().unwrap())
        .collect();
    assert!(bodies.contains(&words.as_str()), "{bodies:?}");
    assert!(
        bodies
            .iter()
            .all(|b| !b.contains("payments") || b.contains("resolved")),
        "no earlier update speaks of the service added later: {bodies:?}"
    );
    let feed = std::fs::read_to_string(site.join("feed.atom")).unwrap();
    assert!(feed.contains(&words.replace('\'', "&#39;")), "{feed}");
    // A late delivery speaks of the severity of that moment, in those words.
    let config = std::fs::read_to_string(repo.root.join(".incident.yaml")).unwrap();
    repo.write(
        ".incident.yaml",
        &format!("{config}notify:\n  targets:\n  - id: ops-chat\n    kind: slack\n    url_env: TEST_CHAT_URL\n"),
    );
    repo.git(&["commit", "-qam", "a chat target"]);
    let out = repo
        .cmd()
        .env("TEST_CHAT_URL", "http://127.0.0.1:9/")
        .args(["--json", "notify", "--since", "1d", "--dry-run"])
        .output()
        .unwrap();
    let plan: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|_| panic!("{}", String::from_utf8_lossy(&out.stderr)));
    let first = record["updates"][0]["id"].as_str().unwrap();
    let late = plan["dry_run"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["event_id"] == first)
        .unwrap_or_else(|| panic!("{plan}"));
    let text = late["text"].as_str().unwrap();
    assert!(text.contains("SEV2") && !text.contains("SEV1"), "{text}");
    assert!(text.contains(&words), "{text}");
}

#[test]
fn flags_that_name_people_never_change_who_committed() {
    let repo = Repo::new();
    let id = repo.declare("Checkout down", &["--commander", "alice"]);
    let me = "Alice Example <alice@example.com>";
    for args in [
        vec![
            "pir",
            id.as_str(),
            "--author",
            "bob",
            "--reviewer",
            "carol",
            "--summary",
            "x",
        ],
        vec![
            "assign",
            id.as_str(),
            "--commander",
            "dave",
            "--comms",
            "erin",
        ],
        vec![
            "action",
            "add",
            id.as_str(),
            "Add a canary",
            "--owner",
            "frank",
        ],
    ] {
        repo.ok(&args);
        let who = repo.git(&["log", "-1", "--format=%an <%ae>|%cn <%ce>"]);
        assert_eq!(who.trim(), format!("{me}|{me}"), "{args:?}");
    }
    let record = repo.record(&id);
    assert_eq!(
        record["postmortem"]["author"], "bob",
        "the review's author is a field"
    );
    // `--as` is the one flag that says who acts.
    repo.ok(&["--as", "grace", "log", &id, "on it"]);
    let who = repo.git(&["log", "-1", "--format=%an"]);
    assert_eq!(who.trim(), "grace");
}

#[test]
fn mtta_runs_until_the_named_commander_answers() {
    let mut repo = Repo::new();
    // Alice declares and names bob: paging bob is not bob answering.
    let id = repo.declare("Checkout down", &["--sev", "SEV2", "--commander", "bob"]);
    assert!(repo.record(&id)["acknowledged_at"].is_null());
    repo.ok(&["status", &id, "identified"]);
    assert!(
        repo.record(&id)["acknowledged_at"].is_null(),
        "alice's change is not bob's answer"
    );
    repo.at("2026-11-25T10:07:00Z");
    repo.ok(&["--as", "bob", "log", &id, "looking"]);
    assert_eq!(repo.record(&id)["acknowledged_at"], "2026-11-25T10:07:00Z");
    // Naming yourself is an acknowledgement at once.
    let mine = repo.declare(
        "Search slow",
        &["--service", "search", "--commander", "alice"],
    );
    assert_eq!(
        repo.record(&mine)["acknowledged_at"],
        "2026-11-25T10:07:00Z"
    );
}

#[test]
fn a_time_zone_label_is_that_of_the_times_shown() {
    let mut repo = Repo::new();
    repo.at("2026-07-15T10:00:00Z");
    let summer = repo.declare("Checkout down in summer", &["--commander", "alice"]);
    repo.at("2026-12-01T10:00:00Z");
    let winter = repo.declare("Checkout down in winter", &["--commander", "alice"]);
    let show = |id: &str| {
        let out = repo
            .cmd()
            .env("TZ", "Europe/Berlin")
            .args(["show", id])
            .output()
            .unwrap();
        String::from_utf8(out.stdout).unwrap()
    };
    let text = show(&summer);
    assert!(text.contains("Timeline (UTC+02:00)"), "{text}");
    assert!(
        text.contains("12:00"),
        "10:00 UTC is 12:00 in Berlin's summer: {text}"
    );
    let text = show(&winter);
    assert!(text.contains("Timeline (UTC+01:00)"), "{text}");
    repo.ok(&["log", &summer, "months later"]);
    let text = show(&summer);
    assert!(text.contains("Timeline (UTC+02:00/+01:00)"), "{text}");
}

#[test]
fn a_sev1_an_alert_hook_declares_without_a_commander_never_stops_the_pipeline() {
    let repo = Repo::new();
    let out = repo
        .cmd()
        .args([
            "--json",
            "declare",
            "Checkout down",
            "--sev",
            "SEV1",
            "--service",
            "checkout",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("warning:") && err.contains("--commander") && err.contains("10:05"),
        "named, with the policy's coordination time (SEV1: 5m): {err}"
    );
    let id = serde_json::from_slice::<serde_json::Value>(&out.stdout).unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    // The README's CI job: check && publish stays green.
    let check = repo.run(&["check"]);
    let report = String::from_utf8_lossy(&check.stdout);
    assert!(check.status.success(), "{report}");
    assert!(
        report.contains("roles.commander"),
        "reported as a warning: {report}"
    );
    // Machines read which rule found it, not its words.
    let json: serde_json::Value = serde_json::from_str(&repo.ok(&["--json", "check"])).unwrap();
    let finding = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["field"] == "roles.commander")
        .unwrap_or_else(|| panic!("{json}"));
    assert_eq!(finding["rule"], "commander-missing");
    assert_eq!(finding["level"], "warning");
    repo.ok(&["publish", "--out", "site"]);
    let due = repo.ok(&["--json", "due"]);
    let due: serde_json::Value = serde_json::from_str(&due).unwrap();
    let owed = due
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["incident"] == id.as_str() && d["what"].as_str().unwrap().contains("commander"))
        .unwrap_or_else(|| panic!("{due}"));
    assert_eq!(owed["due_at"], "2026-11-25T10:05:00Z");
}

#[test]
fn small_things_a_responder_types_work_as_meant() {
    let repo = Repo::new();
    let id = repo.declare("Checkout down", &["--commander", "alice", "--update"]);
    // Text that starts like a flag is text.
    repo.ok(&["log", &id, "- rolled back deploy 4512"]);
    let record = repo.record(&id);
    let last = record["timeline"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(last["text"], "- rolled back deploy 4512");
    assert_eq!(last["kind"], "note");
    // `--to` alone is a communication.
    repo.ok(&[
        "log",
        &id,
        "emailed enterprise accounts",
        "--to",
        "customers",
    ]);
    let record = repo.record(&id);
    let last = record["timeline"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(last["kind"], "comms");
    assert_eq!(last["audience"], "customers");
    let err = repo.fails(2, &["log", &id, "x", "--to", "customers", "--kind", "note"]);
    assert!(err.contains("--to goes with --kind comms"), "{err}");
    // Saying a service's state again is fine; the update is posted.
    repo.ok(&[
        "update",
        &id,
        "--impacted",
        "EU checkout",
        "--learned",
        "a config push",
        "--component",
        "checkout=partial_outage",
    ]);
    repo.ok(&[
        "update",
        &id,
        "--impacted",
        "EU checkout",
        "--learned",
        "rolling back",
        "--component",
        "checkout=partial_outage",
    ]);
    assert_eq!(repo.record(&id)["updates"].as_array().unwrap().len(), 3);
    // An unknown service is a usage error.
    let err = repo.fails(2, &["declare", "X", "--sev", "SEV3", "--service", "nosuch"]);
    assert!(err.contains("unknown service `nosuch`"), "{err}");
}

#[test]
fn show_prints_every_impact_field() {
    let repo = Repo::new();
    let id = repo.declare(
        "Checkout down",
        &[
            "--users",
            "48000",
            "--customers",
            "310",
            "--revenue",
            "EUR 310,000",
            "--impact",
            "EU card payments failed",
        ],
    );
    let shown = repo.ok(&["show", &id]);
    for want in [
        "48000 affected",
        "310 affected",
        "EUR 310,000",
        "EU card payments failed",
    ] {
        assert!(shown.contains(want), "{want}: {shown}");
    }
}

#[test]
fn history_lists_the_post_mortem_commit_too() {
    let mut repo = Repo::new();
    let id = repo.declare("Checkout down", &["--commander", "alice"]);
    repo.at("2026-11-25T11:00:00Z");
    repo.ok(&["resolve", &id]);
    repo.at("2026-11-26T09:00:00Z");
    repo.ok(&["postmortem", &id, "--commit"]);
    let out = repo.ok(&["--json", "history", &id]);
    let entries: serde_json::Value = serde_json::from_str(&out).unwrap();
    let summaries: Vec<&str> = entries
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["summary"].as_str().unwrap())
        .collect();
    assert!(
        summaries[0].contains("post-mortem written"),
        "{summaries:?}"
    );
    assert_eq!(summaries.len(), 3, "{summaries:?}");
    // Every commit with the incident's trailer is listed.
    let trailer = repo.git(&["log", "--format=%H", &format!("--grep=^Incident: {id}$")]);
    assert_eq!(trailer.lines().count(), summaries.len());
}

#[test]
fn statuspage_readers_see_every_status_change_and_when_it_happened() {
    let mut repo = Repo::new();
    let id = repo.declare("Checkout down", &["--commander", "alice", "--update"]);
    repo.at("2026-11-25T10:20:00Z");
    repo.ok(&["status", &id, "identified", "--note", "bad deploy"]);
    repo.at("2026-11-25T10:40:00Z");
    repo.ok(&["status", &id, "monitoring"]);
    repo.at("2026-11-25T10:50:00Z");
    repo.ok(&[
        "update",
        &id,
        "--component",
        "checkout=degraded_performance",
        "--impacted",
        "EU",
        "--learned",
        "recovering",
    ]);
    repo.at("2026-11-25T10:55:00Z");
    repo.ok(&["severity", &id, "SEV3", "--reason", "mostly recovered"]);
    repo.ok(&["publish", "--out", "site"]);
    let json: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(repo.root.join("site/api/v2/incidents.json")).unwrap(),
    )
    .unwrap();
    let incident = &json["incidents"][0];
    let updates: Vec<(&str, &str, &str)> = incident["incident_updates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| {
            (
                u["status"].as_str().unwrap(),
                u["created_at"].as_str().unwrap(),
                u["body"].as_str().unwrap(),
            )
        })
        .collect();
    let statuses: Vec<&str> = updates.iter().map(|u| u.0).collect();
    assert_eq!(
        statuses,
        ["monitoring", "monitoring", "identified", "investigating"],
        "newest first, each change listed: {updates:?}"
    );
    assert_eq!(updates[2].1, "2026-11-25T10:20:00Z");
    assert_eq!(
        updates[2].2,
        "The issue has been identified and a fix is being implemented."
    );
    assert_eq!(
        updates[1].2,
        "A fix has been implemented and we are monitoring the results."
    );
    assert_eq!(
        incident["updated_at"], "2026-11-25T10:55:00Z",
        "the re-grade moved it"
    );
    let page =
        std::fs::read_to_string(repo.root.join(format!("site/incidents/{id}.html"))).unwrap();
    assert!(page.contains("The issue has been identified"), "{page}");
}

#[test]
fn every_post_mortem_template_tells_the_peak_and_the_time_at_each_severity_alike() {
    let mut repo = Repo::new();
    let id = repo.declare("Checkout down", &["--sev", "SEV2", "--commander", "alice"]);
    repo.at("2026-11-25T10:20:00Z");
    repo.ok(&["severity", &id, "SEV1", "--reason", "all regions"]);
    repo.at("2026-11-25T11:00:00Z");
    repo.ok(&["severity", &id, "SEV3", "--reason", "mostly recovered"]);
    repo.at("2026-11-25T11:30:00Z");
    repo.ok(&["resolve", &id]);
    for template in ["postmortem", "postmortem-short", "postmortem-pagerduty"] {
        let doc = repo.ok(&["postmortem", &id, "--template", template]);
        // Peak SEV1, not the final SEV3; 20 min at SEV2, 40 at SEV1, 30 at SEV3.
        assert!(doc.contains("SEV1"), "{template}: peak missing:\n{doc}");
        for span in ["20 min", "40 min", "30 min"] {
            assert!(doc.contains(span), "{template}: {span} missing:\n{doc}");
        }
        assert!(
            !doc.contains("Time in SEV3: 1 h 30 min") && !doc.contains("(SEV3, "),
            "{template}: the final severity is not the incident's:\n{doc}"
        );
    }
}

#[test]
fn an_update_printed_on_a_terminal_reads_as_text() {
    let repo = Repo::new();
    let id = repo.declare("Checkout down", &["--commander", "alice", "--update"]);
    for cols in [60, 80, 120] {
        let screen = crate::terminal::on_terminal(
            &repo,
            cols,
            &[],
            &[
                "update",
                &id,
                "--impacted",
                "EU [cards] | *some* payments",
                "--learned",
                "a_b config push",
            ],
        );
        let plain = crate::terminal::strip_ansi(&screen);
        assert!(
            plain.contains("investigating: Still impacted: EU [cards] | *some* payments."),
            "{cols}: {plain}"
        );
        assert!(
            !plain.contains("\\[") && !plain.contains("**"),
            "{cols}: no Markdown: {plain}"
        );
        // The update's own lines, wrapped to the terminal.
        for line in plain
            .lines()
            .skip_while(|l| !l.starts_with("investigating:"))
        {
            assert!(
                unicode_width::UnicodeWidthStr::width(line) <= cols,
                "{cols}: {line:?}"
            );
        }
    }
    // Off a terminal (a script, a chat bot) it is the status page's Markdown, as before.
    let out = repo.ok(&["update", &id, "--impacted", "EU", "--learned", "more"]);
    assert!(out.contains("**Investigating**"), "{out}");
}

#[test]
fn maintenance_is_cancelled_and_rescheduled_as_people_plan_it() {
    let mut repo = Repo::new();
    let err = repo.fails(
        2,
        &[
            "maintenance",
            "schedule",
            "DB upgrade",
            "--service",
            "checkout",
            "--from",
            "1h ago",
            "--until",
            "2h",
        ],
    );
    assert!(
        err.contains("in the past") && err.contains("--backfill"),
        "{err}"
    );
    repo.ok(&[
        "maintenance",
        "schedule",
        "DB upgrade",
        "--service",
        "checkout",
        "--from",
        "2026-11-25T08:00:00Z",
        "--until",
        "1h",
        "--backfill",
    ]);
    repo.ok(&[
        "maintenance",
        "schedule",
        "Cache resize",
        "--service",
        "search",
        "--from",
        "2026-11-26T02:00:00Z",
        "--until",
        "1h",
    ]);
    let commits = repo.commit_count();
    repo.ok(&[
        "maintenance",
        "reschedule",
        "cache",
        "--from",
        "2026-11-27T02:00:00Z",
        "--until",
        "2h",
    ]);
    assert_eq!(repo.commit_count(), commits + 1, "one commit");
    repo.ok(&[
        "maintenance",
        "schedule",
        "Network change",
        "--service",
        "payments",
        "--from",
        "2026-11-26T03:00:00Z",
        "--until",
        "1h",
    ]);
    repo.ok(&[
        "maintenance",
        "cancel",
        "network",
        "--reason",
        "the vendor postponed it",
    ]);
    let err = repo.fails(
        1,
        &["maintenance", "cancel", "network", "--reason", "again"],
    );
    assert!(err.contains("only a window that has not started"), "{err}");
    // The page and the API say so, as Statuspage does.
    repo.ok(&["publish", "--out", "site"]);
    let api: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(repo.root.join("site/api/v2/scheduled-maintenances.json"))
            .unwrap(),
    )
    .unwrap();
    let find = |name: &str| {
        api["scheduled_maintenances"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["name"] == name)
            .unwrap_or_else(|| panic!("{name}: {api}"))
            .clone()
    };
    let moved = find("Cache resize");
    assert_eq!(moved["scheduled_for"], "2026-11-27T02:00:00Z");
    assert_eq!(moved["scheduled_until"], "2026-11-27T04:00:00Z");
    assert!(
        moved["incident_updates"][0]["body"]
            .as_str()
            .unwrap()
            .contains("rescheduled"),
        "{moved}"
    );
    let off = find("Network change");
    assert_eq!(off["status"], "completed");
    assert!(
        off["incident_updates"][0]["body"]
            .as_str()
            .unwrap()
            .contains("cancelled: the vendor postponed it."),
        "{off}"
    );
    repo.ok(&["check"]);
    // `list` shows what really happened.
    repo.at("2026-11-27T02:10:00Z");
    repo.ok(&["maintenance", "start", "cache"]);
    let list = repo.ok(&["maintenance", "list"]);
    let row = |name: &str| list.lines().find(|l| l.contains(name)).unwrap().to_string();
    assert!(row("network").contains("cancelled"), "{list}");
    assert!(
        row("cache").contains("2026-11-27 02:10"),
        "really began: {list}"
    );
}

#[test]
fn list_keeps_the_title_at_80_columns_and_what_it_shows_resolves() {
    let repo = Repo::example("acme", "2026-11-18T12:00:00Z");
    let screen =
        crate::terminal::strip_ansi(&crate::terminal::on_terminal(&repo, 80, &[], &["list"]));
    assert!(
        screen.contains("TITLE") && screen.contains("API elevated"),
        "{screen}"
    );
    assert!(screen.contains(" api-elevated "), "{screen}");
    // The title keeps the room columns left out at 80 freed, a drill's too (marked by its status).
    assert!(
        screen.contains("resolved (drill)") && screen.contains("Game day: databas"),
        "{screen}"
    );
    let widest = screen
        .lines()
        .map(unicode_width::UnicodeWidthStr::width)
        .max()
        .unwrap();
    assert_eq!(widest, 80, "{screen}");
    // What a responder reads there is what they type next.
    let shown = repo.ok(&["show", "api-elevated"]);
    assert!(
        shown.starts_with("2026-11-18-api-elevated-errors"),
        "{shown}"
    );
    // Two incidents with one slug (a recurrence the next day) keep their dates, so nothing shown
    // is ambiguous.
    let mut repo = repo;
    repo.at("2026-11-19T08:00:00Z");
    let again = repo.declare(
        "API elevated errors",
        &["--sev", "SEV3", "--service", "api"],
    );
    assert_eq!(again, "2026-11-19-api-elevated-errors");
    let screen =
        crate::terminal::strip_ansi(&crate::terminal::on_terminal(&repo, 120, &[], &["list"]));
    assert!(screen.contains(&again), "{screen}");
    assert!(
        screen.contains("2026-11-18-api-elevated-errors"),
        "{screen}"
    );
    // Pipes get whole IDs, as scripts expect.
    let piped = repo.ok(&["list"]);
    assert!(piped.contains("2026-11-05-search-latency"), "{piped}");
}

#[test]
fn stats_wraps_its_text_to_the_terminal() {
    let repo = Repo::example("acme", "2026-11-18T12:00:00Z");
    for cols in [60, 80] {
        let screen = crate::terminal::strip_ansi(&crate::terminal::on_terminal(
            &repo,
            cols,
            &[],
            &["stats", "--since", "90d"],
        ));
        assert!(screen.contains("Communication deadlines"), "{screen}");
        for line in screen.lines() {
            assert!(
                unicode_width::UnicodeWidthStr::width(line) <= cols,
                "{cols}: {line:?}\n{screen}"
            );
        }
    }
}

#[test]
fn action_list_and_the_change_line_fit_60_80_and_120_columns() {
    let mut repo = Repo::new();
    repo.at("2026-12-01T10:00:00Z");
    let id = repo.declare(
        "Checkout API returns 502 for card payments in eu-west",
        &["--sev", "SEV2", "--service", "checkout"],
    );
    repo.ok(&[
        "action",
        "add",
        &id,
        "Alert on the 502 rate of the checkout service",
        "--owner",
        "bob.smith",
        "--due",
        "2026-12-20",
    ]);
    for cols in [60, 80, 120] {
        let screen = crate::terminal::strip_ansi(&crate::terminal::on_terminal(
            &repo,
            cols,
            &[],
            &["action", "list"],
        ));
        // What its reader came for: which item, whose, when, where it stands.
        for wanted in ["checkout#1", "bob.smith", "2026-12-20", "open"] {
            assert!(screen.contains(wanted), "{cols}: {wanted}\n{screen}");
        }
        if cols >= 80 {
            assert!(screen.contains("Alert on the"), "{cols}:\n{screen}");
        }
        // The short name is what `action done` takes back.
        repo.at("2026-12-01T10:01:00Z");
        let line = crate::terminal::strip_ansi(&crate::terminal::on_terminal(
            &repo,
            cols,
            &[],
            &[
                "log",
                "checkout",
                "Failover to the secondary card processor started, error rates falling",
            ],
        ));
        for l in screen.lines().chain(line.lines()) {
            assert!(
                unicode_width::UnicodeWidthStr::width(l) <= cols,
                "{cols}: {l:?}\n{screen}\n{line}"
            );
        }
        assert!(
            line.contains("Failover") && line.contains("falling"),
            "{line}"
        );
        assert!(line.contains(&id), "{line}");
    }
    repo.ok(&["action", "done", "checkout", "1"]);
    assert!(repo.ok(&["action", "list"]).contains("done"));
}

/// The published site, measured by axe-core (WCAG 2.1 A and AA, colour contrast as rendered) in
/// Debian's Chromium at 1280 and 390 px, by `tests/tools/browser/axe_check.mjs`.
#[test]
fn every_published_page_meets_wcag_aa_in_a_real_browser_at_1280_and_390_px() {
    let repo = Repo::example("acme", "2026-11-18T12:00:00Z");
    let site = repo.root.join("site");
    repo.ok(&["publish", "--out", site.to_str().unwrap()]);
    let tools = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/tools/browser");
    assert!(
        tools.join("node_modules/axe-core").is_dir(),
        "axe-core and playwright-core are missing: run `bash .ci/setup` (npm ci in {})",
        tools.display()
    );
    let out = std::process::Command::new("node")
        .arg(tools.join("axe_check.mjs"))
        .arg(&site)
        .output()
        .expect("node runs (bash .ci/setup installs it)");
    let report = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{report}");
    // Every page at both widths, not an empty run.
    let pages = crate::support::walk(&site)
        .iter()
        .filter(|p| p.ends_with(".html"))
        .count();
    assert!(
        report.contains(&format!("{} page views, 0 findings", pages * 2)),
        "{report}"
    );
}

#[test]
fn the_page_explains_its_bars_and_a_phone_sees_the_uptime_of_the_days_it_shows() {
    let repo = Repo::example("acme", "2026-11-18T12:00:00Z");
    let site = repo.root.join("site");
    repo.ok(&["publish", "--out", site.to_str().unwrap()]);
    let index = std::fs::read_to_string(site.join("index.html")).unwrap();
    // A key in words, and each component's eventful days listed where a tap opens them.
    assert!(
        index.contains("Each bar is one day, oldest on the left"),
        "{index}"
    );
    assert!(index.contains("<summary>1 day with downtime or maintenance</summary>"));
    assert!(
        index.contains("<li>Nov 5, 2026: "),
        "search's bad day in words"
    );
    // Checkout's outage of Oct 27 weighs less over 90 days than over the 30 a phone shows.
    let checkout = &index[index.find("id=\"component-checkout\"").unwrap()..];
    let checkout = &checkout[..checkout.find("</details>").unwrap()];
    let long = checkout.split("<span class=\"long\">").nth(2).unwrap();
    let short = checkout.split("<span class=\"short\">").nth(2).unwrap();
    let percent = |s: &str| s[..s.find(" % uptime").unwrap()].parse::<f64>().unwrap();
    assert!(percent(short) < percent(long), "{checkout}");
    assert!(checkout.contains("<span class=\"short\">30 days ago</span>"));
    // The stylesheet hides all but the last 30 bars on a narrow screen, whatever --days is.
    let css = std::fs::read_to_string(site.join("style.css")).unwrap();
    assert!(css.contains("ol.bars li:nth-last-child(n+31) { display: none; }"));
    // History folds quiet days: one line for a run, not one per day.
    let history = std::fs::read_to_string(site.join("history.html")).unwrap();
    assert!(
        history.contains(">Oct 28, 2026</time> – <time datetime=\"2026-11-04\">Nov 4, 2026</time>"),
        "{history}"
    );
    assert_eq!(
        history.matches("No incidents reported.").count(),
        3,
        "{history}"
    );
}

#[test]
fn maintenance_list_shows_when_each_window_starts_at_60_and_80_columns() {
    let mut repo = Repo::new();
    repo.at("2026-12-01T10:00:00Z");
    for (title, from, until) in [
        (
            "Database upgrade to PostgreSQL 17 on the primary cluster",
            "2026-12-03T02:00:00Z",
            "2026-12-03T04:00:00Z",
        ),
        (
            "Search index rebuild",
            "2026-12-05T01:00:00Z",
            "2026-12-05T02:00:00Z",
        ),
    ] {
        repo.ok(&[
            "maintenance",
            "schedule",
            title,
            "--service",
            "search",
            "--from",
            from,
            "--until",
            until,
        ]);
    }
    for cols in [60, 80] {
        let screen = crate::terminal::strip_ansi(&crate::terminal::on_terminal(
            &repo,
            cols,
            &[],
            &["maintenance", "list"],
        ));
        for wanted in [
            "2026-12-03 02:00",
            "2026-12-05 01:00",
            "scheduled",
            "database",
        ] {
            assert!(screen.contains(wanted), "{cols}: {wanted}\n{screen}");
        }
        for line in screen.lines() {
            assert!(
                unicode_width::UnicodeWidthStr::width(line) <= cols,
                "{cols}: {line:?}\n{screen}"
            );
        }
    }
    // The name shown is what the next command takes.
    repo.ok(&[
        "maintenance",
        "cancel",
        "database",
        "--reason",
        "moved to January",
    ]);
    assert!(repo.ok(&["maintenance", "list"]).contains("cancelled"));
}
