//! What every command gets: where it runs, one clock, one author source and the output mode.
//!
//! The environment is read here and nowhere else (`INCIDENT_NOW`, `INCIDENT_AUTHOR`, `NO_COLOR`), so
//! tests and drills pin time and author in one place.

use crate::cli::{Cli, ColorChoice};
use crate::model::{Stamp, parse_time};
use crate::output::{Output, terminal_width};
use crate::store::{self, Author, Store};
use anyhow::{Context as _, Result, anyhow, bail};
use chrono::{DateTime, Local, Utc};
use std::io::IsTerminal;
use std::path::PathBuf;

/// What a command runs with. How it writes (terminal, colour, width, JSON) is [`Output`], in
/// `crate::output`.
pub struct Context {
    pub dir: PathBuf,
    /// The user's home folder (`HOME`), which no command fills with generated files.
    pub home: Option<PathBuf>,
    pub now: DateTime<Utc>,
    author_flag: Option<String>,
    pub out: Output,
    /// Whether prompts may be shown: only with a person at a terminal.
    pub interactive: bool,
    /// `--sync`: sync right after a change.
    pub sync: bool,
    /// How long that sync may wait for the network (`INCIDENT_SYNC_TIMEOUT`, default 20s): the
    /// change is committed already, and a responder mid-outage needs the prompt back.
    pub sync_timeout: std::time::Duration,
    /// Deliver a change's notifications right after it (`--notify`).
    pub notify: bool,
    no_verify: bool,
    /// Opened once, on first use: discovering the repo and parsing the policy is paid once.
    store: std::cell::OnceCell<Store>,
    /// When the command began, for [`Context::clock`].
    started: std::time::Instant,
}

impl Context {
    pub fn from_cli(cli: &Cli) -> Result<Context> {
        let dir = match &cli.repo {
            Some(dir) => dir.clone(),
            None => std::env::current_dir().context("cannot read the current folder")?,
        };
        let now = match std::env::var("INCIDENT_NOW") {
            Ok(pinned) if !pinned.trim().is_empty() => DateTime::parse_from_rfc3339(pinned.trim())
                .map(|t| t.with_timezone(&Utc))
                .map_err(|e| anyhow!("INCIDENT_NOW `{pinned}` is not an RFC 3339 time ({e}); example: 2026-11-25T14:05:00Z"))?,
            _ => Utc::now(),
        };
        let now = DateTime::from_timestamp(now.timestamp(), 0).unwrap_or(now);
        let stdout_tty = std::io::stdout().is_terminal();
        let color = match cli.color {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => {
                stdout_tty && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
            }
        };
        let author_flag = cli
            .author
            .clone()
            .or_else(|| std::env::var("INCIDENT_AUTHOR").ok())
            .filter(|a| !a.trim().is_empty());
        Ok(Context {
            dir,
            home: std::env::var_os("HOME")
                .filter(|h| !h.is_empty())
                .map(PathBuf::from),
            now,
            author_flag,
            out: Output {
                json: cli.json,
                color,
                utc: cli.utc,
                tty: stdout_tty,
                width: stdout_tty.then(terminal_width).flatten(),
            },
            interactive: std::io::stdin().is_terminal() && std::io::stderr().is_terminal(),
            sync: cli.sync,
            sync_timeout: sync_timeout()?,
            notify: cli.notify,
            no_verify: cli.no_verify,
            store: std::cell::OnceCell::new(),
            started: std::time::Instant::now(),
        })
    }

    /// The clock for work that takes time (claims and deliveries of `notify`): `now` (pinned by
    /// `INCIDENT_NOW` in tests and drills) moved on by the time the command has run.
    pub fn clock(&self) -> DateTime<Utc> {
        let ran = chrono::Duration::from_std(self.started.elapsed()).unwrap_or_default();
        self.now + ran
    }

    /// The incident repo this command works on. A change a killed process left half done is finished
    /// or undone first, and what the store has to say (waiting for a lock, a recovery) goes to stderr.
    pub fn store(&self) -> Result<&Store> {
        if let Some(store) = self.store.get() {
            return Ok(store);
        }
        let mut store = Store::discover(&self.dir)?;
        store.on_notice(Box::new(|notice| match notice {
            store::Notice::WaitingForLock(holder) => {
                crate::say!("waiting for another incident command to finish ({holder})")
            }
            store::Notice::Recovered(what) => crate::say!("note: {what}"),
            store::Notice::Unfinished(why) => crate::say!(
                "warning: a change interrupted by a killed process is not finished: {why}"
            ),
        }));
        if self.no_verify {
            store.skip_hooks();
        }
        store.in_process(store::Process {
            no_cache: std::env::var_os("INCIDENT_NO_CACHE")
                .is_some_and(|v| !v.is_empty() && v != "0"),
            command: std::env::args().take(4).collect::<Vec<_>>().join(" "),
            home: self.home.clone(),
        });
        store.recover_if_interrupted();
        Ok(self.store.get_or_init(|| store))
    }

