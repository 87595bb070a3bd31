//! Whole-command benchmarks against the git CLI on generated repos of realistic incidents.
//!
//! `cargo bench` builds repos of 10,000 and 100,000 incidents over three years (via `git
//! fast-import`) and times whole `incident` processes the way a responder or a CI job runs them,
//! next to the git commands they replace and to issue 12's targets, in one table. Figures are
//! medians over repeated runs; peak memory is the child's maximum resident set size from
//! `getrusage`. `INCIDENT_BENCH_N=10000` (or `10000,100000`) picks the sizes;
//! `INCIDENT_BENCH_KEEP=DIR` keeps the generated repos under DIR (`ops-10000`, ...) and reuses them.

use chrono::{DateTime, Duration, Utc};
use incident::model::{Incident, IncidentKind, Severity, Stamp, Status, StatusUpdate, Visibility};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

const SERVICES: [&str; 8] = [
    "checkout",
    "payments",
    "search",
    "auth",
    "api",
    "webhooks",
    "email",
    "dashboard",
];
const WORDS: [&str; 12] = [
    "latency",
    "errors",
    "timeouts",
    "outage",
    "degraded",
    "5xx",
    "queue backlog",
    "replica lag",
    "cert expiry",
    "dns failure",
    "memory leak",
    "rate limiting",
];

/// One timed command: its median and minimum wall time and the peak RSS of one run.
#[derive(Clone, Copy)]
struct Timing {
    median: f64,
    min: f64,
    rss_mb: f64,
}

/// One row of the table: what ran at each size, and what it is held against.
struct Row {
    label: String,
    target: String,
    cells: Vec<Option<Timing>>,
}

fn main() {
    if std::env::args().nth(1).as_deref() == Some("--measure-rss") {
        return measure_rss_child();
    }
    let sizes: Vec<usize> = std::env::var("INCIDENT_BENCH_N")
        .ok()
        .map(|v| v.split(',').filter_map(|s| s.trim().parse().ok()).collect())
        .filter(|v: &Vec<usize>| !v.is_empty())
        .unwrap_or_else(|| vec![10_000, 100_000]);
    let work = tempfile::tempdir().expect("temp dir");
    let bin = PathBuf::from(env!("CARGO_BIN_EXE_incident"));
    // INCIDENT_BENCH_ONCALL=1 runs only the on-call and escalation benchmark.
    if std::env::var_os("INCIDENT_BENCH_ONCALL").is_some() {
        println!(
            "\n{:<62} {:>9} {:>9} {:>9}",
            "command", "median", "min", "peak RSS"
        );
        return bench_oncall(work.path(), &bin);
    }
    // INCIDENT_BENCH_PAGE=1 runs only the status-page benchmark.
    if std::env::var_os("INCIDENT_BENCH_PAGE").is_some() {
        println!(
            "\n{:<62} {:>9} {:>9} {:>9}",
            "command", "median", "min", "peak RSS"
        );
        bench_page(work.path(), &bin);
        return remove_published();
    }
    let mut rows: Vec<Row> = Vec::new();
    for (column, &n) in sizes.iter().enumerate() {
        // INCIDENT_BENCH_KEEP=DIR keeps the generated repos there (and reuses them) for profiling.
        let repo = match std::env::var_os("INCIDENT_BENCH_KEEP") {
            Some(dir) => PathBuf::from(dir).join(format!("ops-{n}")),
            None => work.path().join(format!("ops-{n}")),
        };
        let start = Instant::now();
        let ids = if repo.join(".git").exists() {
            ids_of(&repo)
        } else {
            build_repo(&repo, n)
        };
        // Neither git's commit nor incident's change may start a background `git gc` while the
        // next command is timed.
        let status = Command::new("git")
            .args(["config", "gc.auto", "0"])
            .current_dir(&repo)
            .status()
            .expect("git config");
        assert!(status.success());
        eprintln!(
            "repo of {n} incidents ready in {:.1} s",
            start.elapsed().as_secs_f64()
        );
        for (label, target, timing) in bench_size(&repo, &bin, &ids, n) {
            let row = match rows.iter_mut().find(|r| r.label == label) {
                Some(row) => row,
                None => {
                    rows.push(Row {
                        label: label.clone(),
                        target: String::new(),
                        cells: vec![None; sizes.len()],
                    });
                    rows.last_mut().expect("just pushed")
                }
            };
            if !target.is_empty() {
                if !row.target.is_empty() {
                    row.target.push_str(" / ");
                }
                row.target.push_str(&target);
            }
            row.cells[column] = Some(timing);
        }
    }
    print_table(&sizes, &rows);
    bench_page(work.path(), &bin);
    bench_oncall(work.path(), &bin);
    remove_published();
}

