//! `cargo bench --bench serve`: `incident serve` on this machine with a local bare remote.
//!
//! 1. Alert in → page delivered: one new alert group at a time (a SEV1 by the rules, paged by the
//!    escalation policy through a webhook target), the time from sending the alert until a
//!    loopback receiver has the page; p50 and p99 over `INCIDENT_BENCH_ALERTS` alerts (default 60).
//! 2. A storm: 5,000 alerts in 200 groups at 50 per second (`INCIDENT_BENCH_STORM=N` alerts),
//!    while another clone runs `list`, `log` and `sync`: incidents declared, alerts lost (an alert
//!    answered 200 and on no timeline), the server's peak RSS, the other clone's command times.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const TOKEN: &str = "bench-token";

fn git(dir: &Path, args: &[&str]) {
    let out = Command::new("git")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("git");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn incident(bin: &Path, dir: &Path, args: &[&str]) -> Duration {
    let started = Instant::now();
    let out = Command::new(bin)
        .args(args)
        .current_dir(dir)
        .output()
        .expect("incident");
    assert!(
        out.status.success(),
        "incident {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    started.elapsed()
}

/// The pages received: incident and arrival.
type Pages = Arc<Mutex<Vec<(String, Instant)>>>;

/// A loopback receiver: the arrival time of each page, by incident.
fn receiver() -> (String, Pages) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/pages", listener.local_addr().unwrap());
    let got: Pages = Arc::default();
    let kept = got.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let kept = kept.clone();
            std::thread::spawn(move || {
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut len = 0usize;
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 {
                        return;
                    }
                    let line = line.trim_end();
                    if line.is_empty() {
                        break;
                    }
                    if let Some((k, v)) = line.split_once(':')
                        && k.eq_ignore_ascii_case("content-length")
                    {
                        len = v.trim().parse().unwrap_or(0);
                    }
                }
                let mut body = vec![0; len];
                reader.read_exact(&mut body).unwrap();
                let json: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
                if json["event"] == "page" {
                    let id = json["incident"].as_str().unwrap_or("").to_string();
                    kept.lock().unwrap().push((id, Instant::now()));
                }
                let _ = stream.write_all(
                    b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok",
                );
            });
        }
    });
    (url, got)
}

fn setup(work: &Path, bin: &Path) -> (PathBuf, PathBuf) {
    let repo = work.join("ops");
    let remote = work.join("remote.git");
    std::fs::create_dir_all(&repo).unwrap();
    git(work, &["init", "-q", "--bare", remote.to_str().unwrap()]);
    git(&repo, &["init", "-q", "-b", "main"]);
    git(&repo, &["config", "user.name", "Bench"]);
    git(&repo, &["config", "user.email", "bench@example.com"]);
    incident(
        bin,
        &repo,
        &[
            "init",
            "--no-runbooks",
            "--org",
            "Bench",
            "--service",
            "checkout",
        ],
    );
    let mut config = std::fs::read_to_string(repo.join(".incident.yaml")).unwrap();
    config = config.replace("people: []\n", "");
    config.push_str(
        "people:\n- handle: ana\n  phone: '+10000001'\n- handle: ben\n  phone: '+10000002'\n\
         notify:\n  targets:\n  - id: pager\n    kind: webhook\n    url_env: BENCH_PAGER_URL\n    events: [page]\n\
         alerts:\n  rules:\n  - match: {kind: page}\n    severity: SEV1\n    service: checkout\n  - match: {kind: storm}\n    severity: SEV4\n",
    );
    std::fs::write(repo.join(".incident.yaml"), config).unwrap();
    std::fs::create_dir_all(repo.join("oncall")).unwrap();
    std::fs::write(
        repo.join("oncall/platform.yaml"),
        "time_zone: UTC\nlayers:\n- name: primary\n  members: [ana, ben]\n  start: 2026-01-05\n  every: weekly\n",
    )
    .unwrap();
    std::fs::write(
        repo.join("oncall/escalation.yaml"),
        "policies:\n- id: sev1\n  when:\n    severity: [SEV1]\n  levels:\n  - page: [platform]\n    after: 10m\n  via: [pager]\n",
    )
    .unwrap();
    git(&repo, &["add", "-A"]);
    git(&repo, &["commit", "-qm", "bench set-up"]);
    git(&repo, &["config", "gc.auto", "0"]);
    git(
        &repo,
        &["remote", "add", "origin", remote.to_str().unwrap()],
    );
    incident(bin, &repo, &["sync"]);
    let other = work.join("laptop");
    git(
        work,
        &[
            "clone",
            "-q",
            "-b",
            "main",
            remote.to_str().unwrap(),
            other.to_str().unwrap(),
        ],
    );
    git(&other, &["config", "user.name", "Laptop"]);
    git(&other, &["config", "user.email", "laptop@example.com"]);
    (repo, other)
}

