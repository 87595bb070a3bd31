//! `incident publish --out DIR`: the public status page from the incident repo (the CI job).

use super::Context;
use anyhow::{Result, bail};
use std::path::PathBuf;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// the folder to write the page to (status.md, index.html, feed.atom and the Statuspage JSON)
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// how many days of resolved incidents the history shows
    #[arg(long, default_value_t = 90)]
    pub days: u32,
    /// write nothing; exit 1 if DIR is out of date
    #[arg(long)]
    pub check: bool,
    /// also write the on-call calendars (oncall/) to this folder: they name people, so an
    /// internal site's, never inside --out
    #[arg(long, value_name = "DIR")]
    pub oncall_out: Option<PathBuf>,
}

pub fn run(ctx: &Context, args: Args) -> Result<()> {
    use crate::ops::publish::{Mode, publish};
    let out = if args.out.is_absolute() {
        args.out.clone()
    } else {
        ctx.dir.join(&args.out)
    };
    let mode = if args.check { Mode::Check } else { Mode::Write };
    let calendars = match &args.oncall_out {
        Some(dir) => {
            let dir = if dir.is_absolute() {
                dir.clone()
            } else {
                ctx.dir.join(dir)
            };
            // Compared as written and as resolved: the public folder must never receive them.
            let inside = |a: &std::path::Path, b: &std::path::Path| {
                a.starts_with(b)
                    || std::fs::canonicalize(a)
                        .ok()
                        .zip(std::fs::canonicalize(b).ok())
                        .is_some_and(|(a, b)| a.starts_with(b))
            };
            if inside(&dir, &out) || inside(&out, &dir) {
                return Err(anyhow::anyhow!(crate::UsageError(format!(
                    "--oncall-out `{}` overlaps --out `{}`: the calendars name people and belong on an internal site, apart from the public page",
                    dir.display(),
                    out.display()
                ))));
            }
            Some(dir)
        }
        None => None,
    };
    let published = publish(
        ctx.store()?,
        &out,
        args.days,
        mode,
        ctx.now,
        ctx.home.as_deref(),
    )?;
    if let (Some(dir), Mode::Write) = (&calendars, mode) {
        let written = crate::ops::oncall::export_ics(
            ctx.store()?,
            dir,
            ctx.now - chrono::Duration::days(7),
            ctx.now + chrono::Duration::days(90),
            ctx.home.as_deref(),
        )?;
        if !ctx.out.json {
            ctx.out.line(format!(
                "wrote {} on-call calendar(s) to {}",
                written.len(),
                dir.display()
            ))?;
        }
    }
    let (stale, total) = (published.changed, published.total);
    if ctx.out.json {
        return ctx
            .out
            .json(&serde_json::json!({ "out": out, "changed": stale, "check": args.check }));
    }
    if args.check {
        if stale.is_empty() {
            return ctx.out.line(format!("{} is up to date", out.display()));
        }
        let shown = if stale.len() <= 12 {
            stale.join(", ")
        } else {
            format!("{} and {} more", stale[..5].join(", "), stale.len() - 5)
        };
        bail!(
            "{} is out of date: {shown} would change; run `incident publish --out {}`",
            out.display(),
            args.out.display()
        );
    }
    if stale.is_empty() {
        ctx.out
            .line(format!("{} is up to date; nothing written", out.display()))
    } else if stale.len() <= 12 {
        ctx.out.line(format!(
            "published {} to {}",
            stale.join(", "),
            out.display()
        ))
    } else {
        ctx.out.line(format!(
            "published {} of {} files to {} ({}, ...; --json lists them all)",
            stale.len(),
            total,
            out.display(),
            stale[..5].join(", ")
        ))
    }
}