/// Issue 26's targets: `oncall` over a year of shifts of a three-layer rota with 50 overrides
/// (< 20 ms), and an escalation pass over 100 open SEV1 incidents, planned and rendered without
/// sending (< 100 ms; delivery is the targets' time).
fn bench_oncall(work: &Path, bin: &Path) {
    // INCIDENT_BENCH_KEEP=DIR keeps this repo under DIR too (built afresh each time).
    let dir = std::env::var_os("INCIDENT_BENCH_KEEP")
        .map_or_else(|| work.join("oncall"), |d| PathBuf::from(d).join("oncall"));
    let _ = std::fs::remove_dir_all(&dir);
    let now = "2026-12-06T10:00:00Z";
    let run = |args: &[&str]| {
        let out = Command::new(bin)
            .args(args)
            .current_dir(&dir)
            .env("INCIDENT_NOW", now)
            .output()
            .expect("incident");
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    std::fs::create_dir_all(&dir).unwrap();
    git(&dir, &["init", "-q", "-b", "main"]);
    git(&dir, &["config", "user.name", "Bench"]);
    git(&dir, &["config", "user.email", "bench@example.com"]);
    run(&[
        "init",
        "--no-runbooks",
        "--org",
        "Bench",
        "--service",
        "checkout",
    ]);
    let people: Vec<String> = (0..12).map(|n| format!("p{n:02}")).collect();
    let mut config = std::fs::read_to_string(dir.join(".incident.yaml")).unwrap();
    config = config.replace("people: []\n", "");
    config.push_str("people:\n");
    for p in &people {
        config.push_str(&format!(
            "- handle: {p}\n  chat: U{p}\n  phone: '+100000{p}'\n"
        ));
    }
    config.push_str("notify:\n  targets:\n  - id: pager\n    kind: webhook\n    url_env: BENCH_PAGER_URL\n    events: [page]\n");
    std::fs::write(dir.join(".incident.yaml"), config).unwrap();
    std::fs::create_dir_all(dir.join("oncall/overrides")).unwrap();
    std::fs::write(
        dir.join("oncall/platform.yaml"),
        format!(
            "time_zone: Europe/Berlin\nlayers:\n- name: primary\n  members: [{}]\n  start: 2026-01-05\n  every: daily\n- name: secondary\n  members: [{}]\n  start: 2026-01-05\n  every: weekly\n- name: night\n  members: [{}]\n  start: 2026-01-05\n  handoff: '20:00'\n  every: 12h\n",
            people[..6].join(", "),
            people[6..10].join(", "),
            people[10..].join(", ")
        ),
    )
    .unwrap();
    for n in 0..50 {
        let from = chrono::DateTime::parse_from_rfc3339(now)
            .unwrap()
            .with_timezone(&Utc)
            + Duration::days(n * 7);
        std::fs::write(
            dir.join(format!(
                "oncall/overrides/2026120{}T{n:06}-platform-first-p00.yaml",
                n % 10
            )),
            format!(
                "schedule: platform\nwho: {}\nfrom: {}\nuntil: {}\n",
                people[n as usize % 12],
                from.to_rfc3339(),
                (from + Duration::hours(12)).to_rfc3339()
            ),
        )
        .unwrap();
    }
    std::fs::write(
        dir.join("oncall/escalation.yaml"),
        "policies:\n- id: all\n  levels:\n  - page: [platform]\n    after: 5m\n  - page: [platform/secondary]\n    after: 5m\n  - page: [platform/night]\n    after: 5m\n  repeat: 2\n  via: [pager]\n",
    )
    .unwrap();
    git(&dir, &["add", "-A"]);
    git(&dir, &["commit", "-qm", "rota"]);
    for n in 0..100 {
        run(&[
            "declare",
            &format!("Outage {n}"),
            "--sev",
            "SEV1",
            "--service",
            "checkout",
            "--no-update",
        ]);
    }
    let bin = bin.to_path_buf();
    let cmd = |args: &'static [&'static str]| {
        let (bin, dir) = (bin.clone(), dir.clone());
        move || {
            let mut c = Command::new(&bin);
            c.args(args)
                .current_dir(&dir)
                .env("INCIDENT_NOW", "2026-12-06T10:30:00Z");
            c
        }
    };
    report(
        "incident oncall (now; 3 layers, 50 overrides)",
        20,
        cmd(&["oncall"]),
    );
    report(
        "incident oncall shifts (a year: 3 layers, 50 overrides)",
        20,
        cmd(&["oncall", "shifts", "--until", "365d"]),
    );
    report(
        "incident notify --dry-run (escalating 100 open SEV1s)",
        10,
        cmd(&["notify", "--dry-run", "--since", "1h"]),
    );
}

/// Folders `publish` wrote into, removed only when every timing is done: deleting 10,000 files
/// just before creating as many makes ext4 scan past each recently deleted inode (a minute's worth)
/// for every new file, `recently_deleted` in the kernel's profile, 1-2 s of system time per run.
static PUBLISHED: std::sync::Mutex<Vec<PathBuf>> = std::sync::Mutex::new(Vec::new());

