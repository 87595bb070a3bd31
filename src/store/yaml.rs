//! Every YAML read and write of the project: one place that knows the format's quirks.

use super::StoreError;
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::path::Path;

/// Parses a document, naming the file and line on failure so the user can go straight to it.
pub fn parse<T: DeserializeOwned>(text: &str, path: &Path) -> Result<T, StoreError> {
    if text.starts_with('\u{feff}') {
        return Err(StoreError::Parse {
            path: path.to_path_buf(),
            line: Some(1),
            message: format!(
                "the file starts with a UTF-8 byte-order mark (BOM), which YAML readers disagree on; save it as UTF-8 without one (`sed -i '1s/^\\xEF\\xBB\\xBF//' {}`)",
                path.display()
            ),
        });
    }
    if let Some(line) = too_deep(text) {
        return Err(StoreError::Parse {
            path: path.to_path_buf(),
            line: Some(line),
            message: format!(
                "nesting deeper than {MAX_DEPTH} levels; no record or policy needs more than a few, and the YAML reader's time grows with the square of the depth"
            ),
        });
    }
    serde_yaml::from_str(text).map_err(|e| {
        let mut line = e.location().map(|l| l.line());
        let mut message = e.to_string();
        // The library appends its own "at line N column M"; we name the line ourselves.
        if let Some(cut) = message.find(" at line ") {
            message.truncate(cut);
        }
        // A value refused by a field's own check is placed at the start of its mapping; the
        // line the refused value is on is the one to fix.
        if line.is_none_or(|l| l <= 1)
            && let Some(found) = line_of_quoted(text, &message)
        {
            line = Some(found);
        }
        StoreError::Parse {
            path: path.to_path_buf(),
            line,
            message: with_example(message),
        }
    })
}

/// The first line of `text` holding the first `quoted` value of `message`, if any.
fn line_of_quoted(text: &str, message: &str) -> Option<usize> {
    let (_, rest) = message.split_once('`')?;
    let (value, _) = rest.split_once('`')?;
    if value.is_empty() {
        return None;
    }
    text.lines().position(|l| l.contains(value)).map(|n| n + 1)
}

/// How deep collections may nest in any file the tool reads. Records nest five levels, the policy
/// six; the YAML reader's time grows with the square of the depth (minutes for a 500 KB file of
/// brackets), so a deeper file is refused before it is parsed.
pub const MAX_DEPTH: usize = 64;

/// The line (1-based) where `text` first nests collections deeper than [`MAX_DEPTH`], if it does.
/// One linear pass that over-counts rather than misses: block levels are the distinct indents open
/// (plus `- ` and `? ` entries opened on one line), flow levels the open `[` and `{` outside quotes,
/// comments and block scalars.
pub fn too_deep(text: &str) -> Option<usize> {
    let mut indents: Vec<usize> = Vec::new();
    let mut flow = 0usize;
    let mut quote: Option<u8> = None;
    // The indent of the line that opened a block scalar (`|` or `>`) whose lines are being skipped.
    let mut block_scalar: Option<usize> = None;
    for (n, line) in text.lines().enumerate() {
        let bytes = line.as_bytes();
        let indent = bytes.iter().take_while(|&&b| b == b' ').count();
        if let Some(parent) = block_scalar {
            if indent > parent || line.trim().is_empty() {
                continue;
            }
            block_scalar = None;
        }
        let mut depth_here = 0;
        let mut i = indent;
        if quote.is_none() && flow == 0 {
            let rest = line[indent..].trim_end();
            if rest.is_empty() || rest.starts_with('#') {
                continue;
            }
            while indents.last().is_some_and(|&open| open >= indent) {
                indents.pop();
            }
            indents.push(indent);
            // `- - - x` opens one sequence per dash on one line.
            while i + 1 < bytes.len() && matches!(bytes[i], b'-' | b'?') && bytes[i + 1] == b' ' {
                depth_here += 1;
                i += 2;
                while i < bytes.len() && bytes[i] == b' ' {
                    i += 1;
                }
            }
        }
        // Where a value may start: brackets there open a flow collection; elsewhere in block
        // context they are text (`note: error [500]`).
        let mut value_start = true;
        let mut prev = b' ';
        while i < bytes.len() {
            let b = bytes[i];
            match quote {
                Some(b'"') if b == b'\\' => i += 1,
                Some(q) if b == q => {
                    // '' inside single quotes is an escaped quote, not the end.
                    if q == b'\'' && bytes.get(i + 1) == Some(&b'\'') {
                        i += 1;
                    } else {
                        quote = None;
                    }
                }
                Some(_) => {}
                None => match b {
                    b'#' if prev == b' ' || prev == b'\t' => break,
                    b'"' | b'\'' if value_start => quote = Some(b),
                    b'[' | b'{' if flow > 0 || value_start => {
                        flow += 1;
                        value_start = true;
                    }
                    b']' | b'}' if flow > 0 => {
                        flow -= 1;
                        value_start = false;
                    }
                    b'|' | b'>' if flow == 0 && value_start => {
                        block_scalar = Some(indent);
                        break;
                    }
                    b' ' | b'\t' => {}
                    b',' if flow > 0 => value_start = true,
                    b':' | b'-' | b'?' => {
                        value_start = (b == b':' && flow > 0)
                            || bytes.get(i + 1).is_none_or(|c| *c == b' ' || *c == b'\t')
                    }
                    _ => value_start = false,
                },
            }
            if indents.len() + depth_here + flow > MAX_DEPTH {
                return Some(n + 1);
            }
            prev = b;
            i += 1;
        }
        if indents.len() + depth_here + flow > MAX_DEPTH {
            return Some(n + 1);
        }
    }
    None
}

