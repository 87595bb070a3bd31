//! Correcting the record: the fields a person may fix after the fact (`incident edit`), each change
//! recorded on the timeline as `field: old → new`, so the audit trail shows what was corrected.
//! The ID never changes: it is the file name and what every clone and link knows the incident by.

use super::{
    Impact, Incident, IncidentKind, ModelError, Stamp, TimelineEvent, Visibility, check_line,
    check_name, check_record_id, check_text,
};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// The editable part of a record, as `incident edit` opens it in `$EDITOR`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Editable {
    pub title: String,
    #[serde(default)]
    pub summary: Option<String>,
    #[serde(default)]
    pub kind: IncidentKind,
    #[serde(default)]
    pub services: Vec<String>,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub related: Vec<String>,
    #[serde(default)]
    pub users_affected: Option<u64>,
    #[serde(default)]
    pub customers_affected: Option<u64>,
    #[serde(default)]
    pub revenue_at_risk: Option<String>,
    /// Impact in words, beyond the numbers.
    #[serde(default)]
    pub impact: Option<String>,
    #[serde(default)]
    pub started_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub detected_at: Option<DateTime<Utc>>,
}

impl Editable {
    pub fn of(i: &Incident) -> Editable {
        Editable {
            title: i.title.clone(),
            summary: i.summary.clone(),
            kind: i.kind,
            services: i.services.clone(),
            tags: i.tags.clone(),
            related: i.related.clone(),
            users_affected: i.impact.users_affected,
            customers_affected: i.impact.customers_affected,
            revenue_at_risk: i.impact.text(Impact::REVENUE),
            impact: i.impact.text(Impact::DESCRIPTION),
            started_at: i.times.started_at,
            detected_at: i.times.detected_at,
        }
    }

    /// Refuses values no record may hold, naming the field.
    pub fn check(&self) -> Result<(), ModelError> {
        check_line("title", &self.title)?;
        if self.title.trim().is_empty() {
            return Err(ModelError::Invalid(
                "title must not be empty: say in a few words what is broken".into(),
            ));
        }
        for text in [&self.summary, &self.revenue_at_risk, &self.impact]
            .into_iter()
            .flatten()
        {
            check_text("text", text)?;
        }
        for s in &self.services {
            check_name("service", s)?;
        }
        for t in &self.tags {
            check_name("tag", t)?;
        }
        for r in &self.related {
            check_record_id(r)?;
        }
        Ok(())
    }
}

fn shown<T: std::fmt::Display>(v: &Option<T>) -> String {
    v.as_ref().map_or_else(|| "none".to_string(), T::to_string)
}

fn listed(v: &[String]) -> String {
    if v.is_empty() {
        "none".into()
    } else {
        v.join(", ")
    }
}

impl Incident {
    /// Applies what changed between `before` and `after` (both views of this record's editable
    /// fields) and adds one timeline event per changed field. Fields the person did not change stay
    /// as the record has them now, even if it moved on since `before` was read. Returns the events,
    /// none when nothing changed.
    pub fn apply_edit(
        &mut self,
        before: &Editable,
        after: &Editable,
        stamp: &Stamp,
    ) -> Result<Vec<TimelineEvent>, ModelError> {
        after.check()?;
        let mut changes: Vec<String> = Vec::new();
        let time = |t: &Option<DateTime<Utc>>| t.map_or_else(|| "none".into(), |t| t.to_rfc3339());
        if before.title != after.title {
            changes.push(format!("title: {} → {}", self.title, after.title));
            self.title = after.title.trim().to_string();
        }
        if before.summary != after.summary {
            changes.push(format!(
                "summary: {} → {}",
                shown(&self.summary),
                shown(&after.summary)
            ));
            self.summary = after.summary.clone().filter(|s| !s.trim().is_empty());
        }
        if before.kind != after.kind {
            changes.push(format!("kind: {} → {}", self.kind, after.kind));
            self.kind = after.kind;
        }
        for (name, mine, old, new) in [
            (
                "services",
                &mut self.services,
                &before.services,
                &after.services,
            ),
            ("tags", &mut self.tags, &before.tags, &after.tags),
            (
                "related",
                &mut self.related,
                &before.related,
                &after.related,
            ),
        ] {
            if old != new {
                changes.push(format!("{name}: {} → {}", listed(mine), listed(new)));
                *mine = new.clone();
            }
        }
        for (name, mine, old, new) in [
            (
                "users affected",
                &mut self.impact.users_affected,
                before.users_affected,
                after.users_affected,
            ),
            (
                "customers affected",
                &mut self.impact.customers_affected,
                before.customers_affected,
                after.customers_affected,
            ),
        ] {
            if old != new {
                changes.push(format!("{name}: {} → {}", shown(mine), shown(&new)));
                *mine = new;
            }
        }
        for (name, key, old, new) in [
            (
                "revenue at risk",
                Impact::REVENUE,
                &before.revenue_at_risk,
                &after.revenue_at_risk,
            ),
            ("impact", Impact::DESCRIPTION, &before.impact, &after.impact),
        ] {
            if old != new {
                changes.push(format!(
                    "{name}: {} → {}",
                    shown(&self.impact.text(key)),
                    shown(new)
                ));
                self.impact.set_text(key, new.as_deref().unwrap_or(""));
            }
        }
        if before.started_at != after.started_at {
            changes.push(format!(
                "started at: {} → {}",
                time(&self.times.started_at),
                time(&after.started_at)
            ));
            self.times.started_at = after.started_at;
        }
        if before.detected_at != after.detected_at {
            changes.push(format!(
                "detected at: {} → {}",
                time(&self.times.detected_at),
                time(&after.detected_at)
            ));
            self.times.detected_at = after.detected_at;
        }
        Ok(changes
            .into_iter()
            .map(|text| {
                self.push_event(
                    stamp,
                    crate::model::EventKind::Edit,
                    text,
                    Visibility::Internal,
                )
                .clone()
            })
            .collect())
    }
}

