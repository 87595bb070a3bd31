//! `incident status ID STATUS`: move through investigating → identified → monitoring → resolved.

use super::Context;
use crate::model::Status;
use crate::ops::IncidentChange;
use anyhow::Result;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// the incident (any unique part of its ID)
    #[arg(add = crate::complete::incidents())]
    pub id: String,
    /// the new status: investigating, identified, monitoring or resolved
    #[arg(add = crate::complete::statuses())]
    pub status: Status,
    /// what changed, for the timeline
    #[arg(long, short)]
    pub note: Option<String>,
    /// allow leaving `resolved` (the incident came back)
    #[arg(long)]
    pub reopen: bool,
    /// when it changed, if not now (RFC 3339, HH:MM or `15m ago`)
    #[arg(long, value_name = "TIME")]
    pub at: Option<String>,
}

pub fn run(ctx: &Context, args: Args) -> Result<()> {
    let change = IncidentChange::Status {
        to: args.status,
        note: args.note,
        reopen: if args.reopen {
            crate::model::Reopen::Yes
        } else {
            crate::model::Reopen::No
        },
    };
    super::change(ctx, &args.id, args.at.as_deref(), change)
}
