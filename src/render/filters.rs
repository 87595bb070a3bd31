//! Filters the templates use: durations, times in a chosen zone, severity labels, safe Markdown links
//! and text, and Markdown made HTML for the status page.

use crate::model::{Config, Severity, format_duration};
use chrono::{DateTime, Utc};
use minijinja::value::Value;
use minijinja::{Environment, Error, ErrorKind};

pub fn register(env: &mut Environment<'static>, config: &Config) {
    env.add_filter("duration", duration);
    env.add_filter("datetime", datetime);
    env.add_filter("time", time);
    env.add_filter("sentence", sentence);
    // A link in Markdown: an autolink for http(s) URLs (made safe: no `<`, `>` or blanks can end
    // it), anything else (a `javascript:` URL, a ticket number) as plain, escaped text.
    env.add_filter("autolink", |url: String| -> minijinja::Value {
        let url = url.trim();
        let web = url.starts_with("https://") || url.starts_with("http://");
        if !web {
            return minijinja::Value::from_safe_string(super::escape_markdown(url));
        }
        let mut safe = String::with_capacity(url.len());
        for c in url.chars() {
            match c {
                '<' => safe.push_str("%3C"),
                '>' => safe.push_str("%3E"),
                c if c.is_whitespace() || c.is_control() => {
                    // Percent-encoding is of UTF-8 bytes: U+00A0 is %C2%A0.
                    for byte in c.encode_utf8(&mut [0; 4]).bytes() {
                        safe.push_str(&format!("%{byte:02X}"));
                    }
                }
                c => safe.push(c),
            }
        }
        minijinja::Value::from_safe_string(format!("<{safe}>"))
    });
    // A Markdown document (the public post-mortem) shown on an HTML page; see `markdown_html`.
    // Parsing Markdown is work the engine's instruction count does not see: charged per byte, so a
    // loop over it runs out of fuel like any other loop.
    env.add_filter(
        "markdown",
        |state: &minijinja::State, text: String, shift: Option<u8>| -> Result<Value, Error> {
            state.consume_fuel(100 + text.len() as u64 / 4)?;
            Ok(Value::from_safe_string(markdown_html(
                &text,
                shift.unwrap_or(0),
            )))
        },
    );
    // Plain text (an included `.txt` template, say) made safe to place in Markdown.
    env.add_filter("markdown_text", |text: String| {
        minijinja::Value::from_safe_string(super::escape_markdown(&text))
    });
    let labels: Vec<(Severity, String)> = Severity::ALL
        .iter()
        .map(|s| (*s, config.severity(*s).label))
        .collect();
    env.add_filter(
        "severity_label",
        move |sev: String| -> Result<String, Error> {
            let parsed: Severity = sev
                .parse()
                .map_err(|e: String| Error::new(ErrorKind::InvalidOperation, e))?;
            let label = labels
                .iter()
                .find(|(s, _)| *s == parsed)
                .map(|(_, l)| l.as_str())
                .unwrap_or("");
            Ok(format!("{parsed} ({label})"))
        },
    );
}

/// Markdown (CommonMark with tables) as HTML for a page anyone can read. The document is made from
/// record text and a team's template, so nothing in it may run on the reader's page: raw HTML is
/// shown as text, and a link or image keeps its address only when it is a web or mail address or a
/// relative one (a `javascript:` link becomes its text). Headings move down `shift` levels, to sit
/// under the page's own.
fn markdown_html(text: &str, shift: u8) -> String {
    use pulldown_cmark::{Event, HeadingLevel, Options, Parser, Tag, TagEnd};
    let level = |l: HeadingLevel| {
        HeadingLevel::try_from((l as usize + usize::from(shift)).min(6)).unwrap_or(HeadingLevel::H6)
    };
    // Whether each open link or image was kept, so its end is dropped with its start.
    let mut kept: Vec<bool> = Vec::new();
    let events = Parser::new_ext(text, Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH)
        .filter_map(|event| match event {
            Event::Html(raw) | Event::InlineHtml(raw) => Some(Event::Text(raw)),
            Event::Start(Tag::Heading {
                level: l,
                id,
                classes,
                attrs,
            }) => Some(Event::Start(Tag::Heading {
                level: level(l),
                id,
                classes,
                attrs,
            })),
            Event::End(TagEnd::Heading(l)) => Some(Event::End(TagEnd::Heading(level(l)))),
            Event::Start(Tag::Link { ref dest_url, .. } | Tag::Image { ref dest_url, .. }) => {
                let safe = safe_url(dest_url);
                kept.push(safe);
                safe.then_some(event)
            }
            Event::End(TagEnd::Link | TagEnd::Image) => {
                kept.pop().unwrap_or(false).then_some(event)
            }
            other => Some(other),
        });
    let mut html = String::with_capacity(text.len() * 3 / 2);
    pulldown_cmark::html::push_html(&mut html, events);
    html
}