/// A folder of `dir` that `publish` has never written into, as a CI job's fresh checkout.
fn fresh_folder(dir: &Path) -> PathBuf {
    let mut published = PUBLISHED.lock().expect("not poisoned");
    let path = dir.join(format!("site-fresh-{}", published.len() + 1));
    published.push(path.clone());
    path
}

fn remove_published() {
    for path in PUBLISHED.lock().expect("not poisoned").drain(..) {
        let _ = std::fs::remove_dir_all(path);
    }
}

/// The table docs/performance.md keeps: a column per size, median (min) and peak RSS in each.
fn print_table(sizes: &[usize], rows: &[Row]) {
    print!("\n| command |");
    for n in sizes {
        print!(" {n} incidents: median (min), peak RSS |");
    }
    println!(" target |");
    print!("| --- |");
    for _ in sizes {
        print!(" --- |");
    }
    println!(" --- |");
    for row in rows {
        print!("| {} |", row.label);
        for cell in &row.cells {
            match cell {
                Some(t) if row.label == PEAK_ROW => print!(" {:.0} MB |", t.rss_mb),
                Some(t) => print!(" {} ({}), {:.0} MB |", ms(t.median), ms(t.min), t.rss_mb),
                None => print!(" |"),
            }
        }
        println!(" {} |", row.target);
    }
}

fn ms(v: f64) -> String {
    if v >= 1000.0 {
        format!("{:.2} s", v / 1000.0)
    } else {
        format!("{v:.1} ms")
    }
}