/// [`parse`] of only the top-level `fields` when `fields` is given and the text is a plain block
/// mapping that splits safely (see [`only_sections`]): a list row needs a record's first lines, not
/// its timeline, and YAML costs per byte. Anything the reduced text does not parse into is parsed
/// again whole, so errors read as they always did; a syntax error confined to sections no reader of
/// `T` looks at goes unnoticed here (`check` reads every record whole).
pub fn parse_fields<T: DeserializeOwned>(
    text: &str,
    path: &Path,
    fields: Option<&[&str]>,
) -> Result<T, StoreError> {
    if let Some(head) = fields.and_then(|f| only_sections(text, f))
        && too_deep(&head).is_none()
        && let Ok(value) = serde_yaml::from_str::<T>(&head)
    {
        return Ok(value);
    }
    parse(text, path)
}

/// The top-level sections of `text` whose keys are in `fields`, in their order, or `None` when the
/// text is not a mapping this can split without changing its meaning: every line at column 0 must
/// be a plain `key:` (each key once), a `- ` item of the key above, a comment or blank; and a value
/// that opens a quote or a flow collection must close on its own line.
pub fn only_sections(text: &str, fields: &[&str]) -> Option<String> {
    let mut out = String::with_capacity(512);
    let mut seen: Vec<&str> = Vec::with_capacity(24);
    let mut keep = false;
    let mut open_value = false;
    for line in text.split_inclusive('\n') {
        let first = line.as_bytes().first().copied().unwrap_or(b'\n');
        let is_key = first.is_ascii_alphabetic() || first == b'_';
        if !is_key {
            let item = first == b'-'
                && matches!(line.as_bytes().get(1), Some(b' ' | b'\n' | b'\r') | None);
            if !(item || matches!(first, b' ' | b'#' | b'\n' | b'\r')) {
                return None;
            }
            // The value opened on the key's line goes on: its end is not this code's to find.
            if open_value {
                return None;
            }
            if keep {
                out.push_str(line);
            }
            continue;
        }
        let colon = line.find(':')?;
        let key = &line[..colon];
        if !key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        {
            return None;
        }
        let value = &line[colon + 1..];
        if !(value.is_empty() || value.starts_with([' ', '\n', '\r'])) || seen.contains(&key) {
            return None;
        }
        seen.push(key);
        let value = value.trim();
        open_value = value.starts_with(['"', '\'', '[', '{']) && !closes_on_its_line(value);
        keep = fields.contains(&key);
        if keep {
            out.push_str(line);
        }
    }
    Some(out)
}

/// Whether a quoted or flow value that starts a line also ends on it (a conservative test: a
/// value this is unsure of counts as open, and the whole text is parsed instead).
fn closes_on_its_line(value: &str) -> bool {
    let value = value.split(" #").next().unwrap_or(value).trim_end();
    match value.as_bytes().first() {
        Some(b'"') => value.len() > 1 && value.ends_with('"') && !value.ends_with("\\\""),
        Some(b'\'') => value.len() > 1 && value.ends_with('\''),
        Some(b'[') => value.ends_with(']') && !value.contains('#'),
        Some(b'{') => value.ends_with('}') && !value.contains('#'),
        _ => true,
    }
}

/// Adds what a valid value of the field looks like to the library's message, which names the field
/// (`detected_at: premature end of input`) but not what would be right.
fn with_example(message: String) -> String {
    let Some((field_path, problem)) = message.split_once(": ") else {
        return message;
    };
    if field_path.contains(' ') {
        return message;
    }
    let field = field_path
        .rsplit('.')
        .next()
        .unwrap_or(field_path)
        .split('[')
        .next()
        .unwrap_or("");
    let example = match field {
        f if f == "at" || f.ends_with("_at") || f.starts_with("scheduled_") => {
            "a time with its zone, like `2026-11-25T14:05:00Z` (RFC 3339)"
        }
        "due" => "a date, like `2026-12-01`",
        "severity" => "one of SEV1, SEV2, SEV3, SEV4",
        "status" => "one of investigating, identified, monitoring, resolved",
        "kind" if field_path.starts_with("timeline") => "a word such as `note` or `comms`",
        "kind" => {
            "one of outage, degradation, security, third-party, deploy, misconfiguration, other"
        }
        "visibility" => "`public` or `internal`",
        "drill" => "`true` or `false`",
        "version" | "number" => "a whole number, like `1`",
        "title" | "text" | "summary" | "by" | "id" | "owner" => {
            "text on one line, like `Checkout down`"
        }
        "services" | "tags" | "whys" => "a list, like `[checkout, payments]`",
        "roles" => "a map of role to person, like `{commander: alice}`",
        _ => return message,
    };
    if problem.contains("expected one of") {
        return message;
    }
    // The library's own "expected ..." names a Rust type; ours shows a valid value.
    let problem = problem.split(", expected").next().unwrap_or(problem);
    format!("{field_path}: {problem}; expected {example}")
}

