//! `incident notify` against HTTP servers on 127.0.0.1 started here: payloads, signatures,
//! retries, timeouts, secrets kept out of everything, and exactly-once delivery across clones.

use crate::support::Repo;
use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub(crate) const SECRET: &str = "hmac-key-CANARY-7c1f";

#[derive(Debug, Clone)]
pub(crate) struct Request {
    pub(crate) path: String,
    headers: Vec<(String, String)>,
    pub(crate) body: Vec<u8>,
}

impl Request {
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub(crate) fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap()
    }
}

#[derive(Debug, Clone)]
enum Reply {
    Status(u16, Option<&'static str>),
    /// Accept the request and never answer.
    Hang,
}

/// A loopback HTTP server answering from a script (then 200), recording every request.
pub(crate) struct Server {
    pub(crate) url: String,
    requests: Arc<Mutex<Vec<Request>>>,
    script: Arc<Mutex<VecDeque<Reply>>>,
}

impl Server {
    pub(crate) fn start() -> Server {
        static SERVERS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        // A path of its own: a request meant for an earlier server on this port (a sender of
        // another test still retrying after its server was gone) is answered 404 and neither
        // recorded nor given one of this server's scripted replies.
        let own = format!(
            "/hooks/SECRET-PATH-CANARY-93ab/{}-{}",
            std::process::id(),
            SERVERS.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
        );
        let url = format!("http://{}{own}", listener.local_addr().unwrap());
        let requests: Arc<Mutex<Vec<Request>>> = Arc::default();
        let script: Arc<Mutex<VecDeque<Reply>>> = Arc::default();
        let (r, s) = (requests.clone(), script.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                let (r, s, own) = (r.clone(), s.clone(), own.clone());
                std::thread::spawn(move || {
                    let mut reader = BufReader::new(stream.try_clone().unwrap());
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 {
                        return;
                    }
                    let path = line.split_whitespace().nth(1).unwrap_or("").to_string();
                    let mut headers = Vec::new();
                    loop {
                        let mut h = String::new();
                        reader.read_line(&mut h).unwrap();
                        let h = h.trim_end().to_string();
                        if h.is_empty() {
                            break;
                        }
                        if let Some((k, v)) = h.split_once(':') {
                            headers.push((k.trim().to_string(), v.trim().to_string()));
                        }
                    }
                    let len: usize = headers
                        .iter()
                        .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
                        .and_then(|(_, v)| v.parse().ok())
                        .unwrap_or(0);
                    let mut body = vec![0; len];
                    reader.read_exact(&mut body).unwrap();
                    if path.split('?').next() != Some(own.as_str()) {
                        let _ = write!(
                            stream,
                            "HTTP/1.1 404 X\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
                        );
                        return;
                    }
                    r.lock().unwrap().push(Request {
                        path,
                        headers,
                        body,
                    });
                    let reply = s.lock().unwrap().pop_front();
                    let (code, extra) = match reply {
                        Some(Reply::Hang) => {
                            std::thread::sleep(Duration::from_secs(60));
                            return;
                        }
                        Some(Reply::Status(code, extra)) => (code, extra),
                        None => (200, None),
                    };
                    let extra = extra.map(|h| format!("{h}\r\n")).unwrap_or_default();
                    let _ = write!(
                        stream,
                        "HTTP/1.1 {code} X\r\nContent-Length: 2\r\nConnection: close\r\n{extra}\r\nok"
                    );
                });
            }
        });
        Server {
            url,
            requests,
            script,
        }
    }

    fn then(&self, reply: Reply) -> &Server {
        self.script.lock().unwrap().push_back(reply);
        self
    }

    pub(crate) fn received(&self) -> Vec<Request> {
        self.requests.lock().unwrap().clone()
    }
}

const TARGETS: &str = "notify:
  targets:
  - id: ops-chat
    kind: slack
    url_env: TEST_CHAT_URL
    internal: true
  - id: partners
    kind: webhook
    url_env: TEST_HOOK_URL
    secret_env: TEST_HOOK_SECRET
    events: [declared, update, resolved]
  timeout: 1s
  backoff: 1s
  attempts: 3
  claim_timeout: 2s
";

fn with_targets(repo: &Repo) {
    let config = std::fs::read_to_string(repo.root.join(".incident.yaml")).unwrap();
    repo.write(".incident.yaml", &format!("{config}{TARGETS}"));
    repo.git(&["commit", "-qam", "notification targets"]);
}

fn notify(repo: &Repo, chat: &Server, hook: &Server, args: &[&str]) -> std::process::Output {
    repo.cmd()
        .env("TEST_CHAT_URL", &chat.url)
        .env("TEST_HOOK_URL", &hook.url)
        .env("TEST_HOOK_SECRET", SECRET)
        .arg("notify")
        .args(args)
        .output()
        .unwrap()
}

/// The repo's folder and `n` more clones of `remote` beside it.
pub(crate) fn with_clones(
    repo: &Repo,
    remote: &std::path::Path,
    n: usize,
) -> Vec<std::path::PathBuf> {
    let mut dirs = vec![repo.root.clone()];
    for k in 1..=n {
        let dir = repo.home.path().join(format!("clone{k}"));
        repo.git(&[
            "clone",
            "-q",
            remote.to_str().unwrap(),
            dir.to_str().unwrap(),
        ]);
        dirs.push(dir);
    }
    dirs
}

/// `notify --since 1h` in every folder at once, as cron jobs on several machines would, at `now`.
fn notify_everywhere(
    repo: &Repo,
    dirs: &[std::path::PathBuf],
    chat: &Server,
    hook: &Server,
    now: &str,
) {
    let children: Vec<_> = dirs
        .iter()
        .map(|dir| {
            let mut cmd = repo.spawnable(&["notify", "--since", "1h"]);
            cmd.current_dir(dir)
                .env("INCIDENT_NOW", now)
                .env("TEST_CHAT_URL", &chat.url)
                .env("TEST_HOOK_URL", &hook.url)
                .env("TEST_HOOK_SECRET", SECRET);
            std::thread::spawn(move || cmd.output().unwrap())
        })
        .collect();
    for c in children {
        let out = c.join().unwrap();
        assert!(out.status.success(), "{}", text(&out));
    }
}

fn text(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr)
}