    /// `--as`, then `INCIDENT_AUTHOR`, then git's user.name/user.email here.
    pub fn author(&self) -> Result<Author> {
        self.author_at(&self.dir)
    }

    /// The author for a change in the repo at (or above) `dir`: `init DIR` takes DIR's identity.
    pub fn author_at(&self, dir: &std::path::Path) -> Result<Author> {
        if let Some(who) = &self.author_flag {
            let mut author = Author::parse(who);
            crate::model::check_name("author (--as / INCIDENT_AUTHOR)", &author.name)?;
            if author
                .email
                .chars()
                .any(|c| c.is_control() || matches!(c, '<' | '>'))
            {
                return Err(crate::model::ModelError::Invalid(format!(
                    "author e-mail `{}` (--as / INCIDENT_AUTHOR) must not contain `<`, `>` or control characters",
                    author.email.escape_debug()
                ))
                .into());
            }
            if author.email.is_empty()
                && let Some(git) = store::git_identity_at(dir)
                && git.name == author.name
            {
                author.email = git.email;
            }
            return Ok(author);
        }
        if let Some(author) = store::git_identity_at(dir) {
            return Ok(author);
        }
        // A hint that works from where the user stands: inside a repo, that repo's config; else the
        // global one (`git -C DIR config` fails where DIR is not a repo yet).
        let existing = dir.ancestors().find(|d| d.join(".git").exists());
        let set = match existing {
            Some(repo) => format!(
                "git -C '{}' config user.name \"Your Name\" && git -C '{}' config user.email you@example.com",
                repo.display(),
                repo.display()
            ),
            None => "git config --global user.name \"Your Name\" && git config --global user.email you@example.com".into(),
        };
        bail!(
            "no author: git has no user.name for `{}`. Set it with `{set}`, or pass `--as \"Your Name <you@example.com>\"` (or set INCIDENT_AUTHOR)",
            dir.display()
        )
    }

    /// Who and when for an event: now, or the backfilled `--at` time.
    pub fn stamp(&self, author: &Author, at: Option<&str>) -> Result<Stamp> {
        let at = match at {
            Some(text) => self.time_arg("--at", text)?,
            None => self.now,
        };
        Ok(Stamp {
            at,
            by: author.name.clone(),
        })
    }

    pub fn time_arg(&self, flag: &str, text: &str) -> Result<DateTime<Utc>> {
        use crate::model::ModelError;
        let at = parse_time(text, self.now, &Local).map_err(|e| match e {
            ModelError::Invalid(m) => ModelError::Invalid(format!("{flag}: {m}")),
            other => other,
        })?;
        if at > self.now + chrono::Duration::minutes(1) {
            return Err(ModelError::Invalid(format!(
                "{flag}: `{text}` is in the future; events are recorded as they happen or backfilled"
            ))
            .into());
        }
        Ok(at)
    }

    /// A TIME that may lie ahead (`--at`, `--until` of a plan): RFC 3339, `YYYY-MM-DD HH:MM`,
    /// `HH:MM` (the next such moment), `in 2h`, or anything a backfilled time may be.
    pub fn planned_arg(&self, flag: &str, text: &str) -> Result<DateTime<Utc>> {
        use crate::model::ModelError;
        crate::model::parse_planned_time(text, self.now, &Local).map_err(|e| match e {
            ModelError::Invalid(m) => ModelError::Invalid(format!("{flag}: {m}")).into(),
            other => other.into(),
        })
    }

    /// `--since` takes a TIME or a bare span (`90d` meaning 90 days ago).
    /// A span reaching back past 1970 means "from the beginning" and is clamped there.
    pub fn since_arg(&self, text: &str) -> Result<DateTime<Utc>> {
        match text.parse::<crate::model::Span>() {
            Ok(span) => {
                let back = chrono::Duration::try_seconds(span.seconds())
                    .and_then(|d| self.now.checked_sub_signed(d))
                    .unwrap_or(DateTime::UNIX_EPOCH);
                return Ok(back.max(DateTime::UNIX_EPOCH));
            }
            // A span longer than any history is "from the beginning".
            Err(crate::model::SpanError::TooLong(_)) => return Ok(DateTime::UNIX_EPOCH),
            Err(_) => {}
        }
        self.time_arg("--since", text)
    }
}

/// `INCIDENT_SYNC_TIMEOUT` as a span (`20s`, `2m`), 20 seconds when unset.
fn sync_timeout() -> Result<std::time::Duration> {
    match std::env::var("INCIDENT_SYNC_TIMEOUT") {
        Ok(text) if !text.trim().is_empty() => {
            let span: crate::model::Span = text.trim().parse().map_err(|e| {
                anyhow!("INCIDENT_SYNC_TIMEOUT `{text}` is not a span ({e}); example: 20s or 2m")
            })?;
            Ok(std::time::Duration::from_secs(span.seconds().max(1) as u64))
        }
        _ => Ok(std::time::Duration::from_secs(20)),
    }
}
