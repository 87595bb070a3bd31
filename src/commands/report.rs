//! `incident report --out DIR`: the reliability report (charts, tables, CSV and JSON) over a
//! window, for the people who ask whether things get better.

use super::Context;
use crate::ops::report::By;
use anyhow::{Context as _, Result};
use std::path::PathBuf;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// the folder to write index.html, report.json and the CSV files into (created; never the
    /// incident repo or your home)
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// the window: incidents detected since TIME (a span like 90d, or RFC 3339)
    #[arg(long, default_value = "90d", value_name = "TIME")]
    pub since: String,
    /// break the response times down by service, severity or team (`team:` of each service)
    #[arg(long, value_enum)]
    pub by: Option<ByArg>,
    /// count drills (practice incidents) too
    #[arg(long)]
    pub include_drills: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ByArg {
    Service,
    Severity,
    Team,
}

pub fn run(ctx: &Context, args: Args) -> Result<()> {
    let store = ctx.store()?;
    let since = ctx.since_arg(&args.since)?;
    let by = args.by.map(|b| match b {
        ByArg::Service => By::Service,
        ByArg::Severity => By::Severity,
        ByArg::Team => By::Team,
    });
    let out = if args.out.is_absolute() {
        args.out.clone()
    } else {
        ctx.dir.join(&args.out)
    };
    store.check_output_folder(&out, ctx.home.as_deref(), "the report")?;
    let report = crate::ops::report::report(store, since, ctx.now, by, args.include_drills)?;
    for e in &report.skipped {
        crate::say!("warning: skipped {e}");
    }
    std::fs::create_dir_all(&out).with_context(|| format!("cannot create `{}`", out.display()))?;
    let files = crate::render::report::files(&report)?;
    for (name, content) in &files {
        crate::store::write_atomically(&out.join(name), content.as_bytes())?;
    }
    if ctx.out.json {
        return ctx.out.json(&report);
    }
    ctx.out.line(format!(
        "wrote {} files to {} ({} incidents from {} to {}): open {}",
        files.len(),
        out.display(),
        report.stats.incidents,
        ctx.out.time_in_zone(report.stats.since),
        ctx.out.time_in_zone(report.stats.until),
        out.join("index.html").display()
    ))
}
