//! What a template receives. This is a stable interface, documented in `docs/templates.md`: every
//! field is always present (null when unknown), so templates can be strict about undefined names.

use crate::model::{
    ActionState, Config, Incident, Severity, Status, StatusUpdate, TimelineEvent, Visibility,
};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::Serialize;
use std::collections::BTreeMap;

#[derive(Debug, Clone, Serialize)]
pub struct OrgContext {
    pub name: String,
    pub status_page_title: String,
    pub status_page_url: Option<String>,
    pub time_zone: String,
}

impl OrgContext {
    pub fn from_config(config: &Config) -> OrgContext {
        OrgContext {
            name: config.organisation.clone(),
            status_page_title: config
                .status_page
                .title
                .clone()
                .unwrap_or_else(|| format!("{} status", config.organisation)),
            status_page_url: config.status_page.url.clone(),
            time_zone: config
                .status_page
                .time_zone
                .clone()
                .unwrap_or_else(|| "UTC".into()),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct ServiceContext {
    pub id: String,
    pub name: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct EventContext {
    pub id: String,
    pub at: DateTime<Utc>,
    pub by: String,
    /// The role the author held (`commander`, `comms`, ...) or `responder`: blameless documents name
    /// roles, not people.
    pub by_role: String,
    pub kind: String,
    pub text: String,
    pub public: bool,
    pub audience: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct SeverityPeriodContext {
    pub severity: Severity,
    pub label: String,
    pub from: DateTime<Utc>,
    pub until: Option<DateTime<Utc>>,
    pub seconds: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct RolePeriodContext {
    /// `incident commander`, `communications lead`, ...
    pub role: String,
    /// The person's name from the roster, else their handle.
    pub who: String,
    pub from: DateTime<Utc>,
    pub until: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Serialize)]
pub struct UpdateContext {
    pub id: String,
    pub at: DateTime<Utc>,
    pub by: String,
    pub status: Status,
    pub impacted: Option<String>,
    pub learned: Option<String>,
    pub next_update_at: Option<DateTime<Utc>>,
    pub public: bool,
    /// The incident's first public update: templates word it as the first acknowledgement.
    pub is_first: bool,
    pub is_resolution: bool,
    /// The words customers saw (the shared `update-body` template), where the document has them:
    /// kept in the record since it was posted, or rendered for a document (post-mortems quote
    /// exactly what was said).
    pub text: Option<String>,
    /// The severity customers were told of, when the update kept it: what a late channel shows.
    #[serde(skip)]
    pub said_severity: Option<Severity>,
}

impl UpdateContext {
    /// `first_public` is the ID of the incident's first public update, which templates word as the
    /// first acknowledgement.
    pub fn of(u: &StatusUpdate, first_public: Option<&str>) -> UpdateContext {
        UpdateContext {
            id: u.id.clone(),
            at: u.at,
            by: u.by.clone(),
            status: u.status,
            impacted: u.impacted.clone(),
            learned: u.learned.clone(),
            next_update_at: u.next_update_at,
            public: u.visibility.is_public(),
            is_first: first_public == Some(u.id.as_str()),
            is_resolution: u.status == Status::Resolved,
            text: u.said.as_ref().map(|s| s.text.clone()),
            said_severity: u.said.as_ref().map(|s| s.severity),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct ActionContext {
    pub number: u32,
    pub title: String,
    /// The runbook it improves, if any.
    pub runbook: Option<String>,
    pub owner: String,
    pub due: Option<NaiveDate>,
    #[serde(rename = "type")]
    pub action_type: String,
    pub state: String,
    pub link: Option<String>,
    pub note: Option<String>,
    pub overdue: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct SeverityChange {
    pub at: DateTime<Utc>,
    pub from: String,
    pub to: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct PostmortemContext {
    /// `draft`, `in-review` or `final`.
    pub status: String,
    pub author: Option<String>,
    pub reviewers: Vec<String>,
    pub meeting: Option<chrono::NaiveDate>,
    /// When the policy wants it published (resolution + the peak severity's `postmortem_due`).
    pub due: Option<DateTime<Utc>>,
    pub summary: Option<String>,
    pub root_cause: Option<String>,
    pub trigger: Option<String>,
    pub resolution: Option<String>,
    pub detection: Option<String>,
    pub whys: Vec<String>,
    pub contributing_factors: Vec<String>,
    pub went_well: Vec<String>,
    pub went_wrong: Vec<String>,
    pub lucky: Vec<String>,
    pub lessons: Vec<String>,
}

/// Seconds between the lifecycle times, null where either end is missing.
#[derive(Debug, Clone, Serialize)]
pub struct Durations {
    pub detect: Option<i64>,
    pub acknowledge: Option<i64>,
    pub mitigate: Option<i64>,
    pub resolve: Option<i64>,
    /// Impact start (or detection) to resolution, or to now while active.
    pub total: Option<i64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct IncidentContext {
    pub id: String,
    pub title: String,
    pub kind: String,
    pub severity: Severity,
    pub severity_label: String,
    pub status: Status,
    pub active: bool,
    pub drill: bool,
    pub services: Vec<ServiceContext>,
    pub summary: Option<String>,
    pub users_affected: Option<u64>,
    pub customers_affected: Option<u64>,
    /// Other impact figures the team recorded (e.g. `revenue_at_risk`), as text.
    pub impact_other: BTreeMap<String, String>,
    pub roles: BTreeMap<String, String>,
    /// `started_at`, `detected_at`, `acknowledged_at`, `mitigated_at`, `resolved_at`.
    #[serde(flatten)]
    pub times: crate::model::EveryTime,
    pub durations: Durations,
    pub severity_history: Vec<SeverityChange>,
    /// The worst severity the incident reached.
    pub peak_severity: Severity,
    /// Each stretch at one severity, with its length in seconds.
    pub severity_periods: Vec<SeverityPeriodContext>,
    /// Who held which role from when to when.
    pub role_history: Vec<RolePeriodContext>,
    /// Whether it was reopened after a resolution.
    pub reopened: bool,
    pub timeline: Vec<EventContext>,
    pub updates: Vec<UpdateContext>,
    pub public_updates: Vec<UpdateContext>,
    pub actions: Vec<ActionContext>,
    /// The runbook steps and tasks, in number order.
    pub tasks: Vec<TaskContext>,
    /// The runbooks followed: `path` and `version` (the git blob, shortened).
    pub runbooks: Vec<RunbookContext>,
    pub postmortem: PostmortemContext,
}

/// One task as the post-mortem's checklist shows it.
#[derive(Debug, Clone, Serialize)]
pub struct TaskContext {
    pub number: u32,
    pub text: String,
    /// The runbook it came from (its path); none for a task added by hand.
    pub runbook: Option<String>,
    pub role: Option<String>,
    /// Who was asked, by roster name.
    pub who: Option<String>,
    pub due_at: Option<DateTime<Utc>>,
    /// `open`, `done` or `skipped`.
    pub state: String,
    pub closed_at: Option<DateTime<Utc>>,
    pub closed_by: Option<String>,
    pub note: Option<String>,
    /// Done after its deadline, or still open past it.
    pub late: bool,
}

/// A runbook the incident followed.
#[derive(Debug, Clone, Serialize)]
pub struct RunbookContext {
    pub path: String,
    pub version: String,
}

fn seconds(from: Option<DateTime<Utc>>, to: Option<DateTime<Utc>>) -> Option<i64> {
    Some((to? - from?).num_seconds())
}

impl IncidentContext {
    pub fn new(i: &Incident, config: &Config, now: DateTime<Utc>) -> IncidentContext {
        let role_periods = i.role_periods();
        let role_of = |who: &str, at: DateTime<Utc>| role_at(&role_periods, config, who, at);
        let first_public = i.first_public_update().map(|u| u.id.as_str());
        let mut updates: Vec<UpdateContext> = i
            .updates
            .iter()
            .map(|u| UpdateContext::of(u, first_public))
            .collect();
        updates.sort_by_key(|u| u.at);
        let policy = config.severity(i.severity);
        IncidentContext {
            id: i.id.clone(),
            title: i.title.clone(),
            kind: i.kind.to_string(),
            severity: i.severity,
            severity_label: policy.label.clone(),
            status: i.status,
            active: i.status.is_active(),
            drill: i.drill,
            services: services(i, config),
            summary: i.summary.clone(),
            users_affected: i.impact.users_affected,
            customers_affected: i.impact.customers_affected,
            impact_other: i
                .impact
                .extra
                .iter()
                .filter_map(|(k, v)| Some((k.as_str()?.to_string(), scalar_text(v))))
                .collect(),
            roles: i.roles.clone(),
            times: crate::model::EveryTime(i.times),
            durations: Durations {
                detect: seconds(i.times.started_at, i.times.detected_at),
                acknowledge: seconds(i.times.detected_at, i.times.acknowledged_at),
                mitigate: seconds(i.times.detected_at, i.times.mitigated_at),
                resolve: seconds(i.times.detected_at, i.times.resolved_at),
                total: i.duration(now).map(|d: Duration| d.num_seconds()),
            },
            severity_history: severity_history(i),
            peak_severity: i.peak_severity(),
            severity_periods: severity_periods(i, config, now),
            role_history: role_periods
                .iter()
                .map(|p| RolePeriodContext {
                    role: role_title(&p.role),
                    who: config.display_name(&p.who).to_string(),
                    from: p.from,
                    until: p.until,
                })
                .collect(),
            reopened: i.was_reopened(),
            timeline: i
                .timeline
                .iter()
                .map(|e| event(e, role_of(&e.by, e.at)))
                .collect(),
            public_updates: updates.iter().filter(|u| u.public).cloned().collect(),
            updates,
            actions: i
                .actions
                .iter()
                .map(|a| ActionContext::of(a, now))
                .collect(),
            tasks: i
                .tasks
                .iter()
                .map(|t| TaskContext::of(t, config, now))
                .collect(),
            runbooks: runbooks_followed(i),
            postmortem: PostmortemContext::of(i, config),
        }
    }
}

impl PostmortemContext {
    fn of(i: &Incident, config: &Config) -> PostmortemContext {
        PostmortemContext {
            status: i.postmortem.status.as_str().into(),
            author: i
                .postmortem
                .author
                .as_ref()
                .map(|a| config.display_name(a).to_string()),
            reviewers: i
                .postmortem
                .reviewers
                .iter()
                .map(|r| config.display_name(r).to_string())
                .collect(),
            meeting: i.postmortem.meeting,
            due: config
                .postmortem_due(i.peak_severity())
                .zip(i.times.resolved_at)
                .map(|(due, resolved)| resolved + due.to_chrono()),
            summary: i.postmortem.summary.clone(),
            root_cause: i.postmortem.root_cause.clone(),
            trigger: i.postmortem.trigger.clone(),
            resolution: i.postmortem.resolution.clone(),
            detection: i.postmortem.detection.clone(),
            whys: i.postmortem.whys.clone(),
            contributing_factors: i.postmortem.contributing_factors.clone(),
            went_well: i.postmortem.went_well.clone(),
            went_wrong: i.postmortem.went_wrong.clone(),
            lucky: i.postmortem.lucky.clone(),
            lessons: i.postmortem.lessons.clone(),
        }
    }
}

impl TaskContext {
    fn of(t: &crate::model::Task, config: &Config, now: DateTime<Utc>) -> TaskContext {
        let late = t.due_at.is_some_and(|due| {
            t.closed_at
                .map_or(now > due && t.state == crate::model::TaskState::Open, |c| {
                    c > due
                })
        });
        TaskContext {
            number: t.number,
            text: t.text.clone(),
            runbook: t.runbook.as_ref().map(|r| r.path.clone()),
            role: t.role.clone(),
            who: t
                .assignee
                .as_deref()
                .map(|w| config.display_name(w).to_string()),
            due_at: t.due_at,
            state: t.state.as_str().into(),
            closed_at: t.closed_at,
            closed_by: t.closed_by.clone(),
            note: t.note.clone(),
            late,
        }
    }
}

/// The runbooks `i` followed, each with the version it copied.
fn runbooks_followed(i: &Incident) -> Vec<RunbookContext> {
    i.runbooks_followed()
        .into_iter()
        .map(|path| {
            let blob = i
                .tasks
                .iter()
                .find_map(|t| t.runbook.as_ref().filter(|r| r.path == path))
                .map(|r| r.blob.clone())
                .unwrap_or_default();
            RunbookContext {
                path: path.to_string(),
                version: blob[..blob.len().min(10)].to_string(),
            }
        })
        .collect()
}

impl ActionContext {
    fn of(a: &crate::model::ActionItem, now: DateTime<Utc>) -> ActionContext {
        ActionContext {
            number: a.number,
            title: a.title.clone(),
            runbook: a.runbook.clone(),
            owner: a.owner.clone(),
            due: a.due,
            action_type: a.action_type.as_str().into(),
            state: a.state.as_str().into(),
            link: a.link.clone(),
            note: a.note.clone(),
            overdue: a.state == ActionState::Open && a.is_overdue(now.date_naive()),
        }
    }
}

/// How long the incident spent at each severity, in order.
fn severity_periods(
    i: &Incident,
    config: &Config,
    now: DateTime<Utc>,
) -> Vec<SeverityPeriodContext> {
    i.severity_periods()
        .into_iter()
        .map(|p| SeverityPeriodContext {
            label: config.severity(p.severity).label,
            seconds: (p.until.unwrap_or(now).max(p.from) - p.from).num_seconds(),
            severity: p.severity,
            from: p.from,
            until: p.until,
        })
        .collect()
}

/// The roles a person held when they acted, not the ones they ended with (`responder` for none).
fn role_at(
    periods: &[crate::model::RolePeriod],
    config: &Config,
    who: &str,
    at: DateTime<Utc>,
) -> String {
    let held: Vec<String> = periods
        .iter()
        .filter(|p| p.who == who || config.display_name(&p.who) == who)
        .filter(|p| p.from <= at && p.until.is_none_or(|u| u > at))
        .map(|p| role_title(&p.role))
        .collect();
    if held.is_empty() {
        "responder".into()
    } else {
        held.join(" and ")
    }
}

fn services(i: &Incident, config: &Config) -> Vec<ServiceContext> {
    i.services
        .iter()
        .map(|s| ServiceContext {
            id: s.clone(),
            name: config.service_name(s),
        })
        .collect()
}

fn event(e: &TimelineEvent, by_role: String) -> EventContext {
    EventContext {
        id: e.id.clone(),
        at: e.at,
        by: e.by.clone(),
        by_role,
        kind: e.kind.to_string(),
        text: e.text.clone(),
        public: e.visibility == Visibility::Public,
        audience: e.audience.clone(),
    }
}

/// `commander` → `incident commander`: how the role reads in a sentence.
fn role_title(role: &str) -> String {
    match role {
        "commander" => "incident commander".into(),
        "comms" => "communications lead".into(),
        "liaison" => "technical liaison".into(),
        other => other.replace(['_', '-'], " "),
    }
}

/// The severity changes recorded by `incident severity` (`severity SEV2 → SEV1: ...`).
fn severity_history(i: &Incident) -> Vec<SeverityChange> {
    i.severity_changes()
        .into_iter()
        .map(|(at, from, to)| SeverityChange {
            at,
            from: from.to_string(),
            to: to.to_string(),
        })
        .collect()
}

fn scalar_text(v: &serde_yaml::Value) -> String {
    match v {
        serde_yaml::Value::String(s) => s.clone(),
        serde_yaml::Value::Number(n) => n.to_string(),
        serde_yaml::Value::Bool(b) => b.to_string(),
        other => serde_json::to_string(other).unwrap_or_default(),
    }
}

/// The public face of an incident, all an update template may show: a status update is published, so
/// its template never sees the timeline, the people or internal updates.
#[derive(Debug, Clone, Serialize)]
pub struct PublicIncidentContext {
    pub id: String,
    pub title: String,
    pub severity: Severity,
    pub severity_label: String,
    pub status: Status,
    pub services: Vec<ServiceContext>,
    /// `started_at`, `detected_at`, `acknowledged_at`, `mitigated_at`, `resolved_at`.
    #[serde(flatten)]
    pub times: crate::model::EveryTime,
}

/// What the `update-*` templates receive.
#[derive(Debug, Clone, Serialize)]
pub struct UpdateDocument {
    pub org: OrgContext,
    pub incident: PublicIncidentContext,
    pub update: UpdateContext,
    /// The policy's update cadence for this severity, in minutes (null when it sets none).
    pub cadence_minutes: Option<i64>,
    /// The post-mortem promise of the worst severity the incident reached (`5 days`), from the
    /// policy; null when it makes none.
    pub postmortem_within: Option<String>,
    pub now: DateTime<Utc>,
}

impl UpdateDocument {
    pub fn public(
        i: &Incident,
        config: &Config,
        update: UpdateContext,
        now: DateTime<Utc>,
    ) -> UpdateDocument {
        // As customers were told it, where the update kept that.
        let severity = update.said_severity.unwrap_or(i.severity);
        UpdateDocument {
            org: OrgContext::from_config(config),
            incident: PublicIncidentContext {
                id: i.id.clone(),
                title: i.title.clone(),
                severity,
                severity_label: config.severity(severity).label,
                status: i.status,
                services: services(i, config),
                times: crate::model::EveryTime(i.times),
            },
            update,
            cadence_minutes: config
                .severity(i.severity)
                .update_every
                .map(|s| s.seconds() / 60),
            postmortem_within: config
                .postmortem_due(i.peak_severity())
                .map(|d| d.in_words()),
            now,
        }
    }

    /// The document for one stored update of `i`, found by its entry ID.
    pub fn for_update(
        i: &Incident,
        config: &Config,
        update_id: &str,
        now: DateTime<Utc>,
    ) -> Option<UpdateDocument> {
        let first_public = i.first_public_update().map(|u| u.id.as_str());
        let update = i.updates.iter().find(|u| u.id == update_id)?;
        Some(UpdateDocument::public(
            i,
            config,
            UpdateContext::of(update, first_public),
            now,
        ))
    }
}

/// What the `postmortem*` templates receive: the whole record (it is an internal document).
#[derive(Debug, Clone, Serialize)]
pub struct PostmortemDocument {
    pub org: OrgContext,
    pub incident: IncidentContext,
    pub generated_at: DateTime<Utc>,
    /// Incidents named as related, and earlier ones of the same service or kind (90 days).
    pub related: Vec<crate::metrics::RelatedIncident>,
    /// The timeline as a Mermaid `gantt` (`crate::render::chart::mermaid`), for Markdown.
    pub timeline_mermaid: Option<String>,
    /// The file name of the timeline chart (SVG) beside the document, for an image link.
    pub timeline_image: Option<String>,
}

/// What the brief templates (`brief-handoff`, `brief-exec`) receive: the incident as the
/// post-mortem sees it, and what is due now.
#[derive(Debug, Clone, Serialize)]
pub struct BriefDocument {
    pub org: OrgContext,
    pub incident: IncidentContext,
    pub due: Vec<crate::metrics::Due>,
    pub generated_at: DateTime<Utc>,
}

impl BriefDocument {
    pub fn new(i: &Incident, config: &Config, now: DateTime<Utc>) -> BriefDocument {
        BriefDocument {
            org: OrgContext::from_config(config),
            incident: IncidentContext::new(i, config, now),
            due: crate::metrics::due(std::slice::from_ref(i), config, now),
            generated_at: now,
        }
    }
}

impl PostmortemDocument {
    pub fn new(i: &Incident, config: &Config, now: DateTime<Utc>) -> PostmortemDocument {
        PostmortemDocument {
            org: OrgContext::from_config(config),
            incident: IncidentContext::new(i, config, now),
            generated_at: now,
            related: Vec::new(),
            timeline_mermaid: None,
            timeline_image: None,
        }
    }

    /// The same document showing the timeline picture: as Mermaid, and as an image named `image`.
    pub fn with_timeline(mut self, mermaid: Option<String>, image: Option<String>) -> Self {
        self.timeline_mermaid = mermaid;
        self.timeline_image = image;
        self
    }

    pub fn with_related(mut self, related: Vec<crate::metrics::RelatedIncident>) -> Self {
        self.related = related;
        self
    }

    /// The same document with nothing customers may not read: internal events and updates, people
    /// (authors, roles, owners, the review's author and reviewers) and every figure but the public
    /// ones are removed, so no template can reach them.
    pub fn public(mut self) -> PostmortemDocument {
        let i = &mut self.incident;
        i.timeline.retain(|e| e.public);
        for e in &mut i.timeline {
            e.by = String::new();
            e.by_role = String::new();
        }
        i.updates.retain(|u| u.public);
        for u in i.updates.iter_mut().chain(i.public_updates.iter_mut()) {
            u.by = String::new();
        }
        i.roles.clear();
        i.role_history.clear();
        i.impact_other.clear();
        i.customers_affected = None;
        for a in &mut i.actions {
            a.owner = String::new();
            a.note = None;
            a.link = None;
            a.runbook = None;
        }
        i.actions.retain(|a| a.state != "dropped");
        // Who did which step is the responders' business, not the customers'.
        i.tasks.clear();
        i.runbooks.clear();
        let pm = &mut i.postmortem;
        pm.author = None;
        pm.reviewers.clear();
        self.related.clear();
        self
    }

    /// Fills in the words customers saw for each public update, as `text` renders them.
    pub fn with_update_texts<E>(
        mut self,
        mut text: impl FnMut(&UpdateContext) -> Result<String, E>,
    ) -> Result<PostmortemDocument, E> {
        for list in [
            &mut self.incident.updates,
            &mut self.incident.public_updates,
        ] {
            // Kept words stay as they were said; only updates from before they were kept are
            // rendered.
            for u in list.iter_mut().filter(|u| u.public && u.text.is_none()) {
                u.text = Some(text(u)?);
            }
        }
        Ok(self)
    }
}