/// A document parsed once, kept as a tree to lay the rewrite out like it ([`to_string_like_tree`]).
pub struct Parsed<T> {
    pub value: T,
    pub tree: serde_yaml::Value,
}

/// Parses `text` into a tree and `T` from it: a change that rewrites the file reads it once.
pub fn parse_keeping_tree<T: DeserializeOwned>(
    text: &str,
    path: &Path,
) -> Result<Parsed<T>, StoreError> {
    let tree: serde_yaml::Value = parse(text, path)?;
    match T::deserialize(&tree) {
        Ok(value) => Ok(Parsed { value, tree }),
        // From text again, for the line number the tree has lost.
        Err(_) => parse(text, path).map(|value| Parsed { value, tree }),
    }
}

/// [`to_string_like`] with the old file already parsed. Also says whether the result is in the
/// order [`to_string`] writes (no key had to move to follow the old file).
pub fn to_string_like_tree<T: Serialize>(
    value: &T,
    old: &serde_yaml::Value,
) -> Result<(String, bool), StoreError> {
    let mut new = serde_yaml::to_value(value).map_err(|e| StoreError::Serialize(e.to_string()))?;
    let mut moved = false;
    reorder(&mut new, old, &mut moved);
    Ok((emit(new)?, !moved))
}

/// Serialises with the struct's field order, so rewriting a record only changes what changed.
pub fn to_string<T: Serialize>(value: &T) -> Result<String, StoreError> {
    let tree = serde_yaml::to_value(value).map_err(|e| StoreError::Serialize(e.to_string()))?;
    emit(tree)
}

/// Emits a tree so YAML 1.1 readers (PyYAML, many CI tools) read every string as the string it is:
/// `no`, `on`, `~`, `12:30:45`, `1_000`, `2026-11-25` and the like are single-quoted. The YAML 1.2
/// emitter leaves them plain, so they are tagged `!!str` on the way in and the tags become quotes on
/// the way out (a plain scalar never starts with `!`, so the tag cannot be confused with text).
fn emit(mut tree: serde_yaml::Value) -> Result<String, StoreError> {
    let mut marks = Marks {
        key_mark: KEY_MARK.to_string(),
        ..Marks::default()
    };
    tag_yaml11_hazards(&mut tree, false, &mut marks);
    // Keys that need quoting are rare: only then is the document searched for a free placeholder
    // and walked again to put it in.
    if marks.hazard_keys {
        marks.key_mark = unused_mark(&tree);
        placeholder_keys(&mut tree, &mut marks);
    }
    let text = serde_yaml::to_string(&tree).map_err(|e| StoreError::Serialize(e.to_string()))?;
    Ok(if marks.any {
        quote_tagged(&text, &marks.key_mark, &marks.keys)
    } else {
        text
    })
}

/// A key placeholder prefix that no string in the document contains, so a placeholder can never be
/// mistaken for text someone wrote.
fn unused_mark(tree: &serde_yaml::Value) -> String {
    fn contains(v: &serde_yaml::Value, needle: &str) -> bool {
        use serde_yaml::Value;
        match v {
            Value::String(s) => s.contains(needle),
            Value::Sequence(items) => items.iter().any(|i| contains(i, needle)),
            Value::Mapping(map) => map
                .iter()
                .any(|(k, v)| contains(k, needle) || contains(v, needle)),
            Value::Tagged(t) => contains(&t.value, needle),
            _ => false,
        }
    }
    let mut mark = KEY_MARK.to_string();
    while contains(tree, &mark) {
        mark.push('x');
    }
    mark
}

/// Replaces every key YAML 1.1 would misread by a placeholder `quote_tagged` turns back into the
/// quoted key (a tagged key would be written as a complex key).
fn placeholder_keys(value: &mut serde_yaml::Value, marks: &mut Marks) {
    use serde_yaml::Value;
    match value {
        Value::Sequence(items) => {
            for item in items {
                placeholder_keys(item, marks);
            }
        }
        Value::Mapping(map) => {
            let old = std::mem::take(map);
            for (key, mut v) in old {
                placeholder_keys(&mut v, marks);
                let key = match key {
                    Value::String(k) if yaml11_reads_as_non_string(&k) => {
                        marks.any = true;
                        marks.keys.push(k);
                        Value::String(format!("{}{}", marks.key_mark, marks.keys.len() - 1))
                    }
                    other => other,
                };
                map.insert(key, v);
            }
        }
        Value::Tagged(t) => placeholder_keys(&mut t.value, marks),
        _ => {}
    }
}

/// What [`tag_yaml11_hazards`] changed: whether any value was tagged, and the keys it replaced by a
/// placeholder (a tagged key would be written as a complex key).
#[derive(Default)]
struct Marks {
    any: bool,
    /// Some key would read as a non-string in YAML 1.1.
    hazard_keys: bool,
    key_mark: String,
    keys: Vec<String>,
}

