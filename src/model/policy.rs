//! `.incident.yaml`: who the organisation is, what it runs, who responds, and the severity policy.
//!
//! Every number of the policy is the team's to change; the defaults encode the common practice
//! (SEV1: status page within 15 min, customers within 30 min, executives within 1 h).

use super::{Extra, Severity, Span};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Config {
    pub version: u32,
    pub organisation: String,
    #[serde(default)]
    pub status_page: StatusPageConfig,
    #[serde(default)]
    pub services: Vec<Service>,
    /// How the status page groups the services (Statuspage's component groups).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub component_groups: Vec<ComponentGroup>,
    #[serde(default)]
    pub people: Vec<Person>,
    #[serde(default = "default_severities")]
    pub severities: BTreeMap<Severity, SeverityPolicy>,
    /// Days a resolved SEV1/SEV2 may go without a post-mortem before `check` complains.
    #[serde(default = "default_postmortem_due_days")]
    pub postmortem_due_days: u32,
    #[serde(default)]
    pub sync: SyncMode,
    /// Where `incident notify` delivers (chat, webhooks); secrets stay in environment variables.
    #[serde(default, skip_serializing_if = "NotifyConfig::is_empty")]
    pub notify: NotifyConfig,
    /// What incident an alert group is (`incident serve`, `incident ingest`).
    #[serde(default, skip_serializing_if = "super::alert::AlertConfig::is_empty")]
    pub alerts: super::alert::AlertConfig,
    /// How `incident serve` runs; its secrets come from the environment only.
    #[serde(default, skip_serializing_if = "ServeConfig::is_empty")]
    pub serve: ServeConfig,
    #[serde(flatten)]
    pub extra: Extra,
}

/// The `serve:` section of `.incident.yaml` (docs/serve.md).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct ServeConfig {
    /// How often the server fetches the remote for what others committed (default 30s).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fetch_every: Option<Span>,
    /// How often it delivers reminders and escalations nothing else triggered (default 30s).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notify_every: Option<Span>,
    /// The remote it pulls from and pushes to (default `origin`; none: it works locally).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remote: Option<String>,
    /// Where Slack's and Mattermost's `response_url` may point (default Slack's
    /// `https://hooks.slack.com/`); anything else is never posted to.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub response_urls: Vec<String>,
    /// Paths turned off: they answer 404 (`/chat/mattermost`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub disable: Vec<String>,
    #[serde(flatten)]
    pub extra: Extra,
}

impl ServeConfig {
    pub fn is_empty(&self) -> bool {
        *self == ServeConfig::default()
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct NotifyConfig {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub targets: Vec<NotifyTarget>,
    /// How long a sender's claim on a notification holds before another sender may retry it (a
    /// sender that died between claim and send). Default 10m.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub claim_timeout: Option<Span>,
    /// How long one HTTP request may take (default 10s).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout: Option<Span>,
    /// The first wait before a retry, doubled each time (default 1s).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backoff: Option<Span>,
    /// How many times a notification is tried in one run (default 4).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attempts: Option<u32>,
    /// Deliver each change's notifications right after its commit, as `--notify` does.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub auto: bool,
    #[serde(flatten)]
    pub extra: Extra,
}

impl NotifyConfig {
    pub fn is_empty(&self) -> bool {
        self.targets.is_empty()
            && self.claim_timeout.is_none()
            && self.timeout.is_none()
            && self.backoff.is_none()
            && self.attempts.is_none()
            && !self.auto
            && self.extra.is_empty()
    }
}

/// What a notification target is, which decides the payload it gets.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum TargetKind {
    Slack,
    Teams,
    Mattermost,
    Discord,
    PagerDuty,
    Webhook,
    Email,
    /// A kind this version does not deliver to (a newer version's, or a typo): kept as written so
    /// the file round-trips, and refused by `check` and `notify` naming the kinds there are.
    Unknown(String),
}

impl TargetKind {
    /// Every kind this version delivers to.
    pub const ALL: [TargetKind; 7] = [
        TargetKind::Slack,
        TargetKind::Teams,
        TargetKind::Mattermost,
        TargetKind::Discord,
        TargetKind::PagerDuty,
        TargetKind::Webhook,
        TargetKind::Email,
    ];

    pub fn as_str(&self) -> &str {
        match self {
            TargetKind::Slack => "slack",
            TargetKind::Teams => "teams",
            TargetKind::Mattermost => "mattermost",
            TargetKind::Discord => "discord",
            TargetKind::PagerDuty => "pagerduty",
            TargetKind::Webhook => "webhook",
            TargetKind::Email => "email",
            TargetKind::Unknown(other) => other,
        }
    }

