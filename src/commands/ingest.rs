//! `incident ingest alertmanager|grafana|generic`: takes one alert payload from stdin (or
//! `--file`) as `incident serve` takes it on its alert paths, for teams that run no server: a
//! script, a CI job or a monitoring system's command hook.

use super::Context;
use crate::model::alert::Source;
use anyhow::{Context as _, Result};
use std::io::Read;

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum Kind {
    /// Prometheus Alertmanager's webhook (version 4)
    Alertmanager,
    /// Grafana alerting's webhook contact point
    Grafana,
    /// the generic shape of docs/serve.md
    Generic,
}

#[derive(Debug, clap::Args)]
pub struct Args {
    /// what the payload is
    #[arg(value_enum)]
    pub kind: Kind,
    /// read the payload from FILE instead of stdin
    #[arg(long, value_name = "FILE")]
    pub file: Option<std::path::PathBuf>,
}

/// The largest payload read, as at the server.
pub const MAX_BODY: u64 = 1024 * 1024;

pub fn run(ctx: &Context, args: Args) -> Result<()> {
    let source = match args.kind {
        Kind::Alertmanager => Source::Alertmanager,
        Kind::Grafana => Source::Grafana,
        Kind::Generic => Source::Generic,
    };
    let mut body = Vec::new();
    let from = match &args.file {
        Some(path) => {
            std::fs::File::open(path)
                .with_context(|| format!("cannot read `{}`", path.display()))?
                .take(MAX_BODY + 1)
                .read_to_end(&mut body)
                .with_context(|| format!("cannot read `{}`", path.display()))?;
            format!("`{}`", path.display())
        }
        None => {
            std::io::stdin()
                .take(MAX_BODY + 1)
                .read_to_end(&mut body)
                .context("cannot read the payload from stdin")?;
            "stdin".to_string()
        }
    };
    if body.len() as u64 > MAX_BODY {
        anyhow::bail!("the payload on {from} is larger than {MAX_BODY} bytes");
    }
    // Not a usage error: the payload is data (exit 1, as for a record that does not read).
    let batches = crate::model::alert::parse(source, &body)
        .map_err(|e| anyhow::anyhow!("cannot take the alert payload on {from}: {e}"))?;
    let store = ctx.store()?;
    let actor = crate::ops::Actor::new(
        ctx.author().unwrap_or_else(|_| crate::store::Author {
            name: format!("{} alerts", source.as_str()),
            email: String::new(),
        }),
        ctx.now,
    );
    let mut groups = crate::ops::alert::groups(store)?;
    let mut results = Vec::new();
    for batch in &batches {
        let state = groups.remove(&batch.group).unwrap_or_default();
        let done = crate::ops::alert::ingest(store, &actor, std::slice::from_ref(batch), &state)?;
        if !ctx.out.json {
            match &done.outcome {
                Some(outcome) => {
                    super::report_saved(ctx, &outcome.incident, &outcome.commit, &outcome.what)?
                }
                None if done.ignored => ctx.out.line(format!(
                    "ignored {} (a rule of .incident.yaml says so)",
                    done.group
                ))?,
                None => ctx.out.line(match &done.incident {
                    Some(id) => format!("{id}: nothing new from {}", done.group),
                    None => format!("{}: nothing fires and no incident answers it", done.group),
                })?,
            }
        }
        results.push(done);
    }
    if ctx.out.json {
        ctx.out.json(&results)?;
    }
    if results.iter().any(|r| r.outcome.is_some()) {
        super::after_change(ctx)?;
    }
    Ok(())
}
