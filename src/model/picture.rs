//! One incident as a picture: what each lane of its timeline chart shows, read from the record.
//! The chart (`crate::render::chart`, an SVG drawn with plotters) and the Mermaid diagram of the
//! post-mortem draw this; neither decides anything.
//!
//! Lanes: the severity over time, the lifecycle status, each affected service's status, the
//! public updates (each with its deadline: a late one stands out), silences (a stretch without a
//! public update longer than was promised), role handoffs and tasks done. The public picture
//! keeps only what the public record shows: no people, no tasks.

use super::{ComponentStatus, DeadlineKind, DeadlineState, Incident, Severity, Status};
use chrono::{DateTime, Utc};
use serde::Serialize;

/// A stretch of one lane at one value.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Band<T> {
    pub value: T,
    pub from: DateTime<Utc>,
    pub until: DateTime<Utc>,
}

/// A public (or, internally, any) status update, and the deadline it met.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct UpdateMark {
    pub at: DateTime<Utc>,
    pub public: bool,
    /// It met a deadline after the deadline had passed.
    pub late: bool,
    /// The deadline it met, if one: the first public update's or the next update's.
    pub due: Option<DateTime<Utc>>,
}

/// A stretch without a public update longer than was promised: from the last update (or the
/// start) to the next one (or the end).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Silence {
    pub from: DateTime<Utc>,
    pub until: DateTime<Utc>,
    /// When the next word was due.
    pub due: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Handoff {
    pub at: DateTime<Utc>,
    pub role: String,
    pub from: Option<String>,
    pub to: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TaskMark {
    pub at: DateTime<Utc>,
    pub number: u32,
    pub text: String,
    pub skipped: bool,
}

/// Everything the timeline chart of one incident shows.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Picture {
    pub id: String,
    pub title: String,
    pub from: DateTime<Utc>,
    pub until: DateTime<Utc>,
    /// Still open: the chart ends at `now`.
    pub open: bool,
    pub severities: Vec<Band<Severity>>,
    pub statuses: Vec<Band<Status>>,
    /// Each affected service's lane, by service ID.
    pub components: Vec<(String, Vec<Band<ComponentStatus>>)>,
    pub updates: Vec<UpdateMark>,
    pub silences: Vec<Silence>,
    pub handoffs: Vec<Handoff>,
    pub tasks: Vec<TaskMark>,
}

/// Who the picture is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Viewers {
    /// The review: everything.
    Team,
    /// Customers: public updates, severity, status and services only.
    Public,
}

