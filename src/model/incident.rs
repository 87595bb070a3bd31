//! The incident record as stored in `incidents/<year>/<id>.yaml`, and the lifecycle rules that change it.
//!
//! Every struct keeps the fields it does not know in `extra`, so a record written by a newer `incident`
//! survives being rewritten by an older one. Field order here is the key order in the file: keep it.

use super::{ModelError, Severity, Status, entry_id};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

/// Fields this version does not know, kept verbatim (in their original order) and written back.
pub type Extra = serde_yaml::Mapping;

/// The kinds of timeline event the binary writes itself; `log --kind` adds note, action, decision,
/// finding and comms. Kept as strings in the record so newer kinds survive older binaries.
pub mod event_kind {
    pub const DECLARED: &str = "declared";
    pub const SEVERITY: &str = "severity";
    pub const STATUS: &str = "status";
    pub const ASSIGN: &str = "assign";
    pub const ACK: &str = "ack";
    pub const RESOLVED: &str = "resolved";
    pub const UPDATE: &str = "update";
    pub const ACTION_ITEM: &str = "action-item";
    pub const POSTMORTEM: &str = "postmortem";
    pub const MERGE: &str = "merge";
    pub const RENAME: &str = "rename";
    /// A correction of the record itself (`incident edit`): title, services, impact, times.
    pub const EDIT: &str = "edit";
    /// What the incident does to one service: `component api: major_outage → degraded_performance`.
    pub const COMPONENT: &str = "component";
    /// A runbook attached, or a task added, done, skipped or assigned.
    pub const TASK: &str = "task";
    pub const ALERT: &str = "alert";
    /// The kinds a responder may pick with `incident log --kind`.
    pub const LOGGABLE: [&str; 5] = ["note", "action", "decision", "finding", "comms"];
}

/// What a timeline event records: one of the kinds this version writes (see [`event_kind`] for
/// their names), or a kind a newer version wrote, kept as written so the record survives this one.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum EventKind {
    Declared,
    Severity,
    Status,
    Assign,
    Ack,
    Resolved,
    Update,
    ActionItem,
    Postmortem,
    Merge,
    Rename,
    Edit,
    Component,
    Note,
    Action,
    Decision,
    Finding,
    Comms,
    /// A runbook attached, a task added, done, skipped or assigned.
    Task,
    /// An alert of a group the incident answers, firing or resolved (`incident serve`/`ingest`).
    Alert,
    /// A kind this version does not know.
    Newer(String),
}

impl EventKind {
    const KNOWN: [EventKind; 20] = [
        EventKind::Declared,
        EventKind::Severity,
        EventKind::Status,
        EventKind::Assign,
        EventKind::Ack,
        EventKind::Resolved,
        EventKind::Update,
        EventKind::ActionItem,
        EventKind::Postmortem,
        EventKind::Merge,
        EventKind::Rename,
        EventKind::Edit,
        EventKind::Component,
        EventKind::Note,
        EventKind::Action,
        EventKind::Decision,
        EventKind::Finding,
        EventKind::Comms,
        EventKind::Task,
        EventKind::Alert,
    ];

    pub fn as_str(&self) -> &str {
        match self {
            EventKind::Declared => event_kind::DECLARED,
            EventKind::Severity => event_kind::SEVERITY,
            EventKind::Status => event_kind::STATUS,
            EventKind::Assign => event_kind::ASSIGN,
            EventKind::Ack => event_kind::ACK,
            EventKind::Resolved => event_kind::RESOLVED,
            EventKind::Update => event_kind::UPDATE,
            EventKind::ActionItem => event_kind::ACTION_ITEM,
            EventKind::Postmortem => event_kind::POSTMORTEM,
            EventKind::Merge => event_kind::MERGE,
            EventKind::Rename => event_kind::RENAME,
            EventKind::Edit => event_kind::EDIT,
            EventKind::Component => event_kind::COMPONENT,
            EventKind::Note => "note",
            EventKind::Action => "action",
            EventKind::Decision => "decision",
            EventKind::Finding => "finding",
            EventKind::Comms => "comms",
            EventKind::Task => event_kind::TASK,
            EventKind::Alert => event_kind::ALERT,
            EventKind::Newer(kind) => kind,
        }
    }

    pub fn parse(text: &str) -> EventKind {
        EventKind::KNOWN
            .into_iter()
            .find(|k| k.as_str() == text)
            .unwrap_or_else(|| EventKind::Newer(text.to_string()))
    }

    /// What a responder logs (`incident log --kind`): notes, actions, decisions, findings, comms.
    pub fn is_loggable(&self) -> bool {
        event_kind::LOGGABLE.contains(&self.as_str())
    }
}

impl fmt::Display for EventKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl From<&str> for EventKind {
    fn from(text: &str) -> EventKind {
        EventKind::parse(text)
    }
}

