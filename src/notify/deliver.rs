//! Delivery over HTTP: the payload each kind of target expects, signed where asked, sent with a
//! timeout and retried with exponential backoff on 429 and 5xx (honouring `Retry-After`), never on
//! another 4xx. Errors say what happened without the URL: a webhook URL is a secret.

use super::{Notification, TargetKind};
use hmac::{Hmac, Mac};
use serde_json::json;
use sha2::Sha256;
use std::time::Duration;

/// How hard to try.
#[derive(Debug, Clone, Copy)]
pub struct Policy {
    pub timeout: Duration,
    pub attempts: u32,
    /// The first wait; each retry doubles it.
    pub backoff: Duration,
    /// The longest wait `Retry-After` may ask for.
    pub max_wait: Duration,
}

impl Default for Policy {
    fn default() -> Policy {
        Policy {
            timeout: Duration::from_secs(10),
            attempts: 4,
            backoff: Duration::from_secs(1),
            max_wait: Duration::from_secs(60),
        }
    }
}

/// The request body a target of `kind` expects. `routing_key` is PagerDuty's integration key.
pub fn payload(
    kind: &TargetKind,
    n: &Notification,
    link: Option<&str>,
    routing_key: Option<&str>,
) -> serde_json::Value {
    let headline = format!("{} {}: {}", n.severity, n.title, n.event);
    match kind {
        TargetKind::Teams => {
            let mut card = json!({
                "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
                "type": "AdaptiveCard",
                "version": "1.4",
                "body": [
                    {"type": "TextBlock", "text": headline, "weight": "Bolder", "wrap": true},
                    {"type": "TextBlock", "text": n.text, "wrap": true},
                    {"type": "FactSet", "facts": [
                        {"title": "Incident", "value": n.incident},
                        {"title": "Severity", "value": n.severity},
                        {"title": "Status", "value": n.status}
                    ]}
                ]
            });
            if let Some(link) = link {
                card["actions"] =
                    json!([{"type": "Action.OpenUrl", "title": "Status page", "url": link}]);
            }
            json!({
                "type": "message",
                "attachments": [{
                    "contentType": "application/vnd.microsoft.card.adaptive",
                    "content": card
                }]
            })
        }
        TargetKind::Mattermost => json!({ "text": n.text }),
        // Discord refuses content over 2,000 characters.
        TargetKind::Discord => json!({ "content": n.text.chars().take(2000).collect::<String>() }),
        TargetKind::PagerDuty => {
            let action = match n.event.as_str() {
                "resolved" => "resolve",
                "status" => "acknowledge",
                _ => "trigger",
            };
            let severity = match n.severity {
                crate::model::Severity::Sev1 => "critical",
                crate::model::Severity::Sev2 => "error",
                crate::model::Severity::Sev3 => "warning",
                crate::model::Severity::Sev4 => "info",
            };
            // Each page is an alert of its own (a level PagerDuty would otherwise fold into the
            // first); everything else follows the incident's one alert.
            let dedup = if n.event == "page" {
                &n.key
            } else {
                &n.incident
            };
            let mut event = json!({
                "routing_key": routing_key.unwrap_or_default(),
                "event_action": action,
                "dedup_key": dedup,
            });
            if action == "trigger" {
                event["payload"] = json!({
                    "summary": headline,
                    "source": "incident",
                    "severity": severity,
                    "timestamp": n.at,
                    "custom_details": {"text": n.text, "status": n.status, "key": n.key}
                });
                if let Some(link) = link {
                    event["links"] = json!([{"href": link, "text": "Status page"}]);
                }
            }
            event
        }
        TargetKind::Slack => {
            let context = match link {
                Some(link) => format!(
                    "{} · {} · {} · <{link}|{}>",
                    n.severity, n.status, n.event, n.incident
                ),
                None => format!(
                    "{} · {} · {} · {}",
                    n.severity, n.status, n.event, n.incident
                ),
            };
            json!({
                "text": n.text,
                "blocks": [
                    {"type": "section", "text": {"type": "mrkdwn", "text": n.text}},
                    {"type": "context", "elements": [{"type": "mrkdwn", "text": context}]}
                ]
            })
        }
        _ => {
            let mut body = json!({
                "idempotency_key": n.key,
                "incident": n.incident,
                "title": n.title,
                "severity": n.severity,
                "status": n.status,
                "event": n.event,
                "event_id": n.event_id,
                "at": n.at,
                "public": n.public,
                "text": n.text,
                "link": link,
            });
            // A page says whom to call: an SMS or phone gateway reads `recipient.phone`.
            if let Some(r) = &n.recipient {
                body["recipient"] = json!(r);
            }
            body
        }
    }
}

/// `sha256=<hex>` of the body under `secret`, as GitHub's `X-Hub-Signature-256`.
pub fn signature(secret: &[u8], body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes keys of any length");
    mac.update(body);
    let bytes = mac.finalize().into_bytes();
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256={hex}")
}

/// How a delivery ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Delivered {
        attempts: u32,
    },
    /// Not delivered; the reason names the status or the network error, never the URL.
    Failed {
        attempts: u32,
        reason: String,
    },
}

