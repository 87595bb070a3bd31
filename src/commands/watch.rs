//! `incident watch`: the live full-screen view of the war room (see `crate::watch`).

use super::Context;
use anyhow::{Context as _, Result, bail};
use std::io::IsTerminal;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// never fetch or push: this clone only
    #[arg(long)]
    pub offline: bool,
    /// fetch (and merge) the remote this often, e.g. `10s`
    #[arg(long, value_name = "SPAN", default_value = "10s")]
    pub fetch_every: crate::model::Span,
    /// push each change at once
    #[arg(long, conflicts_with = "offline")]
    pub push: bool,
    /// the remote to fetch from [default: origin, and offline when there is none]
    #[arg(long, value_name = "NAME")]
    pub remote: Option<String>,
    /// take the mouse: click an incident to choose it, the wheel scrolls (the terminal's own
    /// text selection then needs Shift in most terminals)
    #[arg(long)]
    pub mouse: bool,
    /// print one frame as text (COLSxROWS, e.g. 80x24) and exit: no terminal needed
    #[arg(long, value_name = "COLSxROWS", value_parser = size)]
    pub snapshot: Option<(u16, u16)>,
}

fn size(text: &str) -> Result<(u16, u16), String> {
    let (w, h) = text
        .split_once('x')
        .ok_or_else(|| format!("`{text}` is not COLSxROWS, e.g. 80x24"))?;
    match (w.parse::<u16>(), h.parse::<u16>()) {
        (Ok(w), Ok(h)) if (20..=1000).contains(&w) && (5..=1000).contains(&h) => Ok((w, h)),
        _ => Err(format!(
            "`{text}` is not COLSxROWS between 20x5 and 1000x1000, e.g. 80x24"
        )),
    }
}

pub fn run(ctx: &Context, args: Args) -> Result<()> {
    if args.snapshot.is_none()
        && (!std::io::stdout().is_terminal() || !std::io::stdin().is_terminal())
    {
        bail!(
            "`incident watch` is a full-screen view and needs a terminal; for scripts use `incident due --json` or `incident list --open --json`"
        );
    }
    let store = ctx.store()?;
    let root = store.root().to_path_buf();
    let name = args.remote.clone().unwrap_or_else(|| "origin".into());
    let has_remote = git2::Repository::open(&root)
        .map(|r| r.find_remote(&name).is_ok())
        .unwrap_or(false);
    // A remote named on the command line must exist; the default one may not (a clone of its own).
    if args.remote.is_some() && !has_remote && !args.offline {
        bail!("--remote: this clone has no remote `{name}`; `git remote -v` lists the ones it has");
    }
    let remote = (!args.offline && has_remote).then_some(name);
    let start = ctx.now;
    let began = std::time::Instant::now();
    let settings = crate::watch::Settings {
        root,
        author: ctx.author()?,
        clock: Box::new(move || {
            start + chrono::Duration::seconds(began.elapsed().as_secs() as i64)
        }),
        remote,
        fetch_every: std::time::Duration::from_secs(args.fetch_every.seconds().max(1) as u64),
        push: args.push,
        color: ctx.out.color,
        utc: ctx.out.utc,
        mouse: args.mouse,
        driver: std::env::current_exe().context("cannot find the running `incident` binary")?,
    };
    match args.snapshot {
        Some((w, h)) => ctx
            .out
            .line(crate::watch::snapshot(&settings, w, h)?.trim_end()),
        None => crate::watch::run(settings),
    }
}
