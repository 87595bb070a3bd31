//! The public status page: `status.md`, `index.html`, `history.html`, one page per incident and per
//! maintenance window, `feed.atom`, `history.rss` and one Atom feed per component (templates), and
//! the Statuspage v2 API files under `api/v2/` (with flat copies at the root for older readers),
//! built from public material only.
//!
//! What is public: incidents that are not drills and have at least one public status update, their
//! title, services and what the incident did to each (component statuses), severity-derived impact,
//! lifecycle status and public updates; maintenance windows, which are public by nature. Nothing
//! else of a record is read here: internal events and updates, people, e-mail addresses and
//! summaries never reach a published file, and a post-mortem only in its customer-safe form once
//! released (`pir --publish`, see [`super::context::PostmortemDocument::public`]). Output depends
//! only on the records, the policy and the `now` passed in, so CI can commit only real changes.

use super::context::{OrgContext, UpdateContext};
use super::{RenderError, Renderer};
use crate::model::{
    ComponentPeriod, ComponentStatus, Config, Incident, Maintenance, Status, StatusUpdate,
};
use crate::uptime::{ComponentUptime, component_uptime};
use chrono::{DateTime, Days, Duration, NaiveDate, Utc};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

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
    pub status: ComponentStatus,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub position: usize,
    pub description: Option<String>,
    pub showcase: bool,
    pub start_date: Option<NaiveDate>,
    pub group_id: Option<String>,
    pub page_id: String,
    pub group: bool,
    pub only_show_if_degraded: bool,
    /// A group's members, by ID (Statuspage sends this on groups only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub components: Option<Vec<String>>,
}

/// One component an update changed, as Statuspage's `affected_components` lists it.
#[derive(Debug, Clone, Serialize)]
pub struct AffectedComponent {
    pub code: String,
    pub name: String,
    pub old_status: ComponentStatus,
    pub new_status: ComponentStatus,
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
    pub affected_components: Vec<AffectedComponent>,
    /// Every published update was meant for subscribers.
    pub deliver_notifications: bool,
    /// Hosted pages send both, null when nothing was tweeted; strict clients expect the keys.
    pub custom_tweet: Option<String>,
    pub tweet_id: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ComponentRef {
    pub id: String,
    pub name: String,
}

/// What a maintenance window adds to the incident shape (Statuspage's scheduled maintenance).
#[derive(Debug, Clone, Serialize)]
pub struct Schedule {
    pub scheduled_for: DateTime<Utc>,
    pub scheduled_until: DateTime<Utc>,
    pub scheduled_remind_prior: bool,
    pub scheduled_auto_in_progress: bool,
    pub scheduled_auto_completed: bool,
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
    /// When customers were first affected (for maintenance: when the work began, else its slot).
    pub started_at: DateTime<Utc>,
    /// The incident's own page, `incidents/<id>.html` (`maintenance/<id>.html`) under the page URL.
    pub shortlink: Option<String>,
    pub page_id: String,
    /// Newest first, as Statuspage lists them.
    pub incident_updates: Vec<IncidentUpdate>,
    /// The affected components by ID and name, for the feeds and pages; the API files carry
    /// [`PublicIncident::component_objects`] under this name instead.
    #[serde(skip)]
    pub components: Vec<ComponentRef>,
    /// The affected components as full component objects, as hosted pages send them (a strict
    /// client fails on `{id, name}` alone).
    #[serde(rename = "components")]
    pub component_objects: Vec<Component>,
    /// Hosted pages send it (null for incidents).
    pub reminder_intervals: Option<String>,
    /// The customer-safe post-mortem (Markdown), once the team publishes it (`pir --publish`).
    pub postmortem_body: Option<String>,
    pub postmortem_published_at: Option<DateTime<Utc>>,
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub schedule: Option<Schedule>,
    /// From the impact start to the resolution (or now), in words (`1 h 12 min`). For templates
    /// only: not a Statuspage field, so the API files leave it out.
    #[serde(skip_serializing_if = "not_for_templates")]
    pub duration: String,
    /// The file of its page, relative to the page root. For templates only.
    #[serde(skip_serializing_if = "not_for_templates")]
    pub page_path: String,
}

fn in_words(secs: i64) -> String {
    crate::model::format_duration(Duration::seconds(secs.max(0)))
}

/// Whether a field meant for the page templates is being written elsewhere (the API files).
fn not_for_templates<T>(_: &T) -> bool {
    !minijinja::value::serializing_for_value()
}

impl PublicIncident {
    fn is_maintenance(&self) -> bool {
        self.schedule.is_some()
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Summary<'a> {
    pub page: &'a Page,
    pub status: &'a PageStatus,
    pub components: &'a [Component],
    pub incidents: &'a [&'a PublicIncident],
    pub scheduled_maintenances: &'a [&'a PublicIncident],
}

#[derive(Debug, Clone, Serialize)]
pub struct HistoryDay<'a> {
    /// `2026-11-03`
    pub date: String,
    /// `Nov 3, 2026`
    pub label: String,
    pub incidents: Vec<&'a PublicIncident>,
    /// In `history_folded`, a run of days without incidents is one entry: `date` and `label` name
    /// its newest day, these its oldest (`None` for a single day).
    pub first_date: Option<String>,
    pub first_label: Option<String>,
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
    #[serde(skip)]
    pub components: &'a [ComponentRef],
}

/// A heading of the services list: a component group, or `None` for the services in no group.
#[derive(Debug, Clone, Serialize)]
pub struct Section<'a> {
    pub group: Option<&'a Component>,
    pub components: Vec<&'a Component>,
}

/// One day's bar, as the page draws it.
#[derive(Debug, Clone, Serialize)]
pub struct Bar {
    pub date: String,
    pub label: String,
    /// `none` (not tracked), `operational`, or the worst status of the day.
    pub class: String,
    /// The tooltip: what happened that day.
    pub title: String,
}

/// A component's uptime as templates read it.
#[derive(Debug, Clone, Serialize)]
pub struct UptimeView {
    /// `99.95`, rounded down (see [`ComponentUptime::percent`]); `None` before the first tracked day.
    pub percent: Option<String>,
    /// The same over the last [`PHONE_DAYS`] days: a narrow screen shows only their bars.
    pub percent_recent: Option<String>,
    pub recent_days: usize,
    /// The days with any downtime or maintenance, newest first, each as its bar's `title` says it
    /// (`Nov 5, 2026: 42m partial outage`): the bars told in words, without hovering.
    pub eventful: Vec<String>,
    pub bars: Vec<Bar>,
    /// Minutes at each status over the whole span.
    pub minutes: crate::uptime::Minutes,
}

