//! Alerts from monitoring, as the incident record takes them: Prometheus Alertmanager's webhook,
//! Grafana alerting's webhook and a small generic JSON shape, each read into one [`AlertBatch`]
//! per alert group, and the `alerts:` rules of `.incident.yaml` that say what incident a group is.
//!
//! A group is what one incident answers: Alertmanager's `groupKey` (its grouping of alerts by
//! labels), Grafana's alert `fingerprint` (one alert rule instance: Grafana's `groupKey` names the
//! contact point and notification policy too, which change when someone edits routing), and the
//! generic shape's `group`. Its key is kept in the record (`alerts:`), so every clone and server
//! finds the open incident of a group in the repo itself.

use super::{IncidentKind, ModelError, Severity};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;

/// Where an alert came from: the path it arrived on, and the prefix of its group key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Source {
    Alertmanager,
    Grafana,
    Generic,
}

impl Source {
    pub const ALL: [Source; 3] = [Source::Alertmanager, Source::Grafana, Source::Generic];

    pub fn as_str(self) -> &'static str {
        match self {
            Source::Alertmanager => "alertmanager",
            Source::Grafana => "grafana",
            Source::Generic => "generic",
        }
    }

    pub fn parse(text: &str) -> Option<Source> {
        Source::ALL.into_iter().find(|s| s.as_str() == text)
    }
}

/// One alert of a group, as any source says it.
#[derive(Debug, Clone, PartialEq)]
pub struct Alert {
    /// Stable for one alert across notifications (Alertmanager's and Grafana's `fingerprint`, the
    /// generic `id`, else a hash of the labels).
    pub fingerprint: String,
    pub firing: bool,
    pub labels: BTreeMap<String, String>,
    pub annotations: BTreeMap<String, String>,
    pub starts_at: Option<DateTime<Utc>>,
    pub ends_at: Option<DateTime<Utc>>,
    /// Where to look (Prometheus' generator URL, Grafana's panel).
    pub url: Option<String>,
}

