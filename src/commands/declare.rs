//! `incident declare TITLE`: open a new incident. Prompts for what is missing on a terminal; never
//! prompts anywhere else.

use super::{Context, report};
use crate::UsageError;
use crate::model::{ComponentStatus, IncidentKind, Severity, check_name};
use crate::store::Store;
use anyhow::{Result, anyhow};
use dialoguer::theme::ColorfulTheme;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// what is broken, in a few words
    pub title: Option<String>,
    /// the severity: SEV1, SEV2, SEV3 or SEV4
    #[arg(long, short = 's', value_name = "SEV", add = crate::complete::severities())]
    pub sev: Option<Severity>,
    /// an affected service from the catalog (repeat for each)
    #[arg(long = "service", value_name = "S", add = crate::complete::services())]
    pub services: Vec<String>,
    /// what it does to a service, if not what the severity implies: SERVICE=STATUS, STATUS one of
    /// operational, degraded_performance, partial_outage, major_outage, under_maintenance (repeat)
    #[arg(long = "component", value_name = "S=STATUS", value_parser = super::component_setting, add = crate::complete::components())]
    pub components: Vec<(String, ComponentStatus)>,
    /// the kind of incident
    #[arg(long, value_name = "K", add = crate::complete::kinds())]
    pub kind: Option<IncidentKind>,
    /// a short description of the impact
    #[arg(long, value_name = "TEXT")]
    pub summary: Option<String>,
    /// the incident commander
    #[arg(long, value_name = "WHO")]
    pub commander: Option<String>,
    /// the communications lead
    #[arg(long, value_name = "WHO")]
    pub comms: Option<String>,
    /// when impact began (RFC 3339, HH:MM or `15m ago`)
    #[arg(long, value_name = "TIME")]
    pub started_at: Option<String>,
    /// when it was detected, if not now (RFC 3339, HH:MM or `15m ago`)
    #[arg(long, value_name = "TIME")]
    pub detected_at: Option<String>,
    #[command(flatten)]
    pub impact: super::ImpactArgs,
    /// mark it as a drill (tabletop exercise or game day): listed apart, left out of metrics
    #[arg(long)]
    pub drill: bool,
    /// also post the first public status update ("We are aware of an issue affecting ...")
    #[arg(long, conflicts_with = "no_update")]
    pub update: bool,
    /// do not offer to post the first update
    #[arg(long)]
    pub no_update: bool,
    /// page the on-call person of its escalation policy now (oncall/escalation.yaml), not at the
    /// next `incident notify`
    #[arg(long)]
    pub page: bool,
}

pub fn run(ctx: &Context, mut args: Args) -> Result<()> {
    let store = ctx.store()?;
    fill_missing(ctx, store, &mut args)?;
    let (Some(title), Some(severity)) = (args.title.clone(), args.sev) else {
        unreachable!("fill_missing fails when the title or severity is missing");
    };
    let time = |flag: &str, text: &Option<String>| -> Result<_> {
        text.as_deref().map(|t| ctx.time_arg(flag, t)).transpose()
    };
    let post_update = super::offer(
        ctx,
        args.update,
        args.no_update,
        "Post the first public status update now?",
    )?;
    let declared = crate::ops::declare(
        store,
        &super::actor(ctx)?,
        crate::ops::Declare {
            title,
            severity,
            services: args.services,
            components: args.components,
            kind: args.kind.unwrap_or_default(),
            summary: args.summary,
            commander: args.commander,
            comms: args.comms,
            started_at: time("--started-at", &args.started_at)?,
            detected_at: time("--detected-at", &args.detected_at)?,
            impact: args.impact.change(),
            drill: args.drill,
            post_update,
            alert: None,
        },
    )?;
    report(ctx, &declared.outcome)?;
    if args.page && !super::notify::delivers_after_change(ctx) {
        super::notify::deliver_now(ctx);
    }
    if !ctx.out.json {
        on_call(ctx, store, &declared.outcome.incident, args.page)?;
        seen_before(ctx, store, &declared.outcome.incident)?;
    }
    match declared.posted {
        Some(update) if !ctx.out.json => {
            super::update::print_posted(ctx, &declared.outcome.incident, &update)
        }
        _ => Ok(()),
    }
}

