//! One file per subcommand: its `Args` and `run(ctx, args)`. Commands parse what the user meant, call
//! the model and the store, and print; the work itself lives in the library.

pub mod ack;
pub mod action;
pub mod assign;
pub mod changes;
pub mod check;
pub mod completions;
pub mod declare;
pub mod due;
pub mod edit;
pub mod history;
pub mod ingest;
pub mod init;
pub mod list;
pub mod log;
pub mod maintenance;
pub mod man;
pub mod merge_file;
pub mod notify;
pub mod oncall;
pub mod pir;
pub mod postmortem;
pub mod publish;
pub mod render;
pub mod report;
pub mod resolve;
pub mod runbook;
pub mod search;
pub mod serve;
pub mod severity;
pub mod show;
pub mod stats;
pub mod status;
pub mod sync;
pub mod task;
pub mod templates;
pub mod update;
pub mod watch;

use crate::cli::{Cli, Command};
use crate::context::Context;
use crate::model::Incident;
use crate::output::Style;
use anyhow::Result;

pub fn run(cli: Cli) -> Result<()> {
    let ctx = Context::from_cli(&cli)?;
    match cli.command {
        Command::Init(args) => init::run(&ctx, args),
        Command::Declare(args) => declare::run(&ctx, args),
        Command::Severity(args) => severity::run(&ctx, args),
        Command::Status(args) => status::run(&ctx, args),
        Command::Log(args) => log::run(&ctx, args),
        Command::Assign(args) => assign::run(&ctx, args),
        Command::Ack(args) => ack::run(&ctx, args),
        Command::Resolve(args) => resolve::run(&ctx, args),
        Command::List(args) => list::run(&ctx, args),
        Command::Show(args) => show::run(&ctx, args),
        Command::History(args) => history::run(&ctx, args),
        Command::Update(args) => update::run(&ctx, args),
        Command::Render(args) => render::run(&ctx, args),
        Command::Publish(args) => publish::run(&ctx, args),
        Command::Postmortem(args) => postmortem::run(&ctx, args),
        Command::Pir(args) => pir::run(&ctx, args),
        Command::Templates(args) => templates::run(&ctx, args),
        Command::Action(args) => action::run(&ctx, args),
        Command::Maintenance(args) => maintenance::run(&ctx, args),
        Command::Runbook(args) => runbook::run(&ctx, args),
        Command::Task(args) => task::run(&ctx, args),
        Command::Search(args) => search::run(&ctx, args),
        Command::Changes(args) => changes::run(&ctx, args),
        Command::Oncall(args) => oncall::run(&ctx, args),
        Command::Ingest(args) => ingest::run(&ctx, args),
        Command::Watch(args) => watch::run(&ctx, args),
        Command::Serve(args) => serve::run(&ctx, args),
        Command::Notify(args) => notify::run(&ctx, args),
        Command::Stats(args) => stats::run(&ctx, args),
        Command::Due(args) => due::run(&ctx, args),
        Command::Report(args) => report::run(&ctx, args),
        Command::Edit(args) => edit::run(&ctx, args),
        Command::Check(args) => check::run(&ctx, args),
        Command::Sync(args) => sync::run(&ctx, args),
        Command::MergeFile(args) => merge_file::run(&ctx, args),
        Command::Completions(args) => completions::run(&ctx, args),
        Command::Man(args) => man::run(&ctx, args),
    }
}

/// Who acts now, for an operation: the author `--as`, `INCIDENT_AUTHOR` or git names, at the
/// context's clock.
pub(crate) fn actor(ctx: &Context) -> Result<crate::ops::Actor> {
    Ok(crate::ops::Actor::new(ctx.author()?, ctx.now))
}

/// `--at TIME` as an operation takes it.
pub(crate) fn at_arg(
    ctx: &Context,
    at: Option<&str>,
) -> Result<Option<chrono::DateTime<chrono::Utc>>> {
    at.map(|t| ctx.time_arg("--at", t)).transpose()
}

/// Runs one everyday change ([`crate::ops::change`]) and reports it.
pub(crate) fn change(
    ctx: &Context,
    query: &str,
    at: Option<&str>,
    change: crate::ops::IncidentChange,
) -> Result<()> {
    let outcome = crate::ops::change(ctx.store()?, &actor(ctx)?, query, at_arg(ctx, at)?, change)?;
    report(ctx, &outcome)
}

/// The impact flags `declare`, `pir` and `edit` share.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct ImpactArgs {
    /// how many users were affected
    #[arg(long, value_name = "N")]
    pub users: Option<u64>,
    /// how many customers (accounts) were affected
    #[arg(long, value_name = "N")]
    pub customers: Option<u64>,
    /// revenue at risk, as text (`EUR 310,000`)
    #[arg(long, value_name = "TEXT")]
    pub revenue: Option<String>,
    /// the impact in words
    #[arg(long, value_name = "TEXT")]
    pub impact: Option<String>,
}

impl ImpactArgs {
    pub fn change(&self) -> crate::model::ImpactChange {
        crate::model::ImpactChange {
            users: self.users,
            customers: self.customers,
            revenue: self.revenue.clone(),
            text: self.impact.clone(),
        }
    }
}

