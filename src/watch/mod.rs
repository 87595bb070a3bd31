//! `incident watch`: the war room in the terminal. One screen of what is active, what is due
//! when, who holds which role and what others just logged; keys for the everyday changes, each
//! the operation the command runs (one commit); live: it re-reads when the repo changes and
//! fetches the remote every few seconds, merging as `sync` does.
//!
//! The view ([`View`]) and what a key does to it ([`View::key`]) are plain data and functions,
//! drawn by [`ui::draw`]; only [`run`] touches the terminal, and it restores it on every way out
//! (`q`, Ctrl-C, SIGTERM, an error, a panic).

pub mod ui;

use crate::model::{Severity, Status, TaskState, Visibility};
use crate::ops::board::Board;
use crate::store::{Author, Store};
use anyhow::{Context as _, Result};
use chrono::{DateTime, Utc};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, mpsc};
use std::time::{Duration, Instant};

/// What the person is typing, and for which change.
#[derive(Debug, Clone, PartialEq)]
pub struct Input {
    pub prompt: String,
    pub text: String,
    pub kind: Pending,
    /// A form's earlier fields, answered: (prompt, text).
    pub done: Vec<(String, String)>,
    /// A form's fields still to come, after this one.
    pub next: Vec<String>,
}

/// The change an input is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pending {
    Log,
    Update,
    Status,
    Severity,
    Task,
    Commander,
}

/// A change to make, on an incident.
#[derive(Debug, Clone, PartialEq)]
pub enum Change {
    Log(String),
    /// What is impacted, what we learned, when the next update comes.
    Update(String, String, String),
    Ack,
    Status(String),
    Severity(String),
    TaskDone(String),
    /// A role and who holds it (a name alone: the commander).
    Assign(String),
}

/// What a key asks for.
#[derive(Debug, Clone, PartialEq)]
pub enum Act {
    Nothing,
    Quit,
    Make { incident: String, change: Change },
}

/// Everything on the screen.
#[derive(Debug, Clone, PartialEq)]
pub struct View {
    pub board: Board,
    pub selected: usize,
    pub input: Option<Input>,
    pub message: Option<String>,
    pub help: bool,
    pub status_line: String,
    pub now: DateTime<Utc>,
    pub color: bool,
    pub utc: bool,
}

impl View {
    pub fn new(board: Board, now: DateTime<Utc>, color: bool, utc: bool) -> View {
        View {
            board,
            selected: 0,
            input: None,
            message: None,
            help: false,
            status_line: String::new(),
            now,
            color,
            utc,
        }
    }

    fn selected_id(&self) -> Option<String> {
        self.board
            .active
            .get(self.selected.min(self.board.active.len().saturating_sub(1)))
            .map(|a| a.id.clone())
    }

