//! `incident man`: the man page (roff), e.g. `incident man > /usr/local/share/man/man1/incident.1`.

use super::Context;
use anyhow::Result;
use clap::CommandFactory;

#[derive(Debug, clap::Args)]
pub struct Args {}

pub fn run(_ctx: &Context, _args: Args) -> Result<()> {
    let cmd = crate::cli::Cli::command();
    let mut buf = Vec::new();
    clap_mangen::Man::new(cmd).render(&mut buf)?;
    super::completions::write_stdout(&buf)
}
