//! Severity and lifecycle status, the two enums every command and output agrees on.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// How bad an incident is; decides who is paged and the communication deadlines.
/// Ordered so that `Sev1 < Sev2`: sorting puts the worst first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Severity {
    #[serde(rename = "SEV1")]
    Sev1,
    #[serde(rename = "SEV2")]
    Sev2,
    #[serde(rename = "SEV3")]
    Sev3,
    #[serde(rename = "SEV4")]
    Sev4,
}

impl Severity {
    pub const ALL: [Severity; 4] = [Self::Sev1, Self::Sev2, Self::Sev3, Self::Sev4];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Sev1 => "SEV1",
            Self::Sev2 => "SEV2",
            Self::Sev3 => "SEV3",
            Self::Sev4 => "SEV4",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Severity {
    type Err = String;

    /// Accepts `SEV1`, `sev1`, `Sev-1` and plain `1`: responders type this mid-outage.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let norm: String = s
            .trim()
            .to_ascii_uppercase()
            .chars()
            .filter(|c| *c != '-' && *c != ' ')
            .collect();
        let digits = norm.strip_prefix("SEV").unwrap_or(&norm);
        match digits {
            "1" => Ok(Self::Sev1),
            "2" => Ok(Self::Sev2),
            "3" => Ok(Self::Sev3),
            "4" => Ok(Self::Sev4),
            _ => Err(format!(
                "invalid severity `{s}`: expected one of SEV1, SEV2, SEV3, SEV4"
            )),
        }
    }
}

/// Where an incident is in its lifecycle. The order is the normal direction of travel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Investigating,
    Identified,
    Monitoring,
    Resolved,
}

impl Status {
    pub const ALL: [Status; 4] = [
        Self::Investigating,
        Self::Identified,
        Self::Monitoring,
        Self::Resolved,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Investigating => "investigating",
            Self::Identified => "identified",
            Self::Monitoring => "monitoring",
            Self::Resolved => "resolved",
        }
    }

    pub fn is_active(self) -> bool {
        self != Self::Resolved
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Status {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let lower = s.trim().to_ascii_lowercase();
        Self::ALL
            .into_iter()
            .find(|st| st.as_str() == lower)
            .ok_or_else(|| {
                format!(
                    "invalid status `{s}`: expected one of investigating, identified, monitoring, resolved"
                )
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn severity_parses_the_spellings_responders_type() {
        for s in ["SEV1", "sev1", "Sev-1", "1", " sev 1 "] {
            assert_eq!(s.parse::<Severity>(), Ok(Severity::Sev1), "{s}");
        }
        let err = "SEV5".parse::<Severity>().unwrap_err();
        assert!(err.contains("SEV1, SEV2, SEV3, SEV4"), "{err}");
    }

    #[test]
    fn worst_severity_sorts_first() {
        let mut v = vec![
            Severity::Sev3,
            Severity::Sev1,
            Severity::Sev4,
            Severity::Sev2,
        ];
        v.sort();
        assert_eq!(v, Severity::ALL.to_vec());
    }

    #[test]
    fn status_lists_valid_values_on_error() {
        assert_eq!("Monitoring".parse::<Status>(), Ok(Status::Monitoring));
        let err = "fixed".parse::<Status>().unwrap_err();
        assert!(err.contains("investigating, identified, monitoring, resolved"));
    }
}
