//! The times responders type (`14:05`, `15m ago`, RFC 3339) and the durations documents show.

use super::{ModelError, Span};
use chrono::{DateTime, Duration, NaiveDate, NaiveTime, TimeZone, Utc};

/// The earliest time a record may hold: nothing an incident tool records predates 1970.
pub fn earliest_time() -> DateTime<Utc> {
    DateTime::UNIX_EPOCH
}

/// The latest: the end of year 9999, the last that RFC 3339 and every YAML reader can write.
pub fn latest_time() -> DateTime<Utc> {
    "9999-12-31T23:59:59Z"
        .parse()
        .unwrap_or(DateTime::<Utc>::MAX_UTC)
}

/// Parses a TIME argument against `now`, reading wall-clock forms (`HH:MM`) in `tz`.
///
/// `HH:MM` means the most recent such moment: typed at 00:10, `23:50` is yesterday evening, which is
/// what a responder backfilling an event means. Results are truncated to whole seconds so that stored
/// records never carry sub-second noise.
pub fn parse_time<Tz: TimeZone>(
    input: &str,
    now: DateTime<Utc>,
    tz: &Tz,
) -> Result<DateTime<Utc>, ModelError> {
    let at = parse_any_time(input, now, tz)?;
    if at < earliest_time() || at > latest_time() {
        return Err(ModelError::Invalid(format!(
            "time `{input}` is out of range: times lie between 1970 and 9999 (example: 2026-11-25T14:05:00Z or `15m ago`)"
        )));
    }
    Ok(at)
}

fn parse_any_time<Tz: TimeZone>(
    input: &str,
    now: DateTime<Utc>,
    tz: &Tz,
) -> Result<DateTime<Utc>, ModelError> {
    let text = input.trim();
    let bad = || {
        ModelError::Invalid(format!(
            "invalid time `{input}`: expected RFC 3339 with a zone (2026-11-25T14:05:00Z), HH:MM (today, local time), `now` or a relative time like `15m ago`"
        ))
    };
    if text.eq_ignore_ascii_case("now") {
        return Ok(truncate(now));
    }
    if let Some(rel) = text.strip_suffix("ago").map(str::trim) {
        let span: Span = rel.parse().map_err(|_| bad())?;
        let back = Duration::try_seconds(span.seconds())
            .and_then(|d| now.checked_sub_signed(d))
            .ok_or_else(|| {
                ModelError::Invalid(format!(
                    "time `{input}` is out of range: times lie between 1970 and 9999 (example: `15m ago`)"
                ))
            })?;
        return Ok(truncate(back));
    }
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Ok(truncate(t.with_timezone(&Utc)));
    }
    for fmt in ["%H:%M", "%H:%M:%S"] {
        if let Ok(wall) = NaiveTime::parse_from_str(text, fmt) {
            let local_now = now.with_timezone(tz);
            let mut day = local_now.date_naive();
            for _ in 0..2 {
                let candidate = tz
                    .from_local_datetime(&day.and_time(wall))
                    .earliest()
                    .ok_or_else(bad)?
                    .with_timezone(&Utc);
                if candidate <= now {
                    return Ok(truncate(candidate));
                }
                day = day.pred_opt().ok_or_else(bad)?;
            }
        }
    }
    Err(bad())
}

