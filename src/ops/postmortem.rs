//! The post-mortem document: rendered from the record (the words customers saw quoted as they
//! were sent), and kept in the repo as `postmortems/<id>.md`, one commit.

use super::Actor;
use crate::model::event_kind;
use crate::render::Renderer;
use crate::render::context::{PostmortemDocument, UpdateDocument};
use crate::store::{Change, NothingChanged, POSTMORTEMS_DIR, Store};
use anyhow::{Result, bail};
use chrono::{DateTime, Utc};
use std::path::Path;

/// Who the document is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Audience {
    /// The whole review, people and internal events included.
    Internal,
    /// The customer-safe version: public events and updates only, no people.
    Public,
}

/// A rendered post-mortem: the template that made it, its text, and its timeline chart (SVG).
#[derive(Debug, Clone)]
pub struct Document {
    pub id: String,
    pub template: String,
    pub text: String,
    pub chart: Option<String>,
}

/// The name the HTML page's Markdown gives the chart, replaced by the chart itself.
const CHART_SLOT: &str = "timeline-chart.svg";

/// Renders the post-mortem of the incident `query` names with `template` (`postmortem`,
/// `postmortem-short`, ...; the public audience turns the default into `postmortem-public`),
/// with the incidents of the last 90 days that look related, and its timeline as a Mermaid
/// diagram; `image` names the chart's SVG file beside the document, linked from it.
pub fn render(
    store: &Store,
    query: &str,
    template: &str,
    audience: Audience,
    now: DateTime<Utc>,
    image: Option<&str>,
) -> Result<Document> {
    render_as(store, query, template, audience, now, true, image)
}

/// The post-mortem as one self-contained HTML page (inline CSS and SVG, nothing fetched) that
/// prints well.
pub fn html(
    store: &Store,
    query: &str,
    template: &str,
    audience: Audience,
    now: DateTime<Utc>,
) -> Result<Document> {
    let doc = render_as(
        store,
        query,
        template,
        audience,
        now,
        false,
        Some(CHART_SLOT),
    )?;
    let mut body = String::new();
    let mut options = pulldown_cmark::Options::empty();
    options.insert(pulldown_cmark::Options::ENABLE_TABLES);
    pulldown_cmark::html::push_html(
        &mut body,
        pulldown_cmark::Parser::new_ext(&doc.text, options),
    );
    // The chart goes where the Markdown linked it.
    if let Some(chart) = &doc.chart
        && let Some(mut start) = body.find(&format!("<img src=\"{CHART_SLOT}\""))
        && let Some(len) = body[start..].find("/>")
    {
        let mut end = start + len + 2;
        // A figure cannot stand in a paragraph: the paragraph around the image goes.
        if body[..start].ends_with("<p>") && body[end..].starts_with("</p>") {
            start -= 3;
            end += 4;
        }
        let svg = chart.trim_start_matches(|c| c != '<');
        body.replace_range(
            start..end,
            &format!("<figure class=\"chart\">{svg}</figure>"),
        );
    }
    let title = doc
        .text
        .lines()
        .find_map(|l| l.strip_prefix("# "))
        .unwrap_or(&doc.id)
        .to_string();
    let page = crate::render::html_page(&title, &body);
    Ok(Document { text: page, ..doc })
}

fn render_as(
    store: &Store,
    query: &str,
    template: &str,
    audience: Audience,
    now: DateTime<Utc>,
    mermaid: bool,
    image: Option<&str>,
) -> Result<Document> {
    let id = store.resolve(query)?;
    let incident = store.load(&id)?;
    let renderer = Renderer::new(Some(store.root()), store.config());
    let wanted = if audience == Audience::Public && template == "postmortem" {
        "postmortem-public"
    } else {
        template
    };
    let template = renderer.resolve_name(wanted)?;
    // Each public update quoted in the words customers saw, from the template every channel shares.
    let doc = PostmortemDocument::new(&incident, store.config(), now).with_update_texts(|u| {
        let words = UpdateDocument::public(&incident, store.config(), u.clone(), now);
        renderer
            .render("update-body.txt", &words)
            .map(|t| t.trim().to_string())
    })?;
    let summaries: Vec<_> = store
        .load_all_cached::<crate::model::IncidentSummary>()?
        .into_iter()
        .filter_map(Result::ok)
        .collect();
    let related =
        crate::metrics::related_incidents(&incident, &summaries, chrono::Duration::days(90));
    let doc = doc.with_related(related);
    let doc = match audience {
        Audience::Public => doc.public(),
        Audience::Internal => doc,
    };
    let viewers = match audience {
        Audience::Public => crate::model::picture::Viewers::Public,
        Audience::Internal => crate::model::picture::Viewers::Team,
    };
    let config = store.config();
    let zone = config.status_page.time_zone.as_deref().unwrap_or("UTC");
    let picture = crate::model::picture::picture(&incident, config, now, viewers);
    let chart = picture
        .as_ref()
        .map(|p| crate::render::chart::svg(p, zone))
        .transpose()?;
    let doc = doc.with_timeline(
        picture.as_ref().filter(|_| mermaid).map(|p| {
            crate::render::chart::mermaid(p, zone)
                .trim_end()
                .to_string()
        }),
        image.filter(|_| chart.is_some()).map(str::to_string),
    );
    let text = renderer.render(&template, doc)?;
    Ok(Document {
        id,
        template,
        text,
        chart,
    })
}

/// The chart's file name beside the post-mortem `postmortems/<id>.md`.
pub fn chart_name(id: &str) -> String {
    format!("{id}.svg")
}

/// Whether a committed document someone edited by hand may be replaced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HandEdits {
    Keep,
    Overwrite,
}

/// Commits `doc` as `postmortems/<id>.md`: the commit's hash, or `None` when the file already says
/// exactly this. A version someone changed by hand and committed is not overwritten unless asked.
pub fn commit(
    store: &Store,
    actor: &Actor,
    doc: &Document,
    hand_edits: HandEdits,
) -> Result<Option<String>> {
    let rel = Path::new(POSTMORTEMS_DIR).join(format!("{}.md", doc.id));
    if hand_edits == HandEdits::Keep
        && let Some(commit) = store.hand_edited_document(&doc.id, &rel)?
    {
        bail!(
            "`{}` was changed by hand in commit {commit}, and regenerating it would overwrite those edits; put what they say into the review (`incident pir {} ...`) and run again with `--force`, or write the new version elsewhere with `--out FILE`",
            rel.display(),
            doc.id
        );
    }
    let change = Change::new(
        event_kind::POSTMORTEM,
        format!("post-mortem written ({})", doc.template),
    );
    let mut files = vec![(rel, doc.text.clone())];
    if let Some(chart) = &doc.chart {
        files.push((
            Path::new(POSTMORTEMS_DIR).join(chart_name(&doc.id)),
            chart.clone(),
        ));
    }
    match store.commit_documents(&doc.id, &files, &change, &actor.author, actor.now) {
        Ok(commit) => Ok(Some(commit)),
        Err(e) if e.downcast_ref::<NothingChanged>().is_some() => Ok(None),
        Err(e) => Err(e),
    }
}

/// A brief of the incident for people who were not there (`brief-handoff.md`, `brief-exec.md`):
/// internal, rendered as of `now`.
pub fn brief(
    store: &Store,
    incident: &crate::model::Incident,
    template: &str,
    now: DateTime<Utc>,
) -> Result<String> {
    let renderer = Renderer::new(Some(store.root()), store.config());
    let doc = crate::render::context::BriefDocument::new(incident, store.config(), now);
    Ok(renderer.render(template, &doc)?)
}