impl PartialEq<str> for EventKind {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for EventKind {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl Serialize for EventKind {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for EventKind {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<EventKind, D::Error> {
        Ok(EventKind::parse(&String::deserialize(deserializer)?))
    }
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, Default,
)]
#[serde(rename_all = "kebab-case")]
pub enum IncidentKind {
    Outage,
    Degradation,
    Security,
    ThirdParty,
    Deploy,
    Misconfiguration,
    #[default]
    Other,
}

impl IncidentKind {
    pub const ALL: [IncidentKind; 7] = [
        Self::Outage,
        Self::Degradation,
        Self::Security,
        Self::ThirdParty,
        Self::Deploy,
        Self::Misconfiguration,
        Self::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Outage => "outage",
            Self::Degradation => "degradation",
            Self::Security => "security",
            Self::ThirdParty => "third-party",
            Self::Deploy => "deploy",
            Self::Misconfiguration => "misconfiguration",
            Self::Other => "other",
        }
    }
}

impl fmt::Display for IncidentKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for IncidentKind {
    type Err = super::ModelError;
    fn from_str(s: &str) -> Result<Self, super::ModelError> {
        let lower = s.trim().to_ascii_lowercase();
        Self::ALL.into_iter().find(|k| k.as_str() == lower).ok_or_else(|| {
            super::ModelError::Invalid(format!(
                "invalid incident kind `{s}`: expected one of outage, degradation, security, third-party, deploy, misconfiguration, other"
            ))
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Visibility {
    #[default]
    Public,
    Internal,
}

impl Visibility {
    pub fn is_public(self) -> bool {
        self == Self::Public
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TimelineEvent {
    /// Stable identity for merging; records written before it existed get one derived on load.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub id: String,
    pub at: DateTime<Utc>,
    pub by: String,
    pub kind: EventKind,
    pub text: String,
    #[serde(default)]
    pub visibility: Visibility,
    /// For `comms` events: who was told (`customers`, `executives`, `status-page`, ...). This is the
    /// evidence the communication deadlines are measured against.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audience: Option<String>,
    #[serde(flatten)]
    pub extra: Extra,
}

impl TimelineEvent {
    pub fn derived_id(&self, incident: &str) -> String {
        entry_id(
            "e-",
            &[
                incident,
                &self.at.to_rfc3339(),
                &self.by,
                self.kind.as_str(),
                &self.text,
            ],
        )
    }
}

/// A status update: the three things every update must say, and who may read it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StatusUpdate {
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub id: String,
    pub at: DateTime<Utc>,
    pub by: String,
    pub status: Status,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub impacted: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub learned: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_update_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub visibility: Visibility,
    /// What customers were told, kept as it was posted: every later page, feed, document and late
    /// notification shows these words, whatever the record says by then. Absent on internal
    /// updates and on public ones written before it was kept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub said: Option<Said>,
    #[serde(flatten)]
    pub extra: Extra,
}

/// The words of one public update and the state they spoke of, as of posting.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Said {
    /// The shared `update-body` words.
    pub text: String,
    pub severity: Severity,
    /// Each affected service's status then.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub components: BTreeMap<String, super::ComponentStatus>,
}

impl StatusUpdate {
    pub fn derived_id(&self, incident: &str) -> String {
        entry_id(
            "u-",
            &[
                incident,
                &self.at.to_rfc3339(),
                &self.by,
                self.status.as_str(),
                self.impacted.as_deref().unwrap_or(""),
                self.learned.as_deref().unwrap_or(""),
            ],
        )
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum ActionType {
    Mitigate,
    #[default]
    Prevent,
    Process,
}

impl ActionType {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Mitigate => "mitigate",
            Self::Prevent => "prevent",
            Self::Process => "process",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum ActionState {
    #[default]
    Open,
    Done,
    Dropped,
}

impl ActionState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Open => "open",
            Self::Done => "done",
            Self::Dropped => "dropped",
        }
    }
}

/// A follow-up that is specific, owned and dated.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ActionItem {
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub id: String,
    pub number: u32,
    pub title: String,
    pub owner: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub due: Option<NaiveDate>,
    #[serde(rename = "type", default)]
    pub action_type: ActionType,
    #[serde(default)]
    pub state: ActionState,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub link: Option<String>,
    /// The runbook it improves (`runbooks/sev1-response.md`): lessons flow back by pull request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub runbook: Option<String>,
    pub created_at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub closed_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    #[serde(flatten)]
    pub extra: Extra,
}

impl ActionItem {
    pub fn derived_id(&self, incident: &str) -> String {
        entry_id(
            "a-",
            &[
                incident,
                &self.created_at.to_rfc3339(),
                &self.owner,
                &self.title,
            ],
        )
    }

    pub fn is_overdue(&self, today: NaiveDate) -> bool {
        self.state == ActionState::Open && self.due.is_some_and(|d| d < today)
    }
}

/// Numbers known about the impact; anything else a team records (revenue at risk, support tickets)
/// lives in `extra` and is shown as-is by the post-mortem.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Impact {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub users_affected: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customers_affected: Option<u64>,
    #[serde(flatten)]
    pub extra: Extra,
}

/// A change to the impact figures: what is `Some` is set (an empty text removes that figure).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ImpactChange {
    pub users: Option<u64>,
    pub customers: Option<u64>,
    pub revenue: Option<String>,
    pub text: Option<String>,
}

impl ImpactChange {
    pub fn is_empty(&self) -> bool {
        *self == ImpactChange::default()
    }
}

impl Impact {
    /// The open `impact` map's keys for the two figures the tool itself sets.
    pub const REVENUE: &'static str = "revenue_at_risk";
    pub const DESCRIPTION: &'static str = "description";

    /// Sets what `change` gives; an empty text removes that figure.
    pub fn apply(&mut self, change: &ImpactChange) -> Result<(), ModelError> {
        if let Some(n) = change.users {
            self.users_affected = Some(n);
        }
        if let Some(n) = change.customers {
            self.customers_affected = Some(n);
        }
        for (key, text) in [
            (Self::REVENUE, &change.revenue),
            (Self::DESCRIPTION, &change.text),
        ] {
            let Some(text) = text else { continue };
            super::check_text(key, text)?;
            self.set_text(key, text);
        }
        Ok(())
    }

    /// The free-text figure under `key` of the record's open `impact` map.
    pub fn text(&self, key: &str) -> Option<String> {
        self.extra
            .get(key)
            .and_then(|v| v.as_str().map(str::to_string))
    }

    /// Sets the free-text figure under `key`, trimmed; an empty text removes it.
    pub(crate) fn set_text(&mut self, key: &str, text: &str) {
        match text.trim() {
            "" => {
                self.extra.remove(key);
            }
            t => {
                self.extra.insert(
                    serde_yaml::Value::String(key.to_string()),
                    serde_yaml::Value::String(t.to_string()),
                );
            }
        }
    }

    pub fn is_empty(&self) -> bool {
        self.users_affected.is_none() && self.customers_affected.is_none() && self.extra.is_empty()
    }
}

/// What the post-incident review author writes; each part may still be missing while the review is
/// being drafted, and the templates render those as placeholders.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Postmortem {
    /// Where the review stands: draft (the default), in-review, final.
    #[serde(default, skip_serializing_if = "ReviewStatus::is_draft")]
    pub status: ReviewStatus,
    /// Who wrote it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub author: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reviewers: Vec<String>,
    /// When the review meeting is (or was).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub meeting: Option<NaiveDate>,
    /// Set when the customer-safe version goes on the status page (`pir --publish`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub published_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub root_cause: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trigger: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resolution: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detection: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub whys: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub contributing_factors: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub went_well: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub went_wrong: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub lucky: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub lessons: Vec<String>,
    #[serde(flatten)]
    pub extra: Extra,
}

/// Where a post-incident review stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum ReviewStatus {
    #[default]
    Draft,
    InReview,
    Final,
}

impl ReviewStatus {
    pub const ALL: [ReviewStatus; 3] = [Self::Draft, Self::InReview, Self::Final];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Draft => "draft",
            Self::InReview => "in-review",
            Self::Final => "final",
        }
    }

    fn is_draft(&self) -> bool {
        *self == Self::Draft
    }
}

impl fmt::Display for ReviewStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for ReviewStatus {
    type Err = ModelError;
    fn from_str(s: &str) -> Result<Self, ModelError> {
        let wanted = s.trim().to_ascii_lowercase().replace(' ', "-");
        Self::ALL
            .into_iter()
            .find(|r| r.as_str() == wanted)
            .ok_or_else(|| {
                ModelError::Invalid(format!(
                    "invalid review status `{s}`: expected draft, in-review or final"
                ))
            })
    }
}

impl Postmortem {
    pub fn is_empty(&self) -> bool {
        self == &Postmortem::default()
    }
}

