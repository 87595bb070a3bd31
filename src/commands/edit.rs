//! `incident edit ID`: correct the record (title, summary, kind, services, impact, tags, related
//! incidents, started and detected times). Each changed field is one timeline event, all of them one
//! commit; the ID never changes. With no flags on a terminal the fields open in `$EDITOR`.

use super::{Context, edit_in_editor};
use crate::model::{Editable, IncidentKind};
use anyhow::{Result, anyhow};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// the incident (any unique part of its ID)
    #[arg(add = crate::complete::incidents())]
    pub id: String,
    /// the title, in a few words
    #[arg(long, value_name = "TEXT")]
    pub title: Option<String>,
    /// the summary (an empty TEXT removes it)
    #[arg(long, value_name = "TEXT")]
    pub summary: Option<String>,
    /// the kind of incident
    #[arg(long, value_name = "KIND", add = crate::complete::kinds())]
    pub kind: Option<IncidentKind>,
    /// add an affected service (repeat)
    #[arg(long = "add-service", value_name = "S", add = crate::complete::services())]
    pub add_services: Vec<String>,
    /// remove an affected service (repeat)
    #[arg(long = "remove-service", value_name = "S", add = crate::complete::services())]
    pub remove_services: Vec<String>,
    #[command(flatten)]
    pub impact: super::ImpactArgs,
    /// add a tag (repeat)
    #[arg(long = "tag", value_name = "TAG")]
    pub tags: Vec<String>,
    /// remove a tag (repeat)
    #[arg(long = "remove-tag", value_name = "TAG")]
    pub remove_tags: Vec<String>,
    /// link a related incident (repeat; any unique part of its ID)
    #[arg(long = "related", value_name = "ID")]
    pub related: Vec<String>,
    /// unlink a related incident (repeat)
    #[arg(long = "remove-related", value_name = "ID")]
    pub remove_related: Vec<String>,
    /// when impact started (RFC 3339, HH:MM or `15m ago`)
    #[arg(long, value_name = "TIME")]
    pub started_at: Option<String>,
    /// when the incident was detected
    #[arg(long, value_name = "TIME")]
    pub detected_at: Option<String>,
}

impl Args {
    fn has_changes(&self) -> bool {
        self.title.is_some()
            || self.summary.is_some()
            || self.kind.is_some()
            || !self.add_services.is_empty()
            || !self.remove_services.is_empty()
            || !self.impact.change().is_empty()
            || !self.tags.is_empty()
            || !self.remove_tags.is_empty()
            || !self.related.is_empty()
            || !self.remove_related.is_empty()
            || self.started_at.is_some()
            || self.detected_at.is_some()
    }
}

const HEADER: &str = "\
# Correct the incident's record. Each field you change becomes one timeline event; the ID stays.
# Times are RFC 3339 with a zone (2026-11-25T14:05:00Z). Save and close to apply; leave it unchanged
# to change nothing.
";

pub fn run(ctx: &Context, args: Args) -> Result<()> {
    let store = ctx.store()?;
    let id = store.resolve(&args.id)?;
    let current = store.load(&id)?;
    let before = Editable::of(&current);
    let after = if args.has_changes() {
        with_flags(ctx, &before, &args)?
    } else if ctx.interactive {
        match edit_in_editor(HEADER, &before, "incident-edit")? {
            Some(edited) => edited,
            None => return ctx.out.line(format!("`{id}` unchanged: nothing to commit")),
        }
    } else {
        return Err(anyhow!(crate::UsageError(
            "nothing to change: pass --title, --summary, --kind, --add-service, --users, --impact, --tag, --related, --started-at ... (or run on a terminal to edit in $EDITOR)".into()
        )));
    };
    match crate::ops::edit(store, &super::actor(ctx)?, &id, &before, &after)? {
        Some(outcome) => super::report(ctx, &outcome),
        None => ctx.out.line(format!("`{id}` unchanged: nothing to commit")),
    }
}

fn with_flags(ctx: &Context, before: &Editable, args: &Args) -> Result<Editable> {
    let store = ctx.store()?;
    let mut after = before.clone();
    if let Some(title) = &args.title {
        after.title = title.trim().to_string();
    }
    if let Some(summary) = &args.summary {
        after.summary = Some(summary.trim().to_string()).filter(|s| !s.is_empty());
    }
    if let Some(kind) = args.kind {
        after.kind = kind;
    }
    edit_list(
        &mut after.services,
        &args.add_services,
        &args.remove_services,
    );
    edit_list(&mut after.tags, &args.tags, &args.remove_tags);
    let resolve = |queries: &[String]| -> Result<Vec<String>> {
        queries.iter().map(|q| store.resolve(q)).collect()
    };
    edit_list(
        &mut after.related,
        &resolve(&args.related)?,
        &resolve(&args.remove_related)?,
    );
    let impact = &args.impact;
    if let Some(n) = impact.users {
        after.users_affected = Some(n);
    }
    if let Some(n) = impact.customers {
        after.customers_affected = Some(n);
    }
    if let Some(text) = &impact.revenue {
        after.revenue_at_risk = Some(text.trim().to_string()).filter(|s| !s.is_empty());
    }
    if let Some(text) = &impact.impact {
        after.impact = Some(text.trim().to_string()).filter(|s| !s.is_empty());
    }
    if let Some(t) = &args.started_at {
        after.started_at = Some(ctx.time_arg("--started-at", t)?);
    }
    if let Some(t) = &args.detected_at {
        after.detected_at = Some(ctx.time_arg("--detected-at", t)?);
    }
    Ok(after)
}

/// Adds what is not there yet, removes what is named, keeps the order.
fn edit_list(list: &mut Vec<String>, add: &[String], remove: &[String]) {
    for a in add {
        if !list.contains(a) {
            list.push(a.clone());
        }
    }
    list.retain(|x| !remove.contains(x));
}
