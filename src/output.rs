//! How commands write to the terminal or a pipe: the output mode (JSON, colour, UTC, width),
//! colour styles, escaping of control characters from record text, times in the reader's zone,
//! and the change line. Tables are laid out beside it, in [`crate::table`]; nothing else in the
//! crate writes to stdout.

use anyhow::Result;
use chrono::{DateTime, Local, Utc};
use serde::Serialize;
use std::io::Write;
use unicode_width::UnicodeWidthStr;

/// Shows control and hidden characters from record text as visible escapes (`\u{1b}`, `\u{202e}`),
/// so a hand-edited record cannot clear the screen, move the cursor, retitle the terminal or reorder
/// what its reader sees. Newlines and tabs stay; so do colour codes (`ESC [ digits ; m`) when colour
/// is on, which are ours.
pub fn neutralise_controls(text: &str, codes: Codes) -> std::borrow::Cow<'_, str> {
    // Bytes first: a table of 100,000 rows is 10 MB.
    if !crate::model::may_hold_hidden(text) || !text.chars().any(crate::model::is_forbidden_in_text)
    {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        if c == '\x1b' && codes == Codes::KeepColour {
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
pub(crate) fn terminal_width() -> Option<usize> {
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

/// How a table meets a narrow terminal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// Shrink and drop the least useful columns to fit (the default).
    Fit,
    /// Every column in full, however narrow the terminal (`--wide`).
    Wide,
}

/// Whether colour codes in text are ours to keep.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Codes {
    /// Colour on: our own SGR colour codes stay; every other control is escaped.
    KeepColour,
    /// Every control character is escaped.
    EscapeAll,
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
        let text = neutralise_controls(text.as_ref(), self.codes());
        let mut out = std::io::stdout().lock();
        out.write_all(text.as_bytes())?;
        out.write_all(b"\n")?;
        Ok(())
    }

    /// How this output treats colour codes in what it prints.
    pub fn codes(&self) -> Codes {
        if self.color {
            Codes::KeepColour
        } else {
            Codes::EscapeAll
        }
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

    /// Prints a table laid out for this output (see [`crate::table`]).
    pub fn grid(&self, grid: &crate::table::Grid, layout: Layout) -> Result<()> {
        let mut out = std::io::stdout().lock();
        grid.write(self, layout == Layout::Wide, &mut out)?;
        out.write_all(b"\n")?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::{Codes, neutralise_controls};

    #[test]
    fn control_characters_from_records_are_shown_not_obeyed() {
        assert_eq!(
            neutralise_controls("plain\ttext\n", Codes::KeepColour),
            "plain\ttext\n"
        );
        assert_eq!(
            neutralise_controls("a\u{1b}[2Jb\u{7}", Codes::KeepColour),
            "a\\u{1b}[2Jb\\u{7}"
        );
        assert_eq!(
            neutralise_controls("\u{1b}[1;31mSEV1\u{1b}[0m", Codes::KeepColour),
            "\u{1b}[1;31mSEV1\u{1b}[0m"
        );
        assert_eq!(
            neutralise_controls("\u{1b}[1;31mSEV1", Codes::EscapeAll),
            "\\u{1b}[1;31mSEV1"
        );
        assert_eq!(
            neutralise_controls("\u{1b}]0;owned\u{7}", Codes::KeepColour),
            "\\u{1b}]0;owned\\u{7}"
        );
    }
}
