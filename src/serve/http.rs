//! The HTTP side: axum's router over hyper's HTTP/1 connections, with the limits a server facing
//! the network needs (header size, header and body read timeouts, body size, connection count),
//! and each path's authentication. Handlers parse and check; the git worker does the rest.

use super::chat::{ChatUser, Dialect, Reply};
use super::worker::Job;
use super::{Metrics, Settings};
use crate::model::alert::Source;
use axum::Router;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, Request, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::sync::mpsc::{SyncSender, TrySendError};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use subtle::ConstantTimeEq;

/// The largest request body taken (an Alertmanager group of a few hundred alerts fits).
pub const MAX_BODY: usize = 1024 * 1024;
/// hyper's read buffer, which bounds what a connection holds while it reads a request's head.
const MAX_HEAD: usize = 64 * 1024;
/// The request line and headers a request may have (Slack's and Alertmanager's are under 2 KiB).
const MAX_HEADERS: usize = 16 * 1024;
/// How long a client may take to send its headers (also how long an idle kept-alive connection
/// stays open), and its body.
const HEAD_TIMEOUT: Duration = Duration::from_secs(10);
const BODY_TIMEOUT: Duration = Duration::from_secs(10);
/// Connections served at once; more wait in the kernel's backlog.
const MAX_CONNECTIONS: usize = 512;
/// How long an alert request waits for its commit before answering 503 (the sender retries; the
/// work stays queued and a retry finds it done).
const ALERT_WAIT: Duration = Duration::from_secs(25);
/// Slack wants an answer within 3 seconds; later results go to the response URL.
const CHAT_WAIT: Duration = Duration::from_millis(2500);
/// Slack's replay window.
const SLACK_WINDOW: i64 = 5 * 60;

#[derive(Clone)]
pub struct App {
    pub jobs: SyncSender<Job>,
    pub settings: Arc<Settings>,
    pub metrics: Arc<Metrics>,
    /// Slack signatures seen within the replay window: the same request twice is refused.
    seen: Arc<Mutex<HashMap<String, i64>>>,
}

impl App {
    pub fn new(jobs: SyncSender<Job>, settings: Arc<Settings>, metrics: Arc<Metrics>) -> App {
        App {
            jobs,
            settings,
            metrics,
            seen: Arc::new(Mutex::new(HashMap::new())),
        }
    }
}

pub fn router(app: App) -> Router {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics))
        .route("/alerts/{source}", post(alerts))
        .route("/chat/slack", post(slack))
        .route("/chat/mattermost", post(mattermost))
        .fallback(not_found)
        .layer(axum::middleware::from_fn_with_state(app.clone(), count))
        .with_state(app)
}

/// The paths metrics are labelled with (anything else is `other`, so a scanner cannot grow them).
const PATHS: [&str; 7] = [
    "/healthz",
    "/metrics",
    "/alerts/alertmanager",
    "/alerts/grafana",
    "/alerts/generic",
    "/chat/slack",
    "/chat/mattermost",
];

async fn count(
    State(app): State<App>,
    req: Request<Body>,
    next: axum::middleware::Next,
) -> Response {
    let path = PATHS
        .into_iter()
        .find(|p| *p == req.uri().path())
        .unwrap_or("other");
    let head: usize = req
        .headers()
        .iter()
        .map(|(k, v)| k.as_str().len() + v.len() + 4)
        .sum::<usize>()
        + req.uri().to_string().len();
    let response = if head > MAX_HEADERS {
        text(
            StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            format!("the request's headers are larger than {MAX_HEADERS} bytes"),
        )
    } else {
        next.run(req).await
    };
    app.metrics.request(path, response.status().as_u16());
    response
}

/// A request refused before it reaches the worker: its status and why, in words.
pub struct Refusal(StatusCode, String);

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        let busy = self.0 == StatusCode::SERVICE_UNAVAILABLE;
        let mut response = text(self.0, self.1);
        if busy {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, header::HeaderValue::from_static("5"));
        }
        response
    }
}

