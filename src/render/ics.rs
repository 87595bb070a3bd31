//! On-call shifts as an iCalendar feed (RFC 5545) that calendar applications import: one event per
//! shift, times in UTC (every calendar shows them in its reader's zone), a stable `UID` per shift so
//! a re-import updates rather than duplicates, lines ending in CRLF and folded at 75 octets.
//! Byte-identical for the same rota: `DTSTAMP` is the shift's own start, not the time of export.

use crate::model::oncall::Shift;
use chrono::{DateTime, Utc};

/// A calendar named `name` holding `shifts`; `display` names a person by handle.
pub fn calendar(name: &str, shifts: &[Shift], display: &dyn Fn(&str) -> String) -> String {
    let mut out = String::new();
    for line in [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//incident//on-call//EN",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
    ] {
        push(&mut out, line);
    }
    push(&mut out, &format!("X-WR-CALNAME:{}", text(name)));
    for s in shifts {
        let who = display(&s.who);
        push(&mut out, "BEGIN:VEVENT");
        push(
            &mut out,
            &format!(
                "UID:{}-{}-{}@incident",
                s.schedule,
                s.layer,
                stamp(s.from).to_lowercase()
            ),
        );
        push(&mut out, &format!("DTSTAMP:{}", stamp(s.from)));
        push(&mut out, &format!("DTSTART:{}", stamp(s.from)));
        push(&mut out, &format!("DTEND:{}", stamp(s.until)));
        push(
            &mut out,
            &format!(
                "SUMMARY:{}",
                text(&format!("On call: {who} ({} {})", s.schedule, s.layer))
            ),
        );
        let how = if s.overridden { "override" } else { "rotation" };
        push(
            &mut out,
            &format!(
                "DESCRIPTION:{}",
                text(&format!(
                    "{who} is {} on call for {} ({how}).",
                    s.layer, s.schedule
                ))
            ),
        );
        push(&mut out, "TRANSP:TRANSPARENT");
        push(&mut out, "END:VEVENT");
    }
    push(&mut out, "END:VCALENDAR");
    out
}

fn stamp(t: DateTime<Utc>) -> String {
    t.format("%Y%m%dT%H%M%SZ").to_string()
}

/// A TEXT value: backslash, semicolon, comma and newlines escaped; control characters dropped.
fn text(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\n' => out.push_str("\\n"),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// Appends a content line, folded so no line is longer than 75 octets (a continuation starts with
/// a space), never inside a character.
fn push(out: &mut String, line: &str) {
    let mut width = 0;
    for c in line.chars() {
        let len = c.len_utf8();
        if width + len > 75 {
            out.push_str("\r\n ");
            width = 1;
        }
        out.push(c);
        width += len;
    }
    out.push_str("\r\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_lines_fold_at_75_octets_between_characters() {
        let mut out = String::new();
        let line = format!("SUMMARY:{}", "é".repeat(60));
        push(&mut out, &line);
        for l in out.split("\r\n").filter(|l| !l.is_empty()) {
            assert!(l.len() <= 75, "{} octets: {l}", l.len());
        }
        let unfolded = out.replace("\r\n ", "");
        assert_eq!(unfolded, format!("{line}\r\n"));
    }

    #[test]
    fn text_values_escape_what_ical_reserves() {
        assert_eq!(text("a;b,c\\d\ne\u{7}"), "a\\;b\\,c\\\\d\\ne");
    }
}
