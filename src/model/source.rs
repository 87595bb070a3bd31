//! What changed in the code a service is built from, around an incident: the commits, merges and
//! deploy markers of the git repositories `.incident.yaml` names for each service (`repos:`).
//!
//! The store reads the repositories; the rules of which change belongs to the window, how they are
//! ordered and numbered, and how one is written down as a finding live here.

use super::{Incident, TimelineEvent};
use chrono::{DateTime, Utc};
use serde::Serialize;

/// What a listed change is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SourceKind {
    Commit,
    /// A commit with more than one parent: a branch or pull request landing.
    Merge,
    /// A tag that is not a deploy marker (only when a deploy pattern is configured).
    Tag,
    /// A deploy marker: a tag, or a ref matching the service's `deploys` pattern.
    Deploy,
}

impl SourceKind {
    pub fn as_str(self) -> &'static str {
        match self {
            SourceKind::Commit => "commit",
            SourceKind::Merge => "merge",
            SourceKind::Tag => "tag",
            SourceKind::Deploy => "deploy",
        }
    }
}

/// Whether a change came before the incident started or while it was open.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Phase {
    Before,
    During,
}

/// One commit, merge or marker as read from a repository, before it is placed in a listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceEntry {
    pub kind: SourceKind,
    /// When it landed: the committer's time, or a tag's own time when it has one.
    pub at: DateTime<Utc>,
    /// The short hash, or the tag or ref name.
    pub name: String,
    pub commit: String,
    pub subject: String,
    pub author: String,
}

/// A change in a listing: numbered (newest is 1) so that `--log N` can name it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SourceChange {
    pub number: usize,
    pub service: String,
    /// The repository as `.incident.yaml` names it.
    pub repo: String,
    pub kind: SourceKind,
    pub at: DateTime<Utc>,
    pub phase: Phase,
    pub name: String,
    pub commit: String,
    pub subject: String,
    pub author: String,
}

/// The stretch of time a listing covers: `before` the incident's start up to its resolution (or
/// now while it is open).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Window {
    pub from: DateTime<Utc>,
    pub started: DateTime<Utc>,
    pub until: DateTime<Utc>,
}

impl Window {
    /// The window of `incident`: from `before` its earliest known moment (impact start,
    /// detection, else the declaration) until it was resolved, or `now`.
    pub fn around(incident: &Incident, before: chrono::Duration, now: DateTime<Utc>) -> Window {
        let declared = incident.timeline.first().map(|e: &TimelineEvent| e.at);
        let started = [
            incident.times.started_at,
            incident.times.detected_at,
            declared,
        ]
        .into_iter()
        .flatten()
        .min()
        .unwrap_or(now);
        Window {
            from: started - before,
            started,
            until: incident.times.resolved_at.unwrap_or(now).max(started),
        }
    }

    /// Where `at` falls: before the start, during the incident, or outside the window.
    pub fn phase(&self, at: DateTime<Utc>) -> Option<Phase> {
        if at < self.from || at > self.until {
            None
        } else if at < self.started {
            Some(Phase::Before)
        } else {
            Some(Phase::During)
        }
    }
}

/// Whether a ref name matches a pattern in git's refspec style: `*` stands for any run of
/// characters (`refs/tags/deploy-*`, `refs/deploys/*`); a pattern without one must match whole.
pub fn ref_matches(pattern: &str, name: &str) -> bool {
    // The usual glob walk: on a mismatch after a `*`, let that star take one character more.
    let (p, n) = (pattern.as_bytes(), name.as_bytes());
    let (mut i, mut j) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while j < n.len() {
        if i < p.len() && p[i] == b'*' {
            star = Some((i, j));
            i += 1;
        } else if i < p.len() && p[i] == n[j] {
            i += 1;
            j += 1;
        } else if let Some((si, sj)) = star {
            i = si + 1;
            j = sj + 1;
            star = Some((si, sj + 1));
        } else {
            return false;
        }
    }
    p[i..].iter().all(|&c| c == b'*')
}

/// Places each service's entries in the window and numbers them newest first (ties by repository
/// and name, so the numbers are the same on every run over the same repositories).
pub fn listing(
    window: &Window,
    entries: impl IntoIterator<Item = (String, String, SourceEntry)>,
) -> Vec<SourceChange> {
    let mut changes: Vec<SourceChange> = entries
        .into_iter()
        .filter_map(|(service, repo, e)| {
            Some(SourceChange {
                number: 0,
                phase: window.phase(e.at)?,
                service,
                repo,
                kind: e.kind,
                at: e.at,
                name: e.name,
                commit: e.commit,
                subject: e.subject,
                author: e.author,
            })
        })
        .collect();
    changes.sort_by(|a, b| {
        b.at.cmp(&a.at)
            .then_with(|| a.repo.cmp(&b.repo))
            .then_with(|| a.name.cmp(&b.name))
            .then_with(|| a.service.cmp(&b.service))
    });
    for (i, c) in changes.iter_mut().enumerate() {
        c.number = i + 1;
    }
    changes
}

/// The words a change goes on the timeline with (`incident changes ID --log N`): what, where,
/// whose and when, so the finding reads on its own in the post-mortem.
pub fn finding(change: &SourceChange) -> String {
    let phase = match change.phase {
        Phase::Before => "before the incident",
        Phase::During => "during the incident",
    };
    let what = match change.kind {
        SourceKind::Commit | SourceKind::Merge => {
            format!("{} {}", change.kind.as_str(), change.name)
        }
        SourceKind::Tag | SourceKind::Deploy => format!(
            "{} {} ({})",
            change.kind.as_str(),
            change.name,
            &change.commit[..change.commit.len().min(12)]
        ),
    };
    format!(
        "changed {phase}: {what} in {} (service {}) at {}, \"{}\" by {}",
        change.repo,
        change.service,
        change.at.format("%Y-%m-%d %H:%M UTC"),
        super::make_visible(&change.subject),
        super::make_visible(&change.author)
    )
}

