//! The public status page: `status.md`, `index.html`, `feed.atom` (templates) and the Statuspage-shaped
//! `summary.json`, `incidents.json`, `status.json`, `components.json` and `incidents/unresolved.json`,
//! built from public material only.
//!
//! What is public: incidents that are not drills and have at least one public status update, their
//! title, services, severity-derived impact, lifecycle status and public updates. Nothing else of the
//! record is read here: internal events and updates, people, e-mail addresses and summaries never
//! reach a published file, and a post-mortem only in its customer-safe form once released
//! (`pir --publish`, see [`super::context::PostmortemDocument::public`]). Output depends only on the records, the policy and the
//! `now` passed in, so CI can commit only real changes.

use super::context::{OrgContext, UpdateContext};
use super::{RenderError, Renderer};
use crate::model::{Config, Incident, StatusUpdate};
use chrono::{DateTime, Duration, Utc};
use serde::Serialize;
use std::collections::BTreeMap;

#[derive(Debug, Clone, Serialize)]
pub struct Page {
    pub id: String,
    pub name: String,
    pub url: Option<String>,
    pub time_zone: String,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize)]
pub struct PageStatus {
    pub indicator: String,
    pub description: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Component {
    pub id: String,
    pub name: String,
    pub status: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub position: usize,
    pub description: Option<String>,
    pub showcase: bool,
    pub start_date: Option<String>,
    pub group_id: Option<String>,
    pub page_id: String,
    pub group: bool,
    pub only_show_if_degraded: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct IncidentUpdate {
    pub id: String,
    pub status: String,
    pub body: String,
    pub incident_id: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub display_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ComponentRef {
    pub id: String,
    pub name: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct PublicIncident {
    pub id: String,
    pub name: String,
    pub status: String,
    pub impact: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub monitoring_at: Option<DateTime<Utc>>,
    pub resolved_at: Option<DateTime<Utc>>,
    pub shortlink: Option<String>,
    pub page_id: String,
    /// Newest first, as Statuspage lists them.
    pub incident_updates: Vec<IncidentUpdate>,
    pub components: Vec<ComponentRef>,
    /// The customer-safe post-mortem (Markdown), once the team publishes it (`pir --publish`).
    pub postmortem_body: Option<String>,
    pub postmortem_published_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Summary<'a> {
    pub page: &'a Page,
    pub status: &'a PageStatus,
    pub components: &'a [Component],
    pub incidents: &'a [&'a PublicIncident],
    pub scheduled_maintenances: Vec<()>,
}

#[derive(Debug, Clone, Serialize)]
pub struct IncidentsFeed<'a> {
    pub page: &'a Page,
    pub incidents: &'a [PublicIncident],
}

#[derive(Debug, Clone, Serialize)]
pub struct HistoryDay<'a> {
    pub date: String,
    pub incidents: Vec<&'a PublicIncident>,
}

#[derive(Debug, Clone, Serialize)]
pub struct FeedEntry<'a> {
    pub id: String,
    pub incident_id: &'a str,
    pub title: String,
    pub status: &'a str,
    pub body: &'a str,
    pub at: DateTime<Utc>,
    pub link: &'a Option<String>,
}

/// What the page templates receive (documented in `docs/templates.md`). Borrowed throughout: the
/// page of 5,000 incidents is built once in memory, not once per output.
#[derive(Debug, Clone, Serialize)]
pub struct PageContext<'a> {
    pub org: &'a OrgContext,
    pub page: &'a Page,
    pub status: &'a PageStatus,
    pub components: &'a [Component],
    pub active: &'a [&'a PublicIncident],
    /// The active incident the banner names: the worst impact, then the most recent.
    pub worst: Option<&'a PublicIncident>,
    pub history: Vec<HistoryDay<'a>>,
    pub days: u32,
    pub feed_id: String,
    pub entries: Vec<FeedEntry<'a>>,
}

