//! Escalation as code (`oncall/escalation.yaml`): who is paged for an incident, and who next when
//! nobody acknowledges.
//!
//! A policy applies to incidents as a runbook does (`when`: severities, kinds, services, tags); the
//! first that applies is the incident's. Its levels are paged in turn from the declaration: level 1
//! at once, level 2 when level 1's `after` has passed without an acknowledgement, and so on; after
//! the last level the policy runs through again `repeat` times. An acknowledgement (`incident ack`,
//! on any clone) or the resolution stops it: nothing is paged once either is known.
//!
//! Pure: which pages are due at a moment, each with the person it is for. Delivery (through the
//! notify targets the policy names, exactly once across clones) is `crate::notify`'s.

use super::oncall::{Override, Schedule};
use super::runbook::When;
use super::{Incident, Span};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// The file: every policy, in the order they are tried.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Escalation {
    #[serde(default)]
    pub policies: Vec<Policy>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Policy {
    pub id: String,
    /// Which incidents it is for (every one when left out).
    #[serde(default)]
    pub when: When,
    pub levels: Vec<Level>,
    /// How many more times to run through the levels after the last (default 0: stop there).
    #[serde(default)]
    pub repeat: u32,
    /// The notify targets pages go through (`.incident.yaml`'s `notify: targets:` IDs).
    pub via: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Level {
    /// Who: a rota's layer (`platform/secondary`; a rota alone is its first layer) or a person's
    /// handle.
    pub page: Vec<String>,
    /// How long the level has to acknowledge before the next is paged.
    pub after: Span,
}

/// What paging needs besides the records: the policies, the rotas and their overrides.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Paging {
    pub escalation: Escalation,
    pub schedules: Vec<Schedule>,
    pub overrides: Vec<Override>,
}

/// One page due: a person, paged at a level of a pass through the policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Page {
    pub incident: String,
    pub policy: String,
    /// 1 for the first pass, 2 for the first repeat, ...
    pub pass: u32,
    /// 1-based.
    pub level: usize,
    pub person: String,
    /// How they were reached (`platform/primary`, or the handle itself).
    pub via_rota: Option<String>,
    pub due: DateTime<Utc>,
}

impl Page {
    /// What names this page in notification keys: the same on every clone.
    pub fn key(&self) -> String {
        format!("page-{}-{}-{}", self.pass, self.level, self.person)
    }
}

/// The incident and the person of a sent page, from its notification key
/// (`<incident>/page-<pass>-<level>-<person>/<target>`); `None` for any other notification.
pub fn paged_in(key: &str) -> Option<(&str, &str)> {
    let (incident, rest) = key.split_once("/page-")?;
    let page = rest.rsplit_once('/').map_or(rest, |(page, _)| page);
    let person = page.splitn(3, '-').nth(2)?;
    Some((incident, person))
}

impl Escalation {
    /// The policy for `incident`: the first whose `when` matches.
    pub fn policy_for(&self, incident: &Incident) -> Option<&Policy> {
        self.policies.iter().find(|p| p.when.matches(incident))
    }

    /// What is wrong with the file, each as (field, problem): rotas and layers that do not exist,
    /// targets that are not configured, levels without anyone or a policy without levels.
    pub fn problems(
        &self,
        schedules: &[Schedule],
        people: &[&str],
        targets: &[&str],
    ) -> Vec<(String, String)> {
        let mut out = Vec::new();
        for (n, p) in self.policies.iter().enumerate() {
            let at = |field: &str| format!("policies[{n}].{field}");
            if self.policies[..n].iter().any(|q| q.id == p.id) {
                out.push((at("id"), format!("`{}` names two policies", p.id)));
            }
            if p.levels.is_empty() {
                out.push((at("levels"), "no levels: nobody would be paged".into()));
            }
            if p.via.is_empty() {
                out.push((
                    at("via"),
                    "no targets: name the notify targets pages go through".into(),
                ));
            }
            for v in &p.via {
                if !targets.contains(&v.as_str()) {
                    out.push((
                        at("via"),
                        format!("`{v}` is not a notify target of .incident.yaml"),
                    ));
                }
            }
            for (l, level) in p.levels.iter().enumerate() {
                if level.page.is_empty() {
                    out.push((at(&format!("levels[{l}].page")), "nobody to page".into()));
                }
                for who in &level.page {
                    if let Some(problem) = unknown(who, schedules, people) {
                        out.push((at(&format!("levels[{l}].page")), problem));
                    }
                }
            }
        }
        out
    }
}

/// The rota a level's `page` entry names (`platform`, `platform/secondary`), if any, and the layer
/// after the slash.
fn rota_named<'a>(
    who: &'a str,
    schedules: &'a [Schedule],
) -> (Option<&'a Schedule>, Option<&'a str>) {
    let (rota, layer) = match who.split_once('/') {
        Some((r, l)) => (r, Some(l)),
        None => (who, None),
    };
    (schedules.iter().find(|s| s.id == rota), layer)
}

