//! `incident severity ID SEV`: re-grade an incident; the change and its reason go on the timeline.

use super::Context;
use crate::model::Severity;
use crate::ops::IncidentChange;
use anyhow::Result;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// the incident (any unique part of its ID)
    #[arg(add = crate::complete::incidents())]
    pub id: String,
    /// the new severity: SEV1, SEV2, SEV3 or SEV4
    #[arg(add = crate::complete::severities())]
    pub severity: Severity,
    /// why the severity changed
    #[arg(long, short)]
    pub reason: Option<String>,
    /// when it changed, if not now (RFC 3339, HH:MM or `15m ago`)
    #[arg(long, value_name = "TIME")]
    pub at: Option<String>,
}

pub fn run(ctx: &Context, args: Args) -> Result<()> {
    let change = IncidentChange::Severity {
        to: args.severity,
        reason: args.reason,
    };
    super::change(ctx, &args.id, args.at.as_deref(), change)
}