/// Parses a TIME that may lie ahead (a maintenance window): RFC 3339, `YYYY-MM-DD HH:MM` in `tz`,
/// `HH:MM` (the next such moment), `in 2h`, `now`, or anything [`parse_time`] reads.
pub fn parse_planned_time<Tz: TimeZone>(
    input: &str,
    now: DateTime<Utc>,
    tz: &Tz,
) -> Result<DateTime<Utc>, ModelError> {
    let text = input.trim();
    let out_of_range = || {
        ModelError::Invalid(format!(
            "time `{input}` is out of range: times lie between 1970 and 9999"
        ))
    };
    let at = if let Some(rel) = text.strip_prefix("in ").map(str::trim) {
        let span: Span = rel
            .parse()
            .map_err(|e: super::SpanError| ModelError::Invalid(e.to_string()))?;
        Duration::try_seconds(span.seconds())
            .and_then(|d| now.checked_add_signed(d))
            .ok_or_else(out_of_range)?
    } else if let Ok(local) = chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M")
        .or_else(|_| chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M"))
    {
        tz.from_local_datetime(&local)
            .earliest()
            .ok_or_else(|| {
                ModelError::Invalid(format!("`{input}` does not exist in the local time zone"))
            })?
            .with_timezone(&Utc)
    } else if let Ok(wall) = NaiveTime::parse_from_str(text, "%H:%M") {
        let local_now = now.with_timezone(tz);
        let mut day = local_now.date_naive();
        loop {
            let candidate = tz
                .from_local_datetime(&day.and_time(wall))
                .earliest()
                .map(|t| t.with_timezone(&Utc));
            match candidate {
                Some(t) if t > now => break t,
                _ => day = day.succ_opt().ok_or_else(out_of_range)?,
            }
        }
    } else {
        return parse_time(input, now, tz).map_err(|e| match e {
            ModelError::Invalid(_) => ModelError::Invalid(format!(
                "invalid time `{input}`: expected RFC 3339 (2026-11-30T02:00:00Z), `YYYY-MM-DD HH:MM` (local time), HH:MM (the next one), `in 2h` or `now`"
            )),
            other => other,
        });
    };
    if at < earliest_time() || at > latest_time() {
        return Err(out_of_range());
    }
    Ok(truncate(at))
}

/// Parses a due date: `YYYY-MM-DD`, or a span from `today` such as `7d` or `2w`.
pub fn parse_date(input: &str, today: NaiveDate) -> Result<NaiveDate, ModelError> {
    let text = input.trim();
    let out_of_range = || {
        ModelError::Invalid(format!(
            "date `{input}` is out of range: dates lie between 1970-01-01 and 9999-12-31"
        ))
    };
    let in_range = |d: NaiveDate| {
        (d >= earliest_time().date_naive() && d <= latest_time().date_naive())
            .then_some(d)
            .ok_or_else(out_of_range)
    };
    if let Ok(date) = NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        return in_range(date);
    }
    if let Ok(span) = text.trim_start_matches('+').parse::<Span>() {
        let date = Duration::try_days(span.seconds().div_euclid(86_400))
            .and_then(|d| today.checked_add_signed(d))
            .ok_or_else(out_of_range)?;
        return in_range(date);
    }
    Err(ModelError::Invalid(format!(
        "invalid date `{input}`: expected YYYY-MM-DD (2026-12-01) or a span from today like 7d or 2w"
    )))
}

#[cfg(test)]
mod planned_tests {
    use super::*;

    #[test]
    fn planned_times_look_ahead() {
        let now: DateTime<Utc> = "2026-11-25T10:00:00Z".parse().unwrap();
        let p = |s: &str| parse_planned_time(s, now, &Utc).map(|t| t.to_rfc3339());
        assert_eq!(p("in 2h").unwrap(), "2026-11-25T12:00:00+00:00");
        assert_eq!(p("09:00").unwrap(), "2026-11-26T09:00:00+00:00");
        assert_eq!(p("11:00").unwrap(), "2026-11-25T11:00:00+00:00");
        assert_eq!(p("2026-11-30 02:00").unwrap(), "2026-11-30T02:00:00+00:00");
        assert!(p("tomorrowish").unwrap_err().to_string().contains("in 2h"));
    }
}

fn truncate(t: DateTime<Utc>) -> DateTime<Utc> {
    DateTime::from_timestamp(t.timestamp(), 0).unwrap_or(t)
}

