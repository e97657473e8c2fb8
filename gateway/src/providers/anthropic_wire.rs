//! OpenAI Chat Completions <-> Anthropic Messages (API version 2023-06-01), both directions,
//! non-streaming and streaming, tool calls included.
//!
//! Pure data in, data out: no I/O, no clock (the caller passes `created`). The HTTP side
//! (headers `x-api-key`, `anthropic-version`, SSE framing) belongs to the provider client.

use serde_json::{json, Map, Value};

use super::usage::Usage;

/// Anthropic requires `max_tokens`; OpenAI clients usually leave it out.
const DEFAULT_MAX_TOKENS: u64 = 4096;

#[derive(Debug, thiserror::Error)]
pub enum TranslateError {
    /// A message of the OpenAI request cannot be expressed for Anthropic (index, reason).
    #[error("messages[{0}]: {1}")]
    BadMessage(usize, String),
    /// A top-level request field is malformed or has no Anthropic equivalent (field, reason).
    #[error("{0}: {1}")]
    BadField(String, String),
    /// Anthropic sent a body or stream event this module cannot read.
    #[error("upstream sent {0}")]
    BadUpstream(String),
    /// Anthropic reported an error inside a stream (its `error.message`).
    #[error("upstream error: {0}")]
    Upstream(String),
}

fn bad_field(field: &str, reason: &str) -> TranslateError {
    TranslateError::BadField(field.to_owned(), reason.to_owned())
}

fn bad_upstream(what: &str) -> TranslateError {
    TranslateError::BadUpstream(what.to_owned())
}

/// `v[key]` as a string.
fn str_at<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key).and_then(Value::as_str)
}

/// Present and not `null`.
fn field<'a>(obj: &'a Map<String, Value>, key: &str) -> Option<&'a Value> {
    obj.get(key).filter(|v| !v.is_null())
}

// ---------------------------------------------------------------------------------------------
// Request: OpenAI chat -> Anthropic messages
// ---------------------------------------------------------------------------------------------

mod request;
mod stream;

pub use request::chat_to_messages;
pub use stream::StreamTranslator;

/// Anthropic `stop_reason` -> OpenAI `finish_reason`.
fn finish_reason(stop_reason: &str) -> &'static str {
    match stop_reason {
        "max_tokens" | "model_context_window_exceeded" => "length",
        "tool_use" => "tool_calls",
        "refusal" => "content_filter",
        // end_turn, stop_sequence, pause_turn, and reasons added later.
        _ => "stop",
    }
}

/// Anthropic usage counters. Streams report cumulative values, so each update overwrites.
#[derive(Debug, Clone, Copy, Default)]
struct RawUsage {
    input: u64,
    cache_read: u64,
    cache_creation: u64,
    output: u64,
}

impl RawUsage {
    fn update(&mut self, usage: Option<&Value>) {
        let Some(usage) = usage else { return };
        let fields = [
            ("input_tokens", &mut self.input),
            ("cache_read_input_tokens", &mut self.cache_read),
            ("cache_creation_input_tokens", &mut self.cache_creation),
            ("output_tokens", &mut self.output),
        ];
        for (key, slot) in fields {
            if let Some(n) = usage.get(key).and_then(Value::as_u64) {
                *slot = n;
            }
        }
    }

    /// Anthropic's `input_tokens` excludes cached tokens; OpenAI's `prompt_tokens` includes them.
    fn to_usage(self) -> Usage {
        Usage {
            prompt_tokens: self.input + self.cache_read + self.cache_creation,
            completion_tokens: self.output,
            cached_tokens: self.cache_read,
            estimated: false,
        }
    }
}

/// `id` and `name` of an Anthropic `tool_use` block.
fn id_and_name(block: &Value) -> Result<(&str, &str), TranslateError> {
    match (str_at(block, "id"), str_at(block, "name")) {
        (Some(id), Some(name)) => Ok((id, name)),
        _ => Err(bad_upstream("a tool_use block without id or name")),
    }
}

/// Anthropic non-streaming response -> OpenAI `chat.completion`, plus its usage.
/// Thinking and server-tool blocks have no Chat Completions equivalent and are skipped.
pub fn messages_to_chat(
    resp: &Value,
    model_label: &str,
    created: i64,
) -> Result<(Value, Usage), TranslateError> {
    let id = str_at(resp, "id").ok_or_else(|| bad_upstream("a message without an id"))?;
    let blocks = resp
        .get("content")
        .and_then(Value::as_array)
        .ok_or_else(|| bad_upstream("a message without a content array"))?;
    let mut text: Option<String> = None;
    let mut tool_calls = Vec::new();
    for block in blocks {
        match str_at(block, "type") {
            Some("text") => {
                let piece = str_at(block, "text").unwrap_or_default();
                text.get_or_insert_with(String::new).push_str(piece);
            }
            Some("tool_use") => {
                let (call_id, name) = id_and_name(block)?;
                let arguments = block
                    .get("input")
                    .map_or_else(|| "{}".to_owned(), Value::to_string);
                tool_calls.push(json!({
                    "id": call_id,
                    "type": "function",
                    "function": {"name": name, "arguments": arguments},
                }));
            }
            _ => {}
        }
    }
    let mut message = Map::new();
    message.insert("role".into(), "assistant".into());
    message.insert("content".into(), text.map_or(Value::Null, Value::String));
    if !tool_calls.is_empty() {
        message.insert("tool_calls".into(), Value::Array(tool_calls));
    }
    let stop = str_at(resp, "stop_reason").unwrap_or("end_turn");
    let mut raw = RawUsage::default();
    raw.update(resp.get("usage"));
    let usage = raw.to_usage();
    let body = json!({
        "id": format!("chatcmpl-{id}"),
        "object": "chat.completion",
        "created": created,
        "model": model_label,
        "choices": [{
            "index": 0,
            "message": message,
            "logprobs": null,
            "finish_reason": finish_reason(stop),
        }],
        "usage": usage.to_openai(),
    });
    Ok((body, usage))
}

/// Anthropic error body `{type: "error", error: {type, message}}` -> (OpenAI error `type`, message).
/// invalid_request_error and request_too_large -> invalid_request_error; authentication_error,
/// permission_error, not_found_error, rate_limit_error keep their names; the rest (api_error,
/// overloaded_error, unknown) -> server_error.
pub fn error_message(body: &Value) -> Option<(String, String)> {
    let error = body.get("error")?;
    let message = str_at(error, "message")?;
    let kind = match str_at(error, "type").unwrap_or_default() {
        "invalid_request_error" | "request_too_large" => "invalid_request_error",
        known @ ("authentication_error"
        | "permission_error"
        | "not_found_error"
        | "rate_limit_error") => known,
        _ => "server_error",
    };
    Some((kind.to_owned(), message.to_owned()))
}

// ---------------------------------------------------------------------------------------------
// Streaming: Anthropic SSE events -> OpenAI chat.completion.chunk objects
// ---------------------------------------------------------------------------------------------

#[cfg(test)]
mod tests;