struct Server {
    child: std::process::Child,
    base: String,
}

impl Drop for Server {
    // A bench that fails half-way must not leave a server running on a deleted folder.
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start(bin: &Path, repo: &Path, pager: &str) -> Server {
    let mut child = Command::new(bin)
        .args(["serve", "--listen", "127.0.0.1:0"])
        .current_dir(repo)
        .env("INCIDENT_SERVE_TOKEN", TOKEN)
        .env("BENCH_PAGER_URL", pager)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("incident serve");
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut tx = Some(tx);
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if let Some(addr) = line
                .strip_prefix("listening on ")
                .and_then(|r| r.split_whitespace().next())
                && let Some(tx) = tx.take()
            {
                let _ = tx.send(addr.to_string());
            }
            if line.contains("warning") || line.contains("error") {
                eprintln!("server: {line}");
            }
        }
    });
    let base = rx
        .recv_timeout(Duration::from_secs(30))
        .expect("the server starts");
    Server { child, base }
}

fn post(agent: &ureq::Agent, base: &str, body: &str) -> Option<serde_json::Value> {
    let mut response = agent
        .post(&format!("{base}/alerts/generic"))
        .header("authorization", &format!("Bearer {TOKEN}"))
        .send(body.as_bytes())
        .ok()?;
    if response.status() != 200 {
        return None;
    }
    let text = response.body_mut().read_to_string().ok()?;
    serde_json::from_str(&text).ok()
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index.min(sorted.len() - 1)]
}

fn peak_rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