/// The alerts of one group as one notification carried them.
#[derive(Debug, Clone, PartialEq)]
pub struct AlertBatch {
    pub source: Source,
    /// The group's key, prefixed by its source (`alertmanager:{}:{alertname="X"}`).
    pub group: String,
    pub alerts: Vec<Alert>,
    /// Labels every alert of the group shares.
    pub common: BTreeMap<String, String>,
    /// What the sender says the incident is (the generic shape's `title`, `severity`, `service`,
    /// `kind`); rules of `.incident.yaml` come first.
    pub hints: Hints,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Hints {
    pub title: Option<String>,
    pub severity: Option<String>,
    pub service: Option<String>,
    pub kind: Option<String>,
}

/// A payload that is not what its path takes, said with the field at fault.
fn invalid(source: Source, what: impl std::fmt::Display) -> ModelError {
    ModelError::Invalid(format!("{} payload: {what}", source.as_str()))
}

/// The longest group key kept; longer ones are shortened with a hash of the whole.
const MAX_KEY: usize = 400;

fn group_key(source: Source, key: &str) -> String {
    let key = key.trim();
    let key = if key.len() > MAX_KEY {
        use sha2::Digest;
        let hash = sha2::Sha256::digest(key.as_bytes());
        let mut cut = MAX_KEY - 20;
        while !key.is_char_boundary(cut) {
            cut -= 1;
        }
        format!(
            "{}…{}",
            &key[..cut],
            hash.iter()
                .take(8)
                .map(|b| format!("{b:02x}"))
                .collect::<String>()
        )
    } else {
        key.to_string()
    };
    format!("{}:{key}", source.as_str())
}

/// A string map from JSON: strings kept, numbers and booleans written out, the rest refused.
fn strings(
    source: Source,
    field: &str,
    value: Option<&Value>,
) -> Result<BTreeMap<String, String>, ModelError> {
    let mut out = BTreeMap::new();
    match value {
        None | Some(Value::Null) => {}
        Some(Value::Object(map)) => {
            for (k, v) in map {
                let text = match v {
                    Value::String(s) => s.clone(),
                    Value::Number(n) => n.to_string(),
                    Value::Bool(b) => b.to_string(),
                    Value::Null => continue,
                    _ => return Err(invalid(source, format!("`{field}.{k}` must be a string"))),
                };
                out.insert(k.clone(), text);
            }
        }
        Some(_) => {
            return Err(invalid(
                source,
                format!("`{field}` must be an object of strings"),
            ));
        }
    }
    Ok(out)
}

fn text(value: Option<&Value>) -> Option<String> {
    value
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

/// A time field: RFC 3339; Go's zero time (`0001-01-01T00:00:00Z`, Alertmanager's "not ended")
/// and absent mean none.
fn time(
    source: Source,
    field: &str,
    value: Option<&Value>,
) -> Result<Option<DateTime<Utc>>, ModelError> {
    let Some(raw) = text(value) else {
        return Ok(None);
    };
    let at = DateTime::parse_from_rfc3339(&raw)
        .map_err(|e| {
            invalid(
                source,
                format!("`{field}` `{raw}` is not an RFC 3339 time ({e})"),
            )
        })?
        .with_timezone(&Utc);
    Ok((at.timestamp() > 0).then_some(at))
}

fn status(source: Source, field: &str, value: Option<&Value>) -> Result<bool, ModelError> {
    match text(value).as_deref() {
        Some("firing") => Ok(true),
        Some("resolved") => Ok(false),
        Some(other) => Err(invalid(
            source,
            format!("`{field}` is `{other}`; it is `firing` or `resolved`"),
        )),
        None => Err(invalid(
            source,
            format!("`{field}` is missing (`firing` or `resolved`)"),
        )),
    }
}

/// A stable fingerprint from labels, for alerts that carry none.
fn label_hash(labels: &BTreeMap<String, String>) -> String {
    use sha2::Digest;
    let mut hasher = sha2::Sha256::new();
    for (k, v) in labels {
        hasher.update(k.as_bytes());
        hasher.update([0]);
        hasher.update(v.as_bytes());
        hasher.update([0]);
    }
    hasher
        .finalize()
        .iter()
        .take(8)
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn alert(source: Source, index: usize, value: &Value) -> Result<Alert, ModelError> {
    let at = |name: &str| format!("alerts[{index}].{name}");
    let Value::Object(map) = value else {
        return Err(invalid(
            source,
            format!("`alerts[{index}]` must be an object"),
        ));
    };
    let labels = strings(source, &at("labels"), map.get("labels"))?;
    let annotations = strings(source, &at("annotations"), map.get("annotations"))?;
    let fingerprint = text(map.get("fingerprint"))
        .or_else(|| text(map.get("id")))
        .unwrap_or_else(|| label_hash(&labels));
    let url = text(map.get("generatorURL"))
        .or_else(|| text(map.get("panelURL")))
        .or_else(|| text(map.get("url")));
    Ok(Alert {
        fingerprint,
        firing: status(source, &at("status"), map.get("status"))?,
        labels,
        annotations,
        starts_at: time(
            source,
            &at("startsAt"),
            map.get("startsAt").or(map.get("started_at")),
        )?,
        ends_at: time(
            source,
            &at("endsAt"),
            map.get("endsAt").or(map.get("ended_at")),
        )?,
        url,
    })
}

fn object(source: Source, body: &[u8]) -> Result<serde_json::Map<String, Value>, ModelError> {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(invalid(source, "the body must be a JSON object")),
        Err(e) => Err(invalid(source, format!("not JSON ({e})"))),
    }
}

fn alerts(source: Source, map: &serde_json::Map<String, Value>) -> Result<Vec<Alert>, ModelError> {
    match map.get("alerts") {
        Some(Value::Array(list)) if !list.is_empty() => list
            .iter()
            .enumerate()
            .map(|(i, v)| alert(source, i, v))
            .collect(),
        Some(Value::Array(_)) => Err(invalid(source, "`alerts` is empty")),
        Some(_) => Err(invalid(source, "`alerts` must be a list")),
        None => Err(invalid(source, "`alerts` is missing")),
    }
}

/// Reads Alertmanager's webhook (version 4): one group per notification, keyed by `groupKey`.
pub fn alertmanager(body: &[u8]) -> Result<Vec<AlertBatch>, ModelError> {
    let source = Source::Alertmanager;
    let map = object(source, body)?;
    if let Some(version) = text(map.get("version"))
        && version != "4"
    {
        return Err(invalid(
            source,
            format!("`version` is `{version}`; this server reads version 4"),
        ));
    }
    let key = text(map.get("groupKey")).ok_or_else(|| invalid(source, "`groupKey` is missing"))?;
    Ok(vec![AlertBatch {
        source,
        group: group_key(source, &key),
        alerts: alerts(source, &map)?,
        common: strings(source, "commonLabels", map.get("commonLabels"))?,
        hints: Hints::default(),
    }])
}

/// Reads Grafana alerting's webhook: one group per alert `fingerprint` (see the module's note).
pub fn grafana(body: &[u8]) -> Result<Vec<AlertBatch>, ModelError> {
    let source = Source::Grafana;
    let map = object(source, body)?;
    let common = strings(source, "commonLabels", map.get("commonLabels"))?;
    let mut batches: Vec<AlertBatch> = Vec::new();
    for alert in alerts(source, &map)? {
        let group = group_key(source, &alert.fingerprint);
        match batches.iter_mut().find(|b| b.group == group) {
            Some(batch) => batch.alerts.push(alert),
            None => batches.push(AlertBatch {
                source,
                group,
                common: common.clone(),
                alerts: vec![alert],
                hints: Hints::default(),
            }),
        }
    }
    Ok(batches)
}

/// Reads the generic shape (docs/serve.md): `group` and either `alerts` or one alert's fields
/// (`status`, `summary`, `labels`, `started_at`, `id`) at the top, with optional `title`,
/// `severity`, `service` and `kind`.
pub fn generic(body: &[u8]) -> Result<Vec<AlertBatch>, ModelError> {
    let source = Source::Generic;
    let map = object(source, body)?;
    let key = text(map.get("group")).ok_or_else(|| {
        invalid(
            source,
            "`group` is missing: the key that ties repeats of one problem to one incident",
        )
    })?;
    let list = if map.contains_key("alerts") {
        alerts(source, &map)?
    } else {
        let mut one = alert(source, 0, &Value::Object(map.clone()))
            .map_err(|e| ModelError::Invalid(e.to_string().replace("alerts[0].", "")))?;
        if let Some(summary) = text(map.get("summary")) {
            one.annotations.entry("summary".into()).or_insert(summary);
        }
        vec![one]
    };
    Ok(vec![AlertBatch {
        source,
        group: group_key(source, &key),
        alerts: list,
        common: strings(source, "labels", map.get("labels"))?,
        hints: Hints {
            title: text(map.get("title")),
            severity: text(map.get("severity")),
            service: text(map.get("service")),
            kind: text(map.get("kind")),
        },
    }])
}

/// Reads a payload of `source`.
pub fn parse(source: Source, body: &[u8]) -> Result<Vec<AlertBatch>, ModelError> {
    match source {
        Source::Alertmanager => alertmanager(body),
        Source::Grafana => grafana(body),
        Source::Generic => generic(body),
    }
}

/// What a resolved alert does to its open incident.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OnResolved {
    /// Logged on the timeline; people decide (the default: an alert that stops firing is not yet
    /// a recovery anyone checked).
    #[default]
    Log,
    /// Once every alert of the group is resolved, the incident moves to monitoring.
    Monitoring,
    /// Once every alert of the group is resolved, the incident is resolved.
    Resolve,
}

/// The `alerts:` section of `.incident.yaml`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct AlertConfig {
    /// The first rule whose `match` fits a group decides; the defaults fill what it leaves out.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rules: Vec<AlertRule>,
    #[serde(default, skip_serializing_if = "is_default")]
    pub on_resolved: OnResolved,
    /// The label naming the severity (default `severity`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub severity_label: Option<String>,
    /// The label naming the service (default `service`, then `job`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_label: Option<String>,
    #[serde(flatten)]
    pub extra: super::Extra,
}

