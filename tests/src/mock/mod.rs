//! A mock model provider: OpenAI, Azure OpenAI and Anthropic wire formats on one port, steered
//! per request (see [`steer::Steer`]), recording every request it receives.
//!
//! Control endpoints: `GET /__mock/requests` (the recording), `DELETE /__mock/requests` (clear),
//! `GET /__mock/stats` (`{"disconnected_streams", "completed_streams", "requests"}`).

mod anthropic;
mod openai;
mod sse;
pub mod steer;

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use axum::body::{Body, Bytes};
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::Router;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

/// Most requests kept in the recording; older ones are dropped (long benchmark runs).
const RECORD_LIMIT: usize = 10_000;

/// One request as the mock received it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RecordedRequest {
    pub method: String,
    pub path: String,
    pub query: Option<String>,
    /// Lower-case header names; repeated headers joined with ", ".
    pub headers: BTreeMap<String, String>,
    /// The JSON body (`null` when empty; a string when it was not JSON).
    pub body: Value,
}

impl RecordedRequest {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .get(&name.to_ascii_lowercase())
            .map(String::as_str)
    }

    /// The `model` field of the body.
    pub fn model(&self) -> Option<&str> {
        self.body.get("model").and_then(Value::as_str)
    }

    /// The value of query parameter `name` (not percent-decoded).
    pub fn query_param(&self, name: &str) -> Option<&str> {
        self.query.as_deref()?.split('&').find_map(|kv| {
            let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
            (k == name).then_some(v)
        })
    }
}

/// State shared by the handlers.
#[derive(Debug, Default)]
pub struct MockState {
    record: bool,
    requests: Mutex<Vec<RecordedRequest>>,
    scenarios: Mutex<HashMap<String, u32>>,
    disconnected_streams: AtomicU64,
    completed_streams: AtomicU64,
    ids: AtomicU64,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl MockState {
    pub fn new(record: bool) -> Arc<MockState> {
        Arc::new(MockState {
            record,
            ..MockState::default()
        })
    }

    pub fn requests(&self) -> Vec<RecordedRequest> {
        lock(&self.requests).clone()
    }

    pub fn clear(&self) {
        lock(&self.requests).clear();
        lock(&self.scenarios).clear();
    }

    pub fn disconnected_streams(&self) -> u64 {
        self.disconnected_streams.load(Ordering::SeqCst)
    }

    pub fn completed_streams(&self) -> u64 {
        self.completed_streams.load(Ordering::SeqCst)
    }

    fn next_id(&self) -> u64 {
        self.ids.fetch_add(1, Ordering::Relaxed) + 1
    }

    /// Counts a request of `scenario` and says whether it is among the first `n`.
    fn within_first(&self, scenario: &str, n: u32) -> bool {
        let mut map = lock(&self.scenarios);
        let count = map.entry(scenario.to_owned()).or_insert(0);
        *count += 1;
        *count <= n
    }

    fn push(&self, req: RecordedRequest) {
        let mut v = lock(&self.requests);
        if v.len() >= RECORD_LIMIT {
            v.remove(0);
        }
        v.push(req);
    }
}

/// Marks the end of a stream: counts it as completed, or as disconnected when dropped early.
pub(crate) struct StreamGuard {
    state: Arc<MockState>,
    pub(crate) done: bool,
}

impl StreamGuard {
    pub(crate) fn new(state: Arc<MockState>) -> StreamGuard {
        StreamGuard { state, done: false }
    }
}

impl Drop for StreamGuard {
    fn drop(&mut self) {
        let counter = if self.done {
            &self.state.completed_streams
        } else {
            &self.state.disconnected_streams
        };
        counter.fetch_add(1, Ordering::SeqCst);
    }
}

/// The mock's router.
pub fn router(state: Arc<MockState>) -> Router {
    Router::new()
        .fallback(handle)
        .layer(DefaultBodyLimit::disable())
        .with_state(state)
}

async fn handle(
    State(st): State<Arc<MockState>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let path = uri.path();
    if let Some(control) = path.strip_prefix("/__mock/") {
        return control_endpoint(&st, &method, control);
    }
    let body: Value = if body.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&body)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&body).into_owned()))
    };
    if st.record {
        st.push(RecordedRequest {
            method: method.to_string(),
            path: path.to_owned(),
            query: uri.query().map(str::to_owned),
            headers: header_map(&headers),
            body: body.clone(),
        });
    }
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    match (&method, segments.as_slice()) {
        (&Method::GET, ["v1", "models"]) => openai::models(),
        (&Method::POST, ["v1", "chat", "completions"]) => openai::chat(st, body).await,
        (&Method::POST, ["v1", "embeddings"]) => openai::embeddings(&st, body).await,
        (&Method::POST, ["openai", "deployments", _dep, rest @ ..]) => {
            if let Some(refusal) = azure_refusal(&headers, &uri) {
                return refusal;
            }
            match rest {
                ["chat", "completions"] => openai::chat(st, body).await,
                ["embeddings"] => openai::embeddings(&st, body).await,
                _ => not_found(path),
            }
        }
        (&Method::POST, ["v1", "messages"]) => anthropic::messages(st, &headers, body).await,
        _ => not_found(path),
    }
}

