//! The status page as its readers see it: component statuses through an incident, maintenance
//! windows, uptime to the minute, the Statuspage API files against the JSON Schema, and the pages and
//! feeds read back by an HTML5 parser and an XML parser.

use crate::support::{Repo, walk};
use serde_json::Value;
use std::path::{Path, PathBuf};

fn publish(repo: &Repo, dir: &str) -> PathBuf {
    repo.ok(&["publish", "--out", dir]);
    repo.root.join(dir)
}

fn json(site: &Path, file: &str) -> Value {
    serde_json::from_str(&std::fs::read_to_string(site.join(file)).unwrap()).unwrap()
}

fn component(site: &Path, id: &str) -> String {
    let summary = json(site, "api/v2/summary.json");
    summary["components"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == id)
        .unwrap_or_else(|| panic!("no component {id}"))["status"]
        .as_str()
        .unwrap()
        .to_string()
}

fn indicator(site: &Path) -> (String, String) {
    let s = json(site, "api/v2/status.json");
    (
        s["status"]["indicator"].as_str().unwrap().into(),
        s["status"]["description"].as_str().unwrap().into(),
    )
}

/// Runs the independent readers over a published site; returns what they counted.
pub fn site_check(site: &Path) -> String {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = std::process::Command::new("python3")
        .arg(root.join("tests/tools/site_check.py"))
        .arg(site)
        .arg(root.join("docs/schema/statuspage-v2.schema.json"))
        .output()
        .expect("python3 runs (bash .ci/setup installs jsonschema and html5lib)");
    assert!(
        out.status.success(),
        "site_check failed:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn component_statuses_follow_the_incident_and_decide_the_indicator() {
    let mut repo = Repo::new();
    repo.at("2026-11-25T10:00:00Z");
    let id = repo.declare(
        "Checkout errors",
        &[
            "--sev",
            "SEV2",
            "--service",
            "checkout",
            "--component",
            "search=degraded_performance",
            "--update",
        ],
    );
    let site = publish(&repo, "site");
    assert_eq!(
        component(&site, "checkout"),
        "partial_outage",
        "SEV2 default"
    );
    assert_eq!(component(&site, "search"), "degraded_performance");
    assert_eq!(component(&site, "payments"), "operational");
    assert_eq!(
        indicator(&site),
        ("major".into(), "Partial System Outage".into())
    );

    repo.at("2026-11-25T10:20:00Z").ok(&[
        "update",
        &id,
        "--impacted",
        "search is slow",
        "--learned",
        "checkout recovered after the rollback",
        "--component",
        "checkout=operational",
    ]);
    let site = publish(&repo, "site");
    assert_eq!(component(&site, "checkout"), "operational");
    assert_eq!(
        indicator(&site),
        ("minor".into(), "Minor Service Outage".into()),
        "one degraded service does not paint the page as an outage"
    );
    let record = repo.record(&id);
    let events: Vec<&str> = record["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "component")
        .map(|e| e["text"].as_str().unwrap())
        .collect();
    assert_eq!(
        events,
        [
            "component search: partial_outage → degraded_performance",
            "component checkout: partial_outage → operational"
        ]
    );
    let subject = repo.git(&["log", "-1", "--format=%s"]);
    assert!(subject.contains("[checkout operational]"), "{subject}");

    // An escalation moves the services that follow the severity, not the ones set by hand.
    repo.at("2026-11-25T10:30:00Z")
        .ok(&["severity", &id, "SEV1", "--reason", "more errors"]);
    let site = publish(&repo, "site");
    assert_eq!(component(&site, "search"), "degraded_performance");
    assert_eq!(component(&site, "checkout"), "operational");

    let incidents = json(&site, "api/v2/incidents.json");
    let updates = incidents["incidents"][0]["incident_updates"]
        .as_array()
        .unwrap();
    let newest = &updates[0]["affected_components"];
    assert_eq!(
        newest,
        &serde_json::json!([{
            "code": "checkout", "name": "checkout",
            "old_status": "partial_outage", "new_status": "operational"
        }])
    );
    let first = &updates[1]["affected_components"];
    assert_eq!(first.as_array().unwrap().len(), 2, "{first}");
    assert!(
        incidents["incidents"][0]["started_at"]
            .as_str()
            .unwrap()
            .starts_with("2026-11-25T10:00")
    );

    repo.at("2026-11-25T11:00:00Z").ok(&["resolve", &id]);
    let site = publish(&repo, "site");
    for c in ["checkout", "payments", "search"] {
        assert_eq!(component(&site, c), "operational");
    }
    assert_eq!(indicator(&site).0, "none");
    let shown = repo.ok(&["show", &id]);
    assert!(
        shown.contains("checkout  recovered 2026-11-25 10:20"),
        "per-component recovery: {shown}"
    );
    assert!(
        shown.contains("search    recovered 2026-11-25 11:00"),
        "{shown}"
    );

    let err = repo.fails(2, &["update", &id, "--component", "search"]);
    assert!(err.contains("SERVICE=STATUS"), "{err}");
    let err = repo.fails(2, &["update", &id, "--component", "search=down"]);
    assert!(err.contains("major_outage"), "{err}");
    let err = repo.fails(
        2,
        &[
            "update",
            &id,
            "--reopen",
            "--impacted",
            "x",
            "--learned",
            "y",
            "--component",
            "nope=major_outage",
        ],
    );
    assert!(err.contains("unknown service `nope`"), "{err}");
    site_check(&site);
}

#[test]
fn maintenance_moves_through_its_lifecycle_on_the_page_and_in_git() {
    let mut repo = Repo::new();
    let before = repo.at("2026-11-26T03:30:00Z").ok(&["--json", "stats"]);
    repo.at("2026-11-25T10:00:00Z");
    let out = repo.ok(&[
        "maintenance",
        "schedule",
        "Database upgrade",
        "--service",
        "payments",
        "--from",
        "2026-11-26T02:00:00Z",
        "--until",
        "2h",
        "--notify-before",
        "24h",
    ]);
    assert!(
        out.contains("2026-11-26-database-upgrade: scheduled"),
        "{out}"
    );
    let file = repo
        .root
        .join("maintenance/2026/2026-11-26-database-upgrade.yaml");
    let yaml = std::fs::read_to_string(&file).unwrap();
    assert!(
        yaml.contains("scheduled_until: 2026-11-26T04:00:00Z"),
        "{yaml}"
    );
    assert!(yaml.contains("notify_before: 1d"), "{yaml}");

    let site = publish(&repo, "site");
    let upcoming = json(&site, "api/v2/scheduled-maintenances/upcoming.json");
    let m = &upcoming["scheduled_maintenances"][0];
    assert_eq!(m["status"], "scheduled");
    assert_eq!(m["impact"], "maintenance");
    assert_eq!(m["scheduled_for"], "2026-11-26T02:00:00Z");
    assert_eq!(m["scheduled_remind_prior"], true);
    assert_eq!(
        json(&site, "api/v2/scheduled-maintenances/active.json")["scheduled_maintenances"],
        serde_json::json!([])
    );
    assert_eq!(
        json(&site, "api/v2/summary.json")["scheduled_maintenances"][0]["id"],
        "2026-11-26-database-upgrade"
    );
    assert_eq!(component(&site, "payments"), "operational");
    let index = std::fs::read_to_string(site.join("index.html")).unwrap();
    assert!(
        index.contains("Scheduled maintenance"),
        "upcoming on the page"
    );

    repo.at("2026-11-26T02:01:00Z")
        .ok(&["maintenance", "start", "database"]);
    let site = publish(&repo, "site");
    assert_eq!(component(&site, "payments"), "under_maintenance");
    assert_eq!(
        indicator(&site),
        ("maintenance".into(), "Service Under Maintenance".into())
    );
    let active = json(&site, "api/v2/scheduled-maintenances/active.json");
    assert_eq!(active["scheduled_maintenances"][0]["status"], "in_progress");
    assert_eq!(
        active["scheduled_maintenances"][0]["incident_updates"][0]["affected_components"][0]["new_status"],
        "under_maintenance"
    );

    repo.at("2026-11-26T03:00:00Z").ok(&[
        "maintenance",
        "update",
        "database",
        "--message",
        "Verifying replication",
        "--status",
        "verifying",
    ]);
    let err = repo.fails(1, &["maintenance", "start", "database"]);
    assert!(err.contains("cannot go back to in_progress"), "{err}");
    repo.at("2026-11-26T03:30:00Z")
        .ok(&["maintenance", "complete", "database"]);
    let err = repo.fails(1, &["maintenance", "complete", "database"]);
    assert!(err.contains("is completed"), "{err}");

    let site = publish(&repo, "site");
    assert_eq!(component(&site, "payments"), "operational");
    assert_eq!(indicator(&site).0, "none");
    let all = json(&site, "api/v2/scheduled-maintenances.json");
    let m = &all["scheduled_maintenances"][0];
    assert_eq!(m["status"], "completed");
    assert_eq!(m["resolved_at"], "2026-11-26T03:30:00Z");
    assert_eq!(m["started_at"], "2026-11-26T02:01:00Z");
    assert_eq!(m["incident_updates"].as_array().unwrap().len(), 4);
    let feed = std::fs::read_to_string(site.join("feed.atom")).unwrap();
    assert_eq!(feed.matches("Database upgrade: ").count(), 4, "{feed}");
    let page =
        std::fs::read_to_string(site.join("maintenance/2026-11-26-database-upgrade.html")).unwrap();
    assert!(page.contains("Verifying replication"));

    // Maintenance is counted apart in uptime, and never in the incident metrics.
    let uptime = json(&site, "uptime.json");
    let payments = uptime["components"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["component"] == "payments")
        .unwrap();
    assert_eq!(payments["minutes"]["under_maintenance"], 89);
    assert_eq!(payments["percent"], 100.0);
    assert_eq!(
        repo.ok(&["--json", "stats"]),
        before,
        "stats ignore maintenance"
    );

    let log = repo.git(&["log", "--format=%s%n%b", "--", "maintenance"]);
    assert_eq!(
        log.matches("Maintenance: 2026-11-26-database-upgrade")
            .count(),
        4
    );
    assert!(!log.contains("Incident:"), "{log}");
    assert!(log.contains("verifying: Verifying replication"), "{log}");

    let err = repo.fails(
        2,
        &[
            "maintenance",
            "schedule",
            "X",
            "--service",
            "payments",
            "--from",
            "someday",
            "--until",
            "1h",
        ],
    );
    assert!(err.contains("--from") && err.contains("in 2h"), "{err}");
    let err = repo.fails(
        2,
        &[
            "maintenance",
            "schedule",
            "X",
            "--service",
            "payments",
            "--from",
            "in 2h",
            "--until",
            "in 1h",
        ],
    );
    assert!(err.contains("must be after"), "{err}");
    site_check(&site);
}

/// Windows with known lengths, across midnight in the page's time zone, overlapping, and a
/// maintenance window: every figure is checked to the minute.
#[test]
fn uptime_is_exact_to_the_minute() {
    let mut repo = Repo::new();
    let config = std::fs::read_to_string(repo.root.join(".incident.yaml")).unwrap();
    let config = config
        .replace(
            "status_page: {}",
            "status_page:\n  time_zone: Europe/Berlin",
        )
        .replace("start_date: 2026-11-25", "start_date: 2026-11-20");
    repo.write(".incident.yaml", &config);
    repo.git(&["commit", "-qam", "page in Berlin time"]);

    // Nov 21, 22:30–23:30 UTC = 23:30–00:30 Berlin: 30 min on Nov 21 and 30 on Nov 22 (SEV1: major).
    repo.at("2026-11-21T23:30:00Z");
    let a = repo.declare(
        "Checkout down",
        &[
            "--sev",
            "SEV1",
            "--commander",
            "alice",
            "--started-at",
            "2026-11-21T22:30:00Z",
            "--update",
        ],
    );
    repo.ok(&["resolve", &a]);
    // Nov 23, 09:00–10:00 UTC partial outage (SEV2) on checkout, overlapped 09:30–09:45 by a SEV1.
    repo.at("2026-11-23T10:00:00Z");
    let b = repo.declare(
        "Slow checkout",
        &[
            "--sev",
            "SEV2",
            "--commander",
            "alice",
            "--detected-at",
            "2026-11-23T09:00:00Z",
            "--update",
        ],
    );
    repo.ok(&["resolve", &b]);
    repo.at("2026-11-23T09:45:00Z");
    let c = repo.declare(
        "Checkout errors",
        &[
            "--sev",
            "SEV1",
            "--commander",
            "alice",
            "--detected-at",
            "2026-11-23T09:30:00Z",
            "--update",
        ],
    );
    repo.ok(&["resolve", &c]);
    // An internal-only incident is not on the page and does not count.
    repo.at("2026-11-24T10:00:00Z");
    let hidden = repo.declare(
        "Quiet",
        &[
            "--sev",
            "SEV1",
            "--commander",
            "alice",
            "--started-at",
            "2026-11-24T08:00:00Z",
        ],
    );
    repo.ok(&["resolve", &hidden]);

    repo.at("2026-11-25T12:00:00Z");
    let site = publish(&repo, "site");
    let uptime = json(&site, "uptime.json");
    let checkout = uptime["components"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["component"] == "checkout")
        .unwrap()
        .clone();
    let day = |date: &str| -> Value {
        checkout["days"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["date"] == date)
            .unwrap_or_else(|| panic!("no {date}"))
            .clone()
    };
    assert_eq!(day("2026-11-19")["tracked"], false, "before start_date");
    assert_eq!(day("2026-11-21")["minutes"]["major_outage"], 30);
    assert_eq!(day("2026-11-22")["minutes"]["major_outage"], 30);
    assert_eq!(day("2026-11-22")["worst"], "major_outage");
    assert_eq!(day("2026-11-23")["minutes"]["major_outage"], 15);
    assert_eq!(day("2026-11-23")["minutes"]["partial_outage"], 45);
    assert_eq!(day("2026-11-24")["worst"], "operational");
    assert_eq!(checkout["minutes"]["major_outage"], 75);
    assert_eq!(checkout["minutes"]["partial_outage"], 45);
    // Tracked: Nov 20 00:00 Berlin (19:23:00 UTC) to Nov 25 12:00 UTC = 5 d 13 h = 7,980 min.
    // Downtime 75 + 0.3 × 45 = 88.5 min → 98.891...% → 98.89.
    assert_eq!(checkout["percent"], 98.89);
    let index = std::fs::read_to_string(site.join("index.html")).unwrap();
    assert!(index.contains("98.89 % uptime"), "the page shows it");
    assert!(
        index.contains("title=\"Nov 23, 2026: 15 min major outage, 45 min partial outage\""),
        "the bar of Nov 23 says what happened"
    );
    assert_eq!(
        uptime["components"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["component"] == "payments")
            .unwrap()["percent"],
        100.0
    );
}

/// The example repo with component changes and maintenance, published: every JSON file valid
/// against the schema, every page and feed parsed, twice byte-identical, and nothing internal.
#[test]
fn the_whole_site_reads_back_and_is_stable() {
    let mut repo = Repo::example("acme", "2026-11-18T12:00:00Z");
    repo.ok(&[
        "update",
        "api-elevated",
        "--impacted",
        "fewer errors",
        "--learned",
        "the limiter is being rolled back",
        "--component",
        "api=degraded_performance",
    ]);
    repo.ok(&[
        "maintenance",
        "schedule",
        "Search index rebuild",
        "--service",
        "search",
        "--from",
        "2026-11-20T01:00:00Z",
        "--until",
        "3h",
    ]);
    repo.ok(&[
        "maintenance",
        "schedule",
        "Payments failover drill",
        "--service",
        "payments",
        "--from",
        "2026-11-18T13:00:00Z",
        "--until",
        "1h",
    ]);
    repo.at("2026-11-18T13:00:00Z")
        .ok(&["maintenance", "start", "payments-failover"]);
    let a = publish(&repo, "a");
    let b = publish(&repo, "b");
    let files = walk(&a);
    assert!(files.len() >= 30, "{files:?}");
    for f in &files {
        assert_eq!(
            std::fs::read(a.join(f)).unwrap(),
            std::fs::read(b.join(f)).unwrap(),
            "{f} differs between two runs"
        );
        let text = std::fs::read_to_string(a.join(f)).unwrap();
        for canary in ["@acme.example", "Alice Martin", "carol", "internal"] {
            assert!(!text.contains(canary), "{f} contains {canary:?}");
        }
        if f.ends_with(".json") {
            for template_only in ["\"page_path\"", "\"duration\""] {
                assert!(!text.contains(template_only), "{f} has {template_only}");
            }
        }
    }
    for expected in [
        "incidents/2026-11-18-api-elevated-errors.html",
        "maintenance/2026-11-18-payments-failover-drill.html",
        "components/api.atom",
        "history.html",
        "history.atom",
        "history.rss",
        "api/v2/scheduled-maintenances/upcoming.json",
    ] {
        assert!(files.iter().any(|f| f == expected), "{expected} missing");
    }
    let counts = site_check(&a);
    assert!(counts.contains("api files valid: 8"), "{counts}");
    let summary = json(&a, "api/v2/summary.json");
    let storefront = summary["components"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "storefront")
        .unwrap();
    assert_eq!(storefront["group"], true);
    assert_eq!(
        storefront["components"],
        serde_json::json!(["checkout", "payments", "search"])
    );
    assert_eq!(component(&a, "payments"), "under_maintenance");
    assert_eq!(component(&a, "api"), "degraded_performance");
    assert_eq!(
        indicator(&a),
        ("minor".into(), "Minor Service Outage".into())
    );
    let shortlink = summary["incidents"][0]["shortlink"].as_str().unwrap();
    assert_eq!(
        shortlink,
        "https://status.acme.example/incidents/2026-11-18-api-elevated-errors.html"
    );
    let feed = std::fs::read_to_string(a.join("components/api.atom")).unwrap();
    assert!(feed.contains("API elevated errors"), "{feed}");
    assert!(
        !feed.contains("Search latency"),
        "only api's incidents: {feed}"
    );
    let history = std::fs::read_to_string(a.join("history.html")).unwrap();
    assert!(history.contains("No incidents reported."));
    assert!(history.contains("<time datetime=\"2026-11-05\">Nov 5, 2026</time>"));
    assert!(history.contains("lasted "), "durations shown");
    let index = std::fs::read_to_string(a.join("index.html")).unwrap();
    assert!(!index.contains("<script"), "no JavaScript");
    assert!(index.contains("CET"), "times in the page's zone");
    let mode = std::fs::metadata(a.join("incidents/2026-11-18-api-elevated-errors.html"))
        .unwrap()
        .permissions();
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(mode.mode() & 0o777, 0o644, "readable by the web server");
}

/// The CI recipes deploy as their platforms require: GitHub's deploy-pages job names the
/// `github-pages` environment, GitLab caches only paths inside the project.
#[test]
fn the_ci_recipes_deploy() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/ci");
    let read = |f: &str| -> serde_yaml::Value {
        serde_yaml::from_str(&std::fs::read_to_string(dir.join(f)).unwrap()).unwrap()
    };
    let gh = read("github-actions.yml");
    let job = &gh["jobs"]["publish"];
    assert_eq!(job["environment"]["name"], "github-pages");
    let steps = job["steps"].as_sequence().unwrap();
    let deploy = steps
        .iter()
        .find(|s| {
            s["uses"]
                .as_str()
                .is_some_and(|u| u.starts_with("actions/deploy-pages"))
        })
        .unwrap();
    assert_eq!(deploy["id"], "deployment");
    assert!(
        job["environment"]["url"]
            .as_str()
            .unwrap()
            .contains("steps.deployment.outputs.page_url")
    );
    let runs: Vec<&str> = steps.iter().filter_map(|s| s["run"].as_str()).collect();
    assert!(runs.contains(&"incident check"));
    assert!(runs.contains(&"incident publish --out public"));

    let gl = read("gitlab-ci.yml");
    for path in gl[".incident"]["cache"]["paths"].as_sequence().unwrap() {
        let path = path.as_str().unwrap();
        assert!(
            !path.starts_with('/') && !path.contains(".."),
            "GitLab caches only paths inside the project: {path}"
        );
    }
    assert_eq!(gl["variables"]["CARGO_HOME"], "$CI_PROJECT_DIR/.cargo");
    let pages: Vec<&str> = gl["pages"]["script"]
        .as_sequence()
        .unwrap()
        .iter()
        .filter_map(|s| s.as_str())
        .collect();
    assert_eq!(pages, ["incident check", "incident publish --out public"]);
    assert_eq!(gl["pages"]["artifacts"]["paths"][0], "public");
}

/// `check` reads maintenance windows too: a forgotten window is a warning, a broken or hand-edited
/// one an error naming the file.
#[test]
fn check_reports_forgotten_and_broken_maintenance() {
    let mut repo = Repo::new();
    repo.ok(&[
        "maintenance",
        "schedule",
        "Cache flush",
        "--service",
        "search",
        "--from",
        "2026-11-25T11:00:00Z",
        "--until",
        "30m",
    ]);
    let out = repo.at("2026-11-25T12:30:00Z").ok(&["check"]);
    assert!(
        out.contains("still scheduled an hour after its start")
            && out.contains("maintenance/2026/2026-11-25-cache-flush.yaml")
            && out.contains("and 1 maintenance window(s)"),
        "{out}"
    );
    let file = "maintenance/2026/2026-11-25-cache-flush.yaml";
    let text = std::fs::read_to_string(repo.root.join(file)).unwrap();
    repo.write(
        file,
        &text.replace("status: scheduled", "status: completed"),
    );
    let out = repo.run(&["check"]);
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("does not match started_at/completed_at"),
        "{stdout}"
    );
    repo.write(file, "version: 1\nid: [oops\n");
    let out = repo.run(&["check"]);
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains(file), "{stdout}");
    let err = repo.fails(1, &["publish", "--out", "site"]);
    assert!(
        err.contains("maintenance record is broken") && err.contains(file),
        "{err}"
    );
}