/// The published files, in a fixed order: name and content.
pub fn publish(
    incidents: &[Incident],
    config: &Config,
    renderer: &Renderer,
    now: DateTime<Utc>,
    days: u32,
) -> Result<Vec<(&'static str, String)>, RenderError> {
    let org = OrgContext::from_config(config);
    let page_id = crate::model::slugify(&config.organisation);
    let link = |id: &str| {
        org.status_page_url
            .as_ref()
            .map(|u| format!("{}#{id}", u.trim_end_matches('/')))
    };
    let authority = org
        .status_page_url
        .as_deref()
        .and_then(|u| u.split("://").nth(1))
        .and_then(|rest| rest.split('/').next())
        .filter(|h| !h.is_empty())
        .map_or_else(|| format!("{page_id}.incident.invalid"), str::to_string);

    // Any number of days is "everything": before 1970 there is nothing to show.
    let horizon = now
        .checked_sub_signed(Duration::days(i64::from(days)))
        .unwrap_or(DateTime::UNIX_EPOCH)
        .max(DateTime::UNIX_EPOCH);
    let mut published: Vec<PublicIncident> = Vec::new();
    for i in incidents.iter().filter(|i| !i.drill) {
        let mut updates: Vec<&StatusUpdate> = i
            .updates
            .iter()
            .filter(|u| u.visibility.is_public())
            .collect();
        if updates.is_empty() || i.resolved_at.is_some_and(|r| r < horizon) {
            continue;
        }
        updates.sort_by(|a, b| (b.at, &b.id).cmp(&(a.at, &a.id)));
        let first_public = i.first_public_update().map(|u| u.id.as_str());
        let mut rendered = Vec::new();
        for u in &updates {
            // Published text never names the responder who wrote it.
            let ctx = UpdateContext {
                by: String::new(),
                ..UpdateContext::of(u, first_public)
            };
            rendered.push(IncidentUpdate {
                id: u.id.clone(),
                status: u.status.to_string(),
                body: render_update_body(renderer, config, i, &ctx, now)?,
                incident_id: i.id.clone(),
                created_at: u.at,
                updated_at: u.at,
                display_at: u.at,
            });
        }
        let postmortem_body = match i.postmortem.published_at {
            Some(_) if i.resolved_at.is_some() => {
                Some(public_postmortem(renderer, config, i, now)?)
            }
            _ => None,
        };
        let created = updates.last().map(|u| u.at).unwrap_or(now);
        let updated = updates.first().map(|u| u.at).unwrap_or(created);
        published.push(PublicIncident {
            id: i.id.clone(),
            name: i.title.clone(),
            status: i.status.to_string(),
            impact: config.severity(i.severity).impact,
            created_at: created,
            updated_at: i.resolved_at.map_or(updated, |r| r.max(updated)),
            monitoring_at: i.mitigated_at,
            resolved_at: i.resolved_at,
            shortlink: link(&i.id),
            page_id: page_id.clone(),
            incident_updates: rendered,
            postmortem_published_at: postmortem_body.as_ref().and(i.postmortem.published_at),
            postmortem_body,
            components: i
                .services
                .iter()
                .map(|s| ComponentRef {
                    id: s.clone(),
                    name: config.service_name(s),
                })
                .collect(),
        });
    }
    published.sort_by(|a, b| (b.created_at, &b.id).cmp(&(a.created_at, &a.id)));
    let mut entries: Vec<FeedEntry> = published
        .iter()
        .flat_map(|p| {
            let authority = &authority;
            p.incident_updates.iter().map(move |u| FeedEntry {
                id: format!(
                    "tag:{authority},{}:{}/{}",
                    // The date part of the ID, counted in characters: an ID may hold any letter.
                    p.id.chars().take(10).collect::<String>(),
                    p.id,
                    u.id
                ),
                incident_id: &p.id,
                title: format!("{}: {}", p.name, status_word(&u.status)),
                status: &u.status,
                body: &u.body,
                at: u.created_at,
                link: &p.shortlink,
            })
        })
        .collect();
    entries.sort_by(|a, b| (b.at, &b.id).cmp(&(a.at, &a.id)));

    let active: Vec<&PublicIncident> = published
        .iter()
        .filter(|p| p.resolved_at.is_none())
        .collect();
    let worst = active
        .iter()
        .map(|p| impact_rank(&p.impact))
        .max()
        .unwrap_or(0);
    let status = PageStatus {
        indicator: ["none", "minor", "major", "critical"][worst].into(),
        description: [
            "All Systems Operational",
            "Minor Service Outage",
            "Partial System Outage",
            "Major System Outage",
        ][worst]
            .into(),
    };
    let updated_at = published
        .iter()
        .map(|p| p.updated_at)
        .max()
        .unwrap_or_else(|| {
            now.date_naive()
                .and_hms_opt(0, 0, 0)
                .expect("midnight exists")
                .and_utc()
        });
    let page = Page {
        id: page_id.clone(),
        name: org.status_page_title.clone(),
        url: org.status_page_url.clone(),
        time_zone: org.time_zone.clone(),
        updated_at,
    };
    let components = components(config, &active, &published, &page_id, updated_at);

    let mut history: BTreeMap<String, Vec<&PublicIncident>> = BTreeMap::new();
    for p in published.iter().filter(|p| p.resolved_at.is_some()) {
        history
            .entry(p.created_at.format("%Y-%m-%d").to_string())
            .or_default()
            .push(p);
    }
    let history: Vec<HistoryDay> = history
        .into_iter()
        .rev()
        .map(|(date, incidents)| HistoryDay { date, incidents })
        .collect();

    let ctx = PageContext {
        org: &org,
        page: &page,
        status: &status,
        components: &components,
        active: &active,
        worst: active.iter().copied().max_by(|a, b| {
            (impact_rank(&a.impact), a.created_at, &a.id).cmp(&(
                impact_rank(&b.impact),
                b.created_at,
                &b.id,
            ))
        }),
        history,
        days,
        feed_id: format!("tag:{authority},2024:status-feed"),
        entries,
    };
    let summary = Summary {
        page: &page,
        status: &status,
        components: &components,
        incidents: &active,
        scheduled_maintenances: Vec::new(),
    };
    let incidents_json = IncidentsFeed {
        page: &page,
        incidents: &published,
    };
    // Statuspage API clients request `api/v2/<endpoint>`; the flat copies stay for existing readers.
    let api = [
        ("summary.json", "api/v2/summary.json", to_json(&summary)),
        (
            "incidents.json",
            "api/v2/incidents.json",
            to_json(&incidents_json),
        ),
        (
            "status.json",
            "api/v2/status.json",
            to_json(&serde_json::json!({ "page": &page, "status": &status })),
        ),
        (
            "components.json",
            "api/v2/components.json",
            to_json(&serde_json::json!({ "page": &page, "components": &components })),
        ),
        (
            "incidents/unresolved.json",
            "api/v2/incidents/unresolved.json",
            to_json(&serde_json::json!({ "page": &page, "incidents": &active })),
        ),
    ];
    let mut files = vec![
        ("status.md", renderer.render("status.md", &ctx)?),
        ("index.html", renderer.render("index.html", &ctx)?),
        ("feed.atom", renderer.render("feed.atom", &ctx)?),
        ("history.rss", renderer.render("history.rss", &ctx)?),
    ];
    for (flat, v2, content) in api {
        files.push((v2, content.clone()));
        files.push((flat, content));
    }
    Ok(files)
}