    pub fn parse(text: &str) -> TargetKind {
        TargetKind::ALL
            .into_iter()
            .find(|k| k.as_str() == text)
            .unwrap_or_else(|| TargetKind::Unknown(text.to_string()))
    }
}

impl std::fmt::Display for TargetKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for TargetKind {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for TargetKind {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<TargetKind, D::Error> {
        Ok(TargetKind::parse(&String::deserialize(deserializer)?))
    }
}

/// One place notifications go. Its URL (and signing secret) are read from the environment
/// variables it names, so no secret is ever written to the repo.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NotifyTarget {
    #[serde(deserialize_with = "super::name::target")]
    pub id: String,
    /// `slack`, `teams`, `mattermost`, `discord`, `pagerduty`, `webhook` or `email`.
    pub kind: TargetKind,
    /// The environment variable holding the URL: the webhook's, or for `email` the SMTP server's
    /// (`smtp://user:password@host:587?tls=required`, `smtps://...:465`).
    pub url_env: String,
    /// The environment variable holding the HMAC key (`webhook`; optional) or the routing key
    /// (`pagerduty`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret_env: Option<String>,
    /// `email`: the recipients (a list per audience is one target per audience).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub to: Vec<String>,
    /// `email`: the sender address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<String>,
    /// Which events: declared, severity, status, update, resolved, assign, note, reminder,
    /// maintenance, action-overdue (default all).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub events: Vec<String>,
    /// Which severities (default all).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub severities: Vec<Severity>,
    /// Internal notes and updates too: only for a responders' channel, never a customer one.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub internal: bool,
    #[serde(flatten)]
    pub extra: Extra,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum SyncMode {
    #[default]
    Manual,
    Auto,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct StatusPageConfig {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// IANA name shown on the page; times are always published in UTC.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_zone: Option<String>,
    #[serde(flatten)]
    pub extra: Extra,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Service {
    #[serde(deserialize_with = "super::name::service")]
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The `component_groups` entry it is shown under.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "super::name::optional_group"
    )]
    pub group: Option<String>,
    /// Whether the page shows its uptime bars (Statuspage's `showcase`); default yes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub showcase: Option<bool>,
    /// When it went live: uptime is not counted before, and it is the component's `created_at`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_date: Option<chrono::NaiveDate>,
    /// Listed on the page only while something affects it.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub only_show_if_degraded: bool,
    /// The git repositories it is built from: a folder (relative to the incident repo) or a remote
    /// that `incident changes` fetches with the user's own git.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub repos: Vec<String>,
    /// The refs that mark a deploy, git refspec style (`refs/tags/deploy-*`); every tag when unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deploys: Option<String>,
    /// The availability promised, in percent (`99.9`): `incident report` holds its uptime to it
    /// and says how much error budget is left.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub slo: Option<f64>,
    /// The team that owns it, for `incident report --by team`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub team: Option<String>,
    #[serde(flatten)]
    pub extra: Extra,
}

/// A heading services are listed under on the status page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ComponentGroup {
    #[serde(deserialize_with = "super::name::group")]
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(flatten)]
    pub extra: Extra,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Person {
    pub handle: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Never published: e-mail addresses stay inside the incident repo.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// Their chat member ID, mentioned in a page (`U024BE7LH` in Slack).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chat: Option<String>,
    /// A phone number, passed to an SMS or phone gateway's webhook with a page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    #[serde(flatten)]
    pub extra: Extra,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SeverityPolicy {
    pub label: String,
    pub description: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_page_within: Option<Span>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub coordination_within: Option<Span>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customers_within: Option<Span>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub executives_within: Option<Span>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub update_every: Option<Span>,
    /// Other audiences this severity must be told, and how soon (`board: 4h`, `partners: 2h`): met by
    /// a `comms` event to that audience (`incident log ID "..." --kind comms --to board`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub notify: BTreeMap<String, Span>,
    /// How soon after resolution the post-mortem is published: what the resolution update promises
    /// customers and what `check` holds the team to. None: no promise (SEV3/SEV4 by default).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub postmortem_due: Option<Span>,
    #[serde(default)]
    pub requires_commander: bool,
    /// The Statuspage `impact` this severity publishes as: none, minor, major or critical.
    pub impact: String,
    #[serde(flatten)]
    pub extra: Extra,
}

fn default_postmortem_due_days() -> u32 {
    5
}

fn policy(label: &str, description: &str, impact: &str) -> SeverityPolicy {
    SeverityPolicy {
        label: label.into(),
        description: description.into(),
        status_page_within: None,
        coordination_within: None,
        customers_within: None,
        executives_within: None,
        update_every: None,
        notify: BTreeMap::new(),
        postmortem_due: None,
        requires_commander: false,
        impact: impact.into(),
        extra: Extra::new(),
    }
}

pub fn default_severities() -> BTreeMap<Severity, SeverityPolicy> {
    let m = Span::minutes;
    let mut sev1 = policy(
        "critical",
        "complete outage, data loss or confirmed breach",
        "critical",
    );
    // "All hands" for a SEV1: the bridge is open at once (within 5 minutes), not in half an hour.
    sev1.coordination_within = Some(m(5));
    sev1.status_page_within = Some(m(15));
    sev1.customers_within = Some(m(30));
    sev1.executives_within = Some(m(60));
    sev1.update_every = Some(m(30));
    sev1.requires_commander = true;
    sev1.postmortem_due = Some(m(5 * 24 * 60));
    let mut sev2 = policy(
        "major",
        "more than 10% of users, or a critical feature down for all enterprise accounts",
        "major",
    );
    sev2.coordination_within = Some(m(30));
    sev2.customers_within = Some(m(60));
    sev2.update_every = Some(m(30));
    sev2.requires_commander = true;
    sev2.postmortem_due = Some(m(5 * 24 * 60));
    let sev3 = policy(
        "minor",
        "less than 10% of users, or a non-critical feature; status page only if publicly visible",
        "minor",
    );
    let sev4 = policy("low", "known workaround; tracked, no escalation", "none");
    BTreeMap::from([
        (Severity::Sev1, sev1),
        (Severity::Sev2, sev2),
        (Severity::Sev3, sev3),
        (Severity::Sev4, sev4),
    ])
}

impl Config {
    pub fn new(organisation: &str) -> Config {
        Config {
            version: super::FORMAT_VERSION,
            organisation: organisation.to_string(),
            status_page: StatusPageConfig::default(),
            services: Vec::new(),
            component_groups: Vec::new(),
            people: Vec::new(),
            severities: default_severities(),
            postmortem_due_days: default_postmortem_due_days(),
            sync: SyncMode::Manual,
            notify: NotifyConfig::default(),
            alerts: Default::default(),
            serve: ServeConfig::default(),
            extra: Extra::new(),
        }
    }

    /// When the post-mortem of an incident of this severity is due after resolution. A policy file
    /// written before per-severity promises keeps its `postmortem_due_days` for SEV1 and SEV2.
    pub fn postmortem_due(&self, sev: Severity) -> Option<Span> {
        let own = self.severities.get(&sev).and_then(|p| p.postmortem_due);
        own.or_else(|| {
            (sev <= Severity::Sev2)
                .then(|| Span::minutes(i64::from(self.postmortem_due_days) * 24 * 60))
        })
    }

    /// The policy for a severity; a team that deleted one from its file gets the default back
    /// rather than a crash mid-incident.
    pub fn severity(&self, sev: Severity) -> SeverityPolicy {
        self.severities.get(&sev).cloned().unwrap_or_else(|| {
            default_severities()
                .remove(&sev)
                .expect("all four defaults exist")
        })
    }

    /// The roster entry for a handle or a full name.
    pub fn person(&self, who: &str) -> Option<&Person> {
        self.people
            .iter()
            .find(|p| p.handle == who || p.name.as_deref() == Some(who))
    }

    pub fn service(&self, id: &str) -> Option<&Service> {
        self.services.iter().find(|s| s.id == id)
    }

    /// A service's display name from the catalog, else its ID.
    pub fn service_name(&self, id: &str) -> String {
        self.service(id)
            .and_then(|s| s.name.clone())
            .unwrap_or_else(|| id.to_string())
    }

    /// A person's display name from the people list, else the handle itself.
    pub fn display_name<'a>(&'a self, who: &'a str) -> &'a str {
        self.people
            .iter()
            .find(|p| p.handle == who)
            .and_then(|p| p.name.as_deref())
            .unwrap_or(who)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_encode_the_common_practice() {
        let c = Config::new("Acme");
        let sev1 = c.severity(Severity::Sev1);
        assert_eq!(sev1.status_page_within, Some(Span::minutes(15)));
        assert_eq!(sev1.customers_within, Some(Span::minutes(30)));
        assert_eq!(sev1.executives_within, Some(Span::minutes(60)));
        assert_eq!(sev1.update_every, Some(Span::minutes(30)));
        assert_eq!(
            c.severity(Severity::Sev2).customers_within,
            Some(Span::minutes(60))
        );
        assert_eq!(c.severity(Severity::Sev4).impact, "none");
    }
}
