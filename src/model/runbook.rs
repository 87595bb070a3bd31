//! Runbooks: Markdown files in the incident repo's `runbooks/` that say what to do when an incident
//! of some severity, kind or service is declared. Each is readable on GitHub and GitLab as it is:
//!
//! ```markdown
//! ---
//! title: SEV1 response
//! when:
//!   severity: [SEV1]
//!   service: [checkout, payments]
//! ---
//! # SEV1 response
//!
//! - [ ] Name an incident commander
//!   - role: commander
//!   - within: 5m of declaration
//! - [ ] Post the first status-page update
//!   - within: 15m of detection
//!   - run: `incident update ID`
//! ```
//!
//! The header says when the runbook applies (any combination of `severity`, `kind`, `service`,
//! `tag` and `status`; a missing list matches anything, and every list given must match). The steps are the
//! top-level checklist items, each with optional sub-items: `role` (who does it), `within` (a
//! deadline from detection, declaration, or reaching the runbook's severity), `run` (a command),
//! `link`, and `done when` (the change that checks it off by itself: `comms to customers`).
//! Pure: the store reads the files, this reads their text.

use super::{Incident, IncidentKind, Severity, Span};
use serde::{Deserialize, Serialize};

/// When a step's deadline starts counting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Anchor {
    /// When the incident was detected.
    Detection,
    /// When it was declared (the default).
    Declaration,
    /// When it reached the severity that made the runbook apply.
    Severity,
}

/// One step of a runbook.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Step {
    pub text: String,
    /// The role that does it (`commander`, `comms`, ...), if the runbook says.
    pub role: Option<String>,
    /// How long after `anchor` it is due.
    pub within: Option<(Span, Anchor)>,
    /// A command to run.
    pub run: Option<String>,
    pub link: Option<String>,
    /// What checks it off by itself (`done when: comms to customers`).
    pub done_when: Option<super::task::DoneWhen>,
    /// Its line in the file, for errors and links.
    pub line: usize,
}

/// Which incidents a runbook applies to; an empty list matches anything.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct When {
    #[serde(default, alias = "severities")]
    pub severity: Vec<Severity>,
    #[serde(default, alias = "kinds")]
    pub kind: Vec<IncidentKind>,
    #[serde(default, alias = "services")]
    pub service: Vec<String>,
    #[serde(default, alias = "tags")]
    pub tag: Vec<String>,
    /// The statuses it applies in: `[resolved]` for a review checklist, attached when the incident
    /// is resolved rather than cluttering the response.
    #[serde(default, alias = "statuses", skip_serializing_if = "Vec::is_empty")]
    pub status: Vec<super::Status>,
}

impl When {
    /// Whether an incident as it stands now calls for the runbook.
    pub fn matches(&self, i: &Incident) -> bool {
        (self.severity.is_empty() || self.severity.contains(&i.severity))
            && (self.kind.is_empty() || self.kind.contains(&i.kind))
            && (self.service.is_empty() || self.service.iter().any(|s| i.services.contains(s)))
            && (self.tag.is_empty() || self.tag.iter().any(|t| i.tags.contains(t)))
            && (self.status.is_empty() || self.status.contains(&i.status))
    }
}

/// A runbook as its file says it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Runbook {
    /// Its path in the incident repo (`runbooks/sev1-response.md`).
    pub path: String,
    pub title: String,
    pub when: When,
    pub steps: Vec<Step>,
}

/// The header, as YAML between the `---` lines.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Header {
    title: String,
    #[serde(default)]
    when: When,
}

/// What is wrong with a runbook file, and where.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{path}:{line}: {message}")]
pub struct RunbookError {
    pub path: String,
    pub line: usize,
    pub message: String,
}

