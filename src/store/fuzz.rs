//! Property tests over what the store reads from outside: record files (valid ones damaged at
//! random), the three inputs of the merge driver, and incident IDs typed as queries. No input panics;
//! whatever is written reads back as it was, in this reader and by YAML 1.1's rules.

use super::yaml;
use crate::model::{Incident, merge::merge};
use proptest::prelude::*;
use std::collections::BTreeMap;
use std::path::Path;

const RECORD: &str = "\
version: 1
id: 2026-11-25-checkout
title: Checkout down
severity: SEV1
status: monitoring
services:
- checkout
roles:
  commander: alice
detected_at: 2026-11-25T10:00:00Z
mitigated_at: 2026-11-25T10:30:00Z
timeline:
- id: e-1
  at: 2026-11-25T10:00:00Z
  by: alice
  kind: declared
  text: 'declared SEV1: Checkout down'
  visibility: public
- id: e-2
  at: 2026-11-25T10:30:00Z
  by: bob
  kind: status
  text: |-
    status identified → monitoring
    second line
  visibility: internal
updates: []
actions:
- number: 1
  title: Add a canary
  owner: bob
  due: 2026-12-01
";

/// A valid record damaged by a few edits with the characters YAML cares about.
fn damaged_record() -> impl Strategy<Value = String> {
    damaged(RECORD.to_string())
}

/// Strings that stress the emitter: YAML 1.1 specials, indicators, the emitter's own markers.
fn tricky_text() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "(no|on|off|yes|y|n|~|=|<<|null|true|[0-9]{1,4}(:[0-9]{2}){0,2}|[0-9_]{1,6}|2026-1[0-2]-[0-9]{2}|0x[0-9a-f]{1,3}|\\.inf|[-+]?[0-9]*\\.[0-9]*(e[-+]?[0-9])?)",
        "(!str |incident-quoted-key-8c1e-[0-9]|- |: |#|'|\"|\\n|\\t| |[a-z]){0,8}",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn damaged_records_never_panic_and_errors_name_the_file(text in damaged_record()) {
        let path = Path::new("incidents/2026/2026-11-25-checkout.yaml");
        match yaml::parse::<Incident>(&text, path) {
            Ok(incident) => {
                // What parses also rewrites, and the rewrite parses to the same record.
                let out = yaml::to_string_like(&incident, &text).unwrap();
                let again: Incident = yaml::parse(&out, path).unwrap();
                prop_assert_eq!(again, incident);
            }
            Err(e) => prop_assert!(e.to_string().contains("2026-11-25-checkout.yaml")),
        }
    }

    #[test]
    fn every_string_round_trips_through_the_emitter(
        entries in prop::collection::btree_map(tricky_text(), prop::collection::vec(tricky_text(), 0..3), 0..4),
        at in tricky_text(),
    ) {
        let mut doc: BTreeMap<String, serde_yaml::Value> = entries
            .iter()
            .map(|(k, v)| (k.clone(), serde_yaml::to_value(v).unwrap()))
            .collect();
        // A value with a line break is written as a block scalar, whose lines are text.
        let at_is_block = at.contains('\n');
        doc.insert("resolved_at".into(), serde_yaml::Value::String(at));
        let text = yaml::to_string(&doc).unwrap();
        let back: BTreeMap<String, serde_yaml::Value> =
            yaml::parse(&text, Path::new("x.yaml")).unwrap();
        prop_assert_eq!(&back, &doc, "{}", text);
        // No plain scalar that YAML 1.1 would read as something else (checked where no block
        // scalar's text could look like one).
        let has_blocks = at_is_block || entries.iter().any(|(k, v)| k.contains('\n') || v.iter().any(|s| s.contains('\n')));
        for (k, v) in entries.iter().filter(|_| !has_blocks) {
            for s in std::iter::once(k).chain(v.iter()) {
                if yaml::yaml11_reads_as_non_string(s) && !s.contains('\n') {
                    // Whole scalars only: `- n` inside a longer plain line is not the scalar `n`.
                    for line in text.lines() {
                        let scalar = line.trim_start().trim_start_matches("- ");
                        let plain_key = scalar.strip_prefix(s.as_str()).is_some_and(|r| r == ":" || r.starts_with(": "));
                        prop_assert!(!plain_key && scalar != s, "{}", text);
                    }
                }
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(500))]

    #[test]
    fn the_merge_driver_never_panics_on_any_three_inputs(
        base in damaged_record(), ours in damaged_record(), theirs in damaged_record(),
    ) {
        let path = Path::new("incidents/2026/2026-11-25-checkout.yaml");
        let parsed: Vec<Option<Incident>> = [&base, &ours, &theirs]
            .iter()
            .map(|t| super::parse_incident(t, path).ok())
            .collect();
        if let (Some(o), Some(t)) = (&parsed[1], &parsed[2])
            && let Ok(merged) = merge(parsed[0].as_ref(), o, t)
        {
            // Every entry of either side survives.
            for e in o.timeline.iter().chain(&t.timeline) {
                prop_assert!(merged.timeline.iter().any(|m| m.id == e.id));
            }
            let text = yaml::to_string_like(&merged, &ours).unwrap();
            prop_assert!(yaml::parse::<Incident>(&text, path).is_ok());
        }
    }

    #[test]
    fn any_query_resolves_or_fails_cleanly(query in any::<String>()) {
        let ids: Vec<String> = ["2026-11-20-db-latency", "2026-11-25-checkout-down", "2026-11-25-checkout-slow"]
            .map(String::from)
            .to_vec();
        if let Ok(id) = super::resolve_among(&ids, &query) {
            prop_assert!(ids.contains(&id));
        }
    }
}

