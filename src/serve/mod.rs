//! `incident serve`: a long-running process over a clone of the incident repo. Alerts and chat
//! commands come in over HTTP and become the operations the command line runs, each a commit in
//! this clone, pushed to the remote; notifications and pages go out as soon as a commit calls for
//! them, and on a timer for reminders and escalations.
//!
//! Three parts: the HTTP side on tokio ([`http`]), one git thread that owns the clone
//! ([`worker`]), and a notifier thread that runs the same delivery as `incident notify`. Several
//! servers on clones of one remote agree through git: a group's declaration and every page are
//! claimed in the shared ledger first.

pub mod chat;
pub mod http;
pub mod metrics;
pub mod worker;

pub use metrics::Metrics;

use crate::model::alert::Source;
use crate::store::{Author, Store};
use anyhow::{Context as _, Result};
use chrono::{DateTime, Utc};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// The secrets of the paths, from the environment only.
#[derive(Default)]
pub struct Secrets {
    /// The bearer token of `/alerts/*` (`INCIDENT_SERVE_TOKEN`).
    pub alerts: Option<String>,
    /// The bearer token of `/metrics` (`INCIDENT_METRICS_TOKEN`, else the alerts' token).
    pub metrics: Option<String>,
    /// Slack's signing secret (`SLACK_SIGNING_SECRET`).
    pub slack: Option<String>,
    /// Mattermost's slash command token (`MATTERMOST_TOKEN`).
    pub mattermost: Option<String>,
}

impl std::fmt::Debug for Secrets {
    // Never printed, whatever prints the settings.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let set = |s: &Option<String>| if s.is_some() { "set" } else { "unset" };
        f.debug_struct("Secrets")
            .field("alerts", &set(&self.alerts))
            .field("metrics", &set(&self.metrics))
            .field("slack", &set(&self.slack))
            .field("mattermost", &set(&self.mattermost))
            .finish()
    }
}

pub type Clock = Box<dyn Fn() -> DateTime<Utc> + Send + Sync>;
pub type Log = Arc<dyn Fn(&str) + Send + Sync>;
/// An environment variable's value.
pub type Env = Box<dyn Fn(&str) -> Option<String> + Send + Sync>;

/// How a server runs: from the command line, `.incident.yaml` and the environment.
pub struct Settings {
    pub root: PathBuf,
    pub listen: std::net::SocketAddr,
    /// The remote it syncs with; none: it works on this clone alone.
    pub remote: Option<String>,
    pub fetch_every: Duration,
    pub notify_every: Duration,
    /// The `incident` binary, registered as git's merge driver.
    pub driver: PathBuf,
    /// Who sends, in the ledger (host and process).
    pub sender: String,
    /// Who merges, for the merge commits of a sync.
    pub author: Author,
    pub clock: Clock,
    pub log: Log,
    pub secrets: Secrets,
    /// Prefixes a chat response URL must have to be posted to.
    pub response_urls: Vec<String>,
    /// Paths that answer 404.
    pub disabled: Vec<String>,
    /// An environment variable's value, for the notification targets' URLs and secrets.
    pub env: Env,
}

impl Settings {
    /// The author of a change an alert makes.
    pub fn alert_author(&self, source: Source) -> Author {
        Author {
            name: format!("{} alerts", source.as_str()),
            email: String::new(),
        }
    }
}

/// Serves until SIGTERM or SIGINT; then finishes the requests in flight, commits and pushes what
/// they brought, and returns.
pub fn run(settings: Settings, bound: impl FnOnce(std::net::SocketAddr)) -> Result<()> {
    // Opened here so a repo that does not open fails the start; the worker opens its own (a
    // store stays on the thread that opened it).
    Store::open(&settings.root)?.recover_if_interrupted();
    let settings = Arc::new(settings);
    let metrics = Arc::new(Metrics::default());
    let (jobs, queue) = std::sync::mpsc::sync_channel(20_000);
    let (wake, woken) = std::sync::mpsc::channel();
    let git = {
        let settings = settings.clone();
        let metrics = metrics.clone();
        std::thread::Builder::new()
            .name("incident-git".into())
            .spawn(move || match Store::open(&settings.root) {
                Ok(store) => worker::Worker::new(store, settings, metrics, wake).run(queue),
                Err(e) => (settings.log)(&format!("error: cannot open the incident repo: {e:#}")),
            })
            .context("cannot start the git worker")?
    };
    let notifier = {
        let settings = settings.clone();
        let metrics = metrics.clone();
        std::thread::Builder::new()
            .name("incident-notify".into())
            .spawn(move || notify_loop(&settings, &metrics, &woken))
            .context("cannot start the notifier")?
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let app = http::App::new(jobs, settings.clone(), metrics);
    let served: Result<()> = runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(settings.listen)
            .await
            .with_context(|| format!("cannot listen on {}", settings.listen))?;
        bound(listener.local_addr()?);
        http::serve(listener, http::router(app), shutdown_signal()).await;
        Ok(())
    });
    // The router and every connection are gone: the queue's last sender with them.
    runtime.shutdown_timeout(Duration::from_secs(5));
    let _ = git.join();
    let _ = notifier.join();
    served
}