/// A web or mail address, or one relative to the page (no scheme before its first `/`, `?` or `#`).
fn safe_url(url: &str) -> bool {
    let lower = url.trim().to_ascii_lowercase();
    let scheme_end = lower.find(':');
    let path_start = lower.find(['/', '?', '#']);
    match scheme_end {
        None => true,
        Some(colon) if path_start.is_some_and(|p| p < colon) => true,
        Some(_) => {
            lower.starts_with("https://")
                || lower.starts_with("http://")
                || lower.starts_with("mailto:")
        }
    }
}

/// Ends a responder's text with a full stop unless it already ends a sentence, so fields join into
/// readable prose.
fn sentence(text: String) -> String {
    let trimmed = text.trim_end();
    if trimmed.is_empty() || trimmed.ends_with(['.', '!', '?', ':', ')']) {
        trimmed.to_string()
    } else {
        format!("{trimmed}.")
    }
}

/// Seconds → `1 h 12 min`; none → `unknown`.
fn duration(value: Value) -> Result<String, Error> {
    if value.is_none() || value.is_undefined() {
        return Ok("unknown".into());
    }
    let secs = i64::try_from(value)?;
    Ok(format_duration(
        chrono::Duration::try_seconds(secs).unwrap_or(chrono::TimeDelta::MAX),
    ))
}

fn parse(value: &Value) -> Result<Option<DateTime<Utc>>, Error> {
    if value.is_none() || value.is_undefined() {
        return Ok(None);
    }
    let text = value.as_str().ok_or_else(|| {
        Error::new(
            ErrorKind::InvalidOperation,
            format!("expected an RFC 3339 time, got {value}"),
        )
    })?;
    DateTime::parse_from_rfc3339(text)
        .map(|t| Some(t.with_timezone(&Utc)))
        .map_err(|e| {
            Error::new(
                ErrorKind::InvalidOperation,
                format!("`{text}` is not an RFC 3339 time: {e}"),
            )
        })
}

/// `{{ t | datetime }}` → `2026-11-03 14:18 UTC`; `{{ t | datetime("Europe/Berlin") }}` in that zone;
/// an optional second argument is a chrono format string. None → `unknown`.
fn datetime(value: Value, zone: Option<String>, format: Option<String>) -> Result<String, Error> {
    let Some(t) = parse(&value)? else {
        return Ok("unknown".into());
    };
    let format = format.unwrap_or_else(|| "%Y-%m-%d %H:%M %Z".into());
    match zone.as_deref() {
        None | Some("UTC") => Ok(t.format(&format.replace("%Z", "UTC")).to_string()),
        Some(name) => {
            let tz: chrono_tz::Tz = name.parse().map_err(|_| {
                Error::new(
                    ErrorKind::InvalidOperation,
                    format!("unknown time zone `{name}` (use an IANA name like Europe/Berlin)"),
                )
            })?;
            Ok(t.with_timezone(&tz).format(&format).to_string())
        }
    }
}

