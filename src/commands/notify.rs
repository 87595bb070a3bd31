//! `incident notify`: deliver every notification the history calls for and no one has sent yet,
//! exactly once across clones (see `src/notify/ledger.rs`), to the targets in `.incident.yaml`.

use super::Context;
use crate::model::{Incident, NotifyTarget};
use crate::notify::deliver::{self, Outcome, Policy};
use crate::notify::ledger::{Claim, Ledger};
use crate::notify::{Notification, check_target, plan};
use crate::render::Renderer;
use anyhow::{Result, bail};
use chrono::{DateTime, Utc};
use std::path::Path;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// print what would be delivered; send and claim nothing
    #[arg(long)]
    pub dry_run: bool,
    /// only events from then on (`2h`, `1d`, RFC 3339); required while a target has never been
    /// sent anything, so a first run does not replay the whole history
    #[arg(long, value_name = "TIME")]
    pub since: Option<String>,
    /// list the deliveries that failed and were not sent since, then exit
    #[arg(long)]
    pub status: bool,
    /// the remote that holds the shared ledger (used when the repo has it)
    #[arg(long, default_value = "origin", value_name = "NAME")]
    pub remote: String,
}

#[derive(serde::Serialize, Default)]
struct Report {
    sent: Vec<String>,
    failed: Vec<Failure>,
    /// Claimed by another sender that is delivering them now.
    left_to_others: Vec<String>,
    /// Not tried: their target failed earlier in this run; the next run tries them.
    deferred: Vec<String>,
    dry_run: Vec<Notification>,
}

#[derive(serde::Serialize)]
struct Failure {
    key: String,
    reason: String,
}

/// Who is sending, as the ledger records it: host and process.
fn sender() -> String {
    let host = std::fs::read_to_string("/etc/hostname")
        .ok()
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_else(|| "unknown-host".into());
    format!("{host} pid {}", std::process::id())
}

pub fn run(ctx: &Context, args: Args) -> Result<()> {
    let since = match &args.since {
        Some(text) => Some(ctx.since_arg(text)?),
        None => None,
    };
    if args.status {
        let store = ctx.store()?;
        checked_targets(store)?;
        let ledger = Ledger::open(store.root(), &args.remote, sender())?;
        ledger.fetch()?;
        return status(ctx, &ledger);
    }
    let report = deliver_pending(ctx, since, args.dry_run, &args.remote)?;
    print(ctx, &report)?;
    if !report.failed.is_empty() {
        bail!(
            "{} notification(s) failed; they are retried by the next `incident notify` once their claim times out",
            report.failed.len()
        );
    }
    Ok(())
}

/// After a change, with `--notify` or `notify: auto`: delivers what the change (and anything else
/// from the last minutes) calls for. Never fails the change: a problem is a warning.
pub(crate) fn after_change(ctx: &Context) {
    let Ok(store) = ctx.store() else { return };
    if !ctx.notify && !store.config().notify.auto {
        return;
    }
    let since = ctx.now - chrono::Duration::minutes(5);
    match deliver_pending(ctx, Some(since), false, "origin") {
        Ok(report) => {
            for f in &report.failed {
                crate::say!(
                    "warning: notification {} failed ({}); `incident notify` retries it",
                    f.key,
                    f.reason
                );
            }
            if !report.sent.is_empty() && !ctx.out.json {
                crate::say!("notified: {} message(s) sent", report.sent.len());
            }
        }
        Err(e) => crate::say!("warning: the change is committed but notifying failed: {e:#}"),
    }
}

