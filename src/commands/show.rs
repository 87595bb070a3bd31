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
    let mut doc = Doc {
        text: String::new(),
        out,
    };
    header(&mut doc, i);
    roles(&mut doc, i);
    components(&mut doc, i, config, now);
    times(&mut doc, i, now);
    timeline(&mut doc, i);
    updates(&mut doc, i);
    tasks(&mut doc, i, now);
    actions(&mut doc, i, now);
    doc.text
}

/// The text being laid out, for the terminal `out` describes.
struct Doc<'a> {
    text: String,
    out: &'a Output,
}

impl Doc<'_> {
    fn push(&mut self, line: String) {
        self.text.push_str(&line);
        self.text.push('\n');
    }

    /// `prefix` then `text` wrapped under itself to the terminal's width.
    fn hang(&mut self, prefix: &str, prefix_width: usize, text: &str) {
        let line = hang(prefix, prefix_width, text, self.out.width);
        self.push(line);
    }

    /// A blank line and a section's bold heading.
    fn heading(&mut self, title: &str) {
        self.push(String::new());
        let title = self.out.paint(title, Style::Bold);
        self.push(title);
    }

    /// A time as the heading's zone shows it, without the year (`11-25 10:14`).
    fn short(&self, t: DateTime<Utc>) -> String {
        self.out.time_in_zone(t)[5..].to_string()
    }
}

/// ID, severity, status, title, kind and services, summary and every impact figure.
fn header(doc: &mut Doc, i: &Incident) {
    let out = doc.out;
    let drill = if i.drill { "  [drill]" } else { "" };
    doc.push(format!(
        "{}  {}  {}{drill}",
        out.paint(&i.id, Style::Bold),
        out.severity(i.severity),
        i.status
    ));
    doc.hang("", 0, &i.title);
    let services = if i.services.is_empty() {
        "-".to_string()
    } else {
        i.services.join(", ")
    };
    doc.hang("", 0, &format!("{} · services: {services}", i.kind));
    let field = |label: &str| format!("{label:<10}");
    if let Some(summary) = &i.summary {
        doc.hang(&field("summary"), 10, summary);
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
            doc.hang(&field(label), 10, &value);
        }
    }
}

fn roles(doc: &mut Doc, i: &Incident) {
    doc.heading("Roles");
    if i.roles.is_empty() {
        doc.push("  (none assigned)".into());
    }
    let role_width = i.roles.keys().map(|r| r.width()).max().unwrap_or(0).max(9);
    for (role, who) in &i.roles {
        doc.hang(&format!("  {role:<role_width$}  "), role_width + 4, who);
    }
}

/// Each service's state: not affected, recovered (and its worst), or where it stands now.
fn components(doc: &mut Doc, i: &Incident, config: &Config, now: DateTime<Utc>) {
    if i.services.is_empty() {
        return;
    }
    let out = doc.out;
    doc.heading("Components");
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
        doc.hang(
            &format!("  {service:<name_width$}  "),
            name_width + 4,
            &state,
        );
    }
}

/// The lifecycle times in their zone, and how long it ran.
fn times(doc: &mut Doc, i: &Incident, now: DateTime<Utc>) {
    let out = doc.out;
    let lifecycle = [
        ("started", i.times.started_at),
        ("detected", i.times.detected_at),
        ("acknowledged", i.times.acknowledged_at),
        ("mitigated", i.times.mitigated_at),
        ("resolved", i.times.resolved_at),
    ];
    doc.heading(&format!(
        "Times ({})",
        out.zone_of(lifecycle.iter().filter_map(|(_, t)| *t))
    ));
    for (label, t) in lifecycle {
        let shown = t.map(|t| out.time_in_zone(t)).unwrap_or_else(|| "-".into());
        doc.push(format!("  {label:<12}  {shown}"));
    }
    if let Some(d) = i.duration(now) {
        let ongoing = if i.status.is_active() {
            " (ongoing)"
        } else {
            ""
        };
        doc.push(format!(
            "  {:<12}  {}{ongoing}",
            "duration",
            format_duration(d)
        ));
    }
}

