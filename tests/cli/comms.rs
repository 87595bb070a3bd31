//! Status updates, rendering per channel, the published status page and the post-mortem.

use crate::support::Repo;
use serde_json::Value;

const NOW: &str = "2026-11-25T12:00:00Z";
const SEV1: &str = "2026-10-27-checkout-and-payments-failing";
pub const PUBLISHED: [&str; 22] = [
    "status.md",
    "index.html",
    "history.html",
    "incidents/2026-11-18-api-elevated-errors.html",
    "style.css",
    "feed.atom",
    "history.rss",
    "components/api.atom",
    "uptime.json",
    "api/v2/scheduled-maintenances.json",
    "api/v2/scheduled-maintenances/upcoming.json",
    "api/v2/scheduled-maintenances/active.json",
    "api/v2/summary.json",
    "api/v2/incidents.json",
    "api/v2/status.json",
    "api/v2/components.json",
    "api/v2/incidents/unresolved.json",
    "summary.json",
    "incidents.json",
    "status.json",
    "components.json",
    "incidents/unresolved.json",
];

#[test]
fn an_update_records_the_three_things_and_prints_the_published_text() {
    let mut repo = Repo::new();
    let id = repo.declare("Checkout down", &["--sev", "SEV1", "--update"]);
    let rec = repo.record(&id);
    assert_eq!(
        rec["updates"].as_array().unwrap().len(),
        1,
        "declare --update posts the first update"
    );
    assert_eq!(repo.commit_count(), 2, "in the declare commit");
    let first = repo.ok(&["render", &id]);
    assert_eq!(
        first.trim(),
        "**Investigating** – We are aware of an issue affecting checkout and are investigating. We will update every 30 minutes."
    );

    repo.at("2026-11-25T10:20:00Z");
    let out = repo.ok(&[
        "update",
        &id,
        "--impacted",
        "Checkout fails for EU customers",
        "--learned",
        "A config deploy broke the payment pool",
        "--status",
        "identified",
    ]);
    assert!(out.contains("public status update posted"), "{out}");
    assert!(out.contains("**Identified** – Still impacted: Checkout fails for EU customers. What we know: A config deploy broke the payment pool. Next update by 2026-11-25 10:50 UTC."), "{out}");
    let rec = repo.record(&id);
    let u = &rec["updates"][1];
    assert_eq!(
        (
            u["status"].as_str(),
            u["by"].as_str(),
            u["visibility"].as_str()
        ),
        (Some("identified"), Some("Alice Example"), Some("public"))
    );
    assert_eq!(u["impacted"], "Checkout fails for EU customers");
    assert_eq!(u["learned"], "A config deploy broke the payment pool");
    assert_eq!(u["next_update_at"], "2026-11-25T10:50:00Z");
    assert!(u["id"].as_str().unwrap().starts_with("u-"));
    assert_eq!(rec["status"], "identified");
    let kinds: Vec<&str> = rec["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["declared", "update", "status", "update"]);
    assert_eq!(
        repo.git(&["log", "-1", "--format=%s"]).trim(),
        format!("{id}: status update (identified): Checkout fails for EU customers")
    );

    repo.ok(&[
        "update",
        &id,
        "--impacted",
        "x",
        "--learned",
        "y",
        "--next",
        "15m",
    ]);
    assert_eq!(
        repo.record(&id)["updates"][2]["next_update_at"],
        "2026-11-25T10:35:00Z"
    );

    let err = repo.fails(2, &["update", &id, "--impacted", "still down"]);
    assert!(
        err.contains("--learned (what the team has learned)"),
        "{err}"
    );

    repo.at("2026-11-25T10:50:00Z")
        .ok(&["resolve", &id, "--update"]);
    let resolved = repo.ok(&["render", &id]);
    assert_eq!(
        resolved.trim(),
        "**Resolved** – This incident has been resolved as of 2026-11-25 10:50 UTC. We will publish a post-mortem within 5 days."
    );
    assert!(
        repo.record(&id)["updates"][3]
            .get("next_update_at")
            .is_none()
    );
}

#[test]
fn each_channel_has_its_own_shape() {
    let repo = Repo::example("acme", NOW);
    let email = repo.ok(&["render", "api-elevated", "--channel", "email"]);
    assert!(
        email.starts_with("Subject: [Identified] API elevated errors\n\nHello,\n\n"),
        "{email}"
    );
    assert!(
        email.contains("Follow along: https://status.acme.example"),
        "{email}"
    );
    let banner = repo.ok(&["render", "api-elevated", "--channel", "in-app"]);
    assert_eq!(banner.trim_end().lines().count(), 1, "{banner}");
    assert!(
        banner.starts_with("API elevated errors: Still impacted: About one in seven"),
        "{banner}"
    );
    let chat = repo.ok(&["render", "api-elevated", "--channel", "chat"]);
    assert!(
        chat.starts_with("*[SEV2] API elevated errors* — identified\n> "),
        "{chat}"
    );
    let err = repo.fails(1, &["render", "dashboard"]);
    assert!(err.contains("has no status update yet"), "{err}");
}

#[test]
fn repo_templates_override_built_ins_and_errors_name_file_and_line() {
    let repo = Repo::example("acme", NOW);
    repo.write(
        "templates/update-chat.md.j2",
        "CUSTOM {{ incident.title }} / {{ update.status }}\n",
    );
    assert_eq!(
        repo.ok(&["render", "api-elevated", "--channel", "chat"])
            .trim(),
        "CUSTOM API elevated errors / identified"
    );
    let list = repo.ok(&["templates", "list"]);
    assert!(
        list.contains("update-chat.md") && list.contains("templates/update-chat.md.j2"),
        "{list}"
    );
    assert!(
        list.lines()
            .any(|l| l.starts_with("postmortem.md") && l.ends_with("built-in")),
        "{list}"
    );

    repo.write(
        "templates/mine.md.j2",
        "first line\n{{ incident.no_such_field }}\n",
    );
    let err = repo.fails(1, &["render", "api-elevated", "--template", "mine"]);
    assert!(
        err.contains("templates/mine.md.j2") && err.contains("line 2"),
        "{err}"
    );
    assert!(err.contains("undefined"), "{err}");
    let err = repo.fails(1, &["render", "api-elevated", "--template", "nope"]);
    assert!(
        err.contains("unknown template `nope`") && err.contains("postmortem-short.md"),
        "{err}"
    );

    repo.write(
        "templates/sneaky.md.j2",
        "{% include \"../../.incident.yaml\" %}\n",
    );
    let err = repo.fails(1, &["render", "api-elevated", "--template", "sneaky"]);
    assert!(err.contains("sneaky.md.j2"), "{err}");
    assert!(
        !err.contains("organisation"),
        "must not read outside the template folders: {err}"
    );

    let out = repo.ok(&["templates", "export", "postmortem-short"]);
    assert!(out.contains("exported"), "{out}");
    assert!(repo.root.join("templates/postmortem-short.md.j2").is_file());
    assert!(
        repo.ok(&["templates", "export", "postmortem-short"])
            .contains("kept")
    );
}

fn read_json(site: &std::path::Path, file: &str) -> Value {
    serde_json::from_str(&std::fs::read_to_string(site.join(file)).unwrap()).unwrap()
}

fn publish(repo: &Repo, dir: &str) -> std::path::PathBuf {
    repo.ok(&["publish", "--out", dir]);
    repo.root.join(dir)
}

#[test]
fn published_files_have_the_statuspage_shape() {
    let repo = Repo::example("acme", NOW);
    let site = publish(&repo, "site");
    let summary: Value = read_json(&site, "summary.json");
    assert_eq!(summary["page"]["id"], "acme-cloud");
    assert_eq!(summary["page"]["name"], "Acme Cloud Status");
    assert!(summary["page"]["updated_at"].is_string());
    assert_eq!(summary["status"]["indicator"], "major");
    assert_eq!(summary["status"]["description"], "Partial System Outage");
    let components = summary["components"].as_array().unwrap();
    assert_eq!(
        components.len(),
        6,
        "five services and the storefront group"
    );
    assert_eq!(components.iter().filter(|c| c["group"] == true).count(), 1);
    let api = components.iter().find(|c| c["id"] == "api").unwrap();
    assert_eq!(api["status"], "partial_outage");
    for c in components {
        assert!(
            [
                "operational",
                "degraded_performance",
                "partial_outage",
                "major_outage"
            ]
            .contains(&c["status"].as_str().unwrap())
        );
        for key in [
            "id",
            "name",
            "status",
            "created_at",
            "updated_at",
            "position",
            "group_id",
            "only_show_if_degraded",
        ] {
            assert!(c.get(key).is_some(), "component lacks {key}");
        }
    }
    let active = summary["incidents"].as_array().unwrap();
    assert_eq!(active.len(), 1);
    assert_eq!(active[0]["id"], "2026-11-18-api-elevated-errors");
    assert_eq!(active[0]["impact"], "major");
    assert_eq!(summary["scheduled_maintenances"], serde_json::json!([]));

    let all: Value = read_json(&site, "incidents.json");
    let ids: Vec<&str> = all["incidents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        [
            "2026-11-18-api-elevated-errors",
            "2026-11-05-search-latency",
            SEV1
        ],
        "newest first; drills and incidents without public updates are not published"
    );
    for i in all["incidents"].as_array().unwrap() {
        assert!(
            [
                "investigating",
                "identified",
                "monitoring",
                "resolved",
                "postmortem"
            ]
            .contains(&i["status"].as_str().unwrap())
        );
        assert!(["none", "minor", "major", "critical"].contains(&i["impact"].as_str().unwrap()));
        for u in i["incident_updates"].as_array().unwrap() {
            for key in [
                "id",
                "incident_id",
                "status",
                "body",
                "created_at",
                "updated_at",
                "display_at",
            ] {
                assert!(u.get(key).is_some(), "update lacks {key}");
            }
        }
    }
    let status: Value = read_json(&site, "status.json");
    assert_eq!(status["status"], summary["status"]);
    assert_eq!(status["page"], summary["page"]);
    let components: Value = read_json(&site, "components.json");
    assert_eq!(components["components"], summary["components"]);
    let unresolved: Value = read_json(&site, "incidents/unresolved.json");
    assert_eq!(unresolved["incidents"], summary["incidents"]);

    let sev1 = &all["incidents"][2];
    assert_eq!(sev1["impact"], "critical");
    assert_eq!(
        sev1["incident_updates"].as_array().unwrap().len(),
        5,
        "the internal update is not published; the move to monitoring 20 minutes before the next update is"
    );
    assert_eq!(sev1["incident_updates"][0]["status"], "resolved");
}