fn checked_targets(store: &crate::store::Store) -> Result<()> {
    let config = store.config();
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

/// Plans, claims and delivers every pending notification from `since` on (`None`: all history,
/// refused while a target has never been sent anything).
fn deliver_pending(
    ctx: &Context,
    since_arg: Option<DateTime<Utc>>,
    dry_run: bool,
    remote: &str,
) -> Result<Report> {
    let store = ctx.store()?;
    let config = store.config();
    checked_targets(store)?;
    let ledger = Ledger::open(store.root(), remote, sender())?;
    ledger.fetch()?;
    // Each target's history starts at its floor (the first run's `--since`) unless asked for more.
    let mut floors = std::collections::BTreeMap::new();
    for t in &config.notify.targets {
        let floor = match (since_arg, ledger.floor(&t.id)) {
            (Some(asked), _) => asked,
            (None, Some(floor)) => floor,
            (None, None) => bail!(
                "target `{}` has never been sent anything: pass --since (e.g. --since 1h) so a first run does not send the whole history",
                t.id
            ),
        };
        floors.insert(t.id.clone(), floor);
    }
    let since = floors
        .values()
        .min()
        .copied()
        .unwrap_or(DateTime::UNIX_EPOCH);
    // After a run that left nothing open, only records changed since its HEAD and active
    // incidents (their reminders) can owe anything: the rest is not even read.
    let state_file = ledger
        .git_dir()
        .join("incident-cache")
        .join("notify-state.json");
    let fingerprint = serde_json::to_string(&(&config.notify, &floors))?;
    let mut carried_due: Option<chrono::NaiveDate> = None;
    let subset: Option<std::collections::HashSet<String>> = (|| {
        if since_arg.is_some() || ledger.has_open_claims() {
            return None;
        }
        let state: RunState = serde_json::from_slice(&std::fs::read(&state_file).ok()?).ok()?;
        if state.fingerprint != fingerprint {
            return None;
        }
        // An action item fell due since: only a full read finds which.
        if state
            .next_action_due
            .is_some_and(|d| ctx.now.date_naive() > d)
        {
            return None;
        }
        carried_due = state.next_action_due;
        let (_, changed) =
            ledger.changed_since(&state.head, &ledger.incidents_path(store.root()))?;
        // An incident becomes active only through a commit, so the last run's active ones plus the
        // changed records are every incident that can owe anything.
        let ids: std::collections::HashSet<String> = changed
            .into_iter()
            .chain(state.active)
            .filter(|id| store.path_of(id).is_file())
            .collect();
        Some(ids)
    })();
    let mut incidents: Vec<Incident> = Vec::new();
    match &subset {
        Some(ids) => {
            let mut ids: Vec<String> = ids.iter().cloned().collect();
            ids.sort();
            for loaded in store.load_ids_mapped(&ids, |i: Incident| i) {
                match loaded {
                    Ok(i) => incidents.push(i),
                    Err(e) => crate::say!("warning: skipped {e}"),
                }
            }
        }
        None => {
            for loaded in store.load_all()? {
                match loaded {
                    Ok(i) => incidents.push(i),
                    Err(e) => crate::say!("warning: skipped {e}"),
                }
            }
        }
    }
    let maintenance = store.load_all_maintenance()?;
    let mut pending: Vec<Notification> = plan(&incidents, &maintenance, config, since, ctx.now)
        .into_iter()
        .filter(|n| n.at >= floors[&n.target] || crate::notify::is_reminder(&n.event))
        .filter(|n| !ledger.is_sent(&n.key))
        .collect();
    let renderer = Renderer::new(Some(store.root()), config);
    crate::notify::render_texts(&mut pending, &incidents, config, &renderer, ctx.now)?;
    let mut report = Report::default();
    if dry_run {
        report.dry_run = pending;
        return Ok(report);
    }
    for (target, floor) in &floors {
        ledger.set_floor(target, *floor)?;
    }
    // Every secret a pending notification needs, before anything is sent.
    for t in &config.notify.targets {
        if pending.iter().any(|n| n.target == t.id) {
            secret(t, &t.url_env)?;
            if let Some(env) = &t.secret_env {
                secret(t, env)?;
            }
        }
    }
    let policy = Policy {
        timeout: config
            .notify
            .timeout
            .map_or(Policy::default().timeout, |s| to_std(s.seconds())),
        backoff: config
            .notify
            .backoff
            .map_or(Policy::default().backoff, |s| to_std(s.seconds())),
        attempts: config
            .notify
            .attempts
            .unwrap_or(Policy::default().attempts)
            .max(1),
        ..Policy::default()
    };
    let claim_timeout = config
        .notify
        .claim_timeout
        .map_or(chrono::Duration::minutes(10), |s| s.to_chrono());
    let base = config
        .status_page
        .url
        .as_ref()
        .map(|u| u.trim_end_matches('/').to_string());
    // A target that failed even after its retries is left alone for the rest of the run: an
    // outage of the chat service must not hold the run for every message in the queue.
    let mut down: std::collections::HashSet<String> = std::collections::HashSet::new();
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
        match ledger.claim(&n.key, Utc::now().max(ctx.now), claim_timeout)? {
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
        let routing_key = match (&target.secret_env, target.kind.as_str()) {
            (Some(env), "pagerduty") => Some(secret(target, env)?),
            _ => None,
        };
        let body = serde_json::to_vec(&deliver::payload(
            &target.kind,
            &n,
            link.as_deref(),
            routing_key.as_deref(),
        ))?;
        let mut headers = vec![
            ("Idempotency-Key".to_string(), n.key.clone()),
            ("X-Incident-Delivery".to_string(), n.key.clone()),
        ];
        if let (Some(env), "webhook") = (&target.secret_env, target.kind.as_str()) {
            let key = secret(target, env)?;
            headers.push((
                "X-Incident-Signature-256".to_string(),
                deliver::signature(key.as_bytes(), &body),
            ));
        }
        let url = secret(target, &target.url_env)?;
        let outcome = if target.kind == "email" {
            let from = target
                .from
                .clone()
                .unwrap_or_else(|| "incident@localhost".to_string());
            deliver::send_email(&url, &from, &target.to, &n, &policy)
        } else {
            deliver::post(&url, &body, &headers, &policy)
        };
        match outcome {
            Outcome::Delivered { .. } => {
                // Delivered is delivered: a ledger that cannot record it now only means a repeat
                // (with the same idempotency key) after the claim times out, never a stopped run.
                if let Err(e) = ledger.mark_sent(&n.key, Utc::now().max(ctx.now)) {
                    crate::say!("warning: {} was delivered but not recorded: {e:#}", n.key);
                }
                report.sent.push(n.key);
            }
            Outcome::Failed { reason, attempts } => {
                if attempts >= policy.attempts && policy.attempts > 1 {
                    down.insert(target.id.clone());
                }
                let reason = format!("{}: {reason}", target.id);
                ledger.mark_failed(&n.key, Utc::now().max(ctx.now), &reason)?;
                report.failed.push(Failure { key: n.key, reason });
            }
        }
    }
    if report.failed.is_empty()
        && report.left_to_others.is_empty()
        && report.deferred.is_empty()
        && let Some(head) = ledger.head()
    {
        // The next day an open action item becomes overdue: a quick run must not miss it.
        let today = ctx.now.date_naive();
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
        if let Ok(bytes) = serde_json::to_vec(&state) {
            let _ = std::fs::create_dir_all(state_file.parent().unwrap_or(Path::new(".")));
            let _ = crate::store::replace_file(&state_file, &bytes);
        }
    }
    if !report.sent.is_empty() || !report.failed.is_empty() {
        // Each delivery leaves two refs and two blobs in the ledger.
        ledger.tidy();
    }
    Ok(report)
}

/// What the last complete run saw: HEAD and the targets and floors it ran with.
#[derive(serde::Serialize, serde::Deserialize)]
struct RunState {
    head: String,
    fingerprint: String,
    /// The earliest due date of an open action item not yet overdue.
    #[serde(default)]
    next_action_due: Option<chrono::NaiveDate>,
    /// The incidents that were active: they owe reminders whether or not they change.
    #[serde(default)]
    active: Vec<String>,
}

fn to_std(secs: i64) -> std::time::Duration {
    std::time::Duration::from_secs(secs.max(1) as u64)
}

/// The value of an environment variable a target names; the error names the variable, never a value.
fn secret(target: &NotifyTarget, env: &str) -> Result<String> {
    match std::env::var(env) {
        Ok(v) if !v.trim().is_empty() => Ok(v.trim().to_string()),
        _ => bail!(
            "notify target `{}` needs the environment variable `{env}` (set it in your shell or CI secrets; it is never written to the repo)",
            target.id
        ),
    }
}

fn print(ctx: &Context, report: &Report) -> Result<()> {
    if ctx.out.json {
        return ctx.out.json(report);
    }
    if !report.dry_run.is_empty() {
        for n in &report.dry_run {
            let first = n.text.lines().next().unwrap_or("");
            ctx.out.line(format!(
                "would send to {}: {} {} ({}): {first}",
                n.target,
                n.incident,
                n.event,
                ctx.out.time_labelled(n.at)
            ))?;
        }
        return ctx.out.line(format!(
            "{} notification(s) would be sent",
            report.dry_run.len()
        ));
    }
    for f in &report.failed {
        crate::say!("failed: {} ({})", f.key, f.reason);
    }
    let deferred = if report.deferred.is_empty() {
        String::new()
    } else {
        format!(
            ", {} deferred (their target is failing; the next run tries them)",
            report.deferred.len()
        )
    };
    ctx.out.line(format!(
        "sent {}, failed {}, left {} to another sender{deferred}",
        report.sent.len(),
        report.failed.len(),
        report.left_to_others.len()
    ))
}

fn status(ctx: &Context, ledger: &Ledger) -> Result<()> {
    let failures = ledger.failures();
    if ctx.out.json {
        return ctx.out.json(&failures);
    }
    if failures.is_empty() {
        return ctx.out.line("no failed deliveries");
    }
    for f in &failures {
        ctx.out.line(format!(
            "{}  {}  {}",
            ctx.out.time_labelled(f.at),
            f.key,
            f.note.as_deref().unwrap_or("")
        ))?;
    }
    Ok(())
}
