//! `incident serve`: the server's front door. Reads the listen address and the secrets (from the
//! environment only), says where it listens, and logs one line per thing it does on stderr.

use super::Context;
use crate::serve::{Secrets, Settings};
use anyhow::{Context as _, Result};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// the address to listen on (loopback unless you put it behind a proxy or firewall)
    #[arg(long, default_value = "127.0.0.1:8080", value_name = "ADDR")]
    pub listen: std::net::SocketAddr,
    /// the remote to pull from and push to (default: `serve.remote`, else `origin` when the repo
    /// has it)
    #[arg(long, value_name = "NAME")]
    pub remote: Option<String>,
    /// work on this clone alone: never fetch or push
    #[arg(long, conflicts_with = "remote")]
    pub offline: bool,
}

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

pub fn run(ctx: &Context, args: Args) -> Result<()> {
    let store = ctx.store()?;
    let config = store.config();
    let root = store.root().to_path_buf();
    let serve = &config.serve;
    let remote = if args.offline {
        None
    } else {
        let name = args
            .remote
            .clone()
            .or_else(|| serve.remote.clone())
            .unwrap_or_else(|| "origin".into());
        let repo = git2::Repository::open(&root).context("cannot open the incident repo")?;
        match repo.find_remote(&name) {
            Ok(_) => Some(name),
            Err(_) if args.remote.is_none() && serve.remote.is_none() => None,
            Err(_) => anyhow::bail!(
                "no remote named `{name}` (--remote or serve.remote): add it with `git remote add {name} URL`"
            ),
        }
    };
    let span = |s: Option<crate::model::Span>, default: u64| {
        std::time::Duration::from_secs(s.map_or(default, |s| s.seconds().max(1) as u64))
    };
    let alerts = env("INCIDENT_SERVE_TOKEN");
    let secrets = Secrets {
        metrics: env("INCIDENT_METRICS_TOKEN").or_else(|| alerts.clone()),
        alerts,
        slack: env("SLACK_SIGNING_SECRET"),
        mattermost: env("MATTERMOST_TOKEN"),
    };
    let author = ctx.author().unwrap_or_else(|_| crate::store::Author {
        name: "incident serve".into(),
        email: String::new(),
    });
    let start = ctx.now;
    let began = std::time::Instant::now();
    let settings = Settings {
        root,
        listen: args.listen,
        remote: remote.clone(),
        fetch_every: span(serve.fetch_every, 30),
        notify_every: span(serve.notify_every, 30),
        driver: std::env::current_exe().context("cannot find the running `incident` binary")?,
        sender: format!("{} (serve)", super::notify::sender()),
        author,
        // Whole seconds, as every command's clock (INCIDENT_NOW pins the start in tests).
        clock: Box::new(move || {
            start + chrono::Duration::seconds(began.elapsed().as_secs() as i64)
        }),
        log: std::sync::Arc::new(|line: &str| {
            crate::say!("{} {line}", chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ"))
        }),
        response_urls: if serve.response_urls.is_empty() {
            vec!["https://hooks.slack.com/".into()]
        } else {
            serve.response_urls.clone()
        },
        disabled: serve.disable.clone(),
        secrets,
        env: Box::new(|name| std::env::var(name).ok()),
    };
    let unset: Vec<&str> = [
        ("INCIDENT_SERVE_TOKEN", settings.secrets.alerts.is_none()),
        ("SLACK_SIGNING_SECRET", settings.secrets.slack.is_none()),
        ("MATTERMOST_TOKEN", settings.secrets.mattermost.is_none()),
    ]
    .into_iter()
    .filter(|(_, unset)| *unset)
    .map(|(name, _)| name)
    .collect();
    crate::serve::run(settings, |addr| {
        crate::say!(
            "listening on http://{addr} ({}){}",
            match &remote {
                Some(r) => format!("syncing with `{r}`"),
                None => "no remote: this clone only".into(),
            },
            if unset.is_empty() {
                String::new()
            } else {
                format!("; unset, so their paths answer 401: {}", unset.join(", "))
            }
        );
    })
}
