//! `incident status ID STATUS`: move through investigating → identified → monitoring → resolved.

use super::{Context, change_incident};
use crate::model::Status;
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
    change_incident(ctx, &args.id, args.at.as_deref(), |incident, stamp| {
        incident
            .set_status(args.status, args.note.as_deref(), args.reopen, stamp)
            .cloned()
    })
}
