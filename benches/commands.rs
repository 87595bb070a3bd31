//! Whole-command benchmarks against the git CLI on a generated repo of realistic incidents.
//!
//! `cargo bench` builds a repo of 10,000 incidents (one commit each, via `git fast-import`) and times
//! whole `incident` processes the way a responder runs them, next to the git commands they replace.
//! Set `INCIDENT_BENCH_N` for another size. Figures are medians over repeated runs; peak memory is the
//! child's maximum resident set size from `getrusage`.

use chrono::{DateTime, Duration, Utc};
use incident::model::{
    Incident, IncidentKind, Severity, Stamp, Status, StatusUpdate, Visibility, event_kind,
};
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

fn main() {
    if std::env::args().nth(1).as_deref() == Some("--measure-rss") {
        return measure_rss_child();
    }
    let n: usize = std::env::var("INCIDENT_BENCH_N")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000);
    let work = tempfile::tempdir().expect("temp dir");
    // INCIDENT_BENCH_PAGE=1 runs only the status-page benchmark.
    if std::env::var_os("INCIDENT_BENCH_PAGE").is_some() {
        println!(
            "\n{:<62} {:>9} {:>9} {:>9}",
            "command", "median", "min", "peak RSS"
        );
        return bench_page(work.path(), Path::new(env!("CARGO_BIN_EXE_incident")));
    }
    // INCIDENT_BENCH_KEEP=DIR keeps the generated repo there for profiling.
    let repo = match std::env::var_os("INCIDENT_BENCH_KEEP") {
        Some(dir) => PathBuf::from(dir),
        None => work.path().join("ops"),
    };
    let start = Instant::now();
    let ids = build_repo(&repo, n);
    println!(
        "built a repo of {n} incidents in {:.1} s",
        start.elapsed().as_secs_f64()
    );
    let target = &ids[n / 2];
    let rel = format!("incidents/{}/{target}.yaml", &target[..4]);
    let other = &ids[n / 3];
    let other_rel = format!("incidents/{}/{other}.yaml", &other[..4]);

    let bin = PathBuf::from(env!("CARGO_BIN_EXE_incident"));
    let incident = |args: &[&str]| {
        let mut c = Command::new(&bin);
        c.args(args)
            .current_dir(&repo)
            .env("INCIDENT_AUTHOR", "Bench <bench@example.com>");
        c
    };
    let sh = |script: String| {
        let mut c = Command::new("sh");
        c.arg("-c")
            .arg(script)
            .current_dir(&repo)
            .env("GIT_AUTHOR_NAME", "Bench")
            .env("GIT_AUTHOR_EMAIL", "bench@example.com")
            .env("GIT_COMMITTER_NAME", "Bench")
            .env("GIT_COMMITTER_EMAIL", "bench@example.com");
        c
    };

    println!(
        "\n{:<62} {:>9} {:>9} {:>9}",
        "command", "median", "min", "peak RSS"
    );
    let mut k = 0;
    report("incident log ID TEXT", 15, || {
        k += 1;
        incident(&["log", target, &format!("bench event {k}")])
    });
    let mut g = 0;
    report(
        "git: echo >> FILE && git add FILE && git commit -q -m",
        15,
        || {
            g += 1;
            sh(format!(
                "echo '# {g}' >> {other_rel} && git add {other_rel} && git commit -q -m 'bench {g}'"
            ))
        },
    );
    report("incident history ID", 15, || incident(&["history", target]));
    report("git log --oneline -- FILE", 15, || {
        let mut c = Command::new("git");
        c.args(["log", "--oneline", "--", &rel]).current_dir(&repo);
        c
    });
    report("incident list", 10, || incident(&["list"]));
    report("incident list --open --json", 10, || {
        incident(&["list", "--open", "--json"])
    });
    report("incident show ID", 15, || incident(&["show", target]));
    // The first run sets the chat target's floor and delivers the last hour (nothing: the
    // generated incidents are older); later runs read only what changed since.
    // The generated history runs to the end of 2026: the clock is set after it.
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
    report("incident notify (nothing to send)", 15, || {
        let mut c = incident(&["notify"]);
        c.env("BENCH_CHAT_URL", "http://127.0.0.1:9/never")
            .env("INCIDENT_NOW", later);
        c
    });
    report("incident stats --since 3650d", 5, || {
        incident(&["stats", "--since", "3650d"])
    });

    // The status page over 5,000 incidents, and the CI check over 1,000.
    for (size, label, args) in [
        (
            5_000,
            "incident publish --out site (5,000 incidents)",
            &["publish", "--out", "site"][..],
        ),
        (
            5_000,
            "  same, --days 3650 (all 5,000 on the page)",
            &["publish", "--out", "all", "--days", "3650"][..],
        ),
        (1_000, "incident check (1,000 incidents)", &["check"][..]),
    ] {
        let dir = work.path().join(format!("repo-{size}"));
        if !dir.exists() {
            build_repo(&dir, size);
        }
        let bin = bin.clone();
        report(label, 10, || {
            let mut c = Command::new(&bin);
            c.args(args).current_dir(&dir);
            c
        });
    }
    bench_page(work.path(), &bin);
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
            // CI publishes into an empty checkout.
            let _ = std::fs::remove_dir_all(dir.join("site"));
            let mut c = Command::new(&bin);
            c.args(["publish", "--out", "site"]).current_dir(&dir);
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
fn report(label: &str, runs: usize, mut make: impl FnMut() -> Command) {
    let mut times = Vec::with_capacity(runs);
    let mut peak_kb = 0;
    for _ in 0..runs {
        let mut cmd = make();
        let t = Instant::now();
        let status = cmd
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .status()
            .expect("spawn");
        times.push(t.elapsed().as_secs_f64() * 1000.0);
        // `check` exits 1 when it finds errors; on generated data it finds only warnings.
        assert!(status.success(), "{label} failed");
        peak_kb = peak_kb.max(rss_of(make()));
    }
    times.sort_by(f64::total_cmp);
    println!(
        "{label:<62} {:>7.1}ms {:>7.1}ms {:>7.1}MB",
        times[times.len() / 2],
        times[0],
        peak_kb as f64 / 1024.0
    );
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

/// A repo of `n` incidents over three years, one commit each, plus the policy file.
pub fn build_repo(root: &Path, n: usize) -> Vec<String> {
    std::fs::create_dir_all(root).unwrap();
    git(root, &["init", "-q", "-b", "main"]);
    let mut stream = Vec::new();
    let base: DateTime<Utc> = "2024-01-01T00:00:00Z".parse().unwrap();
    let mut config = incident::model::Config::new("Bench Corp");
    // A chat target, for `notify`: events only (no reminders of the open incidents' deadlines),
    // so with the generated history older than its floor there is nothing to send.
    config.notify.targets.push(incident::model::NotifyTarget {
        id: "chat".into(),
        kind: "slack".into(),
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
    let mut ids = Vec::with_capacity(n);
    for i in 0..n {
        let at = base + Duration::minutes((i as i64) * (3 * 365 * 24 * 60) / n as i64);
        let inc = realistic(i, at);
        let yaml = incident::store::record_to_yaml(&inc).unwrap();
        let path = format!("incidents/{}/{}.yaml", &inc.id[..4], inc.id);
        let msg = format!(
            "{}: declared\n\nIncident: {}\nEvent: declared\n",
            inc.id, inc.id
        );
        write!(stream, "commit refs/heads/main\ncommitter Bench <bench@example.com> {} +0000\ndata {}\n{msg}\n", at.timestamp(), msg.len()).unwrap();
        if i == 0 {
            write!(
                stream,
                "M 100644 inline .incident.yaml\ndata {}\n{policy}\n",
                policy.len()
            )
            .unwrap();
        }
        write!(
            stream,
            "M 100644 inline {path}\ndata {}\n{yaml}\n",
            yaml.len()
        )
        .unwrap();
        ids.push(inc.id);
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
    inc.started_at = Some(at - Duration::minutes((i % 17) as i64));
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
        "finding",
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
        false,
        &stamp(12),
    )
    .unwrap();
    inc.push_event(
        &stamp(15),
        "action",
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
            extra: Default::default(),
        });
        inc.push_event(
            &stamp(n),
            event_kind::UPDATE,
            "status update posted".into(),
            Visibility::Public,
        );
    }
    inc.set_status(Status::Monitoring, None, false, &stamp(40))
        .unwrap();
    if !i.is_multiple_of(50) {
        inc.set_status(
            Status::Resolved,
            Some("error rates normal"),
            false,
            &stamp(70),
        )
        .unwrap();
    }
    inc.fill_entry_ids();
    inc
}