fn is_false(b: &bool) -> bool {
    !*b
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Incident {
    pub version: u32,
    #[serde(deserialize_with = "super::name::record_id")]
    pub id: String,
    pub title: String,
    #[serde(default)]
    pub kind: IncidentKind,
    pub severity: Severity,
    pub status: Status,
    /// A practice incident (tabletop or game day): listed apart and left out of metrics.
    #[serde(default, skip_serializing_if = "is_false")]
    pub drill: bool,
    #[serde(default, deserialize_with = "super::name::services")]
    pub services: Vec<String>,
    /// Free labels teams filter and group by (`database`, `customer-facing`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    /// IDs of incidents this one is related to (a recurrence, a cause, a duplicate).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub related: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    #[serde(default, skip_serializing_if = "Impact::is_empty")]
    pub impact: Impact,
    #[serde(default)]
    pub roles: BTreeMap<String, String>,
    /// When impact began, and when it was detected, acknowledged, mitigated and resolved.
    #[serde(flatten)]
    pub times: Lifecycle,
    #[serde(default)]
    pub timeline: Vec<TimelineEvent>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub updates: Vec<StatusUpdate>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub actions: Vec<ActionItem>,
    /// The steps of the runbooks it follows, and tasks added by hand.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tasks: Vec<super::task::Task>,
    #[serde(default, skip_serializing_if = "Postmortem::is_empty")]
    pub postmortem: Postmortem,
    /// The alert groups it answers (`alertmanager:<groupKey>`): a group's repeats and new alerts
    /// go to its open incident instead of declaring another (`crate::model::alert`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub alerts: Vec<String>,
    #[serde(flatten)]
    pub extra: Extra,
}

/// Whether a status change may take a resolved incident back to work (`--reopen`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Reopen {
    /// A resolved incident stays resolved: the change is refused.
    #[default]
    No,
    Yes,
}

/// When an incident's lifecycle moved: impact began, it was detected, acknowledged, mitigated and
/// resolved. One type wherever these times travel (the record, its summary and views, the figures,
/// the templates), so what "opened" and "lasted" mean is said once.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lifecycle {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detected_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acknowledged_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mitigated_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resolved_at: Option<DateTime<Utc>>,
}

impl Lifecycle {
    /// When the incident began as far as anyone knows: detection, else impact start. This places
    /// an incident in a metrics window or a `list --since`.
    pub fn opened_at(&self) -> Option<DateTime<Utc>> {
        self.detected_at.or(self.started_at)
    }

    /// From impact start (or detection) to resolution, or to `now` while still active.
    pub fn duration(&self, now: DateTime<Utc>) -> Option<chrono::Duration> {
        lasted(self.started_at, self.detected_at, self.resolved_at, now)
    }

    /// Each time with its field name, in lifecycle order.
    pub fn named(&self) -> [(&'static str, Option<DateTime<Utc>>); 5] {
        [
            ("started_at", self.started_at),
            ("detected_at", self.detected_at),
            ("acknowledged_at", self.acknowledged_at),
            ("mitigated_at", self.mitigated_at),
            ("resolved_at", self.resolved_at),
        ]
    }
}

/// A lifecycle serialised with every time, `null` where there is none: what templates read (a
/// missing key would be an error under strict undefined behaviour).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EveryTime(pub Lifecycle);

impl Serialize for EveryTime {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut s = serializer.serialize_struct("Lifecycle", 5)?;
        for (name, t) in self.0.named() {
            s.serialize_field(name, &t)?;
        }
        s.end()
    }
}

/// The fields `list` needs, read without keeping timelines in memory: listing 10,000 incidents then
/// stays within a few megabytes. Field names are the record's own.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IncidentSummary {
    #[serde(deserialize_with = "super::name::record_id")]
    pub id: String,
    pub title: String,
    #[serde(default)]
    pub kind: IncidentKind,
    pub severity: Severity,
    pub status: Status,
    #[serde(default, skip_serializing_if = "is_false")]
    pub drill: bool,
    #[serde(default, deserialize_with = "super::name::services")]
    pub services: Vec<String>,
    #[serde(default)]
    pub roles: RoleList,
    /// When impact began, and when it was detected, acknowledged, mitigated and resolved.
    #[serde(flatten)]
    pub times: Lifecycle,
}

/// Role → person, sorted by role; a map in YAML and JSON. A list rather than a `BTreeMap` because
/// a map's smallest node takes half a kilobyte, and `list` holds one per incident: 50 MB at
/// 100,000 incidents for two or three names each.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RoleList(Vec<(String, String)>);

impl RoleList {
    pub fn get(&self, role: &str) -> Option<&str> {
        self.0
            .binary_search_by(|(r, _)| r.as_str().cmp(role))
            .ok()
            .map(|n| self.0[n].1.as_str())
    }

    pub fn iter(&self) -> impl ExactSizeIterator<Item = (&str, &str)> {
        self.0.iter().map(|(r, w)| (r.as_str(), w.as_str()))
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl FromIterator<(String, String)> for RoleList {
    /// Sorted by role; a role given twice keeps its last person, as a map would.
    fn from_iter<I: IntoIterator<Item = (String, String)>>(iter: I) -> Self {
        let map: BTreeMap<String, String> = iter.into_iter().collect();
        RoleList(map.into_iter().collect())
    }
}

impl Serialize for RoleList {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_map(self.0.iter().map(|(r, w)| (r, w)))
    }
}

impl<'de> Deserialize<'de> for RoleList {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let map = BTreeMap::<String, String>::deserialize(d)?;
        Ok(RoleList(map.into_iter().collect()))
    }
}

impl IncidentSummary {
    pub fn commander(&self) -> Option<&str> {
        self.roles.get("commander")
    }

    /// See [`Lifecycle::opened_at`].
    pub fn opened_at(&self) -> Option<DateTime<Utc>> {
        self.times.opened_at()
    }

    /// See [`Lifecycle::duration`].
    pub fn duration(&self, now: DateTime<Utc>) -> Option<chrono::Duration> {
        self.times.duration(now)
    }
}

/// Impact start (or detection) to resolution, or to `now` while still active.
pub fn lasted(
    started: Option<DateTime<Utc>>,
    detected: Option<DateTime<Utc>>,
    resolved: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Option<chrono::Duration> {
    Some(resolved.unwrap_or(now) - started.or(detected)?)
}

/// The fields the public status page may use, read without the timeline, actions and review, so
/// publishing thousands of incidents stays small. Everything else is left out by construction.
/// Serialisable so the store can cache it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PublicView {
    #[serde(deserialize_with = "super::name::record_id")]
    pub id: String,
    pub title: String,
    pub severity: Severity,
    pub status: Status,
    #[serde(default)]
    pub drill: bool,
    #[serde(default, deserialize_with = "super::name::services")]
    pub services: Vec<String>,
    #[serde(flatten)]
    pub times: Lifecycle,
    #[serde(default)]
    pub updates: Vec<StatusUpdate>,
    /// Only the events the component statuses are computed from (declared, severity, status,
    /// component, resolved); their texts are parsed, never published.
    #[serde(default, deserialize_with = "lifecycle_events")]
    pub timeline: Vec<TimelineEvent>,
    /// Read so that a review released with `pir --publish` can be published with the incident;
    /// dropped otherwise (see [`PublicView::into_incident`]).
    #[serde(default)]
    pub postmortem: Postmortem,
    #[serde(default)]
    pub actions: Vec<ActionItem>,
    #[serde(default)]
    pub impact: Impact,
}

