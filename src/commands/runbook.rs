//! `incident runbook list|show|new`: the runbooks in the incident repo's `runbooks/`.

use super::Context;
use crate::model::runbook::{Anchor, Runbook, When};
use crate::model::{IncidentKind, Severity};
use crate::output::{Layout, Style};
use crate::table::{Cell, Column, Grid, hang};
use anyhow::Result;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    pub command: RunbookCommand,
}

#[derive(Debug, clap::Subcommand)]
pub enum RunbookCommand {
    /// list the runbooks and when each applies
    List,
    /// show one runbook: when it applies and its steps
    Show {
        /// the runbook: its path, file name or a unique part of it
        name: String,
    },
    /// write a new runbook to fill in (`runbooks/<title>.md`), then commit it or propose it
    New {
        /// what it is for (`Rollback of a bad deploy`)
        title: String,
        /// apply it to this severity (repeat)
        #[arg(long = "sev", value_name = "SEV", add = crate::complete::severities())]
        severities: Vec<Severity>,
        /// apply it to this kind of incident (repeat)
        #[arg(long = "kind", value_name = "K", add = crate::complete::kinds())]
        kinds: Vec<IncidentKind>,
        /// apply it to incidents affecting this service (repeat)
        #[arg(long = "service", value_name = "S", add = crate::complete::services())]
        services: Vec<String>,
    },
}

pub fn run(ctx: &Context, args: Args) -> Result<()> {
    let store = ctx.store()?;
    match args.command {
        RunbookCommand::List => list(ctx, &crate::ops::runbook::list(store)?),
        RunbookCommand::Show { name } => {
            let file = crate::ops::runbook::show(store, &name)?;
            let runbook = file.runbook?;
            if ctx.out.json {
                return ctx
                    .out
                    .json(&serde_json::json!({ "blob": file.blob, "runbook": runbook }));
            }
            show(ctx, &runbook)
        }
        RunbookCommand::New {
            title,
            severities,
            kinds,
            services,
        } => {
            let input = crate::ops::runbook::NewRunbook {
                title,
                severities,
                kinds,
                services,
            };
            let path = crate::ops::runbook::create(store, &input)?;
            if ctx.out.json {
                return ctx.out.json(&serde_json::json!({ "path": path }));
            }
            ctx.out.line(format!(
                "wrote {}: fill in its steps, then commit it (or propose it for review)",
                path.display()
            ))
        }
    }
}

fn list(ctx: &Context, files: &[crate::store::RunbookFile]) -> Result<()> {
    if ctx.out.json {
        let rows: Vec<serde_json::Value> = files
            .iter()
            .map(|f| match &f.runbook {
                Ok(r) => serde_json::json!({ "path": f.path, "blob": f.blob, "title": r.title, "when": r.when, "steps": r.steps.len() }),
                Err(e) => serde_json::json!({ "path": f.path, "blob": f.blob, "error": e.to_string() }),
            })
            .collect();
        return ctx.out.json(&rows);
    }
    if files.is_empty() {
        return ctx.out.line(
            "no runbooks yet: `incident runbook new TITLE` writes one to fill in (runbooks/)",
        );
    }
    let mut grid = Grid::new(vec![
        Column::keep("RUNBOOK"),
        Column::shrink("TITLE", 12, 3),
        Column::drop("APPLIES TO", 2),
        Column::drop("STEPS", 1),
    ]);
    for f in files {
        match &f.runbook {
            Ok(r) => grid.row(vec![
                Cell::styled(&f.path, Style::Bold),
                r.title.as_str().into(),
                applies(&r.when).into(),
                r.steps.len().to_string().into(),
            ]),
            Err(e) => grid.row(vec![
                Cell::styled(&f.path, Style::Bold),
                Cell::styled(format!("does not read: {}", e.message), Style::Red),
                "-".into(),
                "-".into(),
            ]),
        }
    }
    ctx.out.grid(&grid, Layout::Fit)
}

/// `SEV1, SEV2 · checkout` (`every incident` when the runbook names nothing).
fn applies(when: &When) -> String {
    let mut parts: Vec<String> = Vec::new();
    for list in [
        when.severity
            .iter()
            .map(|s| s.to_string())
            .collect::<Vec<_>>(),
        when.kind.iter().map(|k| k.to_string()).collect(),
        when.service.clone(),
        when.tag.iter().map(|t| format!("#{t}")).collect(),
        when.status.iter().map(|s| format!("when {s}")).collect(),
    ] {
        if !list.is_empty() {
            parts.push(list.join(", "));
        }
    }
    if parts.is_empty() {
        "every incident".into()
    } else {
        parts.join(" · ")
    }
}

fn show(ctx: &Context, r: &Runbook) -> Result<()> {
    let out = &ctx.out;
    out.line(format!("{}  {}", out.paint(&r.path, Style::Bold), r.title))?;
    out.line(hang("applies to ", 11, &applies(&r.when), out.width))?;
    out.line("")?;
    for (n, step) in r.steps.iter().enumerate() {
        let number = format!("{:>3}. ", n + 1);
        out.line(hang(&number, 5, &step.text, out.width))?;
        let mut notes: Vec<String> = Vec::new();
        if let Some(role) = &step.role {
            notes.push(format!("role: {role}"));
        }
        if let Some((span, anchor)) = step.within {
            let from = match anchor {
                Anchor::Detection => "detection",
                Anchor::Declaration => "declaration",
                Anchor::Severity => "reaching the severity",
            };
            notes.push(format!("within {} of {from}", span.in_words()));
        }
        if let Some(run) = &step.run {
            notes.push(format!("run: {run}"));
        }
        if let Some(link) = &step.link {
            notes.push(format!("link: {link}"));
        }
        if let Some(done) = &step.done_when {
            notes.push(format!("checked off by itself when: {done}"));
        }
        for note in notes {
            out.line(hang("       ", 7, &note, out.width))?;
        }
    }
    Ok(())
}