fn refuse<T>(code: StatusCode, why: impl Into<String>) -> Result<T, Refusal> {
    Err(Refusal(code, why.into()))
}

fn text(code: StatusCode, body: impl Into<String>) -> Response {
    let mut body = body.into();
    body.push('\n');
    (
        code,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        body,
    )
        .into_response()
}

async fn not_found() -> Response {
    text(StatusCode::NOT_FOUND, "not found")
}

async fn healthz() -> Response {
    text(StatusCode::OK, "ok")
}

/// Whether `given` equals `want`, in time that does not depend on where they differ.
fn same(given: &[u8], want: &[u8]) -> bool {
    given.ct_eq(want).into()
}

/// The bearer token of a request, checked against `want`; never accepting when none is set.
fn bearer(headers: &HeaderMap, want: Option<&str>) -> Result<(), Refusal> {
    let Some(want) = want.filter(|w| !w.is_empty()) else {
        return refuse(
            StatusCode::UNAUTHORIZED,
            "no token is configured for this path (see docs/serve.md)",
        );
    };
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .unwrap_or("");
    if same(given.trim().as_bytes(), want.as_bytes()) {
        Ok(())
    } else {
        refuse(StatusCode::UNAUTHORIZED, "missing or wrong bearer token")
    }
}

async fn metrics(State(app): State<App>, headers: HeaderMap) -> Response {
    if let Err(refused) = bearer(&headers, app.settings.secrets.metrics.as_deref()) {
        return refused.into_response();
    }
    (
        StatusCode::OK,
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        app.metrics.render(),
    )
        .into_response()
}

/// The body, up to [`MAX_BODY`], read within [`BODY_TIMEOUT`].
async fn read_body(body: Body) -> Result<axum::body::Bytes, Refusal> {
    match tokio::time::timeout(BODY_TIMEOUT, axum::body::to_bytes(body, MAX_BODY)).await {
        Err(_) => refuse(StatusCode::REQUEST_TIMEOUT, "the body took too long"),
        Ok(Err(_)) => refuse(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("the body is larger than {MAX_BODY} bytes or broken"),
        ),
        Ok(Ok(bytes)) => Ok(bytes),
    }
}

/// Hands a job to the git worker; 503 when its queue is full.
fn enqueue(app: &App, job: Job) -> Result<(), Refusal> {
    app.metrics.queue_depth.fetch_add(1, Ordering::Relaxed);
    match app.jobs.try_send(job) {
        Ok(()) => Ok(()),
        Err(e) => {
            app.metrics.queue_depth.fetch_sub(1, Ordering::Relaxed);
            let why = match e {
                TrySendError::Full(_) => "the queue is full; retry shortly",
                TrySendError::Disconnected(_) => "the server is shutting down; retry shortly",
            };
            refuse(StatusCode::SERVICE_UNAVAILABLE, why)
        }
    }
}

fn disabled(app: &App, path: &str) -> bool {
    app.settings.disabled.iter().any(|d| d == path)
}

async fn alerts(
    State(app): State<App>,
    Path(source): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let Some(source) = Source::parse(&source) else {
        return not_found().await;
    };
    if disabled(&app, &format!("/alerts/{}", source.as_str())) {
        return not_found().await;
    }
    if let Err(refused) = bearer(&headers, app.settings.secrets.alerts.as_deref()) {
        return refused.into_response();
    }
    let body = match read_body(body).await {
        Ok(body) => body,
        Err(refused) => return refused.into_response(),
    };
    let batches = match crate::model::alert::parse(source, &body) {
        Ok(batches) => batches,
        Err(e) => return text(StatusCode::BAD_REQUEST, e.to_string()),
    };
    let (reply, answer) = tokio::sync::oneshot::channel();
    if let Err(refused) = enqueue(&app, Job::Alerts { batches, reply }) {
        return refused.into_response();
    }
    match tokio::time::timeout(ALERT_WAIT, answer).await {
        Ok(Ok(Ok(results))) => (
            StatusCode::OK,
            axum::Json(serde_json::json!({ "groups": results })),
        )
            .into_response(),
        Ok(Ok(Err(why))) => text(StatusCode::SERVICE_UNAVAILABLE, why),
        Ok(Err(_)) => text(
            StatusCode::SERVICE_UNAVAILABLE,
            "the server is shutting down",
        ),
        Err(_) => text(
            StatusCode::SERVICE_UNAVAILABLE,
            "still working on it; send it again (a repeat adds nothing)",
        ),
    }
}

