//! What every command gets: where it runs, one clock, one author source and the output mode.
//!
//! The environment is read here and nowhere else (`INCIDENT_NOW`, `INCIDENT_AUTHOR`, `NO_COLOR`), so
//! tests and drills pin time and author in one place.

use crate::cli::{Cli, ColorChoice};
use crate::model::{Stamp, parse_time};
use crate::store::{self, Author, Store};
use anyhow::{Context as _, Result, anyhow, bail};
use chrono::{DateTime, Local, Utc};
use serde::Serialize;
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use unicode_width::UnicodeWidthStr;

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
        })
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
            Err(e) if e.contains("too long") => return Ok(DateTime::UNIX_EPOCH),
            Err(_) => {}
        }
        self.time_arg("--since", text)
    }
}

/// Shows control and hidden characters from record text as visible escapes (`\u{1b}`, `\u{202e}`),
/// so a hand-edited record cannot clear the screen, move the cursor, retitle the terminal or reorder
/// what its reader sees. Newlines and tabs stay; so do colour codes (`ESC [ digits ; m`) when colour
/// is on, which are ours.
pub fn neutralise_controls(text: &str, keep_colour: bool) -> std::borrow::Cow<'_, str> {
    // Bytes first: a table of 100,000 rows is 10 MB.
    if !crate::model::may_hold_hidden(text) || !text.chars().any(crate::model::is_forbidden_in_text)
    {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        if c == '\x1b' && keep_colour {
            let sgr = rest[1..]
                .strip_prefix('[')
                .and_then(|r| {
                    r.find(|ch: char| !(ch.is_ascii_digit() || ch == ';'))
                        .map(|end| (r, end))
                })
                .filter(|(r, end)| r[*end..].starts_with('m'))
                .map(|(_, end)| end + 3);
            if let Some(len) = sgr {
                out.push_str(&rest[..len]);
                rest = &rest[len..];
                continue;
            }
        }
        if crate::model::is_forbidden_in_text(c) {
            out.extend(c.escape_unicode());
        } else {
            out.push(c);
        }
        rest = &rest[c.len_utf8()..];
    }
    std::borrow::Cow::Owned(out)
}

/// How a severity is coloured: SEV1 red and bold, SEV2 yellow, SEV3 cyan, SEV4 dim.
pub fn severity_style(sev: crate::model::Severity) -> Style {
    use crate::model::Severity::*;
    match sev {
        Sev1 => Style::Red,
        Sev2 => Style::Yellow,
        Sev3 => Style::Cyan,
        Sev4 => Style::Dim,
    }
}

/// The output mode and the one place commands write through, so a closed pipe surfaces as an error
/// `main` can recognise instead of a panic.
pub struct Output {
    pub json: bool,
    pub color: bool,
    pub utc: bool,
    pub tty: bool,
    /// The terminal's width in columns, when stdout is one.
    pub width: Option<usize>,
}

/// `COLUMNS` when set (as shells and test harnesses set it), else what the terminal says.
fn terminal_width() -> Option<usize> {
    std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.trim().parse::<usize>().ok())
        .filter(|c| *c > 0)
        .or_else(|| columns_of(std::io::stdout()))
}

/// The width the terminal on `fd` reports. Not the `terminal_size` crate: it gives up when a terminal
/// reports no rows (`script` without a size, some editors' shells), though the width is known.
pub(crate) fn columns_of(fd: impl std::os::fd::AsFd) -> Option<usize> {
    let size = rustix::termios::tcgetwinsize(fd).ok()?;
    (size.ws_col > 0).then_some(usize::from(size.ws_col))
}

#[derive(Clone, Copy)]
pub enum Style {
    Bold,
    Dim,
    Red,
    Yellow,
    Green,
    Cyan,
}

impl Output {
    pub fn line(&self, text: impl AsRef<str>) -> Result<()> {
        let text = neutralise_controls(text.as_ref(), self.color);
        let mut out = std::io::stdout().lock();
        out.write_all(text.as_bytes())?;
        out.write_all(b"\n")?;
        Ok(())
    }

    pub fn json<T: Serialize + ?Sized>(&self, value: &T) -> Result<()> {
        self.line(serde_json::to_string_pretty(value)?)
    }

    pub fn paint(&self, text: &str, style: Style) -> String {
        if !self.color {
            return text.to_string();
        }
        let code = match style {
            Style::Bold => "1",
            Style::Dim => "2",
            Style::Red => "1;31",
            Style::Yellow => "33",
            Style::Green => "32",
            Style::Cyan => "36",
        };
        format!("\x1b[{code}m{text}\x1b[0m")
    }

