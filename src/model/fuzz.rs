//! Property tests over every parser of what people type: no input panics, and what is accepted is
//! inside the bounds a record can hold. Case counts are stated per test (`PROPTEST_CASES` overrides).

use super::*;
use chrono::{DateTime, NaiveDate, Utc};
use proptest::prelude::*;

fn now() -> DateTime<Utc> {
    "2026-11-25T14:30:45Z".parse().unwrap()
}

/// Text shaped like what people type into time and span flags, with the edges that broke before.
fn time_like() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[0-9]{0,25}[smhdwy]{0,3}( ago)?",
        "[-+]?[0-9]{1,6}-[0-9]{1,3}-[0-9]{1,3}(T[0-9]{1,2}:[0-9]{1,2}(:[0-9]{1,2})?(Z|[+-][0-9]{2}:[0-9]{2})?)?",
        "[0-9]{1,3}:[0-9]{1,3}(:[0-9]{1,3})?",
        "(now|NOW|ago| ago|[0-9]+[a-z]+ ?[0-9]*[a-z]* ago)",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3000))]

    #[test]
    fn times_never_panic_and_stay_in_range(text in time_like()) {
        if let Ok(t) = parse_time(&text, now(), &Utc) {
            prop_assert!(t >= time::earliest_time() && t <= time::latest_time(), "{text} → {t}");
        }
        let today = NaiveDate::from_ymd_opt(2026, 11, 25).unwrap();
        if let Ok(d) = parse_date(&text, today) {
            prop_assert!(d.format("%Y").to_string().len() == 4, "{text} → {d}");
        }
    }

    #[test]
    fn spans_never_panic_and_are_bounded(text in time_like()) {
        if let Ok(span) = text.parse::<Span>() {
            prop_assert!(span.seconds() >= 0 && span <= Span::MAX, "{text}");
            let _ = span.to_chrono();
            let _ = format_duration(span.to_chrono());
        }
        if let Ok(span) = Span::parse_cadence(&text) {
            prop_assert!(span <= Span::MAX_CADENCE && span.seconds() >= 60);
        }
    }

    #[test]
    fn names_and_ids_never_panic_and_never_hold_a_path(text in any::<String>()) {
        if check_record_id(&text).is_ok() {
            prop_assert!(!text.contains(['/', '\\']) && !text.contains("..") && !text.is_empty());
            prop_assert!(text.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c)));
        }
        if check_name("name", &text).is_ok() {
            prop_assert!(!text.contains(['/', '\\']) && !text.contains(".."));
            prop_assert!(!text.chars().any(char::is_control));
        }
        let _ = check_text("text", &text);
        let _ = check_line("title", &text);
        let slug = slugify(&text);
        prop_assert!(check_record_id(&format!("2026-11-25-{slug}")).is_ok(), "{slug}");
        let _ = text.parse::<Severity>();
        let _ = text.parse::<Status>();
        let _ = text.parse::<IncidentKind>();
    }
}