/// `{{ t | time }}` → `14:18` (UTC, or the zone given).
fn time(value: Value, zone: Option<String>) -> Result<String, Error> {
    datetime(value, zone, Some("%H:%M".into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn autolink_encodes_what_would_end_the_link() {
        let mut env = Environment::new();
        register(&mut env, &Config::new("Acme"));
        let link = |url: &str| {
            env.render_str("{{ u | autolink }}", minijinja::context! { u => url })
                .unwrap()
        };
        assert_eq!(
            link("https://x.test/a b<c>\u{a0}d"),
            "<https://x.test/a%20b%3Cc%3E%C2%A0d>"
        );
        assert_eq!(link("javascript:alert(1)"), "javascript:alert(1)");
        assert_eq!(link("[x](y)"), "\\[x\\](y)");
    }

    #[test]
    fn times_in_a_chosen_zone() {
        let v = Value::from("2026-11-03T14:18:00Z");
        assert_eq!(
            datetime(v.clone(), None, None).unwrap(),
            "2026-11-03 14:18 UTC"
        );
        assert_eq!(
            datetime(v.clone(), Some("Europe/Berlin".into()), None).unwrap(),
            "2026-11-03 15:18 CET"
        );
        assert_eq!(time(v.clone(), None).unwrap(), "14:18");
        assert!(
            datetime(v, Some("Mars/Olympus".into()), None)
                .unwrap_err()
                .to_string()
                .contains("IANA")
        );
        assert_eq!(datetime(Value::from(()), None, None).unwrap(), "unknown");
    }

    #[test]
    fn sentences_end_once() {
        assert_eq!(sentence("Checkout is slow".into()), "Checkout is slow.");
        assert_eq!(sentence("Fixed!".into()), "Fixed!");
        assert_eq!(sentence("Done. ".into()), "Done.");
    }

    #[test]
    fn durations_and_labels() {
        assert_eq!(duration(Value::from(4320)).unwrap(), "1 h 12 min");
        assert_eq!(duration(Value::from(())).unwrap(), "unknown");
        let mut env = Environment::new();
        register(&mut env, &Config::new("x"));
        let out = env.render_str("{{ 'SEV1' | severity_label }}", ()).unwrap();
        assert_eq!(out, "SEV1 (critical)");
    }

    /// The public post-mortem on the status page: its structure becomes HTML, and nothing in it
    /// can run on the reader's page.
    #[test]
    fn markdown_becomes_html_that_runs_nothing() {
        let html = super::markdown_html(
            "# Title\n\n## Root cause\n\n- one\n- two <script>alert(1)</script>\n\n\
             <img src=x onerror=alert(1)>\n\n[ok](https://example.com/a) [bad](javascript:alert(1)) \
             [rel](../history.html) [mail](mailto:a@example.com) [wiki](/w/Special:Search) \
             [tab](java\tscript:alert(1)) ![pic](data:image/png;base64,xx)\n\n\
             | a | b |\n| - | - |\n| 1 | 2 |\n",
            2,
        );
        assert!(
            html.contains("<h3>Title</h3>") && html.contains("<h4>Root cause</h4>"),
            "{html}"
        );
        assert!(html.contains("<li>one</li>"), "{html}");
        assert!(
            html.contains("&lt;script&gt;") && !html.contains("<script"),
            "{html}"
        );
        assert!(
            html.contains("&lt;img src=x onerror=alert(1)&gt;") && !html.contains("<img"),
            "{html}"
        );
        assert!(
            html.contains(r#"<a href="https://example.com/a">ok</a>"#),
            "{html}"
        );
        assert!(
            html.contains(r#"<a href="../history.html">rel</a>"#),
            "{html}"
        );
        assert!(
            html.contains(r#"<a href="mailto:a@example.com">mail</a>"#),
            "{html}"
        );
        // A colon after the path starts is no scheme.
        assert!(
            html.contains(r#"<a href="/w/Special:Search">wiki</a>"#),
            "{html}"
        );
        assert!(
            !html.contains("href=\"java") && !html.contains("src=\"data"),
            "{html}"
        );
        assert!(
            html.contains(" bad ") && html.contains(" pic</p>"),
            "the text stays: {html}"
        );
        assert!(html.contains("<td>1</td>"), "{html}");
        // Headings never go past h6.
        assert!(super::markdown_html("##### deep", 3).contains("<h6>deep</h6>"));
        assert_eq!(super::markdown_html("# top", 0), "<h1>top</h1>\n");
    }
}