#[test]
fn index_html_parses_and_feed_atom_is_valid_atom() {
    use quick_xml::events::Event;
    let repo = Repo::example("acme", NOW);
    let site = publish(&repo, "site");
    let html = std::fs::read_to_string(site.join("index.html")).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(
        html.contains("<meta name=\"viewport\""),
        "readable on a phone"
    );
    assert!(!html.contains("<script"), "no scripts needed");
    let mut reader = quick_xml::Reader::from_str(&html);
    let mut depth = 0i32;
    let mut seen_body = false;
    loop {
        match reader.read_event() {
            Ok(Event::Start(e)) => {
                depth += 1;
                seen_body |= e.name().as_ref() == b"body";
            }
            Ok(Event::End(_)) => depth -= 1,
            Ok(Event::Eof) => break,
            Ok(_) => {}
            Err(e) => panic!(
                "index.html does not parse at {}: {e}",
                reader.buffer_position()
            ),
        }
    }
    assert_eq!(depth, 0, "every element is closed");
    assert!(seen_body);

    let atom = std::fs::read_to_string(site.join("feed.atom")).unwrap();
    let mut reader = quick_xml::Reader::from_str(&atom);
    let mut path: Vec<String> = Vec::new();
    let mut feed_children = Vec::new();
    let mut entries = Vec::new();
    let mut entry = Vec::new();
    let mut updated = Vec::new();
    let mut text_of = String::new();
    loop {
        match reader.read_event().expect("feed.atom is well-formed XML") {
            Event::Start(e) => {
                let name = String::from_utf8(e.name().as_ref().to_vec()).unwrap();
                if name == "feed" {
                    let ns = e.try_get_attribute("xmlns").unwrap().unwrap();
                    assert_eq!(ns.value.as_ref(), b"http://www.w3.org/2005/Atom");
                }
                if path.len() == 1 {
                    feed_children.push(name.clone());
                }
                if path.len() == 2 && path[1] == "entry" {
                    entry.push(name.clone());
                }
                path.push(name);
                text_of.clear();
            }
            Event::Text(t) => text_of.push_str(&t.decode().unwrap()),
            Event::End(_) => {
                let name = path.pop().unwrap();
                if name == "updated" && path.last().map(String::as_str) == Some("entry") {
                    updated.push(text_of.clone());
                    chrono::DateTime::parse_from_rfc3339(&text_of).expect("updated is RFC 3339");
                }
                if name == "entry" {
                    entries.push(std::mem::take(&mut entry));
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    for required in ["id", "title", "updated", "author"] {
        assert!(
            feed_children.contains(&required.to_string()),
            "feed lacks {required}"
        );
    }
    assert_eq!(
        entries.len(),
        9,
        "one entry per public update, and per status change no update spoke of"
    );
    for e in &entries {
        for required in ["id", "title", "updated", "content"] {
            assert!(
                e.contains(&required.to_string()),
                "entry lacks {required}: {e:?}"
            );
        }
    }
    let mut sorted = updated.clone();
    sorted.sort_by(|a, b| b.cmp(a));
    assert_eq!(updated, sorted, "newest first");
}

#[test]
fn nothing_internal_reaches_a_published_file() {
    let repo = Repo::example("acme", NOW);
    // Plant a marker in every internal field of the active, published incident.
    let marker = "ZQXJ-INTERNAL";
    repo.ok(&[
        "log",
        "api-elevated",
        &format!("{marker} internal event"),
        "--internal",
    ]);
    repo.ok(&[
        "update",
        "api-elevated",
        "--impacted",
        &format!("{marker} impacted"),
        "--learned",
        &format!("{marker} learned"),
        "--internal",
    ]);
    repo.ok(&[
        "assign",
        "api-elevated",
        "--comms",
        &format!("{marker}-person"),
    ]);
    repo.ok(&[
        "pir",
        "api-elevated",
        "--summary",
        &format!("{marker} draft"),
        "--root-cause",
        &format!("{marker} cause"),
        "--lesson",
        &format!("{marker} lesson"),
    ]);
    repo.ok(&[
        "action",
        "add",
        "api-elevated",
        &format!("{marker} action"),
        "--owner",
        "dan",
        "--due",
        "3d",
    ]);
    let policy = std::fs::read_to_string(repo.root.join(".incident.yaml"))
        .unwrap()
        .replace("alice@acme.example", &format!("{marker}@acme.example"));
    std::fs::write(repo.root.join(".incident.yaml"), policy).unwrap();
    let path = repo.path_of("2026-11-18-api-elevated-errors");
    let text = std::fs::read_to_string(&path).unwrap().replace(
        "summary: About 15% of API requests return 503.",
        &format!("summary: {marker} summary"),
    );
    std::fs::write(&path, text).unwrap();
    repo.ok(&[
        "declare",
        &format!("{marker} drill"),
        "--sev",
        "SEV1",
        "--service",
        "api",
        "--drill",
        "--update",
    ]);
    // The fixture's internal finding and internal update carry the marker too.
    let sev1 = repo.path_of("2026-10-27-checkout-and-payments-failing");
    let text = std::fs::read_to_string(&sev1)
        .unwrap()
        .replace("db-pay-01.internal", &format!("{marker}-host.internal"))
        .replace(
            "rollback verified on two of three regions",
            &format!("{marker} rollback verified"),
        );
    std::fs::write(&sev1, text).unwrap();
    let declared_without_public_update =
        repo.declare(&format!("{marker} quiet incident"), &["--sev", "SEV3"]);
    assert!(!declared_without_public_update.is_empty());

    let site = publish(&repo, "site");
    let mut published = 0;
    for file in PUBLISHED {
        let text = std::fs::read_to_string(site.join(file)).unwrap();
        assert!(!text.contains("ZQXJ"), "{file} leaks an internal field");
        assert!(
            !text.contains("@acme.example"),
            "{file} leaks an e-mail address"
        );
        published += text.len();
    }
    assert!(published > 5000);
}

#[test]
fn publishing_twice_gives_the_same_bytes_and_check_detects_drift() {
    let mut repo = Repo::example("acme", NOW);
    let a = publish(&repo, "a");
    let b = publish(&repo, "b");
    for file in PUBLISHED {
        assert_eq!(
            std::fs::read(a.join(file)).unwrap(),
            std::fs::read(b.join(file)).unwrap(),
            "{file}"
        );
    }
    assert!(
        repo.ok(&["publish", "--out", "a"])
            .contains("up to date; nothing written")
    );
    repo.ok(&["publish", "--out", "a", "--check"]);
    repo.at("2026-11-18T12:05:00Z").ok(&[
        "update",
        "api-elevated",
        "--impacted",
        "fewer errors",
        "--learned",
        "fix deploying",
    ]);
    let err = repo.fails(1, &["publish", "--out", "a", "--check"]);
    assert!(
        err.contains("out of date") && err.contains("would change"),
        "{err}"
    );
    repo.ok(&["publish", "--out", "a"]);
    repo.ok(&["publish", "--out", "a", "--check"]);
}

#[test]
fn the_postmortem_has_every_section_and_placeholders_for_what_is_missing() {
    let repo = Repo::example("acme", NOW);
    let doc = repo.ok(&["postmortem", SEV1]);
    for section in [
        "# Post-mortem: Checkout and payments failing",
        "## Summary",
        "## Impact",
        "## Key times (UTC)",
        "## Root cause",
        "## Trigger",
        "## Five whys",
        "## Contributing factors",
        "## Lessons learned",
        "### What went well",
        "### What went wrong",
        "### Where we got lucky",
        "## Timeline (UTC)",
        "## Status updates sent",
        "## Action items",
    ] {
        assert!(doc.contains(section), "missing {section}");
    }
    assert!(doc.contains("- Duration: 1 h 29 min"), "{doc}");
    assert!(doc.contains("Revenue at risk: EUR 310,000"), "{doc}");
    assert!(
        doc.contains("| 10-27 14:12 | technical liaison | finding (internal) |"),
        "internal events are in, by role: {doc}"
    );
    assert!(
        !doc.contains("Not written yet"),
        "the SEV1 review is complete"
    );

    let draft = repo.ok(&["postmortem", "dashboard"]);
    assert!(draft.contains("_Not written yet: the root cause. Add it with `incident pir 2026-11-11-dashboard-charts-empty --root-cause \"...\"`._"), "{draft}");
    assert!(draft.contains("_No action items yet."), "{draft}");

    let short = repo.ok(&["postmortem", SEV1, "--template", "postmortem-short"]);
    assert!(short.lines().count() < 30, "one page");
    let pd = repo.ok(&["postmortem", SEV1, "--template", "postmortem-pagerduty"]);
    for section in [
        "## Overview",
        "## What happened",
        "## Contributing factors",
        "## Resolution",
        "## Impact",
        "## Responders",
        "## Timeline",
        "## How'd we do?",
        "## Action items",
        "## Messaging",
    ] {
        assert!(pd.contains(section), "pagerduty layout lacks {section}");
    }
}

#[test]
fn pir_fills_the_review_and_postmortem_commit_keeps_it() {
    let repo = Repo::example("acme", NOW);
    repo.ok(&[
        "pir",
        "dashboard",
        "--summary",
        "Charts were empty for 50 minutes.",
        "--root-cause",
        "Rotated credentials were not deployed to the replica.",
        "--why",
        "Why empty? Queries failed.",
        "--why",
        "Why? Credentials expired.",
        "--went-well",
        "Fast diagnosis",
        "--lesson",
        "Automate rotation",
    ]);
    let rec = repo.record("dashboard");
    assert_eq!(
        rec["postmortem"]["root_cause"],
        "Rotated credentials were not deployed to the replica."
    );
    assert_eq!(rec["postmortem"]["whys"].as_array().unwrap().len(), 2);
    let out = repo.ok(&["postmortem", "dashboard", "--commit", "--out", "review.md"]);
    assert!(
        out.contains("committed postmortems/2026-11-11-dashboard-charts-empty.md"),
        "{out}"
    );
    let committed = std::fs::read_to_string(
        repo.root
            .join("postmortems/2026-11-11-dashboard-charts-empty.md"),
    )
    .unwrap();
    assert!(
        committed.contains("1. Why empty? Queries failed.\n2. Why? Credentials expired."),
        "{committed}"
    );
    // The same document, each linking the chart written beside it.
    assert_eq!(
        std::fs::read_to_string(repo.root.join("review.md"))
            .unwrap()
            .replace("(review.svg)", "(2026-11-11-dashboard-charts-empty.svg)"),
        committed
    );
    assert!(repo.root.join("review.svg").exists());
    assert_eq!(
        repo.git(&["show", "--name-only", "--format=%s", "HEAD"])
            .trim(),
        "2026-11-11-dashboard-charts-empty: post-mortem written (postmortem.md)\n\npostmortems/2026-11-11-dashboard-charts-empty.md\npostmortems/2026-11-11-dashboard-charts-empty.svg"
    );
    let err = repo.fails(2, &["pir", "dashboard"]);
    assert!(err.contains("nothing to write"), "{err}");
}

#[test]
fn pir_edit_uses_the_editor_and_keeps_unparseable_text() {
    let repo = Repo::example("acme", NOW);
    let script = repo.home.path().join("editor.sh");
    std::fs::write(
        &script,
        "#!/bin/sh\nprintf 'summary: edited in the editor\\nwhys:\\n- one\\n' > \"$1\"\n",
    )
    .unwrap();
    std::process::Command::new("chmod")
        .arg("+x")
        .arg(&script)
        .status()
        .unwrap();
    // The editor's file, and the text kept after a failed parse, go to TMPDIR: here, not /tmp.
    let tmp = repo.home.path().join("tmp");
    std::fs::create_dir(&tmp).unwrap();
    let (script_s, tmp_s) = (script.to_str().unwrap(), tmp.to_str().unwrap());
    crate::terminal::on_terminal(
        &repo,
        100,
        &[("EDITOR", script_s), ("TMPDIR", tmp_s)],
        &["pir", "dashboard", "--edit"],
    );
    assert_eq!(
        repo.record("dashboard")["postmortem"]["summary"],
        "edited in the editor"
    );

    let broken = repo.home.path().join("broken.sh");
    std::fs::write(
        &broken,
        "#!/bin/sh\nprintf 'summary: [unclosed\\n' > \"$1\"\n",
    )
    .unwrap();
    std::process::Command::new("chmod")
        .arg("+x")
        .arg(&broken)
        .status()
        .unwrap();
    let (ok, err) = crate::terminal::on_terminal_any(
        &repo,
        100,
        &[("EDITOR", broken.to_str().unwrap()), ("TMPDIR", tmp_s)],
        &["pir", "dashboard", "--edit"],
    );
    assert!(!ok && err.contains("your text is kept in"), "{err}");
    // One private folder holding the kept text, and nothing else.
    let kept: Vec<_> = std::fs::read_dir(&tmp).unwrap().flatten().collect();
    assert_eq!(kept.len(), 1, "only the kept text is left: {kept:?}");
    let file = kept[0].path().join("review.yaml");
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(text.contains("summary: [unclosed"), "{text}");
    assert!(err.contains(&file.display().to_string()), "{err}");
    assert_eq!(
        repo.record("dashboard")["postmortem"]["summary"],
        "edited in the editor",
        "nothing changed"
    );
}

#[test]
fn a_resolved_incident_takes_no_update_unless_reopened() {
    let repo = Repo::new();
    let id = repo.declare("Checkout down", &["--commander", "alice"]);
    repo.ok(&["resolve", &id, "--update"]);
    let commits = repo.commit_count();
    let err = repo.fails(
        1,
        &[
            "update",
            &id,
            "--impacted",
            "nothing",
            "--learned",
            "all good",
        ],
    );
    assert!(
        err.contains("is resolved") && err.contains("--reopen"),
        "{err}"
    );
    assert_eq!(repo.commit_count(), commits);
    repo.ok(&[
        "update",
        &id,
        "--reopen",
        "--impacted",
        "errors are back",
        "--learned",
        "the fix did not hold",
    ]);
    let record = repo.record(&id);
    assert_eq!(record["status"], "investigating");
    assert!(record["resolved_at"].is_null());
}

#[test]
fn the_public_postmortem_is_customer_safe_and_published_once_released() {
    let repo = Repo::example("acme", "2026-11-18T12:00:00Z");
    let id = "2026-10-27-checkout-and-payments-failing";
    let public = repo.ok(&["postmortem", id, "--public"]);
    for secret in [
        "INTERNAL-HOSTNAME",
        "INTERNAL-UPDATE-MARKER",
        "Alice",
        "alice",
        "Bob Osei",
        "carol",
        "incident commander",
        "EUR 310,000",
        "briefed the executive team",
    ] {
        assert!(
            !public.contains(secret),
            "`{secret}` in the public post-mortem:\n{public}"
        );
    }
    assert!(
        public.contains("## Root cause") && public.contains("What we are changing"),
        "{public}"
    );
    assert!(
        public.contains("We will publish a post-mortem within 5 days."),
        "customers' words: {public}"
    );

    // Not on the status page until released; then in Statuspage's postmortem_body.
    let site = repo.home.path().join("site");
    repo.ok(&["publish", "--out", site.to_str().unwrap()]);
    let incidents: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(site.join("incidents.json")).unwrap())
            .unwrap();
    let find = |v: &serde_json::Value| {
        v["incidents"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["id"] == id)
            .unwrap()
            .clone()
    };
    assert!(find(&incidents)["postmortem_body"].is_null());
    repo.ok(&["pir", id, "--publish"]);
    repo.ok(&["publish", "--out", site.to_str().unwrap()]);
    let incidents: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(site.join("incidents.json")).unwrap())
            .unwrap();
    let published = find(&incidents);
    assert_eq!(
        published["postmortem_body"].as_str().unwrap(),
        without_diagram(public.trim())
    );
    assert_eq!(published["postmortem_published_at"], "2026-11-18T12:00:00Z");
    // The incident's page shows it as a document under the page's own headings, not as Markdown
    // source; an HTML5 parser reads the page.
    let page = std::fs::read_to_string(site.join(format!("incidents/{id}.html"))).unwrap();
    assert!(
        page.contains("<h2>Post-incident review</h2>")
            && page.contains("<h4>Root cause</h4>")
            && page.contains("<h4>What we are changing</h4>")
            && page.contains("<li>"),
        "{page}"
    );
    assert!(!page.contains("## Root cause"), "{page}");
    crate::statuspage::site_check(&site);
    repo.ok(&["pir", id, "--unpublish"]);
    repo.ok(&["publish", "--out", site.to_str().unwrap()]);
    let incidents: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(site.join("incidents.json")).unwrap())
            .unwrap();
    assert!(find(&incidents)["postmortem_body"].is_null());
}

/// Every post-mortem layout over every example incident (and a record full of Markdown hazards)
/// passes markdownlint's default rules other than line length, and CommonMark and Python-Markdown
/// read the same headings, list items and table rows (tests/tools/markdown_check.py).
#[test]
fn postmortems_pass_markdownlint_and_read_the_same_in_commonmark_and_python_markdown() {
    let repo = Repo::example("acme", "2026-11-18T12:00:00Z");
    let hostile = repo.declare(
        "Checkout <b>down</b> | # not a heading",
        &["--sev", "SEV2", "--commander", "alice", "--update"],
    );
    repo.ok(&[
        "pir",
        &hostile,
        "--summary",
        "# Heading?\n- a list?\n[link](javascript:alert(1))",
        "--why",
        "1. numbered?",
        "--lesson",
        "| pipe |",
    ]);
    let dir = repo.home.path().join("rendered");
    std::fs::create_dir_all(&dir).unwrap();
    let mut files = Vec::new();
    let ids = repo.ids_of_year("2026");
    for id in &ids {
        for template in [
            "postmortem",
            "postmortem-short",
            "postmortem-pagerduty",
            "postmortem-public",
        ] {
            let path = dir.join(format!("{id}-{template}.md"));
            repo.ok(&[
                "postmortem",
                id,
                "--template",
                template,
                "--out",
                path.to_str().unwrap(),
            ]);
            files.push(path);
        }
    }
    let out = std::process::Command::new("python3")
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/tools/markdown_check.py"
        ))
        .args(&files)
        .output()
        .expect(
            "python3 with pymarkdownlnt, markdown and markdown-it-py (.ci/setup installs them)",
        );
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(files.len(), ids.len() * 4);
}

