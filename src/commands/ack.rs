//! `incident ack ID`: a responder has it; starts the clock for MTTA.

use super::Context;
use crate::ops::IncidentChange;
use anyhow::Result;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// the incident (any unique part of its ID)
    #[arg(add = crate::complete::incidents())]
    pub id: String,
    /// when it was acknowledged, if not now (RFC 3339, HH:MM or `15m ago`)
    #[arg(long, value_name = "TIME")]
    pub at: Option<String>,
}

pub fn run(ctx: &Context, args: Args) -> Result<()> {
    super::change(ctx, &args.id, args.at.as_deref(), IncidentChange::Ack)
}