impl PublicView {
    /// An incident holding only the public fields (and internal updates, which publishing skips).
    /// The review, its action items and the impact figures come along only once the review is
    /// released (`pir --publish`); the public post-mortem then strips what customers may not read.
    pub fn into_incident(self) -> Incident {
        let released = self.postmortem.published_at.is_some();
        let mut incident = Incident {
            version: super::FORMAT_VERSION,
            id: self.id,
            title: self.title,
            kind: IncidentKind::Other,
            severity: self.severity,
            status: self.status,
            drill: self.drill,
            services: self.services,
            tags: Vec::new(),
            related: Vec::new(),
            summary: None,
            impact: if released {
                self.impact
            } else {
                Impact::default()
            },
            roles: BTreeMap::new(),
            times: crate::model::Lifecycle {
                started_at: self.times.started_at,
                detected_at: self.times.detected_at,
                acknowledged_at: None,
                mitigated_at: self.times.mitigated_at,
                resolved_at: self.times.resolved_at,
            },
            timeline: self.timeline,
            updates: self.updates,
            actions: if released { self.actions } else { Vec::new() },
            tasks: Vec::new(),
            alerts: Vec::new(),
            postmortem: if released {
                self.postmortem
            } else {
                Postmortem::default()
            },
            extra: Extra::new(),
        };
        incident.fill_entry_ids();
        incident
    }
}

fn lifecycle_events<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Vec<TimelineEvent>, D::Error> {
    let mut events = Vec::<TimelineEvent>::deserialize(deserializer)?;
    events.retain(|e| {
        [
            event_kind::DECLARED,
            event_kind::SEVERITY,
            event_kind::STATUS,
            event_kind::COMPONENT,
            event_kind::RESOLVED,
        ]
        .contains(&e.kind.as_str())
    });
    Ok(events)
}

/// Reads a `Closes-Action:` trailer's value, `<incident>#<number>`.
pub fn parse_action_ref(value: &str) -> Result<(&str, u32), String> {
    let Some((incident, number)) = value.rsplit_once('#') else {
        return Err(format!("`{value}`: expected <id>#<n>"));
    };
    let number = number
        .trim()
        .parse::<u32>()
        .map_err(|_| format!("`{value}`: the part after # must be a number"))?;
    Ok((incident.trim(), number))
}

/// The derived ID, or when an entry with the same parts already exists (the same text logged twice
/// in one second), the next free ID derived from it: two entries are two entries.
fn unique_id(derived: String, prefix: &str, taken: impl Fn(&str) -> bool) -> String {
    let mut id = derived.clone();
    let mut n = 1u32;
    while taken(&id) {
        n += 1;
        id = entry_id(prefix, &[&derived, &n.to_string()]);
    }
    id
}

/// What `incident pir` changes in the review: texts that are `Some` replace theirs, `whys` (when
/// given) replaces the whys, the other lists append.
#[derive(Debug, Clone, Default)]
pub struct ReviewPatch {
    /// `Some(Some(t))` publishes at `t`, `Some(None)` withdraws it from the status page.
    pub publish: Option<Option<DateTime<Utc>>>,
    pub status: Option<ReviewStatus>,
    pub author: Option<String>,
    /// Reviewers to add.
    pub reviewers: Vec<String>,
    pub meeting: Option<NaiveDate>,
    pub summary: Option<String>,
    pub root_cause: Option<String>,
    pub trigger: Option<String>,
    pub resolution: Option<String>,
    pub detection: Option<String>,
    pub whys: Option<Vec<String>>,
    pub add_whys: Vec<String>,
    pub factors: Vec<String>,
    pub went_well: Vec<String>,
    pub went_wrong: Vec<String>,
    pub lucky: Vec<String>,
    pub lessons: Vec<String>,
}

impl ReviewPatch {
    pub fn is_empty(&self) -> bool {
        [
            &self.summary,
            &self.root_cause,
            &self.trigger,
            &self.resolution,
            &self.detection,
        ]
        .iter()
        .all(|t| t.is_none())
            && self.whys.is_none()
            && self.status.is_none()
            && self.publish.is_none()
            && self.author.is_none()
            && self.reviewers.is_empty()
            && self.meeting.is_none()
            && [
                &self.add_whys,
                &self.factors,
                &self.went_well,
                &self.went_wrong,
                &self.lucky,
                &self.lessons,
            ]
            .iter()
            .all(|l| l.is_empty())
    }
}

impl Postmortem {
    /// Applies `patch`; refuses text with control characters.
    pub fn apply(&mut self, patch: &ReviewPatch) -> Result<(), ModelError> {
        let texts = [
            &patch.summary,
            &patch.root_cause,
            &patch.trigger,
            &patch.resolution,
            &patch.detection,
        ];
        for text in texts
            .iter()
            .copied()
            .flatten()
            .chain(patch.whys.iter().flatten())
            .chain(
                [
                    &patch.add_whys,
                    &patch.factors,
                    &patch.went_well,
                    &patch.went_wrong,
                    &patch.lucky,
                    &patch.lessons,
                ]
                .into_iter()
                .flatten(),
            )
        {
            super::check_text("the review", text)?;
        }
        let set = |field: &mut Option<String>, value: &Option<String>| {
            if let Some(v) = value.as_ref().map(|v| v.trim()).filter(|v| !v.is_empty()) {
                *field = Some(v.to_string());
            }
        };
        for who in patch.author.iter().chain(&patch.reviewers) {
            super::check_name("person", who)?;
        }
        if let Some(status) = patch.status {
            self.status = status;
        }
        if let Some(publish) = patch.publish {
            // Publishing again keeps the first publication time.
            self.published_at = publish.map(|t| self.published_at.unwrap_or(t));
        }
        set(&mut self.author, &patch.author);
        for r in &patch.reviewers {
            if !self.reviewers.contains(r) {
                self.reviewers.push(r.clone());
            }
        }
        if let Some(meeting) = patch.meeting {
            self.meeting = Some(meeting);
        }
        set(&mut self.summary, &patch.summary);
        set(&mut self.root_cause, &patch.root_cause);
        set(&mut self.trigger, &patch.trigger);
        set(&mut self.resolution, &patch.resolution);
        set(&mut self.detection, &patch.detection);
        if let Some(whys) = &patch.whys {
            self.whys = whys.clone();
        }
        self.whys.extend(patch.add_whys.iter().cloned());
        self.contributing_factors
            .extend(patch.factors.iter().cloned());
        self.went_well.extend(patch.went_well.iter().cloned());
        self.went_wrong.extend(patch.went_wrong.iter().cloned());
        self.lucky.extend(patch.lucky.iter().cloned());
        self.lessons.extend(patch.lessons.iter().cloned());
        Ok(())
    }
}

/// Everything a declaration says, checked and turned into a record by [`Incident::from_spec`].
#[derive(Debug, Clone)]
pub struct DeclareSpec {
    pub title: String,
    pub severity: Severity,
    pub kind: IncidentKind,
    pub services: Vec<String>,
    pub summary: Option<String>,
    pub commander: Option<String>,
    pub comms: Option<String>,
    pub started_at: Option<DateTime<Utc>>,
    /// When it was detected; `None` means at the moment of declaring.
    pub detected_at: Option<DateTime<Utc>>,
    pub drill: bool,
    pub impact: ImpactChange,
}

/// Who did something and when: every change to a record carries both.
#[derive(Debug, Clone)]
pub struct Stamp {
    pub at: DateTime<Utc>,
    pub by: String,
}

