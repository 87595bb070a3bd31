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
use crate::ops::board::{Board, Live};
use crate::store::{Author, Store};
use anyhow::{Context as _, Result};
use chrono::{DateTime, Utc};
use crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers, MouseEvent, MouseEventKind};
use ratatui::layout::{Position, Rect};
use std::cell::Cell;
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
    /// How many lines of the selected incident are scrolled past (PgDn, the mouse wheel).
    pub scroll: u16,
    /// The first incident the list shows, as it was last drawn: kept between frames so the
    /// list does not jump, and so a click knows which row is which incident.
    pub list_offset: Cell<usize>,
    /// The detail's width inside its border, as last drawn: its rows wrap to it.
    pub detail_width: Cell<u16>,
}

/// Lines a PgUp or PgDn scrolls the selected incident by; a wheel's notch scrolls three.
const PAGE: u16 = 10;
const NOTCH: u16 = 3;

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
            scroll: 0,
            list_offset: Cell::new(0),
            detail_width: Cell::new(78),
        }
    }

    /// Scrolls the selected incident by `lines` (up when negative), never past its last line.
    fn scroll_by(&mut self, lines: i32) {
        let last = ui::detail_lines(self, self.detail_width.get())
            .len()
            .saturating_sub(1);
        let to = (i32::from(self.scroll) + lines).clamp(0, last.min(u16::MAX as usize) as i32);
        self.scroll = to as u16;
    }

    /// Another incident chosen: its detail starts at the top.
    fn select(&mut self, index: usize) {
        if index != self.selected {
            self.selected = index;
            self.scroll = 0;
        }
    }

    /// What a mouse event on a screen of `area` does: a click on an incident chooses it, the
    /// wheel moves through the list or scrolls the detail (whichever it is over). True when
    /// another incident was chosen.
    pub fn mouse(&mut self, event: MouseEvent, area: Rect) -> bool {
        if self.help || self.input.is_some() {
            return false;
        }
        let before = self.selected;
        let at = Position::new(event.column, event.row);
        let regions = ui::regions(area, self);
        let count = self.board.active.len();
        match event.kind {
            MouseEventKind::Down(crossterm::event::MouseButton::Left)
                if regions.list.contains(at) =>
            {
                // The list's rows start inside its border.
                let row = usize::from(at.y.saturating_sub(regions.list.y + 1));
                let index = self.list_offset.get() + row;
                if at.y > regions.list.y && index < count {
                    self.select(index);
                }
            }
            MouseEventKind::ScrollDown if regions.list.contains(at) && count > 0 => {
                self.select((self.selected + 1).min(count - 1));
            }
            MouseEventKind::ScrollUp if regions.list.contains(at) => {
                self.select(self.selected.saturating_sub(1));
            }
            MouseEventKind::ScrollDown if regions.detail.contains(at) => {
                self.scroll_by(i32::from(NOTCH))
            }
            MouseEventKind::ScrollUp if regions.detail.contains(at) => {
                self.scroll_by(-i32::from(NOTCH))
            }
            _ => {}
        }
        self.selected != before
    }

    /// Text pasted into the terminal (bracketed paste): typed into the open input as one line,
    /// so a pasted error message with line breaks is not sent half-way by its first newline.
    pub fn paste(&mut self, text: &str) {
        if let Some(input) = &mut self.input {
            let one_line = text.replace("\r\n", " ").replace(['\n', '\r', '\t'], " ");
            input.text.push_str(&one_line);
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
                self.select(self.selected + 1);
            }
            KeyCode::Up | KeyCode::Char('k') => self.select(self.selected.saturating_sub(1)),
            KeyCode::PageDown | KeyCode::Char(' ') => self.scroll_by(i32::from(PAGE)),
            KeyCode::PageUp => self.scroll_by(-i32::from(PAGE)),
            KeyCode::Home => self.scroll = 0,
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
            // As `incident status` does: resolved too is a status change (the review's
            // runbook attached with it).
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
    /// Take the mouse: a click chooses an incident, the wheel scrolls.
    pub mouse: bool,
    /// The `incident` binary, git's merge driver for records.
    pub driver: PathBuf,
}