/// What the page templates receive (documented in `docs/templates.md`). Borrowed throughout: the
/// page of 5,000 incidents is built once in memory, not once per output.
#[derive(Debug, Clone, Serialize)]
pub struct PageContext<'a> {
    pub org: &'a OrgContext,
    pub page: &'a Page,
    pub status: &'a PageStatus,
    pub components: &'a [Component],
    pub sections: &'a [Section<'a>],
    pub uptime: &'a BTreeMap<String, UptimeView>,
    pub active: &'a [&'a PublicIncident],
    /// Maintenance in progress or verifying.
    pub maintenance_active: &'a [&'a PublicIncident],
    /// Maintenance announced and not begun, soonest first.
    pub maintenance_upcoming: &'a [&'a PublicIncident],
    /// The active incident the banner names: the worst impact, then the most recent.
    pub worst: Option<&'a PublicIncident>,
    /// Every day of the last `days`, newest first, with or without incidents.
    pub history: &'a [HistoryDay<'a>],
    /// `history` with each run of days without incidents folded into one entry, for a page that
    /// lists them all (`history.html`): 90 quiet days read as one line, not ninety.
    pub history_folded: &'a [HistoryDay<'a>],
    pub days: u32,
    /// How many days the front page lists (the rest are on `history.html`).
    pub recent_days: usize,
    /// How to get from the file being rendered back to the page root (always `""` here).
    pub root: &'a str,
}

/// The page context as templates read it, each incident converted once however many lists name it
/// (`history`, `history_folded`, `active`, `worst`) and each day once in both histories: converted
/// list by list, the 10,000 incidents of a busy 90 days took 176 MB. A minijinja value embedded in a
/// serialised struct is kept as it is (shared), not copied.
fn page_value(ctx: &PageContext) -> minijinja::Value {
    use minijinja::Value;
    fn value<T: Serialize>(x: &T) -> Value {
        Value::from(minijinja::value::Serde(x))
    }
    #[derive(Serialize)]
    struct Day<'a> {
        date: &'a str,
        label: &'a str,
        incidents: Vec<Value>,
        first_date: &'a Option<String>,
        first_label: &'a Option<String>,
    }
    #[derive(Serialize)]
    struct Page<'a> {
        org: &'a OrgContext,
        page: &'a super::publish::Page,
        status: &'a PageStatus,
        components: &'a [Component],
        sections: &'a [Section<'a>],
        uptime: &'a BTreeMap<String, UptimeView>,
        active: Vec<Value>,
        maintenance_active: Vec<Value>,
        maintenance_upcoming: Vec<Value>,
        worst: Option<Value>,
        history: Vec<Value>,
        history_folded: Vec<Value>,
        days: u32,
        recent_days: usize,
        root: &'a str,
    }
    let mut converted: HashMap<*const PublicIncident, Value> = HashMap::new();
    let mut one = |p: &PublicIncident| -> Value {
        converted
            .entry(p as *const PublicIncident)
            .or_insert_with(|| Value::from_object(IncidentObject(Arc::new(p.clone()))))
            .clone()
    };
    let mut day = |d: &HistoryDay| -> Value {
        value(&Day {
            date: &d.date,
            label: &d.label,
            incidents: d.incidents.iter().map(|p| one(p)).collect(),
            first_date: &d.first_date,
            first_label: &d.first_label,
        })
    };
    let history: Vec<Value> = ctx.history.iter().map(&mut day).collect();
    let by_date: HashMap<&str, &Value> = ctx
        .history
        .iter()
        .zip(&history)
        .map(|(d, v)| (d.date.as_str(), v))
        .collect();
    let history_folded: Vec<Value> = ctx
        .history_folded
        .iter()
        .map(|d| match by_date.get(d.date.as_str()) {
            Some(v) if d.first_date.is_none() => (*v).clone(),
            _ => day(d),
        })
        .collect();
    let active = ctx.active.iter().map(|p| one(p)).collect();
    let maintenance_active = ctx.maintenance_active.iter().map(|p| one(p)).collect();
    let maintenance_upcoming = ctx.maintenance_upcoming.iter().map(|p| one(p)).collect();
    let worst = ctx.worst.map(&mut one);
    value(&Page {
        org: ctx.org,
        page: ctx.page,
        status: ctx.status,
        components: ctx.components,
        sections: ctx.sections,
        uptime: ctx.uptime,
        active,
        maintenance_active,
        maintenance_upcoming,
        worst,
        history,
        history_folded,
        days: ctx.days,
        recent_days: ctx.recent_days,
        root: ctx.root,
    })
}

/// An incident as the page templates read it: each field converted to minijinja's form when a
/// template reads it and dropped after, so the incidents of a busy history are never all in that
/// form at once (10,000 took 120 MB, ten times their own size). The fields are those of its
/// serialised form (a unit test holds them equal).
#[derive(Debug)]
struct IncidentObject(Arc<PublicIncident>);

impl IncidentObject {
    const FIELDS: &'static [&'static str] = &[
        "id",
        "name",
        "status",
        "impact",
        "created_at",
        "updated_at",
        "monitoring_at",
        "resolved_at",
        "started_at",
        "shortlink",
        "page_id",
        "incident_updates",
        "components",
        "reminder_intervals",
        "postmortem_body",
        "postmortem_published_at",
        "duration",
        "page_path",
    ];
    const SCHEDULE: &'static [&'static str] = &[
        "scheduled_for",
        "scheduled_until",
        "scheduled_remind_prior",
        "scheduled_auto_in_progress",
        "scheduled_auto_completed",
    ];
}

impl minijinja::value::Object for IncidentObject {
    fn get_value(self: &Arc<Self>, key: &minijinja::Value) -> Option<minijinja::Value> {
        self.get_value_by_str(key.as_str()?)
    }

    fn get_value_by_str(self: &Arc<Self>, key: &str) -> Option<minijinja::Value> {
        use minijinja::Value;
        fn v<T: Serialize>(x: &T) -> Value {
            Value::from(minijinja::value::Serde(x))
        }
        let i = &self.0;
        let schedule = i.schedule.as_ref();
        Some(match key {
            "id" => Value::from(i.id.as_str()),
            "name" => Value::from(i.name.as_str()),
            "status" => Value::from(i.status.as_str()),
            "impact" => Value::from(i.impact.as_str()),
            "created_at" => v(&i.created_at),
            "updated_at" => v(&i.updated_at),
            "monitoring_at" => v(&i.monitoring_at),
            "resolved_at" => v(&i.resolved_at),
            "started_at" => v(&i.started_at),
            "shortlink" => v(&i.shortlink),
            "page_id" => Value::from(i.page_id.as_str()),
            "incident_updates" => v(&i.incident_updates),
            "components" => v(&i.component_objects),
            "reminder_intervals" => v(&i.reminder_intervals),
            "postmortem_body" => v(&i.postmortem_body),
            "postmortem_published_at" => v(&i.postmortem_published_at),
            "duration" => Value::from(i.duration.as_str()),
            "page_path" => Value::from(i.page_path.as_str()),
            "scheduled_for" => v(&schedule?.scheduled_for),
            "scheduled_until" => v(&schedule?.scheduled_until),
            "scheduled_remind_prior" => v(&schedule?.scheduled_remind_prior),
            "scheduled_auto_in_progress" => v(&schedule?.scheduled_auto_in_progress),
            "scheduled_auto_completed" => v(&schedule?.scheduled_auto_completed),
            _ => return None,
        })
    }

