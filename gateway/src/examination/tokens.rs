//! Token estimates for when an upstream reports no usage, and for the cost a call may reach
//! before it is forwarded (the budget reservation).
//!
//! The estimate is OpenAI's rule of thumb, one token per four bytes of UTF-8 text (rounded up),
//! plus four tokens per chat message for the role and separators. A real tokenizer
//! (`tiktoken-rs`) would be exact for OpenAI models only, adds megabytes of BPE tables and
//! their build time, and is wrong for Anthropic and open models anyway; estimated usage is
//! flagged `usage_estimated` in the audit record so nobody mistakes it for a provider's count.

use serde_json::{Map, Value};

/// Tokens added per chat message (role, separators), as OpenAI counts them.
const PER_MESSAGE: u64 = 4;

/// Completion tokens assumed for a reservation when the request sets no `max_tokens`.
pub const DEFAULT_MAX_OUTPUT: u64 = 1024;

/// Tokens of a text: one per four bytes, rounded up.
pub fn text(s: &str) -> u64 {
    (s.len() as u64).div_ceil(4)
}

fn content(v: &Value) -> u64 {
    match v {
        Value::String(s) => text(s),
        Value::Array(parts) => parts
            .iter()
            .map(|p| match p.get("text") {
                Some(Value::String(s)) => text(s),
                _ => 0,
            })
            .sum(),
        _ => 0,
    }
}

/// The prompt tokens of a chat or embeddings request body.
pub fn prompt(body: &Map<String, Value>) -> u64 {
    if let Some(messages) = body.get("messages").and_then(Value::as_array) {
        return messages
            .iter()
            .map(|m| PER_MESSAGE + m.get("content").map(content).unwrap_or(0))
            .sum();
    }
    match body.get("input") {
        Some(Value::String(s)) => text(s),
        Some(Value::Array(items)) => items
            .iter()
            .map(|i| match i {
                Value::String(s) => text(s),
                // Token-id arrays are already tokens.
                Value::Array(ids) => ids.len() as u64,
                _ => 1,
            })
            .sum(),
        _ => 0,
    }
}

/// The most completion tokens a request may produce: its `max_completion_tokens` or
/// `max_tokens`, else `DEFAULT_MAX_OUTPUT`; zero for embeddings (no `messages`).
pub fn max_output(body: &Map<String, Value>) -> u64 {
    if !body.contains_key("messages") {
        return 0;
    }
    ["max_completion_tokens", "max_tokens"]
        .iter()
        .find_map(|k| body.get(*k).and_then(Value::as_u64))
        .unwrap_or(DEFAULT_MAX_OUTPUT)
}

/// The completion tokens of a complete chat answer body (every choice's message content).
pub fn answer(body: &[u8]) -> u64 {
    let Ok(v) = serde_json::from_slice::<Value>(body) else {
        return 0;
    };
    v.get("choices")
        .and_then(Value::as_array)
        .map(|cs| {
            cs.iter()
                .map(|c| {
                    let m = c.get("message");
                    let text_tokens = m.and_then(|m| m.get("content")).map(content).unwrap_or(0);
                    let tool_tokens = m
                        .and_then(|m| m.get("tool_calls"))
                        .map(|t| text(&t.to_string()))
                        .unwrap_or(0);
                    text_tokens + tool_tokens
                })
                .sum()
        })
        .unwrap_or(0)
}

/// The bytes of `"content":"..."` values in one stream event, without parsing it (escapes
/// count as written: close enough for an estimate).
pub fn streamed_content_bytes(event: &[u8]) -> u64 {
    const KEY: &[u8] = b"\"content\":\"";
    let mut total = 0u64;
    let mut rest = event;
    while let Some(at) = crate::find::finder!(KEY).find(rest) {
        rest = &rest[at + KEY.len()..];
        let mut len = 0usize;
        let mut escaped = false;
        for &c in rest {
            if escaped {
                escaped = false;
            } else if c == b'\\' {
                escaped = true;
            } else if c == b'"' {
                break;
            }
            len += 1;
        }
        total += len as u64;
        rest = &rest[len.min(rest.len())..];
    }
    total
}

#[cfg(test)]
mod tests;