impl Incident {
    /// A freshly declared incident with its `declared` event.
    pub fn declare(id: String, title: String, severity: Severity, stamp: &Stamp) -> Incident {
        let mut incident = Incident {
            version: super::FORMAT_VERSION,
            id,
            title,
            kind: IncidentKind::Other,
            severity,
            status: Status::Investigating,
            drill: false,
            services: Vec::new(),
            tags: Vec::new(),
            related: Vec::new(),
            summary: None,
            impact: Impact::default(),
            roles: BTreeMap::new(),
            times: crate::model::Lifecycle {
                started_at: None,
                detected_at: Some(stamp.at),
                acknowledged_at: None,
                mitigated_at: None,
                resolved_at: None,
            },
            timeline: Vec::new(),
            updates: Vec::new(),
            actions: Vec::new(),
            tasks: Vec::new(),
            postmortem: Postmortem::default(),
            alerts: Vec::new(),
            extra: Extra::new(),
        };
        let text = format!("declared {severity}: {}", incident.title);
        incident.push_event(
            stamp,
            crate::model::EventKind::Declared,
            text,
            Visibility::Public,
        );
        incident
    }

    /// A new incident from its declaration: the ID from the detection date and the title's slug, the
    /// `declared` event at `stamp`, and the commander (who acknowledges by taking the role) at the
    /// moment of declaring, never at a backfilled detection time.
    pub fn from_spec(spec: DeclareSpec, stamp: &Stamp) -> Result<Incident, ModelError> {
        let title = spec.title.trim().to_string();
        super::check_line("the title", &title)?;
        if title.is_empty() {
            return Err(ModelError::Invalid(
                "the title is empty: say in a few words what is broken, e.g. \"Checkout down for EU customers\"".into(),
            ));
        }
        for s in &spec.services {
            super::check_name("service", s)?;
        }
        for who in [&spec.commander, &spec.comms].into_iter().flatten() {
            super::check_name("person", who)?;
        }
        let detected = spec.detected_at.unwrap_or(stamp.at);
        if let Some(started) = spec.started_at
            && started > detected
        {
            return Err(ModelError::Invalid(
                "--started-at is after --detected-at: impact cannot begin after it was detected"
                    .into(),
            ));
        }
        let id = format!("{}-{}", detected.format("%Y-%m-%d"), super::slugify(&title));
        let mut incident = Incident::declare(id, title, spec.severity, stamp);
        incident.times.detected_at = Some(detected);
        incident.times.started_at = spec.started_at;
        incident.kind = spec.kind;
        incident.services = spec.services;
        incident.summary = spec.summary.filter(|s| !s.trim().is_empty());
        incident.drill = spec.drill;
        incident.impact.apply(&spec.impact)?;
        if let Some(commander) = spec.commander {
            // Naming yourself is answering at once; naming someone else is paging them, and MTTA
            // runs until they answer.
            if is_person(&stamp.by, &commander) {
                incident.times.acknowledged_at = Some(stamp.at);
            }
            incident.roles.insert("commander".into(), commander);
        }
        if let Some(comms) = spec.comms {
            incident.roles.insert("comms".into(), comms);
        }
        Ok(incident)
    }

    /// Keeps `text` as what the public update `update_id` told customers, with the severity and
    /// each affected service's status as they are now (the moment it is posted).
    pub fn keep_said(&mut self, config: &super::Config, update_id: &str, text: String) {
        let Some(at) = self
            .updates
            .iter()
            .find(|u| u.id == update_id)
            .map(|u| u.at)
        else {
            return;
        };
        let components = self
            .services
            .iter()
            .map(|s| (s.clone(), self.component_status_at(config, s, at)))
            .collect();
        let severity = self.severity;
        if let Some(update) = self.updates.iter_mut().find(|u| u.id == update_id)
            && update.visibility.is_public()
        {
            update.said = Some(Said {
                text,
                severity,
                components,
            });
        }
    }

    /// The ID the incident was declared under: `sync` renames the later of two same-named incidents
    /// from different clones (`renamed from X: ...`), and what was sent about it before keeps that
    /// name.
    pub fn original_id(&self) -> &str {
        self.timeline
            .iter()
            .filter(|e| e.kind == crate::model::EventKind::Rename)
            .find_map(|e| e.text.strip_prefix("renamed from ")?.split(':').next())
            .filter(|id| !id.is_empty())
            .unwrap_or(&self.id)
    }

    pub fn commander(&self) -> Option<&str> {
        self.roles.get("commander").map(String::as_str)
    }

    /// Gives entries written before entry IDs existed their derived ID, so merges can match them.
    pub fn fill_entry_ids(&mut self) {
        let id = self.id.clone();
        for e in self.timeline.iter_mut().filter(|e| e.id.is_empty()) {
            e.id = e.derived_id(&id);
        }
        for u in self.updates.iter_mut().filter(|u| u.id.is_empty()) {
            u.id = u.derived_id(&id);
        }
        for a in self.actions.iter_mut().filter(|a| a.id.is_empty()) {
            a.id = a.derived_id(&id);
        }
        for t in self.tasks.iter_mut().filter(|t| t.id.is_empty()) {
            t.id = t.derived_id(&id);
        }
    }

    /// Appends an event in time order (after any event at the same second) and returns it.
    pub fn push_event(
        &mut self,
        stamp: &Stamp,
        kind: EventKind,
        text: String,
        visibility: Visibility,
    ) -> &mut TimelineEvent {
        // The commander's first change of their own is their acknowledgement.
        if self.times.acknowledged_at.is_none()
            && self.commander().is_some_and(|c| is_person(&stamp.by, c))
        {
            self.times.acknowledged_at = Some(stamp.at);
        }
        let mut event = TimelineEvent {
            id: String::new(),
            at: stamp.at,
            by: stamp.by.clone(),
            kind,
            text,
            visibility,
            audience: None,
            extra: Extra::new(),
        };
        event.id = unique_id(event.derived_id(&self.id), "e-", |id| {
            self.timeline.iter().any(|e| e.id == id)
        });
        let pos = self.timeline.partition_point(|e| e.at <= event.at);
        self.timeline.insert(pos, event);
        &mut self.timeline[pos]
    }

    /// While nobody is named commander, the first human response after declaring counts as the
    /// acknowledgement (a commander's own changes count through [`Incident::push_event`]).
    fn acknowledge_if_first(&mut self, at: DateTime<Utc>) {
        if self.times.acknowledged_at.is_none() && self.commander().is_none() {
            self.times.acknowledged_at = Some(at);
        }
    }

    pub fn set_severity(
        &mut self,
        severity: Severity,
        reason: Option<&str>,
        stamp: &Stamp,
    ) -> Result<&TimelineEvent, ModelError> {
        if severity == self.severity {
            return Err(ModelError::Refused(format!(
                "`{}` is already {severity}",
                self.id
            )));
        }
        let mut text = format!("severity {} → {severity}", self.severity);
        if let Some(reason) = reason.filter(|r| !r.trim().is_empty()) {
            text.push_str(": ");
            text.push_str(reason.trim());
        }
        self.severity = severity;
        Ok(self.push_event(
            stamp,
            crate::model::EventKind::Severity,
            text,
            Visibility::Public,
        ))
    }

