//! Drawing the war room: the active incidents (left), the selected one (right), the input or
//! message line and the status line. Record text is shown with its control characters made
//! visible, as everywhere in the tool.

use super::{Input, View};
use crate::model::Severity;
use chrono::{DateTime, Utc};
use ratatui::Frame;
use ratatui::layout::{Constraint, Direction, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, List, ListItem, ListState, Paragraph};

/// Record text as the terminal may show it: control characters visible, one line.
fn safe(text: &str) -> String {
    crate::output::neutralise_controls(text, crate::output::Codes::EscapeAll)
        .replace(['\n', '\r', '\t'], " ")
}

fn severity_style(view: &View, s: Severity) -> Style {
    if !view.color {
        return Style::default().add_modifier(Modifier::BOLD);
    }
    match s {
        Severity::Sev1 => Style::default().fg(Color::Red).add_modifier(Modifier::BOLD),
        Severity::Sev2 => Style::default().fg(Color::LightRed),
        Severity::Sev3 => Style::default().fg(Color::Yellow),
        Severity::Sev4 => Style::default(),
    }
}

/// `in 12m`, `overdue 3m`: a countdown in whole minutes (seconds under a minute).
pub fn countdown(due: DateTime<Utc>, now: DateTime<Utc>) -> String {
    let secs = (due - now).num_seconds();
    let words = |s: i64| {
        if s < 60 {
            format!("{s}s")
        } else if s < 3600 {
            format!("{}m", s / 60)
        } else {
            format!("{}h{:02}m", s / 3600, (s % 3600) / 60)
        }
    };
    if secs < 0 {
        format!("overdue {}", words(-secs))
    } else {
        format!("in {}", words(secs))
    }
}

fn age(since: Option<DateTime<Utc>>, now: DateTime<Utc>) -> String {
    since.map_or_else(String::new, |t| {
        crate::model::format_duration(now - t)
            .replace(" min", "m")
            .replace(" h ", "h")
            .replace(" d ", "d")
    })
}

/// Where each part of the screen goes on a terminal of `area`: the list above the detail when
/// narrow, beside it when wide. Drawing and the mouse both read it.
pub struct Regions {
    pub list: Rect,
    pub detail: Rect,
    pub bottom: Rect,
    pub status: Rect,
}

pub fn regions(area: Rect, view: &View) -> Regions {
    // The message above the input takes the rows it needs, up to three: an error is read whole.
    let said = message_lines(view, area.width).len() as u16;
    let rows = Layout::default()
        .direction(Direction::Vertical)
        .constraints([
            Constraint::Min(3),
            Constraint::Length(said + 1),
            Constraint::Length(1),
        ])
        .split(area);
    let wide = area.width >= 100;
    let columns = Layout::default()
        .direction(if wide {
            Direction::Horizontal
        } else {
            Direction::Vertical
        })
        .constraints(if wide {
            [Constraint::Percentage(42), Constraint::Percentage(58)]
        } else {
            [Constraint::Percentage(40), Constraint::Percentage(60)]
        })
        .split(rows[0]);
    Regions {
        list: columns[0],
        detail: columns[1],
        bottom: rows[1],
        status: rows[2],
    }
}

pub fn draw(frame: &mut Frame, view: &View) {
    let area = frame.area();
    let regions = regions(area, view);
    list(frame, view, regions.list);
    detail(frame, view, regions.detail);
    bottom(frame, view, regions.bottom);
    status(frame, view, regions.status);
    if view.help {
        help(frame, area);
    }
}