/// Every row of issue 12 at one size: (label, target with the measured verdict, timing).
fn bench_size(repo: &Path, bin: &Path, ids: &[String], n: usize) -> Vec<(String, String, Timing)> {
    let big = n > 10_000;
    // A record no earlier run logged into: a kept repo (INCIDENT_BENCH_KEEP) would otherwise time
    // `log` on a timeline grown by every run before (300 events after ten runs, 10 ms more).
    let path_of = |id: &str| format!("incidents/{}/{id}.yaml", &id[..4]);
    let target = ids[n / 2..]
        .iter()
        .find(|id| {
            std::fs::read_to_string(repo.join(path_of(id)))
                .is_ok_and(|text| !text.contains("bench event"))
        })
        .unwrap_or(&ids[n / 2]);
    let rel = path_of(target);
    let other = &ids[n / 3];
    let other_rel = format!("incidents/{}/{other}.yaml", &other[..4]);
    let incident = |args: &[&str]| {
        let mut c = Command::new(bin);
        c.args(args)
            .current_dir(repo)
            .env("INCIDENT_AUTHOR", "Bench <bench@example.com>");
        c
    };
    let sh = |script: String| {
        let mut c = Command::new("sh");
        c.arg("-c")
            .arg(script)
            .current_dir(repo)
            .env("GIT_AUTHOR_NAME", "Bench")
            .env("GIT_AUTHOR_EMAIL", "bench@example.com")
            .env("GIT_COMMITTER_NAME", "Bench")
            .env("GIT_COMMITTER_EMAIL", "bench@example.com");
        c
    };
    let under = |t: &Timing, limit: f64| {
        format!(
            "< {} ({})",
            ms(limit),
            if t.median < limit { "met" } else { "NOT met" }
        )
    };
    let mut out = Vec::new();
    let mut push = |label: &str, target: String, t: Timing| {
        println!(
            "{n:>7} {label:<50} {:>10} {:>10} {:>7.1}MB  {target}",
            ms(t.median),
            ms(t.min),
            t.rss_mb
        );
        out.push((label.to_string(), target, t));
    };

    // Each from a clean disk: `log` syncs what it writes (the record and its journal) and git does
    // not, so on ext4 a sync of `log`'s pays for whatever the file system still holds dirty, a
    // build's output or the commits of the runs before.
    sync();
    let mut k = 0;
    let log = time(15, || {
        k += 1;
        incident(&["log", target, &format!("bench event {k}")])
    });
    sync();
    let mut g = 0;
    let commit = time(15, || {
        g += 1;
        sh(format!(
            "echo '# {g}' >> {other_rel} && git add {other_rel} && git commit -q -m 'bench {g}'"
        ))
    });
    push(
        "`incident log ID TEXT`",
        at_most(log.median / commit.median, 0.5),
        log,
    );
    push("git: `git add FILE && git commit`", String::new(), commit);

    let history = time(15, || incident(&["history", target]));
    let git_log = time(15, || {
        let mut c = Command::new("git");
        c.args(["log", "--oneline", "--", &rel]).current_dir(repo);
        c
    });
    push(
        "`incident history ID`",
        at_most(history.median / git_log.median, 0.1),
        history,
    );
    push("git: `git log --oneline -- FILE`", String::new(), git_log);

    let list_limit = if big { 150.0 } else { 30.0 };
    let t = time(10, || incident(&["list"]));
    push("`incident list`", under(&t, list_limit), t);
    let t = time(10, || incident(&["list", "--open", "--json"]));
    push("`incident list --open --json`", under(&t, list_limit), t);
    // The history index is kept aside and put back: rebuilt, it costs minutes at 100,000 (every
    // commit's tree diffed), which would land on the next run's `history` row, not on `list`.
    let history_index = repo.join(".git/incident-cache/history.json");
    let kept = std::fs::read(&history_index).ok();
    let t = time(5, || {
        // As after a clone: nothing cached.
        let _ = std::fs::remove_dir_all(repo.join(".git/incident-cache"));
        incident(&["list"])
    });
    let cold = if big { String::new() } else { under(&t, 300.0) };
    push("`incident list`, nothing cached (first run)", cold, t);
    if let Some(bytes) = kept {
        let _ = std::fs::write(&history_index, bytes);
    }
    let _ = incident(&["list"]).output();
    let git_ls = time(10, || {
        let mut c = Command::new("git");
        c.args(["ls-files", "incidents"]).current_dir(repo);
        c
    });
    push(
        "git: `git ls-files incidents` (names only)",
        String::new(),
        git_ls,
    );

    let show_limit = if big { 10.0 } else { 5.0 };
    let t = time(15, || incident(&["show", target]));
    push("`incident show ID`", under(&t, show_limit), t);

    let read_limit = if big { 250.0 } else { 40.0 };
    for (label, args) in [
        ("`incident stats`", &["stats"][..]),
        (
            "`incident stats --since 3650d`",
            &["stats", "--since", "3650d"][..],
        ),
        ("`incident due`", &["due"][..]),
        ("`incident check`", &["check"][..]),
    ] {
        let t = time(10, || incident(args));
        push(label, under(&t, read_limit), t);
    }

    let publish_limit = if big { 1000.0 } else { 100.0 };
    let t = time(10, || incident(&["publish", "--out", "site"]));
    push(
        "`incident publish` (90 days, up to date)",
        under(&t, publish_limit),
        t,
    );
    let t = time(5, || {
        let out = fresh_folder(repo);
        incident(&["publish", "--out", out.to_str().expect("UTF-8 temp path")])
    });
    push(
        "`incident publish` (90 days, fresh folder)",
        under(&t, publish_limit),
        t,
    );

    // The first run sets the chat target's floor and delivers the last hour (nothing: the
    // generated incidents are older); later runs read only what changed since.
    let later = "2030-01-01T00:00:00Z";
    let first = incident(&["notify", "--since", "1h"])
        .env("BENCH_CHAT_URL", "http://127.0.0.1:9/never")
        .env("INCIDENT_NOW", later)
        .output()
        .expect("notify runs");
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    let t = time(15, || {
        let mut c = incident(&["notify"]);
        c.env("BENCH_CHAT_URL", "http://127.0.0.1:9/never")
            .env("INCIDENT_NOW", later);
        c
    });
    // Issue 14's target, set at 10,000 incidents.
    let notify = if big { String::new() } else { under(&t, 50.0) };
    push("`incident notify` (nothing to send)", notify, t);

    // Issue 25: "seen this before?" over every record, warm (the words are cached).
    let _ = incident(&["search", "replica lag"]).output();
    let t = time(10, || incident(&["search", "replica lag"]));
    let search = if big { String::new() } else { under(&t, 100.0) };
    push("`incident search TEXT` (warm)", search, t);

    // Issue 28: the reliability report over every incident (charts, CSV, JSON), and a
    // post-mortem with its timeline chart.
    let report_dir = repo.join("../bench-report");
    let t = time(5, || {
        incident(&[
            "report",
            "--out",
            report_dir.to_str().expect("utf-8 path"),
            "--since",
            "3650d",
        ])
    });
    let report = if big {
        String::new()
    } else {
        under(&t, 1000.0)
    };
    push(
        "`incident report --since 3650d` (every incident)",
        report,
        t,
    );
    let pm_out = repo.join("../bench-postmortem/pm.md");
    let t = time(10, || {
        incident(&[
            "postmortem",
            other,
            "--out",
            pm_out.to_str().expect("utf-8 path"),
        ])
    });
    let postmortem = if big { String::new() } else { under(&t, 50.0) };
    push(
        "`incident postmortem ID --out FILE` (with its chart)",
        postmortem,
        t,
    );

    // Issue 29: the live view's first frame (the whole process, drawn as text), and a refresh
    // after a new commit (what the view does in its process: the board read again).
    let t = time(10, || incident(&["watch", "--snapshot", "100x30"]));
    let first_frame = if big { String::new() } else { under(&t, 150.0) };
    push(
        "`incident watch` first frame (`--snapshot 100x30`)",
        first_frame,
        t,
    );
    // As the view does it: the records the new commit changed read again, the board worked out.
    let store = incident::store::Store::open(repo).expect("the bench repo opens");
    let mut live = incident::ops::board::Live::load(&store).expect("the board reads");
    let mut head = store.head_id().expect("a commit");
    let mut refreshes = Vec::new();
    for k in 0..10 {
        let status = incident(&["log", target, &format!("bench refresh {k}")])
            .status()
            .expect("log runs");
        assert!(status.success());
        let started = Instant::now();
        let now = store.head_id().expect("a commit");
        let changed = store
            .records_changed(head, now)
            .expect("the commits compare");
        assert_eq!(changed, [target.to_string()]);
        live.refresh(&store, &changed);
        head = now;
        let board = live.board(&store, chrono::Utc::now(), Some(target));
        assert!(board.detail.is_some() || board.active.is_empty());
        refreshes.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    refreshes.sort_by(f64::total_cmp);
    let t = Timing {
        median: refreshes[refreshes.len() / 2],
        min: refreshes[0],
        rss_mb: 0.0,
    };
    let refresh = if big { String::new() } else { under(&t, 30.0) };
    push(
        "`incident watch` refresh after a commit (in process)",
        refresh,
        t,
    );

    // Issue 25: declaring with 200 runbooks in the repo stays under twice the time without.
    let mut d = 0;
    let declare = |d: &mut usize| {
        *d += 1;
        incident(&[
            "--json",
            "declare",
            &format!("Bench declare {d}"),
            "--sev",
            "SEV3",
            "--service",
            "checkout",
        ])
    };
    sync();
    let without = time(10, || declare(&mut d));
    let runbooks = repo.join("runbooks");
    std::fs::create_dir_all(&runbooks).expect("runbooks folder");
    for r in 0..200 {
        // Most apply elsewhere (another service); one in ten to this kind of incident.
        let service = if r % 10 == 0 { "checkout" } else { "search" };
        let text = format!(
            "---\ntitle: Runbook {r}\nwhen:\n  severity: [SEV3]\n  service: [{service}]\n---\n- [ ] Step one\n  - within: 15m\n- [ ] Step two\n  - role: commander\n"
        );
        std::fs::write(runbooks.join(format!("r{r:03}.md")), text).expect("runbook");
    }
    sync();
    let with = time(10, || declare(&mut d));
    let _ = std::fs::remove_dir_all(&runbooks);
    push("`incident declare` (no runbooks)", String::new(), without);
    push(
        "`incident declare` (200 runbooks, 20 apply)",
        {
            let ratio = with.median / without.median;
            format!(
                "≤ 2× without ({ratio:.2}×, {})",
                if ratio <= 2.0 { "met" } else { "NOT met" }
            )
        },
        with,
    );

    // Issue 12's memory row: the most any `incident` command above took.
    let (label, peak) = out
        .iter()
        .filter(|(label, _, _)| label.starts_with("`incident"))
        .map(|(label, _, t)| (label.clone(), t.rss_mb))
        .max_by(|a, b| a.1.total_cmp(&b.1))
        .expect("incident rows");
    let limit = if big { 200.0 } else { 60.0 };
    let target = format!(
        "< {limit:.0} MB ({}, {label})",
        if peak < limit { "met" } else { "NOT met" }
    );
    println!("{n:>7} {PEAK_ROW:<50} {peak:>29.1}MB  {target}");
    out.push((
        PEAK_ROW.to_string(),
        target,
        Timing {
            median: 0.0,
            min: 0.0,
            rss_mb: peak,
        },
    ));
    out
}

/// The row that holds only a peak: the most memory any `incident` command took at that size (its
/// times are not measured, and the table leaves them out).
const PEAK_ROW: &str = "peak RSS, any `incident` command";

/// A ratio to the git command held against its limit, as the table shows it.
fn at_most(ratio: f64, limit: f64) -> String {
    format!(
        "≤ {limit}× git ({ratio:.3}×, {})",
        if ratio <= limit { "met" } else { "NOT met" }
    )
}

/// The IDs of a repo [`build_repo`] made earlier, in the order it made them.
fn ids_of(repo: &Path) -> Vec<String> {
    let out = Command::new("git")
        .args(["ls-files", "incidents"])
        .current_dir(repo)
        .output()
        .expect("git ls-files");
    let mut ids: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| {
            l.rsplit('/')
                .next()?
                .strip_suffix(".yaml")
                .map(String::from)
        })
        .collect();
    ids.sort();
    ids
}

