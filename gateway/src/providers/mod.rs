//! Model providers: OpenAI-compatible, Azure OpenAI, Anthropic (translated), and the built-in
//! `echo`. `router` picks a deployment for an alias, retries, falls back and keeps breakers.

use std::pin::Pin;
use std::time::Duration;

use bytes::Bytes;
use futures_util::Stream;
use serde_json::{Map, Value};

use crate::config::{ProviderConfig, ProviderKind};
use crate::error::ApiError;

mod anthropic;
pub mod anthropic_wire;
mod breaker;
mod echo;
mod openai;
pub mod router;
pub(crate) mod sse;
pub mod usage;

pub use usage::Usage;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Endpoint {
    Chat,
    Embeddings,
}

impl Endpoint {
    pub fn path(self) -> &'static str {
        match self {
            Endpoint::Chat => "/chat/completions",
            Endpoint::Embeddings => "/embeddings",
        }
    }
}

/// One try against one deployment. `body` already carries the upstream model name.
pub struct Attempt<'a> {
    pub endpoint: Endpoint,
    pub body: &'a Map<String, Value>,
    pub stream: bool,
    /// The client asked for `stream_options.include_usage`.
    pub client_wants_usage: bool,
    /// The model name shown in translated answers (the alias the client asked for).
    pub model_label: &'a str,
}

/// What an upstream answered.
pub enum Reply {
    /// A complete JSON body in OpenAI's shape, with what accounting and the audit need of it.
    Json {
        body: Bytes,
        usage: Option<Usage>,
        finish_reason: Option<String>,
    },
    /// OpenAI-shaped SSE events, as they arrive.
    Stream(EventStream),
}

pub type EventStream = Pin<Box<dyn Stream<Item = Result<StreamItem, UpstreamError>> + Send>>;

#[derive(Debug, Clone, PartialEq)]
pub enum StreamItem {
    /// One SSE event, with its terminating blank line, ready to write to the client.
    Data(Bytes),
    /// Usage reported by the upstream (not written to the client by itself).
    Usage(Usage),
    /// The upstream's end of stream; the relay writes `data: [DONE]` itself.
    Done,
}

#[derive(Debug, Clone, thiserror::Error)]
pub enum UpstreamError {
    #[error("cannot connect: {0}")]
    Connect(String),
    #[error("{0}")]
    Timeout(String),
    #[error("answered HTTP {status}")]
    Status {
        status: u16,
        body: Bytes,
        retry_after: Option<u64>,
    },
    #[error("protocol error: {0}")]
    Protocol(String),
    #[error("{0}")]
    Unsupported(String),
}

impl UpstreamError {
    /// 429, 5xx, connect errors and timeouts are worth another try.
    pub fn retryable(&self) -> bool {
        match self {
            UpstreamError::Connect(_) | UpstreamError::Timeout(_) => true,
            UpstreamError::Status { status, .. } => *status == 429 || *status >= 500,
            UpstreamError::Protocol(_) | UpstreamError::Unsupported(_) => false,
        }
    }

    /// Label for metrics.
    pub fn kind(&self) -> &'static str {
        match self {
            UpstreamError::Connect(_) => "connect",
            UpstreamError::Timeout(_) => "timeout",
            UpstreamError::Status { status, .. } if *status == 429 => "rate_limited",
            UpstreamError::Status { status, .. } if *status >= 500 => "server_error",
            UpstreamError::Status { .. } => "client_error",
            UpstreamError::Protocol(_) => "protocol",
            UpstreamError::Unsupported(_) => "unsupported",
        }
    }

    pub fn into_api(self, provider: &str) -> ApiError {
        match self {
            UpstreamError::Connect(m) => ApiError::UpstreamUnavailable(format!("{provider}: {m}")),
            UpstreamError::Timeout(m) => ApiError::UpstreamTimeout(format!("{provider}: {m}")),
            UpstreamError::Status {
                status: 429,
                body,
                retry_after,
            } => ApiError::UpstreamRateLimited {
                message: format!("{provider}: {}", upstream_message(&body)),
                retry_after,
            },
            UpstreamError::Status { status, body, .. } if status >= 500 => ApiError::UpstreamError(
                format!("{provider} answered {status}: {}", upstream_message(&body)),
            ),
            UpstreamError::Status { status, body, .. } => {
                ApiError::UpstreamPassthrough { status, body }
            }
            UpstreamError::Protocol(m) => ApiError::UpstreamError(format!("{provider}: {m}")),
            UpstreamError::Unsupported(m) => ApiError::InvalidValue {
                field: "model".into(),
                reason: m,
            },
        }
    }
}

