//! `incident check`: validate every record for CI. Errors (broken data, missing required roles) exit
//! 1; warnings (overdue updates and action items, missing post-mortems) are shown and exit 0. It only
//! reads: closing action items from `Closes-Action` trailers is `incident action sync`.

use super::Context;
use crate::model::Level;
use crate::output::Style;
use anyhow::{Result, bail};

#[derive(Debug, clap::Args)]
pub struct Args {}

pub fn run(ctx: &Context, _args: Args) -> Result<()> {
    let report = crate::ops::check::check(ctx.store()?, ctx.now, &|t| ctx.out.time_labelled(t))?;
    let errors = report.errors;
    if ctx.out.json {
        ctx.out.json(&report)?;
    } else {
        // Written in pieces of about a megabyte: line by line, thousands of findings cost a system
        // call each; as one string, the 16 MB of 50,000 findings cost more in fresh memory than
        // in formatting.
        use std::fmt::Write as _;
        const PIECE: usize = 1 << 20;
        let error = ctx.out.paint("error", Style::Red);
        let warning = ctx.out.paint("warning", Style::Yellow);
        let mut text = String::with_capacity(PIECE + 4096);
        for f in &report.findings {
            let level = match f.level {
                Level::Error => &error,
                Level::Warning => &warning,
            };
            if text.len() >= PIECE {
                ctx.out.line(&text)?;
                text.clear();
            } else if !text.is_empty() {
                text.push('\n');
            }
            let _ = write!(
                text,
                "{level}: {}: {}: {}\n  fix: {}",
                f.file, f.field, f.problem, f.fix
            );
        }
        if !text.is_empty() {
            ctx.out.line(text)?;
        }
        ctx.out.line(format!(
            "checked {} incident(s){}: {} error(s), {} warning(s)",
            report.incidents,
            if report.maintenance > 0 {
                format!(" and {} maintenance window(s)", report.maintenance)
            } else {
                String::new()
            },
            report.errors,
            report.warnings
        ))?;
    }
    // Freeing every finding one by one costs more than the process exit that frees them at once.
    std::mem::forget(report);
    if errors > 0 {
        bail!(CheckFailed(errors));
    }
    Ok(())
}

/// Carries the exit code without repeating the findings `run` already printed.
#[derive(Debug, thiserror::Error)]
#[error("{0} error(s) found")]
pub struct CheckFailed(pub usize);
