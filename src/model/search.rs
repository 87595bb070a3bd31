//! "Seen this before?": past incidents ranked by how well their words match a question, with why
//! each matched. Pure: the store keeps one [`SearchDoc`] per record in its cache.

use super::{Incident, IncidentKind};
use chrono::{DateTime, Utc};
use serde::Serialize;

/// Where in a record a word was found; the weight says how much that tells.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum SearchField {
    Title,
    RootCause,
    Summary,
    Trigger,
    Resolution,
    Lesson,
    Timeline,
}

impl SearchField {
    pub const ALL: [SearchField; 7] = [
        SearchField::Title,
        SearchField::RootCause,
        SearchField::Summary,
        SearchField::Trigger,
        SearchField::Resolution,
        SearchField::Lesson,
        SearchField::Timeline,
    ];

    fn weight(self) -> u32 {
        match self {
            SearchField::Title => 6,
            SearchField::RootCause => 5,
            SearchField::Summary => 4,
            SearchField::Trigger | SearchField::Lesson => 3,
            SearchField::Resolution => 2,
            SearchField::Timeline => 1,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            SearchField::Title => "title",
            SearchField::RootCause => "root cause",
            SearchField::Summary => "summary",
            SearchField::Trigger => "trigger",
            SearchField::Resolution => "resolution",
            SearchField::Lesson => "lesson",
            SearchField::Timeline => "timeline",
        }
    }
}

/// What search reads of one incident.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchDoc {
    pub id: String,
    pub title: String,
    pub kind: IncidentKind,
    pub services: Vec<String>,
    pub drill: bool,
    pub opened_at: Option<DateTime<Utc>>,
    /// Every text worth searching, with where it is.
    pub fields: Vec<(SearchField, String)>,
}

impl SearchDoc {
    pub fn of(i: &Incident) -> SearchDoc {
        let pm = &i.postmortem;
        let mut fields = vec![(SearchField::Title, i.title.clone())];
        let mut add = |field, text: &Option<String>| {
            if let Some(text) = text.as_ref().filter(|t| !t.trim().is_empty()) {
                fields.push((field, text.clone()));
            }
        };
        add(SearchField::RootCause, &pm.root_cause);
        add(SearchField::Summary, &i.summary);
        add(SearchField::Summary, &pm.summary);
        add(SearchField::Trigger, &pm.trigger);
        add(SearchField::Resolution, &pm.resolution);
        for lesson in &pm.lessons {
            fields.push((SearchField::Lesson, lesson.clone()));
        }
        for e in i.timeline.iter().filter(|e| e.kind.is_loggable()) {
            fields.push((SearchField::Timeline, e.text.clone()));
        }
        SearchDoc {
            id: i.id.clone(),
            title: i.title.clone(),
            kind: i.kind,
            services: i.services.clone(),
            drill: i.drill,
            opened_at: i.opened_at(),
            fields,
        }
    }

    /// The first text of `field`, if the record has one.
    pub fn text(&self, field: SearchField) -> Option<&str> {
        self.fields
            .iter()
            .find(|(f, _)| *f == field)
            .map(|(_, t)| t.as_str())
    }
}

/// What to look for.
#[derive(Debug, Clone, Default)]
pub struct SearchQuery {
    pub text: String,
    pub service: Option<String>,
    pub kind: Option<IncidentKind>,
    pub since: Option<DateTime<Utc>>,
}

/// One incident that matched, best first.
#[derive(Debug, Clone, Serialize)]
pub struct Hit {
    pub id: String,
    pub title: String,
    pub score: u32,
    /// Why it matched: each word found, and where (`root cause: "…redis failover…"`).
    pub why: Vec<String>,
    pub root_cause: Option<String>,
    pub resolution: Option<String>,
}

/// Words too common to tell incidents apart.
const STOP: [&str; 24] = [
    "the", "and", "for", "with", "from", "that", "this", "was", "were", "are", "but", "not", "our",
    "has", "have", "had", "into", "all", "any", "its", "out", "off", "down", "up",
];

/// The words of a text that can tell incidents apart: lowercase, two letters or more.
pub fn words(text: &str) -> Vec<String> {
    let mut out: Vec<String> = text
        .split(|c: char| !c.is_alphanumeric())
        .map(str::to_lowercase)
        .filter(|w| w.chars().count() >= 2 && !STOP.contains(&w.as_str()))
        .collect();
    out.sort();
    out.dedup();
    out
}

/// The incidents of `docs` that match `query`, best first (then the most recent): each word of
/// the query scores the weight of the best field it is found in (as a whole word, or the start of
/// one); drills are left out.
pub fn search(docs: &[SearchDoc], query: &SearchQuery) -> Vec<Hit> {
    let wanted = words(&query.text);
    let mut hits: Vec<(Hit, Option<DateTime<Utc>>)> = docs
        .iter()
        .filter(|d| !d.drill)
        .filter(|d| {
            query
                .service
                .as_ref()
                .is_none_or(|s| d.services.contains(s))
        })
        .filter(|d| query.kind.is_none_or(|k| d.kind == k))
        .filter(|d| {
            query
                .since
                .is_none_or(|t| d.opened_at.is_some_and(|o| o >= t))
        })
        .filter_map(|d| score(d, &wanted).map(|h| (h, d.opened_at)))
        .collect();
    hits.sort_by(|(a, at), (b, bt)| b.score.cmp(&a.score).then(bt.cmp(at)).then(a.id.cmp(&b.id)));
    hits.into_iter().map(|(h, _)| h).collect()
}

