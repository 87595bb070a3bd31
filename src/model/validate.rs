//! The rules `incident check` enforces on one record. Pure: the caller supplies the policy, the
//! clock and what it knows of the repo (whether a post-mortem file exists).

use super::{ActionState, Config, FORMAT_VERSION, Incident, Severity, Status};
use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use std::collections::HashSet;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Error,
    Warning,
}

/// Which rule a finding comes from: its identity, for code that acts on findings and for machines
/// reading `check --json` (the prose may change; the rule does not).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Rule {
    NewerFormat,
    IdMismatch,
    EmptyTitle,
    NoService,
    UnknownService,
    DetectionMissing,
    TimesOutOfOrder,
    TimelineUnsorted,
    DuplicateEvent,
    EmptyEvent,
    ResolutionMissing,
    ResolvedWhileOpen,
    MitigationMissing,
    CommanderMissing,
    UnknownPerson,
    ActionWithoutOwner,
    ActionWithoutDate,
    TimeOutOfRange,
    HiddenCharacter,
    DeadlineOverdue,
    EventInFuture,
    ActionOverdue,
    ReviewStillDraft,
    ReviewMissing,
    UnknownTimeZone,
    MaintenanceEndsBeforeStart,
    MaintenanceStatusMismatch,
    MaintenanceNotStarted,
    MaintenanceOverrunning,
    Unreadable,
    MisplacedRecord,
    DeliveryFailed,
    RunbookUnreadable,
    RunbookNeverApplies,
    TaskOverdue,
    OncallInvalid,
    AlertRuleInvalid,
}

impl Rule {
    /// Every rule, in the order of this list (the cache stores a rule as its place here).
    pub const ALL: [Rule; 37] = [
        Rule::NewerFormat,
        Rule::IdMismatch,
        Rule::EmptyTitle,
        Rule::NoService,
        Rule::UnknownService,
        Rule::DetectionMissing,
        Rule::TimesOutOfOrder,
        Rule::TimelineUnsorted,
        Rule::DuplicateEvent,
        Rule::EmptyEvent,
        Rule::ResolutionMissing,
        Rule::ResolvedWhileOpen,
        Rule::MitigationMissing,
        Rule::CommanderMissing,
        Rule::UnknownPerson,
        Rule::ActionWithoutOwner,
        Rule::ActionWithoutDate,
        Rule::TimeOutOfRange,
        Rule::HiddenCharacter,
        Rule::DeadlineOverdue,
        Rule::EventInFuture,
        Rule::ActionOverdue,
        Rule::ReviewStillDraft,
        Rule::ReviewMissing,
        Rule::UnknownTimeZone,
        Rule::MaintenanceEndsBeforeStart,
        Rule::MaintenanceStatusMismatch,
        Rule::MaintenanceNotStarted,
        Rule::MaintenanceOverrunning,
        Rule::Unreadable,
        Rule::MisplacedRecord,
        Rule::DeliveryFailed,
        Rule::RunbookUnreadable,
        Rule::RunbookNeverApplies,
        Rule::TaskOverdue,
        Rule::OncallInvalid,
        Rule::AlertRuleInvalid,
    ];

    /// The rule's ID in `check --json` (`commander-missing`).
    pub fn as_str(self) -> &'static str {
        match self {
            Rule::NewerFormat => "newer-format",
            Rule::IdMismatch => "id-mismatch",
            Rule::EmptyTitle => "empty-title",
            Rule::NoService => "no-service",
            Rule::UnknownService => "unknown-service",
            Rule::DetectionMissing => "detection-missing",
            Rule::TimesOutOfOrder => "times-out-of-order",
            Rule::TimelineUnsorted => "timeline-unsorted",
            Rule::DuplicateEvent => "duplicate-event",
            Rule::EmptyEvent => "empty-event",
            Rule::ResolutionMissing => "resolution-missing",
            Rule::ResolvedWhileOpen => "resolved-while-open",
            Rule::MitigationMissing => "mitigation-missing",
            Rule::CommanderMissing => "commander-missing",
            Rule::UnknownPerson => "unknown-person",
            Rule::ActionWithoutOwner => "action-without-owner",
            Rule::ActionWithoutDate => "action-without-date",
            Rule::TimeOutOfRange => "time-out-of-range",
            Rule::HiddenCharacter => "hidden-character",
            Rule::DeadlineOverdue => "deadline-overdue",
            Rule::EventInFuture => "event-in-future",
            Rule::ActionOverdue => "action-overdue",
            Rule::ReviewStillDraft => "review-still-draft",
            Rule::ReviewMissing => "review-missing",
            Rule::UnknownTimeZone => "unknown-time-zone",
            Rule::MaintenanceEndsBeforeStart => "maintenance-ends-before-start",
            Rule::MaintenanceStatusMismatch => "maintenance-status-mismatch",
            Rule::MaintenanceNotStarted => "maintenance-not-started",
            Rule::MaintenanceOverrunning => "maintenance-overrunning",
            Rule::Unreadable => "unreadable",
            Rule::MisplacedRecord => "misplaced-record",
            Rule::DeliveryFailed => "delivery-failed",
            Rule::RunbookUnreadable => "runbook-unreadable",
            Rule::RunbookNeverApplies => "runbook-never-applies",
            Rule::TaskOverdue => "task-overdue",
            Rule::OncallInvalid => "oncall-invalid",
            Rule::AlertRuleInvalid => "alert-rule-invalid",
        }
    }
}

impl Serialize for Rule {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

/// One problem: which rule found it, where it is, what is wrong, how to fix it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    pub rule: Rule,
    pub level: Level,
    pub file: String,
    pub field: String,
    pub problem: String,
    pub fix: String,
}

pub struct CheckInput<'a> {
    pub config: &'a Config,
    pub now: DateTime<Utc>,
    /// The record's path relative to the incident repo, for the findings.
    pub file: &'a str,
    /// The ID the file name implies.
    pub file_id: &'a str,
    pub has_postmortem_file: bool,
}

