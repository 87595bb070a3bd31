//! The git worker: one plain thread that owns the clone. Requests reach it through a queue; it
//! takes everything waiting at once, so a storm becomes one commit per incident per round, not one
//! per request; answers each request once its change is committed; then pushes, and wakes the
//! notifier. It fetches the remote every `fetch_every` too, so what others commit is seen.

use super::chat::{self, ChatUser, Reply};
use super::{Metrics, Settings};
use crate::model::alert::AlertBatch;
use crate::ops::alert::{GroupState, Ingested};
use crate::store::ledger::Claim;
use crate::store::{Store, SyncOptions, SyncOutcome};
use anyhow::Result;
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

/// Work for the git thread, with where its answer goes.
pub enum Job {
    Alerts {
        batches: Vec<AlertBatch>,
        reply: tokio::sync::oneshot::Sender<Result<Vec<Ingested>, String>>,
    },
    Chat {
        user: ChatUser,
        text: String,
        reply: tokio::sync::oneshot::Sender<Reply>,
        /// Where the answer goes when the request was answered before the work was done.
        response_url: Option<String>,
        dialect: chat::Dialect,
    },
}

/// How long the worker waits for more requests after the first, to take a burst as one round.
const GATHER: Duration = Duration::from_millis(25);
/// The most requests one round takes.
const ROUND: usize = 2000;
/// The least time between two pushes: a storm's commits go out together, and a responder's
/// `incident sync` on a laptop finds gaps to push in (a server pushing every round would win every
/// race for the branch).
const PUSH_GAP: Duration = Duration::from_secs(1);
/// How long a server's claim on declaring a group's incident holds if it dies before pushing.
const DECLARE_CLAIM: chrono::Duration = chrono::Duration::seconds(30);

pub struct Worker {
    store: Store,
    settings: Arc<Settings>,
    metrics: Arc<Metrics>,
    groups: Option<HashMap<String, GroupState>>,
    /// Alert requests waiting for another server's declaration to arrive.
    waiting: Vec<(Instant, Job)>,
    notify: std::sync::mpsc::Sender<()>,
    last_fetch: Option<Instant>,
    unpushed: bool,
}

impl Worker {
    pub fn new(
        store: Store,
        settings: Arc<Settings>,
        metrics: Arc<Metrics>,
        notify: std::sync::mpsc::Sender<()>,
    ) -> Worker {
        Worker {
            store,
            settings,
            metrics,
            groups: None,
            waiting: Vec::new(),
            notify,
            last_fetch: None,
            unpushed: false,
        }
    }

    fn log(&self, line: &str) {
        (self.settings.log)(line);
    }

    /// Runs until every sender of the queue is gone (the server shut down), then pushes what is
    /// left.
    pub fn run(mut self, jobs: Receiver<Job>) {
        self.fetch();
        loop {
            let since = self.last_fetch.map_or(Duration::MAX, |t| t.elapsed());
            let wait = if !self.waiting.is_empty() {
                Duration::from_millis(200)
            } else if self.unpushed {
                PUSH_GAP.saturating_sub(since)
            } else {
                self.settings.fetch_every.saturating_sub(since)
            };
            let mut round = Vec::new();
            match jobs.recv_timeout(wait.max(Duration::from_millis(1))) {
                Ok(job) => {
                    round.push(job);
                    let until = Instant::now() + GATHER;
                    while round.len() < ROUND {
                        let left = until.saturating_duration_since(Instant::now());
                        match jobs.recv_timeout(left) {
                            Ok(job) => round.push(job),
                            Err(_) => break,
                        }
                    }
                }
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => break,
            }
            self.metrics
                .queue_depth
                .fetch_sub(round.len() as u64, Ordering::Relaxed);
            let fetch_due = self
                .last_fetch
                .is_none_or(|t| t.elapsed() >= self.settings.fetch_every);
            if fetch_due || !self.waiting.is_empty() {
                self.fetch();
            }
            let committed = self.round(round);
            if committed > 0 {
                self.unpushed = true;
                self.metrics.unpushed.store(1, Ordering::Relaxed);
                let _ = self.notify.send(());
            }
            let push_due = self.last_fetch.is_none_or(|t| t.elapsed() >= PUSH_GAP);
            if self.unpushed && push_due {
                self.fetch();
            }
        }
        // Shutting down: what was committed is pushed, or stays for the next start.
        for (_, job) in std::mem::take(&mut self.waiting) {
            answer_unavailable(job);
        }
        if self.unpushed {
            self.fetch();
        }
        let _ = self.notify.send(());
    }