/// `.incident.yaml` as `init` writes it, with a catalog and a notify target.
fn config_text() -> String {
    let mut config = crate::model::Config::new("Acme");
    config.services.push(crate::model::Service {
        id: "checkout".into(),
        name: Some("Checkout".into()),
        ..Default::default()
    });
    yaml::to_string(&config).unwrap()
}

/// `text` damaged by a few edits (insert, delete, replace) with the characters YAML cares about.
fn damaged(text: String) -> impl Strategy<Value = String> {
    let edit = (
        any::<prop::sample::Index>(),
        0u8..3,
        "[ :\\-\\[\\]{}#&*!|>'\"%@`\\n\\t,?0-9a-zA-Z~./\\u{feff}\\u{0}]{0,4}",
    );
    prop::collection::vec(edit, 1..6).prop_map(move |edits| {
        let mut chars: Vec<char> = text.chars().collect();
        for (at, op, with) in edits {
            let i = at.index(chars.len().max(1));
            match op {
                0 => {
                    chars.splice(i..i, with.chars());
                }
                1 => {
                    let end = (i + with.chars().count().max(1)).min(chars.len());
                    chars.drain(i..end);
                }
                _ => {
                    let end = (i + with.chars().count()).min(chars.len());
                    chars.splice(i..end, with.chars());
                }
            }
        }
        chars.into_iter().collect()
    })
}

/// Nesting of every kind YAML has, to a random depth: flow, block mappings, block sequences,
/// dashes on one line, mixed.
fn nested() -> impl Strategy<Value = (String, usize)> {
    (0usize..200, 0u8..4).prop_map(|(depth, kind)| {
        let text = match kind {
            0 => format!("x: {}{}\n", "[".repeat(depth), "]".repeat(depth)),
            1 => {
                (0..depth)
                    .map(|d| format!("{}k:\n", " ".repeat(d)))
                    .collect::<String>()
                    + &" ".repeat(depth)
                    + "k: 1\n"
            }
            2 => format!("x:\n{}y\n", "- ".repeat(depth.max(1))),
            _ => format!(
                "x: {}1{}\n",
                "{a: [".repeat(depth / 2),
                "]}".repeat(depth / 2)
            ),
        };
        (text, depth)
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(500))]

    #[test]
    fn a_damaged_policy_never_panics_and_errors_name_the_file(text in damaged(config_text())) {
        match yaml::parse::<crate::model::Config>(&text, Path::new(".incident.yaml")) {
            Ok(config) => {
                let out = yaml::to_string(&config).unwrap();
                let again: crate::model::Config = yaml::parse(&out, Path::new(".incident.yaml")).unwrap();
                prop_assert_eq!(again, config);
            }
            Err(e) => prop_assert!(e.to_string().contains(".incident.yaml"), "{e}"),
        }
    }

    #[test]
    fn nesting_of_any_depth_is_read_or_refused_at_once((text, depth) in nested()) {
        let start = std::time::Instant::now();
        let parsed = yaml::parse::<serde_yaml::Value>(&text, Path::new("incidents/2026/x.yaml"));
        prop_assert!(start.elapsed() < std::time::Duration::from_secs(2));
        if let Err(e) = &parsed {
            prop_assert!(e.to_string().contains("incidents/2026/x.yaml"), "{e}");
        }
        if depth > yaml::MAX_DEPTH {
            prop_assert!(parsed.is_err(), "depth {depth} was read");
        }
        if depth + 2 < yaml::MAX_DEPTH {
            prop_assert!(parsed.is_ok(), "depth {depth} refused: {parsed:?}");
        }
    }
}
