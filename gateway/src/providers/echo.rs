//! The built-in `echo` provider: answers with the last user message, streams it word by word,
//! and makes deterministic embeddings. No network; usage is estimated (~4 bytes a token).

use bytes::Bytes;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use super::{Attempt, Endpoint, Reply, StreamItem, UpstreamError, Usage};

const EMBEDDING_DIMS: usize = 16;

pub fn call(a: &Attempt<'_>) -> Result<Reply, UpstreamError> {
    match a.endpoint {
        Endpoint::Embeddings => embeddings(a),
        Endpoint::Chat => chat(a),
    }
}

fn estimate_tokens(text: &str) -> u64 {
    (text.len() as u64).div_ceil(4).max(1)
}

/// Text of a message `content`: a string, or the text parts of an array.
fn content_text(content: Option<&Value>) -> String {
    match content {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Array(parts)) => parts
            .iter()
            .filter_map(|p| p.get("text").and_then(Value::as_str))
            .collect::<Vec<_>>()
            .join(" "),
        _ => String::new(),
    }
}

fn chat(a: &Attempt<'_>) -> Result<Reply, UpstreamError> {
    let messages = a
        .body
        .get("messages")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[]);
    let prompt: String = messages
        .iter()
        .map(|m| content_text(m.get("content")))
        .collect::<Vec<_>>()
        .join("\n");
    let reply = messages
        .iter()
        .rev()
        .find(|m| m.get("role").and_then(Value::as_str) == Some("user"))
        .map(|m| content_text(m.get("content")))
        .unwrap_or_default();
    let usage = Usage {
        prompt_tokens: estimate_tokens(&prompt),
        completion_tokens: estimate_tokens(&reply),
        cached_tokens: 0,
        estimated: true,
    };
    let id = format!("chatcmpl-echo-{}", uuid::Uuid::now_v7().simple());
    let created = chrono::Utc::now().timestamp();
    let model = a.model_label;
    if !a.stream {
        let body = json!({
            "id": id, "object": "chat.completion", "created": created, "model": model,
            "choices": [{"index": 0, "message": {"role": "assistant", "content": reply}, "finish_reason": "stop", "logprobs": null}],
            "usage": usage.to_openai(),
        });
        return Ok(Reply::Json {
            body: to_bytes(&body)?,
            usage: Some(usage),
            finish_reason: Some("stop".into()),
        });
    }
    let chunk = |delta: Value, finish: Value| {
        json!({"id": id, "object": "chat.completion.chunk", "created": created, "model": model,
               "choices": [{"index": 0, "delta": delta, "finish_reason": finish, "logprobs": null}]})
    };
    let mut items = vec![sse(&chunk(
        json!({"role": "assistant", "content": ""}),
        Value::Null,
    ))?];
    for word in reply.split_inclusive(' ') {
        items.push(sse(&chunk(json!({"content": word}), Value::Null))?);
    }
    items.push(sse(&chunk(json!({}), json!("stop")))?);
    if a.client_wants_usage {
        let u = json!({"id": id, "object": "chat.completion.chunk", "created": created, "model": model,
                       "choices": [], "usage": usage.to_openai()});
        items.push(sse(&u)?);
    }
    items.push(Ok(StreamItem::Usage(usage)));
    items.push(Ok(StreamItem::Done));
    Ok(Reply::Stream(Box::pin(futures_util::stream::iter(items))))
}

fn embeddings(a: &Attempt<'_>) -> Result<Reply, UpstreamError> {
    let inputs: Vec<String> = match a.body.get("input") {
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(items)) => items
            .iter()
            .map(|v| {
                v.as_str()
                    .map(String::from)
                    .unwrap_or_else(|| v.to_string())
            })
            .collect(),
        _ => vec![],
    };
    let data: Vec<Value> = inputs
        .iter()
        .enumerate()
        .map(|(i, text)| json!({"object": "embedding", "index": i, "embedding": embed(text)}))
        .collect();
    let prompt_tokens: u64 = inputs.iter().map(|t| estimate_tokens(t)).sum();
    let usage = Usage {
        prompt_tokens,
        completion_tokens: 0,
        cached_tokens: 0,
        estimated: true,
    };
    let body = json!({"object": "list", "data": data, "model": a.model_label,
                      "usage": {"prompt_tokens": prompt_tokens, "total_tokens": prompt_tokens}});
    Ok(Reply::Json {
        body: to_bytes(&body)?,
        usage: Some(usage),
        finish_reason: None,
    })
}

/// A unit vector derived from the text's SHA-256: equal texts, equal vectors.
fn embed(text: &str) -> Vec<f32> {
    let digest = Sha256::digest(text.as_bytes());
    let raw: Vec<f32> = digest
        .chunks(2)
        .take(EMBEDDING_DIMS)
        .map(|c| f32::from(c[0]) - 127.5 + f32::from(c[1]) / 256.0)
        .collect();
    let norm = raw
        .iter()
        .map(|x| x * x)
        .sum::<f32>()
        .sqrt()
        .max(f32::EPSILON);
    raw.into_iter().map(|x| x / norm).collect()
}

fn to_bytes(v: &Value) -> Result<Bytes, UpstreamError> {
    serde_json::to_vec(v)
        .map(Bytes::from)
        .map_err(|e| UpstreamError::Protocol(e.to_string()))
}

fn sse(v: &Value) -> Result<Result<StreamItem, UpstreamError>, UpstreamError> {
    let mut line = b"data: ".to_vec();
    serde_json::to_writer(&mut line, v).map_err(|e| UpstreamError::Protocol(e.to_string()))?;
    line.extend_from_slice(b"\n\n");
    Ok(Ok(StreamItem::Data(Bytes::from(line))))
}
