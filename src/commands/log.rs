//! `incident log ID TEXT`: append what just happened to the timeline.

use super::Context;
use crate::model::{Visibility, event_kind};
use crate::ops::IncidentChange;
use anyhow::{Result, anyhow, bail};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// the incident (any unique part of its ID)
    #[arg(add = crate::complete::incidents())]
    pub id: String,
    /// what happened (may start with `-`: `incident log ID "- rolled back"`)
    #[arg(allow_hyphen_values = true)]
    pub text: String,
    /// the kind of event (default note; comms with --to)
    #[arg(long, short, value_parser = clap::builder::PossibleValuesParser::new(event_kind::LOGGABLE))]
    pub kind: Option<String>,
    /// when it happened, if not now (RFC 3339, HH:MM or `15m ago`)
    #[arg(long, value_name = "TIME")]
    pub at: Option<String>,
    /// keep the event off every public output
    #[arg(long)]
    pub internal: bool,
    /// with `--kind comms`: who was told (customers, executives, status-page, partners, ...);
    /// this is what the communication deadlines are measured against
    #[arg(long, value_name = "AUDIENCE")]
    pub to: Option<String>,
}

pub fn run(ctx: &Context, args: Args) -> Result<()> {
    let visibility = if args.internal {
        Visibility::Internal
    } else {
        Visibility::Public
    };
    // A mistake in the flags is a usage error (exit 2): the model's refusal names the flag.
    if args.to.is_some() && args.kind.as_deref().is_some_and(|k| k != "comms") {
        return Err(anyhow!(crate::UsageError(format!(
            "--to goes with --kind comms (this event is `{}`)",
            args.kind.as_deref().unwrap_or_default()
        ))));
    }
    if args.text.trim().is_empty() {
        bail!(
            "the event text is empty: say what happened, e.g. `incident log {} \"failover started\"`",
            args.id
        );
    }
    let change = IncidentChange::log(&args.text, args.kind.as_deref(), visibility, args.to)?;
    super::change(ctx, &args.id, args.at.as_deref(), change)
}