    pub fn severity(&self, sev: crate::model::Severity) -> String {
        self.paint(sev.as_str(), severity_style(sev))
    }

    /// The zone times are shown in, for a table header or a document's first line: the offset
    /// of now (for a list of no particular times).
    pub fn zone(&self) -> String {
        self.zone_of([Utc::now()])
    }

    /// The zone of the times shown, for their header: the offset they have (summer time for a time
    /// in summer, whatever today is), or each offset when they straddle a change
    /// (`UTC+01:00/+02:00`).
    pub fn zone_of(&self, times: impl IntoIterator<Item = DateTime<Utc>>) -> String {
        if self.utc {
            return "UTC".into();
        }
        let mut offsets: Vec<String> = Vec::new();
        for t in times {
            let offset = t.with_timezone(&Local).format("%:z").to_string();
            if !offsets.contains(&offset) {
                offsets.push(offset);
            }
        }
        match offsets.as_slice() {
            [] => self.zone(),
            [only] if only == "+00:00" => "UTC".into(),
            [only] => format!("UTC{only}"),
            many => format!("UTC{}", many.join("/")),
        }
    }

    /// A time in the zone [`Output::zone`] names, without repeating it.
    pub fn time_in_zone(&self, t: DateTime<Utc>) -> String {
        if self.utc {
            t.format("%Y-%m-%d %H:%M").to_string()
        } else {
            t.with_timezone(&Local).format("%Y-%m-%d %H:%M").to_string()
        }
    }

    /// Prints what a change did: `head` (painted, `head_width` columns wide) then `what` and the
    /// commit. On a terminal too narrow for one line, `what` wraps under the head, or under a
    /// four-space indent on the next line when the head leaves too little room beside it.
    pub fn changed(&self, head: &str, head_width: usize, what: &str, commit: &str) -> Result<()> {
        let tag = format!("[{commit}]");
        let whole = head_width + what.width() + 1 + tag.width();
        let Some(width) = self.width.filter(|w| whole > *w) else {
            return self.line(format!("{head}{what} {}", self.paint(&tag, Style::Dim)));
        };
        let text = format!("{what} {tag}");
        let body = if head_width + 24 <= width {
            crate::table::hang(head, head_width, &text, Some(width))
        } else {
            format!(
                "{}\n{}",
                head.trim_end(),
                crate::table::hang("    ", 4, &text, Some(width))
            )
        };
        // The commit stays dim when it ends a line of its own words.
        let body = match body.strip_suffix(&tag) {
            Some(rest) => format!("{rest}{}", self.paint(&tag, Style::Dim)),
            None => body,
        };
        self.line(body)
    }

    /// A time standing alone in a sentence: as [`Output::time_in_zone`] shows it, followed by its
    /// zone (`2026-12-01 11:00 UTC+01:00`), so every time on the terminal reads one way.
    pub fn time_labelled(&self, t: DateTime<Utc>) -> String {
        format!("{} {}", self.time_in_zone(t), self.zone_of([t]))
    }

    /// Prints a table laid out for this output (see [`crate::table`]); `wide` shows every column in
    /// full even on a narrow terminal.
    pub fn grid(&self, grid: &crate::table::Grid, wide: bool) -> Result<()> {
        let mut out = std::io::stdout().lock();
        grid.write(self, wide, &mut out)?;
        out.write_all(b"\n")?;
        Ok(())
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

#[cfg(test)]
mod tests {
    use super::neutralise_controls;

    #[test]
    fn control_characters_from_records_are_shown_not_obeyed() {
        assert_eq!(neutralise_controls("plain\ttext\n", true), "plain\ttext\n");
        assert_eq!(
            neutralise_controls("a\u{1b}[2Jb\u{7}", true),
            "a\\u{1b}[2Jb\\u{7}"
        );
        assert_eq!(
            neutralise_controls("\u{1b}[1;31mSEV1\u{1b}[0m", true),
            "\u{1b}[1;31mSEV1\u{1b}[0m"
        );
        assert_eq!(
            neutralise_controls("\u{1b}[1;31mSEV1", false),
            "\\u{1b}[1;31mSEV1"
        );
        assert_eq!(
            neutralise_controls("\u{1b}]0;owned\u{7}", true),
            "\\u{1b}]0;owned\\u{7}"
        );
    }
}