/// Whether to do an optional extra step: the flag decides; without one, a person at a terminal is
/// asked, and scripts get "no".
pub(crate) fn offer(ctx: &Context, yes: bool, no: bool, question: &str) -> Result<bool> {
    if yes || no || !ctx.interactive {
        return Ok(yes);
    }
    Ok(
        dialoguer::Confirm::with_theme(&dialoguer::theme::SimpleTheme)
            .with_prompt(question)
            .default(false)
            .interact()?,
    )
}

/// Opens `value` as YAML (under a `#` header) in `$VISUAL`/`$EDITOR` through dialoguer's editor and
/// reads it back. `None` when the file was closed unchanged. Text that does not parse is kept in a
/// file that the error names, so nothing typed is lost.
pub(crate) fn edit_in_editor<T>(header: &str, value: &T, name: &str) -> Result<Option<T>>
where
    T: serde::Serialize + serde::de::DeserializeOwned + PartialEq,
{
    let text = format!("{header}{}", crate::store::to_yaml(value)?);
    let Some(edited) = dialoguer::Editor::new()
        .extension(".yaml")
        .edit(&text)
        .map_err(|e| anyhow::anyhow!("cannot run the editor ($VISUAL / $EDITOR): {e}"))?
    else {
        return Ok(None);
    };
    match crate::store::from_yaml::<T>(&edited, std::path::Path::new(name)) {
        Ok(parsed) if parsed == *value => Ok(None),
        Ok(parsed) => Ok(Some(parsed)),
        Err(e) => {
            let kept = crate::store::keep_privately(&format!("{name}.yaml"), edited.as_bytes())?;
            anyhow::bail!(
                "{e}; nothing was changed, and your text is kept in `{}`",
                kept.display()
            )
        }
    }
}

/// Prints what a change did (or the resulting record with `--json`) and what its makers should
/// hear; then delivers and syncs when asked. A failed sync leaves the change committed locally
/// and says so.
pub(crate) fn report(ctx: &Context, outcome: &crate::ops::Outcome) -> Result<()> {
    report_saved(ctx, &outcome.incident, &outcome.commit, &outcome.what)?;
    if !ctx.out.json {
        next_steps(ctx, outcome)?;
    }
    for warning in &outcome.warnings {
        match warning {
            crate::ops::Warning::CommanderNeeded { id, severity, due } => crate::say!(
                "warning: {severity} needs an incident commander by {}: `incident assign {id} --commander WHO` (or declare with --commander)",
                ctx.out.time_labelled(*due)
            ),
            _ => crate::say!("warning: {warning}"),
        }
    }
    after_change(ctx)
}

/// For each runbook the change attached, its title and first open steps: what to do next.
fn next_steps(ctx: &Context, outcome: &crate::ops::Outcome) -> Result<()> {
    for path in &outcome.attached {
        let tasks: Vec<&crate::model::Task> = outcome
            .incident
            .tasks
            .iter()
            .filter(|t| t.runbook.as_ref().is_some_and(|r| &r.path == path))
            .collect();
        ctx.out.line(format!(
            "runbook {}: {} step(s); next:",
            ctx.out.paint(path, Style::Bold),
            tasks.len()
        ))?;
        for t in tasks
            .iter()
            .filter(|t| t.state == crate::model::TaskState::Open)
            .take(3)
        {
            let due = t
                .due_at
                .map(|d| format!(" (by {})", ctx.out.time_labelled(d)))
                .unwrap_or_default();
            let head = format!("  #{} ", t.number);
            let width = head.len();
            ctx.out.line(crate::table::hang(
                &head,
                width,
                &format!("{}{due}", t.text),
                ctx.out.width,
            ))?;
        }
    }
    Ok(())
}

/// The change line (`SEV2 <id>: what [commit]`), or the record with `--json`.
pub(crate) fn report_saved(
    ctx: &Context,
    incident: &Incident,
    commit: &str,
    what: &str,
) -> Result<()> {
    if ctx.out.json {
        return ctx.out.json(incident);
    }
    let head = format!(
        "{} {}: ",
        ctx.out.severity(incident.severity),
        ctx.out.paint(&incident.id, Style::Bold),
    );
    let head_width = incident.severity.as_str().len() + incident.id.len() + 3;
    ctx.out.changed(&head, head_width, what, commit)
}

/// Syncs after a change when `--sync` or `sync: auto` asks for it; a failed sync only warns (the
/// change is committed).
pub(crate) fn after_change(ctx: &Context) -> Result<()> {
    notify::after_change(ctx);
    let store = ctx.store()?;
    if !ctx.sync && store.config().sync != crate::model::SyncMode::Auto {
        return Ok(());
    }
    match sync::sync(ctx, store, "origin", true, ctx.sync_timeout) {
        Ok(r) if !ctx.out.json => ctx.out.line(sync::describe(&r)),
        Ok(_) => Ok(()),
        Err(e) => {
            crate::say!(
                "warning: the change is committed locally and the push is pending: sync failed: {e:#}; run `incident sync`"
            );
            Ok(())
        }
    }
}

/// clap's parser for `--component SERVICE=STATUS`.
pub(crate) fn component_setting(
    text: &str,
) -> Result<(String, crate::model::ComponentStatus), String> {
    crate::model::parse_component_setting(text).map_err(|e| e.to_string())
}