#[test]
fn statuspage_clients_find_the_api_under_api_v2() {
    let repo = Repo::example("acme", "2026-11-18T12:00:00Z");
    let site = repo.home.path().join("site");
    repo.ok(&["publish", "--out", site.to_str().unwrap()]);
    for endpoint in [
        "summary.json",
        "incidents.json",
        "status.json",
        "components.json",
        "incidents/unresolved.json",
    ] {
        let flat = std::fs::read_to_string(site.join(endpoint)).unwrap();
        let v2 = std::fs::read_to_string(site.join("api/v2").join(endpoint)).unwrap();
        assert_eq!(flat, v2, "{endpoint}");
        let json: serde_json::Value = serde_json::from_str(&v2).unwrap();
        assert!(json["page"]["id"].is_string(), "{endpoint}");
    }
}

/// WCAG 2 contrast ratio of two `#rrggbb` colours.
fn contrast(a: &str, b: &str) -> f64 {
    let luminance = |hex: &str| {
        let channel = |i: usize| {
            let c = f64::from(u8::from_str_radix(&hex[i..i + 2], 16).unwrap()) / 255.0;
            if c <= 0.03928 {
                c / 12.92
            } else {
                ((c + 0.055) / 1.055).powf(2.4)
            }
        };
        0.2126 * channel(1) + 0.7152 * channel(3) + 0.0722 * channel(5)
    };
    let (la, lb) = (luminance(a), luminance(b));
    (la.max(lb) + 0.05) / (la.min(lb) + 0.05)
}