fn list(frame: &mut Frame, view: &View, area: Rect) {
    let now = view.now;
    let items: Vec<ListItem> = view
        .board
        .active
        .iter()
        .map(|a| {
            // What matters first in a narrow column: how bad, what is due when, what it is.
            let mut spans = vec![Span::styled(
                format!("{} ", a.severity),
                severity_style(view, a.severity),
            )];
            if let Some(next) = a.next.as_ref().and_then(|d| d.due_at) {
                let text = countdown(next, now);
                let style = if !view.color {
                    if next < now {
                        Style::default().add_modifier(Modifier::REVERSED)
                    } else {
                        Style::default()
                    }
                } else if next < now {
                    Style::default()
                        .add_modifier(Modifier::REVERSED)
                        .fg(Color::Red)
                } else if (next - now).num_minutes() < 5 {
                    Style::default().fg(Color::Yellow)
                } else {
                    Style::default()
                };
                spans.push(Span::styled(text, style));
                spans.push(Span::raw(" "));
            }
            spans.push(Span::raw(safe(&a.title)));
            if a.drill {
                spans.push(Span::raw(" (drill)"));
            }
            // Then its status and age, whole or not at all: a cut `2h5` reads as a wrong age.
            let room = usize::from(area.width).saturating_sub(4);
            let used: usize = spans.iter().map(|s| s.width()).sum();
            let status = format!(" · {}", a.status.as_str());
            let age = format!(" {}", age(a.opened_at, now));
            let (sw, aw) = (
                unicode_width::UnicodeWidthStr::width(status.as_str()),
                unicode_width::UnicodeWidthStr::width(age.as_str()),
            );
            if used + sw + aw <= room {
                spans.push(Span::raw(status + &age));
            } else if used + sw <= room {
                spans.push(Span::raw(status));
            }
            ListItem::new(Line::from(spans))
        })
        .collect();
    let title = format!(" Active incidents ({}) ", view.board.active.len());
    let empty = items.is_empty();
    let list = List::new(items)
        .block(Block::default().borders(Borders::ALL).title(title))
        // The chosen row is marked and bold (on a grey band with colour), not inverse: inverse
        // is what an overdue countdown is, and on an inverse row it would not stand out.
        .highlight_style(if view.color {
            Style::default()
                .add_modifier(Modifier::BOLD)
                .bg(Color::DarkGray)
        } else {
            Style::default().add_modifier(Modifier::BOLD)
        })
        .highlight_symbol("> ");
    let mut state = ListState::default().with_offset(view.list_offset.get());
    if !empty {
        state.select(Some(view.selected.min(view.board.active.len() - 1)));
    }
    frame.render_stateful_widget(list, area, &mut state);
    view.list_offset.set(state.offset());
    if empty {
        let inner = Rect {
            x: area.x + 2,
            y: area.y + 1,
            width: area.width.saturating_sub(4),
            height: 1,
        };
        frame.render_widget(Paragraph::new("No active incident."), inner);
    }
}

/// The selected incident's rows as drawn `width` columns wide: each line wrapped at word breaks,
/// its continuation indented under its text (a timeline entry's second row under its words,
/// not under the time), so the scroll position counts rows on the screen.
pub fn detail_lines(view: &View, width: u16) -> Vec<Line<'static>> {
    logical_lines(view)
        .into_iter()
        .flat_map(|line| wrap(line, usize::from(width.max(8))))
        .collect()
}