impl Runbook {
    /// Reads a runbook from its text; `path` names the file in errors.
    pub fn parse(path: &str, text: &str) -> Result<Runbook, RunbookError> {
        let err = |line: usize, message: String| RunbookError {
            path: path.to_string(),
            line,
            message,
        };
        let lines: Vec<&str> = text.lines().collect();
        if lines.first().map(|l| l.trim_end()) != Some("---") {
            return Err(err(
                1,
                "a runbook starts with a `---` header: `title:` and `when:` (see docs/runbooks.md)"
                    .into(),
            ));
        }
        let end = lines
            .iter()
            .skip(1)
            .position(|l| l.trim_end() == "---")
            .map(|n| n + 1)
            .ok_or_else(|| err(1, "the header has no closing `---` line".into()))?;
        let header: Header = serde_yaml::from_str(&lines[1..end].join("\n"))
            .map_err(|e| err(2, format!("the header does not read: {e}")))?;
        if header.title.trim().is_empty() {
            return Err(err(2, "`title` is empty".into()));
        }
        let steps = steps(&lines, end + 1).map_err(|(line, message)| err(line, message))?;
        if steps.is_empty() {
            return Err(err(
                end + 2,
                "no steps: list them as a checklist (`- [ ] Name an incident commander`)".into(),
            ));
        }
        Ok(Runbook {
            path: path.to_string(),
            title: header.title.trim().to_string(),
            when: header.when,
            steps,
        })
    }

    /// Whether an incident as it stands now calls for this runbook.
    pub fn applies_to(&self, i: &Incident) -> bool {
        self.when.matches(i)
    }
}

/// The checklist's steps from line index `from` on; errors as (line number, message).
fn steps(lines: &[&str], from: usize) -> Result<Vec<Step>, (usize, String)> {
    let mut out: Vec<Step> = Vec::new();
    for (n, line) in lines.iter().enumerate().skip(from) {
        let number = n + 1;
        if let Some(text) = line
            .strip_prefix("- [ ] ")
            .or_else(|| line.strip_prefix("- [x] "))
            .or_else(|| line.strip_prefix("* [ ] "))
        {
            let text = text.trim();
            if text.is_empty() {
                return Err((number, "a step with no words".into()));
            }
            out.push(Step {
                text: text.to_string(),
                role: None,
                within: None,
                run: None,
                link: None,
                done_when: None,
                line: number,
            });
            continue;
        }
        let indented = line.starts_with("  ") || line.starts_with('\t');
        let item = line.trim_start().strip_prefix("- ");
        let (Some(step), true, Some(item)) = (out.last_mut(), indented, item) else {
            continue;
        };
        let Some((key, value)) = item.split_once(':') else {
            continue;
        };
        let value = value.trim();
        match key.trim() {
            "role" => step.role = Some(value.to_string()).filter(|v| !v.is_empty()),
            "within" => step.within = Some(within(value).map_err(|m| (number, m))?),
            "run" => step.run = Some(value.trim_matches('`').to_string()),
            "link" => step.link = Some(value.to_string()),
            "done when" => {
                step.done_when = Some(
                    value
                        .parse()
                        .map_err(|m| (number, format!("done when: {m}")))?,
                )
            }
            // Other notes under a step are for the reader.
            _ => {}
        }
    }
    Ok(out)
}

