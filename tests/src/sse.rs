//! Reading server-sent events on the client side, with the time each event arrived.

use std::time::{Duration, Instant};

use futures_util::StreamExt as _;
use serde_json::Value;

/// One event: its `event:` name (if any), its `data:` lines joined, and when it arrived.
#[derive(Debug, Clone)]
pub struct SseEvent {
    pub event: Option<String>,
    pub data: String,
    /// Time since the `since` instant given to [`collect`].
    pub at: Duration,
}

impl SseEvent {
    pub fn is_done(&self) -> bool {
        self.data == "[DONE]"
    }

    /// The data as JSON (`None` for `[DONE]` or non-JSON data).
    pub fn json(&self) -> Option<Value> {
        serde_json::from_str(&self.data).ok()
    }
}

/// Splits complete events off the front of `buf`.
fn drain_events(buf: &mut String, since: Instant, out: &mut Vec<SseEvent>) {
    while let Some(end) = buf.find("\n\n") {
        let block: String = buf.drain(..end + 2).collect();
        let mut event = None;
        let mut data: Vec<&str> = Vec::new();
        for line in block.lines() {
            if let Some(v) = line.strip_prefix("event:") {
                event = Some(v.trim().to_owned());
            } else if let Some(v) = line.strip_prefix("data:") {
                data.push(v.strip_prefix(' ').unwrap_or(v));
            }
        }
        if event.is_some() || !data.is_empty() {
            out.push(SseEvent {
                event,
                data: data.join("\n"),
                at: since.elapsed(),
            });
        }
    }
}

/// Reads the whole body as events. Errors reading the body end the list (a cut stream shows as
/// a list without `[DONE]`).
pub async fn collect(resp: reqwest::Response, since: Instant) -> Vec<SseEvent> {
    let mut out = Vec::new();
    let mut buf = String::new();
    let mut body = resp.bytes_stream();
    while let Some(Ok(bytes)) = body.next().await {
        buf.push_str(&String::from_utf8_lossy(&bytes).replace('\r', ""));
        drain_events(&mut buf, since, &mut out);
    }
    out
}

/// The JSON chunks of an OpenAI stream (everything but `[DONE]`).
pub fn chunks(events: &[SseEvent]) -> Vec<Value> {
    events.iter().filter_map(SseEvent::json).collect()
}

/// The concatenated `choices[0].delta.content` of OpenAI chunks.
pub fn content(chunks: &[Value]) -> String {
    chunks
        .iter()
        .filter_map(|c| {
            c.pointer("/choices/0/delta/content")
                .and_then(Value::as_str)
        })
        .collect()
}

/// The concatenated `function.arguments` of tool call `index` in OpenAI chunks, and its name.
pub fn tool_call(chunks: &[Value], index: u64) -> (Option<String>, String) {
    let mut name = None;
    let mut args = String::new();
    for c in chunks {
        let Some(calls) = c
            .pointer("/choices/0/delta/tool_calls")
            .and_then(Value::as_array)
        else {
            continue;
        };
        for call in calls
            .iter()
            .filter(|t| t.get("index").and_then(Value::as_u64) == Some(index))
        {
            if let Some(n) = call.pointer("/function/name").and_then(Value::as_str) {
                name = Some(n.to_owned());
            }
            if let Some(a) = call.pointer("/function/arguments").and_then(Value::as_str) {
                args.push_str(a);
            }
        }
    }
    (name, args)
}