/// A three-way merge of one value's top-level fields, for an editor session that took a while:
/// `base` is what the person opened, `mine` what they saved, `theirs` what the record holds now
/// (others may have committed meanwhile). The result is `theirs` with every field the person changed
/// taken from `mine`, so nobody's change is reverted. A field both changed differently is a
/// conflict: refused, naming it.
pub fn merge_edit<T>(base: &T, mine: &T, theirs: &T) -> Result<T, ModelError>
where
    T: Serialize + serde::de::DeserializeOwned,
{
    let as_map = |v: &T| match serde_json::to_value(v) {
        Ok(serde_json::Value::Object(map)) => Ok(map),
        _ => Err(ModelError::Invalid(
            "an edited value must be a mapping".into(),
        )),
    };
    let (base, mine, mut merged) = (as_map(base)?, as_map(mine)?, as_map(theirs)?);
    let mut keys: Vec<&String> = base.keys().chain(mine.keys()).collect();
    keys.sort();
    keys.dedup();
    let mut conflicts = Vec::new();
    for key in keys {
        let (was, want, now) = (base.get(key), mine.get(key), merged.get(key).cloned());
        if was == want || now.as_ref() == want {
            continue;
        }
        if now.as_ref() != was {
            conflicts.push(key.as_str());
            continue;
        }
        match want {
            Some(value) => merged.insert(key.clone(), value.clone()),
            None => merged.remove(key),
        };
    }
    if !conflicts.is_empty() {
        return Err(ModelError::Refused(format!(
            "someone else changed {} while the editor was open, and so did you; nothing was changed. Run the command again to edit the current version",
            conflicts
                .iter()
                .map(|k| format!("`{k}`"))
                .collect::<Vec<_>>()
                .join(", ")
        )));
    }
    serde_json::from_value(serde_json::Value::Object(merged))
        .map_err(|e| ModelError::Invalid(format!("the merged edit does not read back: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_edit_merges_field_by_field_and_refuses_a_field_both_changed() {
        use crate::model::Postmortem;
        let base = Postmortem {
            summary: Some("first".into()),
            ..Default::default()
        };
        let mine = Postmortem {
            summary: Some("mine".into()),
            ..base.clone()
        };
        let theirs = Postmortem {
            root_cause: Some("theirs".into()),
            ..base.clone()
        };
        let merged = merge_edit(&base, &mine, &theirs).unwrap();
        assert_eq!(merged.summary.as_deref(), Some("mine"));
        assert_eq!(merged.root_cause.as_deref(), Some("theirs"));
        // Removing a field is a change too.
        let cleared = Postmortem {
            summary: None,
            ..base.clone()
        };
        assert_eq!(merge_edit(&base, &cleared, &theirs).unwrap().summary, None);
        // The same change on both sides is no conflict.
        assert_eq!(merge_edit(&base, &mine, &mine).unwrap(), mine);
        let clash = Postmortem {
            summary: Some("other".into()),
            ..base.clone()
        };
        let err = merge_edit(&base, &mine, &clash).unwrap_err().to_string();
        assert!(err.contains("`summary`"), "{err}");
    }
    use crate::model::Severity;

    #[test]
    fn each_changed_field_is_one_event_and_unchanged_fields_stay() {
        let stamp = Stamp {
            at: "2026-11-25T10:00:00Z".parse().unwrap(),
            by: "alice".into(),
        };
        let mut i = Incident::declare("2026-11-25-x".into(), "X".into(), Severity::Sev2, &stamp);
        let before = Editable::of(&i);
        let mut after = before.clone();
        after.title = "Checkout down".into();
        after.services = vec!["checkout".into()];
        after.users_affected = Some(1200);
        after.revenue_at_risk = Some("EUR 10,000".into());
        let later = Stamp {
            at: "2026-11-25T10:05:00Z".parse().unwrap(),
            by: "bob".into(),
        };
        let events = i.apply_edit(&before, &after, &later).unwrap();
        let texts: Vec<&str> = events.iter().map(|e| e.text.as_str()).collect();
        assert_eq!(
            texts,
            [
                "title: X → Checkout down",
                "services: none → checkout",
                "users affected: none → 1200",
                "revenue at risk: none → EUR 10,000"
            ]
        );
        assert_eq!(i.id, "2026-11-25-x");
        assert_eq!(Editable::of(&i), after);
        assert!(i.apply_edit(&after, &after, &later).unwrap().is_empty());
        let mut bad = after.clone();
        bad.title = "two\nlines".into();
        assert!(i.apply_edit(&after, &bad, &later).is_err());
    }
}
