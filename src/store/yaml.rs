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
    let new = serde_yaml::to_value(value).map_err(|e| StoreError::Serialize(e.to_string()))?;
    to_string(&reorder(new, &old))
}

fn reorder(new: serde_yaml::Value, old: &serde_yaml::Value) -> serde_yaml::Value {
    use serde_yaml::{Mapping, Value};
    match (new, old) {
        (Value::Mapping(new), Value::Mapping(old)) => {
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
            let mut new = new;
            let mut out = Mapping::new();
            for key in keys {
                if let Some(v) = new.remove(&key) {
                    let v = match old.get(&key) {
                        Some(o) => reorder(v, o),
                        None => v,
                    };
                    out.insert(key, v);
                }
            }
            Value::Mapping(out)
        }
        (Value::Sequence(new), Value::Sequence(old)) => {
            let id_of = |v: &Value| v.get("id").cloned();
            Value::Sequence(
                new.into_iter()
                    .enumerate()
                    .map(|(i, item)| {
                        let twin = match id_of(&item) {
                            Some(id) => old.iter().find(|o| id_of(o).as_ref() == Some(&id)),
                            None => old.get(i),
                        };
                        match twin {
                            Some(o) => reorder(item, o),
                            None => item,
                        }
                    })
                    .collect(),
            )
        }
        (new, _) => new,
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
