//! Holding back streamed tool calls until each is complete and checked. Text deltas pass as
//! they come; events that carry tool-call deltas are held (in order) until the choice finishes,
//! then every call is checked: all allowed releases the held events at once, one refused ends
//! the stream with an error event, and the refused call never reaches the client.

use std::collections::BTreeMap;

use bytes::{Bytes, BytesMut};
use serde_json::Value;

use crate::error::ApiError;
use crate::find::finder;

/// Checks one complete call: `(tool name, arguments JSON text)`.
pub type CallCheck = Box<dyn Fn(&str, &str) -> Result<(), ApiError> + Send>;

pub struct ToolHold {
    check: CallCheck,
    held: Vec<Bytes>,
    /// Tool calls being assembled, by `index`: (name, arguments so far).
    calls: BTreeMap<u64, (String, String)>,
}

pub enum Hold {
    /// Send these bytes now (possibly several events released at once).
    Send(Bytes),
    /// Nothing to send yet.
    Held,
    /// A call was refused: end the stream with this error.
    Deny(ApiError),
}

impl ToolHold {
    pub fn new(check: CallCheck) -> Self {
        ToolHold {
            check,
            held: Vec::new(),
            calls: BTreeMap::new(),
        }
    }

    /// Feeds one SSE event (`data: {...}\n\n`).
    pub fn feed(&mut self, event: Bytes) -> Hold {
        let mut finished = false;
        let mut has_calls = false;
        let mentions_calls = finder!(b"\"tool_calls\"").find(&event).is_some();
        if mentions_calls || finder!(b"\"finish_reason\":\"").find(&event).is_some() {
            let parsed = parse(&event);
            if parsed.is_none() && mentions_calls {
                // It may carry a tool call that cannot be checked: refused, not passed on.
                self.held.clear();
                return Hold::Deny(ApiError::ToolCallDenied {
                    tool: String::new(),
                    reason: "event_unreadable",
                    message: "a streamed event with tool calls is not valid JSON".into(),
                });
            }
            if let Some(chunk) = parsed {
                for choice in chunk
                    .get("choices")
                    .and_then(Value::as_array)
                    .map(Vec::as_slice)
                    .unwrap_or(&[])
                {
                    finished |= choice.get("finish_reason").is_some_and(|f| !f.is_null());
                    let deltas = choice
                        .get("delta")
                        .and_then(|d| d.get("tool_calls"))
                        .and_then(Value::as_array);
                    for d in deltas.map(Vec::as_slice).unwrap_or(&[]) {
                        has_calls = true;
                        let index = d.get("index").and_then(Value::as_u64).unwrap_or(0);
                        let entry = self.calls.entry(index).or_default();
                        if let Some(name) = d
                            .get("function")
                            .and_then(|f| f.get("name"))
                            .and_then(Value::as_str)
                        {
                            entry.0.push_str(name);
                        }
                        if let Some(args) = d
                            .get("function")
                            .and_then(|f| f.get("arguments"))
                            .and_then(Value::as_str)
                        {
                            entry.1.push_str(args);
                        }
                    }
                }
            }
        }
        if !has_calls && self.held.is_empty() {
            return Hold::Send(event);
        }
        self.held.push(event);
        if finished {
            self.settle()
        } else {
            Hold::Held
        }
    }

    /// The stream ended: whatever is still held is checked now.
    pub fn finish(&mut self) -> Hold {
        if self.held.is_empty() {
            return Hold::Send(Bytes::new());
        }
        self.settle()
    }

    fn settle(&mut self) -> Hold {
        for (name, args) in std::mem::take(&mut self.calls).values() {
            if let Err(e) = (self.check)(name, args) {
                self.held.clear();
                return Hold::Deny(e);
            }
        }
        let mut out = BytesMut::new();
        for e in self.held.drain(..) {
            out.extend_from_slice(&e);
        }
        Hold::Send(out.freeze())
    }
}

fn parse(event: &[u8]) -> Option<Value> {
    let text = std::str::from_utf8(event).ok()?;
    let data: String = text
        .lines()
        .filter_map(|l| l.strip_prefix("data:"))
        .map(str::trim_start)
        .collect();
    serde_json::from_str(&data).ok()
}

#[cfg(test)]
mod tests;