/// Refuses a change that would make the record fail `check`: a time out of lifecycle order, an
/// unsorted timeline, a duplicate entry. Only what the policy asks for but a change cannot supply on
/// its own (a commander after an escalation, an owner) is left to `check` and `due` to nag about.
pub fn refuse_invalid_change(
    before: Option<&Incident>,
    after: &Incident,
    input: &CheckInput,
) -> Result<(), super::ModelError> {
    let errors = |i: &Incident| -> Vec<Finding> {
        check_incident(i, input)
            .into_iter()
            .filter(|f| f.level == Level::Error)
            .filter(|f| !matches!(f.rule, Rule::CommanderMissing | Rule::ActionWithoutOwner))
            .collect()
    };
    let had = before.map(errors).unwrap_or_default();
    let new: Vec<Finding> = errors(after)
        .into_iter()
        .filter(|f| {
            !had.iter()
                .any(|h| h.rule == f.rule && h.field == f.field && h.problem == f.problem)
        })
        .collect();
    match new.first() {
        None => Ok(()),
        Some(f) => Err(super::ModelError::Refused(format!(
            "the change would leave `{}` invalid: {}: {}",
            after.id, f.field, f.problem
        ))),
    }
}

/// Every rule on one record: [`check_record`], then [`check_deadlines`] for an active incident,
/// then [`check_clock`]. `check` runs the same three parts from its cache, in the same order.
pub fn check_incident(i: &Incident, input: &CheckInput) -> Vec<Finding> {
    let own = check_record(i, input.config, input.file, input.file_id);
    check_parts(own, Some(i), &ClockFacts::of(i), input)
}

/// Every finding of one record from its three parts, in one order for whoever holds them: what
/// [`check_record`] found (perhaps kept from an earlier run), the deadlines of an active incident
/// (`record`, read whole only when active), and the clock's rules.
pub fn check_parts(
    own: Vec<Finding>,
    record: Option<&Incident>,
    clock: &ClockFacts,
    input: &CheckInput,
) -> Vec<Finding> {
    let mut out = own;
    if clock.active
        && let Some(record) = record
    {
        out.extend(check_deadlines(record, input));
    }
    out.extend(check_clock(clock, input));
    out
}

/// The rules that read only the record and the policy: their findings hold until either changes.
pub fn check_record(i: &Incident, config: &Config, file: &str, file_id: &str) -> Vec<Finding> {
    let mut out = Findings {
        file,
        found: Vec::new(),
    };
    check_identity(i, config, file_id, &mut out);
    check_times(i, &mut out);
    check_lifecycle(i, &mut out);
    check_policy(i, config, &mut out);
    check_hand_edits(i, &mut out);
    out.found
}

/// Findings of one file as the rules add them.
struct Findings<'a> {
    file: &'a str,
    found: Vec<Finding>,
}

impl Findings<'_> {
    fn add(&mut self, rule: Rule, level: Level, field: &str, problem: String, fix: &str) {
        self.found.push(Finding {
            rule,
            level,
            file: self.file.to_string(),
            field: field.to_string(),
            problem,
            fix: fix.to_string(),
        });
    }
}

/// What the record is: its format, ID, title and services.
fn check_identity(i: &Incident, config: &Config, file_id: &str, out: &mut Findings) {
    if i.version > FORMAT_VERSION {
        out.add(
            Rule::NewerFormat,
            Level::Warning,
            "version",
            format!(
                "written by a newer format (version {}); this binary knows {FORMAT_VERSION}",
                i.version
            ),
            "upgrade `incident`",
        );
    }
    if i.id != file_id {
        out.add(
            Rule::IdMismatch,
            Level::Error,
            "id",
            format!("`{}` does not match the file name `{file_id}`", i.id),
            "rename the file or fix `id` so they agree",
        );
    }
    if i.title.trim().is_empty() {
        out.add(
            Rule::EmptyTitle,
            Level::Error,
            "title",
            "is empty".into(),
            "say in a few words what is broken",
        );
    }
    if i.services.is_empty() {
        out.add(
            Rule::NoService,
            Level::Warning,
            "services",
            "no service named".into(),
            "add the affected services so the status page can show them",
        );
    }
    for s in &i.services {
        if !config.services.is_empty() && config.service(s).is_none() {
            out.add(
                Rule::UnknownService,
                Level::Warning,
                "services",
                format!("`{s}` is not in the catalog of .incident.yaml"),
                "fix the name or add the service to the catalog",
            );
        }
    }
}

/// The lifecycle times in order, and the timeline sorted, each event once and saying something.
fn check_times(i: &Incident, out: &mut Findings) {
    let order = [
        ("started_at", i.times.started_at),
        ("detected_at", i.times.detected_at),
        ("acknowledged_at", i.times.acknowledged_at),
        ("mitigated_at", i.times.mitigated_at),
        ("resolved_at", i.times.resolved_at),
    ];
    if i.times.detected_at.is_none() {
        out.add(
            Rule::DetectionMissing,
            Level::Error,
            "detected_at",
            "is missing".into(),
            "set it to when the incident was detected (RFC 3339 UTC)",
        );
    }
    for (n, (later, later_at)) in order.iter().enumerate().skip(1) {
        let Some(later_at) = later_at else { continue };
        // Each time must not precede detection (or, for detection, the start of impact).
        let (earlier, earlier_at) = if n == 1 { order[0] } else { order[1] };
        if let Some(earlier_at) = earlier_at
            && *later_at < earlier_at
        {
            out.add(
                Rule::TimesOutOfOrder,
                Level::Error,
                later,
                format!(
                    "{} is before {earlier} ({})",
                    later_at.to_rfc3339(),
                    earlier_at.to_rfc3339()
                ),
                "correct whichever time is wrong",
            );
        }
    }
    if let (Some(m), Some(r)) = (i.times.mitigated_at, i.times.resolved_at)
        && r < m
    {
        out.add(
            Rule::TimesOutOfOrder,
            Level::Error,
            "resolved_at",
            "is before mitigated_at".into(),
            "correct whichever time is wrong",
        );
    }
    if let Some(n) = i
        .timeline
        .windows(2)
        .position(|pair| pair[1].at < pair[0].at)
    {
        let pair = &i.timeline[n..n + 2];
        out.add(
            Rule::TimelineUnsorted,
            Level::Error,
            &format!("timeline[{}].at", n + 1),
            format!(
                "{} comes after an event at {}: the timeline is not sorted",
                pair[1].at.to_rfc3339(),
                pair[0].at.to_rfc3339()
            ),
            "sort the timeline by `at`",
        );
    }
    let mut ids = HashSet::new();
    for (n, e) in i.timeline.iter().enumerate() {
        if !ids.insert(e.id.as_str()) {
            out.add(
                Rule::DuplicateEvent,
                Level::Error,
                &format!("timeline[{n}].id"),
                format!("`{}` appears twice", e.id),
                "remove the duplicate event",
            );
        }
        if e.text.trim().is_empty() {
            out.add(
                Rule::EmptyEvent,
                Level::Warning,
                &format!("timeline[{n}].text"),
                "is empty".into(),
                "say what happened",
            );
        }
    }
}