    fn enumerate(self: &Arc<Self>) -> minijinja::value::Enumerator {
        let mut keys: Vec<&'static str> = Self::FIELDS.to_vec();
        if self.0.schedule.is_some() {
            keys.extend(Self::SCHEDULE);
        }
        minijinja::value::Enumerator::Values(keys.into_iter().map(minijinja::Value::from).collect())
    }
}

/// What the feed templates receive: the page and the entries of one feed (every feed is rendered
/// with its own small context, so twenty component feeds cost twenty small renders).
#[derive(Debug, Clone, Serialize)]
pub struct FeedContext<'a> {
    pub org: &'a OrgContext,
    pub page: &'a Page,
    pub feed_id: String,
    pub feed_title: String,
    /// The feed's own path relative to the page root.
    pub feed_path: String,
    pub entries: &'a [FeedEntry<'a>],
}

/// What `incident.html` receives for each incident or maintenance window: only its own data, so
/// thousands of pages do not each carry the whole site.
#[derive(Debug, Clone, Serialize)]
pub struct IncidentPageContext<'a> {
    pub org: &'a OrgContext,
    pub page: &'a Page,
    pub incident: &'a PublicIncident,
    /// From the page back to the site root.
    pub root: &'a str,
}

/// Statuspage's `incidents.json` and `scheduled-maintenances.json` hold the 50 most recent; the
/// pages and `history.html` hold the rest.
const API_LIMIT: usize = 50;

/// Feed readers poll the whole feed every few minutes: the most recent updates are enough, and the
/// incident pages keep every one.
const FEED_LIMIT: usize = 100;

/// How many days of uptime bars a narrow screen (a phone) shows: the stylesheet hides the others.
pub const PHONE_DAYS: usize = 30;

/// How many days the front page lists before linking to the full history.
const RECENT_DAYS: usize = 14;

/// Where [`publish`] sends each file as soon as it is rendered: its path relative to the output
/// folder and its content. Called from several threads at once, never twice for one path.
pub type Sink<'a, E> = &'a (dyn Fn(&str, String) -> Result<(), E> + Sync);

/// The oldest resolution the page shows for `days` days of history. Any number of days is
/// "everything": before 1970 there is nothing to show.
pub fn horizon(now: DateTime<Utc>, days: u32) -> DateTime<Utc> {
    now.checked_sub_signed(Duration::days(i64::from(days)))
        .unwrap_or(DateTime::UNIX_EPOCH)
        .max(DateTime::UNIX_EPOCH)
}

/// Whether an incident can be on the page at all: a real one (not a drill) still open or resolved
/// since `horizon`. The caller may leave every other record unread.
pub fn may_publish(
    drill: bool,
    resolved_at: Option<DateTime<Utc>>,
    horizon: DateTime<Utc>,
) -> bool {
    !drill && resolved_at.is_none_or(|r| r >= horizon)
}

/// Renders every published file on all cores and hands each to `emit` as it is done, so the whole
/// site is never held in memory. Returns how many files there were.
pub fn publish<E: From<RenderError> + Send>(
    incidents: &[Incident],
    maintenance: &[Maintenance],
    config: &Config,
    renderer: &Renderer,
    now: DateTime<Utc>,
    days: u32,
    emit: Sink<'_, E>,
) -> Result<usize, E> {
    let site = SiteId::of(config);
    let SiteId {
        tz, page_id, base, ..
    } = &site;
    let link = |path: &str| site.link(path);

    let horizon = horizon(now, days);
    let (mut published, mut periods, mut current) = incidents_on_page(
        incidents,
        config,
        renderer,
        now,
        horizon,
        base.as_deref(),
        page_id,
    )?;
    let mut windows = windows_on_page(maintenance, config, horizon, page_id, &link);
    // What the windows shown do to their components (for uptime and the current statuses).
    for m in maintenance.iter().filter(|m| shows_window(m, horizon)) {
        let mine = m.component_periods();
        if m.status.is_active() {
            for p in &mine {
                worsen(&mut current, &p.component, p.status);
            }
        }
        periods.extend(mine);
    }

    let page = site.page(published.iter().chain(&windows), now);
    let updated_at = page.updated_at;
    let components = components(
        config,
        &current,
        published.iter().chain(&windows),
        page_id,
        updated_at,
    );
    // Each incident's components as full objects, as they stand on the page.
    for p in published.iter_mut().chain(windows.iter_mut()) {
        p.component_objects = p
            .components
            .iter()
            .filter_map(|r| components.iter().find(|c| c.id == r.id).cloned())
            .collect();
    }
    let uptimes = uptimes(&components, &periods, days, now, tz);
    render_files(
        &site,
        &page,
        &components,
        &published,
        &windows,
        &uptimes,
        (days, now),
        renderer,
        emit,
    )
}

/// Renders and writes every file of the site, each as a job on any core; how many files there are.
#[allow(clippy::too_many_arguments)]
fn render_files<E: From<RenderError> + Send>(
    site: &SiteId,
    page: &Page,
    components: &[Component],
    published: &[PublicIncident],
    windows: &[PublicIncident],
    uptimes: &[ComponentUptime],
    (days, now): (u32, DateTime<Utc>),
    renderer: &Renderer,
    emit: Sink<'_, E>,
) -> Result<usize, E> {
    let SiteId {
        org, tz, authority, ..
    } = site;
    let active: Vec<&PublicIncident> = published
        .iter()
        .filter(|p| p.resolved_at.is_none())
        .collect();
    let maintenance_active: Vec<&PublicIncident> = windows
        .iter()
        .filter(|w| w.status == "in_progress" || w.status == "verifying")
        .collect();
    let mut maintenance_upcoming: Vec<&PublicIncident> =
        windows.iter().filter(|w| w.status == "scheduled").collect();
    maintenance_upcoming.reverse();
    let status = page_status(components, &active, !maintenance_active.is_empty());

    let uptime: BTreeMap<String, UptimeView> = uptimes
        .iter()
        .map(|u| (u.component.clone(), uptime_view(u)))
        .collect();
    let sections = sections(components);

    let history = history(published, windows, now, tz, days);
    let history_folded = fold_quiet_days(&history);
    let entries: Vec<FeedEntry> = feed_entries(published, windows, authority);
    let ctx = PageContext {
        org,
        page,
        status: &status,
        components,
        sections: &sections,
        uptime: &uptime,
        active: &active,
        maintenance_active: &maintenance_active,
        maintenance_upcoming: &maintenance_upcoming,
        worst: active.iter().copied().max_by(|a, b| {
            (impact_rank(&a.impact), a.created_at, &a.id).cmp(&(
                impact_rank(&b.impact),
                b.created_at,
                &b.id,
            ))
        }),
        history: &history,
        history_folded: &history_folded,
        days,
        recent_days: RECENT_DAYS,
        root: "",
    };

    let api = api_files(
        page,
        &status,
        components,
        published,
        &active,
        windows,
        &maintenance_upcoming,
        &maintenance_active,
    );
    // Converted once for the three templates that read it all.
    let ctx = page_value(&ctx);
    let uptime_json = serde_json::json!({
        "page": page,
        "partial_outage_weight": crate::uptime::PARTIAL_OUTAGE_WEIGHT,
        "components": uptimes,
    });

    // Every file is one job; the heavy pages come first so the cores finish together.
    let mut jobs: Vec<Job<E>> = Vec::new();
    let ctx = &ctx;
    for name in ["history.html", "index.html", "status.md"] {
        jobs.push(Box::new(move || emit(name, renderer.render(name, ctx)?)));
    }
    let uptime_json = &uptime_json;
    jobs.push(Box::new(move || {
        emit("style.css", renderer.render("style.css", ctx)?)
    }));
    jobs.push(Box::new(move || emit("uptime.json", to_json(uptime_json))));
    jobs.extend(feed_jobs(site, page, components, &entries, renderer, emit));
    for (name, content) in api {
        jobs.push(Box::new(move || {
            emit(&format!("api/v2/{name}"), content.clone())?;
            emit(name, content.clone())
        }));
    }
    for p in published.iter().chain(windows) {
        let one = IncidentPageContext {
            org,
            page,
            incident: p,
            root: "../",
        };
        jobs.push(Box::new(move || {
            emit(&p.page_path, renderer.render("incident.html", &one)?)
        }));
    }
    // The API jobs write two copies each.
    let files = jobs.len() + 8;
    run_jobs(&jobs)?;
    Ok(files)
}

