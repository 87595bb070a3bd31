//! One delivery run: plan what the records call for, claim each notification in the shared ledger,
//! deliver it, record the outcome. `incident notify`, `--notify` after a change and the server all
//! run this; none of them prints from here.

use super::deliver::{self, Outcome, Policy};
use super::{Notification, TargetKind, check_target, plan};
use crate::model::{Config, Incident, NotifyTarget};
use crate::render::Renderer;
use crate::store::Store;
use crate::store::ledger::{Claim, Ledger};
use anyhow::{Result, bail};
use chrono::{DateTime, NaiveDate, Utc};
use std::collections::{BTreeMap, HashSet};

/// What a run needs from the front door that starts it.
pub struct Run<'a> {
    /// Only events from then on; `None`: each target from its floor (refused while a target has
    /// never been sent anything, so a first run does not replay the whole history).
    pub since: Option<DateTime<Utc>>,
    /// Plan and render, claim and send nothing.
    pub dry_run: bool,
    /// The remote that holds the shared ledger.
    pub remote: &'a str,
    /// Who sends, as the ledger records it (host and process).
    pub sender: String,
    /// The moment the run plans for: what is owed, what is due in how long.
    pub now: DateTime<Utc>,
    /// The clock: `now` moving on as the run takes time. Claims and deliveries are stamped with
    /// it, so tests move time rather than wait for it.
    pub clock: &'a dyn Fn() -> DateTime<Utc>,
    /// The value of an environment variable a target names for its URL or secret; the library
    /// reads no environment of its own.
    pub secret: &'a dyn Fn(&str) -> Option<String>,
}

/// What a run did.
#[derive(serde::Serialize, Default, Debug)]
pub struct Report {
    pub sent: Vec<String>,
    pub failed: Vec<Failure>,
    /// Claimed by another sender that is delivering them now.
    pub left_to_others: Vec<String>,
    /// Not tried: their target failed earlier in this run; the next run tries them.
    pub deferred: Vec<String>,
    pub dry_run: Vec<Notification>,
    /// Records that could not be read (each left out, with why).
    #[serde(skip)]
    pub skipped: Vec<String>,
    /// Deliveries made but not recorded (repeated, with the same idempotency key, once the claim
    /// times out).
    #[serde(skip)]
    pub unrecorded: Vec<String>,
}

#[derive(serde::Serialize, Debug)]
pub struct Failure {
    pub key: String,
    pub reason: String,
}

/// The targets of `.incident.yaml`, each checked; an error names the target and what is valid.
pub fn checked_targets(config: &Config) -> Result<()> {
    if config.notify.targets.is_empty() {
        bail!(
            "no notification targets: add `notify: targets:` to .incident.yaml (see docs/notify.md)"
        );
    }
    for t in &config.notify.targets {
        check_target(t).map_err(|e| anyhow::anyhow!("{e} (in .incident.yaml)"))?;
    }
    Ok(())
}

/// Plans, claims and delivers every pending notification (see [`Run`]).
pub fn deliver(store: &Store, run: &Run) -> Result<Report> {
    let config = store.config();
    checked_targets(config)?;
    let ledger = store.ledger(run.remote, run.sender.clone())?;
    ledger.fetch()?;
    let now = run.now;
    let floors = floors(config, &ledger, run.since)?;
    let since = floors
        .values()
        .min()
        .copied()
        .unwrap_or(DateTime::UNIX_EPOCH);
    let paging = crate::model::escalation::Paging {
        escalation: store.escalation()?,
        schedules: store.schedules()?,
        overrides: store.overrides()?,
    };
    let fingerprint = serde_json::to_string(&(&config.notify, &floors, &paging))?;
    let mut report = Report::default();
    let quick = QuickRun::read(&fingerprint, run.since.is_none(), &ledger, store, now);
    let incidents = load(store, quick.as_ref().map(|q| &q.ids), &mut report.skipped)?;
    let maintenance = store.load_all_maintenance()?;
    let mut pending: Vec<Notification> =
        plan(&incidents, &maintenance, config, &paging, since, now)
            .into_iter()
            .filter(|n| n.at >= floors[&n.target] || super::is_reminder(&n.event))
            .filter(|n| !ledger.is_sent(&n.key))
            .collect();
    // A page must never follow an acknowledgement any clone has pushed, though this clone has not
    // merged it yet: the remote's record has the last word.
    let paged: Vec<String> = pending
        .iter()
        .filter(|n| n.event == "page")
        .map(|n| n.incident.clone())
        .collect();
    if !paged.is_empty() && !run.dry_run {
        let acknowledged = store.acknowledged_on_remote(run.remote, &paged);
        pending.retain(|n| n.event != "page" || !acknowledged.contains(&n.incident));
    }
    let renderer = Renderer::new(Some(store.root()), config);
    super::render_texts(&mut pending, &incidents, config, &renderer, now)?;
    if run.dry_run {
        report.dry_run = pending;
        return Ok(report);
    }
    for (target, floor) in &floors {
        ledger.set_floor(target, *floor)?;
    }
    // Every secret a pending notification needs, before anything is sent.
    for t in &config.notify.targets {
        if pending.iter().any(|n| n.target == t.id) {
            secret(run, t, &t.url_env)?;
            if let Some(env) = &t.secret_env {
                secret(run, t, env)?;
            }
        }
    }
    send_all(store, run, &ledger, pending, &mut report)?;
    if report.failed.is_empty() && report.left_to_others.is_empty() && report.deferred.is_empty() {
        let carried = quick.and_then(|q| q.next_action_due);
        save_state(store, &ledger, fingerprint, &incidents, carried, now);
    }
    if !report.sent.is_empty() || !report.failed.is_empty() {
        // Each delivery leaves two refs and two blobs in the ledger.
        ledger.tidy();
    }
    Ok(report)
}

