//! The server's counters, and their exposition in Prometheus' text format (version 0.0.4).
//!
//! A dozen counters and gauges need no client library: the format is lines of `name{labels}
//! value` under `# HELP` and `# TYPE`, which `promtool check metrics` reads in the tests.
//! (prometheus-client, the maintained crate, writes OpenMetrics, whose `# EOF` and `_total`
//! rules would have to be undone for the classic format Prometheus scrapes by default.)

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

#[derive(Default)]
pub struct Metrics {
    /// Requests by path and status code.
    requests: Mutex<BTreeMap<(String, u16), u64>>,
    pub commits: AtomicU64,
    pub alerts: AtomicU64,
    pub declared: AtomicU64,
    pub chat_commands: AtomicU64,
    pub pushes: AtomicU64,
    pub push_failures: AtomicU64,
    pub push_retries: AtomicU64,
    pub fetches: AtomicU64,
    pub fetch_failures: AtomicU64,
    pub deliveries: AtomicU64,
    pub delivery_failures: AtomicU64,
    pub escalations_pending: AtomicU64,
    pub queue_depth: AtomicU64,
    pub unpushed: AtomicU64,
}

impl Metrics {
    pub fn request(&self, path: &str, code: u16) {
        let mut map = self.requests.lock().unwrap_or_else(|e| e.into_inner());
        *map.entry((path.to_string(), code)).or_default() += 1;
    }

    pub fn add(counter: &AtomicU64, n: u64) {
        counter.fetch_add(n, Ordering::Relaxed);
    }

    /// The text Prometheus scrapes.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        out.push_str("# HELP incident_http_requests_total HTTP requests answered, by path and status code.\n");
        out.push_str("# TYPE incident_http_requests_total counter\n");
        let requests = self.requests.lock().unwrap_or_else(|e| e.into_inner());
        for ((path, code), n) in requests.iter() {
            let _ = writeln!(
                out,
                "incident_http_requests_total{{path=\"{}\",code=\"{code}\"}} {n}",
                escape(path)
            );
        }
        let counters: [(&str, &str, &AtomicU64); 11] = [
            (
                "incident_commits_total",
                "Commits the server made.",
                &self.commits,
            ),
            ("incident_alerts_total", "Alerts taken in.", &self.alerts),
            (
                "incident_declared_total",
                "Incidents declared from alerts.",
                &self.declared,
            ),
            (
                "incident_chat_commands_total",
                "Chat commands run.",
                &self.chat_commands,
            ),
            (
                "incident_pushes_total",
                "Pushes to the remote that landed.",
                &self.pushes,
            ),
            (
                "incident_push_failures_total",
                "Pushes that failed (retried at the next round).",
                &self.push_failures,
            ),
            (
                "incident_push_retries_total",
                "Extra push attempts because others pushed first.",
                &self.push_retries,
            ),
            (
                "incident_fetches_total",
                "Fetches of the remote.",
                &self.fetches,
            ),
            (
                "incident_fetch_failures_total",
                "Fetches of the remote that failed.",
                &self.fetch_failures,
            ),
            (
                "incident_deliveries_total",
                "Notifications and pages delivered.",
                &self.deliveries,
            ),
            (
                "incident_delivery_failures_total",
                "Notifications and pages that failed.",
                &self.delivery_failures,
            ),
        ];
        for (name, help, value) in counters {
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} counter\n{name} {}",
                get(value)
            );
        }
        let gauges: [(&str, &str, &AtomicU64); 3] = [
            (
                "incident_escalations_pending",
                "Pages planned for later by the escalation policies.",
                &self.escalations_pending,
            ),
            (
                "incident_queue_depth",
                "Requests waiting for the git worker.",
                &self.queue_depth,
            ),
            (
                "incident_unpushed_commits",
                "1 while commits wait for a push (pushes are at least a second apart), else 0.",
                &self.unpushed,
            ),
        ];
        for (name, help, value) in gauges {
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} gauge\n{name} {}",
                get(value)
            );
        }
        out
    }
}

/// A label value as the text format escapes it.
fn escape(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_help_type_and_values() {
        let m = Metrics::default();
        m.request("/alerts/generic", 200);
        m.request("/alerts/generic", 200);
        Metrics::add(&m.commits, 3);
        let text = m.render();
        assert!(
            text.contains(
                "incident_http_requests_total{path=\"/alerts/generic\",code=\"200\"} 2\n"
            )
        );
        assert!(text.contains("# TYPE incident_commits_total counter\nincident_commits_total 3\n"));
        assert!(text.contains("# TYPE incident_queue_depth gauge\n"));
        assert_eq!(escape("a\"b\\"), "a\\\"b\\\\");
    }
}