    /// What `key` does: moves, opens or edits an input, or asks for a change.
    pub fn key(&mut self, key: KeyEvent) -> Act {
        if key.code == KeyCode::Char('c') && key.modifiers.contains(KeyModifiers::CONTROL) {
            return Act::Quit;
        }
        if self.help {
            self.help = false;
            return Act::Nothing;
        }
        if let Some(input) = &mut self.input {
            let control = key.modifiers.contains(KeyModifiers::CONTROL);
            match key.code {
                KeyCode::Esc => self.input = None,
                // Ctrl-H is a backspace on terminals that send it for one.
                // Backspace in an empty field of a form goes back to the one before.
                KeyCode::Backspace if input.text.is_empty() && !input.done.is_empty() => {
                    let (prompt, text) = input.done.pop().expect("not empty");
                    input
                        .next
                        .insert(0, std::mem::replace(&mut input.prompt, prompt));
                    input.text = text;
                }
                KeyCode::Backspace => {
                    input.text.pop();
                }
                KeyCode::Char('h') if control => {
                    input.text.pop();
                }
                KeyCode::Char('u') if control => input.text.clear(),
                KeyCode::Char(_) if control => {}
                KeyCode::Char(c) => input.text.push(c),
                KeyCode::Enter | KeyCode::Tab
                    if !input.next.is_empty() && !input.text.trim().is_empty() =>
                {
                    let prompt = input.next.remove(0);
                    let answered = (
                        std::mem::replace(&mut input.prompt, prompt),
                        std::mem::take(&mut input.text),
                    );
                    input.done.push(answered);
                }
                // An empty field of a form is not answered.
                KeyCode::Enter | KeyCode::Tab if !input.next.is_empty() => {}
                KeyCode::Enter => {
                    let (Some(incident), Some(input)) = (self.selected_id(), self.input.clone())
                    else {
                        return Act::Nothing;
                    };
                    let text = input.text.trim().to_string();
                    if text.is_empty() {
                        return Act::Nothing;
                    }
                    let answer = |n: usize| {
                        input
                            .done
                            .get(n)
                            .map(|(_, t)| t.trim().to_string())
                            .unwrap_or_default()
                    };
                    let change = match input.kind {
                        Pending::Log => Change::Log(text),
                        Pending::Update => Change::Update(answer(0), answer(1), text),
                        Pending::Status => Change::Status(text),
                        Pending::Severity => Change::Severity(text),
                        Pending::Task => Change::TaskDone(text),
                        Pending::Commander => Change::Assign(text),
                    };
                    return Act::Make { incident, change };
                }
                _ => {}
            }
            return Act::Nothing;
        }
        let ask = |prompt: &str, kind| {
            Some(Input {
                prompt: prompt.into(),
                text: String::new(),
                kind,
                done: Vec::new(),
                next: Vec::new(),
            })
        };
        match key.code {
            KeyCode::Char('q') => return Act::Quit,
            KeyCode::Char('?') => self.help = true,
            KeyCode::Down | KeyCode::Char('j') if self.selected + 1 < self.board.active.len() => {
                self.selected += 1;
            }
            KeyCode::Up | KeyCode::Char('k') => self.selected = self.selected.saturating_sub(1),
            _ if self.board.active.is_empty() => {}
            KeyCode::Char('l') => self.input = ask("log", Pending::Log),
            // A small form: the three things every update says, Enter or Tab to the next.
            KeyCode::Char('u') => {
                self.input = Some(Input {
                    prompt: "update 1/3, what is impacted".into(),
                    text: String::new(),
                    kind: Pending::Update,
                    done: Vec::new(),
                    next: vec![
                        "update 2/3, what we learned".into(),
                        "update 3/3, next update in (e.g. 30m)".into(),
                    ],
                })
            }
            KeyCode::Char('s') => self.input = ask("status", Pending::Status),
            KeyCode::Char('v') => self.input = ask("severity", Pending::Severity),
            KeyCode::Char('t') => self.input = ask("task done (number)", Pending::Task),
            KeyCode::Char('c') => {
                self.input = ask(
                    "assign (a name: commander; or a role and a name: comms bob)",
                    Pending::Commander,
                )
            }
            KeyCode::Char('a') => {
                if let Some(incident) = self.selected_id() {
                    return Act::Make {
                        incident,
                        change: Change::Ack,
                    };
                }
            }
            _ => {}
        }
        Act::Nothing
    }
}

