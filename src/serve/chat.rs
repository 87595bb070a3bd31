//! Chat's slash commands (`/incident log ID text`), read from the words a person typed and run as
//! the operations the command line runs, authored by the person the roster knows by their chat ID.

use crate::model::{Config, Severity, Status, TaskState, Visibility};
use crate::ops::{Actor, IncidentChange};
use crate::store::{Author, Store};
use anyhow::{Result, anyhow};

pub const HELP: &str = "\
/incident declare [SEV1-4] TITLE — declare an incident (SEV3 unless named)
/incident log [ID] TEXT — put TEXT on the timeline
/incident status [ID] investigating|identified|monitoring|resolved [NOTE]
/incident severity [ID] SEV1-4 [REASON]
/incident update [ID] IMPACTED | LEARNED | NEXT (e.g. 30m) — post a public status update
/incident ack [ID] — acknowledge
/incident assign [ID] ROLE PERSON — commander, comms, liaison or any role
/incident task [ID] N done|skip [WHY]
/incident who — who is on call, and who holds which role in active incidents
ID may be left out while exactly one incident is active.";

/// What a command answers: its text, and whether the channel sees it or only the person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    pub text: String,
    pub public: bool,
}

impl Reply {
    fn private(text: impl Into<String>) -> Reply {
        Reply {
            text: text.into(),
            public: false,
        }
    }
}

/// Whose chat a reply goes to: each reads markup in its own way.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// `&`, `<` and `>` escaped, as Slack asks: a title with `<!channel>` mentions nobody.
    Slack,
    /// Markdown, escaped so record text renders as that text.
    Mattermost,
}

impl Reply {
    /// The reply's text as `dialect` must receive it.
    pub fn text_for(&self, dialect: Dialect) -> String {
        match dialect {
            Dialect::Slack => self
                .text
                .replace('&', "&amp;")
                .replace('<', "&lt;")
                .replace('>', "&gt;"),
            Dialect::Mattermost => crate::render::escape_markdown(&self.text),
        }
    }
}

/// Who typed it, as chat says.
#[derive(Debug, Clone)]
pub struct ChatUser {
    pub id: String,
    pub name: String,
}

/// The author a chat user commits as: the roster's person with that chat ID, else their chat
/// name marked as such.
pub fn author(config: &Config, user: &ChatUser) -> Author {
    match config
        .people
        .iter()
        .find(|p| p.chat.as_deref() == Some(user.id.as_str()))
    {
        Some(p) => Author {
            name: p.name.clone().unwrap_or_else(|| p.handle.clone()),
            email: p.email.clone().unwrap_or_default(),
        },
        None => {
            let name: String = user
                .name
                .chars()
                .filter(|c| c.is_alphanumeric() || matches!(c, '.' | '-' | '_' | ' '))
                .take(60)
                .collect();
            let name = if name.trim().is_empty() {
                "chat user".to_string()
            } else {
                name.trim().to_string()
            };
            Author {
                name: format!("{name} (chat)"),
                email: String::new(),
            }
        }
    }
}

/// A person named in a command: a chat mention (`<@U024BE7LH>` or `<@U024BE7LH|ana>`) is the
/// roster's person with that chat ID; anything else is taken as a handle.
fn person(config: &Config, word: &str) -> String {
    let trimmed = word.trim_start_matches('@');
    if let Some(inner) = word.strip_prefix("<@").and_then(|w| w.strip_suffix('>')) {
        let id = inner.split('|').next().unwrap_or(inner);
        if let Some(p) = config.people.iter().find(|p| p.chat.as_deref() == Some(id)) {
            return p.handle.clone();
        }
        return inner.split('|').nth(1).unwrap_or(id).to_string();
    }
    config
        .people
        .iter()
        .find(|p| p.chat.as_deref() == Some(trimmed))
        .map_or_else(|| trimmed.to_string(), |p| p.handle.clone())
}

