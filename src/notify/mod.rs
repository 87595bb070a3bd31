//! Notifications going out: which targets can be served (`check_target`), the words of updates
//! (`render_texts`), the shared record of what was claimed and sent (`ledger`), delivery over
//! HTTP and SMTP (`deliver`), and one delivery run (`run`). What is owed is the model's
//! ([`crate::model::notify`]).

pub mod deliver;
pub mod run;

pub use crate::store::ledger;

pub use crate::model::TargetKind;
pub use crate::model::notify::{
    EVENTS, Notification, PAGING_EVENTS, REMIND_BEFORE_MINUTES, is_reminder, plan,
};

use crate::model::{Config, Incident, NotifyTarget};
use crate::render::Renderer;
use crate::render::context::UpdateDocument;
use chrono::{DateTime, Utc};

/// Refuses a target this version cannot serve, naming the field and what is valid.
pub fn check_target(t: &NotifyTarget) -> Result<(), String> {
    if let TargetKind::Unknown(_) = t.kind {
        return Err(format!(
            "notify target `{}`: kind `{}` is not supported (yet); use one of {}",
            t.id,
            t.kind,
            TargetKind::ALL.map(|k| k.as_str().to_string()).join(", ")
        ));
    }
    if let Some(bad) = t.events.iter().find(|e| !EVENTS.contains(&e.as_str())) {
        return Err(format!(
            "notify target `{}`: unknown event `{bad}` in `events`; use any of {}",
            t.id,
            EVENTS.join(", ")
        ));
    }
    crate::model::check_name("notify target id", &t.id).map_err(|e| e.to_string())?;
    if t.kind == TargetKind::Email {
        if t.to.is_empty() {
            return Err(format!(
                "notify target `{}`: an email target needs `to`, the list of recipients",
                t.id
            ));
        }
        for address in t.to.iter().chain(&t.from) {
            address.parse::<lettre::Address>().map_err(|_| {
                format!(
                    "notify target `{}`: `{address}` is not an e-mail address",
                    t.id
                )
            })?;
        }
    }
    if t.kind == TargetKind::PagerDuty && t.secret_env.is_none() {
        return Err(format!(
            "notify target `{}`: a pagerduty target needs `secret_env`, the variable holding its integration (routing) key",
            t.id
        ));
    }
    Ok(())
}

/// Gives each update notification its text, from the `update-chat.md` template. Done only for
/// what is still to be sent: with nothing due, a run renders nothing.
pub fn render_texts(
    pending: &mut [Notification],
    incidents: &[Incident],
    config: &Config,
    renderer: &Renderer,
    now: DateTime<Utc>,
) -> Result<(), crate::render::RenderError> {
    // A page in a chat channel mentions the person paged, so their phone rings.
    for n in pending.iter_mut().filter(|n| n.event == "page") {
        let chat = config.notify.targets.iter().any(|t| {
            t.id == n.target
                && matches!(
                    t.kind,
                    TargetKind::Slack | TargetKind::Mattermost | TargetKind::Discord
                )
        });
        if let (true, Some(member)) = (chat, n.recipient.as_ref().and_then(|r| r.chat.as_ref())) {
            n.text = format!("<@{member}> {}", n.text);
        }
    }
    for n in pending.iter_mut().filter(|n| n.event == "update") {
        let Some(i) = incidents.iter().find(|i| i.id == n.incident) else {
            continue;
        };
        let email = config
            .notify
            .targets
            .iter()
            .any(|t| t.id == n.target && t.kind == TargetKind::Email);
        // E-mail in the e-mail channel's words (first line `Subject: ...`), the rest as chat.
        let template = if email {
            "update-email.txt"
        } else {
            "update-chat.md"
        };
        if let Some(doc) = UpdateDocument::for_update(i, config, &n.event_id, now) {
            n.text = renderer.render(template, &doc)?.trim().to_string();
        }
    }
    Ok(())
}
