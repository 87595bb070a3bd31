//! Rotas as code: who is on call across daylight-saving changes in two zones, overrides as commits,
//! and the calendars read back by an independent iCalendar parser (Python's `icalendar`).

use crate::support::Repo;

/// Berlin: a daily primary handing over at 09:00 local, a weekly secondary. New York: 12-hour
/// shifts from 08:00 local.
const PLATFORM: &str = "name: Platform
time_zone: Europe/Berlin
layers:
- name: primary
  members: [alice, bob, carol]
  start: 2026-03-02
  handoff: '09:00'
  every: daily
- name: secondary
  members: [dan, erin]
  start: 2026-03-02
  every: weekly
";

const US: &str = "time_zone: America/New_York
layers:
- name: primary
  members: [frank, grace]
  start: 2026-03-02
  handoff: '08:00'
  every: 12h
";

fn rota_repo() -> Repo {
    let repo = Repo::new();
    repo.write("oncall/platform.yaml", PLATFORM);
    repo.write("oncall/us.yaml", US);
    repo.git(&["add", "oncall"]);
    repo.git(&["commit", "-q", "-m", "rotas"]);
    repo
}

fn json(repo: &Repo, args: &[&str]) -> serde_json::Value {
    let mut all = vec!["--json"];
    all.extend(args);
    serde_json::from_str(&repo.ok(&all)).unwrap()
}

fn who(v: &serde_json::Value) -> Vec<(String, String, String)> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["schedule"].as_str().unwrap().to_string(),
                s["layer"].as_str().unwrap().to_string(),
                s["who"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn oncall_answers_who_and_when_across_daylight_saving_in_two_zones() {
    let repo = rota_repo();
    // 2026-03-28 12:00 UTC: Berlin still on CET (day 26: carol), the secondary in week 4 (erin);
    // New York already on EDT since 03-08: 08:00 EDT = 12:00 UTC starts turn 26*2 = 52 (frank).
    let now = json(&repo, &["oncall", "--at", "2026-03-28T12:00:00Z"]);
    let expect = [
        ("platform", "primary", "carol"),
        ("platform", "secondary", "erin"),
        ("us", "primary", "frank"),
    ];
    let expect: Vec<(String, String, String)> = expect
        .iter()
        .map(|(a, b, c)| (a.to_string(), b.to_string(), c.to_string()))
        .collect();
    assert_eq!(who(&now), expect, "{now:#}");
    assert_eq!(now[0]["from"], "2026-03-28T08:00:00Z");
    // The Berlin shift over the spring change ends at 09:00 CEST: 23 hours.
    assert_eq!(now[0]["until"], "2026-03-29T07:00:00Z");
    assert_eq!(now[2]["from"], "2026-03-28T12:00:00Z");

    let shifts = json(
        &repo,
        &[
            "oncall",
            "shifts",
            "--schedule",
            "us",
            "--from",
            "2026-03-07T12:00:00Z",
            "--until",
            "2026-03-08T13:00:00Z",
        ],
    );
    let spans: Vec<(&str, &str, &str)> = shifts
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["who"].as_str().unwrap(),
                s["from"].as_str().unwrap(),
                s["until"].as_str().unwrap(),
            )
        })
        .collect();
    // 08:00 EST is 13:00 UTC; the night over the change runs 20:00 EST to 08:00 EDT (11 hours).
    assert_eq!(
        spans,
        [
            ("grace", "2026-03-07T12:00:00Z", "2026-03-07T13:00:00Z"),
            ("frank", "2026-03-07T13:00:00Z", "2026-03-08T01:00:00Z"),
            ("grace", "2026-03-08T01:00:00Z", "2026-03-08T12:00:00Z"),
            ("frank", "2026-03-08T12:00:00Z", "2026-03-08T13:00:00Z"),
        ]
    );
    // The table names people by the roster and says the zone of its times.
    let table = repo.ok(&["oncall", "--at", "2026-03-28T12:00:00Z"]);
    assert!(
        table.contains("carol") && table.contains("UNTIL (UTC)"),
        "{table}"
    );
    repo.ok(&["check"]);
}