/// The incident a command names with its first word, or the one active incident when that word
/// names none; with the words left.
fn target<'a>(store: &Store, words: &'a [&'a str]) -> Result<(String, &'a [&'a str])> {
    if let Some(first) = words.first()
        && let Ok(id) = store.resolve(first)
    {
        return Ok((id, &words[1..]));
    }
    let active: Vec<String> = store
        .load_all_as::<crate::model::IncidentSummary>()?
        .into_iter()
        .flatten()
        .filter(|i| i.status.is_active())
        .map(|i| i.id)
        .collect();
    match active.as_slice() {
        [one] => Ok((one.clone(), words)),
        [] => Err(anyhow!("no incident is active; name one by its ID")),
        many => Err(anyhow!(
            "{} incidents are active ({}); name one by its ID first",
            many.len(),
            many.join(", ")
        )),
    }
}

/// Runs what a person typed after `/incident`.
pub fn run(
    store: &Store,
    user: &ChatUser,
    text: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Reply> {
    let words: Vec<&str> = text.split_whitespace().collect();
    let Some((verb, rest)) = words.split_first() else {
        return Ok(Reply::private(HELP));
    };
    let config = store.config();
    let actor = Actor::new(author(config, user), now);
    let joined = |w: &[&str]| w.join(" ");
    let changed = |outcome: crate::ops::Outcome| Reply {
        text: format!(
            "{} {}: {} ({})",
            outcome.incident.severity, outcome.incident.id, outcome.what, outcome.commit
        ),
        public: true,
    };
    let verb = verb.to_ascii_lowercase();
    match verb.as_str() {
        "help" => Ok(Reply::private(HELP)),
        "who" => who(store, now),
        "declare" => {
            let (severity, title) = match rest.first().and_then(|w| w.parse::<Severity>().ok()) {
                Some(sev) => (sev, joined(&rest[1..])),
                None => (Severity::Sev3, joined(rest)),
            };
            if title.trim().is_empty() {
                return Ok(Reply::private(
                    "say what is wrong: `/incident declare SEV2 Checkout fails for EU customers`",
                ));
            }
            let posted = crate::ops::declare(
                store,
                &actor,
                crate::ops::Declare {
                    title,
                    severity,
                    services: Vec::new(),
                    components: Vec::new(),
                    kind: Default::default(),
                    summary: None,
                    commander: None,
                    comms: None,
                    started_at: None,
                    detected_at: None,
                    impact: Default::default(),
                    drill: false,
                    post_update: false,
                    alert: None,
                },
            )?;
            Ok(changed(posted.outcome))
        }
        "log" | "note" => {
            let (id, rest) = target(store, rest)?;
            let change = IncidentChange::log(&joined(rest), None, Visibility::Internal, None)?;
            Ok(changed(crate::ops::change(
                store, &actor, &id, None, change,
            )?))
        }
        "status" => {
            let (id, rest) = target(store, rest)?;
            let Some(to) = rest.first().and_then(|w| w.parse::<Status>().ok()) else {
                return Ok(Reply::private(
                    "name the status: investigating, identified, monitoring or resolved",
                ));
            };
            let note = Some(joined(&rest[1..])).filter(|n| !n.is_empty());
            // As `incident status` does: resolved too is a status change (the review's runbook
            // attached with it).
            let change = IncidentChange::Status {
                to,
                note,
                reopen: crate::model::Reopen::No,
            };
            Ok(changed(crate::ops::change(
                store, &actor, &id, None, change,
            )?))
        }
        "severity" | "sev" => {
            let (id, rest) = target(store, rest)?;
            let Some(to) = rest.first().and_then(|w| w.parse::<Severity>().ok()) else {
                return Ok(Reply::private(
                    "name the severity: SEV1, SEV2, SEV3 or SEV4",
                ));
            };
            let reason = Some(joined(&rest[1..])).filter(|n| !n.is_empty());
            let change = IncidentChange::Severity { to, reason };
            Ok(changed(crate::ops::change(
                store, &actor, &id, None, change,
            )?))
        }
        "ack" | "acknowledge" => {
            let (id, _) = target(store, rest)?;
            Ok(changed(crate::ops::change(
                store,
                &actor,
                &id,
                None,
                IncidentChange::Ack,
            )?))
        }
        "assign" => {
            let (id, rest) = target(store, rest)?;
            let [role, who] = rest else {
                return Ok(Reply::private(
                    "say the role and the person: `/incident assign ID commander @ana`",
                ));
            };
            let role = match role.to_ascii_lowercase().as_str() {
                "ic" | "incident-commander" => "commander".to_string(),
                other => other.to_string(),
            };
            let change = IncidentChange::Assign {
                roles: vec![(role, person(config, who))],
            };
            Ok(changed(crate::ops::change(
                store, &actor, &id, None, change,
            )?))
        }
        "task" => {
            let (id, rest) = target(store, rest)?;
            let (Some(number), Some(what)) = (
                rest.first()
                    .and_then(|w| w.trim_start_matches('#').parse::<u32>().ok()),
                rest.get(1),
            ) else {
                return Ok(Reply::private(
                    "say the task's number and done or skip: `/incident task ID 3 done`",
                ));
            };
            let state = match what.to_ascii_lowercase().as_str() {
                "done" => TaskState::Done,
                "skip" | "skipped" => TaskState::Skipped,
                other => {
                    return Ok(Reply::private(format!(
                        "`{other}`: a task is `done` or `skip` (with why)"
                    )));
                }
            };
            let note = Some(joined(&rest[2..])).filter(|n| !n.is_empty());
            Ok(changed(crate::ops::task::close(
                store, &actor, &id, number, state, note, None,
            )?))
        }
        "update" => {
            let (id, rest) = target(store, rest)?;
            let text = joined(rest);
            let parts: Vec<&str> = text.split('|').map(str::trim).collect();
            let [impacted, learned, next] = parts.as_slice() else {
                return Ok(Reply::private(
                    "an update says three things, split by `|`: what is impacted | what we learned | when the next update comes (e.g. 30m)",
                ));
            };
            let next: crate::model::Span = next.parse().map_err(|e| {
                anyhow!("`{next}` is not a span for the next update ({e}); e.g. 30m")
            })?;
            let draft = crate::model::Draft {
                impacted: Some(impacted.to_string()),
                learned: Some(learned.to_string()),
                next: Some(next),
                ..crate::model::Draft::standard()
            };
            let updated = crate::ops::update(
                store,
                &actor,
                &id,
                None,
                crate::ops::Update {
                    draft,
                    ..Default::default()
                },
            )?;
            Ok(changed(updated.outcome))
        }
        other => Ok(Reply::private(format!(
            "`{other}` is not a command here.\n{HELP}"
        ))),
    }
}

/// Who is on call, and the roles of active incidents.
fn who(store: &Store, now: chrono::DateTime<chrono::Utc>) -> Result<Reply> {
    let mut lines = Vec::new();
    // No rotas yet is no error here: the roles still answer.
    for shift in crate::ops::oncall::on_call(store, None, now).unwrap_or_default() {
        lines.push(format!(
            "on call {}/{}: {}",
            shift.schedule, shift.layer, shift.who
        ));
    }
    let mut active: Vec<crate::model::IncidentSummary> = store
        .load_all_as::<crate::model::IncidentSummary>()?
        .into_iter()
        .flatten()
        .filter(|i| i.status.is_active())
        .collect();
    active.sort_by(|a, b| a.severity.cmp(&b.severity).then_with(|| a.id.cmp(&b.id)));
    for i in &active {
        let roles: Vec<String> = i
            .roles
            .iter()
            .map(|(r, who)| format!("{r} {who}"))
            .collect();
        lines.push(format!(
            "{} {} ({}): {}",
            i.severity,
            i.id,
            i.status,
            if roles.is_empty() {
                "no roles held".to_string()
            } else {
                roles.join(", ")
            }
        ));
    }
    if lines.is_empty() {
        lines.push("nobody is on call (no rotas in oncall/) and no incident is active".into());
    }
    Ok(Reply::private(lines.join("\n")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> Config {
        let mut config = Config::new("Acme");
        config.people.push(crate::model::Person {
            handle: "ana".into(),
            name: Some("Ana Lima".into()),
            email: Some("ana@example.com".into()),
            chat: Some("U024BE7LH".into()),
            phone: None,
            extra: Default::default(),
        });
        config
    }

    #[test]
    fn chat_users_map_to_the_roster() {
        let config = config();
        let ana = author(
            &config,
            &ChatUser {
                id: "U024BE7LH".into(),
                name: "ana.l".into(),
            },
        );
        assert_eq!(
            (ana.name.as_str(), ana.email.as_str()),
            ("Ana Lima", "ana@example.com")
        );
        let other = author(
            &config,
            &ChatUser {
                id: "U999".into(),
                name: "bo<b>\n".into(),
            },
        );
        assert_eq!(other.name, "bob (chat)");
    }

    #[test]
    fn replies_cannot_mention_or_format() {
        let reply = Reply {
            text: "declared SEV2: <!channel> & <@U1> [x](javascript:alert(1))".into(),
            public: true,
        };
        assert_eq!(
            reply.text_for(Dialect::Slack),
            "declared SEV2: &lt;!channel&gt; &amp; &lt;@U1&gt; [x](javascript:alert(1))"
        );
        assert!(!reply.text_for(Dialect::Mattermost).contains("[x]"));
    }

    #[test]
    fn mentions_name_roster_handles() {
        let config = config();
        assert_eq!(person(&config, "<@U024BE7LH>"), "ana");
        assert_eq!(person(&config, "<@U024BE7LH|ana.l>"), "ana");
        assert_eq!(person(&config, "<@U777|cem>"), "cem");
        assert_eq!(person(&config, "@dan"), "dan");
    }
}
