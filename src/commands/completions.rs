//! `incident completions SHELL`: shell completion scripts generated from the command definitions.

use super::Context;
use anyhow::Result;
use clap::CommandFactory;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// the shell to generate completions for
    pub shell: clap_complete::Shell,
}

pub fn run(_ctx: &Context, args: Args) -> Result<()> {
    let mut cmd = crate::cli::Cli::command();
    let mut buf = Vec::new();
    clap_complete::generate(args.shell, &mut cmd, "incident", &mut buf);
    write_stdout(&buf)
}

pub(crate) fn write_stdout(bytes: &[u8]) -> Result<()> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    out.write_all(bytes)?;
    out.flush()?;
    Ok(())
}