/// The status page with 5,000 incidents and 500 maintenance windows over 20 components with uptime
/// bars: spread over three years as a large company's repo holds them, and at its heaviest, all
/// inside the last 90 days (a page per incident and window, 20 feeds, every day of history full).
fn bench_page(work: &Path, bin: &Path) {
    for (name, days, label) in [
        (
            "page-3y",
            3 * 365,
            "incident publish (5,000 + 500 maint. over 3 years)",
        ),
        (
            "page-90d",
            90,
            "incident publish (5,000 + 500 maint. in 90 days)",
        ),
    ] {
        // INCIDENT_BENCH_KEEP=DIR keeps these repos under DIR for profiling.
        let dir = std::env::var_os("INCIDENT_BENCH_KEEP")
            .map_or_else(|| work.join(name), |d| PathBuf::from(d).join(name));
        if !dir.exists() {
            build_page_repo(&dir, 5_000, 500, Utc::now(), days);
        }
        let bin = bin.to_path_buf();
        report(&format!("{label}, fresh folder"), 10, || {
            let mut c = Command::new(&bin);
            c.arg("publish")
                .arg("--out")
                .arg(fresh_folder(&dir))
                .current_dir(&dir);
            c
        });
        report(&format!("{label}, up to date"), 10, || {
            let mut c = Command::new(&bin);
            c.args(["publish", "--out", "site"]).current_dir(&dir);
            c
        });
    }
}