/// The status agrees with the resolution and mitigation times.
fn check_lifecycle(i: &Incident, out: &mut Findings) {
    match (i.status, i.times.resolved_at) {
        (Status::Resolved, None) => out.add(
            Rule::ResolutionMissing,
            Level::Error,
            "resolved_at",
            "status is resolved but resolved_at is missing".into(),
            "set resolved_at, or run `incident status ID <status> --reopen`",
        ),
        (s, Some(_)) if s != Status::Resolved => out.add(
            Rule::ResolvedWhileOpen,
            Level::Error,
            "resolved_at",
            format!("is set but status is {s}"),
            "remove resolved_at or resolve the incident",
        ),
        _ => {}
    }
    if matches!(i.status, Status::Monitoring | Status::Resolved) && i.times.mitigated_at.is_none() {
        out.add(
            Rule::MitigationMissing,
            Level::Warning,
            "mitigated_at",
            format!("is missing although status is {}", i.status),
            "set mitigated_at to when impact stopped",
        );
    }
}

/// What the policy asks of the people: a commander where required, people it knows, owned and
/// dated action items.
fn check_policy(i: &Incident, config: &Config, out: &mut Findings) {
    let policy = config.severity(i.severity);
    // A response running late is a warning: an error would turn the CI job red mid-outage over a
    // record the tool itself wrote (an alert hook declares without naming anyone).
    if i.status.is_active() && policy.requires_commander && i.commander().is_none() {
        out.add(
            Rule::CommanderMissing,
            Level::Warning,
            "roles.commander",
            format!(
                "{} requires an incident commander and none is assigned",
                i.severity
            ),
            &format!("assign one: `incident assign {} --commander WHO`", i.id),
        );
    }
    // People in roles should be people the policy knows: a typo'd handle pages nobody.
    if !config.people.is_empty() {
        for (role, who) in &i.roles {
            if config.person(who).is_none() {
                out.add(
                    Rule::UnknownPerson,
                    Level::Warning,
                    &format!("roles.{role}"),
                    format!("`{who}` is not in the people roster of .incident.yaml"),
                    &format!(
                        "use a handle from `people:` (`incident assign {} --role {role}=HANDLE`) or add `{who}` there",
                        i.id
                    ),
                );
            }
        }
    }
    for a in &i.actions {
        let field = format!("actions[#{}]", a.number);
        if a.owner.trim().is_empty() {
            out.add(
                Rule::ActionWithoutOwner,
                Level::Error,
                &field,
                "has no owner".into(),
                "every action item needs an owner",
            );
        }
        if a.state == ActionState::Open && a.due.is_none() {
            out.add(
                Rule::ActionWithoutDate,
                Level::Warning,
                &field,
                "has no due date".into(),
                "give it a date: action items are specific, owned and dated",
            );
        }
    }
}

/// What no command writes but a hand edit can: times no reader takes, and a control or invisible
/// character in any text.
fn check_hand_edits(i: &Incident, out: &mut Findings) {
    let Ok(tree) = serde_json::to_value(i) else {
        return;
    };
    for (field, value) in times_out_of_range(&tree).into_iter().take(20) {
        out.add(
            Rule::TimeOutOfRange,
            Level::Error,
            &field,
            format!("`{value}` is outside the years 1970 to 9999 that every reader takes"),
            "fix the time by hand (RFC 3339, like 2026-11-25T14:05:00Z)",
        );
    }
    for (field, c) in hidden_characters(&tree).into_iter().take(20) {
        out.add(
            Rule::HiddenCharacter,
            Level::Warning,
            &field,
            format!(
                "holds the {} character U+{:04X}, which every output shows escaped",
                if c.is_control() {
                    "control"
                } else {
                    "invisible"
                },
                c as u32
            ),
            "remove it from the file (a YAML escape such as `\\e` or `\\u202e` put it there)",
        );
    }
}

/// Every string in `value` with its field path (`timeline[3].text`), for checks over a whole
/// record whatever its fields.
fn each_string(value: &serde_json::Value, path: &mut String, visit: &mut dyn FnMut(&str, &str)) {
    use serde_json::Value;
    match value {
        Value::String(text) => visit(path, text),
        Value::Array(items) => {
            for (n, item) in items.iter().enumerate() {
                let len = path.len();
                path.push_str(&format!("[{n}]"));
                each_string(item, path, visit);
                path.truncate(len);
            }
        }
        Value::Object(map) => {
            for (key, item) in map {
                let len = path.len();
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(key);
                each_string(item, path, visit);
                path.truncate(len);
            }
        }
        _ => {}
    }
}

