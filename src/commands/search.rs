//! `incident search TEXT`: have we seen this before? Past incidents ranked by their words.

use super::Context;
use crate::model::IncidentKind;
use crate::model::search::SearchQuery;
use crate::output::Style;
use crate::table::hang;
use anyhow::Result;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// what to look for: words from a title, a symptom, a cause
    pub text: String,
    /// only incidents affecting this service
    #[arg(long, value_name = "S", add = crate::complete::services())]
    pub service: Option<String>,
    /// only incidents of this kind
    #[arg(long, value_name = "K", add = crate::complete::kinds())]
    pub kind: Option<IncidentKind>,
    /// only incidents opened since TIME (RFC 3339, HH:MM, `2h ago` or a span like `90d`)
    #[arg(long, value_name = "TIME")]
    pub since: Option<String>,
    /// how many to show
    #[arg(long, default_value_t = 10)]
    pub limit: usize,
}

pub fn run(ctx: &Context, args: Args) -> Result<()> {
    let since = args
        .since
        .as_deref()
        .map(|s| ctx.since_arg(s))
        .transpose()?;
    let query = SearchQuery {
        text: args.text.clone(),
        service: args.service,
        kind: args.kind,
        since,
    };
    let (mut hits, skipped) = crate::ops::query::search(ctx.store()?, &query)?;
    for e in &skipped {
        crate::say!("warning: skipped {e}");
    }
    hits.truncate(args.limit);
    if ctx.out.json {
        return ctx.out.json(&hits);
    }
    if hits.is_empty() {
        return ctx.out.line(format!("nothing matches `{}`", args.text));
    }
    for h in &hits {
        ctx.out.line(hang(
            &format!("{}  ", ctx.out.paint(&h.id, Style::Bold)),
            h.id.len() + 2,
            &h.title,
            ctx.out.width,
        ))?;
        for why in &h.why {
            ctx.out.line(hang("    ", 4, why, ctx.out.width))?;
        }
    }
    Ok(())
}