/// What the fetcher thread reports.
enum Fetched {
    Done(DateTime<Utc>),
    Failed(String),
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
    view.status_line = status_line(&store, settings, None, None, now);
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
    let mut state = Following {
        head: store.head_id(),
        live: Live::load(&store)?,
    };
    let mut view = View::new(
        state.live.board(&store, (settings.clock)(), None),
        (settings.clock)(),
        settings.color,
        settings.utc,
    );
    // ratatui's init enters the alternate screen and raw mode, and restores them on a panic.
    let mut terminal = ratatui::init();
    // Pasted text arrives whole (its line breaks would otherwise be Enters); the mouse only when
    // asked for, since capturing it takes the terminal's own text selection away.
    let mouse = settings.mouse;
    let modes = move |on: bool| {
        use crossterm::event::{
            DisableBracketedPaste, DisableMouseCapture, EnableBracketedPaste, EnableMouseCapture,
        };
        let mut out = std::io::stdout();
        let _ = if on {
            crossterm::execute!(out, EnableBracketedPaste)
        } else {
            crossterm::execute!(out, DisableBracketedPaste)
        };
        if mouse {
            let _ = if on {
                crossterm::execute!(out, EnableMouseCapture)
            } else {
                crossterm::execute!(out, DisableMouseCapture)
            };
        }
    };
    modes(true);
    // A panic leaves these modes too, before ratatui's hook restores the rest.
    let restore_rest = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        modes(false);
        restore_rest(info);
    }));
    let result = live(
        &settings,
        &store,
        &mut state,
        &mut view,
        &mut terminal,
        &stop,
    );
    modes(false);
    ratatui::restore();
    result
}

fn live(
    settings: &Settings,
    store: &Store,
    state: &mut Following,
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
    let mut last_fetch: Option<DateTime<Utc>> = None;
    let mut fetch_error: Option<String> = None;
    let mut checked = Instant::now();
    loop {
        view.now = (settings.clock)();
        view.status_line = status_line(
            store,
            settings,
            last_fetch,
            fetch_error.as_deref(),
            view.now,
        );
        terminal.draw(|f| ui::draw(f, view))?;
        if stop.load(Ordering::Relaxed) {
            return Ok(());
        }
        let event = if crossterm::event::poll(Duration::from_millis(200))? {
            Some(crossterm::event::read()?)
        } else {
            None
        };
        // A test's way to see the terminal restored after a panic (debug builds only).
        #[cfg(debug_assertions)]
        if std::env::var_os("INCIDENT_TEST_WATCH_PANIC").is_some()
            && matches!(&event, Some(Event::Key(k)) if k.code == KeyCode::F(12))
        {
            panic!("INCIDENT_TEST_WATCH_PANIC: F12 pressed");
        }
        let before = view.selected;
        let act = match event {
            Some(Event::Key(key)) if key.kind == crossterm::event::KeyEventKind::Press => {
                view.key(key)
            }
            Some(Event::Mouse(mouse)) => {
                let size = terminal.size()?;
                view.mouse(mouse, Rect::new(0, 0, size.width, size.height));
                Act::Nothing
            }
            Some(Event::Paste(text)) => {
                view.paste(&text);
                Act::Nothing
            }
            _ => Act::Nothing,
        };
        match act {
            Act::Quit => return Ok(()),
            // Another incident chosen: its detail is read.
            Act::Nothing if view.selected != before => reload(store, view, settings, &state.live),
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
                state.follow(store)?;
                reload(store, view, settings, &state.live);
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
            // Read again only what moved; worked out again each time, so what became due or
            // overdue since shows as such.
            state.follow(store)?;
            reload(store, view, settings, &state.live);
        }
    }
}

/// The active incidents as of the HEAD last seen.
struct Following {
    head: Option<git2::Oid>,
    live: Live,
}