/// A chat answer as Slack and Mattermost take it.
pub fn chat_body(reply: &Reply, dialect: Dialect) -> String {
    serde_json::json!({
        "response_type": if reply.public { "in_channel" } else { "ephemeral" },
        "text": reply.text_for(dialect),
    })
    .to_string()
}

fn chat_response(reply: &Reply, dialect: Dialect) -> Response {
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "application/json")],
        chat_body(reply, dialect),
    )
        .into_response()
}

/// Slack's request signature (v0): HMAC-SHA256 over `v0:{timestamp}:{body}`, the timestamp within
/// five minutes of now, and never the same signature twice.
fn slack_verified(app: &App, headers: &HeaderMap, body: &[u8]) -> Result<(), Refusal> {
    use hmac::{Hmac, Mac};
    let refuse = |why: &str| refuse(StatusCode::UNAUTHORIZED, why);
    let Some(secret) = app
        .settings
        .secrets
        .slack
        .as_deref()
        .filter(|s| !s.is_empty())
    else {
        return refuse("no signing secret is configured (SLACK_SIGNING_SECRET)");
    };
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    };
    let stamp = header("x-slack-request-timestamp");
    let Ok(at) = stamp.parse::<i64>() else {
        return refuse("missing request timestamp");
    };
    let now = chrono::Utc::now().timestamp();
    if (now - at).abs() > SLACK_WINDOW {
        return refuse("the request is older than five minutes");
    }
    let signature = header("x-slack-signature");
    let Some(hex) = signature.strip_prefix("v0=") else {
        return refuse("missing or malformed signature");
    };
    let Some(given) = decode_hex(hex) else {
        return refuse("missing or malformed signature");
    };
    let Ok(mut mac) = Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()) else {
        return refuse("bad signing secret");
    };
    mac.update(format!("v0:{stamp}:").as_bytes());
    mac.update(body);
    if mac.verify_slice(&given).is_err() {
        return refuse("the signature does not match");
    }
    let mut seen = app.seen.lock().unwrap_or_else(|e| e.into_inner());
    seen.retain(|_, t| (now - *t).abs() <= SLACK_WINDOW);
    if seen.insert(hex.to_string(), at).is_some() {
        return refuse("this request was seen already");
    }
    Ok(())
}

fn decode_hex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) || text.len() > 256 {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}

fn form(body: &[u8]) -> HashMap<String, String> {
    form_urlencoded::parse(body).into_owned().collect()
}

async fn slack(State(app): State<App>, headers: HeaderMap, body: Body) -> Response {
    if disabled(&app, "/chat/slack") {
        return not_found().await;
    }
    let body = match read_body(body).await {
        Ok(body) => body,
        Err(refused) => return refused.into_response(),
    };
    if let Err(refused) = slack_verified(&app, &headers, &body) {
        return refused.into_response();
    }
    chat(app, form(&body), Dialect::Slack).await
}