const KEY_MARK: &str = "incident-quoted-key-8c1e-";
/// How the emitter writes the tag [`tag_yaml11_hazards`] puts on a value.
const TAG_MARK: &str = "!str ";

/// Keys whose values are times or dates: those are meant to be read as timestamps by every reader.
fn is_time_key(key: &str) -> bool {
    key == "at"
        || key == "due"
        || key.ends_with("_at")
        || key.ends_with("_date")
        || matches!(key, "scheduled_for" | "scheduled_until")
}

fn tag_yaml11_hazards(value: &mut serde_yaml::Value, time_value: bool, marks: &mut Marks) {
    use serde_yaml::Value;
    use serde_yaml::value::{Tag, TaggedValue};
    let hazard = |s: &str, time_value: bool| {
        yaml11_reads_as_non_string(s) && !(time_value && looks_like_timestamp(s))
    };
    match value {
        Value::String(s) if hazard(s, time_value) => {
            marks.any = true;
            let text = std::mem::take(s);
            *value = Value::Tagged(Box::new(TaggedValue {
                tag: Tag::new("str"),
                value: Value::String(text),
            }));
        }
        Value::Sequence(items) => {
            for item in items {
                tag_yaml11_hazards(item, time_value, marks);
            }
        }
        Value::Mapping(map) => {
            for (key, v) in map.iter_mut() {
                let key = key.as_str();
                if key.is_some_and(|k| hazard(k, false)) {
                    marks.hazard_keys = true;
                }
                tag_yaml11_hazards(v, key.is_some_and(is_time_key), marks);
            }
        }
        _ => {}
    }
}

/// Turns `!str VALUE` (as the emitter writes a tagged plain scalar) into `'VALUE'`, and each key
/// placeholder back into its quoted key. Only the places where a scalar starts are looked at: after
/// the indent and any `- `, and right after a key's `: `; never inside a quoted or block scalar.
fn quote_tagged(text: &str, key_mark: &str, keys: &[String]) -> String {
    let quote = |s: &str| format!("'{}'", s.replace('\'', "''"));
    let mut out = String::with_capacity(text.len() + 16);
    // Inside a block scalar (`|-` and the lines indented under it) everything is text.
    let mut block_indent: Option<usize> = None;
    for line in text.split_inclusive('\n') {
        let indent = line.len() - line.trim_start_matches(' ').len();
        if let Some(header) = block_indent {
            if indent > header || line.trim().is_empty() {
                out.push_str(line);
                continue;
            }
            block_indent = None;
        }
        let body = line.trim_end_matches(['\n', '\r']);
        let newline = &line[body.len()..];
        // Sequence items (`- `) and the complex-key forms (`? KEY` / `: VALUE`) both put a scalar
        // right after their indicator.
        let mut at = indent;
        while ["- ", "? ", ": "].iter().any(|p| body[at..].starts_with(p)) {
            at += 2;
        }
        out.push_str(&body[..at]);
        let rest = &body[at..];
        // A tagged sequence item.
        if let Some(value) = rest.strip_prefix(TAG_MARK) {
            out.push_str(&requote(value, &quote));
            out.push_str(newline);
            continue;
        }
        // A key: placeholder, quoted or plain; then its value, if on this line.
        let (key_text, after_key) = match rest.strip_prefix(key_mark) {
            Some(mark) => {
                let digits = mark.chars().take_while(char::is_ascii_digit).count();
                match mark[..digits]
                    .parse::<usize>()
                    .ok()
                    .and_then(|n| keys.get(n))
                {
                    Some(key) if mark[digits..].starts_with(':') => (quote(key), &mark[digits..]),
                    _ => (String::new(), rest),
                }
            }
            None => {
                let len = key_len(rest);
                (rest[..len].to_string(), &rest[len..])
            }
        };
        out.push_str(&key_text);
        match after_key.strip_prefix(": ") {
            Some(value) => {
                out.push_str(": ");
                match value.strip_prefix(TAG_MARK) {
                    Some(tagged) => out.push_str(&requote(tagged, &quote)),
                    None => out.push_str(value),
                }
                if is_block_header(value) {
                    // A key's block value is indented under the key.
                    block_indent = Some(at);
                }
            }
            None => out.push_str(after_key),
        }
        if is_block_header(rest) {
            // A block scalar right after `- ` (or `? `, `: `) is indented under that indicator.
            block_indent = Some(at.saturating_sub(2).max(indent));
        }
        out.push_str(newline);
    }
    out
}

/// The value after a tag, quoted unless the emitter quoted it already (a YAML 1.2 special like `~`).
fn requote(value: &str, quote: &impl Fn(&str) -> String) -> String {
    if value.starts_with(['\'', '"']) {
        value.to_string()
    } else {
        quote(value)
    }
}

/// `|`, `|-`, `|+` or `|2-`: the lines under it are a block scalar's text.
fn is_block_header(value: &str) -> bool {
    value.trim_end().strip_prefix('|').is_some_and(|rest| {
        rest.chars()
            .all(|c| c.is_ascii_digit() || c == '-' || c == '+')
    })
}

