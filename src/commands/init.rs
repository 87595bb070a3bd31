//! `incident init [DIR]`: make a folder an incident repo (git repo, policy file, `incidents/`).

use super::Context;
use crate::model::{Config, Service, check_name};
use crate::store::{InitOutcome, Store};
use anyhow::Result;
use std::path::PathBuf;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// the folder to set up (default: the current folder)
    pub dir: Option<PathBuf>,
    /// the organisation's name, shown on the status page (default: the folder's name)
    #[arg(long, value_name = "NAME")]
    pub org: Option<String>,
    /// a service of the catalog (repeat for each), e.g. `--service checkout`
    #[arg(long = "service", value_name = "ID")]
    pub services: Vec<String>,
    /// start without the runbooks of the practice in runbooks/ (SEV1 and SEV2 response, security,
    /// data loss, bad deploy, post-incident review)
    #[arg(long)]
    pub no_runbooks: bool,
}

pub fn run(ctx: &Context, args: Args) -> Result<()> {
    let dir = match args.dir {
        Some(d) if d.is_absolute() => d,
        Some(d) => ctx.dir.join(d),
        None => ctx.dir.clone(),
    };
    let org = match args.org {
        Some(org) => org,
        None => std::fs::canonicalize(&dir)
            .unwrap_or_else(|_| dir.clone())
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "My organisation".into()),
    };
    let mut config = Config::new(&org);
    for id in args.services {
        check_name("service", &id)?;
        if config.service(&id).is_none() {
            config.services.push(Service {
                id,
                name: None,
                description: None,
                group: None,
                showcase: None,
                // The page's `created_at` and the start of its uptime: the day it was catalogued.
                start_date: Some(ctx.now.date_naive()),
                ..Service::default()
            });
        }
    }
    let author = ctx.author_at(&dir)?;
    let seed: &[(&str, &str)] = if args.no_runbooks {
        &[]
    } else {
        &crate::ops::runbook::SEEDED
    };
    let outcome = Store::init(&dir, &config, seed, &author, ctx.now)?;
    // Plain `git pull` merges records with `incident merge-file` from now on.
    let root = match &outcome {
        InitOutcome::Created { root, .. } | InitOutcome::AlreadyInitialized { root } => {
            root.clone()
        }
    };
    if let Ok(exe) = std::env::current_exe() {
        Store::open(&root)?.register_merge_driver(&exe)?;
    }
    match outcome {
        InitOutcome::Created { root, commit } => ctx.out.line(format!(
            "initialised incident repo in {} [{commit}]\nnext: edit .incident.yaml (services, people, severity policy), then `incident declare`",
            root.display()
        )),
        InitOutcome::AlreadyInitialized { root } => ctx.out.line(format!(
            "{} is already an incident repo; nothing changed",
            root.display()
        )),
    }
}