/// Makes `change` on `incident`, as the command line would: one commit. The words to show.
pub fn make(
    store: &Store,
    author: &Author,
    now: DateTime<Utc>,
    incident: &str,
    change: Change,
) -> Result<String> {
    use crate::ops::{IncidentChange, change as apply};
    let actor = crate::ops::Actor::new(author.clone(), now);
    let outcome = match change {
        Change::Log(text) => apply(
            store,
            &actor,
            incident,
            None,
            IncidentChange::log(&text, None, Visibility::Internal, None)?,
        )?,
        Change::Ack => apply(store, &actor, incident, None, IncidentChange::Ack)?,
        Change::Status(text) => {
            let to: Status = text.parse().map_err(|_| {
                anyhow::anyhow!(
                    "`{text}` is not a status: investigating, identified, monitoring or resolved"
                )
            })?;
            if to == Status::Resolved {
                crate::ops::resolve(store, &actor, incident, None, Default::default())?.outcome
            } else {
                apply(
                    store,
                    &actor,
                    incident,
                    None,
                    IncidentChange::Status {
                        to,
                        note: None,
                        reopen: crate::model::Reopen::No,
                    },
                )?
            }
        }
        Change::Severity(text) => {
            let to: Severity = text.parse().map_err(|_| {
                anyhow::anyhow!("`{text}` is not a severity: SEV1, SEV2, SEV3 or SEV4")
            })?;
            apply(
                store,
                &actor,
                incident,
                None,
                IncidentChange::Severity { to, reason: None },
            )?
        }
        Change::TaskDone(text) => {
            let n: u32 = text
                .trim_start_matches('#')
                .parse()
                .map_err(|_| anyhow::anyhow!("`{text}` is not a task number"))?;
            crate::ops::task::close(store, &actor, incident, n, TaskState::Done, None, None)?
        }
        Change::Assign(text) => {
            let words: Vec<&str> = text.split_whitespace().collect();
            let (role, who) = match words.as_slice() {
                [who] => ("commander".to_string(), who.to_string()),
                [role, who] => (role.to_ascii_lowercase(), who.to_string()),
                _ => anyhow::bail!("say a name (the commander), or a role and a name: `comms bob`"),
            };
            apply(
                store,
                &actor,
                incident,
                None,
                IncidentChange::Assign {
                    roles: vec![(role, who)],
                },
            )?
        }
        Change::Update(impacted, learned, next) => {
            let next: crate::model::Span = next
                .parse()
                .map_err(|e| anyhow::anyhow!("`{next}` is not a span ({e}); e.g. 30m"))?;
            let draft = crate::model::Draft {
                impacted: Some(impacted),
                learned: Some(learned),
                next: Some(next),
                ..crate::model::Draft::standard()
            };
            crate::ops::update(
                store,
                &actor,
                incident,
                None,
                crate::ops::Update {
                    draft,
                    ..Default::default()
                },
            )?
            .outcome
        }
    };
    Ok(format!(
        "{}: {} [{}]",
        outcome.incident.id, outcome.what, outcome.commit
    ))
}

/// How `watch` runs.
pub struct Settings {
    pub root: PathBuf,
    pub author: Author,
    /// The clock: `INCIDENT_NOW` moving on, or the wall clock.
    pub clock: Box<dyn Fn() -> DateTime<Utc>>,
    /// The remote to fetch from every `fetch_every` (none: offline).
    pub remote: Option<String>,
    pub fetch_every: Duration,
    /// Push each change at once.
    pub push: bool,
    pub color: bool,
    pub utc: bool,
    /// The `incident` binary, git's merge driver for records.
    pub driver: PathBuf,
}

/// What the fetcher thread reports.
enum Fetched {
    Done(DateTime<Utc>),
    Failed(String),
}

/// The repo's HEAD commit, to notice a change made by anyone.
fn head(root: &std::path::Path) -> Option<git2::Oid> {
    git2::Repository::open(root).ok()?.head().ok()?.target()
}

/// Local commits the remote's branch does not have.
fn unpushed(root: &std::path::Path, remote: &str) -> Option<usize> {
    let repo = git2::Repository::open(root).ok()?;
    let head = repo.head().ok()?;
    let branch = head.shorthand().ok()?.to_string();
    let local = head.target()?;
    let theirs = repo
        .refname_to_id(&format!("refs/remotes/{remote}/{branch}"))
        .ok()?;
    repo.graph_ahead_behind(local, theirs)
        .ok()
        .map(|(ahead, _)| ahead)
}

/// One frame of the view as text, `width` × `height`, without a terminal: what `watch --snapshot`
/// prints (for docs, scripts and the benchmark of the first frame).
pub fn snapshot(settings: &Settings, width: u16, height: u16) -> Result<String> {
    let store = Store::open(&settings.root)?;
    let now = (settings.clock)();
    let mut view = View::new(
        crate::ops::board::board(&store, now, None)?,
        now,
        false,
        settings.utc,
    );
    view.status_line = status_line(settings, None, None, now);
    let backend = ratatui::backend::TestBackend::new(width, height);
    let mut terminal = ratatui::Terminal::new(backend)?;
    terminal.draw(|f| ui::draw(f, &view))?;
    let buffer = terminal.backend().buffer();
    let mut out = String::new();
    for y in 0..height {
        let line: String = (0..width)
            .map(|x| buffer[(x, y)].symbol().to_string())
            .collect();
        out.push_str(line.trim_end());
        out.push('\n');
    }
    Ok(out)
}