fn control_endpoint(st: &MockState, method: &Method, what: &str) -> Response {
    match (method, what) {
        (&Method::GET, "requests") => axum::Json(st.requests()).into_response(),
        (&Method::DELETE, "requests") => {
            st.clear();
            StatusCode::NO_CONTENT.into_response()
        }
        (&Method::GET, "stats") => axum::Json(json!({
            "disconnected_streams": st.disconnected_streams(),
            "completed_streams": st.completed_streams(),
            "requests": lock(&st.requests).len(),
        }))
        .into_response(),
        _ => not_found(what),
    }
}

/// Azure wants `api-key` and `api-version`.
fn azure_refusal(headers: &HeaderMap, uri: &Uri) -> Option<Response> {
    if !headers.contains_key("api-key") {
        let body = json!({"error": {"code": "401", "message": "Access denied due to missing subscription key."}});
        return Some((StatusCode::UNAUTHORIZED, axum::Json(body)).into_response());
    }
    let has_version = uri
        .query()
        .unwrap_or("")
        .split('&')
        .any(|kv| kv.starts_with("api-version="));
    if !has_version {
        let body = json!({"error": {"code": "404", "message": "Resource not found"}});
        return Some((StatusCode::NOT_FOUND, axum::Json(body)).into_response());
    }
    None
}

fn header_map(headers: &HeaderMap) -> BTreeMap<String, String> {
    let mut out: BTreeMap<String, String> = BTreeMap::new();
    for (name, value) in headers {
        let v = String::from_utf8_lossy(value.as_bytes()).into_owned();
        out.entry(name.as_str().to_owned())
            .and_modify(|e| {
                e.push_str(", ");
                e.push_str(&v);
            })
            .or_insert(v);
    }
    out
}

fn not_found(path: &str) -> Response {
    let body = json!({"error": {"message": format!("mock: no route for {path}"), "type": "invalid_request_error", "code": "not_found", "param": null}});
    (StatusCode::NOT_FOUND, axum::Json(body)).into_response()
}

/// What the failure knobs of a request decide before the answer.
pub(crate) enum Gate {
    Go,
    Fail(StatusCode),
}

/// Applies `delay_ms`, `hang`, `status` / `fail_times` for a request for `model`.
pub(crate) async fn gate(st: &MockState, steer: &steer::Steer, model: &str) -> Gate {
    if !steer.applies_to(model) {
        return Gate::Go;
    }
    if steer.hang {
        std::future::pending::<()>().await;
    }
    if steer.delay_ms > 0 {
        tokio::time::sleep(std::time::Duration::from_millis(steer.delay_ms)).await;
    }
    let status = StatusCode::from_u16(steer.status.unwrap_or(500))
        .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    match steer.fail_times {
        Some(n) => {
            let scenario = steer.scenario.as_deref().unwrap_or("default");
            if st.within_first(scenario, n) {
                Gate::Fail(status)
            } else {
                Gate::Go
            }
        }
        None if steer.status.is_some() => Gate::Fail(status),
        None => Gate::Go,
    }
}

/// A server-sent-events response from a list of (pause before, bytes) events.
pub(crate) fn event_stream(
    st: Arc<MockState>,
    events: Vec<(std::time::Duration, Bytes)>,
) -> Response {
    let guard = StreamGuard::new(st);
    let stream = futures_util::stream::unfold(
        (events.into_iter(), guard),
        |(mut it, mut guard)| async move {
            let (pause, bytes) = it.next()?;
            if !pause.is_zero() {
                tokio::time::sleep(pause).await;
            }
            if it.len() == 0 {
                guard.done = true;
            }
            Some((Ok::<Bytes, std::convert::Infallible>(bytes), (it, guard)))
        },
    );
    Response::builder()
        .header("content-type", "text/event-stream")
        .header("cache-control", "no-cache")
        .body(Body::from_stream(stream))
        .unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response())
}

/// A running mock on its own thread and runtime (so tests that block do not starve it).
/// Dropping it stops the server.
pub struct MockServer {
    server: crate::server::BackgroundServer,
    state: Arc<MockState>,
}

impl MockServer {
    /// Starts a recording mock on 127.0.0.1, port 0.
    pub fn start() -> std::io::Result<MockServer> {
        MockServer::start_on("127.0.0.1:0", true)
    }

    pub fn start_on(listen: &str, record: bool) -> std::io::Result<MockServer> {
        let state = MockState::new(record);
        let server = crate::server::BackgroundServer::start(listen, router(state.clone()))?;
        Ok(MockServer { server, state })
    }

    /// `http://127.0.0.1:PORT`
    pub fn url(&self) -> String {
        self.server.url()
    }

    /// The `base_url` of an openai or anthropic provider: `http://127.0.0.1:PORT/v1`.
    pub fn base_v1(&self) -> String {
        format!("{}/v1", self.server.url())
    }

    /// The `base_url` of an azure provider for deployment `dep`.
    pub fn azure_base(&self, dep: &str) -> String {
        format!("{}/openai/deployments/{dep}", self.server.url())
    }

    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.state.requests()
    }

    /// Requests whose body asked for upstream model `model`.
    pub fn requests_for_model(&self, model: &str) -> Vec<RecordedRequest> {
        self.requests()
            .into_iter()
            .filter(|r| r.model() == Some(model))
            .collect()
    }

    pub fn clear(&self) {
        self.state.clear();
    }

    pub fn disconnected_streams(&self) -> u64 {
        self.state.disconnected_streams()
    }

    pub fn completed_streams(&self) -> u64 {
        self.state.completed_streams()
    }
}

#[cfg(test)]
mod tests;