/// The length of the key at the start of `text`: a quoted scalar, or plain up to `: ` (or a final
/// `:`); the whole text when it is a value, not a key.
fn key_len(text: &str) -> usize {
    let bytes = text.as_bytes();
    let end_of_quoted = match bytes.first() {
        Some(b'\'') => {
            let mut i = 1;
            loop {
                match bytes.get(i) {
                    None => break None,
                    Some(b'\'') if bytes.get(i + 1) == Some(&b'\'') => i += 2,
                    Some(b'\'') => break Some(i + 1),
                    Some(_) => i += 1,
                }
            }
        }
        Some(b'"') => {
            let mut i = 1;
            loop {
                match bytes.get(i) {
                    None => break None,
                    Some(b'\\') => i += 2,
                    Some(b'"') => break Some(i + 1),
                    Some(_) => i += 1,
                }
            }
        }
        _ => None,
    };
    match end_of_quoted {
        Some(end) => end.min(text.len()),
        None => text
            .find(": ")
            .or_else(|| text.ends_with(':').then(|| text.len() - 1))
            .unwrap_or(text.len()),
    }
}

/// Whether a YAML 1.1 reader resolves this plain scalar to something other than a string: a bool,
/// null, an int or float (with `_`, base prefixes or sexagesimal `:`), a date or timestamp, or the
/// merge and value keys.
pub fn yaml11_reads_as_non_string(s: &str) -> bool {
    // Every such scalar starts with one of these; most text does not, and is done with here.
    if !s.starts_with([
        '0', '1', '2', '3', '4', '5', '6', '7', '8', '9', '+', '-', '.', '~', '=', '<', 'y', 'Y',
        'n', 'N', 't', 'T', 'f', 'F', 'o', 'O',
    ]) {
        return false;
    }
    const WORDS: &[&str] = &[
        "y", "Y", "yes", "Yes", "YES", "n", "N", "no", "No", "NO", "true", "True", "TRUE", "false",
        "False", "FALSE", "on", "On", "ON", "off", "Off", "OFF", "~", "null", "Null", "NULL", "<<",
        "=", ".inf", ".Inf", ".INF", "-.inf", "-.Inf", "-.INF", "+.inf", "+.Inf", "+.INF", ".nan",
        ".NaN", ".NAN",
    ];
    if WORDS.contains(&s) {
        return true;
    }
    let unsigned = s.strip_prefix(['-', '+']).unwrap_or(s);
    let digits_ = |t: &str| !t.is_empty() && t.chars().all(|c| c.is_ascii_digit() || c == '_');
    if let Some(bin) = unsigned.strip_prefix("0b") {
        return !bin.is_empty() && bin.chars().all(|c| matches!(c, '0' | '1' | '_'));
    }
    if let Some(hex) = unsigned.strip_prefix("0x") {
        return !hex.is_empty() && hex.chars().all(|c| c.is_ascii_hexdigit() || c == '_');
    }
    if unsigned.starts_with(|c: char| c.is_ascii_digit()) && digits_(unsigned) {
        return true; // decimal and octal ints, with `_`
    }
    // Sexagesimal ints and floats: 190:20:30, 1:20:30.5
    if let Some((head, tail)) = unsigned.split_once(':')
        && head.starts_with(|c: char| c.is_ascii_digit())
        && digits_(head)
    {
        let (mins, frac) = match tail.rsplit_once('.') {
            Some((m, f)) if f.chars().all(|c| c.is_ascii_digit() || c == '_') => (m, true),
            _ => (tail, false),
        };
        let _ = frac;
        if mins
            .split(':')
            .all(|p| !p.is_empty() && p.len() <= 2 && p.chars().all(|c| c.is_ascii_digit()))
        {
            return true;
        }
    }
    // Floats: 1.5, .5, 1e3 needs a dot in 1.1 (1.e+3), 6.8523015e+5
    if unsigned.contains('.') {
        let (mantissa, exp) = match unsigned.find(['e', 'E']) {
            Some(i) => (&unsigned[..i], Some(&unsigned[i + 1..])),
            None => (unsigned, None),
        };
        let mantissa_ok = mantissa
            .chars()
            .all(|c| c.is_ascii_digit() || c == '_' || c == '.')
            && mantissa.chars().any(|c| c.is_ascii_digit() || c == '.')
            && !mantissa.starts_with('_');
        let exp_ok = exp.is_none_or(|e| {
            let e = e.strip_prefix(['-', '+']).unwrap_or(e);
            !e.is_empty() && e.chars().all(|c| c.is_ascii_digit())
        });
        if mantissa_ok && exp_ok && mantissa != "." {
            return true;
        }
    }
    looks_like_timestamp(s)
}