/// The picture of `incident` as of `now` (the end of an open incident).
pub fn picture(
    incident: &Incident,
    config: &super::Config,
    now: DateTime<Utc>,
    viewers: Viewers,
) -> Option<Picture> {
    let began = incident
        .times
        .started_at
        .into_iter()
        .chain(incident.began_at())
        .min()?;
    let end = incident.times.resolved_at.unwrap_or(now).max(began);
    let until = |u: Option<DateTime<Utc>>| u.unwrap_or(end).min(end);
    let severities: Vec<Band<Severity>> = incident
        .severity_periods()
        .into_iter()
        .map(|p| Band {
            value: p.severity,
            from: p.from,
            until: until(p.until),
        })
        .filter(|b| b.until > b.from)
        .collect();
    let mut statuses = Vec::new();
    let mut status = Status::Investigating;
    let mut from = incident.began_at().unwrap_or(began);
    for (at, _, to) in incident.status_changes() {
        if to == status {
            continue;
        }
        if at > from {
            statuses.push(Band {
                value: status,
                from,
                until: at.min(end),
            });
        }
        from = at.max(from);
        status = to;
    }
    if status != Status::Resolved && end > from {
        statuses.push(Band {
            value: status,
            from,
            until: end,
        });
    }
    let mut components: Vec<(String, Vec<Band<ComponentStatus>>)> = Vec::new();
    for p in incident.component_periods(config) {
        let band = Band {
            value: p.status,
            from: p.from,
            until: until(p.until),
        };
        if band.until <= band.from {
            continue;
        }
        match components.iter_mut().find(|(c, _)| *c == p.component) {
            Some((_, lane)) => lane.push(band),
            None => components.push((p.component.clone(), vec![band])),
        }
    }
    let deadlines = super::deadlines(incident, config, now);
    let met = |at: DateTime<Utc>| {
        deadlines.iter().find(|d| {
            matches!(d.kind, DeadlineKind::StatusPage | DeadlineKind::NextUpdate)
                && d.met_at == Some(at)
        })
    };
    let updates: Vec<UpdateMark> = incident
        .updates
        .iter()
        .filter(|u| viewers == Viewers::Team || u.visibility.is_public())
        .map(|u| {
            let deadline = if u.visibility.is_public() {
                met(u.at)
            } else {
                None
            };
            UpdateMark {
                at: u.at,
                public: u.visibility.is_public(),
                late: deadline.is_some_and(|d| d.state == DeadlineState::Late),
                due: deadline.map(|d| d.due_at),
            }
        })
        .collect();
    let public_times: Vec<DateTime<Utc>> = incident
        .updates
        .iter()
        .filter(|u| u.visibility.is_public())
        .map(|u| u.at)
        .collect();
    let silences = deadlines
        .iter()
        .filter(|d| matches!(d.kind, DeadlineKind::StatusPage | DeadlineKind::NextUpdate))
        .filter(|d| matches!(d.state, DeadlineState::Late | DeadlineState::Overdue))
        .map(|d| Silence {
            from: public_times
                .iter()
                .copied()
                .filter(|t| *t < d.due_at)
                .max()
                .unwrap_or(began)
                .max(began),
            until: d.met_at.unwrap_or(end).min(end),
            due: d.due_at,
        })
        .filter(|s| s.until > s.from)
        .collect();
    let (handoffs, tasks) = match viewers {
        Viewers::Public => (Vec::new(), Vec::new()),
        Viewers::Team => (handoffs(incident), tasks_done(incident)),
    };
    Some(Picture {
        id: incident.id.clone(),
        title: incident.title.clone(),
        from: began,
        until: end,
        open: incident.times.resolved_at.is_none(),
        severities,
        statuses,
        components,
        updates,
        silences,
        handoffs,
        tasks,
    })
}

/// Every change of who holds a role after the declaration (the roles named at declaration are
/// no handoff).
fn handoffs(incident: &Incident) -> Vec<Handoff> {
    let periods = incident.role_periods();
    let declared = periods.iter().map(|p| p.from).min();
    let mut out: Vec<Handoff> = Vec::new();
    for p in &periods {
        if Some(p.from) != declared {
            let before = periods
                .iter()
                .find(|q| q.role == p.role && q.until == Some(p.from));
            out.push(Handoff {
                at: p.from,
                role: p.role.clone(),
                from: before.map(|q| q.who.clone()),
                to: Some(p.who.clone()),
            });
        }
        if let Some(until) = p.until
            && !periods.iter().any(|q| q.role == p.role && q.from == until)
        {
            out.push(Handoff {
                at: until,
                role: p.role.clone(),
                from: Some(p.who.clone()),
                to: None,
            });
        }
    }
    out.sort_by(|a, b| (a.at, &a.role).cmp(&(b.at, &b.role)));
    out
}

fn tasks_done(incident: &Incident) -> Vec<TaskMark> {
    let mut out: Vec<TaskMark> = incident
        .tasks
        .iter()
        .filter_map(|t| {
            let at = t.closed_at?;
            Some(TaskMark {
                at,
                number: t.number,
                text: t.text.clone(),
                skipped: t.state == super::TaskState::Skipped,
            })
        })
        .collect();
    out.sort_by_key(|t| (t.at, t.number));
    out
}
