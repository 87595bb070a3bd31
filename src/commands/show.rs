//! `incident show ID`: the header, roles, lifecycle times and timeline of one incident.
//!
//! Laid out for the terminal it runs on: long texts wrap under their own column, times are in one
//! zone named once per block (local, or UTC with `--utc`), durations read as people say them.

use super::Context;
use crate::model::{ComponentStatus, Config, Incident, Visibility, format_duration};
use crate::output::{Output, Style};
use crate::table::hang;
use anyhow::Result;
use chrono::{DateTime, Utc};
use unicode_width::UnicodeWidthStr;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// the incident (any unique part of its ID)
    #[arg(add = crate::complete::incidents())]
    pub id: String,
}

pub fn run(ctx: &Context, args: Args) -> Result<()> {
    let store = ctx.store()?;
    let id = store.resolve(&args.id)?;
    let i = store.load(&id)?;
    if ctx.out.json {
        return ctx.out.json(&i);
    }
    ctx.out
        .line(render(&i, store.config(), &ctx.out, ctx.now).trim_end())
}

fn render(i: &Incident, config: &Config, out: &Output, now: DateTime<Utc>) -> String {
    let width = out.width;
    let mut text = String::new();
    let mut push = |line: String| {
        text.push_str(&line);
        text.push('\n');
    };
    let drill = if i.drill { "  [drill]" } else { "" };
    push(format!(
        "{}  {}  {}{drill}",
        out.paint(&i.id, Style::Bold),
        out.severity(i.severity),
        i.status
    ));
    push(hang("", 0, &i.title, width));
    let services = if i.services.is_empty() {
        "-".to_string()
    } else {
        i.services.join(", ")
    };
    push(hang(
        "",
        0,
        &format!("{} · services: {services}", i.kind),
        width,
    ));
    let field = |label: &str| format!("{label:<10}");
    if let Some(summary) = &i.summary {
        push(hang(&field("summary"), 10, summary, width));
    }
    // Every impact figure the record holds, the free-text ones included.
    let impact = &i.impact;
    for (label, value) in [
        (
            "users",
            impact.users_affected.map(|n| format!("{n} affected")),
        ),
        (
            "customers",
            impact.customers_affected.map(|n| format!("{n} affected")),
        ),
        ("revenue", impact.text(crate::model::Impact::REVENUE)),
        ("impact", impact.text(crate::model::Impact::DESCRIPTION)),
    ] {
        if let Some(value) = value {
            push(hang(&field(label), 10, &value, width));
        }
    }

    push(String::new());
    push(out.paint("Roles", Style::Bold));
    if i.roles.is_empty() {
        push("  (none assigned)".into());
    }
    let role_width = i.roles.keys().map(|r| r.width()).max().unwrap_or(0).max(9);
    for (role, who) in &i.roles {
        push(hang(
            &format!("  {role:<role_width$}  "),
            role_width + 4,
            who,
            width,
        ));
    }

    if !i.services.is_empty() {
        push(String::new());
        push(out.paint("Components", Style::Bold));
        let name_width = i.services.iter().map(|s| s.width()).max().unwrap_or(0);
        let periods = i.component_periods(config);
        for (service, worst, recovered) in i.component_recoveries(config) {
            let state = match recovered {
                _ if worst == ComponentStatus::Operational => "operational (not affected)".into(),
                Some(t) => format!("recovered {} (worst: {worst})", out.time_in_zone(t)),
                None => {
                    let now_at = periods
                        .iter()
                        .rfind(|p| p.component == service && p.from <= now)
                        .map(|p| (p.status, p.from));
                    match now_at {
                        Some((status, from)) if status == worst => {
                            format!("{status} since {}", out.time_in_zone(from))
                        }
                        Some((status, from)) => {
                            format!("{status} since {} (worst: {worst})", out.time_in_zone(from))
                        }
                        None => format!("{worst}"),
                    }
                }
            };
            push(hang(
                &format!("  {service:<name_width$}  "),
                name_width + 4,
                &state,
                width,
            ));
        }
    }

    push(String::new());
    let lifecycle = [
        i.started_at,
        i.detected_at,
        i.acknowledged_at,
        i.mitigated_at,
        i.resolved_at,
    ];
    push(out.paint(
        &format!("Times ({})", out.zone_of(lifecycle.into_iter().flatten())),
        Style::Bold,
    ));
    for (label, t) in [
        ("started", i.started_at),
        ("detected", i.detected_at),
        ("acknowledged", i.acknowledged_at),
        ("mitigated", i.mitigated_at),
        ("resolved", i.resolved_at),
    ] {
        let shown = t.map(|t| out.time_in_zone(t)).unwrap_or_else(|| "-".into());
        push(format!("  {label:<12}  {shown}"));
    }
    if let Some(d) = i.duration(now) {
        let ongoing = if i.status.is_active() {
            " (ongoing)"
        } else {
            ""
        };
        push(format!(
            "  {:<12}  {}{ongoing}",
            "duration",
            format_duration(d)
        ));
    }

    // Timeline rows: `  11-25 10:14  status    dan    text wrapping under itself`.
    let short = |t: DateTime<Utc>| out.time_in_zone(t)[5..].to_string();
    let kind_width = i
        .timeline
        .iter()
        .map(|e| e.kind.width())
        .max()
        .unwrap_or(4)
        .min(10);
    let by_width = i
        .timeline
        .iter()
        .map(|e| e.by.width())
        .max()
        .unwrap_or(2)
        .min(14);
    push(String::new());
    push(out.paint(
        &format!(
            "Timeline ({})",
            out.zone_of(i.timeline.iter().map(|e| e.at))
        ),
        Style::Bold,
    ));
    for e in &i.timeline {
        let by = crate::table::truncate(&e.by, by_width);
        let kind = crate::table::truncate(&e.kind, kind_width);
        let prefix = format!("  {}  {kind:<kind_width$}  {by:<by_width$}  ", short(e.at));
        let prefix_width = prefix.width();
        let text = if e.visibility == Visibility::Internal {
            format!("{} (internal)", e.text)
        } else {
            e.text.clone()
        };
        push(hang(&prefix, prefix_width, &text, width));
    }

    if !i.updates.is_empty() {
        push(String::new());
        push(out.paint(
            &format!(
                "Status updates ({})",
                out.zone_of(i.updates.iter().map(|u| u.at))
            ),
            Style::Bold,
        ));
        for u in &i.updates {
            let internal = if u.visibility.is_public() {
                ""
            } else {
                " (internal)"
            };
            push(format!(
                "  {}  {}{internal}",
                short(u.at),
                u.status.as_str()
            ));
            let indent = "               ";
            for (label, said) in [("impacted", &u.impacted), ("learned", &u.learned)] {
                if let Some(said) = said {
                    push(hang(&format!("{indent}{label:<9} "), 25, said, width));
                }
            }
            if u.impacted.is_none() && u.learned.is_none() {
                push(format!("{indent}(the standard wording for this update)"));
            }
            if let Some(next) = u.next_update_at {
                push(format!("{indent}next update by {}", short(next)));
            }
        }
    }
    if !i.actions.is_empty() {
        push(String::new());
        push(out.paint("Action items", Style::Bold));
        for a in &i.actions {
            let due = a.due.map(|d| format!(", due {d}")).unwrap_or_default();
            let overdue = if a.is_overdue(now.date_naive()) {
                " overdue"
            } else {
                ""
            };
            let number = format!("  #{:<3} ", a.number);
            push(hang(
                &number,
                number.width(),
                &format!(
                    "[{}] {} ({}{due}){overdue}",
                    a.state.as_str(),
                    a.title,
                    a.owner
                ),
                width,
            ));
        }
    }
    text
}