/// The `error.message` of an upstream error body, shortened; never the whole body.
fn upstream_message(body: &[u8]) -> String {
    let parsed: Option<Value> = serde_json::from_slice(body).ok();
    let msg = parsed
        .as_ref()
        .and_then(|v| v.get("error"))
        .and_then(|e| e.get("message").or(Some(e)))
        .and_then(Value::as_str)
        .map(str::to_string)
        .unwrap_or_else(|| String::from_utf8_lossy(body).into_owned());
    msg.chars().take(300).collect()
}

/// A configured provider with its own pooled HTTP client.
pub struct Provider {
    pub cfg: ProviderConfig,
    client: reqwest::Client,
    /// Upstream URLs parsed once: chat, embeddings, messages (Anthropic).
    urls: Urls,
}

struct Urls {
    chat: reqwest::Url,
    embeddings: reqwest::Url,
    messages: reqwest::Url,
}

impl Urls {
    fn new(cfg: &ProviderConfig) -> Result<Urls, String> {
        let make = |path: &str| -> Result<reqwest::Url, String> {
            let text = match cfg.kind {
                ProviderKind::Azure => {
                    format!("{}{path}?api-version={}", cfg.base_url, cfg.api_version)
                }
                _ => format!("{}{path}", cfg.base_url),
            };
            // The echo provider has no URL; any valid placeholder will do.
            let text = if cfg.kind == ProviderKind::Echo {
                "http://127.0.0.1/".to_string()
            } else {
                text
            };
            reqwest::Url::parse(&text)
                .map_err(|e| format!("providers.{}: base_url gives '{text}': {e}", cfg.name))
        };
        Ok(Urls {
            chat: make(Endpoint::Chat.path())?,
            embeddings: make(Endpoint::Embeddings.path())?,
            messages: make("/messages")?,
        })
    }
}

impl Provider {
    pub fn new(cfg: ProviderConfig) -> Result<Self, String> {
        let client = reqwest::Client::builder()
            .connect_timeout(cfg.first_byte_timeout.min(Duration::from_secs(10)))
            .tcp_nodelay(true)
            .pool_idle_timeout(Duration::from_secs(90))
            .pool_max_idle_per_host(256)
            .build()
            .map_err(|e| format!("providers.{}: cannot build HTTP client: {e}", cfg.name))?;
        let urls = Urls::new(&cfg)?;
        Ok(Provider { cfg, client, urls })
    }

    fn url(&self, endpoint: Endpoint) -> reqwest::Url {
        match endpoint {
            Endpoint::Chat => self.urls.chat.clone(),
            Endpoint::Embeddings => self.urls.embeddings.clone(),
        }
    }

    pub fn name(&self) -> &str {
        &self.cfg.name
    }

    pub async fn call(&self, a: &Attempt<'_>) -> Result<Reply, UpstreamError> {
        match self.cfg.kind {
            ProviderKind::Openai | ProviderKind::Azure => openai::call(self, a).await,
            ProviderKind::Anthropic => anthropic::call(self, a).await,
            ProviderKind::Echo => echo::call(a),
        }
    }

    /// Sends a prepared request, waiting at most `first_byte_timeout` for the answer's headers;
    /// non-2xx answers become `UpstreamError::Status` with their body.
    async fn send(&self, req: reqwest::RequestBuilder) -> Result<reqwest::Response, UpstreamError> {
        let resp = match tokio::time::timeout(self.cfg.first_byte_timeout, req.send()).await {
            Err(_) => {
                return Err(UpstreamError::Timeout(format!(
                    "no answer within {}s",
                    self.cfg.first_byte_timeout.as_secs()
                )))
            }
            Ok(Err(e)) if e.is_timeout() => return Err(UpstreamError::Timeout(e.to_string())),
            Ok(Err(e)) => return Err(UpstreamError::Connect(error_chain(&e))),
            Ok(Ok(r)) => r,
        };
        let status = resp.status().as_u16();
        if (200..300).contains(&status) {
            return Ok(resp);
        }
        let retry_after = resp
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok());
        let body = self.read_body(resp).await.unwrap_or_default();
        Err(UpstreamError::Status {
            status,
            body,
            retry_after,
        })
    }

    /// Reads a whole body within `request_timeout`.
    async fn read_body(&self, resp: reqwest::Response) -> Result<Bytes, UpstreamError> {
        match tokio::time::timeout(self.cfg.request_timeout, resp.bytes()).await {
            Err(_) => Err(UpstreamError::Timeout(format!(
                "body not complete within {}s",
                self.cfg.request_timeout.as_secs()
            ))),
            Ok(Err(e)) => Err(UpstreamError::Protocol(error_chain(&e))),
            Ok(Ok(b)) => Ok(b),
        }
    }
}

/// An error and its sources on one line (reqwest hides the useful part in `source`).
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut cur = e.source();
    while let Some(s) = cur {
        out.push_str(": ");
        out.push_str(&s.to_string());
        cur = s.source();
    }
    out
}