/// Runs the view until `q`, Ctrl-C or SIGTERM. The terminal is restored on every way out.
pub fn run(settings: Settings) -> Result<()> {
    let stop = Arc::new(AtomicBool::new(false));
    signal_hook::flag::register(signal_hook::consts::SIGTERM, stop.clone())
        .context("cannot watch for SIGTERM")?;
    signal_hook::flag::register(signal_hook::consts::SIGHUP, stop.clone())
        .context("cannot watch for SIGHUP")?;
    let store = Store::open(&settings.root)?;
    let mut view = View::new(
        crate::ops::board::board(&store, (settings.clock)(), None)?,
        (settings.clock)(),
        settings.color,
        settings.utc,
    );
    // ratatui's init enters the alternate screen and raw mode, and restores them on a panic.
    let mut terminal = ratatui::init();
    let result = live(&settings, &store, &mut view, &mut terminal, &stop);
    ratatui::restore();
    result
}

fn live(
    settings: &Settings,
    store: &Store,
    view: &mut View,
    terminal: &mut ratatui::DefaultTerminal,
    stop: &AtomicBool,
) -> Result<()> {
    let (wake, fetched) = mpsc::channel::<Fetched>();
    let (push_now, pushes) = mpsc::channel::<()>();
    if let Some(remote) = settings.remote.clone() {
        let root = settings.root.clone();
        let author = settings.author.clone();
        let every = settings.fetch_every;
        let push = settings.push;
        let driver = settings.driver.clone();
        let now = (settings.clock)();
        let started = Instant::now();
        std::thread::spawn(move || {
            loop {
                let pushing = match pushes.recv_timeout(every) {
                    Ok(()) => true,
                    Err(mpsc::RecvTimeoutError::Timeout) => false,
                    Err(mpsc::RecvTimeoutError::Disconnected) => return,
                };
                let Ok(store) = Store::open(&root) else {
                    continue;
                };
                let options = crate::store::SyncOptions {
                    remote: &remote,
                    push: push || pushing,
                    driver: &driver,
                    prompt: false,
                    timeout: Duration::from_secs(30),
                };
                let at = now + chrono::Duration::from_std(started.elapsed()).unwrap_or_default();
                let report = match store.sync(&options, &author, at) {
                    Ok(_) => Fetched::Done(at),
                    Err(e) => Fetched::Failed(format!("{e:#}")),
                };
                if wake.send(report).is_err() {
                    return;
                }
            }
        });
    }
    let mut seen = head(&settings.root);
    let mut last_fetch: Option<DateTime<Utc>> = None;
    let mut fetch_error: Option<String> = None;
    let mut checked = Instant::now();
    loop {
        view.now = (settings.clock)();
        view.status_line = status_line(settings, last_fetch, fetch_error.as_deref(), view.now);
        terminal.draw(|f| ui::draw(f, view))?;
        if stop.load(Ordering::Relaxed) {
            return Ok(());
        }
        if crossterm::event::poll(Duration::from_millis(200))?
            && let crossterm::event::Event::Key(key) = crossterm::event::read()?
            && key.kind == crossterm::event::KeyEventKind::Press
        {
            let before = view.selected;
            match view.key(key) {
                Act::Quit => return Ok(()),
                // Another incident chosen: its detail is read.
                Act::Nothing if view.selected != before => reload(store, view, settings)?,
                Act::Nothing => {}
                Act::Make { incident, change } => {
                    match make(
                        store,
                        &settings.author,
                        (settings.clock)(),
                        &incident,
                        change,
                    ) {
                        Ok(said) => {
                            view.input = None;
                            view.message = Some(said);
                            if settings.push {
                                let _ = push_now.send(());
                            }
                        }
                        // The input stays as typed, to correct and send again.
                        Err(e) => view.message = Some(format!("error: {e:#}")),
                    }
                    reload(store, view, settings)?;
                    seen = head(&settings.root);
                }
            }
        }
        while let Ok(report) = fetched.try_recv() {
            match report {
                Fetched::Done(at) => {
                    last_fetch = Some(at);
                    fetch_error = None;
                }
                Fetched::Failed(e) => fetch_error = Some(e),
            }
        }
        // Anyone's commit (another terminal, a merge from the fetch) is read within the second.
        if checked.elapsed() >= Duration::from_millis(300) {
            checked = Instant::now();
            let now_head = head(&settings.root);
            if now_head != seen {
                seen = now_head;
                reload(store, view, settings)?;
            }
        }
    }
}

