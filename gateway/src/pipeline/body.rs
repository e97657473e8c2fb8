//! Reading a request body within the size limit, and checking the fields Parapet relies on.
//! Every other field passes through untouched.

use axum::body::Body;
use bytes::BytesMut;
use futures_util::StreamExt;
use serde_json::{Map, Value};

use crate::error::ApiError;

/// Reads the whole body, refusing it as soon as it passes `limit` bytes.
pub async fn read_limited(
    body: Body,
    declared_len: Option<u64>,
    limit: usize,
) -> Result<bytes::Bytes, ApiError> {
    if declared_len.is_some_and(|n| n > limit as u64) {
        return Err(ApiError::TooLarge { limit });
    }
    let mut stream = body.into_data_stream();
    let mut buf = BytesMut::with_capacity(declared_len.map_or(4096, |n| n as usize));
    while let Some(chunk) = stream.next().await {
        let chunk = chunk
            .map_err(|e| ApiError::InvalidJson(format!("request body could not be read: {e}")))?;
        if buf.len() + chunk.len() > limit {
            return Err(ApiError::TooLarge { limit });
        }
        buf.extend_from_slice(&chunk);
    }
    Ok(buf.freeze())
}

/// Parses a body that must be a JSON object, naming the problem when it is not.
pub fn parse_object(bytes: &[u8]) -> Result<Map<String, Value>, ApiError> {
    if let Err(e) = std::str::from_utf8(bytes) {
        return Err(ApiError::InvalidEncoding(e.valid_up_to()));
    }
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::InvalidJson("the body is empty".into()));
    }
    match serde_json::from_slice::<Value>(bytes) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(ApiError::invalid_type("body", "a JSON object")),
        Err(e) => Err(ApiError::InvalidJson(e.to_string())),
    }
}

/// What Parapet needs to know of a chat completions request.
#[derive(Debug, Clone, PartialEq)]
pub struct ChatView {
    pub model: String,
    pub stream: bool,
    pub client_wants_usage: bool,
}

fn model_of(map: &Map<String, Value>) -> Result<String, ApiError> {
    match map.get("model") {
        None | Some(Value::Null) => Err(ApiError::MissingField("model")),
        Some(Value::String(s)) if s.is_empty() => Err(ApiError::MissingField("model")),
        Some(Value::String(s)) => Ok(s.clone()),
        Some(_) => Err(ApiError::invalid_type("model", "a string")),
    }
}

/// `field` must be of the kind `check` accepts when present (null counts as absent).
fn optional(
    map: &Map<String, Value>,
    field: &str,
    expected: &'static str,
    check: fn(&Value) -> bool,
) -> Result<(), ApiError> {
    match map.get(field) {
        None | Some(Value::Null) => Ok(()),
        Some(v) if check(v) => Ok(()),
        Some(_) => Err(ApiError::invalid_type(field, expected)),
    }
}

pub fn check_chat(map: &Map<String, Value>) -> Result<ChatView, ApiError> {
    let model = model_of(map)?;
    let messages = match map.get("messages") {
        None | Some(Value::Null) => return Err(ApiError::MissingField("messages")),
        Some(Value::Array(m)) => m,
        Some(_) => {
            return Err(ApiError::invalid_type(
                "messages",
                "an array of message objects",
            ))
        }
    };
    if messages.is_empty() {
        return Err(ApiError::InvalidValue {
            field: "messages".into(),
            reason: "must contain at least one message".into(),
        });
    }
    for (i, m) in messages.iter().enumerate() {
        let Some(obj) = m.as_object() else {
            return Err(ApiError::invalid_type(
                format!("messages[{i}]"),
                "an object",
            ));
        };
        match obj.get("role") {
            Some(Value::String(_)) => {}
            None => {
                return Err(ApiError::InvalidValue {
                    field: format!("messages[{i}].role"),
                    reason: "is required".into(),
                })
            }
            Some(_) => {
                return Err(ApiError::invalid_type(
                    format!("messages[{i}].role"),
                    "a string",
                ))
            }
        }
        match obj.get("content") {
            None | Some(Value::Null | Value::String(_) | Value::Array(_)) => {}
            Some(_) => {
                return Err(ApiError::invalid_type(
                    format!("messages[{i}].content"),
                    "a string or an array of parts",
                ))
            }
        }
    }
    optional(map, "stream", "a boolean", Value::is_boolean)?;
    optional(map, "stream_options", "an object", Value::is_object)?;
    optional(map, "n", "an integer", Value::is_u64)?;
    optional(map, "max_tokens", "an integer", Value::is_u64)?;
    optional(map, "max_completion_tokens", "an integer", Value::is_u64)?;
    optional(map, "temperature", "a number", Value::is_number)?;
    optional(map, "top_p", "a number", Value::is_number)?;
    optional(map, "tools", "an array", Value::is_array)?;
    optional(map, "tool_choice", "a string or an object", |v| {
        v.is_string() || v.is_object()
    })?;
    optional(map, "response_format", "an object", Value::is_object)?;
    optional(map, "logprobs", "a boolean", Value::is_boolean)?;
    let stream = map.get("stream").and_then(Value::as_bool).unwrap_or(false);
    let client_wants_usage = map
        .get("stream_options")
        .and_then(|o| o.get("include_usage"))
        .and_then(Value::as_bool)
        .unwrap_or(false);
    Ok(ChatView {
        model,
        stream,
        client_wants_usage,
    })
}

pub fn check_embeddings(map: &Map<String, Value>) -> Result<String, ApiError> {
    let model = model_of(map)?;
    match map.get("input") {
        None | Some(Value::Null) => Err(ApiError::MissingField("input")),
        Some(Value::String(_) | Value::Array(_)) => Ok(model),
        Some(_) => Err(ApiError::invalid_type("input", "a string or an array")),
    }
}

#[cfg(test)]
mod tests;