/// The three past incidents most like `incident`: the same service or kind, and words of its
/// title (itself and drills left out).
pub fn similar(docs: &[SearchDoc], incident: &Incident) -> Vec<Hit> {
    let wanted = words(&incident.title);
    let mut hits: Vec<(Hit, Option<DateTime<Utc>>)> = docs
        .iter()
        .filter(|d| d.id != incident.id && !d.drill)
        .filter_map(|d| {
            let shared_service = d.services.iter().any(|s| incident.services.contains(s));
            let same_kind = d.kind == incident.kind && incident.kind != IncidentKind::Other;
            if !shared_service && !same_kind {
                return None;
            }
            let mut hit = score(d, &wanted)?;
            if shared_service {
                hit.score += 2;
                hit.why.insert(0, "same service".into());
            }
            if same_kind {
                hit.score += 2;
                hit.why.insert(0, format!("same kind ({})", d.kind));
            }
            Some((hit, d.opened_at))
        })
        .collect();
    hits.sort_by(|(a, at), (b, bt)| b.score.cmp(&a.score).then(bt.cmp(at)).then(a.id.cmp(&b.id)));
    hits.into_iter().take(3).map(|(h, _)| h).collect()
}

/// How well `doc` matches `wanted`, and why; `None` when no word is found.
fn score(doc: &SearchDoc, wanted: &[String]) -> Option<Hit> {
    let mut total = 0;
    let mut why = Vec::new();
    for word in wanted {
        let best = doc
            .fields
            .iter()
            .filter(|(_, text)| contains_word(text, word))
            .max_by_key(|(field, _)| field.weight());
        if let Some((field, text)) = best {
            total += field.weight();
            why.push(format!("{}: \"{}\"", field.label(), snippet(text, word)));
        }
    }
    (total > 0).then(|| Hit {
        id: doc.id.clone(),
        title: doc.title.clone(),
        score: total,
        why,
        root_cause: doc.text(SearchField::RootCause).map(str::to_string),
        resolution: doc.text(SearchField::Resolution).map(str::to_string),
    })
}

/// Whether `text` holds `word` as a word or the start of one (`fail` finds `failover`).
fn contains_word(text: &str, word: &str) -> bool {
    text.split(|c: char| !c.is_alphanumeric())
        .any(|w| w.to_lowercase().starts_with(word))
}

/// A few words around the first place `word` is found.
fn snippet(text: &str, word: &str) -> String {
    let words: Vec<&str> = text.split_whitespace().collect();
    let at = words
        .iter()
        .position(|w| w.to_lowercase().contains(word))
        .unwrap_or(0);
    let from = at.saturating_sub(3);
    let to = (at + 4).min(words.len());
    let mut out = words[from..to].join(" ");
    if from > 0 {
        out.insert(0, '…');
    }
    if to < words.len() {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Severity, Stamp};

    fn doc(id: &str, title: &str, root_cause: Option<&str>, services: &[&str]) -> SearchDoc {
        let mut i = Incident::declare(
            id.into(),
            title.into(),
            Severity::Sev2,
            &Stamp {
                at: format!("2026-11-{:02}T10:00:00Z", id.len() % 28 + 1)
                    .parse()
                    .unwrap(),
                by: "a".into(),
            },
        );
        i.services = services.iter().map(|s| s.to_string()).collect();
        i.postmortem.root_cause = root_cause.map(str::to_string);
        SearchDoc::of(&i)
    }

    #[test]
    fn matches_are_ranked_by_where_the_words_are_and_say_why() {
        let docs = [
            doc(
                "a",
                "Checkout errors",
                Some("Redis failover left a stale primary"),
                &["checkout"],
            ),
            doc("bb", "Redis latency", None, &["search"]),
            doc(
                "ccc",
                "Payments down",
                Some("an expired certificate"),
                &["payments"],
            ),
        ];
        let hits = search(
            &docs,
            &SearchQuery {
                text: "redis failover".into(),
                ..Default::default()
            },
        );
        let ids: Vec<&str> = hits.iter().map(|h| h.id.as_str()).collect();
        assert_eq!(ids, ["a", "bb"], "root cause twice beats the title once");
        assert_eq!(hits[0].score, 10);
        assert!(
            hits[0]
                .why
                .iter()
                .any(|w| w.starts_with("root cause: \"Redis failover")),
            "{:?}",
            hits[0].why
        );
        assert_eq!(hits[1].why, ["title: \"Redis latency\""]);
        // Filters, and a word matching the start of a longer one.
        let only = search(
            &docs,
            &SearchQuery {
                text: "cert".into(),
                service: Some("payments".into()),
                ..Default::default()
            },
        );
        assert_eq!(only.len(), 1);
        assert_eq!(
            only[0].root_cause.as_deref(),
            Some("an expired certificate")
        );
        assert!(
            search(
                &docs,
                &SearchQuery {
                    text: "the and".into(),
                    ..Default::default()
                }
            )
            .is_empty()
        );
    }

    #[test]
    fn similar_incidents_share_a_service_or_kind_and_words() {
        let docs = [
            doc(
                "a",
                "Checkout errors after deploy",
                Some("a bad config"),
                &["checkout"],
            ),
            doc("bb", "Checkout errors", None, &["search"]),
            doc("ccc", "Search slow", None, &["checkout"]),
        ];
        let mut now = Incident::declare(
            "new".into(),
            "Checkout errors again".into(),
            Severity::Sev2,
            &Stamp {
                at: "2026-11-30T10:00:00Z".parse().unwrap(),
                by: "a".into(),
            },
        );
        now.services = vec!["checkout".into()];
        let hits = similar(&docs, &now);
        let ids: Vec<&str> = hits.iter().map(|h| h.id.as_str()).collect();
        assert_eq!(
            ids,
            ["a"],
            "same service and words; another service's words alone do not count"
        );
        assert_eq!(hits[0].why[0], "same service");
    }
}