#[test]
fn an_override_is_one_commit_and_takes_the_layer_for_its_span() {
    let mut repo = rota_repo();
    repo.at("2026-03-27T10:00:00Z");
    let before = repo.commit_count();
    let out = repo.ok(&[
        "oncall",
        "override",
        "--schedule",
        "platform",
        "--who",
        "dan",
        "--from",
        "2026-03-28T10:00:00Z",
        "--until",
        "6h",
        "--reason",
        "carol at the dentist",
    ]);
    assert!(out.contains("dan") && out.contains("platform"), "{out}");
    assert_eq!(repo.commit_count(), before + 1);
    let subject = repo.git(&["log", "-1", "--format=%s%n%b"]);
    assert!(
        subject.contains(
            "override platform: dan from 2026-03-28 10:00 UTC until 2026-03-28 16:00 UTC"
        ) && subject.contains("Oncall: platform"),
        "{subject}"
    );
    let files = repo.git(&["show", "--name-only", "--format=", "HEAD"]);
    assert!(files.trim().starts_with("oncall/overrides/"), "{files}");
    let at = |t: &str| {
        who(&json(
            &repo,
            &["oncall", "--schedule", "platform", "--at", t],
        ))
    };
    assert_eq!(at("2026-03-28T09:59:00Z")[0].2, "carol");
    assert_eq!(at("2026-03-28T10:00:00Z")[0].2, "dan");
    assert_eq!(at("2026-03-28T15:59:00Z")[0].2, "dan");
    assert_eq!(at("2026-03-28T16:00:00Z")[0].2, "carol");
    let table = repo.ok(&[
        "oncall",
        "--schedule",
        "platform",
        "--at",
        "2026-03-28T12:00:00Z",
    ]);
    assert!(table.contains("override"), "{table}");
    // A layer the rota does not have, and a rota there is not: usage errors naming what there is.
    let err = repo.fails(
        2,
        &[
            "oncall",
            "override",
            "--schedule",
            "platform",
            "--layer",
            "tertiary",
            "--who",
            "dan",
            "--from",
            "10:00",
            "--until",
            "1h",
        ],
    );
    assert!(err.contains("primary, secondary"), "{err}");
    let err = repo.fails(2, &["oncall", "--schedule", "nope"]);
    assert!(err.contains("platform, us"), "{err}");
    assert_eq!(repo.commit_count(), before + 1);
}

