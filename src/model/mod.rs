//! The incident record and the team's policy: plain serde types plus the rules of the lifecycle.
//!
//! Nothing here touches the disk, git or the terminal, so every rule can be unit-tested on hand-built
//! records and reused by the store, the renderer, the metrics and the merge alike.

pub mod alert;
mod component;
mod deadline;
mod duration;
mod edit;
mod entry_id;
mod error;
pub mod escalation;
#[cfg(test)]
mod fuzz;
mod history;
mod incident;
mod maintenance;
pub mod merge;
pub mod notify;
pub mod oncall;
pub mod picture;
mod policy;
pub mod runbook;
pub mod search;
mod severity;
mod slug;
pub mod source;
mod task;
mod time;
mod update;
mod validate;

pub use component::{
    ComponentPeriod, ComponentSetting, ComponentStatus, parse_component_setting, status_among,
};
pub use deadline::{Deadline, DeadlineKind, DeadlineState, deadlines};
pub use duration::{Span, SpanError};
pub use edit::{Editable, merge_edit};
pub use entry_id::entry_id;
pub use error::ModelError;
pub use history::{Episode, RolePeriod, SeverityPeriod};
pub use incident::{
    ActionItem, ActionState, ActionType, DeclareSpec, EventKind, EveryTime, Extra, Impact,
    ImpactChange, Incident, IncidentKind, IncidentSummary, Lifecycle, Postmortem, PublicView,
    Reopen, ReviewPatch, ReviewStatus, RoleList, Said, Stamp, StatusUpdate, TimelineEvent,
    Visibility, event_kind, lasted, parse_action_ref,
};
pub use maintenance::{Maintenance, MaintenanceSpec, MaintenanceStatus, MaintenanceUpdate};
pub use policy::{
    ComponentGroup, Config, NotifyConfig, NotifyTarget, Person, Service, SeverityPolicy,
    StatusPageConfig, SyncMode, TargetKind,
};
pub use severity::{Severity, Status};
pub use slug::{
    check_line, check_name, check_read_id, check_record_id, check_text, is_forbidden_in_text,
    is_hidden_char, make_visible, may_hold_hidden, name, slugify,
};
pub use task::{NewTask, Task, TaskSource, TaskState};
pub use time::{format_duration, parse_date, parse_planned_time, parse_time};
pub use update::{Draft, post_update};
pub use validate::{
    CheckInput, ClockFacts, Finding, Level, Rule, check_clock, check_config, check_deadlines,
    check_incident, check_parts, check_record, refuse_invalid_change,
};

/// The record format written by this binary; readers accept this and older versions.
pub const FORMAT_VERSION: u32 = 1;