/// Every time (`at`, `*_at`) and date (`due`, `meeting`) in `value` outside 1970–9999, with its
/// field path.
fn times_out_of_range(value: &serde_json::Value) -> Vec<(String, String)> {
    let mut found = Vec::new();
    each_string(value, &mut String::new(), &mut |path, text| {
        let key = path.rsplit(['.', ']']).next().unwrap_or("");
        let ok = if key == "at" || key.ends_with("_at") {
            DateTime::parse_from_rfc3339(text).is_ok_and(|t| {
                let t = t.with_timezone(&Utc);
                t >= super::time::earliest_time() && t <= super::time::latest_time()
            })
        } else if key == "due" || key == "meeting" {
            chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d")
                .is_ok_and(|d| d >= super::time::earliest_time().date_naive())
        } else {
            true
        };
        if !ok {
            found.push((path.to_string(), text.to_string()));
        }
    });
    found
}

/// The policy's own findings: what `publish` and the pages would refuse later.
pub fn check_config(config: &Config) -> Vec<Finding> {
    let mut out = Vec::new();
    if let Some(tz) = &config.status_page.time_zone
        && tz.parse::<chrono_tz::Tz>().is_err()
    {
        out.push(Finding {
            rule: Rule::UnknownTimeZone,
            level: Level::Error,
            file: ".incident.yaml".into(),
            field: "status_page.time_zone".into(),
            problem: format!("`{tz}` is not a time zone `publish` knows"),
            fix: "use an IANA name like Europe/Berlin or America/New_York".into(),
        });
    }
    out.extend(super::alert::check_rules(config));
    out
}

/// Every string in `value` holding a character no command accepts in text, with its field path.
fn hidden_characters(value: &serde_json::Value) -> Vec<(String, char)> {
    let mut found = Vec::new();
    each_string(value, &mut String::new(), &mut |path, text| {
        if let Some(c) = text.chars().find(|c| super::is_forbidden_in_text(*c)) {
            found.push((path.to_string(), c));
        }
    });
    found
}

/// The overdue deadlines of an active incident, as of `input.now`.
pub fn check_deadlines(i: &Incident, input: &CheckInput) -> Vec<Finding> {
    if !i.status.is_active() {
        return Vec::new();
    }
    let mut out: Vec<Finding> = super::deadlines(i, input.config, input.now)
        .into_iter()
        .filter(|d| d.state == super::DeadlineState::Overdue)
        .map(|d| Finding {
            rule: Rule::DeadlineOverdue,
            level: Level::Warning,
            file: input.file.to_string(),
            field: "updates".into(),
            problem: format!(
                "{} overdue by {}",
                d.label(),
                super::format_duration(input.now - d.due_at)
            ),
            fix: d.fix(&i.id),
        })
        .collect();
    // The runbooks' steps past their deadline.
    for t in i.tasks.iter().filter(|t| t.is_overdue(input.now)) {
        let due = t.due_at.unwrap_or(input.now);
        out.push(Finding {
            rule: Rule::TaskOverdue,
            level: Level::Warning,
            file: input.file.to_string(),
            field: format!("tasks[#{}]", t.number),
            problem: format!(
                "`{}` is overdue by {}",
                t.text,
                super::format_duration(input.now - due)
            ),
            fix: format!(
                "do it and `incident task done {} {}`, or `incident task skip {} {} --reason \"...\"`",
                i.id, t.number, i.id, t.number
            ),
        });
    }
    out
}

/// What the rules that read the clock (and the post-mortem file) need of a record: small enough to
/// keep for every record, so `check` reads no YAML for records that did not change.
#[derive(Debug, Clone, PartialEq)]
pub struct ClockFacts {
    pub id: String,
    pub active: bool,
    pub resolved: bool,
    pub drill: bool,
    pub resolved_at: Option<DateTime<Utc>>,
    pub peak_severity: Severity,
    pub last_event_at: Option<DateTime<Utc>>,
    /// Open action items with a due date: number, title, owner, due.
    pub dated_actions: Vec<(u32, String, String, NaiveDate)>,
    pub postmortem_empty: bool,
    pub postmortem_draft: bool,
}

impl ClockFacts {
    pub fn of(i: &Incident) -> ClockFacts {
        ClockFacts {
            id: i.id.clone(),
            active: i.status.is_active(),
            resolved: i.status == Status::Resolved,
            drill: i.drill,
            resolved_at: i.times.resolved_at,
            peak_severity: i.peak_severity(),
            last_event_at: i.timeline.last().map(|e| e.at),
            dated_actions: i
                .actions
                .iter()
                .filter(|a| a.state == ActionState::Open)
                .filter_map(|a| Some((a.number, a.title.clone(), a.owner.clone(), a.due?)))
                .collect(),
            postmortem_empty: i.postmortem.is_empty(),
            postmortem_draft: i.postmortem.status == super::ReviewStatus::Draft,
        }
    }

    /// Whether the post-mortem rule could ask about the file (`has_postmortem_file`): `check`
    /// looks for the file only then.
    pub fn needs_postmortem_file(&self) -> bool {
        self.resolved && !self.drill && self.postmortem_empty && self.resolved_at.is_some()
    }
}

