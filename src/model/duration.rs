//! Policy durations written the way people say them: `15m`, `1h`, `1h30m`, `2d`.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::str::FromStr;

/// A whole number of seconds, read and written as `1h30m` so `.incident.yaml` stays readable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Span(pub i64);

impl Span {
    pub fn minutes(m: i64) -> Self {
        Span(m * 60)
    }

    pub fn seconds(self) -> i64 {
        self.0
    }

    pub fn to_chrono(self) -> chrono::Duration {
        chrono::Duration::try_seconds(self.0).unwrap_or(chrono::TimeDelta::MAX)
    }

    /// The span as a promise reads: `5 days`, `48 hours`, `90 minutes`.
    pub fn in_words(self) -> String {
        let plural = |n: i64, unit: &str| format!("{n} {unit}{}", if n == 1 { "" } else { "s" });
        match self.0 {
            s if s % 86_400 == 0 && s > 0 => plural(s / 86_400, "day"),
            s if s % 3_600 == 0 && s > 0 => plural(s / 3_600, "hour"),
            s => plural(s / 60, "minute"),
        }
    }

    /// The longest span anything accepts.
    pub const MAX: Span = Span(36_500 * 86_400);

    /// The longest promise a team can make about when the next update comes.
    pub const MAX_CADENCE: Span = Span(30 * 86_400);

    /// An update cadence (`--next`): from one minute to [`Span::MAX_CADENCE`].
    pub fn parse_cadence(text: &str) -> Result<Span, String> {
        let span: Span = text.parse().map_err(|e: SpanError| e.to_string())?;
        if span.0 < 60 || span > Span::MAX_CADENCE {
            return Err(format!(
                "`{text}` is out of range: the next update comes between 1m and 30d from now (example: 30m)"
            ));
        }
        Ok(span)
    }
}

impl fmt::Display for Span {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0 == 0 {
            return f.write_str("0m");
        }
        let mut rest = self.0;
        for (unit, secs) in [("d", 86_400), ("h", 3_600), ("m", 60), ("s", 1)] {
            if rest >= secs {
                write!(f, "{}{unit}", rest / secs)?;
                rest %= secs;
            }
        }
        Ok(())
    }
}

/// Why a text is not a [`Span`]: what code acts on (a span too long to mean anything but "since
/// the beginning"), and the words a person reads.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SpanError {
    #[error("invalid duration `{0}`: expected a number with a unit, like 30m, 1h, 1h30m or 2d")]
    Invalid(String),
    #[error("duration `{0}` is too long: at most 36500d (100 years)")]
    TooLong(String),
}

impl FromStr for Span {
    type Err = SpanError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || SpanError::Invalid(s.to_string());
        let text: String = s.chars().filter(|c| !c.is_whitespace()).collect();
        let text = text.to_ascii_lowercase();
        if text.is_empty() {
            return Err(bad());
        }
        let mut total: i64 = 0;
        let mut number = String::new();
        let mut chars = text.chars().peekable();
        while let Some(c) = chars.next() {
            if c.is_ascii_digit() {
                number.push(c);
                continue;
            }
            let mut unit = c.to_string();
            while let Some(&n) = chars.peek() {
                if n.is_ascii_alphabetic() {
                    unit.push(n);
                    chars.next();
                } else {
                    break;
                }
            }
            let secs = match unit.as_str() {
                "s" | "sec" | "secs" => 1,
                "m" | "min" | "mins" => 60,
                "h" | "hr" | "hrs" | "hour" | "hours" => 3_600,
                "d" | "day" | "days" => 86_400,
                "w" | "week" | "weeks" => 604_800,
                _ => return Err(bad()),
            };
            let n: i64 = number.parse().map_err(|_| bad())?;
            number.clear();
            total = n
                .checked_mul(secs)
                .and_then(|v| total.checked_add(v))
                .ok_or_else(bad)?;
        }
        if !number.is_empty() {
            return Err(bad());
        }
        // A century bounds every span a policy or flag can mean, and keeps every time computed from
        // one inside what a record can hold.
        if total > Span::MAX.0 {
            return Err(SpanError::TooLong(s.to_string()));
        }
        Ok(Span(total))
    }
}

impl Serialize for Span {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Span {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    /// Code tells a span too long from one that is no span at all by the error's kind.
    #[test]
    fn a_span_error_says_which() {
        use super::{Span, SpanError};
        assert!(matches!(
            "36501d".parse::<Span>(),
            Err(SpanError::TooLong(_))
        ));
        assert!(matches!("3x".parse::<Span>(), Err(SpanError::Invalid(_))));
        assert!(matches!("".parse::<Span>(), Err(SpanError::Invalid(_))));
        assert_eq!("36500d".parse::<Span>().unwrap(), Span::MAX);
    }

    use super::*;

    #[test]
    fn round_trips_the_policy_spellings() {
        for (text, secs) in [("15m", 900), ("1h", 3600), ("1h30m", 5400), ("2d", 172_800)] {
            let span: Span = text.parse().unwrap();
            assert_eq!(span.0, secs);
            assert_eq!(span.to_string(), text);
        }
        assert_eq!("1 h 30 min".parse::<Span>().unwrap().0, 5400);
    }

    #[test]
    fn refuses_numbers_without_units() {
        for bad in ["", "15", "m", "1x", "h1"] {
            assert!(bad.parse::<Span>().is_err(), "{bad}");
        }
    }
}