/// Where each target's history starts: the run's `since`, else the floor its first run set.
fn floors(
    config: &Config,
    ledger: &Ledger,
    asked: Option<DateTime<Utc>>,
) -> Result<BTreeMap<String, DateTime<Utc>>> {
    let mut floors = BTreeMap::new();
    for t in &config.notify.targets {
        let floor = match (asked, ledger.floor(&t.id)) {
            (Some(asked), _) => asked,
            (None, Some(floor)) => floor,
            (None, None) => bail!(
                "target `{}` has never been sent anything: pass --since (e.g. --since 1h) so a first run does not send the whole history",
                t.id
            ),
        };
        floors.insert(t.id.clone(), floor);
    }
    Ok(floors)
}

/// The records a run reads: `only` those (a quick run), else every one.
fn load(
    store: &Store,
    only: Option<&HashSet<String>>,
    skipped: &mut Vec<String>,
) -> Result<Vec<Incident>> {
    let loaded = match only {
        Some(ids) => {
            let mut ids: Vec<String> = ids.iter().cloned().collect();
            ids.sort();
            store.load_ids_mapped(&ids, |i: Incident| i)
        }
        None => store.load_all()?,
    };
    let mut incidents = Vec::with_capacity(loaded.len());
    for result in loaded {
        match result {
            Ok(i) => incidents.push(i),
            Err(e) => skipped.push(e.to_string()),
        }
    }
    Ok(incidents)
}

/// Claims and delivers each notification in turn. A target that failed even after its retries is
/// left alone for the rest of the run: an outage of the chat service must not hold the run for
/// every message in the queue.
fn send_all(
    store: &Store,
    run: &Run,
    ledger: &Ledger,
    pending: Vec<Notification>,
    report: &mut Report,
) -> Result<()> {
    let config = store.config();
    let policy = policy(config);
    let claim_timeout = config
        .notify
        .claim_timeout
        .map_or(chrono::Duration::minutes(10), |s| s.to_chrono());
    let base = config
        .status_page
        .url
        .as_ref()
        .map(|u| u.trim_end_matches('/').to_string());
    let mut down: HashSet<String> = HashSet::new();
    for n in pending {
        let target = config
            .notify
            .targets
            .iter()
            .find(|t| t.id == n.target)
            .expect("planned from these targets");
        if down.contains(&target.id) {
            report.deferred.push(n.key);
            continue;
        }
        match ledger.claim(&n.key, (run.clock)(), claim_timeout)? {
            Claim::Sent => continue,
            Claim::Taken => {
                report.left_to_others.push(n.key);
                continue;
            }
            Claim::Won => {}
        }
        let link = base
            .as_ref()
            .map(|b| format!("{b}/incidents/{}.html", n.incident));
        match send(run, target, &n, link.as_deref(), &policy)? {
            Outcome::Delivered { .. } => {
                // Delivered is delivered: a ledger that cannot record it now only means a repeat
                // (with the same idempotency key) after the claim times out, never a stopped run.
                if let Err(e) = ledger.mark_sent(&n.key, (run.clock)()) {
                    report.unrecorded.push(format!("{}: {e:#}", n.key));
                }
                report.sent.push(n.key);
            }
            Outcome::Failed { reason, attempts } => {
                if attempts >= policy.attempts && policy.attempts > 1 {
                    down.insert(target.id.clone());
                }
                let reason = format!("{}: {reason}", target.id);
                ledger.mark_failed(&n.key, (run.clock)(), &reason)?;
                report.failed.push(Failure { key: n.key, reason });
            }
        }
    }
    Ok(())
}