#[test]
fn the_calendars_read_back_in_an_independent_icalendar_parser() {
    let mut repo = rota_repo();
    repo.at("2026-03-27T10:00:00Z");
    let out = repo.home.path().join("cal");
    let export = |repo: &Repo| {
        repo.ok(&[
            "oncall",
            "export",
            "--ics",
            "--out",
            out.to_str().unwrap(),
            "--from",
            "2026-03-28T00:00:00Z",
            "--until",
            "2026-03-30T00:00:00Z",
        ])
    };
    export(&repo);
    let platform = out.join("platform.ics");
    let carol = out.join("people/carol.ics");
    assert!(platform.is_file() && carol.is_file());
    let text = std::fs::read_to_string(&platform).unwrap();
    assert!(text.lines().all(|l| l.len() <= 76), "folded at 75 octets");
    assert!(text.contains("\r\n"), "CRLF line ends");
    let script = r#"
import sys, icalendar
cal = icalendar.Calendar.from_ical(open(sys.argv[1], 'rb').read())
for e in cal.walk('VEVENT'):
    print(e['UID'], e.decoded('DTSTART').isoformat(), e.decoded('DTEND').isoformat(), e['SUMMARY'])
"#;
    let read = |path: &std::path::Path| -> String {
        let out = std::process::Command::new("python3")
            .args(["-c", script, path.to_str().unwrap()])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    let events = read(&carol);
    // Carol's shift over the spring change, whole (it began before --from): 09:00 CET to 09:00 CEST.
    assert_eq!(
        events.trim(),
        "platform-primary-20260328t080000z@incident 2026-03-28T08:00:00+00:00 2026-03-29T07:00:00+00:00 On call: carol (platform primary)",
        "{events}"
    );
    let all = read(&platform);
    assert_eq!(
        all.lines().count(),
        4,
        "three primary shifts and one secondary:\n{all}"
    );
    // The same rota exported again is the same bytes.
    repo.at("2026-03-27T11:00:00Z");
    export(&repo);
    assert_eq!(std::fs::read_to_string(&platform).unwrap(), text);
}

#[test]
fn a_broken_rota_is_named_by_check_and_no_rota_says_where_to_write_one() {
    let repo = Repo::new();
    let err = repo.fails(1, &["oncall"]);
    assert!(
        err.contains("oncall/<name>.yaml") && err.contains("docs/oncall.md"),
        "{err}"
    );
    repo.write(
        "oncall/broken.yaml",
        "time_zone: Mars/Olympus\nlayers:\n- name: primary\n  members: []\n  start: 2026-03-02\n  every: daily\n",
    );
    let out = repo.run(&["check"]);
    assert_eq!(out.status.code(), Some(1));
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        said.contains("oncall/broken.yaml")
            && said.contains("Mars/Olympus")
            && said.contains("members"),
        "{said}"
    );
    let json: serde_json::Value =
        serde_json::from_slice(&repo.run(&["--json", "check"]).stdout).unwrap();
    assert!(json.to_string().contains("oncall-invalid"), "{json}");
    // A policy file that does not read stops neither a declaration nor an ack nor the figures.
    repo.write("oncall/escalation.yaml", "policies: [oops\n");
    let out = repo.run(&[
        "declare",
        "Checkout down",
        "--sev",
        "SEV2",
        "--service",
        "checkout",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("cannot say who is on call"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let id = repo.ids_of_year("2026")[0].clone();
    repo.ok(&["ack", &id]);
    repo.ok(&["stats"]);
    std::fs::remove_file(repo.root.join("oncall/escalation.yaml")).unwrap();
    repo.write("oncall/broken.yaml", "time_zone: UTC\nlayers:\n- name: primary\n  members: [a]\n  start: 2026-03-02\n  every: fortnightly\n");
    let err = repo.fails(1, &["oncall"]);
    assert!(
        err.contains("oncall/broken.yaml") && err.contains("fortnightly"),
        "{err}"
    );
}

#[test]
fn the_example_repo_answers_who_is_on_call_out_of_the_box() {
    let repo = Repo::example("acme", "2026-11-18T12:00:00Z");
    // Week 3 of the weekly primary is carol's, but dan covers for her that day; the secondary's second
    // fortnight is alice's.
    let now = json(&repo, &["oncall"]);
    let expect: Vec<(String, String, String)> = [
        ("platform", "primary", "dan"),
        ("platform", "secondary", "alice"),
    ]
    .iter()
    .map(|(a, b, c)| (a.to_string(), b.to_string(), c.to_string()))
    .collect();
    assert_eq!(who(&now), expect, "{now:#}");
    assert_eq!(now[0]["overridden"], true);
    let after = json(&repo, &["oncall", "--at", "2026-11-18T20:00:00Z"]);
    assert_eq!(after[0]["who"], "carol");
    let checked: serde_json::Value =
        serde_json::from_slice(&repo.run(&["--json", "check"]).stdout).unwrap();
    assert!(!checked.to_string().contains("oncall-invalid"), "{checked}");
}

#[test]
fn publish_writes_the_calendars_to_an_internal_folder_and_never_into_the_public_one() {
    let mut repo = rota_repo();
    repo.at("2026-03-27T10:00:00Z");
    let out = repo.ok(&[
        "publish",
        "--out",
        "site",
        "--oncall-out",
        "internal/oncall",
    ]);
    assert!(out.contains("on-call calendar(s)"), "{out}");
    assert!(repo.root.join("internal/oncall/platform.ics").is_file());
    assert!(repo.root.join("internal/oncall/people/carol.ics").is_file());
    let public = crate::support::walk(&repo.root.join("site"));
    assert!(!public.iter().any(|f| f.ends_with(".ics")), "{public:?}");
    for inside in ["site/oncall", "site"] {
        let err = repo.fails(2, &["publish", "--out", "site", "--oncall-out", inside]);
        assert!(
            err.contains("--oncall-out") && err.contains("internal site"),
            "{err}"
        );
    }
}