/// Why `who` names nobody: a rota or layer that is not there, or a handle not on the roster.
fn unknown(who: &str, schedules: &[Schedule], people: &[&str]) -> Option<String> {
    let (rota, layer) = rota_named(who, schedules);
    match rota {
        Some(s) if s.layer(layer).is_some() => None,
        Some(s) => Some(format!(
            "`{who}`: rota `{}` has no layer `{}`",
            s.id,
            layer.unwrap_or_default()
        )),
        None if layer.is_none() && (people.is_empty() || people.contains(&who)) => None,
        None => Some(format!(
            "`{who}` is neither a rota (oncall/<rota>.yaml) nor a person in `people:` of .incident.yaml"
        )),
    }
}

impl Policy {
    /// Every page of `incident` due by `now`: none for a drill, once it is acknowledged or
    /// resolved, or before it was declared. Each level's people are whoever holds the rota's layer
    /// when the level is paged.
    pub fn due_pages(
        &self,
        incident: &Incident,
        schedules: &[Schedule],
        overrides: &[Override],
        now: DateTime<Utc>,
    ) -> Vec<Page> {
        let Some(declared) = incident.timeline.first().map(|e| e.at) else {
            return Vec::new();
        };
        if incident.drill
            || incident.times.acknowledged_at.is_some()
            || !incident.status.is_active()
            || self.levels.is_empty()
        {
            return Vec::new();
        }
        let mut out = Vec::new();
        let mut due = declared;
        for pass in 1..=self.repeat.saturating_add(1) {
            for (n, level) in self.levels.iter().enumerate() {
                if due > now {
                    return out;
                }
                for who in &level.page {
                    for (person, rota) in resolve(who, schedules, overrides, due) {
                        out.push(Page {
                            incident: incident.id.clone(),
                            policy: self.id.clone(),
                            pass,
                            level: n + 1,
                            person,
                            via_rota: rota,
                            due,
                        });
                    }
                }
                due += level.after.to_chrono().max(chrono::Duration::minutes(1));
            }
        }
        out
    }
}