/// Who the incident's escalation policy pages first, and how.
fn on_call(
    ctx: &Context,
    store: &Store,
    incident: &crate::model::Incident,
    paged: bool,
) -> Result<()> {
    // The incident is committed by now: a rota or policy that does not read is a warning here.
    let first = match crate::ops::oncall::first_paged(store, incident, ctx.now) {
        Ok(first) => first,
        Err(e) => {
            crate::say!("warning: cannot say who is on call: {e:#}");
            return Ok(());
        }
    };
    if first.is_empty() {
        return Ok(());
    }
    let names: Vec<String> = first
        .iter()
        .map(|(who, rota)| match rota {
            Some(r) => format!("{} ({r})", store.config().display_name(who)),
            None => store.config().display_name(who).to_string(),
        })
        .collect();
    let how = if paged {
        "paged now".to_string()
    } else {
        format!(
            "paged at the next `incident notify` (or `declare --page`); `incident ack {}` stops the escalation",
            incident.id
        )
    };
    ctx.out.line(crate::table::hang(
        "on call: ",
        9,
        &format!("{}: {how}", names.join(", ")),
        ctx.out.width,
    ))
}

/// The three past incidents most like this one, each with its root cause and resolution in a line.
fn seen_before(ctx: &Context, store: &Store, incident: &crate::model::Incident) -> Result<()> {
    let hits = crate::ops::query::similar(store, incident)?;
    if hits.is_empty() {
        return Ok(());
    }
    ctx.out.line("seen before?")?;
    for h in hits {
        let mut line = format!("{}: {}", h.id, h.title);
        if let Some(cause) = &h.root_cause {
            line.push_str(&format!(" · cause: {cause}"));
        }
        if let Some(fix) = &h.resolution {
            line.push_str(&format!(" · fixed by: {fix}"));
        }
        ctx.out
            .line(crate::table::hang("  ", 2, &line, ctx.out.width))?;
    }
    Ok(())
}

/// On a terminal, asks for what is missing in the order a responder thinks of it: title, severity,
/// services, kind, when it started, and the commander when the severity requires one. Elsewhere it
/// fails at once naming the flags. Ctrl-C at any prompt ends the command before anything is written.
fn fill_missing(ctx: &Context, store: &Store, args: &mut Args) -> Result<()> {
    let mut missing = Vec::new();
    if args.title.is_none() {
        missing.push("TITLE");
    }
    if args.sev.is_none() {
        missing.push("--sev");
    }
    if args.services.is_empty() {
        missing.push("--service");
    }
    if missing.is_empty() {
        return Ok(());
    }
    if !ctx.interactive {
        return Err(anyhow!(UsageError(format!(
            "missing {}: no terminal to ask on, so pass {} (e.g. `incident declare \"Checkout down\" --sev SEV2 --service checkout`)",
            missing.join(", "),
            if missing.len() == 1 { "it" } else { "them" }
        ))));
    }
    let theme = dialoguer::theme::ColorfulTheme::default();
    ask_title(&theme, args)?;
    ask_severity(&theme, store, args)?;
    ask_services(&theme, store, args)?;
    ask_kind(&theme, args)?;
    ask_started(&theme, ctx, args)?;
    ask_commander(&theme, ctx, store, args)
}

/// A choice cut to the terminal: longer ones would wrap, and a redraw would leave their tails
/// behind. Once answered, the choice is echoed after `✔ Severity · `, so room is left for that too.
fn fit(text: String) -> String {
    // The prompts are drawn on stderr.
    let width = crate::output::columns_of(std::io::stderr()).unwrap_or(80);
    crate::table::truncate(&text, width.saturating_sub(16).max(20))
}

/// What is broken, in a few words.
fn ask_title(theme: &ColorfulTheme, args: &mut Args) -> Result<()> {
    if args.title.is_none() {
        let title: String = dialoguer::Input::with_theme(theme)
            .with_prompt("What is broken (title)")
            .validate_with(|t: &String| -> Result<(), String> {
                if t.trim().is_empty() {
                    return Err("say in a few words what is broken".into());
                }
                crate::model::check_line("the title", t).map_err(|e| e.to_string())
            })
            .interact_text()?;
        args.title = Some(title);
    }
    Ok(())
}

/// The severity, each with its policy's label and description.
fn ask_severity(theme: &ColorfulTheme, store: &Store, args: &mut Args) -> Result<()> {
    let config = store.config();
    if args.sev.is_none() {
        let items: Vec<String> = Severity::ALL
            .iter()
            .map(|s| {
                let p = config.severity(*s);
                fit(format!("{s} {}: {}", p.label, p.description))
            })
            .collect();
        let pick = dialoguer::Select::with_theme(theme)
            .with_prompt("Severity")
            .items(&items)
            .default(1)
            .interact()?;
        args.sev = Some(Severity::ALL[pick]);
    }
    Ok(())
}

