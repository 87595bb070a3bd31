//! `incident notify`: deliver every notification the history calls for and no one has sent yet,
//! exactly once across clones (see `src/notify/ledger.rs`), to the targets in `.incident.yaml`.

use super::Context;
use crate::notify::ledger::Ledger;
use crate::notify::run::{Report, Run};
use anyhow::{Result, bail};
use chrono::{DateTime, Utc};

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

/// Who is sending, as the ledger records it: host and process.
pub(crate) fn sender() -> String {
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
        crate::notify::run::checked_targets(store.config())?;
        let ledger = store.ledger(&args.remote, sender())?;
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
    deliver_now(ctx);
}

/// Whether a change's notifications go out right after its commit (`--notify`, `notify: auto`).
pub(crate) fn delivers_after_change(ctx: &Context) -> bool {
    ctx.notify || ctx.store().is_ok_and(|s| s.config().notify.auto)
}

/// Delivers what the last few minutes call for (a change's notifications, the first page of an
/// incident just declared); a failure only warns.
pub(crate) fn deliver_now(ctx: &Context) {
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

/// Runs [`crate::notify::run::deliver`] for this command line: the context's clock moving on
/// from its `now`, the targets' URLs and secrets from the environment, and each skipped record
/// and unrecorded delivery said on stderr.
fn deliver_pending(
    ctx: &Context,
    since: Option<DateTime<Utc>>,
    dry_run: bool,
    remote: &str,
) -> Result<Report> {
    let clock = || ctx.clock();
    let secret = |name: &str| std::env::var(name).ok();
    let report = crate::notify::run::deliver(
        ctx.store()?,
        &Run {
            since,
            dry_run,
            remote,
            sender: sender(),
            now: ctx.now,
            clock: &clock,
            secret: &secret,
        },
    )?;
    for e in &report.skipped {
        crate::say!("warning: skipped {e}");
    }
    for e in &report.unrecorded {
        crate::say!("warning: delivered but not recorded: {e}");
    }
    Ok(report)
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
