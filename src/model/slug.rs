//! Turning titles into ID slugs and refusing names that could escape a folder.

/// A lower-case, hyphenated, ASCII slug of at most 40 characters, cut at a word boundary.
pub fn slugify(title: &str) -> String {
    let mut slug = String::new();
    for c in title.chars() {
        let c = fold(c);
        if c.is_ascii_alphanumeric() {
            slug.push(c.to_ascii_lowercase());
        } else if !slug.ends_with('-') && !slug.is_empty() {
            slug.push('-');
        }
    }
    let mut slug = slug.trim_end_matches('-').to_string();
    if slug.len() > 40 {
        let cut = slug[..40].rfind('-').filter(|&i| i >= 20).unwrap_or(40);
        slug.truncate(cut);
    }
    if slug.is_empty() {
        slug.push_str("incident");
    }
    slug
}

/// Folds the common accented Latin letters so `Zürich DB` becomes `zurich-db`, not `z-rich-db`.
fn fold(c: char) -> char {
    match c {
        'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'À' | 'Á' | 'Â' | 'Ã' | 'Ä' | 'Å' => 'a',
        'ç' | 'Ç' => 'c',
        'è' | 'é' | 'ê' | 'ë' | 'È' | 'É' | 'Ê' | 'Ë' => 'e',
        'ì' | 'í' | 'î' | 'ï' | 'Ì' | 'Í' | 'Î' | 'Ï' => 'i',
        'ñ' | 'Ñ' => 'n',
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' | 'Ò' | 'Ó' | 'Ô' | 'Õ' | 'Ö' | 'Ø' => 'o',
        'ù' | 'ú' | 'û' | 'ü' | 'Ù' | 'Ú' | 'Û' | 'Ü' => 'u',
        'ý' | 'ÿ' | 'Ý' => 'y',
        'ß' => 's',
        other => other,
    }
}

/// Refuses a user-given name (incident ID, role, template) that is empty or holds path characters,
/// since every such name ends up in a file path or a YAML key.
pub fn check_name(what: &str, name: &str) -> Result<(), super::ModelError> {
    let bad = |why: String| Err(super::ModelError::Invalid(why));
    if name.trim().is_empty() {
        return bad(format!("{what} must not be empty"));
    }
    if name.chars().any(char::is_control) {
        return bad(format!(
            "{what} `{}` must not contain control characters (newlines, tabs, escapes)",
            name.escape_debug()
        ));
    }
    if name.contains('/') || name.contains('\\') || name.contains("..") {
        return bad(format!(
            "{what} `{name}` must not contain path characters (`/`, `\\`, `..`)"
        ));
    }
    if name.starts_with('.') || name.starts_with('-') {
        return bad(format!("{what} `{name}` must not start with `.` or `-`"));
    }
    Ok(())
}

/// Characters that change how text around them reads without being seen: bidirectional overrides
/// and isolates (a reviewer sees one order, a reader another), zero-width spaces and joiners, line
/// and paragraph separators, and the byte-order mark.
pub fn is_hidden_char(c: char) -> bool {
    matches!(
        c,
        '\u{200B}'..='\u{200F}'
            | '\u{2028}'
            | '\u{2029}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2066}'..='\u{2069}'
            | '\u{FEFF}'
    )
}

/// A character no text of ours may hold: a control other than newline and tab, or a hidden one.
pub fn is_forbidden_in_text(c: char) -> bool {
    (c.is_control() && !matches!(c, '\n' | '\t')) || is_hidden_char(c)
}

/// Whether `text` may hold a character [`is_forbidden_in_text`] or one XML forbids, by its bytes
/// alone (a quick test before looking at characters: output is megabytes and almost never holds
/// one). C0 controls but newline and tab, DEL, C1 controls (0xC2 ...), the hidden characters
/// (0xE2 0x80/0x81 ..., 0xEF 0xBB ...) and U+FFFE/U+FFFF (0xEF 0xBF ...).
pub fn may_hold_hidden(text: &str) -> bool {
    let bytes = text.as_bytes();
    bytes.iter().enumerate().any(|(i, &b)| {
        (b < 0x20 && !matches!(b, b'\n' | b'\t'))
            || b == 0x7f
            || b == 0xc2
            || (b == 0xe2 && matches!(bytes.get(i + 1), Some(0x80 | 0x81)))
            || (b == 0xef && matches!(bytes.get(i + 1), Some(0xbb | 0xbf)))
    })
}

/// `text` with every character [`is_forbidden_in_text`] (a carriage return aside) written as a
/// visible escape (`\u{1b}`), and the two non-characters XML forbids (U+FFFE, U+FFFF) as U+FFFD:
/// what a hand-edited record carries reaches no page, feed or document as it is.
pub fn make_visible(text: &str) -> std::borrow::Cow<'_, str> {
    let bad =
        |c: char| (is_forbidden_in_text(c) && c != '\r') || matches!(c, '\u{FFFE}' | '\u{FFFF}');
    // Bytes first: pages are rendered by the thousand and almost never hold one.
    if !may_hold_hidden(text) || !text.chars().any(bad) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        match c {
            '\u{FFFE}' | '\u{FFFF}' => out.push('\u{FFFD}'),
            c if bad(c) => out.extend(c.escape_unicode()),
            c => out.push(c),
        }
    }
    std::borrow::Cow::Owned(out)
}

