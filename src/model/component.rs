//! What an incident does to each service it affects, over time: the component statuses a status page
//! shows, the per-component recovery time, and the windows uptime is computed from.
//!
//! A service the incident lists is at the status its severity implies (SEV1 → `major_outage` by the
//! default policy) unless a responder said otherwise (`update --component api=degraded_performance`),
//! which the timeline keeps as `component api: major_outage → degraded_performance`. Every effect
//! ends when the incident is resolved; `api=operational` ends it for one service earlier.

use super::{Config, Incident, ModelError, Severity, Stamp, TimelineEvent, Visibility};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;

/// Statuspage's component statuses, from best to worst (the order of [`ComponentStatus::rank`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum ComponentStatus {
    #[default]
    Operational,
    UnderMaintenance,
    DegradedPerformance,
    PartialOutage,
    MajorOutage,
}

impl ComponentStatus {
    pub const ALL: [ComponentStatus; 5] = [
        Self::Operational,
        Self::UnderMaintenance,
        Self::DegradedPerformance,
        Self::PartialOutage,
        Self::MajorOutage,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Operational => "operational",
            Self::UnderMaintenance => "under_maintenance",
            Self::DegradedPerformance => "degraded_performance",
            Self::PartialOutage => "partial_outage",
            Self::MajorOutage => "major_outage",
        }
    }

    /// How the page words it.
    pub fn label(self) -> &'static str {
        match self {
            Self::Operational => "Operational",
            Self::UnderMaintenance => "Under maintenance",
            Self::DegradedPerformance => "Degraded performance",
            Self::PartialOutage => "Partial outage",
            Self::MajorOutage => "Major outage",
        }
    }

    /// Worse is larger: a page or a day shows the largest status it saw. Maintenance ranks below
    /// every outage, so an outage during a maintenance window is shown as the outage.
    pub fn rank(self) -> u8 {
        self as u8
    }

    /// What a severity's Statuspage `impact` does to the services it lists when nobody says more.
    pub fn from_impact(impact: &str) -> ComponentStatus {
        match impact {
            "critical" => Self::MajorOutage,
            "major" => Self::PartialOutage,
            "minor" => Self::DegradedPerformance,
            _ => Self::Operational,
        }
    }

    /// The default for a severity under `config`.
    pub fn for_severity(config: &Config, severity: Severity) -> ComponentStatus {
        Self::from_impact(&config.severity(severity).impact)
    }
}

impl fmt::Display for ComponentStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for ComponentStatus {
    type Err = ModelError;
    fn from_str(s: &str) -> Result<Self, ModelError> {
        let wanted = s.trim().to_ascii_lowercase().replace(['-', ' '], "_");
        Self::ALL
            .into_iter()
            .find(|c| c.as_str() == wanted)
            .ok_or_else(|| {
                ModelError::Invalid(format!(
                    "invalid component status `{s}`: expected one of operational, degraded_performance, partial_outage, major_outage, under_maintenance"
                ))
            })
    }
}

/// `api=degraded_performance` as typed after `--component`.
pub fn parse_component_setting(text: &str) -> Result<(String, ComponentStatus), ModelError> {
    let Some((id, status)) = text.split_once('=') else {
        return Err(ModelError::Invalid(format!(
            "`{text}`: expected SERVICE=STATUS, e.g. api=degraded_performance"
        )));
    };
    let id = id.trim();
    super::check_name("service", id)?;
    Ok((id.to_string(), status.parse()?))
}

/// One stretch of time a service spent at one status because of an incident (or a maintenance
/// window); `until` is `None` while it lasts.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ComponentPeriod {
    pub component: String,
    pub status: ComponentStatus,
    pub from: DateTime<Utc>,
    pub until: Option<DateTime<Utc>>,
}

/// Marks the setting that added a service the incident did not list before: it was operational
/// until then, whatever the severity said.
const ADDED: &str = " (newly affected)";