impl Following {
    /// Catches up with HEAD if anyone moved it: reads again just the records the new commits
    /// changed (all of them when the two commits cannot be compared). True when it moved.
    fn follow(&mut self, store: &Store) -> Result<bool> {
        let now = store.head_id();
        if now == self.head {
            return Ok(false);
        }
        match (self.head, now) {
            (Some(from), Some(to)) if let Ok(ids) = store.records_changed(from, to) => {
                self.live.refresh(store, &ids)
            }
            _ => self.live = Live::load(store)?,
        }
        self.head = now;
        Ok(true)
    }
}

fn reload(store: &Store, view: &mut View, settings: &Settings, live: &Live) {
    let selected = view.selected_id();
    let board = live.board(store, (settings.clock)(), selected.as_deref());
    view.selected = selected
        .and_then(|s| board.active.iter().position(|a| a.id == s))
        .unwrap_or(0);
    view.board = board;
}

fn status_line(
    store: &Store,
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
            if let Some(n) = store.commits_to_push(remote).filter(|n| *n > 0) {
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

    fn mouse(kind: MouseEventKind, column: u16, row: u16) -> MouseEvent {
        MouseEvent {
            kind,
            column,
            row,
            modifiers: KeyModifiers::NONE,
        }
    }

    /// Rows of the screen as drawn on ratatui's test backend.
    fn drawn(v: &View, w: u16, h: u16) -> Vec<String> {
        let mut terminal =
            ratatui::Terminal::new(ratatui::backend::TestBackend::new(w, h)).unwrap();
        terminal.draw(|f| ui::draw(f, v)).unwrap();
        let buffer = terminal.backend().buffer().clone();
        (0..h)
            .map(|y| {
                (0..w)
                    .map(|x| buffer[(x, y)].symbol().to_string())
                    .collect()
            })
            .collect()
    }

    /// A click chooses the incident on the row clicked, also once the list has scrolled; the
    /// wheel moves through the list, or scrolls the detail when over it; nothing while typing.
    #[test]
    fn the_mouse_chooses_and_scrolls() {
        let area = Rect::new(0, 0, 80, 24);
        let mut v = view(30);
        v.board.detail = Some(detail_of(40));
        let list = ui::regions(area, &v).list;
        // The third row inside the list's border.
        assert!(v.mouse(
            mouse(
                MouseEventKind::Down(crossterm::event::MouseButton::Left),
                5,
                list.y + 3
            ),
            area
        ));
        assert_eq!(v.selected, 2);
        // Down to the 20th: the list scrolls to show it, and a click on its top row is the
        // first one shown, not the first one.
        for _ in 0..17 {
            v.mouse(mouse(MouseEventKind::ScrollDown, 5, list.y + 2), area);
        }
        assert_eq!(v.selected, 19);
        let rows = drawn(&v, 80, 24);
        let top = &rows[usize::from(list.y) + 1];
        let shown: usize = top
            .split("Incident ")
            .nth(1)
            .and_then(|t| t.split_whitespace().next())
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("{top}"));
        assert!(shown > 0, "the list scrolled: {rows:?}");
        v.mouse(
            mouse(
                MouseEventKind::Down(crossterm::event::MouseButton::Left),
                5,
                list.y + 1,
            ),
            area,
        );
        assert_eq!(
            v.selected, shown,
            "the row clicked is the incident shown there"
        );
        // A click on the border or below the last incident changes nothing.
        let before = v.selected;
        v.mouse(
            mouse(
                MouseEventKind::Down(crossterm::event::MouseButton::Left),
                5,
                list.y,
            ),
            area,
        );
        assert_eq!(v.selected, before);
        // The wheel over the detail scrolls it, and not past its end.
        let detail = ui::regions(area, &v).detail;
        v.mouse(mouse(MouseEventKind::ScrollDown, 5, detail.y + 2), area);
        assert_eq!(v.scroll, NOTCH);
        for _ in 0..100 {
            v.mouse(mouse(MouseEventKind::ScrollDown, 5, detail.y + 2), area);
        }
        let last = ui::detail_lines(&v, v.detail_width.get()).len() as u16 - 1;
        assert_eq!(v.scroll, last);
        v.mouse(mouse(MouseEventKind::ScrollUp, 5, detail.y + 2), area);
        assert_eq!(v.scroll, last - NOTCH);
        // Choosing another incident starts its detail at the top.
        v.mouse(mouse(MouseEventKind::ScrollUp, 5, list.y + 2), area);
        assert_eq!(v.scroll, 0);
        // While typing, the mouse does nothing.
        press(&mut v, KeyCode::Char('l'));
        let before = v.selected;
        v.mouse(
            mouse(
                MouseEventKind::Down(crossterm::event::MouseButton::Left),
                5,
                list.y + 1,
            ),
            area,
        );
        assert_eq!(v.selected, before);
    }

    fn detail_of(events: usize) -> crate::ops::board::Detail {
        crate::ops::board::Detail {
            id: "2026-11-25-i0".into(),
            roles: vec![("commander".into(), "Ana Lima".into())],
            services: vec![],
            tasks: vec![],
            due: vec![],
            timeline: (0..events)
                .map(|k| {
                    (
                        Utc::now(),
                        "Ana".into(),
                        "note".into(),
                        format!("event number {k}"),
                    )
                })
                .collect(),
            on_call: vec![],
        }
    }

    /// The detail's rows fit its width, wrap at spaces with the continuation indented under the
    /// entry's text, cut a word longer than a row, and lose no word.
    #[test]
    fn the_detail_wraps_with_a_hanging_indent() {
        let mut v = view(1);
        let mut d = detail_of(1);
        let long = "rolled back deploy 4512 after checkout-api returned 502 to 30% of requests";
        let word = "x".repeat(50);
        d.timeline = vec![
            (Utc::now(), "Ana".into(), "note".into(), long.into()),
            (
                Utc::now(),
                "Ana".into(),
                "note".into(),
                format!("trace {word} end"),
            ),
        ];
        v.board.detail = Some(d);
        for width in [20u16, 36, 58] {
            let rows: Vec<String> = ui::detail_lines(&v, width)
                .iter()
                .map(|l| l.spans.iter().map(|s| s.content.as_ref()).collect())
                .collect();
            for row in &rows {
                assert!(
                    unicode_width::UnicodeWidthStr::width(row.trim_end()) <= usize::from(width),
                    "{width}: {row:?} in {rows:#?}"
                );
            }
            let start = rows
                .iter()
                .position(|r| r.contains("[note] rolled") || r.contains("[note]"))
                .unwrap();
            assert!(rows[start].starts_with("  "), "{rows:#?}");
            assert!(
                rows[start + 1].starts_with("    ") && !rows[start + 1].starts_with("     "),
                "continued under the entry: {rows:#?}"
            );
            let words: Vec<&str> = rows.iter().flat_map(|r| r.split_whitespace()).collect();
            let joined = words.join(" ");
            assert!(joined.contains(long), "{width}: {joined}");
            assert_eq!(
                joined.matches('x').count(),
                50,
                "the long word whole, cut across rows: {rows:#?}"
            );
        }
    }

    /// PgDn scrolls the detail (its title says so and how back), Home goes back to the top.
    #[test]
    fn the_detail_scrolls_by_pages() {
        let mut v = view(1);
        v.board.detail = Some(detail_of(60));
        let first = drawn(&v, 80, 24).join("\n");
        assert!(first.contains("event number 0"), "{first}");
        press(&mut v, KeyCode::PageDown);
        press(&mut v, KeyCode::PageDown);
        assert_eq!(v.scroll, 2 * PAGE);
        let scrolled = drawn(&v, 80, 24).join("\n");
        assert!(!scrolled.contains("event number 0 "), "{scrolled}");
        assert!(scrolled.contains("line 21 · Home: top"), "{scrolled}");
        press(&mut v, KeyCode::PageUp);
        assert_eq!(v.scroll, PAGE);
        press(&mut v, KeyCode::Home);
        assert_eq!(v.scroll, 0);
        press(&mut v, KeyCode::PageUp);
        assert_eq!(v.scroll, 0, "not above the top");
    }

    /// Pasted text goes into the input whole, its line breaks as spaces: a pasted message is
    /// not sent by its first newline. With no input open, a paste does nothing.
    #[test]
    fn a_paste_is_typed_as_one_line() {
        let mut v = view(1);
        v.paste("ignored");
        assert!(v.input.is_none());
        press(&mut v, KeyCode::Char('l'));
        v.paste("panic: index out of range\r\n  at checkout::cart\n\tline 42");
        assert_eq!(
            v.input.as_ref().unwrap().text,
            "panic: index out of range   at checkout::cart  line 42"
        );
        assert_eq!(
            press(&mut v, KeyCode::Enter),
            Act::Make {
                incident: "2026-11-25-i0".into(),
                change: Change::Log(
                    "panic: index out of range   at checkout::cart  line 42".into()
                )
            }
        );
    }

    /// The help wraps each key's words under its description at 60 columns, nothing cut at the
    /// border; on a tiny terminal it is cut, never a panic.
    #[test]
    fn the_help_wraps_on_a_narrow_terminal() {
        let mut v = view(1);
        v.help = true;
        let rows = drawn(&v, 60, 24).join("\n");
        assert!(
            rows.contains("│             monitoring, resolved)"),
            "{rows}"
        );
        assert!(rows.contains("│             (Enter between)"), "{rows}");
        for (w, h) in [(3, 3), (1, 1)] {
            drawn(&v, w, h);
        }
    }

    /// A note longer than the line keeps its end, the cursor, in sight: its start gives way
    /// (and a form's earlier answers before it).
    #[test]
    fn what_is_typed_stays_in_sight() {
        let mut v = view(1);
        press(&mut v, KeyCode::Char('l'));
        let long =
            "rolled back deploy 4512 of checkout-api after the 502s reached thirty percent END";
        v.paste(long);
        let rows = drawn(&v, 60, 24);
        let typing = &rows[22];
        assert!(typing.starts_with("log: …"), "{typing:?}");
        assert!(typing.contains("thirty percent END█"), "{typing:?}");
        assert!(unicode_width::UnicodeWidthStr::width(typing.trim_end()) <= 60);
        // Short: whole, with the form's answers.
        let mut v = view(1);
        press(&mut v, KeyCode::Char('u'));
        v.paste("EU checkout");
        press(&mut v, KeyCode::Enter);
        v.paste("a bad deploy");
        let rows = drawn(&v, 80, 24);
        assert!(
            rows[22].starts_with("EU checkout · update 2/3, what we learned: a bad deploy█"),
            "{:?}",
            rows[22]
        );
    }

    /// A row too narrow for the age drops it whole (then the status), rather than cutting it
    /// into a wrong one.
    #[test]
    fn a_narrow_row_drops_the_age_whole() {
        let mut v = view(1);
        let now = v.now;
        v.board.active[0].opened_at = Some(now - chrono::Duration::minutes(170));
        v.board.active[0].title = "API elevated errors on every region".into();
        let row = |v: &View, w| drawn(v, w, 24)[1].clone();
        assert!(
            row(&v, 80).contains("· investigating 2h50m"),
            "{}",
            row(&v, 80)
        );
        let narrow = row(&v, 60);
        assert!(
            narrow.contains("· investigating│") && !narrow.contains("2h"),
            "{narrow}"
        );
        let narrower = row(&v, 50);
        assert!(!narrower.contains("· inv"), "{narrower}");
    }

    /// The keys line fits the terminal: whole when wide, short when narrower, and always `? help`.
    #[test]
    fn the_keys_line_fits_the_width() {
        let full = ui::keys_hint(120);
        assert!(
            full.contains("t task done") && full.ends_with("q quit"),
            "{full}"
        );
        for width in [20, 40, 60, 80, 92] {
            let hint = ui::keys_hint(width);
            assert!(
                hint.chars().count() <= usize::from(width),
                "{width}: {hint}"
            );
            assert!(hint.contains("? help"), "{width}: {hint}");
        }
        assert!(
            ui::keys_hint(80).contains("c role"),
            "{}",
            ui::keys_hint(80)
        );
        assert!(ui::keys_hint(40).starts_with("l log · u upd"));
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