/// Like [`build_repo`], with the incidents spread over the `days` days before `now` and over 20
/// services, a third of them with a component set by hand, and `windows` completed maintenance
/// windows over the same span.
pub fn build_page_repo(root: &Path, n: usize, windows: usize, now: DateTime<Utc>, days: i64) {
    use incident::model::{ComponentStatus, Maintenance, MaintenanceSpec, MaintenanceStatus};
    std::fs::create_dir_all(root).unwrap();
    git(root, &["init", "-q", "-b", "main"]);
    let services: Vec<String> = (0..20).map(|k| format!("service-{k:02}")).collect();
    let mut config = incident::model::Config::new("Bench Corp");
    config.status_page.time_zone = Some("Europe/Berlin".into());
    config.status_page.url = Some("https://status.bench.example".into());
    for (k, id) in services.iter().enumerate() {
        config.services.push(incident::model::Service {
            id: id.clone(),
            name: Some(format!("Service {k}")),
            group: (k < 10).then(|| "core".to_string()),
            start_date: Some((now - Duration::days(400)).date_naive()),
            ..Default::default()
        });
    }
    let policy = incident::store::config_to_yaml(&config).unwrap();
    let base = now - Duration::days(days);
    let span = (days - 1) * 24 * 60;
    let mut stream = Vec::new();
    let mut files: Vec<(String, String)> = vec![(".incident.yaml".into(), policy)];
    for i in 0..n {
        let at = base + Duration::minutes((i as i64) * span / n as i64);
        let mut inc = realistic(i, at);
        inc.services = vec![services[i % 20].clone(), services[(i * 7 + 3) % 20].clone()];
        inc.services.dedup();
        if i % 3 == 0 {
            let stamp = Stamp {
                at: at + Duration::minutes(25),
                by: "bob".into(),
            };
            let first = inc.services[0].clone();
            let _ = inc.set_component(
                &config,
                &first,
                ComponentStatus::DegradedPerformance,
                &stamp,
            );
        }
        let yaml = incident::store::record_to_yaml(&inc).unwrap();
        files.push((format!("incidents/{}/{}.yaml", &inc.id[..4], inc.id), yaml));
    }
    for w in 0..windows {
        let from = base + Duration::minutes((w as i64) * span / windows as i64 + 120);
        let stamp = |m: i64| Stamp {
            at: from + Duration::minutes(m),
            by: "carol".into(),
        };
        let mut m = Maintenance::schedule(
            MaintenanceSpec {
                title: format!("Planned upgrade {w}"),
                services: vec![services[w % 20].clone()],
                from,
                until: from + Duration::hours(2),
                notify_before: None,
                message: None,
            },
            &stamp(-1440),
        )
        .unwrap();
        m.id = format!("{}-{w}", m.id);
        m.advance(MaintenanceStatus::InProgress, "Started".into(), &stamp(0))
            .unwrap();
        m.advance(MaintenanceStatus::Completed, "Done".into(), &stamp(95))
            .unwrap();
        let yaml = incident::store::to_yaml(&m).unwrap();
        files.push((format!("maintenance/{}/{}.yaml", &m.id[..4], m.id), yaml));
    }
    // One commit holding everything: publishing reads files, not history.
    let msg = "bench data\n";
    write!(
        stream,
        "commit refs/heads/main\ncommitter Bench <bench@example.com> {} +0000\ndata {}\n{msg}\n",
        now.timestamp(),
        msg.len()
    )
    .unwrap();
    for (path, text) in &files {
        write!(
            stream,
            "M 100644 inline {path}\ndata {}\n{text}\n",
            text.len()
        )
        .unwrap();
    }
    let mut child = Command::new("git")
        .args(["fast-import", "--quiet"])
        .current_dir(root)
        .stdin(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(&stream).unwrap();
    assert!(child.wait().unwrap().success());
    git(root, &["reset", "-q", "--hard", "main"]);
}

/// Runs the command `runs` times, printing the median and minimum wall time and the peak RSS.
fn report(label: &str, runs: usize, make: impl FnMut() -> Command) {
    let t = time(runs, make);
    println!(
        "{label:<62} {:>7.1}ms {:>7.1}ms {:>7.1}MB",
        t.median, t.min, t.rss_mb
    );
}

/// Writes everything the file system holds dirty to disk.
fn sync() {
    let _ = Command::new("sync").status();
}

/// Runs the command `runs` times: the median and minimum wall time, and the peak RSS of a run.
fn time(runs: usize, mut make: impl FnMut() -> Command) -> Timing {
    let mut times = Vec::with_capacity(runs);
    let mut peak_kb = 0;
    for _ in 0..runs {
        let mut cmd = make();
        // As a user runs them, not as `cargo bench` runs this: cargo sets RUST_BACKTRACE=1 and
        // points LD_LIBRARY_PATH at its build folders, where the loader then looks for libc.
        cmd.env_remove("RUST_BACKTRACE")
            .env_remove("LD_LIBRARY_PATH");
        let shown = format!("{:?}", cmd);
        let t = Instant::now();
        let status = cmd
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .status()
            .expect("spawn");
        times.push(t.elapsed().as_secs_f64() * 1000.0);
        // `check` exits 1 when it finds errors; on generated data it finds only warnings.
        assert!(status.success(), "{shown} failed");
        peak_kb = peak_kb.max(rss_of(make()));
    }
    times.sort_by(f64::total_cmp);
    Timing {
        median: times[times.len() / 2],
        min: times[0],
        rss_mb: peak_kb as f64 / 1024.0,
    }
}

/// Peak RSS in KiB of one run, measured in a fresh helper process so earlier runs do not count.
fn rss_of(cmd: Command) -> i64 {
    let me = std::env::current_exe().expect("bench binary");
    let mut helper = Command::new(me);
    helper
        .arg("--measure-rss")
        .arg(cmd.get_program())
        .args(cmd.get_args());
    if let Some(dir) = cmd.get_current_dir() {
        helper.current_dir(dir);
    }
    for (k, v) in cmd.get_envs() {
        if let Some(v) = v {
            helper.env(k, v);
        }
    }
    let out = helper
        .stderr(Stdio::inherit())
        .output()
        .expect("rss helper");
    String::from_utf8_lossy(&out.stdout)
        .trim()
        .parse()
        .unwrap_or(0)
}

fn measure_rss_child() {
    let args: Vec<String> = std::env::args().skip(2).collect();
    let status = Command::new(&args[0])
        .args(&args[1..])
        .stdout(Stdio::null())
        .status()
        .expect("spawn");
    assert!(status.success());
    // SAFETY: getrusage only writes into the struct we pass.
    let usage = unsafe {
        let mut usage: libc::rusage = std::mem::zeroed();
        libc::getrusage(libc::RUSAGE_CHILDREN, &mut usage);
        usage
    };
    println!("{}", usage.ru_maxrss);
}

/// A repo of `n` incidents over the three years before now, plus the policy file. Up to 10,000
/// incidents get a commit each; larger repos get one commit per `n / 10,000` incidents (each commit
/// rewrites its year's tree, and 100,000 single commits over 33,000-entry trees take fast-import
/// most of an hour), so `git log -- FILE` walks 10,000 commits at either size.
pub fn build_repo(root: &Path, n: usize) -> Vec<String> {
    std::fs::create_dir_all(root).unwrap();
    git(root, &["init", "-q", "-b", "main"]);
    let mut stream = Vec::new();
    let now = Utc::now();
    let base = now - Duration::days(3 * 365);
    let mut config = incident::model::Config::new("Bench Corp");
    // A chat target, for `notify`: events only (no reminders of the open incidents' deadlines),
    // so with the generated history older than its floor there is nothing to send.
    config.notify.targets.push(incident::model::NotifyTarget {
        id: "chat".into(),
        kind: incident::model::TargetKind::Slack,
        url_env: "BENCH_CHAT_URL".into(),
        secret_env: None,
        to: Vec::new(),
        from: None,
        events: vec!["declared".into(), "update".into(), "resolved".into()],
        severities: Vec::new(),
        internal: true,
        extra: Default::default(),
    });
    let policy = incident::store::config_to_yaml(&config).unwrap();
    let batch = (n / 10_000).max(1);
    let mut ids = Vec::with_capacity(n);
    for first in (0..n).step_by(batch) {
        let mut files = String::new();
        let mut trailers = String::new();
        let mut last_at = base;
        for i in first..(first + batch).min(n) {
            let at = base + Duration::minutes((i as i64) * (3 * 365 * 24 * 60 - 60) / n as i64);
            let inc = realistic(i, at);
            let yaml = incident::store::record_to_yaml(&inc).unwrap();
            let path = format!("incidents/{}/{}.yaml", &inc.id[..4], inc.id);
            files.push_str(&format!(
                "M 100644 inline {path}\ndata {}\n{yaml}\n",
                yaml.len()
            ));
            trailers.push_str(&format!("Incident: {}\n", inc.id));
            last_at = at;
            ids.push(inc.id);
        }
        let subject = if batch == 1 {
            format!("{}: declared", ids[first])
        } else {
            format!("{} incidents declared", (first + batch).min(n) - first)
        };
        let msg = format!("{subject}\n\n{trailers}Event: declared\n");
        write!(
            stream,
            "commit refs/heads/main\ncommitter Bench <bench@example.com> {} +0000\ndata {}\n{msg}\n",
            last_at.timestamp(),
            msg.len()
        )
        .unwrap();
        if first == 0 {
            write!(
                stream,
                "M 100644 inline .incident.yaml\ndata {}\n{policy}\n",
                policy.len()
            )
            .unwrap();
        }
        stream.extend_from_slice(files.as_bytes());
    }
    let mut child = Command::new("git")
        .args(["fast-import", "--quiet"])
        .current_dir(root)
        .stdin(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(&stream).unwrap();
    assert!(child.wait().unwrap().success());
    git(root, &["reset", "-q", "--hard", "main"]);
    git(root, &["gc", "-q"]);
    ids.sort();
    ids
}

fn git(root: &Path, args: &[&str]) {
    let status = Command::new("git")
        .args(args)
        .current_dir(root)
        .status()
        .unwrap();
    assert!(status.success(), "git {args:?}");
}

/// An incident with a plausible shape: a handful of events, updates for the serious ones, resolved
/// unless it is among the most recent.
pub fn realistic(i: usize, at: DateTime<Utc>) -> Incident {
    let service = SERVICES[i % SERVICES.len()];
    let title = format!("{} {} {i}", service, WORDS[i % WORDS.len()]);
    let severity = Severity::ALL[(i * 7 + 3) % 4];
    let stamp = |m: i64| Stamp {
        at: at + Duration::minutes(m),
        by: ["alice", "bob", "carol", "dan"][i % 4].into(),
    };
    let id = format!(
        "{}-{}",
        at.format("%Y-%m-%d"),
        incident::model::slugify(&title)
    );
    let mut inc = Incident::declare(id, title, severity, &stamp(0));
    inc.kind = IncidentKind::ALL[i % IncidentKind::ALL.len()];
    inc.services = vec![service.to_string()];
    inc.times.started_at = Some(at - Duration::minutes((i % 17) as i64));
    inc.summary = Some(format!(
        "Customers saw {} on {service}.",
        WORDS[(i + 3) % WORDS.len()]
    ));
    inc.assign(
        &[
            ("commander".into(), "alice".into()),
            ("comms".into(), "bob".into()),
        ],
        &stamp(2),
    )
    .unwrap();
    inc.push_event(
        &stamp(5),
        incident::model::EventKind::Finding,
        format!(
            "dashboards show {} since deploy {}",
            WORDS[i % 12],
            4000 + i
        ),
        Visibility::Internal,
    );
    inc.set_status(
        Status::Identified,
        Some("root cause found"),
        incident::model::Reopen::No,
        &stamp(12),
    )
    .unwrap();
    inc.push_event(
        &stamp(15),
        incident::model::EventKind::Action,
        "rolled back the last deploy".into(),
        Visibility::Public,
    );
    for (n, status) in [(20, Status::Identified), (40, Status::Monitoring)] {
        inc.updates.push(StatusUpdate {
            id: String::new(),
            at: at + Duration::minutes(n),
            by: "bob".into(),
            status,
            impacted: Some(format!("{service} requests failing for some customers")),
            learned: Some("a configuration change caused the errors".into()),
            next_update_at: Some(at + Duration::minutes(n + 30)),
            visibility: Visibility::Public,
            said: None,
            extra: Default::default(),
        });
        inc.push_event(
            &stamp(n),
            incident::model::EventKind::Update,
            "status update posted".into(),
            Visibility::Public,
        );
    }
    inc.set_status(
        Status::Monitoring,
        None,
        incident::model::Reopen::No,
        &stamp(40),
    )
    .unwrap();
    if !i.is_multiple_of(50) {
        inc.set_status(
            Status::Resolved,
            Some("error rates normal"),
            incident::model::Reopen::No,
            &stamp(70),
        )
        .unwrap();
    }
    inc.fill_entry_ids();
    inc
}
