//! `incident man`: the manual. `--out DIR` writes one page per command (`incident.1`,
//! `incident-declare.1`, `incident-action-add.1`, ...), which is what the main page's SUBCOMMANDS
//! section refers to; without it the main page is printed. Every page passes `mandoc -T lint`.

use super::Context;
use anyhow::{Context as _, Result};
use clap::CommandFactory;
use std::path::{Path, PathBuf};

/// The date the manual names (`.TH`): the date of this version's manual, kept fixed so that the pages
/// are the same on every build.
const MANUAL_DATE: &str = "2026-11-25";

#[derive(Debug, clap::Args)]
pub struct Args {
    /// write every page into DIR (e.g. /usr/local/share/man/man1) instead of printing the main one
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
}

pub fn run(ctx: &Context, args: Args) -> Result<()> {
    let mut cmd = crate::cli::Cli::command().disable_help_subcommand(true);
    cmd.build();
    match args.out {
        Some(dir) => {
            std::fs::create_dir_all(&dir)
                .with_context(|| format!("cannot create `{}`", dir.display()))?;
            let written = write_pages(&cmd, &dir)?;
            ctx.out.line(format!(
                "wrote {written} manual pages into {}",
                dir.display()
            ))
        }
        None => super::completions::write_stdout(&page(&cmd)?),
    }
}

/// The page of `cmd` and, recursively, of each of its subcommands.
fn write_pages(cmd: &clap::Command, dir: &Path) -> Result<usize> {
    let mut written = 0;
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        written += write_pages(sub, dir)?;
    }
    let name = format!("{}.1", cmd.get_display_name().unwrap_or(cmd.get_name()));
    let path = dir.join(&name);
    crate::store::write_atomically(&path, &page(cmd)?)?;
    Ok(written + 1)
}

fn page(cmd: &clap::Command) -> Result<Vec<u8>> {
    let mut buf = Vec::new();
    clap_mangen::Man::new(cmd.clone())
        .date(MANUAL_DATE)
        .source(format!("incident {}", env!("CARGO_PKG_VERSION")))
        .manual("incident manual")
        .render(&mut buf)?;
    // clap_mangen separates a flag's help from its list of values with `.br`, an empty line and
    // `.br`, which roff reads as a paragraph break between two line breaks; one `.sp` says it.
    let text = String::from_utf8(buf)?.replace("\n.br\n\n.br\n", "\n.sp\n");
    Ok(text.into_bytes())
}