    /// Fetches, merges and (when there is something of ours) pushes; anything new from others
    /// makes the groups be read again and wakes the notifier.
    fn fetch(&mut self) {
        self.last_fetch = Some(Instant::now());
        let Some(remote) = self.settings.remote.clone() else {
            self.unpushed = false;
            return;
        };
        let options = SyncOptions {
            remote: &remote,
            push: true,
            driver: &self.settings.driver,
            prompt: false,
            timeout: Duration::from_secs(60),
        };
        Metrics::add(&self.metrics.fetches, 1);
        match self
            .store
            .sync(&options, &self.settings.author, (self.settings.clock)())
        {
            Ok(report) => {
                if report.pushed {
                    Metrics::add(&self.metrics.pushes, 1);
                }
                if report.attempts > 1 {
                    Metrics::add(&self.metrics.push_retries, u64::from(report.attempts - 1));
                }
                self.unpushed = false;
                self.metrics.unpushed.store(0, Ordering::Relaxed);
                if matches!(
                    report.outcome,
                    SyncOutcome::FastForward | SyncOutcome::Merged
                ) {
                    self.groups = None;
                    // The policy or the roster may have changed with them.
                    if let Ok(store) = Store::open(self.store.root()) {
                        self.store = store;
                    }
                    let _ = self.notify.send(());
                }
            }
            Err(e) => {
                Metrics::add(&self.metrics.fetch_failures, 1);
                if self.unpushed {
                    Metrics::add(&self.metrics.push_failures, 1);
                    self.metrics.unpushed.store(1, Ordering::Relaxed);
                }
                self.log(&format!(
                    "warning: sync with `{remote}` failed (retried): {e:#}"
                ));
            }
        }
    }

    fn groups(&mut self) -> &mut HashMap<String, GroupState> {
        if self.groups.is_none() {
            let read = crate::ops::alert::groups(&self.store).unwrap_or_else(|e| {
                (self.settings.log)(&format!("warning: cannot read the alert groups: {e:#}"));
                HashMap::new()
            });
            self.groups = Some(read);
        }
        self.groups.get_or_insert_with(HashMap::new)
    }

    /// One round: the alerts of every request grouped, each group one commit; then the chat
    /// commands in order. The number of commits made.
    fn round(&mut self, fresh: Vec<Job>) -> usize {
        let mut jobs: Vec<(Instant, Job)> = std::mem::take(&mut self.waiting);
        jobs.extend(fresh.into_iter().map(|j| (Instant::now(), j)));
        let mut commits = 0;
        // Alerts: every batch of one group across the round, in arrival order.
        let mut order: Vec<String> = Vec::new();
        let mut by_group: HashMap<String, Vec<AlertBatch>> = HashMap::new();
        for (_, job) in &jobs {
            if let Job::Alerts { batches, .. } = job {
                for b in batches {
                    if !by_group.contains_key(&b.group) {
                        order.push(b.group.clone());
                    }
                    by_group.entry(b.group.clone()).or_default().push(b.clone());
                }
            }
        }
        let mut done: HashMap<String, Result<Ingested, String>> = HashMap::new();
        let mut deferred: Vec<String> = Vec::new();
        for group in order {
            let batches = &by_group[&group];
            match self.take_group(batches) {
                Ok(Some(ingested)) => {
                    if ingested.outcome.is_some() {
                        commits += 1;
                    }
                    done.insert(group, Ok(ingested));
                }
                Ok(None) => deferred.push(group),
                Err(e) => {
                    self.log(&format!("error: alerts of group {group}: {e:#}"));
                    done.insert(group, Err(format!("{e:#}")));
                }
            }
        }
        for (arrived, job) in jobs {
            match job {
                Job::Alerts { batches, reply } => {
                    let waiting_on: Vec<&AlertBatch> = batches
                        .iter()
                        .filter(|b| deferred.contains(&b.group))
                        .collect();
                    if !waiting_on.is_empty() {
                        if arrived.elapsed()
                            > Duration::from_secs(DECLARE_CLAIM.num_seconds() as u64 * 2)
                        {
                            let _ = reply.send(Err("another server claimed this alert group and has not pushed its incident".into()));
                        } else {
                            self.waiting.push((arrived, Job::Alerts { batches, reply }));
                        }
                        continue;
                    }
                    let mut results = Vec::new();
                    let mut failed = None;
                    for b in &batches {
                        match done.get(&b.group) {
                            Some(Ok(i))
                                if !results.iter().any(|r: &Ingested| r.group == i.group) =>
                            {
                                results.push(Ingested {
                                    outcome: None,
                                    ..i.clone()
                                });
                            }
                            Some(Err(e)) => failed = Some(e.clone()),
                            _ => {}
                        }
                    }
                    let _ = reply.send(match failed {
                        Some(e) => Err(e),
                        None => Ok(results),
                    });
                }
                Job::Chat {
                    user,
                    text,
                    reply,
                    response_url,
                    dialect,
                } => {
                    Metrics::add(&self.metrics.chat_commands, 1);
                    let now = (self.settings.clock)();
                    let answer = match chat::run(&self.store, &user, &text, now) {
                        Ok(reply) => {
                            if reply.public {
                                commits += 1;
                                // A chat command may resolve or declare: read the groups again.
                                self.groups = None;
                            }
                            reply
                        }
                        Err(e) => Reply {
                            text: format!("{e:#}"),
                            public: false,
                        },
                    };
                    if let Err(answer) = reply.send(answer) {
                        // The request was answered already ("working on it"): the result goes
                        // to the response URL chat gave.
                        if let Some(url) = response_url {
                            let log = self.settings.log.clone();
                            std::thread::spawn(move || {
                                post_late(&url, &answer, dialect, log.as_ref())
                            });
                        }
                    }
                }
            }
        }
        Metrics::add(&self.metrics.commits, commits as u64);
        commits
    }