fn is_default<T: Default + PartialEq>(value: &T) -> bool {
    *value == T::default()
}

impl AlertConfig {
    pub fn is_empty(&self) -> bool {
        *self == AlertConfig::default()
    }
}

/// One rule: labels to match, and what an incident from such a group is.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct AlertRule {
    /// Labels that must all be equal (`*` matches any value, present or not it must be present).
    #[serde(default, rename = "match", skip_serializing_if = "BTreeMap::is_empty")]
    pub matches: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub severity: Option<Severity>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<IncidentKind>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_resolved: Option<OnResolved>,
    /// Matching groups declare nothing and are not logged (Alertmanager's always-firing
    /// `Watchdog`, say).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub ignore: bool,
    #[serde(flatten)]
    pub extra: super::Extra,
}

impl AlertRule {
    fn fits(&self, labels: &BTreeMap<String, String>) -> bool {
        self.matches
            .iter()
            .all(|(k, want)| labels.get(k).is_some_and(|v| want == "*" || v == want))
    }
}

/// What is wrong with the `alerts:` rules: a service the catalog lacks (its alerts would be
/// declared without it), and a rule that matches every group before others (they never apply).
pub fn check_rules(config: &super::Config) -> Vec<super::Finding> {
    let mut out = Vec::new();
    let finding = |n: usize, field: &str, level, problem: String, fix: &str| super::Finding {
        rule: super::Rule::AlertRuleInvalid,
        level,
        file: ".incident.yaml".into(),
        field: format!("alerts.rules[{n}]{field}"),
        problem,
        fix: fix.into(),
    };
    let rules = &config.alerts.rules;
    for (n, rule) in rules.iter().enumerate() {
        if let Some(service) = &rule.service
            && !config.services.is_empty()
            && config.service(service).is_none()
        {
            out.push(finding(
                n,
                ".service",
                super::Level::Error,
                format!("`{service}` is not in the catalog (`services:`), so its alerts would be declared without a service"),
                "name a service of the catalog, or add it there",
            ));
        }
        if rule.matches.is_empty() && n + 1 < rules.len() {
            out.push(finding(
                n,
                ".match",
                super::Level::Warning,
                format!(
                    "matches every alert group, so the {} rule(s) after it never apply",
                    rules.len() - n - 1
                ),
                "give it labels to match, or move it last",
            ));
        }
    }
    out
}