/// One responder's setting, read back from its timeline event.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ComponentSetting<'a> {
    pub at: DateTime<Utc>,
    pub component: &'a str,
    pub status: ComponentStatus,
    /// The service was not affected before this setting.
    pub added: bool,
}

/// The status `service` has at `t` in `periods` (operational outside them): for callers that
/// computed an incident's periods once and ask about many moments.
pub fn status_among(
    periods: &[ComponentPeriod],
    service: &str,
    t: DateTime<Utc>,
) -> ComponentStatus {
    periods
        .iter()
        .find(|p| p.component == service && p.from <= t && p.until.is_none_or(|u| u > t))
        .map_or(ComponentStatus::Operational, |p| p.status)
}

/// `component api: major_outage → degraded_performance` → ("api", degraded_performance).
fn component_change(text: &str) -> Option<(&str, ComponentStatus, bool)> {
    let rest = text.strip_prefix("component ")?;
    let (id, change) = rest.split_once(": ")?;
    // A hand-edited event naming `../x` is no component: the name would become a feed's path.
    super::check_name("service", id).ok()?;
    let (to, added) = match change.strip_suffix(ADDED) {
        Some(to) => (to, true),
        None => (change, false),
    };
    let to = to.rsplit(" → ").next()?;
    Some((id, to.trim().parse().ok()?, added))
}

impl Incident {
    /// Sets what the incident does to one service from `stamp.at` on, adding the service to the
    /// affected ones if it was not listed. Refused when nothing would change.
    pub fn set_component(
        &mut self,
        config: &Config,
        id: &str,
        status: ComponentStatus,
        stamp: &Stamp,
    ) -> Result<&TimelineEvent, ModelError> {
        super::check_name("service", id)?;
        let listed = self.services.iter().any(|s| s == id);
        let before = if listed {
            self.component_status_at(config, id, stamp.at)
        } else {
            ComponentStatus::Operational
        };
        if before == status {
            return Err(ModelError::Refused(if listed {
                format!("`{id}` is already {status} in `{}`", self.id)
            } else {
                format!(
                    "`{id}` is not affected by `{}`, so it is already operational",
                    self.id
                )
            }));
        }
        if !listed {
            self.services.push(id.to_string());
        }
        let added = if listed { "" } else { ADDED };
        Ok(self.push_event(
            stamp,
            crate::model::EventKind::Component,
            format!("component {id}: {before} → {status}{added}"),
            Visibility::Public,
        ))
    }

