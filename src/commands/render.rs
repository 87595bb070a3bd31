//! `incident render ID`: the latest status update as each channel shows it (status page, e-mail,
//! in-app banner, chat), for pasting where the team's tooling is not wired up yet.

use super::Context;
use crate::render::Renderer;
use anyhow::{Result, anyhow};

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum Channel {
    StatusPage,
    Email,
    InApp,
    Chat,
    /// For the next commander: state, who holds what, what is due, open tasks, decisions (internal)
    Handoff,
    /// A situation report for leadership (internal)
    Exec,
}

impl Channel {
    fn template(self) -> &'static str {
        match self {
            Channel::StatusPage => "update-status-page.md",
            Channel::Email => "update-email.txt",
            Channel::InApp => "update-in-app.txt",
            Channel::Chat => "update-chat.md",
            Channel::Handoff => "brief-handoff.md",
            Channel::Exec => "brief-exec.md",
        }
    }
}

#[derive(Debug, clap::Args)]
pub struct Args {
    /// the incident (any unique part of its ID)
    #[arg(add = crate::complete::incidents())]
    pub id: String,
    /// a template of your own (from the repo's templates/) instead of the channel's
    #[arg(long, value_name = "NAME")]
    pub template: Option<String>,
    /// where the update is going
    #[arg(long, value_enum, default_value_t = Channel::StatusPage)]
    pub channel: Channel,
}

pub fn run(ctx: &Context, args: Args) -> Result<()> {
    let store = ctx.store()?;
    let id = store.resolve(&args.id)?;
    let incident = store.load(&id)?;
    if matches!(args.channel, Channel::Handoff | Channel::Exec) && args.template.is_none() {
        let text =
            crate::ops::postmortem::brief(store, &incident, args.channel.template(), ctx.now)?;
        if ctx.out.json {
            return ctx.out.json(&serde_json::json!({ "incident": id, "template": args.channel.template(), "text": text }));
        }
        return ctx.out.line(text.trim_end());
    }
    let latest = incident
        .updates
        .iter()
        .max_by_key(|u| u.at)
        .ok_or_else(|| anyhow!("`{id}` has no status update yet; write one with `incident update {id} --impacted ... --learned ...`"))?;
    let renderer = Renderer::new(Some(store.root()), store.config());
    let template = match &args.template {
        Some(name) => renderer.resolve_name(name)?,
        None => args.channel.template().to_string(),
    };
    let text = super::update::rendered(
        &renderer,
        &incident,
        store.config(),
        &latest.id,
        &template,
        ctx.now,
    )?;
    if ctx.out.json {
        return ctx.out.json(&serde_json::json!({ "incident": id, "update": latest.id, "template": template, "text": text }));
    }
    ctx.out.line(text.trim_end())
}
