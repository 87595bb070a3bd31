//! `incident assign ID --commander WHO ...`: who holds which role; handoffs land on the timeline.

use super::Context;
use crate::ops::IncidentChange;
use anyhow::{Result, anyhow};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// the incident (any unique part of its ID)
    #[arg(add = crate::complete::incidents())]
    pub id: String,
    /// the incident commander (empty to unassign)
    #[arg(long, value_name = "WHO")]
    pub commander: Option<String>,
    /// the communications lead (empty to unassign)
    #[arg(long, value_name = "WHO")]
    pub comms: Option<String>,
    /// the technical liaison (empty to unassign)
    #[arg(long, value_name = "WHO")]
    pub liaison: Option<String>,
    /// any other role, e.g. `--role scribe=dana` (empty WHO to unassign)
    #[arg(long = "role", value_name = "NAME=WHO", value_parser = parse_role)]
    pub roles: Vec<(String, String)>,
    /// when the handoff happened, if not now (RFC 3339, HH:MM or `15m ago`)
    #[arg(long, value_name = "TIME")]
    pub at: Option<String>,
}

fn parse_role(text: &str) -> Result<(String, String), String> {
    let (name, who) = text
        .split_once('=')
        .ok_or_else(|| format!("`{text}` is not NAME=WHO, e.g. `scribe=dana`"))?;
    Ok((name.trim().to_string(), who.trim().to_string()))
}

/// On a terminal: which role, and who (the roster's handles offered as the default's neighbours).
fn ask_for_a_role(ctx: &Context) -> Result<(String, String)> {
    let theme = dialoguer::theme::ColorfulTheme::default();
    let roles = ["commander", "comms", "liaison"];
    let pick = dialoguer::Select::with_theme(&theme)
        .with_prompt("Role")
        .items(["commander", "comms lead", "technical liaison"])
        .default(0)
        .interact()?;
    let known: Vec<String> = ctx
        .store()?
        .config()
        .people
        .iter()
        .map(|p| p.handle.clone())
        .collect();
    let prompt = if known.is_empty() {
        "Who".to_string()
    } else {
        format!("Who ({})", known.join(", "))
    };
    let who: String = dialoguer::Input::with_theme(&theme)
        .with_prompt(prompt)
        .validate_with(|t: &String| -> Result<(), String> {
            crate::model::check_name("person", t).map_err(|e| e.to_string())
        })
        .interact_text()?;
    Ok((roles[pick].to_string(), who))
}

pub fn run(ctx: &Context, args: Args) -> Result<()> {
    let mut roles: Vec<(String, String)> = [
        ("commander", args.commander),
        ("comms", args.comms),
        ("liaison", args.liaison),
    ]
    .into_iter()
    .filter_map(|(role, who)| who.map(|w| (role.to_string(), w)))
    .collect();
    roles.extend(args.roles);
    if roles.is_empty() && ctx.interactive {
        roles.push(ask_for_a_role(ctx)?);
    }
    if roles.is_empty() {
        return Err(anyhow!(crate::UsageError(
            "nothing to assign: pass --commander, --comms, --liaison or --role NAME=WHO".into()
        )));
    }
    super::change(
        ctx,
        &args.id,
        args.at.as_deref(),
        IncidentChange::Assign { roles },
    )
}