/// Whether a configured repository is a remote to fetch (a URL, or git's `host:path`), rather than
/// a folder on this machine.
pub fn is_remote(spec: &str) -> bool {
    if spec.contains("://") {
        return true;
    }
    // git's scp-like syntax `[user@]host:path`: a colon before any slash, and not a drive letter.
    match spec.split_once(':') {
        Some((host, _)) => !host.is_empty() && !host.contains('/') && host.len() > 1,
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(h: u32, m: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 6, h, m, 0).unwrap()
    }

    fn entry(name: &str, t: DateTime<Utc>) -> SourceEntry {
        SourceEntry {
            kind: SourceKind::Commit,
            at: t,
            name: name.into(),
            commit: format!("{name}0000000000"),
            subject: format!("subject of {name}"),
            author: "ana".into(),
        }
    }

    fn window() -> Window {
        Window {
            from: at(8, 0),
            started: at(10, 0),
            until: at(11, 0),
        }
    }

    #[test]
    fn the_window_starts_before_the_earliest_known_moment_and_ends_at_resolution() {
        let mut incident = Incident::declare(
            "x".into(),
            "X".into(),
            crate::model::Severity::Sev2,
            &crate::model::Stamp {
                at: at(10, 0),
                by: "a".into(),
            },
        );
        incident.times.started_at = Some(at(9, 30));
        incident.times.detected_at = Some(at(9, 45));
        incident.times.resolved_at = Some(at(12, 0));
        let w = Window::around(&incident, chrono::Duration::hours(2), at(15, 0));
        assert_eq!(
            (w.from, w.started, w.until),
            (at(7, 30), at(9, 30), at(12, 0))
        );
        incident.times.resolved_at = None;
        let w = Window::around(&incident, chrono::Duration::hours(1), at(15, 0));
        assert_eq!((w.from, w.until), (at(8, 30), at(15, 0)));
    }

    #[test]
    fn phases_have_inclusive_edges() {
        let w = window();
        assert_eq!(w.phase(at(7, 59)), None);
        assert_eq!(w.phase(at(8, 0)), Some(Phase::Before));
        assert_eq!(w.phase(at(9, 59)), Some(Phase::Before));
        assert_eq!(w.phase(at(10, 0)), Some(Phase::During));
        assert_eq!(w.phase(at(11, 0)), Some(Phase::During));
        assert_eq!(w.phase(at(11, 1)), None);
    }

    #[test]
    fn listings_are_newest_first_numbered_from_one_and_leave_out_what_is_outside() {
        let entries = vec![
            ("api".into(), "b".into(), entry("old", at(7, 0))),
            ("api".into(), "b".into(), entry("x", at(9, 0))),
            ("api".into(), "a".into(), entry("y", at(9, 0))),
            ("api".into(), "a".into(), entry("new", at(10, 30))),
            ("api".into(), "a".into(), entry("late", at(11, 30))),
        ];
        let list = listing(&window(), entries);
        let names: Vec<_> = list
            .iter()
            .map(|c| (c.number, c.name.as_str(), c.phase))
            .collect();
        assert_eq!(
            names,
            vec![
                (1, "new", Phase::During),
                (2, "y", Phase::Before),
                (3, "x", Phase::Before)
            ]
        );
    }

    #[test]
    fn ref_patterns_match_as_git_refspecs_do() {
        assert!(ref_matches("refs/tags/*", "refs/tags/v1.2"));
        assert!(ref_matches(
            "refs/tags/deploy-*",
            "refs/tags/deploy-2026-12-06"
        ));
        assert!(!ref_matches("refs/tags/deploy-*", "refs/tags/v1.2"));
        assert!(ref_matches("refs/deploys/*/prod", "refs/deploys/42/prod"));
        assert!(!ref_matches(
            "refs/deploys/*/prod",
            "refs/deploys/42/staging"
        ));
        assert!(ref_matches("refs/heads/release", "refs/heads/release"));
        assert!(!ref_matches("refs/heads/release", "refs/heads/release-2"));
        assert!(!ref_matches("refs/tags/a*a", "refs/tags/a"));
        assert!(ref_matches("refs/*/x*y", "refs/t/xzy"));
    }

    #[test]
    fn remotes_are_urls_or_scp_like_and_folders_are_not() {
        assert!(is_remote("https://git.acme.example/checkout.git"));
        assert!(is_remote("ssh://git@host/x.git"));
        assert!(is_remote("git@github.com:acme/checkout.git"));
        assert!(!is_remote("../checkout"));
        assert!(!is_remote("/srv/git/checkout"));
        assert!(!is_remote("C:\\src\\checkout"));
        assert!(!is_remote("./a:b/c"));
    }

    #[test]
    fn a_finding_names_what_where_whose_and_when() {
        let mut c = listing(
            &window(),
            vec![("api".into(), "../api".into(), entry("abc1234", at(9, 5)))],
        )
        .remove(0);
        assert_eq!(
            finding(&c),
            "changed before the incident: commit abc1234 in ../api (service api) at 2026-12-06 09:05 UTC, \"subject of abc1234\" by ana"
        );
        c.kind = SourceKind::Deploy;
        c.name = "deploy-42".into();
        c.phase = Phase::During;
        assert!(
            finding(&c).starts_with(
                "changed during the incident: deploy deploy-42 (abc123400000) in ../api"
            )
        );
    }
}