fn main() {
    let work = tempfile::tempdir().expect("temp dir");
    let bin = PathBuf::from(env!("CARGO_BIN_EXE_incident"));
    let (repo, laptop) = setup(work.path(), &bin);
    let (pager, pages) = receiver();
    let mut server = start(&bin, &repo, &pager);
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(60)))
        .build()
        .into();

    // 1. Alert in → page out, one group at a time.
    let count: usize = std::env::var("INCIDENT_BENCH_ALERTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(60);
    let mut latencies = Vec::new();
    for n in 0..count {
        let body = format!(
            r#"{{"group":"latency-{n}","status":"firing","summary":"checkout 5xx {n}","labels":{{"kind":"page"}}}}"#
        );
        let sent = Instant::now();
        let answer = post(&agent, &server.base, &body).expect("the alert is taken");
        let id = answer["groups"][0]["incident"]
            .as_str()
            .unwrap()
            .to_string();
        let arrived = loop {
            if let Some((_, at)) = pages.lock().unwrap().iter().find(|(i, _)| *i == id) {
                break *at;
            }
            assert!(sent.elapsed() < Duration::from_secs(60), "no page for {id}");
            std::thread::sleep(Duration::from_millis(2));
        };
        latencies.push(arrived - sent);
        std::thread::sleep(Duration::from_millis(100));
    }
    latencies.sort();
    println!(
        "alert in → page delivered ({count} alerts, one group each): p50 {:.0} ms, p99 {:.0} ms, max {:.0} ms (targets: p50 < 1 s, p99 < 2 s)",
        percentile(&latencies, 0.5).as_secs_f64() * 1000.0,
        percentile(&latencies, 0.99).as_secs_f64() * 1000.0,
        latencies.last().unwrap().as_secs_f64() * 1000.0
    );

    // 2. The storm, with a responder working on another clone meanwhile.
    let total: usize = std::env::var("INCIDENT_BENCH_STORM")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5000);
    let groups = 200.min(total);
    let (tx, rx) = std::sync::mpsc::channel::<usize>();
    let rx = Arc::new(Mutex::new(rx));
    let answered: Arc<Mutex<Vec<usize>>> = Arc::default();
    let failed: Arc<Mutex<usize>> = Arc::default();
    let senders: Vec<_> = (0..32)
        .map(|_| {
            let (rx, answered, failed, agent, base) = (
                rx.clone(),
                answered.clone(),
                failed.clone(),
                agent.clone(),
                server.base.clone(),
            );
            std::thread::spawn(move || {
                loop {
                    let next = rx.lock().unwrap().recv();
                    let Ok(n) = next else { break };
                    let body = format!(
                        r#"{{"group":"storm-{}","status":"firing","id":"s{n}","summary":"storm alert {n}","labels":{{"kind":"storm","alertname":"Storm{}"}}}}"#,
                        n % groups,
                        n % groups
                    );
                    match post(&agent, &base, &body) {
                        Some(_) => answered.lock().unwrap().push(n),
                        None => *failed.lock().unwrap() += 1,
                    }
                }
            })
        })
        .collect();
    let storming = Arc::new(std::sync::atomic::AtomicBool::new(true));
    let laptop_times: Arc<Mutex<Vec<(String, Duration)>>> = Arc::default();
    let responder = {
        let (storming, times, bin, laptop) = (
            storming.clone(),
            laptop_times.clone(),
            bin.clone(),
            laptop.clone(),
        );
        std::thread::spawn(move || {
            incident(
                &bin,
                &laptop,
                &[
                    "declare",
                    "Laptop incident",
                    "--sev",
                    "SEV3",
                    "--service",
                    "checkout",
                ],
            );
            let mut k = 0;
            while storming.load(std::sync::atomic::Ordering::Relaxed) {
                k += 1;
                let t = incident(&bin, &laptop, &["list"]);
                times.lock().unwrap().push(("list".into(), t));
                let t = incident(
                    &bin,
                    &laptop,
                    &["log", "laptop", &format!("note {k} from the laptop")],
                );
                times.lock().unwrap().push(("log".into(), t));
                let t = incident(&bin, &laptop, &["sync"]);
                times.lock().unwrap().push(("sync".into(), t));
                std::thread::sleep(Duration::from_secs(2));
            }
        })
    };
    let started = Instant::now();
    for n in 0..total {
        let due = started + Duration::from_millis(20 * n as u64);
        if let Some(wait) = due.checked_duration_since(Instant::now()) {
            std::thread::sleep(wait);
        }
        tx.send(n).unwrap();
    }
    drop(tx);
    for s in senders {
        s.join().unwrap();
    }
    let storm = started.elapsed();
    storming.store(false, std::sync::atomic::Ordering::Relaxed);
    responder.join().unwrap();
    let rss = peak_rss_kib(server.child.id());
    unsafe { libc::kill(server.child.id() as i32, libc::SIGTERM) };
    let status = server.child.wait().unwrap();
    assert!(status.success(), "the server stops cleanly on SIGTERM");
    // What the records say.
    let mut text = String::new();
    let mut incidents = 0;
    let mut stack = vec![repo.join("incidents")];
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(&dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let body = std::fs::read_to_string(&p).unwrap();
                if body.contains("- generic:storm-") {
                    incidents += 1;
                }
                text.push_str(&body);
            }
        }
    }
    let answered = answered.lock().unwrap().clone();
    let lost = answered
        .iter()
        .filter(|n| !text.contains(&format!("[s{n}]")))
        .count();
    let commits = String::from_utf8(
        Command::new("git")
            .args(["rev-list", "--count", "HEAD"])
            .current_dir(&repo)
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    println!(
        "storm: {total} alerts in {groups} groups at 50/s over {:.1} s: {} answered 200, {} refused or failed, {incidents} incidents, {lost} answered alerts on no timeline, {} commits in all, server peak RSS {:.1} MB (targets: {groups} incidents, 0 lost, < 100 MB)",
        storm.as_secs_f64(),
        answered.len(),
        failed.lock().unwrap(),
        commits.trim(),
        rss as f64 / 1024.0
    );
    let times = laptop_times.lock().unwrap();
    for what in ["list", "log", "sync"] {
        let mut ts: Vec<Duration> = times
            .iter()
            .filter(|(w, _)| w == what)
            .map(|(_, t)| *t)
            .collect();
        ts.sort();
        if !ts.is_empty() {
            println!(
                "the other clone during the storm: `{what}` ×{} median {:.0} ms, max {:.0} ms",
                ts.len(),
                percentile(&ts, 0.5).as_secs_f64() * 1000.0,
                ts.last().unwrap().as_secs_f64() * 1000.0
            );
        }
    }
    drop(server);
}
