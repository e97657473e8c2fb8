//! Anthropic's Messages API behind the OpenAI chat completions interface. The translation
//! itself is pure and lives in `anthropic_wire`; this file does the HTTP.

use std::collections::VecDeque;

use bytes::Bytes;
use reqwest::header::{ACCEPT, CONTENT_TYPE};

use super::anthropic_wire::{chat_to_messages, messages_to_chat, StreamTranslator};
use super::sse::{parse_event, primed, SseStream, Transform};
use super::{Attempt, Endpoint, Provider, Reply, StreamItem, UpstreamError};

pub async fn call(p: &Provider, a: &Attempt<'_>) -> Result<Reply, UpstreamError> {
    if a.endpoint == Endpoint::Embeddings {
        return Err(UpstreamError::Unsupported(format!(
            "provider '{}' (anthropic) has no embeddings",
            p.name()
        )));
    }
    let model = a
        .body
        .get("model")
        .and_then(|m| m.as_str())
        .unwrap_or_default();
    let translated = chat_to_messages(a.body, model).map_err(|e| UpstreamError::Status {
        status: 400,
        body: Bytes::from(
            serde_json::json!({"error": {"message": e.to_string(), "type": "invalid_request_error",
                "code": "unsupported_for_provider", "param": null}})
            .to_string(),
        ),
        retry_after: None,
    })?;
    let body =
        serde_json::to_vec(&translated).map_err(|e| UpstreamError::Protocol(e.to_string()))?;
    let mut req = p
        .client
        .post(p.urls.messages.clone())
        .header(CONTENT_TYPE, "application/json")
        .header("anthropic-version", &p.cfg.anthropic_version)
        .body(body);
    if let Some(key) = &p.cfg.api_key {
        req = req.header("x-api-key", key.expose());
    }
    if a.stream {
        req = req.header(ACCEPT, "text/event-stream");
    }
    let resp = p.send(req).await.map_err(translate_error)?;
    let created = chrono::Utc::now().timestamp();
    if a.stream {
        let t = Translate {
            inner: StreamTranslator::new(a.model_label, created, a.client_wants_usage),
        };
        let events = SseStream::new(resp, Box::new(t), p.cfg.request_timeout);
        return Ok(Reply::Stream(
            primed(events, p.cfg.first_byte_timeout).await?,
        ));
    }
    let raw = p.read_body(resp).await?;
    let value: serde_json::Value = serde_json::from_slice(&raw)
        .map_err(|e| UpstreamError::Protocol(format!("bad JSON from upstream: {e}")))?;
    let (chat, usage) = messages_to_chat(&value, a.model_label, created)
        .map_err(|e| UpstreamError::Protocol(e.to_string()))?;
    let body = serde_json::to_vec(&chat).map_err(|e| UpstreamError::Protocol(e.to_string()))?;
    let finish_reason = chat["choices"][0]["finish_reason"]
        .as_str()
        .map(String::from);
    Ok(Reply::Json {
        body: Bytes::from(body),
        usage: Some(usage),
        finish_reason,
    })
}

/// Anthropic error bodies become OpenAI-shaped ones so clients see their usual errors.
fn translate_error(e: UpstreamError) -> UpstreamError {
    match e {
        UpstreamError::Status {
            status,
            body,
            retry_after,
        } => {
            let parsed: Option<serde_json::Value> = serde_json::from_slice(&body).ok();
            let body = match parsed.as_ref().and_then(super::anthropic_wire::error_message) {
                Some((kind, message)) => Bytes::from(
                    serde_json::json!({"error": {"message": message, "type": kind, "code": null, "param": null}})
                        .to_string(),
                ),
                None => body,
            };
            UpstreamError::Status {
                status,
                body,
                retry_after,
            }
        }
        other => other,
    }
}

struct Translate {
    inner: StreamTranslator,
}

impl Transform for Translate {
    fn on_event(
        &mut self,
        raw: Bytes,
        out: &mut VecDeque<StreamItem>,
    ) -> Result<(), UpstreamError> {
        let (event, data) = parse_event(&raw);
        if data.is_empty() {
            return Ok(());
        }
        let chunks = self
            .inner
            .on_event(event, &data)
            .map_err(|e| UpstreamError::Protocol(e.to_string()))?;
        for chunk in chunks {
            let mut line = Vec::with_capacity(128);
            line.extend_from_slice(b"data: ");
            serde_json::to_writer(&mut line, &chunk)
                .map_err(|e| UpstreamError::Protocol(e.to_string()))?;
            line.extend_from_slice(b"\n\n");
            out.push_back(StreamItem::Data(Bytes::from(line)));
        }
        if self.inner.finished() {
            out.push_back(StreamItem::Usage(self.inner.usage()));
            out.push_back(StreamItem::Done);
        }
        Ok(())
    }

    fn on_end(&mut self, _out: &mut VecDeque<StreamItem>) -> Result<(), UpstreamError> {
        if self.inner.finished() {
            Ok(())
        } else {
            Err(UpstreamError::Protocol(
                "stream ended before message_stop".into(),
            ))
        }
    }
}