/// A duration the way a post-mortem reads it: `1 h 12 min`, `45 s`, `2 d 3 h`.
pub fn format_duration(d: Duration) -> String {
    use std::fmt::Write as _;
    let secs = d.num_seconds();
    let mut text = String::with_capacity(16);
    if secs < 0 {
        text.push('-');
    }
    let secs = secs.abs();
    let (days, hours, mins, s) = (
        secs / 86_400,
        secs % 86_400 / 3_600,
        secs % 3_600 / 60,
        secs % 60,
    );
    // Writing to a string cannot fail.
    let _ = if days > 0 && hours > 0 {
        write!(text, "{days} d {hours} h")
    } else if days > 0 {
        write!(text, "{days} d")
    } else if hours > 0 && mins > 0 {
        write!(text, "{hours} h {mins} min")
    } else if hours > 0 {
        write!(text, "{hours} h")
    } else if mins > 0 {
        write!(text, "{mins} min")
    } else {
        write!(text, "{s} s")
    };
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::FixedOffset;

    fn now() -> DateTime<Utc> {
        "2026-11-25T14:30:45Z".parse().unwrap()
    }

    #[test]
    fn relative_times_count_back_from_now() {
        assert_eq!(
            parse_time("15m ago", now(), &Utc).unwrap(),
            "2026-11-25T14:15:45Z".parse::<DateTime<Utc>>().unwrap()
        );
        assert_eq!(
            parse_time("2h ago", now(), &Utc).unwrap(),
            "2026-11-25T12:30:45Z".parse::<DateTime<Utc>>().unwrap()
        );
        assert_eq!(parse_time("now", now(), &Utc).unwrap(), now());
    }

    #[test]
    fn wall_clock_is_local_and_never_in_the_future() {
        let cet = FixedOffset::east_opt(3600).unwrap();
        // 14:30 UTC is 15:30 in CET, so 15:05 CET is 14:05 UTC today.
        assert_eq!(
            parse_time("15:05", now(), &cet).unwrap(),
            "2026-11-25T14:05:00Z".parse::<DateTime<Utc>>().unwrap()
        );
        // 16:00 CET has not happened yet today: it means yesterday.
        assert_eq!(
            parse_time("16:00", now(), &cet).unwrap(),
            "2026-11-24T15:00:00Z".parse::<DateTime<Utc>>().unwrap()
        );
    }

    #[test]
    fn rfc3339_is_stored_in_utc_without_fractions() {
        let t = parse_time("2026-11-25T15:00:00.250+01:00", now(), &Utc).unwrap();
        assert_eq!(t.to_rfc3339(), "2026-11-25T14:00:00+00:00");
    }

    #[test]
    fn garbage_names_the_accepted_forms() {
        let err = parse_time("yesterday-ish", now(), &Utc)
            .unwrap_err()
            .to_string();
        assert!(err.contains("RFC 3339") && err.contains("15m ago"), "{err}");
    }

    #[test]
    fn due_dates_are_iso_or_a_span_from_today() {
        let today = NaiveDate::from_ymd_opt(2026, 11, 25).unwrap();
        assert_eq!(
            parse_date("2026-12-01", today).unwrap().to_string(),
            "2026-12-01"
        );
        assert_eq!(parse_date("7d", today).unwrap().to_string(), "2026-12-02");
        assert_eq!(parse_date("+2w", today).unwrap().to_string(), "2026-12-09");
        assert!(
            parse_date("soon", today)
                .unwrap_err()
                .to_string()
                .contains("YYYY-MM-DD")
        );
    }

    #[test]
    fn durations_read_like_a_report() {
        assert_eq!(format_duration(Duration::seconds(4320)), "1 h 12 min");
        assert_eq!(format_duration(Duration::seconds(45)), "45 s");
        assert_eq!(
            format_duration(Duration::seconds(3 * 86_400 + 7200)),
            "3 d 2 h"
        );
        assert_eq!(format_duration(Duration::minutes(30)), "30 min");
    }
}