async fn mattermost(State(app): State<App>, headers: HeaderMap, body: Body) -> Response {
    if disabled(&app, "/chat/mattermost") {
        return not_found().await;
    }
    let body = match read_body(body).await {
        Ok(body) => body,
        Err(refused) => return refused.into_response(),
    };
    let fields = form(&body);
    let Some(want) = app
        .settings
        .secrets
        .mattermost
        .as_deref()
        .filter(|s| !s.is_empty())
    else {
        return text(
            StatusCode::UNAUTHORIZED,
            "no token is configured (MATTERMOST_TOKEN)",
        );
    };
    let given = fields
        .get("token")
        .map(String::as_str)
        .or_else(|| {
            headers
                .get(header::AUTHORIZATION)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.strip_prefix("Token "))
        })
        .unwrap_or("");
    if !same(given.as_bytes(), want.as_bytes()) {
        return text(StatusCode::UNAUTHORIZED, "missing or wrong token");
    }
    chat(app, fields, Dialect::Mattermost).await
}

/// Runs a slash command: answered within [`CHAT_WAIT`], later results to the response URL.
async fn chat(app: App, fields: HashMap<String, String>, dialect: Dialect) -> Response {
    let field = |name: &str| fields.get(name).cloned().unwrap_or_default();
    // Slack checks the certificate now and then with a signed request that is no command.
    if fields.contains_key("ssl_check") {
        return text(StatusCode::OK, "ok");
    }
    let text_typed = field("text");
    let user = ChatUser {
        id: field("user_id"),
        name: field("user_name"),
    };
    if user.id.is_empty() {
        return text(StatusCode::BAD_REQUEST, "no user_id: not a slash command");
    }
    let first = text_typed.split_whitespace().next().unwrap_or("help");
    if first.eq_ignore_ascii_case("help") {
        return chat_response(
            &Reply {
                text: super::chat::HELP.into(),
                public: false,
            },
            dialect,
        );
    }
    let response_url = Some(field("response_url")).filter(|u| {
        app.settings
            .response_urls
            .iter()
            .any(|allowed| u.starts_with(allowed.as_str()))
    });
    let (reply, answer) = tokio::sync::oneshot::channel();
    let job = Job::Chat {
        user,
        text: text_typed,
        reply,
        response_url,
        dialect,
    };
    if let Err(refused) = enqueue(&app, job) {
        return refused.into_response();
    }
    match tokio::time::timeout(CHAT_WAIT, answer).await {
        Ok(Ok(reply)) => chat_response(&reply, dialect),
        Ok(Err(_)) => chat_response(
            &Reply {
                text: "the server is shutting down; try again".into(),
                public: false,
            },
            dialect,
        ),
        Err(_) => chat_response(
            &Reply {
                text: "Working on it…".into(),
                public: false,
            },
            dialect,
        ),
    }
}

/// Serves `router` on `listener` until `shutdown` completes; then stops taking connections and
/// lets the requests in flight finish (up to 30 seconds).
pub async fn serve(
    listener: tokio::net::TcpListener,
    router: Router,
    shutdown: impl std::future::Future<Output = ()>,
) {
    use hyper_util::rt::{TokioIo, TokioTimer};
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let slots = Arc::new(tokio::sync::Semaphore::new(MAX_CONNECTIONS));
    tokio::pin!(shutdown);
    loop {
        let slot = tokio::select! {
            slot = slots.clone().acquire_owned() => slot,
            () = &mut shutdown => break,
        };
        let Ok(slot) = slot else { break };
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            () = &mut shutdown => break,
        };
        let Ok((stream, _)) = accepted else {
            continue;
        };
        let router = router.clone();
        let service = hyper::service::service_fn(move |req: Request<hyper::body::Incoming>| {
            let mut router = router.clone();
            async move { tower_service::Service::call(&mut router, req).await }
        });
        let connection = hyper::server::conn::http1::Builder::new()
            .timer(TokioTimer::new())
            .header_read_timeout(HEAD_TIMEOUT)
            .max_buf_size(MAX_HEAD)
            .serve_connection(TokioIo::new(stream), service);
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            let _ = connection.await;
            drop(slot);
        });
    }
    drop(listener);
    tokio::select! {
        () = graceful.shutdown() => {}
        () = tokio::time::sleep(Duration::from_secs(30)) => {}
    }
}