impl Policy {
    /// Who level `level` (1-based) pages at `at`, each with the rota layer that made them.
    pub fn level_people(
        &self,
        level: usize,
        schedules: &[Schedule],
        overrides: &[Override],
        at: DateTime<Utc>,
    ) -> Vec<(String, Option<String>)> {
        self.levels
            .get(level.wrapping_sub(1))
            .map(|l| {
                l.page
                    .iter()
                    .flat_map(|who| resolve(who, schedules, overrides, at))
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// The people `who` names at `at`: the holder of a rota's layer, or the handle itself.
fn resolve(
    who: &str,
    schedules: &[Schedule],
    overrides: &[Override],
    at: DateTime<Utc>,
) -> Vec<(String, Option<String>)> {
    let (rota, layer) = rota_named(who, schedules);
    match rota {
        Some(s) => {
            let name = s.layer(layer).map(|l| l.name.clone()).unwrap_or_default();
            s.on_call(overrides, at)
                .into_iter()
                .filter(|shift| shift.layer == name)
                .map(|shift| (shift.who, Some(format!("{}/{}", s.id, name))))
                .collect()
        }
        None => vec![(who.to_string(), None)],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Severity, Stamp};

    fn utc(t: &str) -> DateTime<Utc> {
        format!("2026-03-10T{t}:00Z").parse().unwrap()
    }

    fn rota() -> Schedule {
        serde_yaml::from_str::<Schedule>(
            "time_zone: UTC\nlayers:\n- name: primary\n  members: [ana, ben]\n  start: 2026-03-02\n  every: daily\n- name: secondary\n  members: [cem]\n  start: 2026-03-02\n  every: weekly\n",
        )
        .map(|mut s| {
            s.id = "platform".into();
            s
        })
        .unwrap()
    }

    fn policy() -> Policy {
        serde_yaml::from_str(
            "id: platform\nwhen:\n  severity: [SEV1, SEV2]\nlevels:\n- page: [platform]\n  after: 5m\n- page: [platform/secondary]\n  after: 10m\n- page: [dia]\n  after: 15m\nrepeat: 1\nvia: [oncall]\n",
        )
        .unwrap()
    }

    fn incident() -> Incident {
        Incident::declare(
            "2026-03-10-x".into(),
            "Checkout down".into(),
            Severity::Sev1,
            &Stamp {
                at: utc("10:00"),
                by: "x".into(),
            },
        )
    }

    fn due(i: &Incident, now: &str) -> Vec<(u32, usize, String, String)> {
        policy()
            .due_pages(i, &[rota()], &[], utc(now))
            .into_iter()
            .map(|p| (p.pass, p.level, p.person, p.due.format("%H:%M").to_string()))
            .collect()
    }

    fn pages(list: &[(u32, usize, &str, &str)]) -> Vec<(u32, usize, String, String)> {
        list.iter()
            .map(|(a, b, c, d)| (*a, *b, c.to_string(), d.to_string()))
            .collect()
    }

    #[test]
    fn levels_are_paged_in_turn_and_the_policy_repeats() {
        let i = incident();
        // 2026-03-10 is turn 8 of the daily primary: ana's (8 % 2 = 0); the secondary is cem.
        assert_eq!(due(&i, "10:00"), pages(&[(1, 1, "ana", "10:00")]));
        assert_eq!(due(&i, "10:04"), pages(&[(1, 1, "ana", "10:00")]));
        assert_eq!(
            due(&i, "10:05"),
            pages(&[(1, 1, "ana", "10:00"), (1, 2, "cem", "10:05")])
        );
        assert_eq!(
            due(&i, "10:30"),
            pages(&[
                (1, 1, "ana", "10:00"),
                (1, 2, "cem", "10:05"),
                (1, 3, "dia", "10:15"),
                (2, 1, "ana", "10:30"),
            ])
        );
        // Two passes, then nothing more however long nobody answers.
        assert_eq!(due(&i, "23:00").len(), 6);
    }

    #[test]
    fn an_acknowledgement_or_the_resolution_stops_it_and_drills_are_never_paged() {
        let mut i = incident();
        i.times.acknowledged_at = Some(utc("10:03"));
        assert!(due(&i, "10:30").is_empty());
        let mut i = incident();
        i.status = crate::model::Status::Resolved;
        assert!(due(&i, "10:30").is_empty());
        let mut i = incident();
        i.drill = true;
        assert!(due(&i, "10:30").is_empty());
    }

    #[test]
    fn the_policy_is_the_first_that_applies() {
        let mut file = Escalation {
            policies: vec![policy()],
        };
        let mut sev3 = incident();
        sev3.severity = Severity::Sev3;
        assert!(file.policy_for(&sev3).is_none());
        let mut catch_all = policy();
        catch_all.id = "all".into();
        catch_all.when = When::default();
        file.policies.push(catch_all);
        assert_eq!(file.policy_for(&sev3).unwrap().id, "all");
        assert_eq!(file.policy_for(&incident()).unwrap().id, "platform");
    }

    #[test]
    fn a_sent_pages_key_reads_back_as_its_incident_and_person() {
        assert_eq!(
            paged_in("2026-03-10-x/page-2-3-mary-jo/sms"),
            Some(("2026-03-10-x", "mary-jo"))
        );
        assert_eq!(paged_in("2026-03-10-x/e-1234/sms"), None);
        assert_eq!(paged_in("2026-03-10-x/page-1/sms"), None);
    }

    #[test]
    fn a_page_is_keyed_by_pass_level_and_person() {
        let i = incident();
        let keys: Vec<String> = policy()
            .due_pages(&i, &[rota()], &[], utc("10:05"))
            .iter()
            .map(Page::key)
            .collect();
        assert_eq!(keys, ["page-1-1-ana", "page-1-2-cem"]);
    }

    #[test]
    fn each_level_names_its_people_and_where_they_came_from() {
        let p = policy();
        let at = utc("10:00");
        assert_eq!(
            p.level_people(1, &[rota()], &[], at),
            [("ana".to_string(), Some("platform/primary".to_string()))]
        );
        assert_eq!(
            p.level_people(2, &[rota()], &[], at),
            [("cem".to_string(), Some("platform/secondary".to_string()))]
        );
        assert_eq!(
            p.level_people(3, &[rota()], &[], at),
            [("dia".to_string(), None)]
        );
        assert!(p.level_people(0, &[rota()], &[], at).is_empty());
        assert!(p.level_people(4, &[rota()], &[], at).is_empty());
    }

    #[test]
    fn a_handle_is_checked_against_the_roster_when_there_is_one() {
        let mut p = policy();
        p.levels[2].page = vec!["zoe".into()];
        let file = Escalation {
            policies: vec![p.clone(), p],
        };
        // Two policies of one name; `zoe` is fine without a roster, not with one that lacks her.
        let without = file.problems(&[rota()], &[], &["oncall"]);
        let fields: Vec<&str> = without.iter().map(|(f, _)| f.as_str()).collect();
        assert_eq!(fields, ["policies[1].id"]);
        let with = file.problems(&[rota()], &["dia"], &["oncall"]);
        assert_eq!(with.len(), 3, "{with:?}");
        assert!(with[0].1.contains("`zoe` is neither a rota"));
        let mut q = policy();
        q.levels[0].page = vec!["nope/primary".into()];
        let odd = Escalation { policies: vec![q] }.problems(&[rota()], &[], &["oncall"]);
        assert_eq!(odd.len(), 1, "{odd:?}");
    }

    #[test]
    fn problems_name_what_is_missing() {
        let mut p = policy();
        p.levels[1].page = vec!["platform/tertiary".into()];
        p.levels[2].page = vec!["nobody".into()];
        p.via = vec!["pager".into()];
        let file = Escalation { policies: vec![p] };
        let found = file.problems(&[rota()], &["dia"], &["oncall"]);
        let fields: Vec<&str> = found.iter().map(|(f, _)| f.as_str()).collect();
        assert_eq!(
            fields,
            [
                "policies[0].via",
                "policies[0].levels[1].page",
                "policies[0].levels[2].page"
            ]
        );
        assert!(found[1].1.contains("tertiary") && found[2].1.contains("nobody"));
    }
}
