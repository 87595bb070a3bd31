//! `incident`: run SaaS incidents from a git repository.
//!
//! Each incident is one YAML file in an incident repo and every change is one git commit, so `git log`
//! is the audit trail. The model, store, renderer and metrics never print and read no environment:
//! the command layer (`cli`, `context`, `commands`) does that and hands them a clock, an author and paths.
//!
//! - [`model`]: the record, the policy and the lifecycle rules (no I/O).
//! - [`store`]: the only code that touches files and git.
//! - [`commands`]: one file per subcommand; parse what the user meant, call the library, print.
//! - [`memory`]: how the binary's allocator is told to treat memory, chosen per command.

/// `eprintln!` that never panics: a full or closed stderr loses the message, not the command (and
/// exit code 101 stays unreachable).
#[macro_export]
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr(), $($arg)*);
    }};
}

pub mod cli;
pub mod commands;
pub mod complete;
pub mod context;
pub mod memory;
pub mod metrics;
pub mod model;
pub mod notify;
pub mod ops;
pub mod output;
pub mod render;
pub mod serve;
pub mod store;
pub mod table;
pub mod trends;
pub mod uptime;
pub mod watch;

use clap::Parser;
use std::ffi::OsString;
use std::process::ExitCode;

/// A mistake in how the command was called (a missing flag when no prompt is possible): exit code 2.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);

/// Parses, runs and reports: `error: ` with the whole cause chain, a `hint: ` where one helps, and
/// exit codes 0 (success), 1 (error), 2 (usage). A closed pipe is not an error.
pub fn run_from_args<I: IntoIterator<Item = OsString>>(args: I) -> ExitCode {
    let args: Vec<OsString> = args.into_iter().collect();
    // The shell asking for completions (`COMPLETE=bash incident -- ...`): answer and stop.
    let completing =
        clap_complete::CompleteEnv::with_factory(<cli::Cli as clap::CommandFactory>::command)
            .try_complete(args.clone(), std::env::current_dir().ok().as_deref());
    match completing {
        Ok(true) => return ExitCode::SUCCESS,
        Ok(false) => {}
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(2);
        }
    }
    if let Err(e) = check_arguments(&args) {
        crate::say!("error: {e}");
        return ExitCode::from(2);
    }
    let cli = match cli::Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { 2 } else { 0 });
        }
    };
    match commands::run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            if is_broken_pipe(&err) {
                return ExitCode::SUCCESS;
            }
            if let Some(failed) = err.downcast_ref::<commands::check::CheckFailed>() {
                // The findings are already on stdout; say only the count.
                crate::say!("error: {failed}");
                return ExitCode::from(1);
            }
            crate::say!(
                "error: {}",
                output::neutralise_controls(&chain(&err), output::Codes::EscapeAll)
            );
            if let Some(hint) = hint(&err) {
                crate::say!("hint: {hint}");
            }
            let invalid_value = err.chain().any(|c| {
                matches!(
                    c.downcast_ref::<model::ModelError>(),
                    Some(model::ModelError::Invalid(_))
                )
            });
            if invalid_value || err.downcast_ref::<UsageError>().is_some() {
                ExitCode::from(2)
            } else {
                ExitCode::from(1)
            }
        }
    }
}

/// Every argument becomes record text, a name or a path: none may carry a control character other
/// than newline and tab (an ESC in a title would reach every terminal that shows the incident).
fn check_arguments(args: &[OsString]) -> Result<(), model::ModelError> {
    for (n, arg) in args.iter().enumerate().skip(1) {
        let text = arg.to_string_lossy();
        model::check_text(&format!("argument {n} (`{}`)", text.escape_debug()), &text)?;
    }
    Ok(())
}

fn chain(err: &anyhow::Error) -> String {
    let mut parts: Vec<String> = Vec::new();
    for cause in err.chain() {
        let text = cause.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
    }
    parts.join(": ")
}

fn hint(err: &anyhow::Error) -> Option<String> {
    err.chain()
        .find_map(|c| c.downcast_ref::<store::StoreError>())
        .and_then(store::StoreError::hint)
}

fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}