/// Sends one notification to its target, as the target's kind expects it.
fn send(
    run: &Run,
    target: &NotifyTarget,
    n: &Notification,
    link: Option<&str>,
    policy: &Policy,
) -> Result<Outcome> {
    let kind = &target.kind;
    let url = secret(run, target, &target.url_env)?;
    if *kind == TargetKind::Email {
        let from = target
            .from
            .clone()
            .unwrap_or_else(|| "incident@localhost".to_string());
        // A page goes to the person paged; everything else to the target's list.
        let to = match n.recipient.as_ref().and_then(|r| r.email.clone()) {
            Some(email) => vec![email],
            None => target.to.clone(),
        };
        return Ok(deliver::send_email(&url, &from, &to, n, policy));
    }
    let routing_key = match (&target.secret_env, kind) {
        (Some(env), TargetKind::PagerDuty) => Some(secret(run, target, env)?),
        _ => None,
    };
    let body = serde_json::to_vec(&deliver::payload(kind, n, link, routing_key.as_deref()))?;
    let mut headers = vec![
        ("Idempotency-Key".to_string(), n.key.clone()),
        ("X-Incident-Delivery".to_string(), n.key.clone()),
    ];
    if let (Some(env), TargetKind::Webhook) = (&target.secret_env, kind) {
        let key = secret(run, target, env)?;
        headers.push((
            "X-Incident-Signature-256".to_string(),
            deliver::signature(key.as_bytes(), &body),
        ));
    }
    Ok(deliver::post(&url, &body, &headers, policy))
}

/// The retry policy `.incident.yaml` sets, over the defaults.
fn policy(config: &Config) -> Policy {
    let to_std = |secs: i64| std::time::Duration::from_secs(secs.max(1) as u64);
    let notify = &config.notify;
    Policy {
        timeout: notify
            .timeout
            .map_or(Policy::default().timeout, |s| to_std(s.seconds())),
        backoff: notify
            .backoff
            .map_or(Policy::default().backoff, |s| to_std(s.seconds())),
        attempts: notify.attempts.unwrap_or(Policy::default().attempts).max(1),
        ..Policy::default()
    }
}

/// The value of a variable a target names; the error names the variable, never a value.
fn secret(run: &Run, target: &NotifyTarget, env: &str) -> Result<String> {
    match (run.secret)(env) {
        Some(v) if !v.trim().is_empty() => Ok(v.trim().to_string()),
        _ => bail!(
            "notify target `{}` needs the environment variable `{env}` (set it in your shell or CI secrets; it is never written to the repo)",
            target.id
        ),
    }
}

/// What the last complete run saw: HEAD and the targets and floors it ran with.
#[derive(serde::Serialize, serde::Deserialize)]
struct RunState {
    head: String,
    fingerprint: String,
    /// The earliest due date of an open action item not yet overdue.
    #[serde(default)]
    next_action_due: Option<NaiveDate>,
    /// The incidents that were active: they owe reminders whether or not they change.
    #[serde(default)]
    active: Vec<String>,
}

/// After a run that left nothing open, only records changed since its HEAD and active incidents
/// (their reminders) can owe anything: the rest is not even read.
struct QuickRun {
    ids: HashSet<String>,
    next_action_due: Option<NaiveDate>,
}

impl QuickRun {
    fn read(
        fingerprint: &str,
        from_floors: bool,
        ledger: &Ledger,
        store: &Store,
        now: DateTime<Utc>,
    ) -> Option<QuickRun> {
        if !from_floors || ledger.has_open_claims() {
            return None;
        }
        let state: RunState = store.notify_state()?;
        if state.fingerprint != fingerprint {
            return None;
        }
        // An action item fell due since: only a full read finds which.
        if state.next_action_due.is_some_and(|d| now.date_naive() > d) {
            return None;
        }
        let (_, changed) =
            ledger.changed_since(&state.head, &ledger.incidents_path(store.root()))?;
        // An incident becomes active only through a commit, so the last run's active ones plus
        // the changed records are every incident that can owe anything.
        let ids = changed
            .into_iter()
            .chain(state.active)
            .filter(|id| store.path_of(id).is_file())
            .collect();
        Some(QuickRun {
            ids,
            next_action_due: state.next_action_due,
        })
    }
}

/// Remembers what a complete run saw, for the next run to be quick.
fn save_state(
    store: &Store,
    ledger: &Ledger,
    fingerprint: String,
    incidents: &[Incident],
    carried_due: Option<NaiveDate>,
    now: DateTime<Utc>,
) {
    let Some(head) = ledger.head() else { return };
    // The next day an open action item becomes overdue: a quick run must not miss it.
    let today = now.date_naive();
    let next_action_due = incidents
        .iter()
        .flat_map(|i| &i.actions)
        .filter(|a| a.state == crate::model::ActionState::Open)
        .filter_map(|a| a.due)
        .filter(|d| *d >= today)
        .chain(carried_due.filter(|d| *d >= today))
        .min();
    let active = incidents
        .iter()
        .filter(|i| i.status.is_active())
        .map(|i| i.id.clone())
        .collect();
    let state = RunState {
        head,
        fingerprint,
        next_action_due,
        active,
    };
    store.save_notify_state(&state);
}
