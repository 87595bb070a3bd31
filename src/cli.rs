//! The command line: global flags and one variant per subcommand (each defined in `commands/`).

use crate::commands;
use clap::{Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(
    name = "incident",
    version,
    about = "Run SaaS incidents from a git repository",
    long_about = "Run SaaS incidents from a git repository.\n\nEach incident is one YAML file in an incident repo; every change is one git commit, so `git log` is the audit trail.",
    after_help = "Start with `incident init`, then `incident declare \"Checkout down\" --sev SEV1 --service checkout`."
)]
pub struct Cli {
    /// run as if started in DIR (the incident repo or a folder inside it)
    #[arg(short = 'C', long = "repo", global = true, value_name = "DIR")]
    pub repo: Option<PathBuf>,

    /// print machine-readable JSON instead of text
    #[arg(long, global = true)]
    pub json: bool,

    /// when to colour output
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto, value_name = "WHEN")]
    pub color: ColorChoice,

    /// show times in UTC instead of local time
    #[arg(long, global = true)]
    pub utc: bool,

    /// after a change, deliver its notifications (also `notify: auto: true` in .incident.yaml); a
    /// failed delivery only warns: the change is committed
    #[arg(long, global = true)]
    pub notify: bool,
    /// after a change, sync with the remote (also `sync: auto` in .incident.yaml)
    #[arg(long, global = true)]
    pub sync: bool,

    /// commit without running git's pre-commit and commit-msg hooks (like `git commit --no-verify`)
    #[arg(long, global = true)]
    pub no_verify: bool,

    /// act as WHO (`Name` or `Name <email>`) instead of git's user.name; also INCIDENT_AUTHOR
    #[arg(long = "as", id = "as", global = true, value_name = "WHO")]
    pub author: Option<String>,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// turn a folder into an incident repo
    Init(commands::init::Args),
    /// declare a new incident
    Declare(commands::declare::Args),
    /// change an incident's severity
    Severity(commands::severity::Args),
    /// move an incident through its lifecycle
    Status(commands::status::Args),
    /// append an event to an incident's timeline
    Log(commands::log::Args),
    /// assign the incident commander, comms lead, technical liaison or any role
    Assign(commands::assign::Args),
    /// acknowledge an incident
    Ack(commands::ack::Args),
    /// correct the record: title, summary, kind, services, impact, tags, related, times
    Edit(commands::edit::Args),
    /// resolve an incident
    Resolve(commands::resolve::Args),
    /// list incidents, open ones first
    List(commands::list::Args),
    /// show one incident: header, roles, times and timeline
    Show(commands::show::Args),
    /// show an incident's audit trail from git
    History(commands::history::Args),
    /// post a status update: what is impacted, what we learned, when the next update comes
    Update(commands::update::Args),
    /// show the latest status update as a channel shows it
    Render(commands::render::Args),
    /// write the public status page (markdown, HTML, Atom, Statuspage JSON)
    Publish(commands::publish::Args),
    /// render the blameless post-mortem
    Postmortem(commands::postmortem::Args),
    /// write the post-incident review into the record
    Pir(commands::pir::Args),
    /// list templates or export the built-ins to customise
    Templates(commands::templates::Args),
    /// add, close and list action items
    Action(commands::action::Args),
    /// schedule, start, update and complete maintenance windows for the status page
    Maintenance(commands::maintenance::Args),
    /// list, show and write the runbooks that say what to do (runbooks/*.md)
    Runbook(commands::runbook::Args),
    /// list, add, check off, skip and assign an incident's tasks (its runbooks' steps)
    Task(commands::task::Args),
    /// have we seen this before? past incidents ranked by their words, with why each matched
    Search(commands::search::Args),
    /// what changed before an incident: commits, merges and deploys of its services' repos
    Changes(commands::changes::Args),
    /// who is on call now or at any time; shifts, overrides and calendars of the rotas (oncall/)
    Oncall(commands::oncall::Args),
    /// the war room in the terminal: active incidents, what is due, roles, tasks and the timeline, live
    Watch(commands::watch::Args),
    /// take an alert payload (Alertmanager, Grafana, generic JSON) from stdin: declare or log
    Ingest(commands::ingest::Args),
    /// run the server: alerts and chat commands in, notifications and pages out
    Serve(commands::serve::Args),
    /// deliver the notifications the history calls for (chat, webhooks), exactly once across clones
    Notify(commands::notify::Args),
    /// response metrics, recurrence, comms deadlines and action follow-through
    Stats(commands::stats::Args),
    /// the reliability report: charts, tables, CSV and JSON of a window (--out DIR)
    Report(commands::report::Args),
    /// what active incidents owe now: updates, notifications, roles
    Due(commands::due::Args),
    /// validate every record (for CI); exit 1 on errors
    Check(commands::check::Args),
    /// fetch, merge every record without conflicts, commit, push
    Sync(commands::sync::Args),
    /// git's merge driver for incident records (registered by init and sync)
    #[command(name = "merge-file")]
    MergeFile(commands::merge_file::Args),
    /// print shell completions
    Completions(commands::completions::Args),
    /// print the man page
    Man(commands::man::Args),
}
