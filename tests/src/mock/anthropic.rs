//! Anthropic Messages API (version 2023-06-01).

use std::sync::Arc;
use std::time::Duration;

use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};

use super::steer::{content_text, last_user_text, rough_tokens, small_pieces, Steer};
use super::{event_stream, gate, sse, Gate, MockState};

fn error(status: StatusCode, message: &str) -> Response {
    let kind = match status.as_u16() {
        400 => "invalid_request_error",
        401 => "authentication_error",
        403 => "permission_error",
        404 => "not_found_error",
        429 => "rate_limit_error",
        529 => "overloaded_error",
        _ => "api_error",
    };
    (
        status,
        axum::Json(json!({"type": "error", "error": {"type": kind, "message": message}})),
    )
        .into_response()
}

/// What a well-formed Messages request must look like; the first problem found.
fn refusal(headers: &HeaderMap, body: &Value) -> Option<Response> {
    let bad = |m: &str| Some(error(StatusCode::BAD_REQUEST, m));
    if !headers.contains_key("x-api-key") {
        return Some(error(
            StatusCode::UNAUTHORIZED,
            "x-api-key header is required",
        ));
    }
    if !headers.contains_key("anthropic-version") {
        return bad("anthropic-version: header is required");
    }
    if !body.get("max_tokens").is_some_and(Value::is_u64) {
        return bad("max_tokens: Field required");
    }
    let Some(messages) = body.get("messages").and_then(Value::as_array) else {
        return bad("messages: Field required");
    };
    for m in messages {
        match m.get("role").and_then(Value::as_str) {
            Some("user" | "assistant") => {}
            other => return bad(&format!("messages: Unexpected role {other:?}; use the top-level `system` parameter for a system prompt")),
        }
    }
    if let Some(tools) = body.get("tools").and_then(Value::as_array) {
        if tools
            .iter()
            .any(|t| t.get("name").is_none() || t.get("input_schema").is_none())
        {
            return bad("tools: each tool needs `name` and `input_schema`");
        }
    }
    None
}

pub(super) async fn messages(st: Arc<MockState>, headers: &HeaderMap, body: Value) -> Response {
    if let Some(r) = refusal(headers, &body) {
        return r;
    }
    let model = body
        .get("model")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_owned();
    let last_user = last_user_text(&body);
    let steer = match Steer::from_request(&body, &last_user) {
        Ok(s) => s,
        Err(e) => return error(StatusCode::BAD_REQUEST, &format!("mock: {e}")),
    };
    if let Gate::Fail(status) = gate(&st, &steer, &model).await {
        return error(
            status,
            &format!("mock: steered failure with status {}", status.as_u16()),
        );
    }
    let (text, pieces) = steer.text_and_pieces(&last_user);
    let (input_tokens, output_tokens) = match steer.usage {
        Some(u) => (u.prompt_tokens, u.completion_tokens),
        None => {
            let all: String = body
                .get("messages")
                .and_then(Value::as_array)
                .map(|ms| {
                    ms.iter()
                        .map(|m| content_text(m.get("content").unwrap_or(&Value::Null)) + " ")
                        .collect()
                })
                .unwrap_or_default();
            (rough_tokens(&all), (pieces.len() as u64).max(1))
        }
    };
    let id = format!("msg_mock_{}", st.next_id());
    let stop_reason = if steer.tool_calls.is_empty() {
        "end_turn"
    } else {
        "tool_use"
    };
    let with_text = !text.is_empty() || steer.tool_calls.is_empty();

    if body.get("stream").and_then(Value::as_bool) != Some(true) {
        let mut content = Vec::new();
        if with_text {
            content.push(json!({"type": "text", "text": text}));
        }
        for (i, t) in steer.tool_calls.iter().enumerate() {
            content.push(json!({"type": "tool_use", "id": format!("toolu_mock_{i}"), "name": t.name, "input": t.arguments}));
        }
        return axum::Json(json!({
            "id": id, "type": "message", "role": "assistant", "model": model, "content": content,
            "stop_reason": stop_reason, "stop_sequence": null,
            "usage": {"input_tokens": input_tokens, "output_tokens": output_tokens},
        }))
        .into_response();
    }

    let pause = Duration::from_millis(steer.chunk_delay_ms);
    let start = json!({"type": "message_start", "message": {
        "id": id, "type": "message", "role": "assistant", "model": model, "content": [],
        "stop_reason": null, "stop_sequence": null, "usage": {"input_tokens": input_tokens, "output_tokens": 1}}});
    let mut events = vec![(Duration::ZERO, sse::event("message_start", &start))];
    let mut index = 0usize;
    if with_text {
        events.push((Duration::ZERO, sse::event("content_block_start", &json!({"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}}))));
        events.push((Duration::ZERO, sse::event("ping", &json!({"type": "ping"}))));
        for (i, piece) in pieces.iter().enumerate() {
            let before = if i == 0 { Duration::ZERO } else { pause };
            let delta = json!({"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": piece}});
            events.push((before, sse::event("content_block_delta", &delta)));
        }
        events.push((
            Duration::ZERO,
            sse::event(
                "content_block_stop",
                &json!({"type": "content_block_stop", "index": 0}),
            ),
        ));
        index = 1;
    }
    for (i, t) in steer.tool_calls.iter().enumerate() {
        let at = index + i;
        let head = json!({"type": "content_block_start", "index": at, "content_block": {"type": "tool_use", "id": format!("toolu_mock_{i}"), "name": t.name, "input": {}}});
        events.push((pause, sse::event("content_block_start", &head)));
        let mut parts = vec![String::new()];
        parts.extend(small_pieces(&t.arguments.to_string(), 3));
        for p in parts {
            let delta = json!({"type": "content_block_delta", "index": at, "delta": {"type": "input_json_delta", "partial_json": p}});
            events.push((pause, sse::event("content_block_delta", &delta)));
        }
        events.push((
            Duration::ZERO,
            sse::event(
                "content_block_stop",
                &json!({"type": "content_block_stop", "index": at}),
            ),
        ));
    }
    let delta = json!({"type": "message_delta", "delta": {"stop_reason": stop_reason, "stop_sequence": null}, "usage": {"output_tokens": output_tokens}});
    events.push((Duration::ZERO, sse::event("message_delta", &delta)));
    events.push((
        Duration::ZERO,
        sse::event("message_stop", &json!({"type": "message_stop"})),
    ));
    event_stream(st, events)
}