/// Every text colour of the published page against the background it sits on meets WCAG AA (4.5:1),
/// and the uptime bars (graphics) stand out from their card by 3:1 (WCAG 1.4.11).
#[test]
fn uptime_bars_and_their_key_stand_out_3_to_1_from_what_they_are_drawn_on() {
    // Text contrast is measured as rendered, by axe-core in Chromium
    // (record::every_published_page_meets_wcag_aa_in_a_real_browser_at_1280_and_390_px); axe
    // does not judge graphics, so the bars (on a card) and the key's swatches (on the page) are
    // held to WCAG's 3:1 for non-text contrast here.
    let repo = Repo::example("acme", "2026-11-18T12:00:00Z");
    let site = repo.home.path().join("site");
    repo.ok(&["publish", "--out", site.to_str().unwrap()]);
    let html = std::fs::read_to_string(site.join("index.html")).unwrap();
    assert!(
        html.contains("<span class=\"swatch partial_outage\">"),
        "the key is drawn"
    );
    let css = std::fs::read_to_string(site.join("style.css")).unwrap();
    let rule = |selector: &str, property: &str| -> String {
        let start = css
            .find(&format!("\n{selector} {{"))
            .or_else(|| css.find(&format!(" {selector} {{")))
            .or_else(|| css.find(&format!(" {selector}, ")))
            .or_else(|| css.find(&format!("\n{selector}, ")))
            .or_else(|| css.starts_with(&format!("{selector} {{")).then_some(0))
            .unwrap_or_else(|| panic!("no {selector}"));
        let body = &css[start..start + css[start..].find('}').unwrap()];
        let value = body
            .split(&format!("{property}:"))
            .nth(1)
            .unwrap_or_else(|| panic!("{selector} has no {property}"))
            .trim_start();
        value[..7].to_string()
    };
    let page = rule("body", "background");
    let card = "#ffffff".to_string();
    for status in [
        "none",
        "operational",
        "degraded_performance",
        "partial_outage",
        "major_outage",
        "under_maintenance",
    ] {
        for (selector, background) in [
            (format!("ol.bars li.{status}"), &card),
            (format!(".swatch.{status}"), &page),
        ] {
            let colour = rule(&selector, "background");
            let ratio = contrast(&colour, background);
            assert!(
                ratio >= 3.0,
                "{selector}: {colour} is {ratio:.2}:1 on {background}"
            );
        }
    }
}