/// The rules that read the clock: events in the future, action items past their date, reviews
/// missing or still in draft past the policy's promise.
pub fn check_clock(f: &ClockFacts, input: &CheckInput) -> Vec<Finding> {
    let mut out = Vec::new();
    let mut add = |rule: Rule, field: &str, problem: String, fix: &str| {
        out.push(Finding {
            rule,
            level: Level::Warning,
            file: input.file.to_string(),
            field: field.to_string(),
            problem,
            fix: fix.to_string(),
        });
    };
    if let Some(last) = f.last_event_at
        && last > input.now + chrono::Duration::minutes(5)
    {
        add(
            Rule::EventInFuture,
            "timeline",
            format!("an event is in the future ({})", last.to_rfc3339()),
            "check the clock of whoever wrote it",
        );
    }
    let today = input.now.date_naive();
    for (number, title, owner, due) in &f.dated_actions {
        if *due < today {
            add(
                Rule::ActionOverdue,
                &format!("actions[#{number}]"),
                format!("`{title}` (owner {owner}) was due {due}"),
                "finish it (`incident action done`), or drop it with a reason",
            );
        }
    }
    let due = input.config.postmortem_due(f.peak_severity);
    let resolved = f.resolved_at.filter(|_| f.resolved);
    // A review written but left in draft past the promise is a promise broken too.
    if let Some(due) = due
        && f.peak_severity <= Severity::Sev2
        && !f.drill
        && let Some(resolved) = resolved
        && input.now > resolved + due.to_chrono()
        && !f.postmortem_empty
        && f.postmortem_draft
    {
        add(
            Rule::ReviewStillDraft,
            "postmortem.status",
            format!(
                "the {} post-mortem is still a draft {} after resolution (policy: within {})",
                f.peak_severity,
                super::format_duration(input.now - resolved),
                due.in_words()
            ),
            &format!(
                "review it, then mark it: `incident pir {} --status final`",
                f.id
            ),
        );
    }
    if let Some(due) = due
        && !f.drill
        && let Some(resolved) = resolved
        && input.now > resolved + due.to_chrono()
        && f.postmortem_empty
        && !input.has_postmortem_file
    {
        add(
            Rule::ReviewMissing,
            "postmortem",
            format!(
                "{} resolved {} ago without a post-mortem (policy: within {})",
                f.peak_severity,
                super::format_duration(input.now - resolved),
                due.in_words()
            ),
            &format!(
                "write it: `incident pir {} --summary \"...\"` then `incident postmortem {} --commit`",
                f.id, f.id
            ),
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every rule has its own stable ID, in the kebab case machines match on.
    #[test]
    fn every_rule_has_its_own_id() {
        let ids: Vec<&str> = Rule::ALL.iter().map(|r| r.as_str()).collect();
        let mut unique = ids.clone();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(unique.len(), ids.len(), "{ids:?}");
        for id in &ids {
            assert!(
                !id.is_empty() && id.chars().all(|c| c.is_ascii_lowercase() || c == '-'),
                "{id}"
            );
        }
        assert_eq!(Rule::CommanderMissing.as_str(), "commander-missing");
        assert_eq!(
            serde_json::to_value(Rule::TaskOverdue).unwrap(),
            "task-overdue"
        );
    }
    use crate::model::Severity;
    use crate::model::Stamp;

    fn at(s: &str) -> DateTime<Utc> {
        format!("2026-11-25T{s}:00Z").parse().unwrap()
    }

    fn check(i: &Incident, now: &str) -> Vec<Finding> {
        let mut config = Config::new("x");
        config.services.push(crate::model::Service {
            id: "checkout".into(),
            ..Default::default()
        });
        check_incident(
            i,
            &CheckInput {
                config: &config,
                now: at(now),
                file: "incidents/2026/a.yaml",
                file_id: "a",
                has_postmortem_file: false,
            },
        )
    }

    /// Findings of `field` in `f` whose problem mentions `needle`.
    fn has(f: &[Finding], level: Level, field: &str, needle: &str) -> bool {
        f.iter()
            .any(|f| f.level == level && f.field == field && f.problem.contains(needle))
    }

    #[test]
    fn hand_edits_no_reader_can_take_are_found_by_field() {
        use chrono::TimeZone;
        let mut i = declared(Severity::Sev3);
        i.services = vec!["checkout".into()];
        i.title = "A\u{202e}B".into();
        i.timeline[0].text = "bell\u{7}".into();
        i.times.detected_at = Some(Utc.with_ymd_and_hms(10000, 1, 1, 0, 0, 0).unwrap());
        i.timeline[0].at = Utc.with_ymd_and_hms(1969, 7, 20, 20, 17, 0).unwrap();
        i.summary = Some("1969-07-20T20:17:00Z is a date in text, not a time".into());
        i.actions.push(crate::model::ActionItem {
            id: String::new(),
            number: 1,
            title: "x".into(),
            owner: "bob".into(),
            due: chrono::NaiveDate::from_ymd_opt(1969, 12, 31),
            action_type: Default::default(),
            state: Default::default(),
            link: None,
            runbook: None,
            created_at: at("10:00"),
            closed_at: None,
            note: None,
            extra: Default::default(),
        });
        let f = check_record(&i, &Config::new("x"), "incidents/2026/a.yaml", "a");
        assert!(has(&f, Level::Error, "detected_at", "10000"), "{f:?}");
        assert!(has(&f, Level::Error, "timeline[0].at", "1969"), "{f:?}");
        assert!(
            has(&f, Level::Error, "actions[0].due", "1969-12-31"),
            "{f:?}"
        );
        assert!(!f.iter().any(|f| f.field == "summary"), "{f:?}");
        assert!(
            has(&f, Level::Warning, "title", "invisible character U+202E"),
            "{f:?}"
        );
        assert!(
            has(
                &f,
                Level::Warning,
                "timeline[0].text",
                "control character U+0007"
            ),
            "{f:?}"
        );
        // A tidy record has none of them.
        let mut tidy = declared(Severity::Sev3);
        tidy.services = vec!["checkout".into()];
        let f = check_record(&tidy, &Config::new("x"), "incidents/2026/a.yaml", "a");
        assert!(
            f.iter().all(|f| !f.problem.contains("1970 to 9999")),
            "{f:?}"
        );
        assert!(
            f.iter().all(|f| !f.problem.contains("character U+")),
            "{f:?}"
        );
    }

    #[test]
    fn a_time_zone_publish_cannot_read_is_a_policy_error() {
        let mut config = Config::new("x");
        assert!(check_config(&config).is_empty());
        config.status_page.time_zone = Some("Europe/Berlin".into());
        assert!(check_config(&config).is_empty());
        config.status_page.time_zone = Some("Mars/Olympus".into());
        let f = check_config(&config);
        assert_eq!(f.len(), 1);
        assert!(
            has(&f, Level::Error, "status_page.time_zone", "Mars/Olympus"),
            "{f:?}"
        );
    }

    fn input<'a>(config: &'a Config, now: &str) -> CheckInput<'a> {
        CheckInput {
            config,
            now: at(now),
            file: "incidents/2026/a.yaml",
            file_id: "a",
            has_postmortem_file: false,
        }
    }

    /// A change is refused when it leaves an error the record did not have, naming the field;
    /// errors it found there, a commander still to name and an owner still to find are not its.
    #[test]
    fn a_change_is_refused_only_for_the_errors_it_makes() {
        let config = Config::new("x");
        let input = input(&config, "11:00");
        let before = declared(Severity::Sev3);
        let mut backdated = before.clone();
        backdated.times.acknowledged_at = Some(at("09:00"));
        let e = refuse_invalid_change(Some(&before), &backdated, &input).unwrap_err();
        assert!(e.to_string().contains("acknowledged_at"), "{e}");
        assert!(
            refuse_invalid_change(None, &backdated, &input).is_err(),
            "a new record too"
        );
        // An error the record had already is not this change's.
        let mut also = backdated.clone();
        also.summary = Some("s".into());
        assert!(refuse_invalid_change(Some(&backdated), &also, &input).is_ok());
        // Nor is a missing commander (SEV1 requires one) or an action item's missing owner.
        let mut escalated = before.clone();
        escalated.severity = Severity::Sev1;
        escalated.actions.push(crate::model::ActionItem {
            id: String::new(),
            number: 1,
            title: "x".into(),
            owner: String::new(),
            due: None,
            action_type: Default::default(),
            state: Default::default(),
            link: None,
            runbook: None,
            created_at: at("10:00"),
            closed_at: None,
            note: None,
            extra: Default::default(),
        });
        assert!(refuse_invalid_change(Some(&before), &escalated, &input).is_ok());
        // A different error in the same field is new.
        let mut worse = backdated.clone();
        worse.times.acknowledged_at = Some(at("08:00"));
        assert!(refuse_invalid_change(Some(&backdated), &worse, &input).is_err());
        // A fine change is fine.
        let mut noted = before.clone();
        noted.summary = Some("checkout errors".into());
        assert!(refuse_invalid_change(Some(&before), &noted, &input).is_ok());
    }

    /// (rule, field) of each finding, for exact comparisons.
    fn rules(f: &[Finding]) -> Vec<(Rule, String)> {
        let mut out: Vec<(Rule, String)> = f.iter().map(|f| (f.rule, f.field.clone())).collect();
        out.sort_by(|a, b| (a.0.as_str(), &a.1).cmp(&(b.0.as_str(), &b.1)));
        out
    }

    fn own(i: &Incident, config: &Config) -> Vec<(Rule, String)> {
        rules(&check_record(i, config, "incidents/2026/a.yaml", "a"))
    }

    /// Times in lifecycle order: each after detection (detection after the start of impact), the
    /// resolution after the mitigation, the timeline sorted. Equal times are in order.
    #[test]
    fn lifecycle_times_and_the_timeline_are_in_order() {
        let config = Config::new("x");
        let mut i = declared(Severity::Sev3);
        i.services = vec!["checkout".into()];
        i.times.started_at = Some(at("10:05"));
        i.times.acknowledged_at = Some(at("09:59"));
        i.times.mitigated_at = Some(at("10:30"));
        i.times.resolved_at = Some(at("10:20"));
        i.status = Status::Resolved;
        let found = own(&i, &config);
        let order: Vec<&str> = found
            .iter()
            .filter(|(r, _)| *r == Rule::TimesOutOfOrder)
            .map(|(_, f)| f.as_str())
            .collect();
        assert_eq!(
            order,
            ["acknowledged_at", "detected_at", "resolved_at"],
            "{found:?}"
        );
        // Equal is in order.
        i.times.started_at = i.times.detected_at;
        i.times.acknowledged_at = i.times.detected_at;
        i.times.resolved_at = i.times.mitigated_at;
        assert!(
            own(&i, &config)
                .iter()
                .all(|(r, _)| *r != Rule::TimesOutOfOrder)
        );
        // The timeline: the first event out of order is named, equal times are fine.
        let stamp = |t: &str| Stamp {
            at: at(t),
            by: "x".into(),
        };
        i.push_event(
            &stamp("10:05"),
            crate::model::EventKind::Note,
            "a".into(),
            crate::model::Visibility::Public,
        );
        i.push_event(
            &stamp("10:05"),
            crate::model::EventKind::Note,
            "b".into(),
            crate::model::Visibility::Public,
        );
        assert!(
            own(&i, &config)
                .iter()
                .all(|(r, _)| *r != Rule::TimelineUnsorted)
        );
        i.timeline.push(crate::model::TimelineEvent {
            at: at("10:03"),
            id: "late".into(),
            ..i.timeline[1].clone()
        });
        assert!(own(&i, &config).contains(&(Rule::TimelineUnsorted, "timeline[3].at".into())));
        i.timeline.remove(2);
        assert!(own(&i, &config).contains(&(Rule::TimelineUnsorted, "timeline[2].at".into())));
    }

    /// The status agrees with the resolution and mitigation times.
    #[test]
    fn the_status_agrees_with_the_times() {
        let config = Config::new("x");
        let mut i = declared(Severity::Sev3);
        i.services = vec!["checkout".into()];
        let has = |i: &Incident, rule: Rule| own(i, &config).iter().any(|(r, _)| *r == rule);
        i.status = Status::Resolved;
        assert!(has(&i, Rule::ResolutionMissing) && !has(&i, Rule::ResolvedWhileOpen));
        assert!(has(&i, Rule::MitigationMissing));
        i.times.resolved_at = Some(at("10:30"));
        i.times.mitigated_at = Some(at("10:30"));
        assert!(!has(&i, Rule::ResolutionMissing) && !has(&i, Rule::ResolvedWhileOpen));
        assert!(!has(&i, Rule::MitigationMissing));
        i.status = Status::Investigating;
        assert!(has(&i, Rule::ResolvedWhileOpen) && !has(&i, Rule::ResolutionMissing));
        i.times.resolved_at = None;
        i.times.mitigated_at = None;
        assert!(
            !has(&i, Rule::MitigationMissing),
            "investigating needs no mitigation time"
        );
        i.status = Status::Monitoring;
        assert!(has(&i, Rule::MitigationMissing));
    }

    /// People in roles are people the roster knows (when there is a roster); action items are
    /// owned, and open ones dated.
    #[test]
    fn people_and_action_items_are_as_the_policy_asks() {
        let mut config = Config::new("x");
        let mut i = declared(Severity::Sev3);
        i.services = vec!["checkout".into()];
        i.roles.insert("commander".into(), "zed".into());
        let has = |i: &Incident, config: &Config, rule: Rule| {
            own(i, config).iter().any(|(r, _)| *r == rule)
        };
        assert!(
            !has(&i, &config, Rule::UnknownPerson),
            "no roster, no judgement"
        );
        config.people = serde_yaml::from_str("- handle: dana\n  name: Dana\n").unwrap();
        assert!(own(&i, &config).contains(&(Rule::UnknownPerson, "roles.commander".into())));
        i.roles.insert("commander".into(), "dana".into());
        assert!(!has(&i, &config, Rule::UnknownPerson));
        let item = |owner: &str, due: Option<&str>, state| crate::model::ActionItem {
            id: String::new(),
            number: 1,
            title: "x".into(),
            owner: owner.into(),
            due: due.map(|d| d.parse().unwrap()),
            action_type: Default::default(),
            state,
            link: None,
            runbook: None,
            created_at: at("10:00"),
            closed_at: None,
            note: None,
            extra: Default::default(),
        };
        i.actions = vec![item("bob", None, crate::model::ActionState::Open)];
        assert!(own(&i, &config).contains(&(Rule::ActionWithoutDate, "actions[#1]".into())));
        i.actions = vec![item("bob", None, crate::model::ActionState::Done)];
        assert!(
            !has(&i, &config, Rule::ActionWithoutDate),
            "a closed item needs no date"
        );
        i.actions = vec![item(
            "bob",
            Some("2026-12-01"),
            crate::model::ActionState::Open,
        )];
        assert!(!has(&i, &config, Rule::ActionWithoutDate));
        i.actions = vec![item(
            " ",
            Some("2026-12-01"),
            crate::model::ActionState::Open,
        )];
        assert!(own(&i, &config).contains(&(Rule::ActionWithoutOwner, "actions[#1]".into())));
    }

    /// What the clock's rules keep of a record, and when `check` must look for a post-mortem file.
    #[test]
    fn clock_facts_keep_what_the_clock_rules_read() {
        let mut i = declared(Severity::Sev2);
        let stamp = Stamp {
            at: at("11:00"),
            by: "x".into(),
        };
        let item = |number, state, due: Option<&str>| crate::model::ActionItem {
            id: String::new(),
            number,
            title: format!("item {number}"),
            owner: "bob".into(),
            due: due.map(|d| d.parse().unwrap()),
            action_type: Default::default(),
            state,
            link: None,
            runbook: None,
            created_at: at("10:00"),
            closed_at: None,
            note: None,
            extra: Default::default(),
        };
        i.actions = vec![
            item(1, crate::model::ActionState::Open, Some("2026-11-20")),
            item(2, crate::model::ActionState::Done, Some("2026-11-20")),
            item(3, crate::model::ActionState::Open, None),
        ];
        let open = ClockFacts::of(&i);
        assert!(open.active && !open.resolved && !open.needs_postmortem_file());
        let numbers: Vec<u32> = open.dated_actions.iter().map(|a| a.0).collect();
        assert_eq!(numbers, [1], "open and dated only");
        assert!(open.postmortem_draft && open.postmortem_empty);
        i.set_status(Status::Resolved, None, crate::model::Reopen::No, &stamp)
            .unwrap();
        let resolved = ClockFacts::of(&i);
        assert!(resolved.resolved && !resolved.active);
        assert!(resolved.needs_postmortem_file());
        i.drill = true;
        assert!(
            !ClockFacts::of(&i).needs_postmortem_file(),
            "a drill owes no post-mortem"
        );
        i.drill = false;
        i.postmortem.summary = Some("written".into());
        assert!(
            !ClockFacts::of(&i).needs_postmortem_file(),
            "a review in the record"
        );
        i.postmortem.status = crate::model::ReviewStatus::Final;
        assert!(!ClockFacts::of(&i).postmortem_draft);
        let mut no_time = ClockFacts::of(&i);
        no_time.postmortem_empty = true;
        no_time.resolved_at = None;
        assert!(!no_time.needs_postmortem_file());
    }

    /// The clock's rules, each at its edge: an event more than five minutes ahead, an action item
    /// due before today, a review missing or still a draft only once the policy's days are past.
    #[test]
    fn the_clock_rules_hold_at_their_edges() {
        let config = Config::new("x");
        let due = config
            .postmortem_due(Severity::Sev2)
            .expect("SEV2 has a review deadline");
        let resolved = at("10:00");
        let facts = ClockFacts {
            id: "a".into(),
            active: false,
            resolved: true,
            drill: false,
            resolved_at: Some(resolved),
            peak_severity: Severity::Sev2,
            last_event_at: Some(resolved),
            dated_actions: vec![(1, "x".into(), "bob".into(), resolved.date_naive())],
            postmortem_empty: true,
            postmortem_draft: true,
        };
        let rules_at = |f: &ClockFacts, now: DateTime<Utc>| -> Vec<Rule> {
            let input = CheckInput {
                config: &config,
                now,
                file: "incidents/2026/a.yaml",
                file_id: "a",
                has_postmortem_file: false,
            };
            check_clock(f, &input).into_iter().map(|f| f.rule).collect()
        };
        // A future event: five minutes of skew are allowed.
        let mut ahead = facts.clone();
        ahead.last_event_at = Some(resolved + chrono::Duration::minutes(5));
        assert!(!rules_at(&ahead, resolved).contains(&Rule::EventInFuture));
        ahead.last_event_at = Some(resolved + chrono::Duration::minutes(6));
        assert!(rules_at(&ahead, resolved).contains(&Rule::EventInFuture));
        // An action item due today is not overdue; tomorrow it is.
        assert!(!rules_at(&facts, resolved).contains(&Rule::ActionOverdue));
        assert!(
            rules_at(&facts, resolved + chrono::Duration::days(1)).contains(&Rule::ActionOverdue)
        );
        // The review: owed once the policy's time has passed, not at its very end.
        let edge = resolved + due.to_chrono();
        assert!(!rules_at(&facts, edge).contains(&Rule::ReviewMissing));
        assert!(
            rules_at(&facts, edge + chrono::Duration::minutes(1)).contains(&Rule::ReviewMissing)
        );
        let mut drill = facts.clone();
        drill.drill = true;
        assert!(!rules_at(&drill, edge + chrono::Duration::days(1)).contains(&Rule::ReviewMissing));
        // Written but left a draft: the same promise, broken too.
        let mut draft = facts.clone();
        draft.postmortem_empty = false;
        let later = edge + chrono::Duration::minutes(1);
        assert_eq!(
            rules_at(&draft, later)
                .iter()
                .filter(|r| **r == Rule::ReviewStillDraft)
                .count(),
            1
        );
        assert!(!rules_at(&draft, edge).contains(&Rule::ReviewStillDraft));
        assert!(!rules_at(&draft, later).contains(&Rule::ReviewMissing));
        draft.postmortem_draft = false;
        assert!(!rules_at(&draft, later).contains(&Rule::ReviewStillDraft));
        let mut minor = facts.clone();
        minor.postmortem_empty = false;
        minor.peak_severity = Severity::Sev3;
        if let Some(sev3) = config.postmortem_due(Severity::Sev3) {
            let late = resolved + sev3.to_chrono() + chrono::Duration::minutes(1);
            assert!(
                !rules_at(&minor, late).contains(&Rule::ReviewStillDraft),
                "only SEV1 and SEV2 drafts"
            );
        }
        let mut drafted_drill = draft.clone();
        drafted_drill.postmortem_draft = true;
        drafted_drill.drill = true;
        assert!(!rules_at(&drafted_drill, later).contains(&Rule::ReviewStillDraft));
    }

    /// A record from a newer format is a warning; one of this format is not.
    #[test]
    fn a_newer_format_is_a_warning_and_this_one_is_not() {
        let mut i = declared(Severity::Sev3);
        i.services = vec!["checkout".into()];
        let version = |i: &Incident| {
            check(i, "10:00")
                .iter()
                .any(|f| f.rule == Rule::NewerFormat)
        };
        i.version = FORMAT_VERSION;
        assert!(!version(&i));
        i.version = FORMAT_VERSION - 1;
        assert!(!version(&i));
        i.version = FORMAT_VERSION + 1;
        assert!(version(&i));
    }

    fn declared(severity: Severity) -> Incident {
        Incident::declare(
            "a".into(),
            "A".into(),
            severity,
            &Stamp {
                at: at("10:00"),
                by: "x".into(),
            },
        )
    }

    fn fields(f: &[Finding]) -> Vec<(Level, &str)> {
        f.iter().map(|f| (f.level, f.field.as_str())).collect()
    }

    #[test]
    fn a_tidy_incident_has_no_findings() {
        let mut i = declared(Severity::Sev3);
        i.services = vec!["checkout".into()];
        assert_eq!(check(&i, "10:05"), []);
    }

    #[test]
    fn time_order_lifecycle_and_roles_are_checked() {
        let mut i = declared(Severity::Sev1);
        i.services = vec!["checkout".into(), "billing".into()];
        i.times.started_at = Some(at("10:30"));
        i.times.resolved_at = Some(at("11:00"));
        let f = check(&i, "10:05");
        let got = fields(&f);
        assert!(got.contains(&(Level::Error, "detected_at")), "{got:?}");
        assert!(got.contains(&(Level::Error, "resolved_at")), "{got:?}");
        assert!(
            got.contains(&(Level::Warning, "roles.commander")),
            "{got:?}"
        );
        assert!(got.contains(&(Level::Warning, "services")), "{got:?}");
        assert!(f.iter().all(|f| !f.fix.is_empty()));
    }

    #[test]
    fn overdue_updates_and_missing_postmortems_warn() {
        let mut i = declared(Severity::Sev1);
        i.services = vec!["checkout".into()];
        i.roles.insert("commander".into(), "x".into());
        let got = check(&i, "10:20");
        assert!(
            got.iter().any(|f| f
                .problem
                .starts_with("first public update overdue by 5 min")),
            "{got:?}"
        );
        i.status = Status::Resolved;
        i.times.mitigated_at = Some(at("10:30"));
        i.times.resolved_at = Some(at("10:40"));
        let mut config = Config::new("x");
        config.postmortem_due_days = 5;
        let later: DateTime<Utc> = "2026-12-05T00:00:00Z".parse().unwrap();
        let check_later = |has_postmortem_file| {
            check_incident(
                &i,
                &CheckInput {
                    config: &config,
                    now: later,
                    file: "f",
                    file_id: "a",
                    has_postmortem_file,
                },
            )
        };
        let f = check_later(false);
        assert!(
            f.iter()
                .any(|f| f.field == "postmortem" && f.level == Level::Warning),
            "{f:?}"
        );
        let f = check_later(true);
        assert!(f.iter().all(|f| f.field != "postmortem"));
    }
}