/// YAML 1.1 timestamps: `2026-11-25`, or a date with a time (`T`, `t` or spaces) and an optional zone.
fn looks_like_timestamp(s: &str) -> bool {
    let b = s.as_bytes();
    let date_len = |b: &[u8]| -> Option<usize> {
        if b.len() < 8 || !b[..4].iter().all(u8::is_ascii_digit) || b[4] != b'-' {
            return None;
        }
        let mut i = 5;
        let month = b[i..].iter().take_while(|c| c.is_ascii_digit()).count();
        if !(1..=2).contains(&month) {
            return None;
        }
        i += month;
        if b.get(i) != Some(&b'-') {
            return None;
        }
        i += 1;
        let day = b[i..].iter().take_while(|c| c.is_ascii_digit()).count();
        (1..=2).contains(&day).then_some(i + day)
    };
    match date_len(b) {
        Some(n) if n == b.len() => true,
        Some(n) => {
            let rest = &s[n..];
            let rest = rest
                .strip_prefix(['T', 't'])
                .or_else(|| rest.strip_prefix([' ', '\t']).map(str::trim_start));
            rest.is_some_and(|r| {
                let hour = r.chars().take_while(char::is_ascii_digit).count();
                (1..=2).contains(&hour) && r[hour..].starts_with(':')
            })
        }
        None => false,
    }
}

/// Serialises `value` keeping the key order of the file it replaces: keys the old file had stay where
/// they were (a newer version's fields included), new keys go after their predecessor in struct order.
/// List entries are matched by their `id`, else by position. A rewrite then shows in `git diff` only
/// as what really changed.
pub fn to_string_like<T: Serialize>(value: &T, previous: &str) -> Result<String, StoreError> {
    let Ok(old) = serde_yaml::from_str::<serde_yaml::Value>(previous) else {
        return to_string(value);
    };
    let mut new = serde_yaml::to_value(value).map_err(|e| StoreError::Serialize(e.to_string()))?;
    reorder(&mut new, &old, &mut false);
    emit(new)
}

