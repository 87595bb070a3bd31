//! `incident update ID`: a status update saying what is still impacted, what the team has learned and
//! when the next update comes; stored, put on the timeline, committed and printed as published.

use super::Context;
use crate::model::{ComponentStatus, Config, Draft, Incident, Span, Status, Visibility};
use crate::output::Style;
use crate::render::Renderer;
use crate::render::context::UpdateDocument;
use anyhow::{Result, anyhow};
use chrono::{DateTime, Utc};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// the incident (any unique part of its ID)
    #[arg(add = crate::complete::incidents())]
    pub id: String,
    /// what is still impacted, in customers' words
    #[arg(long, value_name = "TEXT")]
    pub impacted: Option<String>,
    /// what the team has learned so far
    #[arg(long, value_name = "TEXT")]
    pub learned: Option<String>,
    /// when the next update comes, 1m to 30d (default: the severity's cadence from the policy)
    #[arg(long, value_name = "SPAN", value_parser = crate::model::Span::parse_cadence)]
    pub next: Option<Span>,
    /// also move the incident to this status
    #[arg(long, value_name = "STATUS", add = crate::complete::statuses())]
    pub status: Option<Status>,
    /// what the incident now does to a service: SERVICE=STATUS, STATUS one of operational (recovered),
    /// degraded_performance, partial_outage, major_outage, under_maintenance (repeat)
    #[arg(long = "component", value_name = "S=STATUS", value_parser = super::component_setting, add = crate::complete::components())]
    pub components: Vec<(String, ComponentStatus)>,
    /// an internal update: recorded, never published
    #[arg(long)]
    pub internal: bool,
    /// post on a resolved incident by reopening it (back to --status, default investigating)
    #[arg(long)]
    pub reopen: bool,
    /// when it was posted, if not now (RFC 3339, HH:MM or `15m ago`)
    #[arg(long, value_name = "TIME")]
    pub at: Option<String>,
}

/// The update as the status page shows it.
pub fn rendered(
    renderer: &Renderer,
    incident: &Incident,
    config: &Config,
    update_id: &str,
    template: &str,
    now: DateTime<Utc>,
) -> Result<String> {
    let doc = UpdateDocument::for_update(incident, config, update_id, now)
        .ok_or_else(|| anyhow!("update `{update_id}` is not in `{}`", incident.id))?;
    Ok(renderer.render(template, &doc)?)
}

pub fn run(ctx: &Context, mut args: Args) -> Result<()> {
    let store = ctx.store()?;
    let id = store.resolve(&args.id)?;
    let at = super::at_arg(ctx, args.at.as_deref())?;
    let named: Vec<String> = args.components.iter().map(|(s, _)| s.clone()).collect();
    crate::ops::check_services(store.config(), &named)?;
    ask_for_what_is_missing(ctx, &store.load(&id)?, &mut args)?;
    let updated = crate::ops::update(
        store,
        &super::actor(ctx)?,
        &id,
        at,
        crate::ops::Update {
            draft: Draft {
                impacted: args.impacted,
                learned: args.learned,
                next: args.next,
                visibility: if args.internal {
                    Visibility::Internal
                } else {
                    Visibility::Public
                },
                closing: false,
            },
            status: args.status,
            reopen: args.reopen,
            components: args.components,
        },
    )?;
    let outcome = &updated.outcome;
    super::report_saved(ctx, &outcome.incident, &outcome.commit, &outcome.what)?;
    if !ctx.out.json {
        print_posted(ctx, &outcome.incident, &updated.update_id)?;
    }
    super::after_change(ctx)
}

/// On a terminal, asks for what an update after the first must say and was not given; elsewhere the
/// model refuses, naming the flags.
fn ask_for_what_is_missing(ctx: &Context, incident: &Incident, args: &mut Args) -> Result<()> {
    let first = !args.internal && incident.first_public_update().is_none();
    let closing = incident.status == Status::Resolved || args.status == Some(Status::Resolved);
    if !ctx.interactive || first || closing {
        return Ok(());
    }
    let theme = dialoguer::theme::ColorfulTheme::default();
    for (value, prompt) in [
        (
            &mut args.impacted,
            "What is still impacted (customers' words)",
        ),
        (&mut args.learned, "What has the team learned"),
    ] {
        if value.as_deref().is_none_or(|v| v.trim().is_empty()) {
            let text: String = dialoguer::Input::with_theme(&theme)
                .with_prompt(prompt)
                .validate_with(|t: &String| -> Result<(), String> {
                    if t.trim().is_empty() {
                        Err("every update says this".into())
                    } else {
                        crate::model::check_text("the update", t).map_err(|e| e.to_string())
                    }
                })
                .interact_text()?;
            *value = Some(text);
        }
    }
    Ok(())
}

/// Prints an update as customers read it, after the line that reported the change: on a terminal
/// as text (the status, then the words), elsewhere as the status page's Markdown.
pub(crate) fn print_posted(ctx: &Context, incident: &Incident, update_id: &str) -> Result<()> {
    let store = ctx.store()?;
    let renderer = Renderer::new(Some(store.root()), store.config());
    if ctx.out.tty {
        let words = rendered(
            &renderer,
            incident,
            store.config(),
            update_id,
            "update-body.txt",
            ctx.now,
        )?;
        let status = incident
            .updates
            .iter()
            .find(|u| u.id == update_id)
            .map_or(incident.status, |u| u.status);
        let prefix = format!("{}: ", ctx.out.paint(status.as_str(), Style::Bold));
        let indent = status.as_str().len() + 2;
        return ctx.out.line(format!(
            "\n{}",
            crate::table::hang(&prefix, indent, words.trim(), ctx.out.width)
        ));
    }
    let text = rendered(
        &renderer,
        incident,
        store.config(),
        update_id,
        "update-status-page.md",
        ctx.now,
    )?;
    ctx.out.line(format!("\n{}", text.trim_end()))
}