    /// Moves the lifecycle. Leaving `resolved` is a reopen and must be asked for explicitly, so a
    /// stray command cannot silently undo a resolution.
    pub fn set_status(
        &mut self,
        status: Status,
        note: Option<&str>,
        reopen: Reopen,
        stamp: &Stamp,
    ) -> Result<&TimelineEvent, ModelError> {
        if status == self.status {
            return Err(ModelError::Refused(format!(
                "`{}` is already {status}",
                self.id
            )));
        }
        if self.status == Status::Resolved && reopen == Reopen::No {
            return Err(ModelError::Refused(format!(
                "`{}` is resolved; pass `--reopen` to move it back to {status}",
                self.id
            )));
        }
        let kind = if status == Status::Resolved {
            event_kind::RESOLVED
        } else {
            event_kind::STATUS
        };
        let mut text = if self.status == Status::Resolved {
            format!("reopened: {} → {status}", self.status)
        } else {
            format!("status {} → {status}", self.status)
        };
        if let Some(note) = note.filter(|n| !n.trim().is_empty()) {
            text.push_str(": ");
            text.push_str(note.trim());
        }
        if self.status == Status::Resolved {
            // A reopen: the incident is not mitigated any more, nor resolved. MTTR then runs to
            // the final resolution, counting the reopened period.
            self.times.resolved_at = None;
            self.times.mitigated_at = None;
        }
        match status {
            Status::Monitoring => {
                self.times.mitigated_at.get_or_insert(stamp.at);
            }
            Status::Resolved => {
                self.times.mitigated_at.get_or_insert(stamp.at);
                self.times.resolved_at = Some(stamp.at);
            }
            _ => {}
        }
        self.status = status;
        self.acknowledge_if_first(stamp.at);
        Ok(self.push_event(
            stamp,
            crate::model::EventKind::parse(kind),
            text,
            Visibility::Public,
        ))
    }

    pub fn acknowledge(&mut self, stamp: &Stamp) -> Result<&TimelineEvent, ModelError> {
        if let Some(at) = self.times.acknowledged_at {
            return Err(ModelError::Refused(format!(
                "`{}` was already acknowledged at {}",
                self.id,
                at.to_rfc3339()
            )));
        }
        self.times.acknowledged_at = Some(stamp.at);
        let text = format!("acknowledged by {}", stamp.by);
        Ok(self.push_event(
            stamp,
            crate::model::EventKind::Ack,
            text,
            Visibility::Internal,
        ))
    }

    /// Sets roles (role name → person); an empty person removes the role. Returns `None` when nothing
    /// changes, so the caller can refuse an empty commit.
    pub fn assign(
        &mut self,
        assignments: &[(String, String)],
        stamp: &Stamp,
    ) -> Result<Option<&TimelineEvent>, ModelError> {
        let mut changes = Vec::new();
        for (role, who) in assignments {
            super::check_name("role name", role)?;
            let who = who.trim();
            let before = self.roles.get(role).cloned();
            if who.is_empty() {
                if let Some(old) = self.roles.remove(role) {
                    changes.push(format!("{role}: {old} → nobody"));
                }
                continue;
            }
            if before.as_deref() == Some(who) {
                continue;
            }
            self.roles.insert(role.clone(), who.to_string());
            changes.push(match before {
                Some(old) => format!("{role}: {old} → {who}"),
                None => format!("{role}: {who}"),
            });
        }
        if changes.is_empty() {
            return Ok(None);
        }
        let text = format!("assigned {}", changes.join(", "));
        Ok(Some(self.push_event(
            stamp,
            crate::model::EventKind::Assign,
            text,
            Visibility::Internal,
        )))
    }

    /// Records a status update and its timeline event. `update.id` is derived here.
    pub fn add_update(&mut self, mut update: StatusUpdate) -> TimelineEvent {
        update.id = unique_id(update.derived_id(&self.id), "u-", |id| {
            self.updates.iter().any(|u| u.id == id)
        });
        let first_public = update.visibility.is_public() && self.first_public_update().is_none();
        let gist = match (&update.impacted, &update.learned) {
            (Some(impacted), _) => impacted.clone(),
            (None, Some(learned)) => learned.clone(),
            (None, None) if update.status == Status::Resolved => "resolved".into(),
            (None, None) if first_public => "first update".into(),
            (None, None) => "no details".into(),
        };
        let visibility = update.visibility;
        let stamp = Stamp {
            at: update.at,
            by: update.by.clone(),
        };
        let text = format!("status update ({}): {gist}", update.status);
        let pos = self.updates.partition_point(|u| u.at <= update.at);
        self.updates.insert(pos, update);
        self.push_event(&stamp, crate::model::EventKind::Update, text, visibility)
            .clone()
    }

    /// Adds an action item numbered after the highest so far.
    pub fn add_action(&mut self, mut item: ActionItem, stamp: &Stamp) -> TimelineEvent {
        item.number = self.actions.iter().map(|a| a.number).max().unwrap_or(0) + 1;
        item.created_at = stamp.at;
        item.id = item.derived_id(&self.id);
        let due = item.due.map(|d| format!(", due {d}")).unwrap_or_default();
        let improves = item
            .runbook
            .as_deref()
            .map(|r| format!(", improves {r}"))
            .unwrap_or_default();
        let text = format!(
            "action #{} added: {} (owner {}{due}, {}{improves})",
            item.number,
            item.title,
            item.owner,
            item.action_type.as_str()
        );
        self.actions.push(item);
        self.push_event(
            stamp,
            crate::model::EventKind::ActionItem,
            text,
            Visibility::Internal,
        )
        .clone()
    }

    /// Closes action item `number` as done or dropped; closing a closed one is refused.
    pub fn close_action(
        &mut self,
        number: u32,
        state: ActionState,
        note: Option<&str>,
        stamp: &Stamp,
    ) -> Result<TimelineEvent, ModelError> {
        let id = self.id.clone();
        let known: Vec<String> = self
            .actions
            .iter()
            .map(|a| format!("#{}", a.number))
            .collect();
        let item = self
            .actions
            .iter_mut()
            .find(|a| a.number == number)
            .ok_or_else(|| {
                ModelError::Refused(if known.is_empty() {
                    format!("`{id}` has no action items")
                } else {
                    format!(
                        "`{id}` has no action item #{number} (it has {})",
                        known.join(", ")
                    )
                })
            })?;
        if item.state != ActionState::Open {
            return Err(ModelError::Refused(format!(
                "action {id}#{number} is already {}",
                item.state.as_str()
            )));
        }
        item.state = state;
        item.closed_at = Some(stamp.at);
        item.note = note
            .map(str::trim)
            .filter(|n| !n.is_empty())
            .map(String::from);
        let verb = if state == ActionState::Done {
            "done"
        } else {
            "dropped"
        };
        let mut text = format!("action #{number} {verb}: {}", item.title);
        if let Some(note) = &item.note {
            text.push_str(&format!(" ({note})"));
        }
        Ok(self
            .push_event(
                stamp,
                crate::model::EventKind::ActionItem,
                text,
                Visibility::Internal,
            )
            .clone())
    }

    /// Closes action item `number` as done by a commit (a `Closes-Action:` trailer): at the commit's
    /// time, but never before the item existed nor after `now`.
    pub fn close_action_by_commit(
        &mut self,
        number: u32,
        commit: &str,
        subject: &str,
        committed_at: DateTime<Utc>,
        now: DateTime<Utc>,
        by: &str,
    ) -> Result<TimelineEvent, ModelError> {
        let created = self
            .actions
            .iter()
            .find(|a| a.number == number)
            .map(|a| a.created_at);
        let at = created
            .map_or(committed_at, |c| committed_at.max(c))
            .min(now);
        let stamp = Stamp {
            at,
            by: by.to_string(),
        };
        let note = format!("closed by commit {commit}: {subject}");
        self.close_action(number, ActionState::Done, Some(&note), &stamp)
    }