/// The affected services: picked from the catalog, or typed where there is none.
fn ask_services(theme: &ColorfulTheme, store: &Store, args: &mut Args) -> Result<()> {
    let config = store.config();
    if args.services.is_empty() {
        let catalog = &config.services;
        if catalog.is_empty() {
            let text: String = dialoguer::Input::with_theme(theme)
                .with_prompt("Services (comma-separated)")
                .validate_with(|t: &String| -> Result<(), String> {
                    if t.split(',').all(|s| s.trim().is_empty()) {
                        Err("name at least one service".into())
                    } else {
                        Ok(())
                    }
                })
                .interact_text()?;
            args.services = text
                .split(',')
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
                .collect();
        } else {
            let items: Vec<String> = catalog
                .iter()
                .map(|s| match &s.name {
                    Some(name) if name != &s.id => fit(format!("{name} ({})", s.id)),
                    _ => s.id.clone(),
                })
                .collect();
            loop {
                let picks = dialoguer::MultiSelect::with_theme(theme)
                    .with_prompt("Services (space picks, enter confirms)")
                    .items(&items)
                    .interact()?;
                if !picks.is_empty() {
                    args.services = picks.into_iter().map(|i| catalog[i].id.clone()).collect();
                    break;
                }
            }
        }
    }
    Ok(())
}

/// The kind of incident (`other` unless picked).
fn ask_kind(theme: &ColorfulTheme, args: &mut Args) -> Result<()> {
    if args.kind.is_none() {
        let kinds = IncidentKind::ALL;
        let names: Vec<String> = kinds.iter().map(|k| k.to_string()).collect();
        let default = kinds
            .iter()
            .position(|k| *k == IncidentKind::Other)
            .unwrap_or(0);
        let pick = dialoguer::Select::with_theme(theme)
            .with_prompt("Kind")
            .items(&names)
            .default(default)
            .interact()?;
        args.kind = Some(kinds[pick]);
    }
    Ok(())
}

/// When impact started (`now`, `15m ago`, HH:MM).
fn ask_started(theme: &ColorfulTheme, ctx: &Context, args: &mut Args) -> Result<()> {
    if args.started_at.is_none() {
        let started: String = dialoguer::Input::with_theme(theme)
            .with_prompt("Impact started (15m ago, HH:MM)")
            .default("now".into())
            .validate_with(|t: &String| -> Result<(), String> {
                ctx.time_arg("started", t)
                    .map(|_| ())
                    .map_err(|e| e.to_string())
            })
            .interact_text()?;
        args.started_at = Some(started);
    }
    Ok(())
}

/// The commander, where the severity requires one (the person declaring, unless changed).
fn ask_commander(
    theme: &ColorfulTheme,
    ctx: &Context,
    store: &Store,
    args: &mut Args,
) -> Result<()> {
    let config = store.config();
    let requires = args
        .sev
        .is_some_and(|s| config.severity(s).requires_commander);
    if requires && args.commander.is_none() {
        // The on-call person of the incident's escalation policy, else the person declaring.
        let mut draft = crate::model::Incident::declare(
            "draft".into(),
            args.title.clone().unwrap_or_default(),
            args.sev.unwrap_or(Severity::Sev1),
            &crate::model::Stamp {
                at: ctx.now,
                by: String::new(),
            },
        );
        draft.services = args.services.clone();
        draft.kind = args.kind.unwrap_or_default();
        let on_call = crate::ops::oncall::first_paged(store, &draft, ctx.now)
            .ok()
            .and_then(|people| people.into_iter().next().map(|(who, _)| who));
        let me = ctx.author().map(|a| a.name).unwrap_or_default();
        let prompt = if on_call.is_some() {
            "Commander (required; the on-call person proposed)"
        } else {
            "Commander (required)"
        };
        let commander: String = dialoguer::Input::with_theme(theme)
            .with_prompt(prompt)
            .default(on_call.unwrap_or(me))
            .validate_with(|t: &String| -> Result<(), String> {
                check_name("person", t).map_err(|e| e.to_string())
            })
            .interact_text()?;
        args.commander = Some(commander);
    }
    Ok(())
}
