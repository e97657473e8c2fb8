//! OpenAI-compatible upstreams (OpenAI, vLLM, Ollama, Together...) and Azure OpenAI. Bodies pass
//! through as they are; streams are relayed event by event, only the usage chunk is looked at.

use std::collections::VecDeque;

use bytes::Bytes;
use reqwest::header::{ACCEPT, CONTENT_TYPE};

use super::sse::{parse_event, primed, SseStream, Transform};
use super::{Attempt, Provider, Reply, StreamItem, UpstreamError, Usage};
use crate::config::ProviderKind;
use crate::find::finder;

pub async fn call(p: &Provider, a: &Attempt<'_>) -> Result<Reply, UpstreamError> {
    let url = p.url(a.endpoint);
    let body = serde_json::to_vec(a.body).map_err(|e| UpstreamError::Protocol(e.to_string()))?;
    let mut req = p
        .client
        .post(url)
        .header(CONTENT_TYPE, "application/json")
        .body(body);
    if let Some(key) = &p.cfg.api_key {
        req = match p.cfg.kind {
            ProviderKind::Azure => req.header("api-key", key.expose()),
            _ => req.bearer_auth(key.expose()),
        };
    }
    if a.stream {
        req = req.header(ACCEPT, "text/event-stream");
    }
    let resp = p.send(req).await?;
    if a.stream {
        let t = Passthrough {
            client_wants_usage: a.client_wants_usage,
        };
        let events = SseStream::new(resp, Box::new(t), p.cfg.request_timeout);
        return Ok(Reply::Stream(
            primed(events, p.cfg.first_byte_timeout).await?,
        ));
    }
    let body = p.read_body(resp).await?;
    let (usage, finish_reason) = facts_of(&body);
    Ok(Reply::Json {
        body,
        usage,
        finish_reason,
    })
}

/// The `usage` and first `finish_reason` of a complete JSON answer, in one pass that keeps
/// nothing else of it.
fn facts_of(body: &[u8]) -> (Option<Usage>, Option<String>) {
    #[derive(serde::Deserialize)]
    struct Choice {
        #[serde(default)]
        finish_reason: Option<String>,
    }
    #[derive(serde::Deserialize)]
    struct Facts {
        #[serde(default)]
        usage: Option<serde_json::Value>,
        #[serde(default)]
        choices: Vec<Choice>,
    }
    match serde_json::from_slice::<Facts>(body) {
        Ok(f) => (
            f.usage.as_ref().and_then(Usage::from_openai),
            f.choices.into_iter().next().and_then(|c| c.finish_reason),
        ),
        Err(_) => (None, None),
    }
}

/// Relays events untouched, except the usage-only chunk the gateway asked for on the client's
/// behalf, which it keeps for accounting and drops when the client did not ask for it.
struct Passthrough {
    client_wants_usage: bool,
}

impl Transform for Passthrough {
    fn on_event(
        &mut self,
        raw: Bytes,
        out: &mut VecDeque<StreamItem>,
    ) -> Result<(), UpstreamError> {
        // Fast path: most chunks carry `"usage":null` or no usage at all.
        let has_usage = finder!(b"\"usage\":{").find(&raw).is_some()
            || finder!(b"\"usage\": {").find(&raw).is_some();
        if !has_usage {
            if finder!(b"[DONE]").find(&raw).is_some() && parse_event(&raw).1.trim() == "[DONE]" {
                out.push_back(StreamItem::Done);
            } else {
                out.push_back(StreamItem::Data(raw));
            }
            return Ok(());
        }
        let (_, data) = parse_event(&raw);
        let chunk: serde_json::Value = serde_json::from_str(&data)
            .map_err(|e| UpstreamError::Protocol(format!("bad stream chunk: {e}")))?;
        if let Some(u) = chunk.get("usage").and_then(Usage::from_openai) {
            out.push_back(StreamItem::Usage(u));
        }
        let usage_only = chunk
            .get("choices")
            .and_then(|c| c.as_array())
            .is_some_and(|c| c.is_empty());
        if self.client_wants_usage || !usage_only {
            out.push_back(StreamItem::Data(raw));
        }
        Ok(())
    }

    fn on_end(&mut self, _out: &mut VecDeque<StreamItem>) -> Result<(), UpstreamError> {
        Ok(())
    }
}

#[cfg(test)]
mod tests;
