//! `incident serve` and `incident ingest`: the real binary serving on 127.0.0.1, fed real
//! payloads (Prometheus Alertmanager itself, Grafana's documented payload, Slack-signed and
//! Mattermost requests), asserted on the repo's records and `git log`.

use crate::notify::Server;
use crate::support::Repo;
use hmac::{Hmac, Mac};
use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const TOKEN: &str = "alert-token-CANARY-5d2e";
const SLACK: &str = "slack-signing-CANARY-81aa";
const MATTERMOST: &str = "mattermost-token-CANARY-0c7f";

/// A running `incident serve`, killed when dropped; its stderr kept.
pub(crate) struct Served {
    child: Child,
    pub(crate) base: String,
    log: Arc<Mutex<String>>,
}

impl Served {
    pub(crate) fn start<V: AsRef<std::ffi::OsStr>>(
        repo: &Repo,
        env: &[(&str, V)],
        args: &[&str],
    ) -> Served {
        let mut all = vec!["serve", "--listen", "127.0.0.1:0"];
        all.extend_from_slice(args);
        let mut cmd = repo.spawnable(&all);
        cmd.envs(env.iter().map(|(k, v)| (k, v)))
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().unwrap();
        let stderr = child.stderr.take().unwrap();
        let log: Arc<Mutex<String>> = Arc::default();
        let (tx, rx) = std::sync::mpsc::channel();
        let kept = log.clone();
        std::thread::spawn(move || {
            let mut tx = Some(tx);
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                if let Some(addr) = line
                    .strip_prefix("listening on ")
                    .and_then(|rest| rest.split_whitespace().next())
                    && let Some(tx) = tx.take()
                {
                    let _ = tx.send(addr.to_string());
                }
                let mut kept = kept.lock().unwrap();
                kept.push_str(&line);
                kept.push('\n');
            }
        });
        let base = rx
            .recv_timeout(Duration::from_secs(30))
            .unwrap_or_else(|_| panic!("the server did not start: {}", log.lock().unwrap()));
        Served { child, base, log }
    }

    pub(crate) fn log(&self) -> String {
        self.log.lock().unwrap().clone()
    }

    /// Sends a request; the status and body.
    pub(crate) fn send(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> (u16, String) {
        send(&self.base, method, path, headers, body)
    }

    pub(crate) fn alert(&self, source: &str, body: &str) -> (u16, String) {
        let auth = format!("Bearer {TOKEN}");
        self.send(
            "POST",
            &format!("/alerts/{source}"),
            &[
                ("authorization", &auth),
                ("content-type", "application/json"),
            ],
            body.as_bytes(),
        )
    }

    /// SIGTERM, and the exit status.
    pub(crate) fn stop(mut self) -> std::process::ExitStatus {
        unsafe { libc::kill(self.child.id() as i32, libc::SIGTERM) };
        let started = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "the server did not stop on SIGTERM: {}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    pub(crate) fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub(crate) fn send(
    base: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> (u16, String) {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(60)))
        .build()
        .into();
    let url = format!("{base}{path}");
    let result = if method == "GET" {
        let mut req = agent.get(&url);
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        req.call()
    } else {
        let mut req = agent.post(&url);
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        req.send(body)
    };
    let mut response = result.unwrap();
    let status = response.status().as_u16();
    let text = response.body_mut().read_to_string().unwrap_or_default();
    (status, text)
}

fn env_all() -> Vec<(&'static str, &'static str)> {
    vec![
        ("INCIDENT_SERVE_TOKEN", TOKEN),
        ("SLACK_SIGNING_SECRET", SLACK),
        ("MATTERMOST_TOKEN", MATTERMOST),
    ]
}

/// Waits until `done` holds (the server works in the background), failing after 30 seconds.
pub(crate) fn eventually(what: &str, done: impl Fn() -> bool) {
    let started = Instant::now();
    while !done() {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "timed out waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn fixture(name: &str) -> String {
    std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures")
            .join(name),
    )
    .unwrap()
}

/// Every record of the repo, as JSON.
fn records(repo: &Repo) -> Vec<serde_json::Value> {
    let list: serde_json::Value = serde_json::from_str(&repo.ok(&["list", "--json"])).unwrap();
    list.as_array()
        .unwrap()
        .iter()
        .map(|i| repo.record(i["id"].as_str().unwrap()))
        .collect()
}