/// One file to render and write, run on any core.
type Job<'j, E> = Box<dyn Fn() -> Result<(), E> + Sync + 'j>;

/// Who the page is: the organisation, its time zone, the page's ID, its address (if published at
/// one) and the authority its feed IDs are minted under.
struct SiteId {
    org: OrgContext,
    tz: chrono_tz::Tz,
    page_id: String,
    base: Option<String>,
    authority: String,
}

impl SiteId {
    fn of(config: &Config) -> SiteId {
        let org = OrgContext::from_config(config);
        let tz: chrono_tz::Tz = org.time_zone.parse().unwrap_or(chrono_tz::UTC);
        let page_id = crate::model::slugify(&config.organisation);
        let base = org
            .status_page_url
            .as_ref()
            .map(|u| u.trim_end_matches('/').to_string());
        let authority = base
            .as_deref()
            .and_then(|u| u.split("://").nth(1))
            .and_then(|rest| rest.split('/').next())
            .filter(|h| !h.is_empty())
            .map_or_else(|| format!("{page_id}.incident.invalid"), str::to_string);
        SiteId {
            org,
            tz,
            page_id,
            base,
            authority,
        }
    }

    /// The full address of a file of the site, when the page has an address.
    fn link(&self, path: &str) -> Option<String> {
        self.base.as_ref().map(|b| format!("{b}/{path}"))
    }

    /// The page, updated when the latest of what it `shows` was (midnight today for a page with
    /// nothing on it, so the bytes do not change by the minute).
    fn page<'a>(
        &self,
        shows: impl Iterator<Item = &'a PublicIncident>,
        now: DateTime<Utc>,
    ) -> Page {
        let updated_at = shows.map(|p| p.updated_at).max().unwrap_or_else(|| {
            now.date_naive()
                .and_hms_opt(0, 0, 0)
                .expect("midnight exists")
                .and_utc()
        });
        Page {
            id: self.page_id.clone(),
            name: self.org.status_page_title.clone(),
            url: self.org.status_page_url.clone(),
            time_zone: self.org.time_zone.clone(),
            updated_at,
        }
    }
}

/// The feeds: the page's own (Atom twice, RSS) with the latest entries, and one Atom feed per
/// component with the entries that name it.
fn feed_jobs<'a, E: From<RenderError> + Send>(
    site: &'a SiteId,
    page: &'a Page,
    components: &'a [Component],
    entries: &'a [FeedEntry<'a>],
    renderer: &'a Renderer,
    emit: Sink<'a, E>,
) -> Vec<Job<'a, E>> {
    let mut jobs: Vec<Job<E>> = Vec::new();
    let recent = &entries[..entries.len().min(FEED_LIMIT)];
    let authority = &site.authority;
    for (path, template) in [
        ("feed.atom", "feed.atom"),
        ("history.atom", "feed.atom"),
        ("history.rss", "history.rss"),
    ] {
        let context = FeedContext {
            org: &site.org,
            page,
            feed_id: format!("tag:{authority},2024:status-feed"),
            feed_title: page.name.clone(),
            feed_path: path.to_string(),
            entries: recent,
        };
        jobs.push(Box::new(move || {
            emit(path, renderer.render(template, &context)?)
        }));
    }
    for c in components.iter().filter(|c| !c.group) {
        let mine: Vec<FeedEntry> = entries
            .iter()
            .filter(|e| e.components.iter().any(|r| r.id == c.id))
            .take(FEED_LIMIT)
            .cloned()
            .collect();
        let path = format!("components/{}.atom", c.id);
        jobs.push(Box::new(move || {
            let context = FeedContext {
                org: &site.org,
                page,
                feed_id: format!("tag:{authority},2024:component/{}", c.id),
                feed_title: format!("{} – {}", page.name, c.name),
                feed_path: path.clone(),
                entries: &mine,
            };
            emit(&path, renderer.render("feed.atom", &context)?)
        }));
    }
    jobs
}

/// The incidents the page shows (those with a public update, within the horizon), newest first,
/// with what each did to each component, and the components' current statuses from the active ones.
type OnPage = (
    Vec<PublicIncident>,
    Vec<ComponentPeriod>,
    BTreeMap<String, ComponentStatus>,
);

fn incidents_on_page<E: From<RenderError> + Send>(
    incidents: &[Incident],
    config: &Config,
    renderer: &Renderer,
    now: DateTime<Utc>,
    horizon: DateTime<Utc>,
    base: Option<&str>,
    page_id: &str,
) -> Result<OnPage, E> {
    let candidates: Vec<&Incident> = incidents
        .iter()
        .filter(|i| may_publish(i.drill, i.times.resolved_at, horizon))
        .filter(|i| i.updates.iter().any(|u| u.visibility.is_public()))
        .collect();
    let built = par_map(&candidates, |i| {
        public_incident(i, config, renderer, now, base, page_id)
    })?;
    let mut published: Vec<PublicIncident> = Vec::with_capacity(built.len());
    let mut periods: Vec<ComponentPeriod> = Vec::new();
    let mut current: BTreeMap<String, ComponentStatus> = BTreeMap::new();
    for (p, mine) in built {
        if p.resolved_at.is_none() {
            for c in mine.iter().filter(|c| c.from <= now && c.until.is_none()) {
                worsen(&mut current, &c.component, c.status);
            }
        }
        periods.extend(mine);
        published.push(p);
    }
    published.sort_by(|a, b| (b.created_at, &b.id).cmp(&(a.created_at, &a.id)));
    Ok((published, periods, current))
}

/// Every window not completed is on the page, and the completed ones inside the horizon.
fn shows_window(m: &Maintenance, horizon: DateTime<Utc>) -> bool {
    m.completed_at.is_none_or(|c| c >= horizon)
}