async fn shutdown_signal() {
    use tokio::signal::unix::{SignalKind, signal};
    let (Ok(mut term), Ok(mut int)) = (
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
    ) else {
        std::future::pending::<()>().await;
        return;
    };
    tokio::select! {
        _ = term.recv() => {}
        _ = int.recv() => {}
    }
}

/// Delivers what the records call for whenever the worker commits or pulls something, and every
/// `notify_every` for reminders and escalation levels coming due.
fn notify_loop(settings: &Settings, metrics: &Metrics, woken: &std::sync::mpsc::Receiver<()>) {
    use std::sync::mpsc::RecvTimeoutError;
    let started = (settings.clock)();
    let mut floors_known = false;
    loop {
        let last = match woken.recv_timeout(settings.notify_every) {
            Ok(()) | Err(RecvTimeoutError::Timeout) => false,
            Err(RecvTimeoutError::Disconnected) => true,
        };
        while woken.try_recv().is_ok() {}
        if let Err(e) = notify_once(settings, metrics, started, &mut floors_known) {
            (settings.log)(&format!("warning: notify: {e:#}"));
        }
        if last {
            break;
        }
    }
}

fn notify_once(
    settings: &Settings,
    metrics: &Metrics,
    started: DateTime<Utc>,
    floors_known: &mut bool,
) -> Result<()> {
    let store = Store::open(&settings.root)?;
    metrics.escalations_pending.store(
        unacknowledged_paged(&store),
        std::sync::atomic::Ordering::Relaxed,
    );
    let config = store.config();
    if config.notify.targets.is_empty() {
        return Ok(());
    }
    let remote = settings.remote.as_deref().unwrap_or("origin");
    if !*floors_known {
        let ledger = store.ledger(remote, settings.sender.clone())?;
        let _ = ledger.fetch();
        *floors_known = config
            .notify
            .targets
            .iter()
            .all(|t| ledger.floor(&t.id).is_some());
    }
    // A first run starts from the server's start, so it does not send the whole history.
    let since = (!*floors_known).then(|| started - chrono::Duration::minutes(5));
    let now = (settings.clock)();
    let clock = || (settings.clock)();
    let env = |name: &str| (settings.env)(name);
    let report = crate::notify::run::deliver(
        &store,
        &crate::notify::run::Run {
            since,
            dry_run: false,
            remote,
            sender: settings.sender.clone(),
            now,
            clock: &clock,
            secret: &env,
        },
    )?;
    *floors_known = true;
    Metrics::add(&metrics.deliveries, report.sent.len() as u64);
    Metrics::add(&metrics.delivery_failures, report.failed.len() as u64);
    for key in &report.sent {
        (settings.log)(&format!("sent {key}"));
    }
    for f in &report.failed {
        (settings.log)(&format!(
            "warning: notification {} failed ({})",
            f.key, f.reason
        ));
    }
    Ok(())
}

/// Active incidents nobody acknowledged that an escalation policy covers: pages may still go out.
fn unacknowledged_paged(store: &Store) -> u64 {
    let Ok(escalation) = store.escalation() else {
        return 0;
    };
    if escalation.policies.is_empty() {
        return 0;
    }
    let Ok(all) = store.load_all_as::<crate::model::IncidentSummary>() else {
        return 0;
    };
    all.into_iter()
        .flatten()
        .filter(|i| i.status.is_active() && i.times.acknowledged_at.is_none())
        .filter_map(|i| store.load(&i.id).ok())
        .filter(|i| escalation.policy_for(i).is_some())
        .count() as u64
}
