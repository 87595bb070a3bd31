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

/// A rendered post-mortem: the template that made it and its text.
#[derive(Debug, Clone)]
pub struct Document {
    pub id: String,
    pub template: String,
    pub text: String,
}

/// Renders the post-mortem of the incident `query` names with `template` (`postmortem`,
/// `postmortem-short`, ...; the public audience turns the default into `postmortem-public`),
/// with the incidents of the last 90 days that look related.
pub fn render(
    store: &Store,
    query: &str,
    template: &str,
    audience: Audience,
    now: DateTime<Utc>,
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
    let text = renderer.render(&template, doc)?;
    Ok(Document { id, template, text })
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
    match store.commit_document(&doc.id, &rel, &doc.text, &change, &actor.author, actor.now) {
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