    /// The statuses responders set, in timeline order.
    pub fn component_settings(&self) -> Vec<ComponentSetting<'_>> {
        self.timeline
            .iter()
            .filter(|e| e.kind == crate::model::EventKind::Component)
            .filter_map(|e| {
                component_change(&e.text).map(|(component, status, added)| ComponentSetting {
                    at: e.at,
                    component,
                    status,
                    added,
                })
            })
            .collect()
    }

    /// When customers were first affected: the recorded start of impact, else the beginning.
    fn impact_began_at(&self) -> Option<DateTime<Utc>> {
        match (self.times.started_at, self.began_at()) {
            (Some(s), Some(b)) => Some(s.min(b)),
            (s, b) => s.or(b),
        }
    }

    /// Every stretch of non-operational status of every affected service, in service order then
    /// time order. Adjacent stretches at the same status are one.
    pub fn component_periods(&self, config: &Config) -> Vec<ComponentPeriod> {
        let mut episodes = self.episodes();
        if let (Some(first), Some(began)) = (episodes.first_mut(), self.impact_began_at()) {
            first.from = first.from.min(began);
        }
        let severities = self.severity_periods();
        let settings = self.component_settings();
        let mut out = Vec::new();
        for service in &self.services {
            let mut open: Option<ComponentPeriod> = None;
            for episode in &episodes {
                // The moments something may change inside the episode.
                let mut cuts: Vec<DateTime<Utc>> = vec![episode.from];
                cuts.extend(severities.iter().map(|p| p.from));
                cuts.extend(
                    settings
                        .iter()
                        .filter(|s| s.component == service)
                        .map(|s| s.at),
                );
                cuts.retain(|t| *t >= episode.from && episode.until.is_none_or(|u| *t < u));
                cuts.sort();
                cuts.dedup();
                for (n, from) in cuts.iter().enumerate() {
                    let until = cuts.get(n + 1).copied().or(episode.until);
                    let status = self.status_in(config, service, *from, episode.from, &settings);
                    match &mut open {
                        Some(p) if p.status == status && p.until == Some(*from) => p.until = until,
                        _ => {
                            if let Some(p) = open.take() {
                                out.push(p);
                            }
                            if status != ComponentStatus::Operational {
                                open = Some(ComponentPeriod {
                                    component: service.clone(),
                                    status,
                                    from: *from,
                                    until,
                                });
                            }
                        }
                    }
                }
            }
            out.extend(open);
        }
        // No period is empty: the cuts are distinct, each before the episode's end.
        out
    }

    /// The status of `service` at `t` inside the episode that began at `episode_from`: the last
    /// setting made in that episode, else operational before the setting that added the service,
    /// else the severity's default.
    fn status_in(
        &self,
        config: &Config,
        service: &str,
        t: DateTime<Utc>,
        episode_from: DateTime<Utc>,
        settings: &[ComponentSetting],
    ) -> ComponentStatus {
        let mine = || settings.iter().filter(|s| s.component == service);
        if let Some(s) = mine().rev().find(|s| s.at <= t && s.at >= episode_from) {
            return s.status;
        }
        if mine().any(|s| s.added && s.at > t) {
            return ComponentStatus::Operational;
        }
        ComponentStatus::for_severity(config, self.severity_at(t))
    }

    /// The status of `service` at `t` (operational outside the incident).
    pub fn component_status_at(
        &self,
        config: &Config,
        service: &str,
        t: DateTime<Utc>,
    ) -> ComponentStatus {
        status_among(&self.component_periods(config), service, t)
    }

    /// Each affected service and when it recovered: its last period's end (`None` while affected).
    pub fn component_recoveries(
        &self,
        config: &Config,
    ) -> Vec<(String, ComponentStatus, Option<DateTime<Utc>>)> {
        let periods = self.component_periods(config);
        self.services
            .iter()
            .map(|s| {
                let mine: Vec<&ComponentPeriod> =
                    periods.iter().filter(|p| &p.component == s).collect();
                let worst = mine
                    .iter()
                    .map(|p| p.status)
                    .max_by_key(|s| s.rank())
                    .unwrap_or_default();
                let recovered = match mine.last() {
                    Some(p) => p.until,
                    None => self.began_at(),
                };
                (s.clone(), worst, recovered)
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Status;

    /// A period covers its start and ends at its end: at that very moment the service is
    /// operational again.
    #[test]
    fn a_status_holds_from_its_start_until_just_before_its_end() {
        let periods = [ComponentPeriod {
            component: "api".into(),
            from: t("10:00"),
            until: Some(t("10:30")),
            status: ComponentStatus::MajorOutage,
        }];
        assert_eq!(
            status_among(&periods, "api", t("09:59")),
            ComponentStatus::Operational
        );
        assert_eq!(
            status_among(&periods, "api", t("10:00")),
            ComponentStatus::MajorOutage
        );
        assert_eq!(
            status_among(&periods, "api", t("10:29")),
            ComponentStatus::MajorOutage
        );
        assert_eq!(
            status_among(&periods, "api", t("10:30")),
            ComponentStatus::Operational
        );
        assert_eq!(
            status_among(&periods, "web", t("10:10")),
            ComponentStatus::Operational
        );
    }

    /// Between a resolution and a reopen the service is operational: each episode's periods start
    /// within it, whatever changed in the one before.
    #[test]
    fn a_service_is_not_affected_between_a_resolution_and_a_reopen() {
        let config = Config::new("x");
        let stamp = |at: &str| Stamp {
            at: t(at),
            by: "a".into(),
        };
        let mut i = Incident::declare("x".into(), "X".into(), Severity::Sev1, &stamp("10:00"));
        i.services = vec!["api".into()];
        i.set_severity(Severity::Sev2, None, &stamp("10:10"))
            .unwrap();
        i.set_status(
            Status::Resolved,
            None,
            crate::model::Reopen::No,
            &stamp("10:30"),
        )
        .unwrap();
        i.set_status(
            Status::Investigating,
            Some("back"),
            crate::model::Reopen::Yes,
            &stamp("11:00"),
        )
        .unwrap();
        let spans: Vec<(DateTime<Utc>, Option<DateTime<Utc>>, ComponentStatus)> = i
            .component_periods(&config)
            .iter()
            .map(|p| (p.from, p.until, p.status))
            .collect();
        assert_eq!(
            spans,
            [
                (t("10:00"), Some(t("10:10")), ComponentStatus::MajorOutage),
                (t("10:10"), Some(t("10:30")), ComponentStatus::PartialOutage),
                (t("11:00"), None, ComponentStatus::PartialOutage),
            ]
        );
        assert_eq!(
            i.component_status_at(&config, "api", t("10:45")),
            ComponentStatus::Operational
        );
    }

    /// Customers were affected from the recorded start of impact, before anyone declared it.
    #[test]
    fn a_service_is_affected_from_the_start_of_impact() {
        let config = Config::new("x");
        let mut i = Incident::declare(
            "x".into(),
            "X".into(),
            Severity::Sev1,
            &Stamp {
                at: t("10:00"),
                by: "a".into(),
            },
        );
        i.services = vec!["api".into()];
        let from = |i: &Incident| i.component_periods(&config).first().map(|p| p.from);
        assert_eq!(from(&i), Some(t("10:00")));
        i.times.started_at = Some(t("09:40"));
        assert_eq!(from(&i), Some(t("09:40")));
    }

    /// The page's words for each status, and what each Statuspage impact does to a service.
    #[test]
    fn statuses_have_their_words_and_impacts_their_status() {
        for (status, label) in [
            (ComponentStatus::Operational, "Operational"),
            (ComponentStatus::DegradedPerformance, "Degraded performance"),
            (ComponentStatus::PartialOutage, "Partial outage"),
            (ComponentStatus::MajorOutage, "Major outage"),
            (ComponentStatus::UnderMaintenance, "Under maintenance"),
        ] {
            assert_eq!(status.label(), label);
        }
        for (impact, status) in [
            ("critical", ComponentStatus::MajorOutage),
            ("major", ComponentStatus::PartialOutage),
            ("minor", ComponentStatus::DegradedPerformance),
            ("none", ComponentStatus::Operational),
        ] {
            assert_eq!(ComponentStatus::from_impact(impact), status, "{impact}");
        }
    }

    fn t(hm: &str) -> DateTime<Utc> {
        format!("2026-11-25T{hm}:00Z").parse().unwrap()
    }

    fn stamp(hm: &str) -> Stamp {
        Stamp {
            at: t(hm),
            by: "alice".into(),
        }
    }

    fn config() -> Config {
        Config::new("Acme")
    }

    #[test]
    fn a_component_event_is_read_back_and_a_path_never_is() {
        assert_eq!(
            component_change("component api: operational → major_outage (newly affected)"),
            Some(("api", ComponentStatus::MajorOutage, true))
        );
        assert_eq!(
            component_change("component api: major_outage → degraded_performance"),
            Some(("api", ComponentStatus::DegradedPerformance, false))
        );
        assert_eq!(
            component_change("component ../../x: operational → major_outage"),
            None
        );
        assert_eq!(component_change("note api: major_outage"), None);
    }

    #[test]
    fn parses_settings_and_refuses_unknown_statuses() {
        assert_eq!(
            parse_component_setting("api=degraded-performance").unwrap(),
            ("api".into(), ComponentStatus::DegradedPerformance)
        );
        let e = parse_component_setting("api=down").unwrap_err().to_string();
        assert!(e.contains("major_outage"), "{e}");
        assert!(parse_component_setting("api").is_err());
    }

    /// SEV2 on api and search at 10:00; search degraded at 10:20; SEV1 at 10:30; api recovered at
    /// 10:50; resolved at 11:00.
    #[test]
    fn periods_follow_severity_settings_and_resolution() {
        let c = config();
        let mut i = Incident::declare("x".into(), "X".into(), Severity::Sev2, &stamp("10:00"));
        i.times.detected_at = Some(t("10:00"));
        i.services = vec!["api".into(), "search".into()];
        i.set_component(
            &c,
            "search",
            ComponentStatus::DegradedPerformance,
            &stamp("10:20"),
        )
        .unwrap();
        i.set_severity(Severity::Sev1, None, &stamp("10:30"))
            .unwrap();
        i.set_component(&c, "api", ComponentStatus::Operational, &stamp("10:50"))
            .unwrap();
        i.set_status(
            Status::Resolved,
            None,
            crate::model::Reopen::No,
            &stamp("11:00"),
        )
        .unwrap();
        let got: Vec<(String, ComponentStatus, String, String)> = i
            .component_periods(&c)
            .into_iter()
            .map(|p| {
                (
                    p.component,
                    p.status,
                    p.from.format("%H:%M").to_string(),
                    p.until.unwrap().format("%H:%M").to_string(),
                )
            })
            .collect();
        use ComponentStatus::*;
        let w = |c: &str, s, f: &str, u: &str| (c.to_string(), s, f.to_string(), u.to_string());
        assert_eq!(
            got,
            vec![
                w("api", PartialOutage, "10:00", "10:30"),
                w("api", MajorOutage, "10:30", "10:50"),
                w("search", PartialOutage, "10:00", "10:20"),
                w("search", DegradedPerformance, "10:20", "11:00"),
            ]
        );
        let rec = i.component_recoveries(&c);
        assert_eq!(rec[0].2, Some(t("10:50")));
        assert_eq!(rec[1].2, Some(t("11:00")));
        assert!(
            i.set_component(&c, "api", ComponentStatus::Operational, &stamp("10:55"))
                .is_err()
        );
    }

    /// A setting made at the very moment of the resolution opens no period: the service is
    /// operational from then on.
    #[test]
    fn a_setting_at_the_resolution_opens_no_period() {
        let c = config();
        let mut i = Incident::declare("x".into(), "X".into(), Severity::Sev2, &stamp("10:00"));
        i.services = vec!["search".into()];
        i.set_component(&c, "search", ComponentStatus::MajorOutage, &stamp("11:00"))
            .unwrap();
        i.set_status(
            Status::Resolved,
            None,
            crate::model::Reopen::No,
            &stamp("11:00"),
        )
        .unwrap();
        let got: Vec<(ComponentStatus, DateTime<Utc>, Option<DateTime<Utc>>)> = i
            .component_periods(&c)
            .into_iter()
            .map(|p| (p.status, p.from, p.until))
            .collect();
        assert_eq!(
            got,
            [(ComponentStatus::PartialOutage, t("10:00"), Some(t("11:00")))]
        );
    }

    #[test]
    fn a_new_service_is_added_and_the_rank_orders_outages_above_maintenance() {
        let c = config();
        let mut i = Incident::declare("x".into(), "X".into(), Severity::Sev3, &stamp("10:00"));
        i.set_component(&c, "dns", ComponentStatus::MajorOutage, &stamp("10:10"))
            .unwrap();
        assert_eq!(i.services, vec!["dns".to_string()]);
        assert_eq!(
            i.component_status_at(&c, "dns", t("10:05")),
            ComponentStatus::Operational
        );
        let e = i
            .set_component(&c, "db", ComponentStatus::Operational, &stamp("10:12"))
            .unwrap_err();
        assert!(e.to_string().contains("not affected"), "{e}");
        assert_eq!(
            i.component_status_at(&c, "dns", t("10:15")),
            ComponentStatus::MajorOutage
        );
        assert!(
            ComponentStatus::UnderMaintenance.rank() < ComponentStatus::DegradedPerformance.rank()
        );
    }
}