/// What the rules make of a group: the incident to declare for it, or to ignore it.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    pub title: String,
    pub severity: Severity,
    pub services: Vec<String>,
    pub kind: IncidentKind,
    pub on_resolved: OnResolved,
    pub ignore: bool,
}

/// The severity a label value means: `SEV1`..`SEV4` and `P1`..`P4` as they say; `critical` and
/// `page` SEV2 (an alert does not know the customer impact a SEV1 declares); `error`, `high`,
/// `warning` SEV3; anything else SEV4.
pub fn severity_of_label(value: &str) -> Severity {
    let v = value.trim().to_ascii_lowercase();
    match v.as_str() {
        "sev1" | "p1" | "1" => Severity::Sev1,
        "sev2" | "p2" | "2" | "critical" | "page" => Severity::Sev2,
        "sev3" | "p3" | "3" | "error" | "high" | "warning" | "major" => Severity::Sev3,
        _ => Severity::Sev4,
    }
}

/// Fills `{label}` placeholders of a rule's title from the labels (unknown ones left as they are).
fn fill(template: &str, labels: &BTreeMap<String, String>) -> String {
    let mut out = String::new();
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        match after.find('}') {
            Some(close) if labels.contains_key(after[..close].trim()) => {
                out.push_str(&labels[after[..close].trim()]);
                rest = &after[close + 1..];
            }
            _ => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// One line, at most `max` characters, control characters gone: alert text is the sender's.
pub fn one_line(text: &str, max: usize) -> String {
    let flat: String = text
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .chars()
        .filter(|c| !c.is_control())
        .collect();
    if flat.chars().count() <= max {
        return flat;
    }
    let mut cut: String = flat.chars().take(max.saturating_sub(1)).collect();
    cut.push('…');
    cut
}

impl AlertBatch {
    /// The labels the rules read: the group's common labels, then the first alert's.
    pub fn labels(&self) -> BTreeMap<String, String> {
        let mut labels = self.common.clone();
        if let Some(first) = self.alerts.first() {
            for (k, v) in &first.labels {
                labels.entry(k.clone()).or_insert_with(|| v.clone());
            }
        }
        labels
    }

    /// When the problem began: the earliest start of its alerts.
    pub fn started_at(&self) -> Option<DateTime<Utc>> {
        self.alerts.iter().filter_map(|a| a.starts_at).min()
    }

    pub fn firing(&self) -> bool {
        self.alerts.iter().any(|a| a.firing)
    }

    /// What the rules of `config` (and the defaults) make of this group. A service the catalog does
    /// not hold is left out rather than refused: the alert still gets its incident.
    pub fn plan(&self, config: &super::Config) -> Plan {
        let rules = &config.alerts;
        let labels = self.labels();
        let rule = rules.rules.iter().find(|r| r.fits(&labels));
        let label = |name: &str| labels.get(name).map(|v| v.trim()).filter(|v| !v.is_empty());
        let known = |s: &str| config.services.is_empty() || config.service(s).is_some();
        let severity = rule
            .and_then(|r| r.severity)
            .or_else(|| self.hints.severity.as_deref().map(severity_of_label))
            .or_else(|| {
                label(rules.severity_label.as_deref().unwrap_or("severity")).map(severity_of_label)
            })
            .unwrap_or(Severity::Sev3);
        let service = rule
            .and_then(|r| r.service.clone())
            .or_else(|| self.hints.service.clone())
            .or_else(|| match &rules.service_label {
                Some(name) => label(name).map(str::to_string),
                None => label("service")
                    .filter(|s| known(s))
                    .or_else(|| label("job"))
                    .map(str::to_string),
            })
            .filter(|s| known(s) && super::check_name("service", s).is_ok());
        let kind = rule
            .and_then(|r| r.kind)
            .or_else(|| self.hints.kind.as_deref().and_then(|k| k.parse().ok()))
            .unwrap_or_default();
        let first = self.alerts.first();
        let annotation = |name: &str| {
            first
                .and_then(|a| a.annotations.get(name))
                .map(|v| v.trim())
                .filter(|v| !v.is_empty())
        };
        let title = rule
            .and_then(|r| r.title.as_deref())
            .map(|t| fill(t, &labels))
            .or_else(|| self.hints.title.clone())
            .or_else(|| annotation("summary").map(str::to_string))
            .or_else(|| {
                label("alertname").map(|name| match &service {
                    Some(s) => format!("{name} on {s}"),
                    None => name.to_string(),
                })
            })
            .unwrap_or_else(|| format!("Alert from {}", self.source.as_str()));
        Plan {
            title: one_line(&title, 120),
            severity,
            services: service.into_iter().collect(),
            kind,
            on_resolved: rule
                .and_then(|r| r.on_resolved)
                .unwrap_or(rules.on_resolved),
            ignore: rule.is_some_and(|r| r.ignore),
        }
    }
}

impl Alert {
    /// The alert's short mark on the timeline, which tells a repeat from news.
    pub fn mark(&self) -> String {
        let fp: String = self
            .fingerprint
            .chars()
            .filter(|c| c.is_ascii_alphanumeric())
            .take(12)
            .collect();
        format!("[{fp}]")
    }

    /// Its line on the timeline: state, name, what it says, where to look.
    pub fn line(&self) -> String {
        let name = self
            .labels
            .get("alertname")
            .cloned()
            .unwrap_or_else(|| "alert".into());
        let said = ["summary", "description", "message"]
            .iter()
            .find_map(|k| self.annotations.get(*k).filter(|v| !v.trim().is_empty()));
        let mut line = format!(
            "{}: {}",
            if self.firing { "firing" } else { "resolved" },
            one_line(&name, 80)
        );
        if let Some(said) = said {
            line.push_str(" — ");
            line.push_str(&one_line(said, 300));
        }
        if let Some(instance) = self.labels.get("instance") {
            line.push_str(&format!(" ({})", one_line(instance, 80)));
        }
        if let Some(url) = self.url.as_deref().filter(|u| u.starts_with("http")) {
            line.push_str(&format!(" <{}>", one_line(url, 300)));
        }
        format!("{line} {}", self.mark())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn severity_labels_map_to_severities() {
        assert_eq!(severity_of_label("critical"), Severity::Sev2);
        assert_eq!(severity_of_label("SEV1"), Severity::Sev1);
        assert_eq!(severity_of_label("P3"), Severity::Sev3);
        assert_eq!(severity_of_label("warning"), Severity::Sev3);
        assert_eq!(severity_of_label("info"), Severity::Sev4);
    }

    #[test]
    fn titles_fill_labels_and_leave_unknown_braces() {
        let labels = BTreeMap::from([("alertname".to_string(), "Down".to_string())]);
        assert_eq!(fill("{alertname} at {region}", &labels), "Down at {region}");
        assert_eq!(fill("{ alertname }!", &labels), "Down!");
    }

    #[test]
    fn one_line_flattens_and_cuts() {
        assert_eq!(one_line("a\n b\t\u{7}c", 10), "a b c");
        assert_eq!(one_line("abcdef", 4), "abc…");
    }

    fn am(alerts: &str) -> Vec<u8> {
        format!(
            r#"{{"version":"4","groupKey":"{{}}:{{alertname=\"Down\"}}","status":"firing","commonLabels":{{"alertname":"Down","team":"web"}},"alerts":[{alerts}]}}"#
        )
        .into_bytes()
    }

    const FIRING: &str = r#"{"status":"firing","labels":{"alertname":"Down","instance":"web-1","service":"checkout","severity":"warning"},"annotations":{"summary":"web-1 down"},"startsAt":"2026-11-25T09:50:00+01:00","endsAt":"0001-01-01T00:00:00Z","generatorURL":"http://prom/graph","fingerprint":"ab12cd34ef56ab78"}"#;

    #[test]
    fn alertmanager_payloads_read_into_one_group() {
        let batches = alertmanager(&am(FIRING)).unwrap();
        assert_eq!(batches.len(), 1);
        let b = &batches[0];
        assert_eq!(b.group, r#"alertmanager:{}:{alertname="Down"}"#);
        assert_eq!(b.common["team"], "web");
        let a = &b.alerts[0];
        assert!(a.firing);
        assert_eq!(a.fingerprint, "ab12cd34ef56ab78");
        assert_eq!(
            a.starts_at.unwrap().to_rfc3339(),
            "2026-11-25T08:50:00+00:00"
        );
        assert_eq!(a.ends_at, None, "Go's zero time is no end");
        assert_eq!(a.url.as_deref(), Some("http://prom/graph"));
        assert_eq!(b.started_at(), a.starts_at);
        assert!(b.firing());
        let err = alertmanager(br#"{"version":"3","groupKey":"g","alerts":[]}"#).unwrap_err();
        assert!(err.to_string().contains("`version` is `3`"), "{err}");
        let err = alertmanager(br#"{"groupKey":"g","alerts":{}}"#).unwrap_err();
        assert!(err.to_string().contains("`alerts` must be a list"), "{err}");
        let err =
            alertmanager(br#"{"groupKey":"g","alerts":[{"status":"firing","labels":{"a":[1]}}]}"#)
                .unwrap_err();
        assert!(
            err.to_string()
                .contains("`alerts[0].labels.a` must be a string"),
            "{err}"
        );
    }

    #[test]
    fn grafana_groups_by_fingerprint_and_generic_takes_one_alert_at_the_top() {
        let body = br#"{"alerts":[
            {"status":"firing","labels":{"alertname":"A"},"fingerprint":"f1"},
            {"status":"firing","labels":{"alertname":"B"},"fingerprint":"f2"},
            {"status":"resolved","labels":{"alertname":"A"},"fingerprint":"f1"}]}"#;
        let batches = grafana(body).unwrap();
        let groups: Vec<(&str, usize)> = batches
            .iter()
            .map(|b| (b.group.as_str(), b.alerts.len()))
            .collect();
        assert_eq!(groups, [("grafana:f1", 2), ("grafana:f2", 1)]);
        let one = generic(br#"{"group":"db","status":"resolved","summary":"back","severity":"SEV1","labels":{"alertname":"Db"}}"#).unwrap();
        let b = &one[0];
        assert_eq!(b.group, "generic:db");
        assert!(!b.firing());
        assert_eq!(b.alerts[0].annotations["summary"], "back");
        assert_eq!(b.hints.severity.as_deref(), Some("SEV1"));
        assert_eq!(
            b.alerts[0].fingerprint,
            label_hash(&b.alerts[0].labels),
            "no id: a hash of the labels"
        );
        let err = generic(br#"{"group":"db"}"#).unwrap_err();
        assert!(err.to_string().contains("`status` is missing"), "{err}");
        assert!(!err.to_string().contains("alerts[0]"), "{err}");
        assert_eq!(
            parse(Source::Generic, br#"{"group":"x","status":"firing"}"#)
                .unwrap()
                .len(),
            1
        );
        assert_ne!(
            label_hash(&BTreeMap::from([("a".into(), "bc".into())])),
            label_hash(&BTreeMap::from([("ab".into(), "c".into())]))
        );
    }

    fn catalog() -> super::super::Config {
        let mut config = super::super::Config::new("Acme");
        for id in ["checkout", "payments"] {
            config
                .services
                .push(serde_yaml::from_str(&format!("id: {id}")).unwrap());
        }
        config
    }

    #[test]
    fn plans_follow_the_first_matching_rule_then_the_defaults() {
        let mut config = catalog();
        let b = alertmanager(&am(FIRING)).unwrap().remove(0);
        let plan = b.plan(&config);
        assert_eq!(
            (
                plan.title.as_str(),
                plan.severity,
                plan.services.clone(),
                plan.kind,
                plan.on_resolved,
                plan.ignore
            ),
            (
                "web-1 down",
                Severity::Sev3,
                vec!["checkout".to_string()],
                IncidentKind::Other,
                OnResolved::Log,
                false
            )
        );
        config.alerts = serde_yaml::from_str(
            "on_resolved: monitoring\nrules:\n- match: {team: ops}\n  ignore: true\n- match: {team: '*', alertname: Down}\n  title: '{alertname} at {instance} ({zone})'\n  severity: SEV1\n  service: payments\n  kind: outage\n- match: {alertname: Down}\n  ignore: true\n",
        )
        .unwrap();
        let plan = b.plan(&config);
        assert_eq!(plan.title, "Down at web-1 ({zone})");
        assert_eq!(
            (plan.severity, plan.kind),
            (Severity::Sev1, IncidentKind::Outage)
        );
        assert_eq!(plan.services, ["payments"]);
        assert_eq!(
            plan.on_resolved,
            OnResolved::Monitoring,
            "the section's default"
        );
        assert!(!plan.ignore, "the first rule that fits decides");
    }

    #[test]
    fn default_services_titles_and_severities() {
        let config = catalog();
        let plan = |labels: &str, annotations: &str| {
            let body = format!(
                r#"{{"version":"4","groupKey":"g","alerts":[{{"status":"firing","labels":{labels},"annotations":{annotations}}}]}}"#
            );
            alertmanager(body.as_bytes())
                .unwrap()
                .remove(0)
                .plan(&config)
        };
        // An unknown service label falls back to `job`; a name the catalog lacks is left out.
        let p = plan(
            r#"{"alertname":"Slow","service":"nope","job":"payments","severity":"critical"}"#,
            "{}",
        );
        assert_eq!(
            (p.services.clone(), p.severity),
            (vec!["payments".to_string()], Severity::Sev2)
        );
        assert_eq!(p.title, "Slow on payments");
        let p = plan(r#"{"alertname":"Slow","job":"node"}"#, "{}");
        assert!(p.services.is_empty());
        assert_eq!((p.title.as_str(), p.severity), ("Slow", Severity::Sev3));
        let p = plan("{}", r#"{"summary":"  "}"#);
        assert_eq!(p.title, "Alert from alertmanager");
        let p = plan(r#"{"severity":"info"}"#, r#"{"summary":"a\nb"}"#);
        assert_eq!((p.title.as_str(), p.severity), ("a b", Severity::Sev4));
        // With an empty catalog any service label is taken.
        let open = super::super::Config::new("Acme");
        let b = alertmanager(
            br#"{"groupKey":"g","alerts":[{"status":"firing","labels":{"service":"anything"}}]}"#,
        )
        .unwrap()
        .remove(0);
        assert_eq!(b.plan(&open).services, ["anything"]);
    }

    #[test]
    fn a_line_says_state_name_words_where_and_mark() {
        let a = alertmanager(&am(FIRING))
            .unwrap()
            .remove(0)
            .alerts
            .remove(0);
        assert_eq!(
            a.line(),
            "firing: Down — web-1 down (web-1) <http://prom/graph> [ab12cd34ef56]"
        );
        let mut quiet = a.clone();
        quiet.firing = false;
        quiet.annotations.clear();
        quiet.labels.clear();
        quiet.url = Some("javascript:alert(1)".into());
        assert_eq!(quiet.line(), "resolved: alert [ab12cd34ef56]");
    }

    #[test]
    fn check_finds_unknown_services_and_rules_that_shadow_the_rest() {
        let mut config = catalog();
        config.alerts = serde_yaml::from_str(
            "rules:\n- service: paymnts\n- match: {a: b}\n  service: payments\n- service: checkout\n",
        )
        .unwrap();
        let found: Vec<(String, super::super::Level)> = check_rules(&config)
            .into_iter()
            .map(|f| (f.field, f.level))
            .collect();
        assert_eq!(
            found,
            [
                (
                    "alerts.rules[0].service".to_string(),
                    super::super::Level::Error
                ),
                (
                    "alerts.rules[0].match".to_string(),
                    super::super::Level::Warning
                ),
            ]
        );
        config.services.clear();
        assert_eq!(
            check_rules(&config).len(),
            1,
            "without a catalog any service goes"
        );
    }

    #[test]
    fn sources_parse_by_their_path_names() {
        for source in Source::ALL {
            assert_eq!(Source::parse(source.as_str()), Some(source));
        }
        assert_eq!(Source::parse("nagios"), None);
    }

    #[test]
    fn numbers_and_booleans_in_labels_are_text_and_empty_lists_are_refused() {
        let b = alertmanager(br#"{"groupKey":"g","alerts":[{"status":"firing","labels":{"code":503,"up":false,"gone":null}}]}"#).unwrap();
        let labels = &b[0].alerts[0].labels;
        assert_eq!(
            (labels["code"].as_str(), labels["up"].as_str()),
            ("503", "false")
        );
        assert!(!labels.contains_key("gone"));
        let err = alertmanager(br#"{"groupKey":"g","alerts":[]}"#).unwrap_err();
        assert!(err.to_string().contains("`alerts` is empty"), "{err}");
    }

    #[test]
    fn only_what_differs_from_the_defaults_is_written() {
        let config = super::super::Config::new("Acme");
        let text = serde_yaml::to_string(&config).unwrap();
        assert!(
            !text.contains("alerts") && !text.contains("serve"),
            "{text}"
        );
        let mut alerts = AlertConfig::default();
        assert!(alerts.is_empty());
        alerts.on_resolved = OnResolved::Resolve;
        assert!(!alerts.is_empty());
        let text = serde_yaml::to_string(&alerts).unwrap();
        assert_eq!(text.trim(), "on_resolved: resolve");
        alerts.on_resolved = OnResolved::Log;
        assert_eq!(serde_yaml::to_string(&alerts).unwrap().trim(), "{}");
    }

    #[test]
    fn group_keys_are_kept_whole_up_to_the_limit_and_cut_on_a_character() {
        let exact = "k".repeat(MAX_KEY);
        assert_eq!(
            group_key(Source::Generic, &exact),
            format!("generic:{exact}")
        );
        let over = "k".repeat(MAX_KEY + 1);
        let cut = group_key(Source::Generic, &over);
        let kept = cut
            .trim_start_matches("generic:")
            .split('…')
            .next()
            .unwrap();
        assert_eq!(kept.len(), MAX_KEY - 20, "{cut}");
        // Two-byte characters put the cut inside one: it moves back to where the character starts.
        let wide = format!("k{}", "é".repeat(MAX_KEY));
        let cut = group_key(Source::Generic, &wide);
        let kept = cut
            .trim_start_matches("generic:")
            .split('…')
            .next()
            .unwrap();
        assert_eq!(kept.len(), MAX_KEY - 21, "{cut}");
    }

    #[test]
    fn long_group_keys_are_shortened_by_hash() {
        let long = "x".repeat(1000);
        let key = group_key(Source::Generic, &long);
        assert!(key.len() < MAX_KEY + 40, "{}", key.len());
        assert_ne!(key, group_key(Source::Generic, &format!("{long}y")));
    }
}