/// The customer-safe post-mortem, as `incident postmortem ID --public` renders it.
fn public_postmortem(
    renderer: &Renderer,
    config: &Config,
    incident: &Incident,
    now: DateTime<Utc>,
) -> Result<String, RenderError> {
    let doc = super::context::PostmortemDocument::new(incident, config, now)
        .with_update_texts(|u| render_update_body(renderer, config, incident, u, now))?
        .public();
    Ok(renderer
        .render("postmortem-public.md", &doc)?
        .trim()
        .to_string())
}

/// The public text of one update, from the template every channel shares, so every published form
/// says the same thing.
fn render_update_body(
    renderer: &Renderer,
    config: &Config,
    incident: &Incident,
    update: &UpdateContext,
    now: DateTime<Utc>,
) -> Result<String, RenderError> {
    let ctx = super::context::UpdateDocument::public(incident, config, update.clone(), now);
    Ok(renderer.render("update-body.txt", &ctx)?.trim().to_string())
}

fn status_word(status: &str) -> String {
    let mut chars = status.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

fn impact_rank(impact: &str) -> usize {
    match impact {
        "critical" => 3,
        "major" => 2,
        "minor" => 1,
        _ => 0,
    }
}

fn components(
    config: &Config,
    active: &[&PublicIncident],
    published: &[PublicIncident],
    page_id: &str,
    updated_at: DateTime<Utc>,
) -> Vec<Component> {
    let mut ids: Vec<(String, String, Option<String>)> = config
        .services
        .iter()
        .map(|s| {
            (
                s.id.clone(),
                s.name.clone().unwrap_or_else(|| s.id.clone()),
                s.description.clone(),
            )
        })
        .collect();
    for p in published {
        for c in &p.components {
            if !ids.iter().any(|(id, _, _)| id == &c.id) {
                ids.push((c.id.clone(), c.name.clone(), None));
            }
        }
    }
    ids.into_iter()
        .enumerate()
        .map(|(position, (id, name, description))| {
            let worst = active
                .iter()
                .filter(|p| p.components.iter().any(|c| c.id == id))
                .map(|p| impact_rank(&p.impact))
                .max()
                .unwrap_or(0);
            Component {
                status: [
                    "operational",
                    "degraded_performance",
                    "partial_outage",
                    "major_outage",
                ][worst]
                    .into(),
                id,
                name,
                created_at: DateTime::from_timestamp(0, 0).unwrap_or(updated_at),
                updated_at,
                position: position + 1,
                description,
                showcase: true,
                start_date: None,
                group_id: None,
                page_id: page_id.to_string(),
                group: false,
                only_show_if_degraded: false,
            }
        })
        .collect()
}

fn to_json<T: Serialize>(value: &T) -> String {
    let mut text = serde_json::to_string_pretty(value).expect("published types always serialise");
    text.push('\n');
    text
}
