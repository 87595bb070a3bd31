//! `incident merge-file BASE OURS THEIRS [PATH]`: git's merge driver for incident records, so plain
//! `git merge` and `git pull` keep every event too. Registered by `init` and `sync`.

use super::Context;
use crate::store::merge_files;
use anyhow::Result;
use std::path::PathBuf;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// the common ancestor's version (%O)
    pub base: PathBuf,
    /// our version, overwritten with the result (%A)
    pub ours: PathBuf,
    /// their version (%B)
    pub theirs: PathBuf,
    /// the file's path in the repo, for messages (%P)
    pub path: Option<PathBuf>,
}

pub fn run(_ctx: &Context, args: Args) -> Result<()> {
    let shown = args.path.clone().unwrap_or_else(|| args.ours.clone());
    merge_files(&args.base, &args.ours, &args.theirs, &shown)
}