/// Maintenance as the page shows it: every window not completed, and the completed ones inside
/// the horizon, latest first.
fn windows_on_page(
    maintenance: &[Maintenance],
    config: &Config,
    horizon: DateTime<Utc>,
    page_id: &str,
    link: &dyn Fn(&str) -> Option<String>,
) -> Vec<PublicIncident> {
    let mut windows: Vec<PublicIncident> = maintenance
        .iter()
        .filter(|m| shows_window(m, horizon))
        .map(|m| public_maintenance(m, config, page_id, link))
        .collect();
    windows.sort_by(|a, b| {
        let at = |p: &PublicIncident| p.schedule.as_ref().map(|s| s.scheduled_for);
        (at(b), &b.id).cmp(&(at(a), &a.id))
    });
    windows
}

/// Each component's uptime over the page's days, from the periods of every incident and window.
fn uptimes(
    components: &[Component],
    periods: &[ComponentPeriod],
    days: u32,
    now: DateTime<Utc>,
    tz: &chrono_tz::Tz,
) -> Vec<ComponentUptime> {
    let by_component: BTreeMap<&str, Vec<&ComponentPeriod>> =
        periods.iter().fold(BTreeMap::new(), |mut map, p| {
            map.entry(p.component.as_str()).or_default().push(p);
            map
        });
    components
        .iter()
        .filter(|c| !c.group)
        .map(|c| {
            let mine = by_component
                .get(c.id.as_str())
                .map_or(&[][..], Vec::as_slice);
            component_uptime(&c.id, mine, c.start_date, days.clamp(1, 90), now, tz)
        })
        .collect()
}