/// The published `status.md`, README.md and every page of docs/ pass markdownlint (other than line
/// length) and read the same in CommonMark and Python-Markdown.
#[test]
fn the_markdown_people_read_is_clean() {
    let repo = Repo::example("acme", "2026-11-18T12:00:00Z");
    let site = publish(&repo, "site");
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = vec![site.join("status.md"), root.join("README.md")];
    for e in std::fs::read_dir(root.join("docs")).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_some_and(|x| x == "md") {
            files.push(p);
        }
    }
    let out = std::process::Command::new("python3")
        .arg(root.join("tests/tools/markdown_check.py"))
        .args(&files)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The page of an incident that aged out of `--days` is removed on the next publish (and named by
/// `--check`); a file `publish` did not write is never touched.
#[test]
fn pages_that_aged_out_are_removed_and_nothing_else() {
    let repo = Repo::example("acme", "2026-11-18T12:00:00Z");
    let site = publish(&repo, "site");
    let old = site.join("incidents/2026-10-27-checkout-and-payments-failing.html");
    assert!(old.is_file());
    std::fs::write(site.join("CNAME"), "status.acme.example\n").unwrap();
    std::fs::write(site.join("incidents/keep-me.html"), "mine").unwrap();

    let err = repo.fails(1, &["publish", "--out", "site", "--days", "10", "--check"]);
    assert!(err.contains("out of date"), "{err}");
    assert!(old.is_file(), "--check removes nothing");
    let out = repo.ok(&["--json", "publish", "--out", "site", "--days", "10"]);
    let report: serde_json::Value = serde_json::from_str(&out).unwrap();
    let changed: Vec<&str> = report["changed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap())
        .collect();
    assert!(
        changed.contains(&"incidents/2026-10-27-checkout-and-payments-failing.html"),
        "{changed:?}"
    );
    assert!(!old.exists(), "the aged-out page is gone");
    assert!(
        site.join("incidents/2026-11-18-api-elevated-errors.html")
            .is_file()
    );
    assert!(site.join("CNAME").is_file() && site.join("incidents/keep-me.html").is_file());
    repo.ok(&["publish", "--out", "site", "--days", "10", "--check"]);
}

/// The notification recipes run `incident notify` on pushes and on a schedule, with the secrets
/// from the CI's secret store and permission to push the ledger.
#[test]
fn the_notify_recipes_run_on_push_and_schedule() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/ci");
    let read = |f: &str| -> serde_yaml::Value {
        serde_yaml::from_str(&std::fs::read_to_string(dir.join(f)).unwrap()).unwrap()
    };
    let gh = read("notify-github-actions.yml");
    assert!(gh["on"]["push"].is_mapping() && gh["on"]["schedule"].is_sequence());
    assert_eq!(gh["permissions"]["contents"], "write");
    let steps = gh["jobs"]["notify"]["steps"].as_sequence().unwrap();
    let step = steps
        .iter()
        .find(|s| s["run"] == "incident notify")
        .unwrap();
    for (_, v) in step["env"].as_mapping().unwrap() {
        assert!(v.as_str().unwrap().starts_with("${{ secrets."), "{v:?}");
    }
    let gl = read("notify-gitlab-ci.yml");
    let job = &gl["notify"];
    assert!(
        job["script"]
            .as_sequence()
            .unwrap()
            .iter()
            .any(|s| s == "incident notify")
    );
    let rules = format!("{:?}", job["rules"]);
    assert!(rules.contains("schedule"), "{rules}");
    assert!(!job["cache"]["paths"][0].as_str().unwrap().starts_with('/'));
}

/// The schema describes Statuspage, not only our output: a real capture of a hosted page's
/// `incidents.json` (tests/fixtures/statuspage/README.md names its source) passes it, and our
/// incidents carry what it carries (full component objects, `custom_tweet` and `tweet_id`).
#[test]
fn the_schema_accepts_a_real_statuspage_capture_and_we_send_what_it_sends() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let capture = root.join("tests/fixtures/statuspage/payfast-incidents-2022-01-20.json");
    let out = std::process::Command::new("python3")
        .arg(root.join("tests/tools/schema_check.py"))
        .arg(root.join("docs/schema/statuspage-v2.schema.json"))
        .arg("incidents_file")
        .arg(&capture)
        .output()
        .expect("python3 runs (bash .ci/setup installs jsonschema)");
    assert!(
        out.status.success(),
        "the schema rejects real data:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let real = json(
        capture.parent().unwrap(),
        "payfast-incidents-2022-01-20.json",
    );
    let repo = Repo::new();
    repo.declare("Checkout down", &["--commander", "alice", "--update"]);
    let site = publish(&repo, "site");
    let ours = json(&site, "api/v2/incidents.json");
    let keys = |v: &Value| -> Vec<String> {
        let mut k: Vec<String> = v.as_object().unwrap().keys().cloned().collect();
        k.sort();
        k
    };
    // Every key a hosted page sends on an incident, an update and a component, we send too.
    for (what, theirs, mine) in [
        ("incident", &real["incidents"][0], &ours["incidents"][0]),
        (
            "update",
            &real["incidents"][0]["incident_updates"][0],
            &ours["incidents"][0]["incident_updates"][0],
        ),
        (
            "component",
            &real["incidents"][0]["components"][0],
            &ours["incidents"][0]["components"][0],
        ),
    ] {
        let missing: Vec<String> = keys(theirs)
            .into_iter()
            .filter(|k| mine.get(k).is_none())
            .collect();
        assert!(missing.is_empty(), "{what} lacks {missing:?}: {mine}");
    }
    assert!(ours["incidents"][0]["incident_updates"][0]["tweet_id"].is_null());
    site_check(&site);
}
