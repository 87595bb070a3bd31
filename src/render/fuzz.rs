//! Property tests over what the renderer is handed from outside: templates a repo may hold (built
//! from the syntax's pieces at random), and record text placed in Markdown and XML. No input panics
//! or runs past two seconds; a template error names the template; escaped text never makes
//! structure.

use super::{Renderer, escape_markdown, escape_markup};
use crate::model::Config;
use proptest::prelude::*;
use std::time::{Duration, Instant};

/// Far past what any case here needs, far short of a runaway loop's appetite (the real budget,
/// 100 million, takes about two seconds in a release build and many more in a test build).
const TEST_FUEL: u64 = 2_000_000;

/// Far past what any case here renders legitimately; a loop repeating a long string reaches it in
/// milliseconds rather than building the real limit's 64 MB (seconds in a test build on a busy
/// machine).
const TEST_MAX_OUTPUT: usize = 1 << 20;

/// A template assembled from the pieces of minijinja's syntax, balanced or not.
fn template() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("{% for x in range(100000) %}".to_string()),
        Just("{% for y in items %}".to_string()),
        Just("{% endfor %}".to_string()),
        Just("{% if v %}".to_string()),
        Just("{% else %}".to_string()),
        Just("{% endif %}".to_string()),
        Just("{{ v }}".to_string()),
        Just("{{ v | markdown }}".to_string()),
        Just("{{ v | sentence }}".to_string()),
        Just("{{ v * 1000 }}".to_string()),
        Just("{{ x }}".to_string()),
        Just("{{ missing }}".to_string()),
        Just("{% include 'status.md' %}".to_string()),
        Just("{% include '../../etc/passwd' %}".to_string()),
        Just("{% set v = v ~ v %}".to_string()),
        Just("{% macro m() %}{{ m() }}{% endmacro %}{{ m() }}".to_string()),
        "[a-z {}%#\n]{0,12}",
    ];
    prop::collection::vec(piece, 0..10).prop_map(|p| p.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn any_template_renders_or_fails_naming_itself_within_two_seconds(
        source in template(),
        v in "[a-z<>&#\\[\\]|\n ]{0,20}",
    ) {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("templates")).unwrap();
        std::fs::write(dir.path().join("templates/mine.md.j2"), &source).unwrap();
        let renderer = Renderer::new(Some(dir.path()), &Config::new("x"))
            .with_fuel(TEST_FUEL)
            .with_max_output(TEST_MAX_OUTPUT);
        let ctx = minijinja::context! { v => v, items => vec![1, 2, 3] };
        let start = Instant::now();
        let result = renderer.render("mine.md", &ctx);
        prop_assert!(start.elapsed() < Duration::from_secs(2), "{source:?} took {:?}", start.elapsed());
        if let Ok(out) = &result {
            prop_assert!(out.len() <= TEST_MAX_OUTPUT, "{source:?} rendered {} bytes", out.len());
        }
        if let Err(e) = result {
            let message = e.to_string();
            prop_assert!(message.contains("mine.md") || message.contains("status.md"), "{message}");
        }
    }

    #[test]
    fn escaped_text_is_only_text_to_a_markdown_reader(
        text in prop_oneof![any::<String>(), "[-#*_~`>|<=\\[\\]():!+ \n\t0-9a-z.]{0,40}"],
    ) {
        use pulldown_cmark::{Event, Options, Parser, Tag};
        let escaped = escape_markdown(&text);
        // GitHub's flavour: tables, footnotes, strikethrough, task lists.
        let gfm = Options::ENABLE_TABLES
            | Options::ENABLE_FOOTNOTES
            | Options::ENABLE_STRIKETHROUGH
            | Options::ENABLE_TASKLISTS;
        for event in Parser::new_ext(&escaped, gfm) {
            let plain = matches!(
                event,
                Event::Start(Tag::Paragraph | Tag::Emphasis | Tag::Strong | Tag::Strikethrough)
                    | Event::End(_)
                    | Event::Text(_)
                    | Event::SoftBreak
                    | Event::HardBreak
            );
            prop_assert!(plain, "{text:?} made {event:?} as {escaped:?}");
        }
    }

    #[test]
    fn escaped_text_is_well_formed_xml_with_no_forbidden_character(text in any::<String>()) {
        let escaped = crate::model::make_visible(&escape_markup(&text)).into_owned();
        let doc = format!("<entry><title>{escaped}</title></entry>");
        let mut reader = quick_xml::Reader::from_str(&doc);
        loop {
            match reader.read_event() {
                Ok(quick_xml::events::Event::Eof) => break,
                Ok(_) => {}
                Err(e) => prop_assert!(false, "{text:?}: {e}"),
            }
        }
        let forbidden = |c: char| {
            (c < ' ' && !matches!(c, '\t' | '\n' | '\r')) || matches!(c, '\u{FFFE}' | '\u{FFFF}')
        };
        prop_assert!(!doc.chars().any(forbidden), "{doc:?}");
    }
}