/// The Statuspage API v2 files, by path under `api/v2/`.
#[allow(clippy::too_many_arguments)]
fn api_files(
    page: &Page,
    status: &PageStatus,
    components: &[Component],
    published: &[PublicIncident],
    active: &[&PublicIncident],
    windows: &[PublicIncident],
    maintenance_upcoming: &[&PublicIncident],
    maintenance_active: &[&PublicIncident],
) -> [(&'static str, String); 8] {
    let mut upcoming_and_active: Vec<&PublicIncident> = maintenance_upcoming.to_vec();
    upcoming_and_active.extend(maintenance_active.iter().copied());
    let summary = Summary {
        page,
        status,
        components,
        incidents: active,
        scheduled_maintenances: &upcoming_and_active,
    };
    let all_windows: Vec<&PublicIncident> = windows.iter().take(API_LIMIT).collect();
    // Statuspage API clients request `api/v2/<endpoint>`; the flat copies stay for existing readers.
    [
        ("summary.json", to_json(&summary)),
        (
            "incidents.json",
            to_json(
                &serde_json::json!({ "page": page, "incidents": &published[..published.len().min(API_LIMIT)] }),
            ),
        ),
        (
            "status.json",
            to_json(&serde_json::json!({ "page": page, "status": status })),
        ),
        (
            "components.json",
            to_json(&serde_json::json!({ "page": page, "components": components })),
        ),
        (
            "incidents/unresolved.json",
            to_json(&serde_json::json!({ "page": page, "incidents": active })),
        ),
        (
            "scheduled-maintenances.json",
            to_json(&serde_json::json!({ "page": page, "scheduled_maintenances": &all_windows })),
        ),
        (
            "scheduled-maintenances/upcoming.json",
            to_json(
                &serde_json::json!({ "page": page, "scheduled_maintenances": maintenance_upcoming }),
            ),
        ),
        (
            "scheduled-maintenances/active.json",
            to_json(
                &serde_json::json!({ "page": page, "scheduled_maintenances": maintenance_active }),
            ),
        ),
    ]
}

/// `f` over `items` on all cores, in order; the first error, in order, if any.
fn par_map<T: Sync, R: Send, E: Send>(
    items: &[T],
    f: impl Fn(&T) -> Result<R, E> + Sync + Send,
) -> Result<Vec<R>, E> {
    use rayon::prelude::*;
    items.par_iter().with_min_len(64).map(f).collect()
}

/// Runs every job on all cores, each taken by the next free thread; an error stops jobs not yet
/// begun and is returned.
fn run_jobs<E: Send>(jobs: &[Box<dyn Fn() -> Result<(), E> + Sync + '_>]) -> Result<(), E> {
    use rayon::prelude::*;
    jobs.par_iter().try_for_each(|job| job())
}

/// One incident as the page publishes it, with what it did to each component.
fn public_incident(
    i: &Incident,
    config: &Config,
    renderer: &Renderer,
    now: DateTime<Utc>,
    base: Option<&str>,
    page_id: &str,
) -> Result<(PublicIncident, Vec<ComponentPeriod>), RenderError> {
    let mut updates: Vec<&StatusUpdate> = i
        .updates
        .iter()
        .filter(|u| u.visibility.is_public())
        .collect();
    let mine = i.component_periods(config);
    updates.sort_by(|a, b| (a.at, &a.id).cmp(&(b.at, &b.id)));
    let first_public = i.first_public_update().map(|u| u.id.as_str());
    let entries = public_entries(i, &updates);
    let mut rendered = render_entries(i, config, renderer, &mine, &entries, first_public, now)?;
    rendered.reverse();
    let postmortem_body = match i.postmortem.published_at {
        Some(_) if i.times.resolved_at.is_some() => {
            Some(public_postmortem(renderer, config, i, now)?)
        }
        _ => None,
    };
    let created = updates.first().map(|u| u.at).unwrap_or(now);
    let updated = last_public_change(i, &entries)
        .unwrap_or(created)
        .max(created);
    let started = [i.times.started_at, i.times.detected_at, Some(created)]
        .into_iter()
        .flatten()
        .min()
        .unwrap_or(created);
    let page_path = format!("incidents/{}.html", i.id);
    let public = PublicIncident {
        id: i.id.clone(),
        name: i.title.clone(),
        status: i.status.to_string(),
        impact: config.severity(i.severity).impact,
        created_at: created,
        updated_at: i.times.resolved_at.map_or(updated, |r| r.max(updated)),
        monitoring_at: i.times.mitigated_at,
        resolved_at: i.times.resolved_at,
        started_at: started,
        shortlink: base.map(|b| format!("{b}/{page_path}")),
        page_id: page_id.to_string(),
        incident_updates: rendered,
        postmortem_published_at: postmortem_body.as_ref().and(i.postmortem.published_at),
        postmortem_body,
        components: component_refs(config, &i.services),
        component_objects: Vec::new(),
        reminder_intervals: None,
        schedule: None,
        duration: in_words((i.times.resolved_at.unwrap_or(now) - started).num_seconds()),
        page_path,
    };
    Ok((public, mine))
}

/// One entry of an incident's public update list: when, its ID, the update (none for a status
/// change no update speaks of), and the status it reports.
type Entry<'a> = (DateTime<Utc>, &'a str, Option<&'a StatusUpdate>, Status);

/// The public updates and, as on a hosted page, every status change no update speaks of (an
/// entry of its own in Statuspage's standard words), in time order.
fn public_entries<'a>(i: &'a Incident, updates: &[&'a StatusUpdate]) -> Vec<Entry<'a>> {
    // A status change no update speaks of is still news to a Statuspage reader, as on a hosted
    // page: it gets an entry of its own in Statuspage's standard words.
    let changes = i.status_changes();
    let mut entries: Vec<(DateTime<Utc>, &str, Option<&StatusUpdate>, Status)> = updates
        .iter()
        .map(|u| (u.at, u.id.as_str(), Some(*u), u.status))
        .collect();
    // An update in the new status posted with the change (`update --status`, or right after it)
    // already says it.
    let with_the_change = chrono::Duration::minutes(2);
    for (n, (at, event, to)) in changes.iter().enumerate() {
        let next = changes.get(n + 1).map(|c| c.0);
        let covered = updates.iter().any(|u| {
            u.status == *to
                && u.at >= *at
                && u.at <= *at + with_the_change
                && next.is_none_or(|n| u.at < n)
        });
        if !covered {
            entries.push((*at, *event, None, *to));
        }
    }
    entries.sort_by(|a, b| (a.0, a.1).cmp(&(b.0, b.1)));
    entries
}

/// Each entry as Statuspage lists it: its words (those customers were sent, or the standard
/// ones) and the components whose status it changed.
fn render_entries(
    i: &Incident,
    config: &Config,
    renderer: &Renderer,
    mine: &[ComponentPeriod],
    entries: &[Entry],
    first_public: Option<&str>,
    now: DateTime<Utc>,
) -> Result<Vec<IncidentUpdate>, RenderError> {
    let mut rendered = Vec::new();
    let mut before: BTreeMap<&str, ComponentStatus> = BTreeMap::new();
    for (at, id, update, status) in entries {
        let mut affected = Vec::new();
        for service in &i.services {
            let new_status = crate::model::status_among(mine, service, *at);
            let old_status = before
                .insert(service, new_status)
                .unwrap_or(ComponentStatus::Operational);
            if old_status != new_status {
                affected.push(AffectedComponent {
                    code: service.clone(),
                    name: config.service_name(service),
                    old_status,
                    new_status,
                });
            }
        }
        let body = match update {
            Some(u) => {
                // Published text never names the responder who wrote it.
                let ctx = UpdateContext {
                    by: String::new(),
                    ..UpdateContext::of(u, first_public)
                };
                render_update_body(renderer, config, i, &ctx, now)?
            }
            None => standard_words(*status).to_string(),
        };
        rendered.push(IncidentUpdate {
            id: id.to_string(),
            status: status.to_string(),
            body,
            incident_id: i.id.clone(),
            created_at: *at,
            updated_at: *at,
            display_at: *at,
            affected_components: affected,
            deliver_notifications: true,
            custom_tweet: None,
            tweet_id: None,
        });
    }
    Ok(rendered)
}

/// The latest public change: every entry, and the public severity and component events (each
/// moves `updated_at`, as on a hosted page).
fn last_public_change(i: &Incident, entries: &[Entry]) -> Option<DateTime<Utc>> {
    entries
        .iter()
        .map(|e| e.0)
        .chain(
            i.timeline
                .iter()
                .filter(|e| e.visibility.is_public())
                .filter(|e| {
                    [
                        crate::model::event_kind::SEVERITY,
                        crate::model::event_kind::COMPONENT,
                    ]
                    .contains(&e.kind.as_str())
                })
                .map(|e| e.at),
        )
        .max()
}

/// Keeps the worse of what `map` holds for `id` and `status`.
fn worsen(map: &mut BTreeMap<String, ComponentStatus>, id: &str, status: ComponentStatus) {
    let slot = map.entry(id.to_string()).or_default();
    if status.rank() > slot.rank() {
        *slot = status;
    }
}

fn component_refs(config: &Config, services: &[String]) -> Vec<ComponentRef> {
    services
        .iter()
        .map(|s| ComponentRef {
            id: s.clone(),
            name: config.service_name(s),
        })
        .collect()
}

/// A maintenance window in Statuspage's scheduled-maintenance shape.
fn public_maintenance(
    m: &Maintenance,
    config: &Config,
    page_id: &str,
    link: &dyn Fn(&str) -> Option<String>,
) -> PublicIncident {
    let mut updates: Vec<IncidentUpdate> = Vec::new();
    let mut previous = ComponentStatus::Operational;
    for u in &m.updates {
        let now = if u.status.is_active() {
            ComponentStatus::UnderMaintenance
        } else {
            ComponentStatus::Operational
        };
        let affected = if now == previous {
            Vec::new()
        } else {
            m.services
                .iter()
                .map(|s| AffectedComponent {
                    code: s.clone(),
                    name: config.service_name(s),
                    old_status: previous,
                    new_status: now,
                })
                .collect()
        };
        previous = now;
        updates.push(IncidentUpdate {
            id: u.id.clone(),
            status: u.status.to_string(),
            body: u.text.clone(),
            incident_id: m.id.clone(),
            created_at: u.at,
            updated_at: u.at,
            display_at: u.at,
            affected_components: affected,
            deliver_notifications: true,
            custom_tweet: None,
            tweet_id: None,
        });
    }
    updates.reverse();
    let created = m.updates.first().map_or(m.scheduled_for, |u| u.at);
    let updated = m.updates.last().map_or(created, |u| u.at);
    let started = m.started_at.unwrap_or(m.scheduled_for);
    let page_path = format!("maintenance/{}.html", m.id);
    PublicIncident {
        id: m.id.clone(),
        name: m.title.clone(),
        status: m.status.to_string(),
        impact: "maintenance".into(),
        created_at: created,
        updated_at: updated,
        monitoring_at: None,
        resolved_at: m.completed_at,
        started_at: started,
        shortlink: link(&page_path),
        page_id: page_id.to_string(),
        incident_updates: updates,
        components: component_refs(config, &m.services),
        component_objects: Vec::new(),
        reminder_intervals: None,
        postmortem_body: None,
        postmortem_published_at: None,
        schedule: Some(Schedule {
            scheduled_for: m.scheduled_for,
            scheduled_until: m.scheduled_until,
            scheduled_remind_prior: m.notify_before.is_some(),
            scheduled_auto_in_progress: false,
            scheduled_auto_completed: false,
        }),
        duration: in_words(m.window().map_or(0, |(from, until)| {
            (until.unwrap_or(updated) - from).num_seconds()
        })),
        page_path,
    }
}

/// Statuspage's rule: the worst component decides (degraded → minor, partial outage → major, major
/// outage → critical); an active incident that names no component counts at its impact; with
/// nothing worse, maintenance in progress says so.
fn page_status(
    components: &[Component],
    active: &[&PublicIncident],
    maintenance: bool,
) -> PageStatus {
    let from_components = components
        .iter()
        .map(|c| match c.status {
            ComponentStatus::MajorOutage => 3,
            ComponentStatus::PartialOutage => 2,
            ComponentStatus::DegradedPerformance => 1,
            _ => 0,
        })
        .max()
        .unwrap_or(0);
    let from_incidents = active
        .iter()
        .filter(|p| p.components.is_empty())
        .map(|p| impact_rank(&p.impact))
        .max()
        .unwrap_or(0);
    let worst = from_components.max(from_incidents);
    if worst == 0 && maintenance {
        return PageStatus {
            indicator: "maintenance".into(),
            description: "Service Under Maintenance".into(),
        };
    }
    if worst == 0 && !active.is_empty() {
        // Something is being looked at, but no service is affected.
        return PageStatus {
            indicator: "none".into(),
            description: "All Systems Operational".into(),
        };
    }
    PageStatus {
        indicator: ["none", "minor", "major", "critical"][worst].into(),
        description: [
            "All Systems Operational",
            "Minor Service Outage",
            "Partial System Outage",
            "Major System Outage",
        ][worst]
            .into(),
    }
}

fn uptime_view(u: &ComponentUptime) -> UptimeView {
    let bars: Vec<Bar> = u
        .days
        .iter()
        .map(|d| {
            let label = d.date.format("%b %-d, %Y").to_string();
            let m = &d.minutes;
            let mut parts = Vec::new();
            for (n, what) in [
                (m.major_outage, "major outage"),
                (m.partial_outage, "partial outage"),
                (m.degraded_performance, "degraded performance"),
                (m.under_maintenance, "maintenance"),
            ] {
                if n > 0 {
                    parts.push(format!(
                        "{} {what}",
                        crate::model::format_duration(Duration::minutes(n))
                    ));
                }
            }
            let (class, title) = if !d.tracked {
                ("none".to_string(), format!("{label}: no data"))
            } else if parts.is_empty() && d.worst == ComponentStatus::Operational {
                ("operational".to_string(), format!("{label}: no downtime"))
            } else if parts.is_empty() {
                (
                    d.worst.as_str().to_string(),
                    format!("{label}: {} under a minute", d.worst.label().to_lowercase()),
                )
            } else {
                (
                    d.worst.as_str().to_string(),
                    format!("{label}: {}", parts.join(", ")),
                )
            };
            Bar {
                date: d.date.to_string(),
                label,
                class,
                title,
            }
        })
        .collect();
    let eventful = bars
        .iter()
        .rev()
        .filter(|b| b.class != "none" && b.class != "operational")
        .map(|b| b.title.clone())
        .collect();
    UptimeView {
        percent: u.percent.map(|p| format!("{p:.2}")),
        percent_recent: u.percent_of_last(PHONE_DAYS).map(|p| format!("{p:.2}")),
        recent_days: PHONE_DAYS.min(bars.len()),
        eventful,
        bars,
        minutes: u.minutes,
    }
}

fn sections(components: &[Component]) -> Vec<Section<'_>> {
    let mut out: Vec<Section> = Vec::new();
    for c in components {
        if c.group {
            out.push(Section {
                group: Some(c),
                components: components
                    .iter()
                    .filter(|m| m.group_id.as_deref() == Some(c.id.as_str()))
                    .collect(),
            });
        } else if c.group_id.is_none() {
            match out.last_mut() {
                Some(s) if s.group.is_none() => s.components.push(c),
                _ => out.push(Section {
                    group: None,
                    components: vec![c],
                }),
            }
        }
    }
    out
}

/// Every day from today back `days` days (at most 90 on the page), in the page's time zone, with
/// the incidents and maintenance created that day.
fn history<'a>(
    published: &'a [PublicIncident],
    windows: &'a [PublicIncident],
    now: DateTime<Utc>,
    tz: &chrono_tz::Tz,
    days: u32,
) -> Vec<HistoryDay<'a>> {
    let today = now.with_timezone(tz).date_naive();
    let shown = days.clamp(1, 90);
    let first = today
        .checked_sub_days(Days::new(u64::from(shown - 1)))
        .unwrap_or(today);
    let mut by_day: BTreeMap<NaiveDate, Vec<&PublicIncident>> = BTreeMap::new();
    for p in published {
        by_day
            .entry(p.created_at.with_timezone(tz).date_naive())
            .or_default()
            .push(p);
    }
    for w in windows.iter().filter(|w| w.resolved_at.is_some()) {
        by_day
            .entry(w.started_at.with_timezone(tz).date_naive())
            .or_default()
            .push(w);
    }
    let mut out = Vec::new();
    let mut date = today;
    while date >= first {
        let incidents = by_day.remove(&date).unwrap_or_default();
        out.push(HistoryDay {
            date: date.to_string(),
            label: date.format("%b %-d, %Y").to_string(),
            incidents,
            first_date: None,
            first_label: None,
        });
        date = match date.pred_opt() {
            Some(d) => d,
            None => break,
        };
    }
    out
}

