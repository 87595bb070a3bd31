//! `incident completions SHELL`: the script that registers `incident`'s completions with a shell.
//! The shell then asks the binary itself (`COMPLETE=SHELL incident -- ...`), which answers from the
//! incident repo: open incident IDs, services from the catalog, severities, statuses, kinds.

use super::Context;
use anyhow::Result;
use clap::CommandFactory;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// the shell to generate completions for
    pub shell: clap_complete::Shell,
}

pub fn run(_ctx: &Context, args: Args) -> Result<()> {
    use clap_complete::env::{Bash, Elvish, EnvCompleter, Fish, Powershell, Zsh};
    let shell: &dyn EnvCompleter = match args.shell {
        clap_complete::Shell::Bash => &Bash,
        clap_complete::Shell::Elvish => &Elvish,
        clap_complete::Shell::Fish => &Fish,
        clap_complete::Shell::PowerShell => &Powershell,
        clap_complete::Shell::Zsh => &Zsh,
        other => anyhow::bail!("no completions for {other}"),
    };
    let name = crate::cli::Cli::command().get_name().to_string();
    let mut buf = Vec::new();
    shell.write_registration("COMPLETE", &name, &name, &name, &mut buf)?;
    write_stdout(&buf)
}

pub(crate) fn write_stdout(bytes: &[u8]) -> Result<()> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    out.write_all(bytes)?;
    out.flush()?;
    Ok(())
}