/// Wraps one line to `width` columns at spaces (a word longer than a row is cut), keeping each
/// piece's style; continuation rows are indented two more than the line's own indent.
fn wrap(line: Line<'static>, width: usize) -> Vec<Line<'static>> {
    let text: String = line.spans.iter().map(|s| s.content.as_ref()).collect();
    let indent = text.len() - text.trim_start().len() + 2;
    wrap_under(line, width, indent)
}

/// [`wrap`] with the continuation rows indented by `indent` (at most half the width).
fn wrap_under(line: Line<'static>, width: usize, indent: usize) -> Vec<Line<'static>> {
    use unicode_width::UnicodeWidthStr;
    let text: String = line.spans.iter().map(|s| s.content.as_ref()).collect();
    if text.width() <= width {
        return vec![line];
    }
    let indent = indent.min(width / 2);
    let mut rows: Vec<Line<'static>> = Vec::new();
    let mut row: Vec<Span<'static>> = Vec::new();
    let mut used = 0;
    for span in line.spans {
        for word in span.content.split_inclusive(' ') {
            let mut word = word.to_string();
            loop {
                if used + word.trim_end().width() <= width {
                    used += word.width();
                    row.push(Span::styled(word, span.style));
                    break;
                }
                // Not on this row: on the next, unless this one has only the indent so far.
                if used > indent {
                    rows.push(Line::from(std::mem::take(&mut row)));
                    row.push(Span::raw(" ".repeat(indent)));
                    used = indent;
                    continue;
                }
                // A word wider than a row: as much as fits here, the rest on the next.
                let mut cut = 0;
                let mut fits = 0;
                for (i, c) in word.char_indices() {
                    let cw = unicode_width::UnicodeWidthChar::width(c).unwrap_or(0);
                    if used + fits + cw > width {
                        break;
                    }
                    fits += cw;
                    cut = i + c.len_utf8();
                }
                if cut == 0 {
                    break;
                }
                row.push(Span::styled(word[..cut].to_string(), span.style));
                rows.push(Line::from(std::mem::take(&mut row)));
                row.push(Span::raw(" ".repeat(indent)));
                used = indent;
                word = word[cut..].to_string();
                if word.is_empty() {
                    break;
                }
            }
        }
    }
    if used > indent || rows.is_empty() {
        rows.push(Line::from(row));
    }
    rows
}

/// The selected incident's lines, before wrapping: roles, services, on-call, what is due, open
/// tasks, the timeline newest first.
fn logical_lines(view: &View) -> Vec<Line<'static>> {
    let now = view.now;
    let Some(d) = &view.board.detail else {
        return Vec::new();
    };
    let mut lines: Vec<Line<'static>> = Vec::new();
    let head = |t: &str| {
        Line::from(Span::styled(
            t.to_string(),
            Style::default().add_modifier(Modifier::BOLD),
        ))
    };
    lines.push(Line::from(format!(
        "Roles: {}",
        if d.roles.is_empty() {
            "none held".to_string()
        } else {
            d.roles
                .iter()
                .map(|(r, w)| format!("{r} {}", safe(w)))
                .collect::<Vec<_>>()
                .join(", ")
        }
    )));
    if !d.services.is_empty() {
        lines.push(Line::from(format!(
            "Services: {}",
            d.services
                .iter()
                .map(|(s, c)| format!("{s} {}", c.label().to_lowercase()))
                .collect::<Vec<_>>()
                .join(", ")
        )));
    }
    if !d.on_call.is_empty() {
        lines.push(Line::from(format!("Escalation: {}", d.on_call.join(", "))));
    }
    if !d.due.is_empty() {
        lines.push(head("Due"));
        for due in &d.due {
            let when = due.due_at.map(|t| countdown(t, now)).unwrap_or_default();
            let style = if due.overdue && view.color {
                Style::default().fg(Color::Red)
            } else if due.overdue {
                Style::default().add_modifier(Modifier::REVERSED)
            } else {
                Style::default()
            };
            lines.push(Line::from(vec![
                Span::styled(format!("  {when:<14}"), style),
                Span::raw(safe(&due.what)),
            ]));
        }
    }
    if !d.tasks.is_empty() {
        lines.push(head("Open tasks"));
        for (n, text, who, due) in &d.tasks {
            let mut line = format!("  #{n} {}", safe(text));
            if let Some(who) = who {
                line.push_str(&format!(" ({})", safe(who)));
            }
            if let Some(due) = due {
                line.push_str(&format!(" {}", countdown(*due, now)));
            }
            lines.push(Line::from(line));
        }
    }
    lines.push(head("Timeline (newest first)"));
    let zone = |t: DateTime<Utc>| {
        if view.utc {
            t.format("%H:%M").to_string()
        } else {
            t.with_timezone(&chrono::Local).format("%H:%M").to_string()
        }
    };
    for (at, by, kind, text) in &d.timeline {
        lines.push(Line::from(format!(
            "  {} {} [{}] {}",
            zone(*at),
            safe(by),
            kind,
            safe(text)
        )));
    }
    lines
}

fn detail(frame: &mut Frame, view: &View, area: Rect) {
    let Some(d) = &view.board.detail else {
        frame.render_widget(
            Block::default().borders(Borders::ALL).title(" Incident "),
            area,
        );
        return;
    };
    // Inside the border.
    let width = area.width.saturating_sub(2);
    view.detail_width.set(width);
    let lines = detail_lines(view, width);
    let scroll = view.scroll.min(lines.len().saturating_sub(1) as u16);
    // Scrolled down, the title says so and how to get back.
    let title = if scroll > 0 {
        format!(" {} · line {} · Home: top ", safe(&d.id), scroll + 1)
    } else {
        format!(" {} ", safe(&d.id))
    };
    frame.render_widget(
        Paragraph::new(lines)
            .block(Block::default().borders(Borders::ALL).title(title))
            .scroll((scroll, 0)),
        area,
    );
}

/// Two lines: what the last change said (or the keys), and what is being typed.
fn bottom(frame: &mut Frame, view: &View, area: Rect) {
    let mut lines = message_lines(view, area.width);
    let typing = match &view.input {
        Some(Input {
            prompt, text, done, ..
        }) => {
            // A form's answers so far, then the field being typed. What is being typed stays in
            // sight: on a line too narrow the earlier answers give way, then the text's start.
            use unicode_width::UnicodeWidthStr;
            let prompt = format!("{prompt}: ");
            let text = safe(text);
            let room = usize::from(area.width).saturating_sub(prompt.width() + 1);
            let answers: String = done
                .iter()
                .map(|(_, t)| format!("{} · ", safe(t)))
                .collect();
            let answers = if answers.width() + text.width() <= room {
                answers
            } else {
                String::new()
            };
            let text = tail(&text, room.saturating_sub(answers.width()));
            Line::from(vec![
                Span::raw(answers),
                Span::styled(prompt, Style::default().add_modifier(Modifier::BOLD)),
                Span::raw(text),
                Span::raw("█"),
            ])
        }
        None => Line::from(""),
    };
    lines.push(typing);
    frame.render_widget(Paragraph::new(lines), area);
}

/// What the last change said, wrapped to `width` (three rows at most, the last cut), or the keys.
fn message_lines(view: &View, width: u16) -> Vec<Line<'static>> {
    let line = match &view.message {
        Some(m) if m.starts_with("error") && view.color => {
            Line::from(Span::styled(safe(m), Style::default().fg(Color::Red)))
        }
        Some(m) => Line::from(safe(m)),
        None => return vec![Line::from(keys_hint(width))],
    };
    let mut rows = wrap_under(line, usize::from(width.max(8)), 2);
    rows.truncate(3);
    rows
}

