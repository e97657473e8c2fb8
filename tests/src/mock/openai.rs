//! OpenAI wire format (also served for Azure deployments).

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::body::Bytes;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use serde_json::{json, Map, Value};

use super::steer::{content_text, last_user_text, rough_tokens, small_pieces, Steer};
use super::{event_stream, gate, sse, Gate, MockState};

/// The models `GET /v1/models` lists.
pub const MODELS: &[&str] = &["upstream-model", "mock-model", "upstream-embed"];

pub(super) fn models() -> Response {
    let data: Vec<Value> = MODELS
        .iter()
        .map(
            |id| json!({"id": id, "object": "model", "created": 1_700_000_000, "owned_by": "mock"}),
        )
        .collect();
    axum::Json(json!({"object": "list", "data": data})).into_response()
}

pub(super) fn error(status: StatusCode, message: &str) -> Response {
    let (kind, code) = match status.as_u16() {
        429 => ("rate_limit_error", Value::from("rate_limit_exceeded")),
        400..=499 => ("invalid_request_error", Value::Null),
        _ => ("server_error", Value::Null),
    };
    let body = json!({"error": {"message": message, "type": kind, "param": null, "code": code}});
    (status, axum::Json(body)).into_response()
}

fn steered_failure(status: StatusCode) -> Response {
    error(
        status,
        &format!("mock: steered failure with status {}", status.as_u16()),
    )
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

fn usage_json(prompt: u64, completion: u64) -> Value {
    json!({
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
        "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
        "completion_tokens_details": {"reasoning_tokens": 0, "audio_tokens": 0, "accepted_prediction_tokens": 0, "rejected_prediction_tokens": 0},
    })
}

fn prompt_tokens(body: &Value) -> u64 {
    let text: String = body
        .get("messages")
        .and_then(Value::as_array)
        .map(|ms| {
            ms.iter()
                .map(|m| content_text(m.get("content").unwrap_or(&Value::Null)) + " ")
                .collect()
        })
        .unwrap_or_default();
    rough_tokens(&text)
}

pub(super) async fn chat(st: Arc<MockState>, body: Value) -> Response {
    if !body.is_object() {
        return error(StatusCode::BAD_REQUEST, "mock: body must be a JSON object");
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
        return steered_failure(status);
    }
    let (text, pieces) = steer.text_and_pieces(&last_user);
    let (prompt, completion) = match steer.usage {
        Some(u) => (u.prompt_tokens, u.completion_tokens),
        None => (prompt_tokens(&body), (pieces.len() as u64).max(1)),
    };
    let id = format!("chatcmpl-mock-{}", st.next_id());
    let finish = if steer.tool_calls.is_empty() {
        "stop"
    } else {
        "tool_calls"
    };
    if body.get("stream").and_then(Value::as_bool) != Some(true) {
        let tool_calls: Vec<Value> = steer
            .tool_calls
            .iter()
            .enumerate()
            .map(|(i, t)| json!({"id": format!("call_mock_{i}"), "type": "function", "function": {"name": t.name, "arguments": t.arguments.to_string()}}))
            .collect();
        let mut message = json!({"role": "assistant", "content": if text.is_empty() && !tool_calls.is_empty() { Value::Null } else { Value::from(text) }, "refusal": null});
        match (steer.legacy_function_call, steer.tool_calls.first()) {
            (true, Some(t)) => insert(
                &mut message,
                "function_call",
                json!({"name": t.name, "arguments": t.arguments.to_string()}),
            ),
            _ if !tool_calls.is_empty() => {
                insert(&mut message, "tool_calls", Value::from(tool_calls))
            }
            _ => {}
        }
        let mut answer = json!({
            "id": id,
            "object": "chat.completion",
            "created": now(),
            "model": model,
            "choices": [{"index": 0, "message": message, "logprobs": null, "finish_reason": finish}],
            "usage": usage_json(prompt, completion),
            "system_fingerprint": "fp_mock",
        });
        if steer.omit_usage {
            if let Some(o) = answer.as_object_mut() {
                o.remove("usage");
            }
        }
        return axum::Json(answer).into_response();
    }

    let include_usage = body
        .pointer("/stream_options/include_usage")
        .and_then(Value::as_bool)
        == Some(true);
    let frame = ChunkFrame {
        id,
        created: now(),
        model,
        include_usage,
    };
    let pause = Duration::from_millis(steer.chunk_delay_ms);
    if let Some(raw) = &steer.raw_events {
        let mut events: Vec<_> = (raw.iter())
            .map(|d| (pause, Bytes::from(format!("data: {d}\n\n"))))
            .collect();
        events.push((Duration::ZERO, sse::done()));
        return event_stream(st, events);
    }
    let mut events = vec![(
        Duration::ZERO,
        frame.chunk(
            json!({"role": "assistant", "content": "", "refusal": null}),
            Value::Null,
        ),
    )];
    for (i, piece) in pieces.iter().enumerate() {
        let before = if i == 0 { Duration::ZERO } else { pause };
        events.push((before, frame.chunk(json!({"content": piece}), Value::Null)));
    }
    if let (true, Some(t)) = (steer.legacy_function_call, steer.tool_calls.first()) {
        let head = json!({"function_call": {"name": t.name, "arguments": ""}});
        events.push((pause, frame.chunk(head, Value::Null)));
        for p in small_pieces(&t.arguments.to_string(), 3) {
            let piece = json!({"function_call": {"arguments": p}});
            events.push((pause, frame.chunk(piece, Value::Null)));
        }
    }
    let calls = if steer.legacy_function_call {
        &[][..]
    } else {
        &steer.tool_calls[..]
    };
    for (i, t) in calls.iter().enumerate() {
        let head = json!({"tool_calls": [{"index": i, "id": format!("call_mock_{i}"), "type": "function", "function": {"name": t.name, "arguments": ""}}]});
        events.push((pause, frame.chunk(head, Value::Null)));
        for p in small_pieces(&t.arguments.to_string(), 3) {
            events.push((
                pause,
                frame.chunk(
                    json!({"tool_calls": [{"index": i, "function": {"arguments": p}}]}),
                    Value::Null,
                ),
            ));
        }
    }
    events.push((Duration::ZERO, frame.chunk(json!({}), Value::from(finish))));
    if include_usage && !steer.omit_usage {
        let mut last = frame.base();
        insert(&mut last, "choices", json!([]));
        insert(&mut last, "usage", usage_json(prompt, completion));
        events.push((Duration::ZERO, sse::data(&last)));
    }
    events.push((Duration::ZERO, sse::done()));
    event_stream(st, events)
}

struct ChunkFrame {
    id: String,
    created: u64,
    model: String,
    include_usage: bool,
}

impl ChunkFrame {
    fn base(&self) -> Value {
        json!({"id": self.id, "object": "chat.completion.chunk", "created": self.created, "model": self.model, "system_fingerprint": "fp_mock"})
    }

    fn chunk(&self, delta: Value, finish: Value) -> axum::body::Bytes {
        let mut c = self.base();
        insert(
            &mut c,
            "choices",
            json!([{"index": 0, "delta": delta, "logprobs": null, "finish_reason": finish}]),
        );
        if self.include_usage {
            insert(&mut c, "usage", Value::Null);
        }
        sse::data(&c)
    }
}

fn insert(v: &mut Value, key: &str, value: Value) {
    if let Some(m) = v.as_object_mut() {
        m.insert(key.to_owned(), value);
    }
}

pub(super) async fn embeddings(st: &MockState, body: Value) -> Response {
    let model = body
        .get("model")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_owned();
    let steer = match Steer::from_request(&body, "") {
        Ok(s) => s,
        Err(e) => return error(StatusCode::BAD_REQUEST, &format!("mock: {e}")),
    };
    if let Gate::Fail(status) = gate(st, &steer, &model).await {
        return steered_failure(status);
    }
    let inputs: Vec<String> = match body.get("input") {
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(a)) if a.iter().all(Value::is_number) => {
            vec![Value::from(a.clone()).to_string()]
        }
        Some(Value::Array(a)) => a
            .iter()
            .map(|x| x.as_str().map_or_else(|| x.to_string(), str::to_owned))
            .collect(),
        _ => return error(StatusCode::BAD_REQUEST, "mock: `input` is required"),
    };
    let dims = body
        .get("dimensions")
        .and_then(Value::as_u64)
        .unwrap_or(8)
        .clamp(1, 4096) as usize;
    let as_base64 = body.get("encoding_format").and_then(Value::as_str) == Some("base64");
    let data: Vec<Value> = inputs
        .iter()
        .enumerate()
        .map(|(index, text)| {
            let v = vector(text, dims);
            let embedding = if as_base64 {
                let bytes: Vec<u8> = v.iter().flat_map(|f| f.to_le_bytes()).collect();
                Value::from(base64::engine::general_purpose::STANDARD.encode(bytes))
            } else {
                Value::from(v)
            };
            json!({"object": "embedding", "index": index, "embedding": embedding})
        })
        .collect();
    let tokens: u64 = inputs.iter().map(|t| rough_tokens(t)).sum();
    let mut out = Map::new();
    out.insert("object".into(), "list".into());
    out.insert("data".into(), data.into());
    out.insert("model".into(), model.into());
    out.insert(
        "usage".into(),
        json!({"prompt_tokens": tokens, "total_tokens": tokens}),
    );
    axum::Json(Value::Object(out)).into_response()
}

/// A deterministic unit-ish vector for a text.
fn vector(text: &str, dims: usize) -> Vec<f32> {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in text.bytes() {
        h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
    }
    (0..dims)
        .map(|i| {
            let x = (h ^ (i as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15))
                .wrapping_mul(0xff51_afd7_ed55_8ccd);
            ((x >> 40) % 2001) as f32 / 1000.0 - 1.0
        })
        .collect()
}