/// `days` (newest first) with each run of two or more days without incidents made one entry.
fn fold_quiet_days<'a>(days: &[HistoryDay<'a>]) -> Vec<HistoryDay<'a>> {
    let mut out: Vec<HistoryDay<'a>> = Vec::with_capacity(days.len());
    for day in days {
        match out.last_mut() {
            Some(run) if run.incidents.is_empty() && day.incidents.is_empty() => {
                run.first_date = Some(day.date.clone());
                run.first_label = Some(day.label.clone());
            }
            _ => out.push(day.clone()),
        }
    }
    out
}

fn feed_entries<'a>(
    published: &'a [PublicIncident],
    windows: &'a [PublicIncident],
    authority: &str,
) -> Vec<FeedEntry<'a>> {
    let mut entries: Vec<FeedEntry> = published
        .iter()
        .chain(windows)
        .flat_map(|p| {
            p.incident_updates.iter().map(move |u| FeedEntry {
                id: format!(
                    "tag:{authority},{}:{}{}/{}",
                    // The date part of the ID, counted in characters: an ID may hold any letter.
                    p.id.chars().take(10).collect::<String>(),
                    if p.is_maintenance() {
                        "maintenance/"
                    } else {
                        ""
                    },
                    p.id,
                    u.id
                ),
                incident_id: &p.id,
                title: format!("{}: {}", p.name, status_word(&u.status)),
                status: &u.status,
                body: &u.body,
                at: u.created_at,
                link: &p.shortlink,
                components: &p.components,
            })
        })
        .collect();
    entries.sort_by(|a, b| (b.at, &b.id).cmp(&(a.at, &a.id)));
    entries
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
    if let Some(said) = &update.text {
        return Ok(said.clone());
    }
    let ctx = super::context::UpdateDocument::public(incident, config, update.clone(), now);
    Ok(renderer.render("update-body.txt", &ctx)?.trim().to_string())
}

/// What a hosted Statuspage page says of a status change nobody wrote an update for.
fn standard_words(status: Status) -> &'static str {
    match status {
        Status::Investigating => "We are investigating this issue.",
        Status::Identified => "The issue has been identified and a fix is being implemented.",
        Status::Monitoring => "A fix has been implemented and we are monitoring the results.",
        Status::Resolved => "This incident has been resolved.",
    }
}