    /// Whether action item `number` exists and is open.
    pub fn has_open_action(&self, number: u32) -> bool {
        self.actions
            .iter()
            .any(|a| a.number == number && a.state == ActionState::Open)
    }

    /// The first public status update, which is what the status-page deadline measures.
    pub fn first_public_update(&self) -> Option<&StatusUpdate> {
        self.updates
            .iter()
            .filter(|u| u.visibility.is_public())
            .min_by_key(|u| u.at)
    }

    /// The first `comms` event addressed to `audience`.
    pub fn first_comms_to(&self, audience: &str) -> Option<&TimelineEvent> {
        self.timeline
            .iter()
            .filter(|e| {
                e.kind == crate::model::EventKind::Comms && e.audience.as_deref() == Some(audience)
            })
            .min_by_key(|e| e.at)
    }

    /// The record reduced to what metrics and deadlines read: times, kinds, states and roles. Texts
    /// are dropped, so `stats` over tens of thousands of incidents stays small.
    pub fn for_metrics(mut self) -> Incident {
        self.fill_entry_ids();
        for e in &mut self.timeline {
            // Lifecycle events keep their (short) text: severity and role history are read from it.
            let lifecycle = matches!(
                e.kind.as_str(),
                event_kind::SEVERITY
                    | event_kind::ASSIGN
                    | event_kind::STATUS
                    | event_kind::RESOLVED
            );
            if !lifecycle {
                e.text = String::new();
            }
            e.by = String::new();
            e.extra = Extra::new();
        }
        for u in &mut self.updates {
            u.impacted = None;
            u.learned = None;
            u.extra = Extra::new();
        }
        for a in &mut self.actions {
            a.title = String::new();
            a.note = None;
            a.link = None;
            a.extra = Extra::new();
        }
        self.timeline.shrink_to_fit();
        self.summary = None;
        self.postmortem = Postmortem::default();
        self.impact.extra = Extra::new();
        self.extra = Extra::new();
        self
    }

    /// See [`Lifecycle::duration`].
    pub fn duration(&self, now: DateTime<Utc>) -> Option<chrono::Duration> {
        self.times.duration(now)
    }

    /// See [`Lifecycle::opened_at`].
    pub fn opened_at(&self) -> Option<DateTime<Utc>> {
        self.times.opened_at()
    }
}

/// Whether `by` (who made a change: a stamp's author) is the person `handle` names: the handle
/// itself (`--as alice`), or a name that is it or begins with it (`Alice Example`), case aside.
pub fn is_person(by: &str, handle: &str) -> bool {
    let name = by.split(" <").next().unwrap_or(by).trim().to_lowercase();
    let handle = handle.trim().to_lowercase();
    !handle.is_empty()
        && (name == handle || name.split_whitespace().next() == Some(handle.as_str()))
}

#[cfg(test)]
mod tests {
    /// Every kind this version writes reads back as itself; a kind from a newer version is kept
    /// as written, compares as itself, and goes back to the file unchanged.
    #[test]
    fn event_kinds_round_trip_known_and_newer() {
        use super::EventKind;
        for kind in EventKind::KNOWN {
            assert_eq!(EventKind::parse(kind.as_str()), kind);
            let yaml = serde_yaml::to_string(&kind).unwrap();
            assert_eq!(serde_yaml::from_str::<EventKind>(&yaml).unwrap(), kind);
        }
        let newer: EventKind = serde_yaml::from_str("page-escalated").unwrap();
        assert_eq!(newer, EventKind::Newer("page-escalated".into()));
        assert_eq!(
            serde_yaml::to_string(&newer).unwrap().trim(),
            "page-escalated"
        );
        assert!(!newer.is_loggable());
        assert!(EventKind::Comms.is_loggable() && !EventKind::Severity.is_loggable());
        assert_eq!(EventKind::Severity.to_string(), "severity");
    }

    #[test]
    fn trailers_name_an_action_and_close_it_at_a_sane_time() {
        assert_eq!(
            super::parse_action_ref("2026-11-03-x#2"),
            Ok(("2026-11-03-x", 2))
        );
        assert!(super::parse_action_ref("2026-11-03-x").is_err());
        assert!(super::parse_action_ref("x#two").is_err());
        let at = |t: &str| t.parse::<DateTime<Utc>>().unwrap();
        let stamp = Stamp {
            at: at("2026-11-25T10:00:00Z"),
            by: "a".into(),
        };
        let mut i = Incident::declare("2026-11-25-x".into(), "X".into(), Severity::Sev2, &stamp);
        i.add_action(
            ActionItem {
                id: String::new(),
                number: 0,
                title: "canary".into(),
                owner: "dan".into(),
                due: None,
                action_type: ActionType::Prevent,
                state: ActionState::Open,
                link: None,
                runbook: None,
                created_at: at("2026-11-25T11:00:00Z"),
                closed_at: None,
                note: None,
                extra: Extra::new(),
            },
            &Stamp {
                at: at("2026-11-25T11:00:00Z"),
                by: "a".into(),
            },
        );
        assert!(i.has_open_action(1) && !i.has_open_action(2));
        // A commit dated before the item existed closes it when the item was created.
        let e = i
            .close_action_by_commit(
                1,
                "abc",
                "add canary",
                at("2026-11-20T00:00:00Z"),
                at("2026-11-26T00:00:00Z"),
                "git",
            )
            .unwrap();
        assert_eq!(e.at, at("2026-11-25T11:00:00Z"));
        assert!(!i.has_open_action(1));
    }

    use super::*;

    fn stamp(at: &str) -> Stamp {
        Stamp {
            at: at.parse().unwrap(),
            by: "Alice".into(),
        }
    }

    fn incident() -> Incident {
        Incident::declare(
            "2026-11-25-checkout".into(),
            "Checkout down".into(),
            Severity::Sev2,
            &stamp("2026-11-25T10:00:00Z"),
        )
    }

    #[test]
    fn declaring_records_detection_and_one_event() {
        let inc = incident();
        assert_eq!(
            inc.times.detected_at,
            Some("2026-11-25T10:00:00Z".parse().unwrap())
        );
        assert_eq!(inc.timeline.len(), 1);
        assert_eq!(inc.timeline[0].kind, "declared");
        assert!(inc.timeline[0].id.starts_with("e-"));
        assert!(inc.times.acknowledged_at.is_none());
    }

