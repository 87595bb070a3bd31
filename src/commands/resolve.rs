//! `incident resolve ID`: the lifecycle's last step, recording `resolved_at`.

use super::{Context, change_incident};
use crate::model::Status;
use anyhow::Result;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// the incident (any unique part of its ID)
    pub id: String,
    /// how it was resolved, for the timeline
    #[arg(long, short)]
    pub note: Option<String>,
    /// when it was resolved, if not now (RFC 3339, HH:MM or `15m ago`)
    #[arg(long, value_name = "TIME")]
    pub at: Option<String>,
}

pub fn run(ctx: &Context, args: Args) -> Result<()> {
    change_incident(ctx, &args.id, args.at.as_deref(), |incident, stamp| {
        if incident.status == Status::Resolved {
            return Err(format!("`{}` is already resolved", incident.id));
        }
        incident
            .set_status(Status::Resolved, args.note.as_deref(), false, stamp)
            .cloned()
    })
}