fn reload(store: &Store, view: &mut View, settings: &Settings) -> Result<()> {
    let selected = view.selected_id();
    let board = crate::ops::board::board(store, (settings.clock)(), selected.as_deref())?;
    view.selected = selected
        .and_then(|s| board.active.iter().position(|a| a.id == s))
        .unwrap_or(0);
    view.board = board;
    Ok(())
}

fn status_line(
    settings: &Settings,
    last_fetch: Option<DateTime<Utc>>,
    error: Option<&str>,
    now: DateTime<Utc>,
) -> String {
    let mut parts = vec![format!("repo {}", settings.root.display())];
    match &settings.remote {
        None => parts.push("offline".into()),
        Some(remote) => {
            parts.push(format!("remote {remote}"));
            parts.push(match last_fetch {
                Some(at) => format!("fetched {} ago", crate::model::format_duration(now - at)),
                None => "not fetched yet".into(),
            });
            if let Some(n) = unpushed(&settings.root, remote).filter(|n| *n > 0) {
                parts.push(format!("{n} commit(s) to push"));
            }
        }
    }
    if let Some(e) = error {
        parts.push(format!("fetch failed: {}", e.lines().next().unwrap_or(e)));
    }
    parts.join(" · ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::board::Active;

    fn view(n: usize) -> View {
        let active = (0..n)
            .map(|k| Active {
                id: format!("2026-11-25-i{k}"),
                title: format!("Incident {k}"),
                severity: Severity::Sev2,
                status: Status::Investigating,
                drill: false,
                opened_at: None,
                next: None,
            })
            .collect();
        View::new(
            Board {
                active,
                detail: None,
            },
            Utc::now(),
            false,
            true,
        )
    }

    fn press(v: &mut View, code: KeyCode) -> Act {
        v.key(KeyEvent::new(code, KeyModifiers::NONE))
    }

    #[test]
    fn keys_move_type_and_ask_for_changes() {
        let mut v = view(2);
        assert_eq!(press(&mut v, KeyCode::Down), Act::Nothing);
        assert_eq!(v.selected, 1);
        press(&mut v, KeyCode::Down);
        assert_eq!(v.selected, 1, "not past the last");
        press(&mut v, KeyCode::Char('k'));
        assert_eq!(v.selected, 0);
        press(&mut v, KeyCode::Char('l'));
        for c in "rolled bakc".chars() {
            press(&mut v, KeyCode::Char(c));
        }
        press(&mut v, KeyCode::Backspace);
        press(&mut v, KeyCode::Backspace);
        v.key(KeyEvent::new(KeyCode::Char('x'), KeyModifiers::CONTROL));
        press(&mut v, KeyCode::Char('c'));
        press(&mut v, KeyCode::Char('k'));
        assert_eq!(
            press(&mut v, KeyCode::Enter),
            Act::Make {
                incident: "2026-11-25-i0".into(),
                change: Change::Log("rolled back".into())
            }
        );
        // Esc drops the input; an empty one asks for nothing.
        press(&mut v, KeyCode::Esc);
        assert!(v.input.is_none());
        press(&mut v, KeyCode::Char('s'));
        assert_eq!(press(&mut v, KeyCode::Enter), Act::Nothing);
        press(&mut v, KeyCode::Esc);
        assert_eq!(
            press(&mut v, KeyCode::Char('a')),
            Act::Make {
                incident: "2026-11-25-i0".into(),
                change: Change::Ack
            }
        );
        // The update form: three fields, back with Backspace in an empty one.
        press(&mut v, KeyCode::Char('u'));
        for c in "Checkout".chars() {
            press(&mut v, KeyCode::Char(c));
        }
        press(&mut v, KeyCode::Tab);
        press(&mut v, KeyCode::Backspace);
        assert_eq!(
            v.input.as_ref().unwrap().text,
            "Checkout",
            "back to the first field"
        );
        press(&mut v, KeyCode::Enter);
        for c in "A bad deploy".chars() {
            press(&mut v, KeyCode::Char(c));
        }
        press(&mut v, KeyCode::Enter);
        press(&mut v, KeyCode::Char('3'));
        press(&mut v, KeyCode::Char('0'));
        press(&mut v, KeyCode::Char('m'));
        assert_eq!(
            press(&mut v, KeyCode::Enter),
            Act::Make {
                incident: "2026-11-25-i0".into(),
                change: Change::Update("Checkout".into(), "A bad deploy".into(), "30m".into())
            }
        );
        press(&mut v, KeyCode::Esc);
        press(&mut v, KeyCode::Char('?'));
        assert!(v.help);
        assert_eq!(
            press(&mut v, KeyCode::Char('q')),
            Act::Nothing,
            "a key closes the help"
        );
        assert_eq!(press(&mut v, KeyCode::Char('q')), Act::Quit);
        assert_eq!(
            v.key(KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL)),
            Act::Quit
        );
        // Nothing active: no change to ask for.
        let mut empty = view(0);
        assert_eq!(press(&mut empty, KeyCode::Char('a')), Act::Nothing);
        assert!(press(&mut empty, KeyCode::Char('l')) == Act::Nothing && empty.input.is_none());
    }

    #[test]
    fn countdowns_read_at_a_glance() {
        let now = Utc::now();
        assert_eq!(
            ui::countdown(now + chrono::Duration::seconds(42), now),
            "in 42s"
        );
        assert_eq!(
            ui::countdown(now + chrono::Duration::minutes(12), now),
            "in 12m"
        );
        assert_eq!(
            ui::countdown(now + chrono::Duration::minutes(75), now),
            "in 1h15m"
        );
        assert_eq!(
            ui::countdown(now - chrono::Duration::minutes(3), now),
            "overdue 3m"
        );
    }

    /// The layout at 80×24 and 120×30, drawn on ratatui's test backend: nothing cut at the edge,
    /// the list above the detail when narrow, beside it when wide.
    #[test]
    fn the_layout_fits_narrow_and_wide_terminals() {
        let mut v = view(3);
        v.board.detail = Some(crate::ops::board::Detail {
            id: "2026-11-25-i0".into(),
            roles: vec![("commander".into(), "Ana\u{1b}[2J Lima".into())],
            services: vec![],
            tasks: vec![(1, "Open the bridge".into(), Some("commander".into()), None)],
            due: vec![],
            timeline: vec![(
                Utc::now(),
                "Ana".into(),
                "note".into(),
                "first\nsecond".into(),
            )],
            on_call: vec![],
        });
        for (w, h) in [(80, 24), (120, 30)] {
            let mut terminal =
                ratatui::Terminal::new(ratatui::backend::TestBackend::new(w, h)).unwrap();
            terminal.draw(|f| ui::draw(f, &v)).unwrap();
            let buffer = terminal.backend().buffer().clone();
            let rows: Vec<String> = (0..h)
                .map(|y| {
                    (0..w)
                        .map(|x| buffer[(x, y)].symbol().to_string())
                        .collect()
                })
                .collect();
            let all = rows.join("\n");
            assert!(all.contains("Active incidents (3)"), "{all}");
            assert!(all.contains("#1 Open the bridge (commander)"), "{all}");
            assert!(
                all.contains("\\u{1b}[2J"),
                "control characters shown, not obeyed: {all}"
            );
            assert!(all.contains("first second"), "one line per event: {all}");
            let top = &rows[0];
            assert_eq!(
                top.contains("2026-11-25-i0"),
                w >= 100,
                "side by side only when wide: {top}"
            );
        }
    }
}
