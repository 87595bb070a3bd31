//! `incident show ID`: the header, roles, lifecycle times and timeline of one incident.

use super::Context;
use crate::context::Style;
use crate::model::{Visibility, format_duration};
use anyhow::Result;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// the incident (any unique part of its ID)
    pub id: String,
}

pub fn run(ctx: &Context, args: Args) -> Result<()> {
    let store = ctx.store()?;
    let id = store.resolve(&args.id)?;
    let i = store.load(&id)?;
    if ctx.out.json {
        return ctx.out.json(&i);
    }
    let out = &ctx.out;
    let mut text = String::new();
    let drill = if i.drill { "  [drill]" } else { "" };
    text.push_str(&format!(
        "{}  {}  {}{drill}\n{}\n",
        out.paint(&i.id, Style::Bold),
        out.severity(i.severity),
        i.status,
        i.title
    ));
    text.push_str(&format!(
        "kind: {}   services: {}\n",
        i.kind,
        if i.services.is_empty() {
            "-".into()
        } else {
            i.services.join(", ")
        }
    ));
    if let Some(summary) = &i.summary {
        text.push_str(&format!("summary: {summary}\n"));
    }
    if let Some(n) = i.impact.users_affected {
        text.push_str(&format!("users affected: {n}\n"));
    }
    if let Some(n) = i.impact.customers_affected {
        text.push_str(&format!("customers affected: {n}\n"));
    }

    text.push_str(&format!("\n{}\n", out.paint("Roles", Style::Bold)));
    if i.roles.is_empty() {
        text.push_str("  (none assigned)\n");
    }
    for (role, who) in &i.roles {
        text.push_str(&format!("  {role:<12} {who}\n"));
    }

    text.push_str(&format!("\n{}\n", out.paint("Times", Style::Bold)));
    for (label, t) in [
        ("started", i.started_at),
        ("detected", i.detected_at),
        ("acknowledged", i.acknowledged_at),
        ("mitigated", i.mitigated_at),
        ("resolved", i.resolved_at),
    ] {
        let shown = t.map(|t| out.time(t)).unwrap_or_else(|| "-".into());
        text.push_str(&format!("  {label:<12} {shown}\n"));
    }
    if let Some(d) = i.duration(ctx.now) {
        let ongoing = if i.status.is_active() {
            " (ongoing)"
        } else {
            ""
        };
        text.push_str(&format!(
            "  {:<12} {}{ongoing}\n",
            "duration",
            format_duration(d)
        ));
    }

    text.push_str(&format!("\n{}\n", out.paint("Timeline", Style::Bold)));
    for e in &i.timeline {
        let internal = if e.visibility == Visibility::Internal {
            out.paint(" (internal)", Style::Dim)
        } else {
            String::new()
        };
        text.push_str(&format!(
            "  {}  {:<10} {:<12} {}{internal}\n",
            out.time(e.at),
            e.kind,
            e.by,
            e.text
        ));
    }
    if !i.updates.is_empty() {
        text.push_str(&format!("\n{}\n", out.paint("Status updates", Style::Bold)));
        for u in &i.updates {
            let internal = if u.visibility.is_public() {
                String::new()
            } else {
                out.paint(" (internal)", Style::Dim)
            };
            let said: Vec<&str> = [u.impacted.as_deref(), u.learned.as_deref()]
                .into_iter()
                .flatten()
                .collect();
            let said = if said.is_empty() {
                "(standard wording)".to_string()
            } else {
                said.join(" / ")
            };
            let next = u
                .next_update_at
                .map(|n| format!("; next by {}", out.time(n)))
                .unwrap_or_default();
            text.push_str(&format!(
                "  {}  {:<13} {said}{next}{internal}\n",
                out.time(u.at),
                u.status.as_str()
            ));
        }
    }
    if !i.actions.is_empty() {
        text.push_str(&format!("\n{}\n", out.paint("Action items", Style::Bold)));
        for a in &i.actions {
            let due = a.due.map(|d| format!(", due {d}")).unwrap_or_default();
            let overdue = if a.is_overdue(ctx.now.date_naive()) {
                out.paint(" overdue", Style::Red)
            } else {
                String::new()
            };
            text.push_str(&format!(
                "  #{} [{}] {} ({}{due}){overdue}\n",
                a.number,
                a.state.as_str(),
                a.title,
                a.owner
            ));
        }
    }
    out.line(text.trim_end())
}