#[test]
fn each_target_gets_its_payload_once_signed_and_without_secrets_anywhere() {
    let repo = Repo::new();
    with_targets(&repo);
    let (chat, hook) = (Server::start(), Server::start());
    let id = repo.declare(
        "Checkout down",
        &["--sev", "SEV1", "--commander", "alice", "--update"],
    );
    repo.ok(&[
        "log",
        &id,
        "INTERNAL-CANARY db primary at 100% cpu",
        "--internal",
    ]);
    repo.ok(&["severity", &id, "SEV2", "--reason", "fewer errors"]);

    let first = notify(&repo, &chat, &hook, &[]);
    assert_eq!(first.status.code(), Some(1));
    assert!(text(&first).contains("--since"), "{}", text(&first));
    assert!(chat.received().is_empty() && hook.received().is_empty());

    let dry = notify(&repo, &chat, &hook, &["--dry-run", "--since", "1h"]);
    assert!(dry.status.success(), "{}", text(&dry));
    let planned = text(&dry);
    assert!(planned.contains("would send to partners"), "{planned}");
    assert!(chat.received().is_empty(), "a dry run sends nothing");
    // Times read as everywhere else on the terminal: in the local zone, labelled with it.
    let kolkata = repo
        .cmd()
        .env("TEST_CHAT_URL", &chat.url)
        .env("TEST_HOOK_URL", &hook.url)
        .env("TEST_HOOK_SECRET", SECRET)
        .env("TZ", "Asia/Kolkata")
        .args(["notify", "--dry-run", "--since", "1h"])
        .output()
        .unwrap();
    let planned_there = text(&kolkata);
    let at = |s: &str| {
        s.lines()
            .find(|l| l.contains("would send to partners"))
            .map(String::from)
    };
    assert!(
        at(&planned_there).is_some_and(|l| l.contains(" UTC+05:30)")),
        "{planned_there}"
    );
    assert!(
        at(&planned).is_some_and(|l| l.contains(" UTC)")),
        "{planned}"
    );
    assert!(chat.received().is_empty(), "a dry run sends nothing");

    let sent = notify(&repo, &chat, &hook, &["--since", "1h"]);
    assert!(sent.status.success(), "{}", text(&sent));
    let chat_got = chat.received();
    let hook_got = hook.received();
    // Chat: the declaration, the first update, the internal note, the severity change.
    let kinds: Vec<String> = chat_got
        .iter()
        .map(|r| r.header("Idempotency-Key").unwrap().to_string())
        .collect();
    assert_eq!(chat_got.len(), 4, "{kinds:?}");
    assert!(
        chat_got
            .iter()
            .any(|r| String::from_utf8_lossy(&r.body).contains("INTERNAL-CANARY")),
        "the internal channel gets internal notes"
    );
    // The partners' webhook asked for declared and update only, and is not internal.
    assert_eq!(hook_got.len(), 2, "{hook_got:?}");
    for r in &hook_got {
        assert!(!String::from_utf8_lossy(&r.body).contains("INTERNAL-CANARY"));
        let expected = {
            use hmac::{Hmac, Mac};
            let mut mac = Hmac::<sha2::Sha256>::new_from_slice(SECRET.as_bytes()).unwrap();
            mac.update(&r.body);
            let hex: String = mac
                .finalize()
                .into_bytes()
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect();
            format!("sha256={hex}")
        };
        assert_eq!(
            r.header("X-Incident-Signature-256"),
            Some(expected.as_str())
        );
        let body = r.json();
        assert_eq!(
            body["idempotency_key"],
            r.header("Idempotency-Key").unwrap()
        );
        assert!(
            body["idempotency_key"]
                .as_str()
                .unwrap()
                .ends_with("/partners")
        );
        assert_eq!(body["incident"], id.as_str());
    }
    assert!(
        chat_got.iter().all(|r| chat.url.ends_with(&r.path)
            && r.path.starts_with("/hooks/SECRET-PATH-CANARY-93ab/"))
    );
    let slack = chat_got[0].json();
    assert!(slack["blocks"][0]["text"]["type"] == "mrkdwn", "{slack}");
    assert!(
        slack["text"].as_str().unwrap().contains("Checkout down"),
        "{slack}"
    );
    assert_eq!(hook_got[0].json()["event"], "declared");

    // Exactly once: nothing is due any more.
    let again = notify(&repo, &chat, &hook, &["--since", "1h"]);
    assert!(text(&again).contains("sent 0"), "{}", text(&again));
    assert_eq!(chat.received().len(), 4);
    assert_eq!(hook.received().len(), 2);
    // New events are sent without --since now that the targets have a history.
    repo.ok(&["resolve", &id]);
    let later = notify(&repo, &chat, &hook, &[]);
    assert!(later.status.success(), "{}", text(&later));
    assert_eq!(hook.received().len(), 3);

    // No secret anywhere: outputs, the ledger's objects, the repo's files and history.
    let mut places = vec![
        text(&first),
        planned,
        text(&sent),
        text(&again),
        text(&later),
    ];
    places.push(repo.git(&["log", "--all", "-p"]));
    for r in repo
        .git(&[
            "for-each-ref",
            "--format=%(objectname)",
            "refs/incident-notify",
        ])
        .lines()
    {
        places.push(repo.git(&["cat-file", "-p", r]));
    }
    places.push(std::fs::read_to_string(repo.root.join(".incident.yaml")).unwrap());
    for p in &places {
        for secret in [SECRET, "SECRET-PATH-CANARY", chat.url.as_str()] {
            assert!(!p.contains(secret), "a secret leaked: {p}");
        }
    }
}