/// Lays `new` out like `old`, in place, setting `moved` when a map had to be laid out differently from
/// the struct order. The common case (same keys in the same order, list entries where they were) is
/// one pass with no lookups and no copying; only maps whose keys moved are rebuilt.
fn reorder(new: &mut serde_yaml::Value, old: &serde_yaml::Value, moved: &mut bool) {
    use serde_yaml::{Mapping, Value};
    match (new, old) {
        (Value::Mapping(new), Value::Mapping(old)) => {
            let same_order =
                new.len() == old.len() && new.keys().zip(old.keys()).all(|(a, b)| a == b);
            if same_order {
                for (value, o) in new.values_mut().zip(old.values()) {
                    reorder(value, o, moved);
                }
                return;
            }
            {
                *moved = true;
                let mut keys: Vec<Value> = old
                    .keys()
                    .filter(|k| new.contains_key(*k))
                    .cloned()
                    .collect();
                let mut previous: Option<Value> = None;
                for key in new.keys() {
                    if !keys.contains(key) {
                        let at = previous
                            .as_ref()
                            .and_then(|p| keys.iter().position(|k| k == p))
                            .map_or(0, |i| i + 1);
                        keys.insert(at, key.clone());
                    }
                    previous = Some(key.clone());
                }
                let mut out = Mapping::with_capacity(keys.len());
                for key in keys {
                    if let Some(v) = new.remove(&key) {
                        out.insert(key, v);
                    }
                }
                *new = out;
            }
            for (key, value) in new.iter_mut() {
                if let Some(o) = old.get(key) {
                    reorder(value, o, moved);
                }
            }
        }
        (Value::Sequence(new), Value::Sequence(old)) => {
            fn id_of(v: &Value) -> Option<&str> {
                v.get("id").and_then(Value::as_str)
            }
            // Built only if an entry is not where it was: O(n) either way, not O(n²).
            let mut by_id: Option<std::collections::HashMap<&str, &Value>> = None;
            for (i, item) in new.iter_mut().enumerate() {
                let Some(id) = id_of(item).map(str::to_string) else {
                    if let Some(o) = old.get(i) {
                        reorder(item, o, moved);
                    }
                    continue;
                };
                let twin = match old.get(i) {
                    Some(o) if id_of(o) == Some(id.as_str()) => Some(o),
                    _ => by_id
                        .get_or_insert_with(|| {
                            old.iter().filter_map(|o| Some((id_of(o)?, o))).collect()
                        })
                        .get(id.as_str())
                        .copied(),
                };
                if let Some(o) = twin {
                    reorder(item, o, moved);
                }
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod head_tests {
    use super::*;
    use crate::model::IncidentSummary;

    const FIELDS: &[&str] = match <IncidentSummary as crate::store::Record>::FIELDS {
        Some(f) => f,
        None => &[],
    };

    #[test]
    fn every_field_of_a_summary_is_read() {
        let doc = "id: a\ntitle: T\nkind: outage\nseverity: SEV1\nstatus: resolved\ndrill: true\nservices: [api]\nroles: {commander: al}\nstarted_at: 2026-11-25T10:00:00Z\ndetected_at: 2026-11-25T10:00:00Z\nacknowledged_at: 2026-11-25T10:00:00Z\nmitigated_at: 2026-11-25T10:00:00Z\nresolved_at: 2026-11-25T10:00:00Z\n";
        let summary: IncidentSummary = serde_yaml::from_str(doc).unwrap();
        let json = serde_json::to_value(&summary).unwrap();
        for key in json.as_object().unwrap().keys() {
            assert!(
                FIELDS.contains(&key.as_str()),
                "`{key}` is not read by the head"
            );
        }
    }

    #[test]
    fn sections_are_cut_only_where_the_meaning_is_plain() {
        let doc = "version: 1\nid: a\ntitle: \"A: b\"\nseverity: SEV2\nstatus: resolved\nservices:\n- api\n# note\nroles:\n  commander: al\ntimeline:\n- at: x\n  text: |\n    id: fake\nresolved_at: 2026-11-25T10:00:00Z\n";
        let head = only_sections(doc, FIELDS).unwrap();
        assert_eq!(
            head,
            "id: a\ntitle: \"A: b\"\nseverity: SEV2\nstatus: resolved\nservices:\n- api\n# note\nroles:\n  commander: al\nresolved_at: 2026-11-25T10:00:00Z\n"
        );
        let whole: IncidentSummary = serde_yaml::from_str(doc).unwrap();
        let cut: IncidentSummary = serde_yaml::from_str(&head).unwrap();
        assert_eq!(whole, cut);
        for unusual in [
            "---\nid: a\n",
            "id: a\nid: b\n",
            "\"id\": a\n",
            "id: a\ntitle: \"two\n  lines\"\n",
            "id: a\nservices: [api,\n  web]\n",
            "<<: *base\nid: a\n",
            "&x id: a\n",
            "id:a\n",
            "\u{feff}id: a\n",
            "id: a\n\tb: c\n",
        ] {
            assert_eq!(only_sections(unusual, FIELDS), None, "{unusual:?}");
        }
    }

    proptest::proptest! {
        /// Whatever the text, the cut parse agrees with the whole parse whenever the whole one
        /// succeeds (the cut may only add successes where the whole text has a syntax error in a
        /// section it leaves out).
        #[test]
        fn the_head_reads_as_the_whole(
            lines in proptest::collection::vec(
                proptest::sample::select(vec![
                    "id: a", "title: T", "title: \"x: y\"", "severity: SEV1", "status: resolved",
                    "services:", "- api", "  - web", "roles:", "  commander: al", "timeline:",
                    "- at: 2026-11-25T10:00:00Z", "  text: |", "    id: z", "# c", "",
                    "resolved_at: 2026-11-25T11:00:00Z", "summary: 'it: broke'", "drill: true",
                    "title: [x", "  y]", "extra: {a: 1}", "id: b",
                ]),
                0..14,
            ),
        ) {
            let doc = lines.join("\n") + "\n";
            let whole = serde_yaml::from_str::<IncidentSummary>(&doc);
            let cut = parse_fields::<IncidentSummary>(&doc, Path::new("x.yaml"), Some(FIELDS));
            if let Ok(whole) = whole {
                proptest::prop_assert_eq!(Some(whole), cut.ok());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yaml11_hazards_are_quoted_and_read_back_unchanged() {
        let hazards = [
            "no",
            "No",
            "on",
            "OFF",
            "yes",
            "y",
            "n",
            "~",
            "=",
            "<<",
            "12:30:45",
            "1:20:30.5",
            "1_000",
            "2026-11-25",
            "2026-11-25 10:00",
            "0x1F",
            "0b101",
            "017",
            "1.5",
            ".5",
            "-.inf",
            "+1",
            "null",
            "True",
            "it's no",
        ];
        let texts = [
            "plain words",
            "2026-11-25-checkout-down",
            "v1.2.3",
            "e-1a2b",
            "10 % of requests",
            "yes please",
        ];
        for s in hazards.iter().chain(texts.iter()) {
            let mut map = std::collections::BTreeMap::new();
            map.insert(s.to_string(), vec![s.to_string()]);
            let text = to_string(&map).unwrap();
            let back: std::collections::BTreeMap<String, Vec<String>> =
                serde_yaml::from_str(&text).unwrap();
            assert_eq!(back, map, "{text}");
            let quoted = text.contains('\'');
            let hazard = yaml11_reads_as_non_string(s);
            assert_eq!(hazard, hazards.contains(s) && *s != "it's no", "{s}");
            if hazard {
                assert!(quoted && !text.contains("!str"), "{s}: {text}");
            }
        }
        assert!(!yaml11_reads_as_non_string("it's no"));
    }

    #[test]
    fn text_inside_block_scalars_is_never_touched() {
        let mut map = std::collections::BTreeMap::new();
        map.insert("a", "no");
        map.insert(
            "b",
            "first line\n!str no\nincident-quoted-key-8c1e-0: x\n- !str on",
        );
        let text = to_string(&map).unwrap();
        let back: std::collections::BTreeMap<String, String> = serde_yaml::from_str(&text).unwrap();
        assert_eq!(back.get("b").map(String::as_str), Some(map["b"]), "{text}");
        assert_eq!(back.get("a").map(String::as_str), Some("no"), "{text}");
    }

    #[test]
    fn times_stay_timestamps() {
        let mut map = std::collections::BTreeMap::new();
        map.insert("at", "2026-11-25T10:00:00Z");
        map.insert("due", "2026-12-01");
        map.insert("title", "2026-12-01");
        let text = to_string(&map).unwrap();
        assert_eq!(
            text,
            "at: 2026-11-25T10:00:00Z\ndue: 2026-12-01\ntitle: '2026-12-01'\n"
        );
    }
    use crate::model::Incident;

    const RECORD: &str = "\
version: 1
id: 2026-11-25-checkout
title: Checkout down
severity: SEV1
status: investigating
future_field:
  nested: [1, 2]
services:
- checkout
roles:
  commander: alice
timeline:
- id: e-1
  at: 2026-11-25T10:00:00Z
  by: alice
  kind: declared
  text: declared
  visibility: public
  mood: tense
";

    #[test]
    fn unknown_fields_survive_a_round_trip() {
        let inc: Incident = parse(RECORD, Path::new("x.yaml")).unwrap();
        let out = to_string(&inc).unwrap();
        assert!(
            out.contains("future_field:\n  nested:\n  - 1\n  - 2\n"),
            "{out}"
        );
        assert!(out.contains("  mood: tense\n"), "{out}");
        let again: Incident = parse(&out, Path::new("x.yaml")).unwrap();
        assert_eq!(again, inc);
        assert_eq!(to_string(&again).unwrap(), out, "rewriting is stable");
    }

    #[test]
    fn rewrites_keep_the_previous_key_order() {
        let mut inc: Incident = parse(RECORD, Path::new("x.yaml")).unwrap();
        inc.summary = Some("added".into());
        let out = to_string_like(&inc, RECORD).unwrap();
        let keys: Vec<&str> = out
            .lines()
            .filter(|l| !l.starts_with([' ', '-']))
            .map(|l| l.split(':').next().unwrap())
            .collect();
        assert_eq!(
            keys,
            [
                "version",
                "id",
                "title",
                "kind",
                "severity",
                "status",
                "future_field",
                "services",
                "summary",
                "roles",
                "timeline"
            ]
        );
    }

    #[test]
    fn errors_name_the_field_and_show_a_valid_value() {
        let cases = [
            (format!("\u{feff}{RECORD}"), "byte-order mark"),
            (
                RECORD.replace("at: 2026-11-25T10:00:00Z", "at: 2026-11-25T10:00:00"),
                "timeline[0].at: premature end of input; expected a time with its zone, like `2026-11-25T14:05:00Z`",
            ),
            (
                RECORD.replace("title: Checkout down", "title: [1, 2]"),
                "title: invalid type: sequence; expected text on one line",
            ),
            (
                RECORD.replace("severity: SEV1", "severity: [1]"),
                "severity: invalid type: sequence; expected one of SEV1, SEV2, SEV3, SEV4",
            ),
        ];
        for (text, wanted) in cases {
            let err = parse::<Incident>(&text, Path::new("incidents/2026/x.yaml"))
                .unwrap_err()
                .to_string();
            assert!(
                err.contains("incidents/2026/x.yaml") && err.contains(wanted),
                "{err}"
            );
        }
    }

    #[test]
    fn parse_errors_carry_the_line() {
        let broken = RECORD.replace("severity: SEV1", "severity: SEV9");
        let err = parse::<Incident>(&broken, Path::new("incidents/2026/x.yaml")).unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains("incidents/2026/x.yaml") && text.contains("line 4"),
            "{text}"
        );
    }

    #[test]
    fn deep_nesting_is_refused_before_parsing_naming_file_and_line() {
        let path = Path::new("incidents/2026/x.yaml");
        let flow = format!(
            "{RECORD}x: {}{}\n",
            "[".repeat(100_000),
            "]".repeat(100_000)
        );
        let err = parse::<Incident>(&flow, path).unwrap_err().to_string();
        let last = RECORD.lines().count() + 1;
        assert!(
            err.contains("incidents/2026/x.yaml") && err.contains(&format!("line {last}")),
            "{err}"
        );
        assert!(err.contains("deeper than 64"), "{err}");
        let block: String = (0..70).map(|d| format!("{}k:\n", " ".repeat(d))).collect();
        assert_eq!(too_deep(&block), Some(65));
        let dashes = format!("x:\n{}y\n", "- ".repeat(80));
        assert_eq!(too_deep(&dashes), Some(2));
        let mixed = format!("a:\n  b: {}1{}\n", "{c: ".repeat(70), "}".repeat(70));
        assert_eq!(too_deep(&mixed), Some(2));
    }

    #[test]
    fn brackets_in_text_are_not_nesting() {
        let text = format!(
            "{RECORD}notes:\n- error [500] {}\n- '{}'\n- \"{}\"\n- |\n  {}\n  more\n- plain # {}\n- [a, 'b[', \"{{\", c]\n- it's [fine\n",
            "[".repeat(100),
            "[".repeat(100),
            "{".repeat(100),
            "[".repeat(100),
            "[".repeat(100),
        );
        assert_eq!(too_deep(&text), None);
        assert_eq!(too_deep(RECORD), None);
        // Exactly the limit is fine; one more is not.
        let at = |d: usize| format!("a: {}{}\n", "[".repeat(d), "]".repeat(d));
        assert_eq!(too_deep(&at(MAX_DEPTH - 1)), None);
        assert_eq!(too_deep(&at(MAX_DEPTH)), Some(1));
    }
}