/// `15m`, `15m of detection`, `1h of declaration`, `30m of severity`.
fn within(text: &str) -> Result<(Span, Anchor), String> {
    let (span, anchor) = match text.split_once(" of ") {
        Some((span, anchor)) => (span, Some(anchor.trim())),
        None => (text, None),
    };
    let span: Span = span
        .trim()
        .parse()
        .map_err(|e: super::SpanError| format!("within: {e}"))?;
    let anchor = match anchor {
        None | Some("declaration") => Anchor::Declaration,
        Some("detection") => Anchor::Detection,
        Some("severity") => Anchor::Severity,
        Some(other) => {
            return Err(format!(
                "within: `{other}` is not a moment a deadline counts from; use detection, declaration or severity (`15m of detection`)"
            ));
        }
    };
    Ok((span, anchor))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Stamp;

    const SEV1: &str = "---
title: SEV1 response
when:
  severity: [SEV1, SEV2]
  service: [checkout]
---
# SEV1 response

Some words for the reader.

- [ ] Name an incident commander
  - role: commander
  - within: 5m of declaration
- [ ] Post the first status-page update
  - within: 15m of detection
  - run: `incident update ID`
  - why: customers look there first
- [ ] Brief the executives
  - within: 1h of severity
  - link: https://wiki.example.com/exec-brief
";

    fn incident(sev: Severity, services: &[&str]) -> Incident {
        let mut i = Incident::declare(
            "x".into(),
            "X".into(),
            sev,
            &Stamp {
                at: "2026-11-25T10:00:00Z".parse().unwrap(),
                by: "a".into(),
            },
        );
        i.services = services.iter().map(|s| s.to_string()).collect();
        i
    }

    #[test]
    fn a_runbook_reads_its_header_and_checklist() {
        let r = Runbook::parse("runbooks/sev1.md", SEV1).unwrap();
        assert_eq!(r.title, "SEV1 response");
        assert_eq!(r.when.severity, [Severity::Sev1, Severity::Sev2]);
        let texts: Vec<&str> = r.steps.iter().map(|s| s.text.as_str()).collect();
        assert_eq!(
            texts,
            [
                "Name an incident commander",
                "Post the first status-page update",
                "Brief the executives"
            ]
        );
        assert_eq!(r.steps[0].role.as_deref(), Some("commander"));
        assert_eq!(
            r.steps[0].within,
            Some(("5m".parse().unwrap(), Anchor::Declaration))
        );
        assert_eq!(r.steps[1].within.unwrap().1, Anchor::Detection);
        assert_eq!(r.steps[1].run.as_deref(), Some("incident update ID"));
        assert_eq!(r.steps[2].within.unwrap().1, Anchor::Severity);
        assert_eq!(
            r.steps[2].link.as_deref(),
            Some("https://wiki.example.com/exec-brief")
        );
        assert_eq!(r.steps[0].line, 11);
    }

    #[test]
    fn every_list_given_must_match_and_a_missing_one_matches_anything() {
        let r = Runbook::parse("runbooks/sev1.md", SEV1).unwrap();
        assert!(r.applies_to(&incident(Severity::Sev1, &["checkout"])));
        assert!(r.applies_to(&incident(Severity::Sev2, &["search", "checkout"])));
        assert!(!r.applies_to(&incident(Severity::Sev3, &["checkout"])));
        assert!(!r.applies_to(&incident(Severity::Sev1, &["search"])));
        let any =
            Runbook::parse("runbooks/any.md", "---\ntitle: Any\n---\n- [ ] Breathe\n").unwrap();
        assert!(any.applies_to(&incident(Severity::Sev4, &[])));
        let mut tagged = any.clone();
        tagged.when.tag = vec!["security".into()];
        let mut i = incident(Severity::Sev4, &[]);
        assert!(!tagged.applies_to(&i));
        i.tags.push("security".into());
        assert!(tagged.applies_to(&i));
    }

    #[test]
    fn a_broken_runbook_names_its_line_and_what_would_be_valid() {
        let cases = [
            ("# no header\n- [ ] x\n", 1, "`---` header"),
            ("---\ntitle: x\n- [ ] x\n", 1, "closing `---`"),
            (
                "---\ntitle: x\nwhen:\n  severity: [SEV9]\n---\n- [ ] x\n",
                2,
                "does not read",
            ),
            (
                "---\ntitle: x\nwhen:\n  colour: red\n---\n- [ ] x\n",
                2,
                "does not read",
            ),
            ("---\ntitle: x\n---\nNo steps here.\n", 4, "no steps"),
            (
                "---\ntitle: x\n---\n- [ ] a\n  - within: soon\n",
                5,
                "invalid duration",
            ),
            (
                "---\ntitle: x\n---\n- [ ] a\n  - within: 5m of lunch\n",
                5,
                "detection, declaration or severity",
            ),
        ];
        for (text, line, says) in cases {
            let e = Runbook::parse("runbooks/x.md", text).unwrap_err();
            assert_eq!(e.line, line, "{text:?}: {e}");
            assert!(e.to_string().contains(says), "{text:?}: {e}");
            assert!(e.to_string().starts_with("runbooks/x.md:"), "{e}");
        }
    }
}