    #[test]
    fn first_status_change_acknowledges_and_monitoring_mitigates() {
        let mut inc = incident();
        inc.set_status(
            Status::Identified,
            None,
            crate::model::Reopen::No,
            &stamp("2026-11-25T10:05:00Z"),
        )
        .unwrap();
        inc.set_status(
            Status::Monitoring,
            Some("rolled back"),
            crate::model::Reopen::No,
            &stamp("2026-11-25T10:20:00Z"),
        )
        .unwrap();
        inc.set_status(
            Status::Resolved,
            None,
            crate::model::Reopen::No,
            &stamp("2026-11-25T10:40:00Z"),
        )
        .unwrap();
        assert_eq!(
            inc.times.acknowledged_at,
            Some("2026-11-25T10:05:00Z".parse().unwrap())
        );
        assert_eq!(
            inc.times.mitigated_at,
            Some("2026-11-25T10:20:00Z".parse().unwrap())
        );
        assert_eq!(
            inc.times.resolved_at,
            Some("2026-11-25T10:40:00Z".parse().unwrap())
        );
        assert_eq!(
            inc.timeline[2].text,
            "status identified → monitoring: rolled back"
        );
    }

    #[test]
    fn resolved_incidents_need_reopen_to_move_back() {
        let mut inc = incident();
        inc.set_status(
            Status::Resolved,
            None,
            crate::model::Reopen::No,
            &stamp("2026-11-25T11:00:00Z"),
        )
        .unwrap();
        let err = inc
            .set_status(
                Status::Investigating,
                None,
                crate::model::Reopen::No,
                &stamp("2026-11-25T11:05:00Z"),
            )
            .unwrap_err();
        assert!(err.to_string().contains("--reopen"), "{err}");
        assert!(
            inc.set_status(
                Status::Resolved,
                None,
                crate::model::Reopen::No,
                &stamp("2026-11-25T11:05:00Z")
            )
            .is_err()
        );
        inc.set_status(
            Status::Investigating,
            None,
            crate::model::Reopen::Yes,
            &stamp("2026-11-25T11:05:00Z"),
        )
        .unwrap();
        assert_eq!(inc.times.resolved_at, None);
    }

    #[test]
    fn severity_change_names_both_values_and_reason() {
        let mut inc = incident();
        let ev = inc
            .set_severity(
                Severity::Sev1,
                Some("all EU customers"),
                &stamp("2026-11-25T10:01:00Z"),
            )
            .unwrap();
        assert_eq!(ev.text, "severity SEV2 → SEV1: all EU customers");
        assert!(
            inc.set_severity(Severity::Sev1, None, &stamp("2026-11-25T10:02:00Z"))
                .is_err()
        );
    }

    #[test]
    fn backfilled_events_land_in_time_order() {
        let mut inc = incident();
        inc.push_event(
            &stamp("2026-11-25T10:30:00Z"),
            crate::model::EventKind::Note,
            "late".into(),
            Visibility::Public,
        );
        inc.push_event(
            &stamp("2026-11-25T09:50:00Z"),
            crate::model::EventKind::Finding,
            "earlier".into(),
            Visibility::Internal,
        );
        let texts: Vec<_> = inc.timeline.iter().map(|e| e.text.as_str()).collect();
        assert_eq!(texts, ["earlier", "declared SEV2: Checkout down", "late"]);
    }

    #[test]
    fn a_public_update_keeps_what_it_said_and_the_state_it_spoke_of() {
        let config = crate::model::Config::new("x");
        let mut inc = incident();
        inc.services = vec!["checkout".into()];
        let at = "2026-11-25T10:05:00Z".parse().unwrap();
        let mut update = |visibility| {
            let mut u = StatusUpdate {
                id: String::new(),
                at,
                by: "Alice".into(),
                status: Status::Investigating,
                impacted: Some("EU".into()),
                learned: Some(format!("{visibility:?}")),
                next_update_at: None,
                visibility,
                said: None,
                extra: Extra::new(),
            };
            u.id = u.derived_id(&inc.id);
            inc.add_update(u.clone());
            u.id
        };
        let (public, internal) = (update(Visibility::Public), update(Visibility::Internal));
        inc.keep_said(&config, &public, "the words".into());
        inc.keep_said(&config, &internal, "never published".into());
        inc.keep_said(&config, "u-nosuchupdate", "nowhere".into());
        let said = |id: &str| {
            inc.updates
                .iter()
                .find(|u| u.id == id)
                .unwrap()
                .said
                .clone()
        };
        let kept = said(&public).expect("a public update keeps its words");
        assert_eq!(kept.text, "the words");
        assert_eq!(kept.severity, Severity::Sev2);
        assert_eq!(
            kept.components.get("checkout"),
            Some(&crate::model::ComponentStatus::PartialOutage)
        );
        assert_eq!(
            said(&internal),
            None,
            "an internal update tells customers nothing"
        );
    }

    #[test]
    fn a_renamed_incident_remembers_the_id_it_was_declared_under() {
        let mut inc = incident();
        assert_eq!(inc.original_id(), inc.id);
        let declared_as = inc.id.clone();
        inc.id = format!("{declared_as}-2");
        inc.push_event(
            &stamp("2026-11-25T10:30:00Z"),
            crate::model::EventKind::Rename,
            format!("renamed from {declared_as}: another clone declared a different incident under that ID"),
            Visibility::Internal,
        );
        // A note that merely looks like one is not a rename.
        inc.push_event(
            &stamp("2026-11-25T10:31:00Z"),
            crate::model::EventKind::Note,
            "renamed from elsewhere: no".into(),
            Visibility::Internal,
        );
        assert_eq!(inc.original_id(), declared_as);
        // Renamed twice: the first name is the one things were sent under.
        inc.push_event(
            &stamp("2026-11-25T10:40:00Z"),
            crate::model::EventKind::Rename,
            format!("renamed from {declared_as}-2: again"),
            Visibility::Internal,
        );
        assert_eq!(inc.original_id(), declared_as);
    }

    #[test]
    fn naming_a_commander_is_not_their_acknowledgement_their_own_change_is() {
        let mut inc = incident();
        // Alice names Bob: MTTA runs on.
        inc.assign(
            &[("commander".into(), "bob".into())],
            &stamp("2026-11-25T10:03:00Z"),
        )
        .unwrap();
        assert_eq!(inc.times.acknowledged_at, None);
        // Alice changing the status is not Bob answering either.
        inc.set_status(
            Status::Identified,
            None,
            crate::model::Reopen::No,
            &stamp("2026-11-25T10:05:00Z"),
        )
        .unwrap();
        assert_eq!(inc.times.acknowledged_at, None);
        // Bob's first change of his own is.
        let bob = Stamp {
            at: "2026-11-25T10:09:00Z".parse().unwrap(),
            by: "Bob Example".into(),
        };
        inc.push_event(
            &bob,
            crate::model::EventKind::Note,
            "on it".into(),
            Visibility::Internal,
        );
        assert_eq!(inc.times.acknowledged_at, Some(bob.at));
        let same = inc
            .assign(
                &[("commander".into(), "bob".into())],
                &stamp("2026-11-25T10:10:00Z"),
            )
            .unwrap();
        assert!(same.is_none());
        // Naming yourself is answering at once.
        let mut mine = incident();
        mine.assign(
            &[("commander".into(), "alice".into())],
            &stamp("2026-11-25T10:02:00Z"),
        )
        .unwrap();
        assert_eq!(
            mine.times.acknowledged_at,
            Some("2026-11-25T10:02:00Z".parse().unwrap())
        );
        assert!(is_person("Alice Example <alice@example.com>", "alice"));
        assert!(is_person("alice", "Alice"));
        assert!(!is_person("Alicia", "alice"));
    }
}