/// The keys, as many as fit in `width` columns: in full, else in short, else the first few and
/// `? help` (which lists them all).
pub fn keys_hint(width: u16) -> String {
    const FULL: [&str; 9] = [
        "l log",
        "u update",
        "a ack",
        "s status",
        "v severity",
        "t task done",
        "c assign",
        "? help",
        "q quit",
    ];
    const SHORT: [&str; 9] = [
        "l log", "u upd", "a ack", "s stat", "v sev", "t task", "c role", "? help", "q quit",
    ];
    let width = usize::from(width);
    let fits = |t: &String| t.chars().count() <= width;
    for keys in [FULL, SHORT] {
        let all = keys.join(" · ");
        if fits(&all) {
            return all;
        }
    }
    let mut few: Vec<&str> = Vec::new();
    for key in SHORT.iter().take(7) {
        let mut with = few.clone();
        with.extend([key, "? help"]);
        if !fits(&with.join(" · ")) {
            break;
        }
        few.push(key);
    }
    few.push("? help");
    few.join(" · ")
}

/// `text` if it fits in `width` columns, else `…` and as much of its end as fits.
fn tail(text: &str, width: usize) -> String {
    use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};
    if text.width() <= width {
        return text.to_string();
    }
    let mut kept: Vec<char> = Vec::new();
    let mut used = 1;
    for c in text.chars().rev() {
        let w = c.width().unwrap_or(0);
        if used + w > width {
            break;
        }
        used += w;
        kept.push(c);
    }
    std::iter::once('…').chain(kept.into_iter().rev()).collect()
}

fn status(frame: &mut Frame, view: &View, area: Rect) {
    let style = Style::default().add_modifier(Modifier::REVERSED);
    frame.render_widget(
        Paragraph::new(Line::from(safe(&view.status_line))).style(style),
        area,
    );
}

fn help(frame: &mut Frame, area: Rect) {
    let text = "\
↑/↓ or k/j   choose an incident (with --mouse: click it)
PgDn/PgUp    scroll its detail (Space too; Home: the top; the wheel)
l            log a note on its timeline
u            post a status update: impacted, learned, next (Enter between)
a            acknowledge it
s            change its status (investigating, identified, monitoring, resolved)
v            change its severity (SEV1-SEV4)
t            check off a task (its number)
c            assign a role (a name: commander; `comms bob`)
Enter        do it; Esc cancels (after an error, what you typed stays to mend)
?            this help; q or Ctrl-C quits";
    let width = 78.min(area.width);
    // Each key's words wrap under its description on a narrow terminal, not cut at the border.
    let lines: Vec<Line<'static>> = text
        .lines()
        .flat_map(|l| {
            wrap_under(
                Line::from(l.to_string()),
                usize::from(width.saturating_sub(2)),
                13,
            )
        })
        .collect();
    let height = (lines.len() as u16 + 2).min(area.height);
    let rect = Rect {
        x: area.x + (area.width - width) / 2,
        y: area.y + (area.height - height) / 2,
        width,
        height,
    };
    frame.render_widget(Clear, rect);
    frame.render_widget(
        Paragraph::new(lines).block(Block::default().borders(Borders::ALL).title(" Keys ")),
        rect,
    );
}