/// Timeline rows: `  11-25 10:14  status    dan    text wrapping under itself`.
fn timeline(doc: &mut Doc, i: &Incident) {
    let kind_width = i
        .timeline
        .iter()
        .map(|e| e.kind.as_str().width())
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
    let zone = doc.out.zone_of(i.timeline.iter().map(|e| e.at));
    doc.heading(&format!("Timeline ({zone})"));
    for e in &i.timeline {
        let by = crate::table::truncate(&e.by, by_width);
        let kind = crate::table::truncate(e.kind.as_str(), kind_width);
        let prefix = format!(
            "  {}  {kind:<kind_width$}  {by:<by_width$}  ",
            doc.short(e.at)
        );
        let text = if e.visibility == Visibility::Internal {
            format!("{} (internal)", e.text)
        } else {
            e.text.clone()
        };
        doc.hang(&prefix, prefix.width(), &text);
    }
}

fn updates(doc: &mut Doc, i: &Incident) {
    if i.updates.is_empty() {
        return;
    }
    let zone = doc.out.zone_of(i.updates.iter().map(|u| u.at));
    doc.heading(&format!("Status updates ({zone})"));
    for u in &i.updates {
        let internal = if u.visibility.is_public() {
            ""
        } else {
            " (internal)"
        };
        let at = doc.short(u.at);
        doc.push(format!("  {at}  {}{internal}", u.status.as_str()));
        let indent = "               ";
        for (label, said) in [("impacted", &u.impacted), ("learned", &u.learned)] {
            if let Some(said) = said {
                doc.hang(&format!("{indent}{label:<9} "), 25, said);
            }
        }
        if u.impacted.is_none() && u.learned.is_none() {
            doc.push(format!("{indent}(the standard wording for this update)"));
        }
        if let Some(next) = u.next_update_at {
            let next = doc.short(next);
            doc.push(format!("{indent}next update by {next}"));
        }
    }
}

/// Each task with where it stands, its deadline and who holds it; the runbooks followed, by version.
fn tasks(doc: &mut Doc, i: &Incident, now: DateTime<Utc>) {
    if i.tasks.is_empty() {
        return;
    }
    let zone = doc.out.zone_of(i.tasks.iter().filter_map(|t| t.due_at));
    doc.heading(&format!("Tasks ({zone})"));
    for t in &i.tasks {
        let mark = match t.state {
            crate::model::TaskState::Open => "[ ]",
            crate::model::TaskState::Done => "[x]",
            crate::model::TaskState::Skipped => "[-]",
        };
        let mut text = t.text.clone();
        if let Some(who) = t.holder() {
            text.push_str(&format!(" ({who})"));
        }
        match (t.state, t.due_at, t.closed_at) {
            (crate::model::TaskState::Open, Some(due), _) => {
                let overdue = if t.is_overdue(now) { " overdue" } else { "" };
                text.push_str(&format!(", due {}{overdue}", doc.short(due)));
            }
            (_, _, Some(closed)) => {
                let by = t.closed_by.as_deref().unwrap_or("?");
                text.push_str(&format!(
                    ", {} {} by {by}",
                    t.state.as_str(),
                    doc.short(closed)
                ));
            }
            _ => {}
        }
        if let Some(note) = &t.note {
            text.push_str(&format!(": {note}"));
        }
        let number = format!("  {mark} #{:<3} ", t.number);
        doc.hang(&number, number.width(), &text);
    }
    for path in i.runbooks_followed() {
        let blob = i
            .tasks
            .iter()
            .find_map(|t| {
                t.runbook
                    .as_ref()
                    .filter(|r| r.path == path)
                    .map(|r| r.blob.clone())
            })
            .unwrap_or_default();
        let short = &blob[..blob.len().min(10)];
        doc.push(format!("  from {path} (version {short})"));
    }
}

fn actions(doc: &mut Doc, i: &Incident, now: DateTime<Utc>) {
    if i.actions.is_empty() {
        return;
    }
    doc.heading("Action items");
    for a in &i.actions {
        let due = a.due.map(|d| format!(", due {d}")).unwrap_or_default();
        let overdue = if a.is_overdue(now.date_naive()) {
            " overdue"
        } else {
            ""
        };
        let number = format!("  #{:<3} ", a.number);
        doc.hang(
            &number,
            number.width(),
            &format!(
                "[{}] {} ({}{due}){overdue}",
                a.state.as_str(),
                a.title,
                a.owner
            ),
        );
    }
}