/// Refuses text with control characters other than newline and tab, and hidden characters
/// ([`is_hidden_char`]): an ESC in a record would reach every terminal that shows it, and a
/// bidirectional override makes a note read differently from what was written.
pub fn check_text(what: &str, text: &str) -> Result<(), super::ModelError> {
    match text.chars().find(|c| is_forbidden_in_text(*c)) {
        None => Ok(()),
        Some(c) if c.is_control() => Err(super::ModelError::Invalid(format!(
            "{what} contains the control character U+{:04X}; only newlines and tabs are allowed in text",
            c as u32
        ))),
        Some(c) => Err(super::ModelError::Invalid(format!(
            "{what} contains the invisible character U+{:04X} (a direction override, zero-width or separator character); remove it, it makes text read differently from what it says",
            c as u32
        ))),
    }
}

/// Refuses text that is not a single line without control characters (titles, names).
pub fn check_line(what: &str, text: &str) -> Result<(), super::ModelError> {
    if text.contains(['\n', '\r']) {
        return Err(super::ModelError::Invalid(format!(
            "{what} must be a single line"
        )));
    }
    check_text(what, text)
}

/// What an ID the tool writes may be: letters, digits, `-`, `_` and `.` (not first), at most 100
/// characters. It becomes a file name on every platform teams use and a URL path on the status page.
pub fn check_record_id(id: &str) -> Result<(), super::ModelError> {
    let ok = !id.is_empty()
        && id.len() <= 100
        && id.chars().next().is_some_and(|c| c.is_ascii_alphanumeric())
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        && !id.contains("..");
    if ok {
        Ok(())
    } else {
        Err(super::ModelError::Invalid(format!(
            "incident ID `{}` is not valid: use letters, digits and `-` (like 2026-11-25-checkout-down), at most 100 characters",
            id.escape_debug()
        )))
    }
}

/// Serde's side of [`check_name`]: a name read from a record or `.incident.yaml` that would become a
/// file path (a service, a component group, a notify target) is refused while the file is parsed,
/// so the error names the file and line, and no reader ever sees it.
pub mod name {
    use serde::{Deserialize, Deserializer, de::Error};

    fn checked<E: Error>(what: &str, name: String) -> Result<String, E> {
        super::check_name(what, &name).map_err(E::custom)?;
        Ok(name)
    }

    /// A service's or component's ID (`services[].id` in the policy).
    pub fn service<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
        checked("service", String::deserialize(d)?)
    }

    /// A component group's ID.
    pub fn group<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
        checked("component group", String::deserialize(d)?)
    }

    /// The group a service is shown under.
    pub fn optional_group<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
        Option::<String>::deserialize(d)?
            .map(|g| checked("component group", g))
            .transpose()
    }

    /// A notify target's ID (it names the ledger's refs).
    pub fn target<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
        checked("notify target", String::deserialize(d)?)
    }

    /// The services a record affects.
    pub fn services<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
        Vec::<String>::deserialize(d)?
            .into_iter()
            .map(|s| checked("service", s))
            .collect()
    }

    /// A record's own ID: [`super::check_read_id`]'s rule, so an ID with shell syntax never
    /// reaches a completion, a path or a URL.
    pub fn record_id<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
        let id = String::deserialize(d)?;
        super::check_read_id(&id).map_err(D::Error::custom)?;
        Ok(id)
    }
}

/// What an ID read from a file name or a record may be: [`check_name`]'s rule, no white space and
/// none of the characters a shell gives meaning to. Stricter than that is [`check_record_id`], for
/// IDs the tool makes; a hand-made record may keep letters outside ASCII (`zürich`).
pub fn check_read_id(id: &str) -> Result<(), super::ModelError> {
    check_name("incident ID", id)?;
    const SHELL: &[char] = &[
        '$', '`', ';', '&', '|', '<', '>', '(', ')', '{', '}', '[', ']', '\'', '"', '\\', '*', '?',
        '!', '#', '~', '%', '^',
    ];
    if let Some(c) = id.chars().find(|c| c.is_whitespace() || SHELL.contains(c)) {
        return Err(super::ModelError::Invalid(format!(
            "incident ID `{}` is not valid: `{}` means something to a shell; use letters, digits and `-` (like 2026-11-25-checkout-down), and rename the file to match",
            id.escape_debug(),
            c.escape_debug()
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_are_short_readable_ascii() {
        assert_eq!(
            slugify("Checkout down for EU customers!"),
            "checkout-down-for-eu-customers"
        );
        assert_eq!(slugify("Zürich DB: latency > 2s"), "zurich-db-latency-2s");
        assert_eq!(slugify("!!!"), "incident");
        let long =
            slugify("Payments API returns 500 for every request from the mobile app in APAC");
        assert!(long.len() <= 40 && !long.ends_with('-'), "{long}");
    }

    #[test]
    fn control_characters_are_refused_but_newlines_and_tabs_are_text() {
        assert!(check_text("text", "line one\n\tline two").is_ok());
        let err = check_text("--impacted", "clear \u{1b}[2J").unwrap_err();
        assert!(err.to_string().contains("U+001B"), "{err}");
        assert!(check_line("title", "two\nlines").is_err());
        assert!(check_line("title", "fine").is_ok());
        assert!(check_record_id("2026-11-25-checkout-down").is_ok());
        for bad in ["", "-x", "../x", "a/b", "café", "a b", ".x"] {
            assert!(check_record_id(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn path_characters_are_refused() {
        for bad in ["a/b", "..", "../x", "", "  ", ".hidden", "a\\b"] {
            assert!(check_name("incident ID", bad).is_err(), "{bad:?}");
        }
        for bad in [
            "$(id)", "a`id`", "a;b", "a b", "a\tb", "a|b", "a>b", "x$HOME",
        ] {
            assert!(check_read_id(bad).is_err(), "{bad:?}");
        }
        assert!(check_read_id("2026-11-1é-zürich-日本").is_ok());
        assert!(check_name("role", "scribe").is_ok());
    }
}