#[test]
fn retries_honour_retry_after_stop_on_4xx_and_time_out() {
    let mut repo = Repo::new();
    with_targets(&repo);
    let config = std::fs::read_to_string(repo.root.join(".incident.yaml")).unwrap();
    // Only the webhook, and only declarations.
    repo.write(
        ".incident.yaml",
        &config.replace(
            "  - id: ops-chat\n    kind: slack\n    url_env: TEST_CHAT_URL\n    internal: true\n",
            "",
        ),
    );
    repo.git(&["commit", "-qam", "one target"]);
    let (chat, hook) = (Server::start(), Server::start());
    let declare = |title: &str| repo.declare(title, &["--sev", "SEV3"]);

    declare("First");
    hook.then(Reply::Status(500, None));
    let out = notify(&repo, &chat, &hook, &["--since", "1h"]);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(hook.received().len(), 2, "500, then delivered");

    declare("Second");
    hook.then(Reply::Status(429, Some("Retry-After: 2")));
    let started = Instant::now();
    let out = notify(&repo, &chat, &hook, &[]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        started.elapsed() >= Duration::from_secs(2),
        "waited as asked"
    );
    assert_eq!(hook.received().len(), 4);

    let third = declare("Third");
    hook.then(Reply::Status(401, None));
    let out = notify(&repo, &chat, &hook, &[]);
    assert_eq!(out.status.code(), Some(1));
    let said = text(&out);
    assert!(
        said.contains("HTTP 401") && said.contains("not retried"),
        "{said}"
    );
    assert!(!said.contains(&hook.url), "{said}");
    assert_eq!(hook.received().len(), 5, "a 401 is not retried");
    let status = repo.ok(&["notify", "--status"]);
    assert!(
        status.contains(&third) && status.contains("HTTP 401"),
        "{status}"
    );

    // A server that never answers: each attempt times out after 1 s.
    repo.wait(3); // the failed claim times out
    hook.then(Reply::Hang).then(Reply::Hang).then(Reply::Hang);
    let started = Instant::now();
    let out = notify(&repo, &chat, &hook, &[]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(text(&out).contains("timed out"), "{}", text(&out));
    assert!(started.elapsed() < Duration::from_secs(20));
    // Then the server recovers and the notification goes out.
    repo.wait(3);
    let out = notify(&repo, &chat, &hook, &[]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        repo.ok(&["notify", "--status"])
            .contains("no failed deliveries")
    );
}

/// Three clones sharing a bare remote run `notify` at once: each notification reaches the server
/// exactly once; a sender killed after its claim leaves it to be retried once the claim times out.
#[test]
fn three_clones_at_once_deliver_each_notification_exactly_once() {
    let repo = Repo::new();
    with_targets(&repo);
    let remote = repo.home.path().join("remote.git");
    repo.git(&["init", "-q", "--bare", remote.to_str().unwrap()]);
    repo.git(&["remote", "add", "origin", remote.to_str().unwrap()]);
    for n in 0..4 {
        repo.declare(&format!("Incident {n}"), &["--sev", "SEV2", "--update"]);
    }
    repo.ok(&["sync"]);
    let dirs = with_clones(&repo, &remote, 2);
    let (chat, hook) = (Server::start(), Server::start());
    notify_everywhere(&repo, &dirs, &chat, &hook, &repo.later_by(0));
    let mut keys: Vec<String> = chat
        .received()
        .iter()
        .chain(hook.received().iter())
        .map(|r| r.header("Idempotency-Key").unwrap().to_string())
        .collect();
    let total = keys.len();
    keys.sort();
    keys.dedup();
    assert_eq!(total, keys.len(), "a notification was delivered twice");
    // 4 × (declared + update) to both targets.
    assert_eq!(total, 16);
    let sent = repo.git(&[
        "--git-dir",
        remote.to_str().unwrap(),
        "for-each-ref",
        "refs/incident-notify/sent",
    ]);
    assert_eq!(sent.lines().count(), 16, "the shared ledger says so");

    // A sender killed between its claim and the send.
    let id = repo.declare("Late", &["--sev", "SEV2"]);
    repo.ok(&["sync"]);
    hook.then(Reply::Hang);
    let before = hook.received().len();
    let mut child = {
        let mut cmd = repo.spawnable(&["notify"]);
        cmd.env("TEST_CHAT_URL", &chat.url)
            .env("TEST_HOOK_URL", &hook.url)
            .env("TEST_HOOK_SECRET", SECRET);
        cmd.spawn().unwrap()
    };
    let deadline = Instant::now() + Duration::from_secs(10);
    while hook.received().len() == before && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    // Another clone sees the fresh claim and leaves it alone ...
    let mut cmd = repo.spawnable(&["notify"]);
    cmd.current_dir(&dirs[1])
        .env("TEST_CHAT_URL", &chat.url)
        .env("TEST_HOOK_URL", &hook.url)
        .env("TEST_HOOK_SECRET", SECRET);
    repo.git(&[
        "-C",
        dirs[1].to_str().unwrap(),
        "pull",
        "-q",
        "origin",
        "main",
    ]);
    let out = cmd.output().unwrap();
    assert!(
        text(&out).contains("left 1 to another sender"),
        "{}",
        text(&out)
    );
    // ... and retries it once the claim timed out (2 s by the clock of `incident`).
    cmd.env("INCIDENT_NOW", repo.later_by(3));
    let out = cmd.output().unwrap();
    assert!(out.status.success(), "{}", text(&out));
    let late: Vec<Request> = hook
        .received()
        .into_iter()
        .filter(|r| r.header("Idempotency-Key").unwrap().starts_with(&id))
        .collect();
    assert_eq!(
        late.len(),
        2,
        "sent again after the kill, same idempotency key"
    );
    assert_eq!(
        late[0].header("Idempotency-Key"),
        late[1].header("Idempotency-Key")
    );
}

/// What each kind of target receives for a declaration and a resolution (snapshots), and PagerDuty
/// opens, acknowledges and resolves one alert per incident (its dedup key).
#[test]
fn every_kind_gets_the_payload_it_expects() {
    let repo = Repo::new();
    let kinds = [
        "slack",
        "teams",
        "mattermost",
        "discord",
        "pagerduty",
        "webhook",
    ];
    let servers: Vec<Server> = kinds.iter().map(|_| Server::start()).collect();
    let mut config = std::fs::read_to_string(repo.root.join(".incident.yaml")).unwrap();
    config.push_str("notify:\n  targets:\n");
    for kind in kinds {
        config.push_str(&format!(
            "  - id: to-{kind}\n    kind: {kind}\n    url_env: TEST_URL_{}\n",
            kind.to_uppercase()
        ));
        if kind == "pagerduty" {
            config.push_str("    secret_env: TEST_PD_KEY\n");
        } else {
            config.push_str("    events: [declared, resolved]\n");
        }
    }
    repo.write(".incident.yaml", &config);
    repo.git(&["commit", "-qam", "every kind"]);
    let id = repo.declare(
        "Checkout down",
        &["--sev", "SEV1", "--commander", "alice", "--update"],
    );
    repo.ok(&["status", &id, "identified"]);
    repo.ok(&["resolve", &id, "--no-update"]);
    let mut cmd = repo.cmd();
    for (kind, server) in kinds.iter().zip(&servers) {
        cmd.env(format!("TEST_URL_{}", kind.to_uppercase()), &server.url);
    }
    let out = cmd
        .env("TEST_PD_KEY", "pd-routing-key-CANARY")
        .args(["notify", "--since", "1h"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    assert!(!text(&out).contains("pd-routing-key-CANARY"));
    for (kind, server) in kinds.iter().zip(&servers) {
        let bodies: Vec<serde_json::Value> = server.received().iter().map(Request::json).collect();
        insta::assert_snapshot!(
            format!("notify-payload-{kind}"),
            serde_json::to_string_pretty(&bodies).unwrap()
        );
    }
    let pd: Vec<serde_json::Value> = servers[4].received().iter().map(Request::json).collect();
    let actions: Vec<&str> = pd
        .iter()
        .map(|e| e["event_action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["trigger", "acknowledge", "resolve"]);
    assert!(pd.iter().all(|e| e["dedup_key"] == id.as_str()));
    assert_eq!(pd[0]["payload"]["severity"], "critical");
    assert_eq!(pd[0]["routing_key"], "pd-routing-key-CANARY");
}

/// `--notify` (or `notify: auto`) delivers a change's notifications right after its commit; a
/// delivery that fails never fails the change.
#[test]
fn a_change_can_notify_right_after_its_commit() {
    let repo = Repo::new();
    with_targets(&repo);
    let (chat, hook) = (Server::start(), Server::start());
    let run = |args: &[&str]| {
        repo.cmd()
            .env("TEST_CHAT_URL", &chat.url)
            .env("TEST_HOOK_URL", &hook.url)
            .env("TEST_HOOK_SECRET", SECRET)
            .args(args)
            .output()
            .unwrap()
    };
    let out = run(&[
        "--notify",
        "declare",
        "Search slow",
        "--sev",
        "SEV3",
        "--service",
        "search",
    ]);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(chat.received().len(), 1, "the declaration, right away");
    assert_eq!(hook.received().len(), 1);
    let id = repo.ids_of_year("2026")[0].clone();
    // Without the flag and without `auto`, nothing is sent.
    let out = run(&["log", &id, "looking at the index"]);
    assert!(out.status.success());
    assert_eq!(chat.received().len(), 1);
    // With `notify: auto`, every change notifies; a failing target only warns.
    let config = std::fs::read_to_string(repo.root.join(".incident.yaml")).unwrap();
    repo.write(
        ".incident.yaml",
        &config.replace("  attempts: 3\n", "  attempts: 1\n  auto: true\n"),
    );
    repo.git(&["commit", "-qam", "notify automatically"]);
    hook.then(Reply::Status(500, None));
    let out = run(&[
        "update",
        &id,
        "--impacted",
        "search is slow",
        "--learned",
        "an index rebuild",
    ]);
    assert!(out.status.success(), "the change stands: {}", text(&out));
    assert!(
        text(&out).contains("warning: notification"),
        "{}",
        text(&out)
    );
    assert!(repo.read(&id).contains("an index rebuild"));
    // The chat got the note from before and the update; the failed webhook is retried later.
    assert_eq!(chat.received().len(), 3);
    let status = repo.ok(&["notify", "--status"]);
    assert!(status.contains("HTTP 500"), "{status}");
}

/// Responders' channels are reminded of what an incident owes (`due`), once per deadline; customer
/// channels never are.
#[test]
fn reminders_of_deadlines_go_once_to_internal_channels() {
    let mut repo = Repo::new();
    with_targets(&repo);
    let (chat, hook) = (Server::start(), Server::start());
    repo.at("2026-11-25T10:00:00Z");
    let id = repo.declare(
        "Checkout down",
        &["--sev", "SEV1", "--commander", "alice", "--update"],
    );
    // The first run is bounded; the later ones are quick runs (only changed records and the
    // incidents that were active), which must still find the reminders.
    let out = notify(&repo, &chat, &hook, &["--since", "1h"]);
    assert!(out.status.success(), "{}", text(&out));
    let run = |repo: &Repo| {
        let out = notify(repo, &chat, &hook, &[]);
        assert!(out.status.success(), "{}", text(&out));
    };
    let reminders = |server: &Server| -> Vec<String> {
        server
            .received()
            .iter()
            .map(|r| String::from_utf8_lossy(&r.body).to_string())
            .filter(|b| b.contains("due in") || b.contains("overdue by"))
            .collect()
    };
    assert!(reminders(&chat).is_empty(), "nothing is due yet");
    repo.at("2026-11-25T10:25:00Z");
    run(&repo);
    let got = reminders(&chat);
    // SEV1: the next update (30 min cadence) and the customers (30 min) are both due at 10:30.
    assert_eq!(got.len(), 2, "{got:?}");
    assert!(
        got.iter()
            .any(|b| b.contains("next public update due in 5 min"))
    );
    assert!(
        got.iter()
            .any(|b| b.contains("customer notification due in 5 min"))
    );
    repo.at("2026-11-25T10:40:00Z");
    run(&repo);
    assert_eq!(
        reminders(&chat).len(),
        2,
        "once per deadline, even once it is overdue"
    );
    assert!(reminders(&hook).is_empty(), "never to a customer channel");
    // A new update makes a new deadline (11:10), reminded in its turn; the executives (11:00)
    // are reminded once it is close.
    repo.ok(&[
        "update",
        &id,
        "--impacted",
        "checkout",
        "--learned",
        "rollback",
    ]);
    repo.at("2026-11-25T11:05:00Z");
    run(&repo);
    let got = reminders(&chat);
    assert_eq!(got.len(), 4, "{got:?}");
    assert!(
        got[2..]
            .iter()
            .any(|b| b.contains("next public update due in 5 min"))
    );
    assert!(
        got[2..]
            .iter()
            .any(|b| b.contains("executive briefing overdue by 5 min"))
    );
}

/// A minimal SMTP server on 127.0.0.1: answers every command and records each message's data.
fn smtp_server() -> (String, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let messages: Arc<Mutex<Vec<String>>> = Arc::default();
    let m = messages.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let m = m.clone();
            std::thread::spawn(move || {
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let _ = write!(stream, "220 localhost ESMTP test\r\n");
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 {
                        return;
                    }
                    let verb = line.trim().to_ascii_uppercase();
                    if verb.starts_with("EHLO") || verb.starts_with("HELO") {
                        let _ = write!(
                            stream,
                            "250-localhost\r\n250-AUTH PLAIN LOGIN\r\n250 8BITMIME\r\n"
                        );
                    } else if verb.starts_with("AUTH") {
                        let _ = write!(stream, "235 authenticated\r\n");
                    } else if verb.starts_with("DATA") {
                        let _ = write!(stream, "354 go ahead\r\n");
                        let mut data = String::new();
                        loop {
                            let mut l = String::new();
                            if reader.read_line(&mut l).unwrap_or(0) == 0 || l == ".\r\n" {
                                break;
                            }
                            data.push_str(&l);
                        }
                        m.lock().unwrap().push(data);
                        let _ = write!(stream, "250 queued\r\n");
                    } else if verb.starts_with("QUIT") {
                        let _ = write!(stream, "221 bye\r\n");
                        return;
                    } else {
                        let _ = write!(stream, "250 OK\r\n");
                    }
                }
            });
        }
    });
    (
        format!("smtp://notify:PASSWORD-CANARY-55@127.0.0.1:{port}"),
        messages,
    )
}

/// An e-mail target sends each notification to its list, an update in the e-mail channel's words
/// (its `Subject:` line), with a Message-ID from the notification key; the password never shows.
#[test]
fn email_goes_to_the_audience_list_over_smtp() {
    let repo = Repo::new();
    let config = std::fs::read_to_string(repo.root.join(".incident.yaml")).unwrap();
    repo.write(
        ".incident.yaml",
        &format!(
            "{config}notify:\n  targets:\n  - id: executives\n    kind: email\n    url_env: TEST_SMTP_URL\n    from: incidents@acme.example\n    to: [ceo@acme.example, cto@acme.example]\n    events: [declared, update]\n    severities: [SEV1]\n"
        ),
    );
    repo.git(&["commit", "-qam", "executives by e-mail"]);
    let (url, messages) = smtp_server();
    repo.declare(
        "Checkout down",
        &["--sev", "SEV1", "--commander", "alice", "--update"],
    );
    repo.declare("Search slow", &["--sev", "SEV3", "--update"]);
    let out = repo
        .cmd()
        .env("TEST_SMTP_URL", &url)
        .args(["notify", "--since", "1h"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    assert!(!text(&out).contains("PASSWORD-CANARY"));
    let got = messages.lock().unwrap().clone();
    assert_eq!(
        got.len(),
        2,
        "the SEV1's declaration and update only: {got:?}"
    );
    for m in &got {
        assert!(m.contains("To: ceo@acme.example, cto@acme.example"), "{m}");
        assert!(m.contains("From: incidents@acme.example"), "{m}");
        assert!(m.contains("Message-ID: <"), "{m}");
    }
    assert!(
        got[0].contains("Subject: [SEV1] Checkout down: declared"),
        "{}",
        got[0]
    );
    assert!(
        got[1].contains("Subject:") && got[1].contains("Checkout down"),
        "the update's own subject line: {}",
        got[1]
    );
    let again = repo
        .cmd()
        .env("TEST_SMTP_URL", &url)
        .args(["notify"])
        .output()
        .unwrap();
    assert!(again.status.success(), "{}", text(&again));
    assert_eq!(messages.lock().unwrap().len(), 2, "once");
    repo.declare("Payments down", &["--sev", "SEV1", "--commander", "alice"]);
    let bad = repo.cmd().args(["notify"]).output().unwrap();
    assert_eq!(bad.status.code(), Some(1), "{}", text(&bad));
    assert!(text(&bad).contains("TEST_SMTP_URL"), "{}", text(&bad));
}

/// A target's first run sets where its history starts: a later run without `--since` never sends
/// what the first run left out.
#[test]
fn the_first_runs_since_is_the_floor_of_later_runs() {
    let mut repo = Repo::new();
    with_targets(&repo);
    let (chat, hook) = (Server::start(), Server::start());
    repo.at("2026-11-25T07:00:00Z");
    repo.declare("Old outage", &["--sev", "SEV3", "--update"]);
    repo.at("2026-11-25T10:00:00Z");
    repo.declare("New outage", &["--sev", "SEV3", "--update"]);
    let out = notify(&repo, &chat, &hook, &["--since", "1h"]);
    assert!(out.status.success(), "{}", text(&out));
    let before = hook.received().len();
    assert!(before > 0);
    let out = notify(&repo, &chat, &hook, &[]);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(
        hook.received().len(),
        before,
        "nothing older than the first run's floor"
    );
    assert!(
        hook.received()
            .iter()
            .all(|r| !String::from_utf8_lossy(&r.body).contains("Old outage"))
    );
    // Asking for more, explicitly, sends it.
    let out = notify(&repo, &chat, &hook, &["--since", "1d"]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        hook.received()
            .iter()
            .any(|r| String::from_utf8_lossy(&r.body).contains("Old outage"))
    );
}

/// After a complete run, the next one reads only records changed since (and active incidents): a
/// note on an old resolved incident is still found, and so is everything after a history rewrite
/// or with the run state gone.
#[test]
fn a_run_after_a_complete_one_still_sees_every_change() {
    let repo = Repo::new();
    with_targets(&repo);
    let (chat, hook) = (Server::start(), Server::start());
    let old = repo.declare("Old outage", &["--sev", "SEV3", "--update"]);
    repo.ok(&["resolve", &old]);
    let out = notify(&repo, &chat, &hook, &["--since", "1h"]);
    assert!(out.status.success(), "{}", text(&out));
    let state = repo.root.join(".git/incident-cache/notify-state.json");
    assert!(state.is_file(), "a complete run records where it got to");
    let count = |s: &Server, needle: &str| {
        s.received()
            .iter()
            .filter(|r| String::from_utf8_lossy(&r.body).contains(needle))
            .count()
    };
    repo.ok(&["log", &old, "NOTE-ONE follow-up found"]);
    let out = notify(&repo, &chat, &hook, &[]);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(
        count(&chat, "NOTE-ONE"),
        1,
        "a changed resolved record is read"
    );
    std::fs::remove_file(&state).unwrap();
    repo.ok(&["log", &old, "NOTE-TWO another"]);
    let out = notify(&repo, &chat, &hook, &[]);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(
        count(&chat, "NOTE-TWO"),
        1,
        "without the state, everything is read"
    );
    // A damaged state (a checked cache file: its header holds the body's hash) is no state,
    // even when the damage reads as a state: here one claiming it saw the newest commit.
    repo.ok(&["log", &old, "NOTE-DAMAGED state"]);
    let kept = std::fs::read_to_string(&state).unwrap();
    let (header, body) = kept.split_once('\n').unwrap();
    assert!(header.starts_with("incident-cache "), "{kept}");
    let mut body: serde_json::Value = serde_json::from_str(body).unwrap();
    body["head"] = repo.git(&["rev-parse", "HEAD"]).trim().into();
    std::fs::write(&state, format!("{header}\n{body}")).unwrap();
    let out = notify(&repo, &chat, &hook, &[]);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(count(&chat, "NOTE-DAMAGED"), 1);
    // A rewritten history: the recorded HEAD is gone.
    repo.git(&["commit", "--amend", "-q", "-m", "amended"]);
    repo.ok(&["log", &old, "NOTE-THREE after the rewrite"]);
    let out = notify(&repo, &chat, &hook, &[]);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(count(&chat, "NOTE-THREE"), 1);
    assert_eq!(count(&chat, "NOTE-ONE"), 1, "and nothing twice");
}

/// Maintenance steps are news for every target that asks for them; an action item that falls
/// overdue is announced once to responders, even by a quick run after a complete one.
#[test]
fn maintenance_and_overdue_action_items_are_announced() {
    let mut repo = Repo::new();
    with_targets(&repo);
    let (chat, hook) = (Server::start(), Server::start());
    let id = repo.declare("Queue backlog", &["--sev", "SEV3", "--update"]);
    repo.ok(&["resolve", &id]);
    repo.ok(&[
        "action",
        "add",
        &id,
        "Alert on queue depth",
        "--owner",
        "bob",
        "--due",
        "2026-11-26",
    ]);
    repo.ok(&[
        "maintenance",
        "schedule",
        "Broker upgrade",
        "--service",
        "checkout",
        "--from",
        "2026-11-27T02:00:00Z",
        "--until",
        "1h",
    ]);
    let out = notify(&repo, &chat, &hook, &["--since", "1h"]);
    assert!(out.status.success(), "{}", text(&out));
    let bodies = |s: &Server| -> Vec<String> {
        s.received()
            .iter()
            .map(|r| String::from_utf8_lossy(&r.body).to_string())
            .collect()
    };
    assert_eq!(
        bodies(&chat)
            .iter()
            .filter(|b| b.contains("Maintenance scheduled: Broker upgrade"))
            .count(),
        1
    );
    assert!(
        !bodies(&hook).iter().any(|b| b.contains("Broker upgrade")),
        "the webhook did not ask for maintenance"
    );
    assert!(!bodies(&chat).iter().any(|b| b.contains("was due")));

    repo.at("2026-11-27T09:00:00Z");
    let out = notify(&repo, &chat, &hook, &[]);
    assert!(out.status.success(), "{}", text(&out));
    let overdue: Vec<String> = bodies(&chat)
        .into_iter()
        .filter(|b| b.contains("was due 2026-11-26"))
        .collect();
    assert_eq!(overdue.len(), 1, "{overdue:?}");
    assert!(overdue[0].contains("Alert on queue depth") && overdue[0].contains("bob"));
    assert!(
        !bodies(&hook).iter().any(|b| b.contains("was due")),
        "internal only"
    );
    let out = notify(&repo, &chat, &hook, &[]);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(
        bodies(&chat)
            .iter()
            .filter(|b| b.contains("was due 2026-11-26"))
            .count(),
        1,
        "once"
    );
}

/// A target still failing after its retries is left for the rest of the run (its other messages
/// are deferred, not tried one by one), and the next run delivers them.
#[test]
fn a_failing_target_defers_the_rest_of_its_queue() {
    let mut repo = Repo::new();
    with_targets(&repo);
    let (chat, hook) = (Server::start(), Server::start());
    repo.declare("First", &["--sev", "SEV3"]);
    repo.declare("Second", &["--sev", "SEV3"]);
    for _ in 0..3 {
        hook.then(Reply::Status(503, None));
    }
    let out = notify(&repo, &chat, &hook, &["--since", "1h"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out).contains("1 deferred"), "{}", text(&out));
    assert_eq!(
        hook.received().len(),
        3,
        "three attempts for the first, none for the second"
    );
    assert_eq!(chat.received().len(), 2, "other targets carry on");
    repo.wait(3); // the failed claim times out
    let out = notify(&repo, &chat, &hook, &[]);
    assert!(out.status.success(), "{}", text(&out));
    let keys: Vec<String> = hook
        .received()
        .iter()
        .map(|r| r.header("Idempotency-Key").unwrap().to_string())
        .collect();
    let mut unique = keys[3..].to_vec();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), 2, "both delivered now: {keys:?}");
}

/// Each delivery adds two refs and two loose objects to the ledger; a run that delivered starts
/// git's housekeeping as a commit does (see `changes_pack_loose_objects_when_git_would`), which
/// packs the objects, and the refs too once there are many.
#[test]
fn a_run_that_delivered_lets_git_pack_the_ledger() {
    let repo = Repo::new();
    with_targets(&repo);
    let (chat, hook) = (Server::start(), Server::start());
    repo.declare("Checkout down", &["--sev", "SEV2", "--update"]);
    repo.git(&["config", "gc.auto", "1"]);
    repo.fill_objects_17(2);
    let sent = notify(&repo, &chat, &hook, &["--since", "1h"]);
    assert!(sent.status.success(), "{}", text(&sent));
    let delivered = chat.received().len() + hook.received().len();
    assert!(delivered > 0);
    let stamps: Vec<String> = repo
        .git(&[
            "for-each-ref",
            "--format=%(objectname)",
            "refs/incident-notify/sent",
        ])
        .lines()
        .map(str::to_string)
        .collect();
    assert_eq!(stamps.len(), delivered);
    assert!(
        repo.wait_for_gc(|| !stamps.iter().any(|s| repo.is_loose(s))),
        "the ledger's stamps were packed"
    );
    // Read from the pack, nothing is sent twice.
    let again = notify(&repo, &chat, &hook, &[]);
    assert!(again.status.success(), "{}", text(&again));
    assert_eq!(chat.received().len() + hook.received().len(), delivered);
}

/// The hashed ledger name of a notification key, as `refs/incident-notify/<kind>/<this>`.
fn ledger_name(key: &str) -> String {
    use sha1::Digest;
    sha1::Sha1::digest(key.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[test]
fn a_stale_ledger_lock_from_a_killed_sender_is_cleared_and_a_live_one_is_left_alone() {
    let repo = Repo::new();
    with_targets(&repo);
    repo.declare("Checkout down", &["--sev", "SEV2", "--update"]);
    let (chat, hook) = (Server::start(), Server::start());
    let out = notify(
        &repo,
        &chat,
        &hook,
        &["--since", "1h", "--dry-run", "--json"],
    );
    let plan: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let keys: Vec<String> = plan["dry_run"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["key"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(keys.len(), 4, "{plan}");
    let claims = repo.root.join(".git/refs/incident-notify/claims");
    std::fs::create_dir_all(&claims).unwrap();
    // A killed sender's lock, a minute old; and one a live sender holds this moment.
    let stale = claims.join(format!("{}.lock", ledger_name(&keys[0])));
    std::fs::write(&stale, "").unwrap();
    let aged = std::process::Command::new("touch")
        .args(["-d", "1 minute ago"])
        .arg(&stale)
        .status()
        .unwrap();
    assert!(aged.success());
    let live = claims.join(format!("{}.lock", ledger_name(&keys[1])));
    std::fs::write(&live, "").unwrap();

    let out = notify(&repo, &chat, &hook, &["--since", "1h"]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains("left 1 to another sender"),
        "{}",
        text(&out)
    );
    assert!(!stale.exists(), "the stale lock is cleared");
    assert!(live.exists(), "a live sender's lock is not touched");
    let delivered = |key: &str| {
        chat.received()
            .iter()
            .chain(hook.received().iter())
            .filter(|r| r.header("Idempotency-Key") == Some(key))
            .count()
    };
    assert_eq!(delivered(&keys[0]), 1);
    assert_eq!(delivered(&keys[1]), 0);
    assert_eq!(
        delivered(&keys[2]) + delivered(&keys[3]),
        2,
        "the others went out"
    );
    // The live sender finished (its lock is gone): the next run sends what it left, once.
    std::fs::remove_file(&live).unwrap();
    let out = notify(&repo, &chat, &hook, &[]);
    assert!(out.status.success(), "{}", text(&out));
    for key in &keys {
        assert_eq!(delivered(key), 1, "{key}");
    }
}

#[test]
fn a_renamed_incident_keeps_its_notification_keys() {
    let repo = Repo::new();
    with_targets(&repo);
    let remote = repo.home.path().join("remote.git");
    repo.git(&["init", "-q", "--bare", remote.to_str().unwrap()]);
    repo.git(&["remote", "add", "origin", remote.to_str().unwrap()]);
    repo.ok(&["sync"]);
    let other = repo.home.path().join("other");
    repo.git(&[
        "clone",
        "-q",
        remote.to_str().unwrap(),
        other.to_str().unwrap(),
    ]);
    let (chat, hook) = (Server::start(), Server::start());
    let run = |dir: &std::path::Path, args: &[&str]| {
        let out = repo
            .cmd()
            .current_dir(dir)
            .env("TEST_CHAT_URL", &chat.url)
            .env("TEST_HOOK_URL", &hook.url)
            .env("TEST_HOOK_SECRET", SECRET)
            .args(args)
            .output()
            .unwrap();
        assert!(out.status.success(), "{args:?}: {}", text(&out));
    };
    // Two responders declare different incidents under the same ID, each notified from its clone.
    run(
        &repo.root,
        &[
            "declare",
            "Checkout down",
            "--sev",
            "SEV2",
            "--service",
            "checkout",
        ],
    );
    run(&repo.root, &["notify", "--since", "1h"]);
    run(&repo.root, &["sync"]);
    run(
        &other,
        &[
            "--as",
            "bob",
            "declare",
            "Checkout down",
            "--sev",
            "SEV3",
            "--service",
            "payments",
        ],
    );
    run(&other, &["notify"]);
    run(&other, &["sync"]);
    run(&repo.root, &["sync"]);
    let ids = repo.ids_of_year("2026");
    assert_eq!(ids.len(), 2, "{ids:?}: sync kept both, one renamed");
    // After the rename, no clone sends anything again.
    let before = chat.received().len() + hook.received().len();
    run(&repo.root, &["notify"]);
    run(&other, &["notify"]);
    let after = chat.received().len() + hook.received().len();
    assert_eq!(before, after, "nothing was sent again under the new name");
    let mut keys: Vec<String> = chat
        .received()
        .iter()
        .chain(hook.received().iter())
        .map(|r| r.header("Idempotency-Key").unwrap().to_string())
        .collect();
    let total = keys.len();
    keys.sort();
    keys.dedup();
    assert_eq!(total, keys.len(), "{keys:?}");
}

/// `kill -9` at random moments of `notify`: afterwards every notification has gone out, none twice
/// unless its sender was killed between claim and record (then once more, after the claim timed
/// out, with the same key), the repo is whole and the next command works.
#[test]
fn notify_killed_at_random_moments_delivers_everything_and_repeats_only_after_a_claim_timeout() {
    const KILLS: usize = 20;
    let mut repo = Repo::new();
    with_targets(&repo);
    let id = repo.declare(
        "Checkout down",
        &["--sev", "SEV2", "--update", "--commander", "alice"],
    );
    let (chat, hook) = (Server::start(), Server::start());
    let out = notify(&repo, &chat, &hook, &["--since", "1h"]);
    assert!(out.status.success(), "{}", text(&out));
    // How long one run with something to send takes here: kills land from 10 % to 100 % of it.
    repo.ok(&["log", &id, "warm-up"]);
    let start = Instant::now();
    let out = notify(&repo, &chat, &hook, &[]);
    assert!(out.status.success(), "{}", text(&out));
    let span = (start.elapsed().as_micros() as u64).max(2_000);
    let mut seed = 0x5eed_u64;
    let mut killed = 0;
    for n in 0..KILLS {
        repo.ok(&[
            "update",
            &id,
            "--impacted",
            &format!("checkout #{n}"),
            "--learned",
            "x",
        ]);
        let mut child = repo
            .spawnable(&["notify"])
            .env("TEST_CHAT_URL", &chat.url)
            .env("TEST_HOOK_URL", &hook.url)
            .env("TEST_HOOK_SECRET", SECRET)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        std::thread::sleep(Duration::from_micros(
            span / 10 + (seed >> 33) % (span * 9 / 10),
        ));
        if child.try_wait().unwrap().is_none() {
            child.kill().unwrap();
            killed += 1;
        }
        child.wait().unwrap();
        // The next command of any kind works.
        repo.ok(&["show", &id]);
    }
    // Claims of killed senders time out (2 s here, by the clock of `incident`, which the test
    // moves on); then one run sends what they left.
    // (A killed sender's lock file on a ledger ref counts as stale after 5 s of real time, by its
    // age on disk: until then its notification is left to "another sender", and a later run
    // sends it.)
    // (A request slower than the 1 s timeout on a busy machine fails and is retried once its
    // claim times out, like any failed delivery.)
    repo.wait(3);
    let mut last = notify(&repo, &chat, &hook, &[]);
    let mut rest = String::new();
    for _ in 0..10 {
        assert!(last.status.success(), "{}", text(&last));
        rest = text(&notify(&repo, &chat, &hook, &["--dry-run"]));
        if !rest.contains("would send") {
            break;
        }
        std::thread::sleep(Duration::from_millis(1_000));
        repo.wait(3);
        last = notify(&repo, &chat, &hook, &[]);
    }
    assert!(
        !rest.contains("would send"),
        "{rest}\nthe last run said: {}",
        text(&last)
    );
    let mut counts: std::collections::BTreeMap<String, usize> = Default::default();
    for r in chat.received().iter().chain(hook.received().iter()) {
        *counts
            .entry(r.header("Idempotency-Key").unwrap().to_string())
            .or_default() += 1;
    }
    // Every update reached both targets (chat: every event; partners: declared, update, resolved).
    for n in 0..KILLS {
        let sent = chat
            .received()
            .iter()
            .filter(|r| String::from_utf8_lossy(&r.body).contains(&format!("checkout #{n}")))
            .count();
        assert!(sent >= 1, "update #{n} never reached the chat");
    }
    let repeats: usize = counts.values().map(|c| c - 1).sum();
    assert!(
        repeats <= killed,
        "{repeats} repeats from {killed} kills: {counts:?}"
    );
    let fsck = repo.git_output(&["fsck", "--full", "--strict", "--no-dangling"]);
    assert!(
        fsck.status.success(),
        "{}",
        String::from_utf8_lossy(&fsck.stderr)
    );
    eprintln!(
        "notify kill loop: {killed} of {KILLS} killed, {repeats} repeated after a claim timeout"
    );
    assert!(killed > KILLS / 4, "too few kills landed: {killed}");
}

#[test]
fn a_stale_lock_met_while_fetching_the_shared_ledger_is_cleared_and_a_live_one_named() {
    let repo = Repo::new();
    with_targets(&repo);
    let remote = repo.home.path().join("remote.git");
    repo.git(&["init", "-q", "--bare", remote.to_str().unwrap()]);
    repo.git(&["remote", "add", "origin", remote.to_str().unwrap()]);
    repo.declare("Checkout down", &["--sev", "SEV2", "--update"]);
    repo.ok(&["sync"]);
    let (chat, hook) = (Server::start(), Server::start());
    let out = notify(&repo, &chat, &hook, &["--since", "1h"]);
    assert!(out.status.success(), "{}", text(&out));
    let sent = repo.git(&[
        "for-each-ref",
        "--format=%(refname)",
        "refs/incident-notify/sent",
    ]);
    let name = sent.lines().next().unwrap().to_string();
    // The local copy of a shared ledger ref is missing and its lock was left by a killed fetch.
    repo.git(&["update-ref", "-d", &name]);
    let lock = repo.root.join(".git").join(format!("{name}.lock"));
    std::fs::write(&lock, "").unwrap();
    let out = notify(&repo, &chat, &hook, &[]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "a fresh lock is someone's: {}",
        text(&out)
    );
    assert!(
        text(&out).contains(&format!("rm '{}'", lock.display())),
        "{}",
        text(&out)
    );
    let aged = std::process::Command::new("touch")
        .args(["-d", "1 minute ago"])
        .arg(&lock)
        .status()
        .unwrap();
    assert!(aged.success());
    let before = chat.received().len() + hook.received().len();
    let out = notify(&repo, &chat, &hook, &[]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(!lock.exists());
    assert_eq!(
        repo.git(&["rev-parse", "--verify", "-q", &name])
            .trim()
            .len(),
        40,
        "fetched again"
    );
    assert_eq!(
        before,
        chat.received().len() + hook.received().len(),
        "nothing resent"
    );
}

/// People with contacts, a rota, an escalation policy paging through the responders' chat and an
/// SMS gateway's webhook.
pub(crate) fn with_escalation(repo: &Repo) {
    let config = std::fs::read_to_string(repo.root.join(".incident.yaml")).unwrap();
    let people = "people:
- handle: ana
  name: Ana Lima
  email: ana@acme.example
  chat: U0ANA
  phone: '+4915100000001'
- handle: ben
  name: Ben Okafor
  chat: U0BEN
- handle: cem
  name: Cem Aydin
  chat: U0CEM
  phone: '+4915100000003'
- handle: dia
  name: Dia Park
";
    let targets = "notify:
  targets:
  - id: oncall
    kind: slack
    url_env: TEST_CHAT_URL
    internal: true
    events: [declared]
  - id: sms
    kind: webhook
    url_env: TEST_HOOK_URL
    secret_env: TEST_HOOK_SECRET
    events: [page]
  timeout: 1s
  backoff: 1s
  attempts: 2
";
    let config = config.replace("people: []\n", "");
    repo.write(".incident.yaml", &format!("{config}{people}{targets}"));
    repo.write(
        "oncall/platform.yaml",
        "time_zone: UTC
layers:
- name: primary
  members: [ana, ben]
  start: 2026-11-21
  every: daily
- name: secondary
  members: [cem]
  start: 2026-11-20
  every: weekly
",
    );
    repo.write(
        "oncall/escalation.yaml",
        "policies:
- id: platform
  when:
    severity: [SEV1]
  levels:
  - page: [platform]
    after: 5m
  - page: [platform/secondary]
    after: 10m
  - page: [dia]
    after: 15m
  via: [oncall, sms]
",
    );
    repo.git(&["add", "-A"]);
    repo.git(&["commit", "-qm", "rota and escalation"]);
}

/// The pages a server received, as `(key, person)`.
pub(crate) fn pages(server: &Server) -> Vec<(String, String)> {
    server
        .received()
        .iter()
        .filter_map(|r| {
            let key = r.header("Idempotency-Key")?.to_string();
            key.contains("/page-").then(|| {
                let who = r.json()["recipient"]["handle"]
                    .as_str()
                    .map(str::to_string)
                    .unwrap_or_else(|| r.json()["text"].as_str().unwrap_or("").to_string());
                (key, who)
            })
        })
        .collect()
}

#[test]
fn an_unacknowledged_sev1_escalates_level_by_level_once_across_clones_and_stops_at_an_ack() {
    let mut repo = Repo::new();
    with_escalation(&repo);
    repo.ok(&["check"]);
    let remote = repo.home.path().join("remote.git");
    repo.git(&["init", "-q", "--bare", remote.to_str().unwrap()]);
    repo.git(&["remote", "add", "origin", remote.to_str().unwrap()]);
    // Declared from a script: no commander. It names who is on call.
    let out = repo.ok(&[
        "declare",
        "Checkout down",
        "--sev",
        "SEV1",
        "--service",
        "checkout",
        "--detected-at",
        "09:50",
    ]);
    assert!(
        out.contains("on call: Ana Lima (platform/primary)"),
        "{out}"
    );
    let id = repo.ids_of_year("2026")[0].clone();
    repo.ok(&["sync"]);
    let dirs = with_clones(&repo, &remote, 2);
    let (chat, hook) = (Server::start(), Server::start());
    // Every clone runs the escalation at once, as three cron jobs would, at `secs` past declaring.
    let run_all = |secs: i64| notify_everywhere(&repo, &dirs, &chat, &hook, &repo.later_by(secs));
    run_all(0);
    // Level 1: ana, in the chat (mentioned) and at the SMS gateway (with her number).
    let chat_pages = pages(&chat);
    assert_eq!(chat_pages.len(), 1, "{chat_pages:?}");
    let mention = chat
        .received()
        .iter()
        .map(|r| r.json()["text"].as_str().unwrap().to_string())
        .find(|t| t.contains("Page for"))
        .unwrap();
    assert!(
        mention.starts_with(
            "<@U0ANA> Page for Ana Lima (platform level 1, on call for platform/primary)"
        ) && mention.contains(&format!("incident ack {id}")),
        "{mention}"
    );
    let sms = hook.received();
    assert_eq!(sms.len(), 1);
    assert_eq!(sms[0].json()["recipient"]["phone"], "+4915100000001");
    assert_eq!(sms[0].json()["event"], "page");

    // Four minutes on: nothing new. Five: level 2, the secondary, once across the three clones.
    run_all(4 * 60);
    assert_eq!(pages(&hook).len(), 1);
    run_all(5 * 60);
    let sms = pages(&hook);
    assert_eq!(sms.len(), 2, "{sms:?}");
    assert_eq!(sms[1].1, "cem");
    assert_eq!(pages(&chat).len(), 2);
    run_all(6 * 60);
    assert_eq!(pages(&hook).len(), 2, "never the next level twice");

    // Clone 1 acknowledges and pushes; clone 0 has not merged it when level 3 falls due.
    repo.at(&repo.later_by(7 * 60));
    let mut ack = repo.spawnable(&["ack", &id]);
    ack.current_dir(&dirs[1]);
    assert!(ack.output().unwrap().status.success());
    let mut push = repo.spawnable(&["sync"]);
    push.current_dir(&dirs[1]);
    let out = push.output().unwrap();
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        repo.record(&id)["acknowledged_at"].is_null(),
        "clone 0 has not merged the ack"
    );
    let out = notify_at(&repo, &chat, &hook, 16 * 60);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(
        pages(&hook).len(),
        2,
        "no page after an acknowledgement any clone pushed"
    );
    assert_eq!(pages(&chat).len(), 2);
    // Whoever acknowledged a page of an incident without a commander commands it.
    let mut show = repo.spawnable(&["--json", "show", &id]);
    show.current_dir(&dirs[1]);
    let record: serde_json::Value = serde_json::from_slice(&show.output().unwrap().stdout).unwrap();
    assert_eq!(record["roles"]["commander"], "Alice Example");
    // The load on people: two pages, each counted once though two targets carried it, in working
    // hours (a Wednesday, 10:00 UTC, the rota's zone).
    let load: serde_json::Value =
        serde_json::from_str(&repo.ok(&["--json", "stats", "--by", "responder", "--since", "1d"]))
            .unwrap();
    let of = |who: &str| {
        load.as_array()
            .unwrap()
            .iter()
            .find(|l| l["who"] == who)
            .unwrap_or_else(|| panic!("{who}: {load}"))
            .clone()
    };
    assert_eq!(
        (
            of("ana")["pages"].as_u64(),
            of("ana")["out_of_hours_pages"].as_u64()
        ),
        (Some(1), Some(0))
    );
    assert_eq!(of("cem")["pages"], 1);
    // MTTA counts from the first page (10:00), not from detection (09:50): the ack came at 10:07.
    let mut stats = repo.spawnable(&["--json", "stats", "--since", "1d"]);
    stats.current_dir(&dirs[1]);
    let figures: serde_json::Value =
        serde_json::from_slice(&stats.output().unwrap().stdout).unwrap();
    let mtta = figures["times"]["mtta"]["mean_secs"].as_i64().unwrap();
    assert!((419..=420).contains(&mtta), "{mtta}: {figures}");
    let table = repo.ok(&["stats", "--by", "responder", "--since", "1d"]);
    assert!(
        table.contains("Ana Lima") && table.contains("OUT OF HOURS"),
        "{table}"
    );
}

fn notify_at(repo: &Repo, chat: &Server, hook: &Server, secs: i64) -> std::process::Output {
    let mut cmd = repo.spawnable(&["notify", "--since", "1h"]);
    cmd.env("INCIDENT_NOW", repo.later_by(secs))
        .env("TEST_CHAT_URL", &chat.url)
        .env("TEST_HOOK_URL", &hook.url)
        .env("TEST_HOOK_SECRET", SECRET);
    cmd.output().unwrap()
}

/// A page by e-mail goes to the person paged, not to the target's list, with `declare --page`
/// sending it at once.
#[test]
fn a_page_by_email_goes_to_the_person_paged_and_declare_page_sends_it_at_once() {
    let repo = Repo::new();
    let config = std::fs::read_to_string(repo.root.join(".incident.yaml")).unwrap();
    let config = config.replace("people: []\n", "");
    repo.write(
        ".incident.yaml",
        &format!(
            "{config}people:\n- handle: ana\n  name: Ana Lima\n  email: ana@acme.example\nnotify:\n  targets:\n  - id: pager-mail\n    kind: email\n    url_env: TEST_SMTP_URL\n    from: pager@acme.example\n    to: [list@acme.example]\n    events: [page]\n"
        ),
    );
    repo.write(
        "oncall/escalation.yaml",
        "policies:\n- id: direct\n  levels:\n  - page: [ana]\n    after: 10m\n  via: [pager-mail]\n",
    );
    repo.git(&["add", "-A"]);
    repo.git(&["commit", "-qm", "paging by e-mail"]);
    let (url, messages) = smtp_server();
    let out = repo
        .cmd()
        .env("TEST_SMTP_URL", &url)
        .args(["notify", "--since", "1h"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    let out = repo
        .cmd()
        .env("TEST_SMTP_URL", &url)
        .args([
            "declare",
            "Checkout down",
            "--sev",
            "SEV2",
            "--service",
            "checkout",
            "--page",
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains("on call: Ana Lima: paged now"),
        "{}",
        text(&out)
    );
    let got = messages.lock().unwrap().clone();
    assert_eq!(got.len(), 1, "{got:?}");
    assert!(got[0].contains("To: ana@acme.example"), "{}", got[0]);
    assert!(!got[0].contains("list@acme.example"), "{}", got[0]);
    assert!(got[0].contains("Page for Ana Lima"), "{}", got[0]);
}