fn status_word(status: &str) -> String {
    let text = status.replace('_', " ");
    let mut chars = text.chars();
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

/// The catalog's services in order (each group first, then its members), then any service a
/// published incident names that the catalog lacks.
fn components<'a>(
    config: &Config,
    current: &BTreeMap<String, ComponentStatus>,
    published: impl Iterator<Item = &'a PublicIncident>,
    page_id: &str,
    updated_at: DateTime<Utc>,
) -> Vec<Component> {
    let mut first_seen: BTreeMap<&str, DateTime<Utc>> = BTreeMap::new();
    let mut extra: Vec<(String, String)> = Vec::new();
    for p in published {
        for c in &p.components {
            let slot = first_seen.entry(c.id.as_str()).or_insert(p.started_at);
            *slot = (*slot).min(p.started_at);
            if config.service(&c.id).is_none() && !extra.iter().any(|(id, _)| id == &c.id) {
                extra.push((c.id.clone(), c.name.clone()));
            }
        }
    }
    let created = |id: &str, start: Option<NaiveDate>| -> DateTime<Utc> {
        start
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .map(|d| d.and_utc())
            .or_else(|| first_seen.get(id).copied())
            .unwrap_or(updated_at)
    };
    let status = |id: &str| current.get(id).copied().unwrap_or_default();
    let groups: BTreeSet<&str> = config
        .services
        .iter()
        .filter_map(|s| s.group.as_deref())
        .collect();
    let mut out: Vec<Component> = Vec::new();
    let mut placed: BTreeSet<&str> = BTreeSet::new();
    let member = |s: &crate::model::Service| Component {
        id: s.id.clone(),
        name: s.name.clone().unwrap_or_else(|| s.id.clone()),
        status: status(&s.id),
        created_at: created(&s.id, s.start_date),
        updated_at,
        position: 0,
        description: s.description.clone(),
        showcase: s.showcase.unwrap_or(true),
        start_date: s.start_date,
        group_id: s.group.clone(),
        page_id: page_id.to_string(),
        group: false,
        only_show_if_degraded: s.only_show_if_degraded,
        components: None,
    };
    for s in &config.services {
        match s.group.as_deref() {
            None => out.push(member(s)),
            Some(g) if placed.insert(g) => {
                let members: Vec<&crate::model::Service> = config
                    .services
                    .iter()
                    .filter(|m| m.group.as_deref() == Some(g))
                    .collect();
                let def = config.component_groups.iter().find(|d| d.id == g);
                let worst = members
                    .iter()
                    .map(|m| status(&m.id))
                    .max_by_key(|s| s.rank())
                    .unwrap_or_default();
                out.push(Component {
                    id: g.to_string(),
                    name: def
                        .and_then(|d| d.name.clone())
                        .unwrap_or_else(|| g.to_string()),
                    status: worst,
                    created_at: members
                        .iter()
                        .map(|m| created(&m.id, m.start_date))
                        .min()
                        .unwrap_or(updated_at),
                    updated_at,
                    position: 0,
                    description: def.and_then(|d| d.description.clone()),
                    showcase: false,
                    start_date: members.iter().filter_map(|m| m.start_date).min(),
                    group_id: None,
                    page_id: page_id.to_string(),
                    group: true,
                    only_show_if_degraded: false,
                    components: Some(members.iter().map(|m| m.id.clone()).collect()),
                });
                out.extend(members.into_iter().map(member));
            }
            Some(_) => {}
        }
    }
    debug_assert!(groups.iter().all(|g| placed.contains(g)));
    for (id, name) in extra {
        out.push(Component {
            status: status(&id),
            created_at: created(&id, None),
            updated_at,
            position: 0,
            description: None,
            showcase: true,
            start_date: None,
            group_id: None,
            page_id: page_id.to_string(),
            group: false,
            only_show_if_degraded: false,
            components: None,
            id,
            name,
        });
    }
    for (n, c) in out.iter_mut().enumerate() {
        c.position = n + 1;
    }
    out
}

fn to_json<T: Serialize>(value: &T) -> String {
    let mut text = serde_json::to_string_pretty(value).expect("published types always serialise");
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn incident(schedule: Option<Schedule>) -> PublicIncident {
        let at: DateTime<Utc> = "2026-11-25T10:00:00Z".parse().unwrap();
        PublicIncident {
            id: "i1".into(),
            name: "Checkout down".into(),
            status: "resolved".into(),
            impact: "major".into(),
            created_at: at,
            updated_at: at,
            monitoring_at: None,
            resolved_at: Some(at),
            started_at: at,
            shortlink: Some("https://status.example/incidents/i1.html".into()),
            page_id: "acme".into(),
            incident_updates: vec![IncidentUpdate {
                id: "u1".into(),
                status: "resolved".into(),
                body: "Fixed.".into(),
                incident_id: "i1".into(),
                created_at: at,
                updated_at: at,
                display_at: at,
                affected_components: vec![AffectedComponent {
                    code: "checkout".into(),
                    name: "Checkout".into(),
                    old_status: ComponentStatus::MajorOutage,
                    new_status: ComponentStatus::Operational,
                }],
                deliver_notifications: true,
                custom_tweet: None,
                tweet_id: None,
            }],
            components: Vec::new(),
            component_objects: vec![Component {
                id: "checkout".into(),
                name: "Checkout".into(),
                status: ComponentStatus::Operational,
                created_at: at,
                updated_at: at,
                position: 1,
                description: None,
                showcase: true,
                start_date: None,
                group_id: None,
                page_id: "acme".into(),
                group: false,
                only_show_if_degraded: false,
                components: None,
            }],
            reminder_intervals: None,
            postmortem_body: Some("## What happened".into()),
            postmortem_published_at: None,
            schedule,
            duration: "1 h".into(),
            page_path: "incidents/i1.html".into(),
        }
    }

    /// The lazy incident reads as its serialised form did: the same keys, the same values.
    #[test]
    fn an_incident_object_has_every_field_of_the_serialised_incident() {
        let at: DateTime<Utc> = "2026-11-26T08:00:00Z".parse().unwrap();
        let windows = Some(Schedule {
            scheduled_for: at,
            scheduled_until: at + Duration::hours(2),
            scheduled_remind_prior: true,
            scheduled_auto_in_progress: false,
            scheduled_auto_completed: true,
        });
        for schedule in [None, windows] {
            let p = incident(schedule);
            let serialised = minijinja::Value::from(minijinja::value::Serde(&p));
            let object = minijinja::Value::from_object(IncidentObject(Arc::new(p.clone())));
            let keys = |v: &minijinja::Value| -> BTreeSet<String> {
                v.try_iter()
                    .unwrap()
                    .map(|k| k.as_str().unwrap().to_string())
                    .collect()
            };
            assert_eq!(keys(&object), keys(&serialised));
            for key in keys(&serialised) {
                assert_eq!(
                    object.get_attr(&key).unwrap(),
                    serialised.get_attr(&key).unwrap(),
                    "{key}"
                );
            }
            assert!(object.get_attr("nonesuch").unwrap().is_undefined());
        }
    }
}