/// POSTs `body` to `url` under `policy`.
pub fn post(url: &str, body: &[u8], headers: &[(String, String)], policy: &Policy) -> Outcome {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(policy.timeout))
        .http_status_as_error(false)
        .build()
        .into();
    let mut wait = policy.backoff;
    let mut attempts = 0;
    loop {
        attempts += 1;
        let mut request = agent
            .post(url)
            .header("Content-Type", "application/json")
            .header(
                "User-Agent",
                concat!("incident/", env!("CARGO_PKG_VERSION")),
            );
        for (k, v) in headers {
            request = request.header(k, v);
        }
        let (retry, reason, asked) = match request.send(body) {
            Ok(response) => {
                let status = response.status().as_u16();
                if (200..300).contains(&status) {
                    return Outcome::Delivered { attempts };
                }
                let asked = response
                    .headers()
                    .get("retry-after")
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.trim().parse::<u64>().ok())
                    .map(Duration::from_secs);
                let retry = status == 429 || status >= 500;
                let word = response.status().canonical_reason().unwrap_or("");
                (
                    retry,
                    format!("HTTP {status} {word}").trim().to_string(),
                    asked,
                )
            }
            Err(e) => (true, describe(&e), None),
        };
        if let Some(failed) = give_up(retry, &reason, attempts, policy) {
            return failed;
        }
        std::thread::sleep(asked.unwrap_or(wait).min(policy.max_wait));
        wait *= 2;
    }
}

/// The failure to report when this attempt is the last: the error is final, or the attempts are
/// used up; `None` while another attempt is due.
fn give_up(retry: bool, reason: &str, attempts: u32, policy: &Policy) -> Option<Outcome> {
    if retry && attempts < policy.attempts {
        return None;
    }
    let reason = if retry {
        format!("{reason} after {attempts} attempts")
    } else {
        format!("{reason}; not retried")
    };
    Some(Outcome::Failed { attempts, reason })
}

/// A transport error in words, without the URL ureq's own message would carry.
fn describe(e: &ureq::Error) -> String {
    match e {
        ureq::Error::Timeout(_) => "timed out".into(),
        ureq::Error::ConnectionFailed => "connection failed".into(),
        ureq::Error::HostNotFound => "host not found".into(),
        ureq::Error::Io(io) => format!("network error ({})", io.kind()),
        ureq::Error::BadUri(_) => "the URL is not valid".into(),
        ureq::Error::Tls(_) => "TLS error".into(),
        _ => "HTTP client error".into(),
    }
}

/// Sends `n` as an e-mail through the SMTP server at `url` (lettre's URL form: `smtp://` with
/// `?tls=required` for STARTTLS, or `smtps://`), retrying transient (4xx) failures like HTTP 5xx.
/// The Message-ID comes from the notification key, so a repeat can be recognised.
pub fn send_email(
    url: &str,
    from: &str,
    to: &[String],
    n: &Notification,
    policy: &Policy,
) -> Outcome {
    use lettre::message::header::ContentType;
    use lettre::{Message, SmtpTransport, Transport};
    // An update rendered by `update-email.txt` starts with its subject line.
    let (subject, body) = match n.text.strip_prefix("Subject:") {
        Some(rest) => {
            let (subject, body) = rest.split_once('\n').unwrap_or((rest, ""));
            (subject.trim().to_string(), body.trim_start().to_string())
        }
        None => (
            format!("[{}] {}: {}", n.severity, n.title, n.event),
            n.text.clone(),
        ),
    };
    let id: String = {
        use sha2::Digest;
        sha2::Sha256::digest(n.key.as_bytes())
            .iter()
            .take(16)
            .map(|b| format!("{b:02x}"))
            .collect()
    };
    let mut builder = Message::builder()
        .subject(subject)
        .message_id(Some(format!("<{id}@incident.notify>")))
        .header(ContentType::TEXT_PLAIN);
    match from.parse() {
        Ok(from) => builder = builder.from(from),
        Err(_) => {
            return Outcome::Failed {
                attempts: 0,
                reason: format!("`{from}` is not an e-mail address"),
            };
        }
    }
    for address in to {
        match address.parse() {
            Ok(a) => builder = builder.to(a),
            Err(_) => {
                return Outcome::Failed {
                    attempts: 0,
                    reason: format!("`{address}` is not an e-mail address"),
                };
            }
        }
    }
    let message = match builder.body(body) {
        Ok(m) => m,
        Err(e) => {
            return Outcome::Failed {
                attempts: 0,
                reason: format!("cannot build the message: {e}"),
            };
        }
    };
    // The URL holds the password: its errors are described without it.
    let transport = match SmtpTransport::from_url(url) {
        Ok(t) => t.timeout(Some(policy.timeout)).build(),
        Err(_) => {
            return Outcome::Failed {
                attempts: 0,
                reason: "the SMTP URL is not valid (smtp://user:password@host:587?tls=required)"
                    .into(),
            };
        }
    };
    let mut wait = policy.backoff;
    let mut attempts = 0;
    loop {
        attempts += 1;
        let (retry, reason) = match transport.send(&message) {
            Ok(_) => return Outcome::Delivered { attempts },
            Err(e) if e.is_permanent() => (
                false,
                format!(
                    "SMTP {} (permanent)",
                    e.status().map_or("error".to_string(), |c| c.to_string())
                ),
            ),
            Err(e) if e.is_transient() => (
                true,
                format!(
                    "SMTP {} (transient)",
                    e.status().map_or("error".to_string(), |c| c.to_string())
                ),
            ),
            Err(e) if e.is_timeout() => (true, "timed out".into()),
            // lettre's message names the step that failed, never the URL.
            Err(e) => (true, format!("SMTP error: {e}")),
        };
        if let Some(failed) = give_up(retry, &reason, attempts, policy) {
            return failed;
        }
        std::thread::sleep(wait.min(policy.max_wait));
        wait *= 2;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_match_a_known_vector() {
        // RFC 4231 test case 2.
        assert_eq!(
            signature(b"Jefe", b"what do ya want for nothing?"),
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }
}