/// `history.rss` is well-formed RSS 2.0 with one item per Atom entry, unique GUIDs, RFC 822 dates,
/// and record text escaped (read back by an XML parser).
#[test]
fn the_rss_feed_matches_the_atom_feed() {
    let repo = Repo::example("acme", "2026-11-18T12:00:00Z");
    repo.ok(&[
        "update",
        "api-elevated",
        "--impacted",
        "<b>Errors</b> & retries",
        "--learned",
        "x < y",
    ]);
    let site = repo.home.path().join("site");
    repo.ok(&["publish", "--out", site.to_str().unwrap()]);
    let rss = std::fs::read_to_string(site.join("history.rss")).unwrap();
    let atom = std::fs::read_to_string(site.join("feed.atom")).unwrap();
    let mut reader = quick_xml::Reader::from_str(&rss);
    let (mut items, mut guids, mut dates, mut texts) = (0, Vec::new(), Vec::new(), String::new());
    let mut current = String::new();
    loop {
        match reader.read_event().expect("history.rss is well-formed XML") {
            quick_xml::events::Event::Start(e) => {
                current = String::from_utf8_lossy(e.name().as_ref()).into_owned();
                if current == "item" {
                    items += 1;
                }
            }
            quick_xml::events::Event::Text(t) => {
                let text = t.xml_content().unwrap().into_owned();
                match current.as_str() {
                    "guid" => guids.push(text),
                    "pubDate" => dates.push(text),
                    "description" => texts.push_str(&text),
                    _ => {}
                }
            }
            // quick-xml reports `&lt;` and friends apart from the text around them.
            quick_xml::events::Event::GeneralRef(r) if current == "description" => {
                let name = r.decode().unwrap();
                texts.push_str(quick_xml::escape::resolve_predefined_entity(&name).unwrap());
            }
            quick_xml::events::Event::End(_) => current.clear(),
            quick_xml::events::Event::Eof => break,
            _ => {}
        }
    }
    assert_eq!(
        items,
        atom.matches("<entry>").count(),
        "one item per Atom entry"
    );
    let unique: std::collections::BTreeSet<&String> = guids.iter().collect();
    assert_eq!(unique.len(), items);
    for d in &dates {
        chrono::DateTime::parse_from_rfc2822(d).unwrap_or_else(|e| panic!("`{d}`: {e}"));
    }
    assert!(
        texts.contains("<b>Errors</b> & retries") && texts.contains("x < y"),
        "{texts}"
    );
    assert!(rss.contains("&lt;b&gt;"), "escaped in the file");
}

/// A Markdown post-mortem without its Mermaid timeline: the status page's body carries no diagram
/// (its readers get the page's own, and Statuspage clients take the body as text).
fn without_diagram(text: &str) -> String {
    match (text.find("```mermaid\n"), text.find("\n```\n")) {
        (Some(start), Some(end)) if end > start => {
            format!("{}{}", &text[..start], &text[end + "\n```\n\n".len()..])
        }
        _ => text.to_string(),
    }
}