    /// Takes one group's batches: logged on its open incident, or declared (after winning the
    /// claim among servers). `None`: another server is declaring it; wait for its push.
    fn take_group(&mut self, batches: &[AlertBatch]) -> Result<Option<Ingested>> {
        let group = batches[0].group.clone();
        let alerts: usize = batches.iter().map(|b| b.alerts.len()).sum();
        let state = self.groups().get(&group).cloned().unwrap_or_default();
        let firing = batches.iter().any(AlertBatch::firing);
        let declaring = !state.open && firing && !batches[0].plan(self.store.config()).ignore;
        if declaring && let Some(remote) = self.settings.remote.clone() {
            let ledger = self.store.ledger(&remote, self.settings.sender.clone())?;
            let key = format!("alert-declare/{group}/{}", state.declared + 1);
            match ledger.claim(&key, (self.settings.clock)(), DECLARE_CLAIM)? {
                Claim::Won => {}
                Claim::Taken | Claim::Sent => return Ok(None),
            }
        }
        let actor = crate::ops::Actor::new(
            self.settings.alert_author(batches[0].source),
            (self.settings.clock)(),
        );
        let ingested = crate::ops::alert::ingest(&self.store, &actor, batches, &state)?;
        Metrics::add(&self.metrics.alerts, alerts as u64);
        if let Some(id) = &ingested.incident {
            let open = ingested.moved_to != Some(crate::model::Status::Resolved);
            let entry = self.groups().entry(group).or_default();
            if ingested.declared {
                entry.declared += 1;
            }
            entry.incident = Some(id.clone());
            entry.open = open;
        }
        if ingested.declared {
            Metrics::add(&self.metrics.declared, 1);
            self.log(&format!(
                "declared {} from {} alert(s) of {}",
                ingested.incident.as_deref().unwrap_or("?"),
                alerts,
                batches[0].source.as_str()
            ));
        }
        Ok(Some(ingested))
    }
}

fn answer_unavailable(job: Job) {
    match job {
        Job::Alerts { reply, .. } => {
            let _ = reply.send(Err("the server is shutting down; send it again".into()));
        }
        Job::Chat { reply, .. } => {
            let _ = reply.send(Reply {
                text: "the server is shutting down; try again".into(),
                public: false,
            });
        }
    }
}

/// Posts a late answer to chat's response URL (allowed by `serve.response_urls`, checked when
/// the request came in).
fn post_late(url: &str, reply: &Reply, dialect: chat::Dialect, log: &(dyn Fn(&str) + Send + Sync)) {
    let body = super::http::chat_body(reply, dialect);
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(Duration::from_secs(10)))
        .build()
        .into();
    if let Err(e) = agent
        .post(url)
        .header("content-type", "application/json")
        .send(body.as_bytes())
    {
        // Said without the URL: a response URL is itself a credential for the channel.
        let why = match e {
            ureq::Error::StatusCode(code) => format!("it answered {code}"),
            ureq::Error::Io(e) => format!("{:?}", e.kind()),
            ureq::Error::Timeout(_) => "timed out".into(),
            _ => "the request failed".into(),
        };
        log(&format!("warning: cannot post a late chat answer ({why})"));
    }
}
