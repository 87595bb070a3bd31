//! Every YAML read and write of the project: one place that knows the format's quirks.

use super::StoreError;
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::path::Path;

/// Parses a document, naming the file and line on failure so the user can go straight to it.
pub fn parse<T: DeserializeOwned>(text: &str, path: &Path) -> Result<T, StoreError> {
    serde_yaml::from_str(text).map_err(|e| {
        let line = e.location().map(|l| l.line());
        let mut message = e.to_string();
        // The library appends its own "at line N column M"; we name the line ourselves.
        if let Some(cut) = message.find(" at line ") {
            message.truncate(cut);
        }
        StoreError::Parse {
            path: path.to_path_buf(),
            line,
            message,
        }
    })
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

/// [`to_string_like`] with the old file already parsed.
pub fn to_string_like_tree<T: Serialize>(
    value: &T,
    old: &serde_yaml::Value,
) -> Result<String, StoreError> {
    let mut new = serde_yaml::to_value(value).map_err(|e| StoreError::Serialize(e.to_string()))?;
    reorder(&mut new, old);
    to_string(&new)
}

/// Serialises with the struct's field order, so rewriting a record only changes what changed.
pub fn to_string<T: Serialize>(value: &T) -> Result<String, StoreError> {
    serde_yaml::to_string(value).map_err(|e| StoreError::Serialize(e.to_string()))
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
    reorder(&mut new, &old);
    to_string(&new)
}

/// Lays `new` out like `old`, in place. The common case (same keys in the same order, list entries
/// where they were) is one pass with no lookups and no copying; only maps whose keys moved are rebuilt.
fn reorder(new: &mut serde_yaml::Value, old: &serde_yaml::Value) {
    use serde_yaml::{Mapping, Value};
    match (new, old) {
        (Value::Mapping(new), Value::Mapping(old)) => {
            let same_order =
                new.len() == old.len() && new.keys().zip(old.keys()).all(|(a, b)| a == b);
            if same_order {
                for (value, o) in new.values_mut().zip(old.values()) {
                    reorder(value, o);
                }
                return;
            }
            {
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
                    reorder(value, o);
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
                        reorder(item, o);
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
                    reorder(item, o);
                }
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
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
    fn parse_errors_carry_the_line() {
        let broken = RECORD.replace("severity: SEV1", "severity: SEV9");
        let err = parse::<Incident>(&broken, Path::new("incidents/2026/x.yaml")).unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains("incidents/2026/x.yaml") && text.contains("line 4"),
            "{text}"
        );
    }
}