fn alert_lines(record: &serde_json::Value) -> Vec<String> {
    record["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "alert")
        .map(|e| e["text"].as_str().unwrap().to_string())
        .collect()
}

const RULES: &str = "alerts:
  rules:
  - match:
      alertname: Watchdog
    ignore: true
  - match:
      alertname: PaymentsErrorRate
    service: payments
    severity: SEV1
    kind: outage
    title: 'Payments failing in {region}'
    on_resolved: resolve
";

fn with_rules(repo: &Repo) {
    let config = std::fs::read_to_string(repo.root.join(".incident.yaml")).unwrap();
    repo.write(".incident.yaml", &format!("{config}{RULES}"));
    repo.git(&["commit", "-qam", "alert rules"]);
}

fn alertmanager_payload(status: &str, alerts: &[(&str, &str)]) -> String {
    let alerts: Vec<serde_json::Value> = alerts
        .iter()
        .map(|(fingerprint, alert_status)| {
            serde_json::json!({
                "status": alert_status,
                "labels": {"alertname": "PaymentsErrorRate", "region": "eu-west-1", "instance": format!("pay-{fingerprint}"), "severity": "critical"},
                "annotations": {"summary": "5xx above 5% for 5 minutes"},
                "startsAt": "2026-11-25T09:52:00Z",
                "endsAt": if *alert_status == "resolved" { "2026-11-25T10:20:00Z" } else { "0001-01-01T00:00:00Z" },
                "generatorURL": "http://prometheus.example:9090/graph?g0.expr=rate",
                "fingerprint": fingerprint,
            })
        })
        .collect();
    serde_json::json!({
        "version": "4",
        "groupKey": "{}/{severity=\"critical\"}:{alertname=\"PaymentsErrorRate\"}",
        "truncatedAlerts": 0,
        "status": status,
        "receiver": "incident",
        "groupLabels": {"alertname": "PaymentsErrorRate"},
        "commonLabels": {"alertname": "PaymentsErrorRate", "region": "eu-west-1", "severity": "critical"},
        "commonAnnotations": {"summary": "5xx above 5% for 5 minutes"},
        "externalURL": "http://alertmanager.example:9093",
        "alerts": alerts,
    })
    .to_string()
}

#[test]
fn an_alert_group_declares_once_logs_news_and_resolves_by_its_rule() {
    let repo = Repo::new();
    with_rules(&repo);
    let server = Served::start(&repo, &env_all(), &[]);
    let commits = repo.commit_count();
    let (code, body) = server.alert(
        "alertmanager",
        &alertmanager_payload("firing", &[("a1b2c3d4e5f60718", "firing")]),
    );
    assert_eq!(code, 200, "{body}");
    let answer: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(answer["groups"][0]["declared"], true, "{body}");
    let id = answer["groups"][0]["incident"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        repo.commit_count(),
        commits + 1,
        "one commit for the declaration"
    );
    let record = repo.record(&id);
    assert_eq!(record["title"], "Payments failing in eu-west-1");
    assert_eq!(record["severity"], "SEV1");
    assert_eq!(record["kind"], "outage");
    assert_eq!(record["services"], serde_json::json!(["payments"]));
    assert_eq!(
        record["started_at"], "2026-11-25T09:52:00Z",
        "impact began when the alert fired"
    );
    assert_eq!(
        record["alerts"][0],
        "alertmanager:{}/{severity=\"critical\"}:{alertname=\"PaymentsErrorRate\"}"
    );
    let lines = alert_lines(&record);
    assert_eq!(lines.len(), 1);
    assert!(
        lines[0].starts_with(
            "firing: PaymentsErrorRate — 5xx above 5% for 5 minutes (pay-a1b2c3d4e5f60718)"
        ),
        "{lines:?}"
    );
    // Alertmanager repeats the group: nothing new, no commit.
    let (code, _) = server.alert(
        "alertmanager",
        &alertmanager_payload("firing", &[("a1b2c3d4e5f60718", "firing")]),
    );
    assert_eq!(code, 200);
    assert_eq!(repo.commit_count(), commits + 1, "a repeat adds nothing");
    // A second alert joins the group: logged on the same incident, one commit.
    let (code, _) = server.alert(
        "alertmanager",
        &alertmanager_payload(
            "firing",
            &[
                ("a1b2c3d4e5f60718", "firing"),
                ("ffee000011112222", "firing"),
            ],
        ),
    );
    assert_eq!(code, 200);
    assert_eq!(repo.commit_count(), commits + 2);
    assert_eq!(alert_lines(&repo.record(&id)).len(), 2);
    assert_eq!(
        repo.record(&id)["alerts"].as_array().unwrap().len(),
        1,
        "the group once"
    );
    // One resolves: logged; the incident stays open while the other fires.
    server.alert(
        "alertmanager",
        &alertmanager_payload(
            "firing",
            &[
                ("a1b2c3d4e5f60718", "resolved"),
                ("ffee000011112222", "firing"),
            ],
        ),
    );
    assert_eq!(repo.record(&id)["status"], "investigating");
    // Both resolved: the rule says resolve.
    let (code, _) = server.alert(
        "alertmanager",
        &alertmanager_payload(
            "resolved",
            &[
                ("a1b2c3d4e5f60718", "resolved"),
                ("ffee000011112222", "resolved"),
            ],
        ),
    );
    assert_eq!(code, 200);
    let record = repo.record(&id);
    assert_eq!(record["status"], "resolved");
    assert_eq!(alert_lines(&record).len(), 4, "{:?}", alert_lines(&record));
    assert_eq!(records(&repo).len(), 1, "one incident for the group");
    // The group fires again after its incident was resolved: a new incident.
    let (_, body) = server.alert(
        "alertmanager",
        &alertmanager_payload("firing", &[("a1b2c3d4e5f60718", "firing")]),
    );
    let again: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(again["groups"][0]["declared"], true, "{body}");
    assert_ne!(again["groups"][0]["incident"], id.as_str());
    // The commits are authored as the source, and say what happened.
    let log = repo.git(&["log", "--format=%an|%s", "-6"]);
    assert!(log.contains("alertmanager alerts|"), "{log}");
    assert!(
        log.contains("declared SEV1: Payments failing in eu-west-1"),
        "{log}"
    );
    // A rule ignores the watchdog: nothing declared.
    let commits = repo.commit_count();
    let watchdog = alertmanager_payload("firing", &[("0000", "firing")])
        .replace("PaymentsErrorRate", "Watchdog");
    let (code, body) = server.alert("alertmanager", &watchdog);
    assert_eq!((code, repo.commit_count()), (200, commits), "{body}");
    assert!(body.contains("\"ignored\":true"), "{body}");
    assert_eq!(server.stop().code(), Some(0));
}

#[test]
fn grafanas_documented_payload_declares_one_incident_per_alert_fingerprint() {
    let repo = Repo::new();
    let server = Served::start(&repo, &env_all(), &[]);
    let (code, body) = server.alert("grafana", &fixture("grafana-webhook.json"));
    assert_eq!(code, 200, "{body}");
    let all = records(&repo);
    assert_eq!(all.len(), 2, "two alert rules firing: two incidents");
    let titles: Vec<&str> = all.iter().map(|r| r["title"].as_str().unwrap()).collect();
    assert!(
        titles.contains(&"This alert was triggered for zone us-1"),
        "{titles:?}"
    );
    assert!(
        titles.contains(&"This alert was triggered for zone eu-1"),
        "{titles:?}"
    );
    for r in &all {
        assert_eq!(r["severity"], "SEV3", "no severity label: SEV3");
        assert!(
            r["alerts"][0].as_str().unwrap().starts_with("grafana:"),
            "{r}"
        );
        let started = r["started_at"].as_str().unwrap();
        assert!(
            started == "2021-10-12T07:51:03.157076Z" || started == "2021-10-12T07:56:03.157076Z",
            "{started}"
        );
    }
    // The same payload again: both incidents answer it; nothing new.
    let commits = repo.commit_count();
    assert_eq!(
        server.alert("grafana", &fixture("grafana-webhook.json")).0,
        200
    );
    assert_eq!(repo.commit_count(), commits);
}

#[test]
fn every_path_refuses_without_its_secret_and_bad_requests_commit_nothing() {
    let repo = Repo::new();
    let payload = alertmanager_payload("firing", &[("a1", "firing")]);
    {
        // No secrets in the environment: nothing is accepted.
        let server = Served::start::<&str>(&repo, &[], &[]);
        assert!(
            server.log().contains("unset, so their paths answer 401"),
            "{}",
            server.log()
        );
        for path in [
            "/alerts/alertmanager",
            "/alerts/grafana",
            "/alerts/generic",
            "/chat/slack",
            "/chat/mattermost",
        ] {
            let (code, _) = server.send(
                "POST",
                path,
                &[("authorization", "Bearer ")],
                payload.as_bytes(),
            );
            assert_eq!(code, 401, "{path}");
        }
        assert_eq!(server.send("GET", "/metrics", &[], b"").0, 401);
        assert_eq!(
            server.send("GET", "/healthz", &[], b""),
            (200, "ok\n".into())
        );
    }
    let commits = repo.commit_count();
    let config = std::fs::read_to_string(repo.root.join(".incident.yaml")).unwrap();
    repo.write(
        ".incident.yaml",
        &format!("{config}serve:\n  disable: [/chat/mattermost]\n"),
    );
    repo.git(&["commit", "-qam", "no mattermost"]);
    let commits = commits + 1;
    let server = Served::start(&repo, &env_all(), &[]);
    let wrong = [("authorization", "Bearer alert-token-CANARY-5d2f")];
    assert_eq!(
        server
            .send("POST", "/alerts/alertmanager", &wrong, payload.as_bytes())
            .0,
        401
    );
    assert_eq!(
        server.send("POST", "/chat/mattermost", &[], b"token=x").0,
        404,
        "disabled"
    );
    assert_eq!(server.send("GET", "/alerts/alertmanager", &[], b"").0, 405);
    assert_eq!(server.send("POST", "/alerts/nagios", &[], b"").0, 404);
    assert_eq!(server.send("GET", "/.env", &[], b"").0, 404);
    for (bad, says) in [
        ("{", "not JSON"),
        ("[]", "must be a JSON object"),
        (r#"{"version":"4","alerts":[]}"#, "`groupKey` is missing"),
        (
            r#"{"version":"4","groupKey":"g","alerts":[{"status":"on"}]}"#,
            "`alerts[0].status` is `on`; it is `firing` or `resolved`",
        ),
        (
            r#"{"version":"4","groupKey":"g","alerts":[{"status":"firing","startsAt":"yesterday"}]}"#,
            "`alerts[0].startsAt` `yesterday` is not an RFC 3339 time",
        ),
    ] {
        let (code, body) = server.alert("alertmanager", bad);
        assert_eq!(code, 400, "{bad}: {body}");
        assert!(body.contains(says), "{bad}: {body}");
    }
    let (code, body) = server.alert("generic", r#"{"status":"firing"}"#);
    assert_eq!(code, 400);
    assert!(body.contains("`group` is missing"), "{body}");
    // Too large a body, and too large a head.
    let big = vec![b'x'; 2 * 1024 * 1024];
    let (code, _) = server.alert("generic", std::str::from_utf8(&big).unwrap());
    assert_eq!(code, 413);
    let huge = "y".repeat(100 * 1024);
    let (code, _) = raw(
        &server.base,
        &format!("POST /alerts/generic HTTP/1.1\r\nHost: x\r\nX-Big: {huge}\r\n\r\n"),
    );
    assert_eq!(code, Some(431));
    assert_eq!(repo.commit_count(), commits, "nothing committed");
    // A client that sends nothing is let go.
    let addr = server.base.trim_start_matches("http://").to_string();
    let mut idle = std::net::TcpStream::connect(&addr).unwrap();
    idle.write_all(b"POST /alerts/generic HTTP/1.1\r\nHost: x\r\n")
        .unwrap();
    idle.set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let started = Instant::now();
    let mut rest = Vec::new();
    let _ = idle.read_to_end(&mut rest);
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "held for {:?}",
        started.elapsed()
    );
    // Metrics count what happened; the log and the repo never hold a secret.
    let auth = format!("Bearer {TOKEN}");
    let (code, metrics) = server.send("GET", "/metrics", &[("authorization", &auth)], b"");
    assert_eq!(code, 200);
    assert!(
        metrics
            .contains("incident_http_requests_total{path=\"/alerts/alertmanager\",code=\"400\"} 5"),
        "{metrics}"
    );
    assert!(
        metrics.contains("incident_http_requests_total{path=\"other\",code=\"404\"}"),
        "{metrics}"
    );
    promtool(&metrics);
    let log = server.log();
    let history = repo.git(&["log", "-p", "--all"]);
    for secret in [TOKEN, SLACK, MATTERMOST, "alert-token-CANARY-5d2f"] {
        assert!(!log.contains(secret), "{secret} in the log");
        assert!(!history.contains(secret), "{secret} in the history");
    }
}

/// A raw request: the status code, if the server answered one.
fn raw(base: &str, request: &str) -> (Option<u16>, String) {
    let mut stream = std::net::TcpStream::connect(base.trim_start_matches("http://")).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    let _ = stream.write_all(request.as_bytes());
    let mut out = Vec::new();
    let _ = stream.read_to_end(&mut out);
    let text = String::from_utf8_lossy(&out).to_string();
    let code = text.split_whitespace().nth(1).and_then(|c| c.parse().ok());
    (code, text)
}

/// `promtool check metrics` reads the exposition without a complaint.
pub(crate) fn promtool(metrics: &str) {
    let mut child = std::process::Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("promtool (Debian's prometheus) is installed by .ci/setup");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(metrics.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success() && out.stdout.is_empty() && out.stderr.is_empty(),
        "promtool: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A Slack slash command as Slack signs it.
fn slack_request(
    text: &str,
    user: &str,
    at: i64,
    response_url: &str,
) -> (Vec<(String, String)>, String) {
    let body: String = form_urlencoded::Serializer::new(String::new())
        .append_pair("token", "deprecated-verification-token")
        .append_pair("team_id", "T0001")
        .append_pair("channel_id", "C2147483705")
        .append_pair("user_id", user)
        .append_pair("user_name", "ana.l")
        .append_pair("command", "/incident")
        .append_pair("text", text)
        .append_pair("response_url", response_url)
        .finish();
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(SLACK.as_bytes()).unwrap();
    mac.update(format!("v0:{at}:{body}").as_bytes());
    let signature: String = mac
        .finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    (
        vec![
            ("x-slack-request-timestamp".into(), at.to_string()),
            ("x-slack-signature".into(), format!("v0={signature}")),
            (
                "content-type".into(),
                "application/x-www-form-urlencoded".into(),
            ),
        ],
        body,
    )
}

fn slack(server: &Served, headers: &[(String, String)], body: &str) -> (u16, serde_json::Value) {
    let headers: Vec<(&str, &str)> = headers
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let (code, text) = server.send("POST", "/chat/slack", &headers, body.as_bytes());
    (
        code,
        serde_json::from_str(&text).unwrap_or(serde_json::Value::String(text)),
    )
}

fn with_people(repo: &Repo) {
    let config = std::fs::read_to_string(repo.root.join(".incident.yaml")).unwrap();
    let config = config.replace("people: []\n", "");
    repo.write(
        ".incident.yaml",
        &format!(
            "{config}people:\n- handle: ana\n  name: Ana Lima\n  email: ana@acme.example\n  chat: U0ANA\n- handle: ben\n  name: Ben Okafor\n  chat: U0BEN\n"
        ),
    );
    repo.git(&["commit", "-qam", "people"]);
}

#[test]
fn slack_commands_signed_as_slack_signs_them_run_as_the_roster_person() {
    let repo = Repo::new();
    with_people(&repo);
    let server = Served::start(&repo, &env_all(), &[]);
    let now = chrono::Utc::now().timestamp();
    let hook = "https://hooks.slack.com/commands/T0001/1/abc";
    let (headers, body) = slack_request(
        "declare SEV2 Checkout fails for EU customers",
        "U0ANA",
        now,
        hook,
    );
    let (code, answer) = slack(&server, &headers, &body);
    assert_eq!(code, 200, "{answer}");
    assert_eq!(answer["response_type"], "in_channel", "{answer}");
    let text = answer["text"].as_str().unwrap();
    assert!(
        text.starts_with("SEV2 2026-11-25-checkout-fails-for-eu-customers: declared SEV2"),
        "{text}"
    );
    assert_eq!(
        repo.git(&["log", "-1", "--format=%an <%ae>"]).trim(),
        "Ana Lima <ana@acme.example>",
        "authored by the person the roster knows by their chat ID"
    );
    // The same request again is a replay: refused.
    let (code, _) = slack(&server, &headers, &body);
    assert_eq!(code, 401);
    // One incident is active: its ID may be left out.
    let (headers, body) = slack_request("log rolled back the 10:02 deploy", "U0BEN", now, hook);
    let (code, answer) = slack(&server, &headers, &body);
    assert_eq!(code, 200);
    assert!(
        answer["text"]
            .as_str()
            .unwrap()
            .contains("rolled back the 10:02 deploy"),
        "{answer}"
    );
    let id = "2026-11-25-checkout-fails-for-eu-customers";
    let record = repo.record(id);
    let last = record["timeline"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(
        (last["text"].as_str(), last["by"].as_str()),
        (Some("rolled back the 10:02 deploy"), Some("Ben Okafor"))
    );
    for (text, expect) in [
        ("assign checkout commander <@U0ANA|ana.l>", "commander"),
        ("severity checkout SEV1 EU and US now", "SEV1"),
        ("status identified bad deploy", "identified"),
        (
            "update Checkout for EU and US | a bad deploy; rolled back | 30m",
            "public status update posted",
        ),
        ("ack", "acknowledged"),
    ] {
        let (headers, body) = slack_request(text, "U0ANA", now, hook);
        let (code, answer) = slack(&server, &headers, &body);
        assert_eq!(code, 200, "{text}");
        assert!(
            answer["text"].as_str().unwrap().contains(expect),
            "{text}: {answer}"
        );
    }
    let record = repo.record(id);
    assert_eq!(record["roles"]["commander"], "ana");
    assert_eq!(record["severity"], "SEV1");
    assert_eq!(record["status"], "identified");
    assert_eq!(record["updates"].as_array().unwrap().len(), 1);
    // Queries and help answer only the person.
    let (headers, body) = slack_request("who", "U0ANA", now, hook);
    let (_, answer) = slack(&server, &headers, &body);
    assert_eq!(answer["response_type"], "ephemeral");
    assert!(
        answer["text"].as_str().unwrap().contains("commander ana"),
        "{answer}"
    );
    let (headers, body) = slack_request("frobnicate", "U0ANA", now, hook);
    let (_, answer) = slack(&server, &headers, &body);
    assert!(
        answer["text"]
            .as_str()
            .unwrap()
            .contains("`frobnicate` is not a command"),
        "{answer}"
    );
    // Forged, stale and unsigned requests are refused, and commit nothing.
    let commits = repo.commit_count();
    let (mut headers, body) = slack_request("log forged", "U0ANA", now, hook);
    headers[1].1 = format!("v0={}", "0".repeat(64));
    assert_eq!(slack(&server, &headers, &body).0, 401);
    let (headers, body) = slack_request("log stale", "U0ANA", now - 6 * 60, hook);
    assert_eq!(slack(&server, &headers, &body).0, 401);
    let (headers, _) = slack_request("log tampered", "U0ANA", now, hook);
    let other = slack_request("log something else", "U0ANA", now, hook).1;
    assert_eq!(slack(&server, &headers, &other).0, 401);
    assert_eq!(
        slack(&server, &[], "text=log+unsigned&user_id=U0ANA").0,
        401
    );
    assert_eq!(repo.commit_count(), commits);
    assert!(!server.log().contains(SLACK));
}

#[test]
fn a_slow_chat_command_is_answered_at_once_and_its_result_posted_to_the_response_url() {
    let repo = Repo::new();
    with_people(&repo);
    let receiver = Server::start();
    let base = receiver.url.split("/hooks/").next().unwrap().to_string();
    let config = std::fs::read_to_string(repo.root.join(".incident.yaml")).unwrap();
    repo.write(
        ".incident.yaml",
        &format!("{config}serve:\n  response_urls: ['{base}/hooks/']\n"),
    );
    repo.git(&["commit", "-qam", "response urls"]);
    let server = Served::start(&repo, &env_all(), &[]);
    // Another process holds the repo's lock for four seconds: the command waits for it.
    let lock = repo.root.join(".git/incident.lock");
    let mut holder = std::process::Command::new("flock")
        .arg(&lock)
        .args(["sleep", "4"])
        .spawn()
        .expect("flock (util-linux)");
    std::thread::sleep(Duration::from_millis(300));
    let now = chrono::Utc::now().timestamp();
    let (headers, body) = slack_request("declare SEV3 Search is slow", "U0ANA", now, &receiver.url);
    let started = Instant::now();
    let (code, answer) = slack(&server, &headers, &body);
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(code, 200);
    assert_eq!(answer["text"], "Working on it…");
    holder.wait().unwrap();
    eventually("the late answer", || !receiver.received().is_empty());
    let late = receiver.received()[0].json();
    assert_eq!(late["response_type"], "in_channel");
    assert!(
        late["text"]
            .as_str()
            .unwrap()
            .contains("declared SEV3: Search is slow"),
        "{late}"
    );
    // A response URL outside the allowed prefixes is never posted to.
    let (headers, body) = slack_request("who", "U0ANA", now, "http://169.254.169.254/latest/");
    assert_eq!(slack(&server, &headers, &body).0, 200);
}

#[test]
fn mattermost_commands_need_their_token() {
    let repo = Repo::new();
    with_people(&repo);
    let server = Served::start(&repo, &env_all(), &[]);
    let form = |token: &str, text: &str| {
        form_urlencoded::Serializer::new(String::new())
            .append_pair("token", token)
            .append_pair("user_id", "U0BEN")
            .append_pair("user_name", "ben")
            .append_pair("command", "/incident")
            .append_pair("text", text)
            .finish()
    };
    let headers = [("content-type", "application/x-www-form-urlencoded")];
    let (code, _) = server.send(
        "POST",
        "/chat/mattermost",
        &headers,
        form("wrong", "declare SEV4 x").as_bytes(),
    );
    assert_eq!(code, 401);
    let (code, body) = server.send(
        "POST",
        "/chat/mattermost",
        &headers,
        form(MATTERMOST, "declare SEV4 Docs site is down").as_bytes(),
    );
    assert_eq!(code, 200, "{body}");
    assert!(body.contains("declared SEV4: Docs site is down"), "{body}");
    assert_eq!(
        repo.git(&["log", "-1", "--format=%an"]).trim(),
        "Ben Okafor"
    );
}

#[test]
fn ingest_takes_each_payload_from_stdin_as_the_server_does() {
    let repo = Repo::new();
    with_rules(&repo);
    repo.write(
        "runbooks/sev1.md",
        "---\ntitle: SEV1 response\nwhen:\n  severity: [SEV1]\n---\n# SEV1 response\n\n- [ ] Open the bridge\n  - role: commander\n  - within: 5m of declaration\n",
    );
    repo.git(&["add", "-A"]);
    repo.git(&["commit", "-qm", "a runbook"]);
    let run = |kind: &str, payload: &str, json: bool| {
        let mut args = vec!["ingest", kind];
        if json {
            args.push("--json");
        }
        repo.cmd()
            .args(&args)
            .write_stdin(payload.to_string())
            .output()
            .unwrap()
    };
    let out = run(
        "alertmanager",
        &alertmanager_payload("firing", &[("a1", "firing")]),
        false,
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        said.contains("declared SEV1: Payments failing in eu-west-1"),
        "{said}"
    );
    let out = run(
        "alertmanager",
        &alertmanager_payload("firing", &[("a1", "firing")]),
        true,
    );
    let answer: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(answer[0]["declared"], false);
    assert_eq!(answer[0]["logged"], 0);
    let out = run("grafana", &fixture("grafana-webhook.json"), true);
    let answer: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(answer.as_array().unwrap().len(), 2);
    let generic = r#"{"group":"db-primary","status":"firing","title":"Primary database unreachable","severity":"SEV2","service":"checkout","kind":"outage","summary":"pg-1 refuses connections","started_at":"2026-11-25T09:58:00Z"}"#;
    let out = run("generic", generic, true);
    let answer: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let id = answer[0]["incident"].as_str().unwrap();
    let record = repo.record(id);
    assert_eq!(
        (record["severity"].as_str(), record["kind"].as_str()),
        (Some("SEV2"), Some("outage"))
    );
    assert_eq!(record["services"], serde_json::json!(["checkout"]));
    assert_eq!(record["started_at"], "2026-11-25T09:58:00Z");
    assert!(alert_lines(&record)[0].contains("pg-1 refuses connections"));
    // A bad payload: exit 1, the field named, nothing committed.
    let commits = repo.commit_count();
    let out = run("generic", r#"{"group":"g","status":"burning"}"#, false);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("cannot take the alert payload on stdin")
            && err.contains("`status` is `burning`; it is `firing` or `resolved`"),
        "{err}"
    );
    assert_eq!(repo.commit_count(), commits);
    // `check` reads records that carry alert groups.
    repo.ok(&["check"]);
}

/// A burst of alerts, the server killed with SIGKILL in the middle: every alert answered 200 is
/// on a timeline.
#[test]
fn kill_9_during_a_burst_loses_no_answered_alert() {
    let repo = Repo::new();
    let server = Served::start(&repo, &env_all(), &[]);
    let answered: Arc<Mutex<Vec<String>>> = Arc::default();
    let base = server.base.clone();
    let senders: Vec<_> = (0..4)
        .map(|t| {
            let answered = answered.clone();
            let base = base.clone();
            std::thread::spawn(move || {
                for n in 0..200 {
                    let id = format!("t{t}n{n}");
                    let body = format!(
                        r#"{{"group":"g{}","status":"firing","id":"{id}","summary":"alert {id}","labels":{{"alertname":"Burst"}}}}"#,
                        n % 5
                    );
                    let auth = format!("Bearer {TOKEN}");
                    let agent: ureq::Agent = ureq::Agent::config_builder()
                        .http_status_as_error(false)
                        .timeout_global(Some(Duration::from_secs(30)))
                        .build()
                        .into();
                    match agent
                        .post(&format!("{base}/alerts/generic"))
                        .header("authorization", &auth)
                        .send(body.as_bytes())
                    {
                        Ok(r) if r.status() == 200 => answered.lock().unwrap().push(id),
                        _ => return,
                    }
                }
            })
        })
        .collect();
    eventually("a few answers", || answered.lock().unwrap().len() >= 40);
    server.kill();
    for s in senders {
        s.join().unwrap();
    }
    let answered = answered.lock().unwrap().clone();
    assert!(!answered.is_empty());
    // The next command finishes or undoes whatever the kill interrupted.
    let all = records(&repo);
    let lines: Vec<String> = all.iter().flat_map(alert_lines).collect();
    for id in &answered {
        let mark = format!("[{}]", id);
        assert!(
            lines.iter().any(|l| l.ends_with(&mark)),
            "{id} was answered 200 but is on no timeline"
        );
    }
    assert!(all.len() <= 5, "one incident per group: {}", all.len());
    repo.ok(&["check"]);
}

/// A free port on loopback, for a program that must be told one.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The webhook and chat receivers the paging policy of [`with_paging_rule`] sends to, and the
/// server's environment pointing at them (with every path's secret).
fn paging_receivers() -> (Server, Server, Vec<(&'static str, String)>) {
    let (hook, chat) = (Server::start(), Server::start());
    let mut env: Vec<(&'static str, String)> = env_all()
        .into_iter()
        .map(|(k, v)| (k, v.to_string()))
        .collect();
    env.extend([
        ("TEST_CHAT_URL", chat.url.clone()),
        ("TEST_HOOK_URL", hook.url.clone()),
        ("TEST_HOOK_SECRET", crate::notify::SECRET.to_string()),
    ]);
    (hook, chat, env)
}

fn with_paging_rule(repo: &Repo) {
    crate::notify::with_escalation(repo);
    let config = std::fs::read_to_string(repo.root.join(".incident.yaml")).unwrap();
    repo.write(
        ".incident.yaml",
        &format!("{config}alerts:\n  rules:\n  - match:\n      service: checkout\n    severity: SEV1\n    service: checkout\n"),
    );
    repo.git(&["commit", "-qam", "checkout alerts are SEV1"]);
    repo.ok(&["check"]);
}

/// Prometheus Alertmanager itself posts to the server with its bearer token; `amtool` fires the
/// alert. The incident is declared with its service and severity, and the on-call is paged.
#[test]
fn alertmanager_itself_declares_an_incident_that_pages_the_on_call() {
    let repo = Repo::new();
    with_paging_rule(&repo);
    let (hook, _chat, env) = paging_receivers();
    let server = Served::start(&repo, &env, &[]);
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("alertmanager.yml");
    std::fs::write(
        &config,
        format!(
            "route:
  receiver: incident
  group_by: [alertname, service]
  group_wait: 1s
  group_interval: 1s
  repeat_interval: 1h
receivers:
- name: incident
  webhook_configs:
  - url: {}/alerts/alertmanager
    send_resolved: true
    http_config:
      authorization:
        type: Bearer
        credentials: {TOKEN}
",
            server.base
        ),
    )
    .unwrap();
    let port = free_port();
    let web = format!("127.0.0.1:{port}");
    let mut alertmanager = std::process::Command::new("prometheus-alertmanager")
        .arg(format!("--config.file={}", config.display()))
        .arg(format!(
            "--storage.path={}",
            dir.path().join("data").display()
        ))
        .arg(format!("--web.listen-address={web}"))
        .arg("--cluster.listen-address=")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("prometheus-alertmanager (Debian's package) is installed by .ci/setup");
    let url = format!("--alertmanager.url=http://{web}");
    eventually("Alertmanager to listen", || {
        std::process::Command::new("amtool")
            .args(["config", "show", &url])
            .output()
            .is_ok_and(|o| o.status.success())
    });
    let fired = std::process::Command::new("amtool")
        .args([
            "alert",
            "add",
            "alertname=CheckoutErrors",
            "service=checkout",
            "severity=critical",
            "--annotation=summary=checkout 5xx above 10%",
            &url,
        ])
        .output()
        .unwrap();
    assert!(
        fired.status.success(),
        "{}",
        String::from_utf8_lossy(&fired.stderr)
    );
    eventually("the declaration", || {
        repo.root.join("incidents/2026").exists()
    });
    let record = records(&repo).remove(0);
    let id = record["id"].as_str().unwrap().to_string();
    assert_eq!(record["title"], "checkout 5xx above 10%");
    assert_eq!(record["severity"], "SEV1");
    assert_eq!(record["services"], serde_json::json!(["checkout"]));
    assert!(
        record["alerts"][0]
            .as_str()
            .unwrap()
            .starts_with("alertmanager:{}:{alertname=\"CheckoutErrors\""),
        "{record}"
    );
    eventually("the page", || !crate::notify::pages(&hook).is_empty());
    let pages = crate::notify::pages(&hook);
    assert_eq!(pages.len(), 1, "{pages:?}");
    assert_eq!(pages[0].1, "ana", "level 1: the primary on call");
    assert!(pages[0].0.starts_with(&format!("{id}/page-")), "{pages:?}");
    let _ = alertmanager.kill();
    let _ = alertmanager.wait();
    let auth = format!("Bearer {TOKEN}");
    let (_, metrics) = server.send("GET", "/metrics", &[("authorization", &auth)], b"");
    assert!(metrics.contains("incident_declared_total 1"), "{metrics}");
    assert!(
        metrics.contains("incident_escalations_pending 1"),
        "{metrics}"
    );
    promtool(&metrics);
}

/// Two servers on two clones of one bare remote get the same alert group at once, again and
/// again: one incident, one page.
#[test]
fn two_servers_on_one_remote_declare_one_incident_per_group_and_page_once() {
    let repo = Repo::new();
    with_paging_rule(&repo);
    let remote = repo.with_origin();
    let dirs = crate::notify::with_clones(&repo, &remote, 1);
    let (hook, _chat, env) = paging_receivers();
    let servers: Vec<Served> = dirs
        .iter()
        .map(|dir| {
            let mut clone = Repo::bare_home();
            clone.root = dir.clone();
            let served = Served::start(&clone, &env, &[]);
            std::mem::forget(clone.home);
            served
        })
        .collect();
    let payload = alertmanager_payload("firing", &[("c0ffee", "firing")])
        .replace("PaymentsErrorRate", "CheckoutDown")
        .replace(
            "\"region\":\"eu-west-1\"",
            "\"region\":\"eu-west-1\",\"service\":\"checkout\"",
        );
    let fire = |base: &str| {
        let (base, payload) = (base.to_string(), payload.clone());
        std::thread::spawn(move || {
            let auth = format!("Bearer {TOKEN}");
            send(
                &base,
                "POST",
                "/alerts/alertmanager",
                &[("authorization", &auth)],
                payload.as_bytes(),
            )
        })
    };
    // The first server takes the alert and declares; a second later (a different declaration
    // time, so not the same record by chance) both get it again, the second twice at once, before
    // it has fetched the first's push.
    let (code, body) = fire(&servers[0].base).join().unwrap();
    assert_eq!(code, 200, "{body}");
    std::thread::sleep(Duration::from_millis(1100));
    let senders = [
        fire(&servers[1].base),
        fire(&servers[1].base),
        fire(&servers[0].base),
    ];
    for s in senders {
        let (code, body) = s.join().unwrap();
        assert_eq!(code, 200, "{body}");
    }
    eventually("one page", || !crate::notify::pages(&hook).is_empty());
    // Give a second page every chance to go out, and both servers time to push.
    std::thread::sleep(Duration::from_secs(3));
    for s in servers {
        assert_eq!(s.stop().code(), Some(0));
    }
    repo.ok(&["sync"]);
    let all = records(&repo);
    let answering: Vec<&serde_json::Value> = all
        .iter()
        .filter(|r| r["alerts"].as_array().is_some_and(|a| !a.is_empty()))
        .collect();
    assert_eq!(answering.len(), 1, "one incident for the group: {all:?}");
    assert_eq!(
        crate::notify::pages(&hook).len(),
        1,
        "{:?}",
        crate::notify::pages(&hook)
    );
    assert_eq!(
        alert_lines(answering[0]).len(),
        1,
        "the alert once on its timeline"
    );
}

/// SIGTERM: the requests answered are committed and pushed before the process exits 0.
#[test]
fn sigterm_finishes_what_was_accepted_and_pushes_it() {
    let repo = Repo::new();
    let remote = repo.with_origin();
    let server = Served::start(&repo, &env_all(), &[]);
    let base = server.base.clone();
    let senders: Vec<_> = (0..20)
        .map(|n| {
            let base = base.clone();
            std::thread::spawn(move || {
                let auth = format!("Bearer {TOKEN}");
                let body = format!(
                    r#"{{"group":"g{}","status":"firing","id":"a{n}","summary":"alert {n}"}}"#,
                    n % 3
                );
                send(
                    &base,
                    "POST",
                    "/alerts/generic",
                    &[("authorization", &auth)],
                    body.as_bytes(),
                )
            })
        })
        .collect();
    let answered: Vec<(u16, String)> = senders.into_iter().map(|s| s.join().unwrap()).collect();
    assert!(
        answered.iter().all(|(code, _)| *code == 200),
        "{answered:?}"
    );
    let log_before = server.log();
    assert_eq!(server.stop().code(), Some(0), "{log_before}");
    let pushed = repo.git(&[
        "--git-dir",
        remote.to_str().unwrap(),
        "log",
        "--format=%s",
        "main",
    ]);
    assert_eq!(pushed.matches("declared").count(), 3, "{pushed}");
    let all = records(&repo);
    let lines: Vec<String> = all.iter().flat_map(alert_lines).collect();
    for n in 0..20 {
        assert!(
            lines.iter().any(|l| l.ends_with(&format!("[a{n}]"))),
            "a{n} missing: {lines:?}"
        );
    }
    assert_eq!(
        repo.git(&["status", "--porcelain", "-b"])
            .lines()
            .next()
            .unwrap(),
        "## main...origin/main"
    );
}

/// Which incident answers a group: the open one, whatever its age; with none open, the latest.
#[test]
fn a_group_goes_to_its_open_incident_else_to_its_latest() {
    let mut repo = Repo::new();
    let alert = |repo: &Repo, status: &str, id: &str| {
        let body =
            format!(r#"{{"group":"g","status":"{status}","id":"{id}","summary":"queue backlog"}}"#);
        let out = repo
            .cmd()
            .args(["ingest", "generic", "--json"])
            .write_stdin(body)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let answer: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        answer[0]["incident"].as_str().map(str::to_string)
    };
    repo.at("2026-11-20T10:00:00Z");
    let first = alert(&repo, "firing", "a1").unwrap();
    repo.ok(&["resolve", &first]);
    repo.at("2026-11-21T10:00:00Z");
    let second = alert(&repo, "firing", "a2").unwrap();
    assert_ne!(first, second, "its incident was resolved: a new one");
    repo.ok(&["resolve", &second]);
    // Nothing open: a late "resolved" goes on the latest incident of the group.
    repo.at("2026-11-21T11:00:00Z");
    assert_eq!(
        alert(&repo, "resolved", "a2").as_deref(),
        Some(second.as_str())
    );
    assert!(
        alert_lines(&repo.record(&second))
            .iter()
            .any(|l| l.starts_with("resolved:"))
    );
    // The older incident reopened: it answers the group, though a newer one carries it too.
    repo.ok(&["status", &first, "investigating", "--reopen"]);
    assert_eq!(
        alert(&repo, "firing", "a4").as_deref(),
        Some(first.as_str())
    );
    assert_eq!(records(&repo).len(), 2, "nothing declared");
}

/// A resolved group moves its incident as its rule says, once, and never past where people took
/// it; a change that cannot be made is an error, not "nothing new".
#[test]
fn resolved_alerts_move_an_incident_once_and_never_past_where_people_took_it() {
    let mut repo = Repo::new();
    let config = std::fs::read_to_string(repo.root.join(".incident.yaml")).unwrap();
    repo.write(
        ".incident.yaml",
        &format!("{config}alerts:\n  rules:\n  - match: {{alertname: Slow}}\n    on_resolved: monitoring\n  - match: {{alertname: Down}}\n    on_resolved: resolve\n"),
    );
    repo.git(&["commit", "-qam", "rules"]);
    let ingest = |repo: &Repo, body: String| {
        repo.cmd()
            .args(["ingest", "generic", "--json"])
            .write_stdin(body)
            .output()
            .unwrap()
    };
    let alert = |name: &str, status: &str| {
        format!(
            r#"{{"group":"{name}","status":"{status}","id":"{name}-1","labels":{{"alertname":"{name}"}}}}"#
        )
    };
    // People moved it to monitoring already: the resolved alert is logged, nothing else.
    repo.at("2026-11-25T10:00:00Z");
    let out = ingest(&repo, alert("Slow", "firing"));
    let slow: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let slow = slow[0]["incident"].as_str().unwrap().to_string();
    repo.ok(&["status", &slow, "monitoring"]);
    let out = ingest(&repo, alert("Slow", "resolved"));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(repo.record(&slow)["status"], "monitoring");
    assert_eq!(alert_lines(&repo.record(&slow)).len(), 2);
    // Resolved by its rule, reopened by a person: the same resolved alert again changes nothing.
    let out = ingest(&repo, alert("Down", "firing"));
    let down: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let down = down[0]["incident"].as_str().unwrap().to_string();
    ingest(&repo, alert("Down", "resolved"));
    assert_eq!(repo.record(&down)["status"], "resolved");
    repo.ok(&["status", &down, "investigating", "--reopen"]);
    let commits = repo.commit_count();
    let out = ingest(&repo, alert("Down", "resolved"));
    assert!(out.status.success());
    assert_eq!(repo.record(&down)["status"], "investigating");
    assert_eq!(repo.commit_count(), commits);
    // A merge in progress: the alert cannot be taken, and says so.
    let head = repo.git(&["rev-parse", "HEAD"]);
    std::fs::write(repo.root.join(".git/MERGE_HEAD"), head).unwrap();
    let out = ingest(
        &repo,
        r#"{"group":"Down","status":"firing","id":"Down-2","labels":{"alertname":"Down"}}"#
            .to_string(),
    );
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("merge"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::remove_file(repo.root.join(".git/MERGE_HEAD")).unwrap();
}
