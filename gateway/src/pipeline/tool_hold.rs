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
    /// Tool calls being assembled, by choice and `index` (a legacy `function_call` has index
    /// `FUNCTION_CALL`): (name, arguments so far).
    calls: BTreeMap<(u64, u64), (String, String)>,
}

/// The index under which a choice's legacy `function_call` is assembled.
const FUNCTION_CALL: u64 = u64::MAX;

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
        // The choices this event finishes.
        let mut finished: Vec<u64> = Vec::new();
        let mut has_calls = false;
        // A call is named by the key `tool_calls` (or the legacy `function_call`), or by a key
        // written with escapes, which only a parse can read.
        let mentions_calls = finder!(b"\"tool_calls\"").find(&event).is_some()
            || finder!(b"\"function_call\"").find(&event).is_some()
            || finder!(b"\\u").find(&event).is_some();
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
            let choices = parsed.as_ref().and_then(|c| c.get("choices"));
            let choices = choices.and_then(Value::as_array).map(Vec::as_slice);
            for (i, choice) in choices.unwrap_or(&[]).iter().enumerate() {
                let at = choice
                    .get("index")
                    .and_then(Value::as_u64)
                    .unwrap_or(i as u64);
                if choice.get("finish_reason").is_some_and(|f| !f.is_null()) {
                    finished.push(at);
                }
                let delta = choice.get("delta");
                let calls = delta.and_then(|d| d.get("tool_calls"));
                let calls = calls.and_then(Value::as_array).map(Vec::as_slice);
                let calls = (calls.unwrap_or(&[]).iter().enumerate()).map(|(k, d)| {
                    let index = d.get("index").and_then(Value::as_u64).unwrap_or(k as u64);
                    (index, d.get("function"))
                });
                let legacy = delta.and_then(|d| d.get("function_call"));
                // (`null`, as some servers write an absent field, is no call.)
                let legacy = legacy.filter(|f| !f.is_null());
                let legacy = legacy.map(|f| (FUNCTION_CALL, Some(f)));
                for (index, function) in calls.chain(legacy) {
                    has_calls = true;
                    let entry = self.calls.entry((at, index)).or_default();
                    let text = |key| function.and_then(|f| f.get(key)).and_then(Value::as_str);
                    entry.0.push_str(text("name").unwrap_or_default());
                    entry.1.push_str(text("arguments").unwrap_or_default());
                }
            }
        }
        if !has_calls && self.held.is_empty() {
            return Hold::Send(event);
        }
        self.held.push(event);
        if finished.is_empty() {
            Hold::Held
        } else {
            self.settle(|choice| finished.contains(&choice))
        }
    }

    /// The stream ended: whatever is still held is checked now.
    pub fn finish(&mut self) -> Hold {
        if self.held.is_empty() {
            return Hold::Send(Bytes::new());
        }
        self.settle(|_| true)
    }

    /// Checks the calls of the choices that `done` says are finished (each call is complete);
    /// the held events go once no call is left unchecked (another choice's call may still be
    /// coming in them).
    fn settle(&mut self, done: impl Fn(u64) -> bool) -> Hold {
        let calls = std::mem::take(&mut self.calls);
        let (ready, rest): (BTreeMap<_, _>, BTreeMap<_, _>) = calls
            .into_iter()
            .partition(|((choice, _), _)| done(*choice));
        self.calls = rest;
        for (name, args) in ready.values() {
            if let Err(e) = (self.check)(name, args) {
                self.held.clear();
                return Hold::Deny(e);
            }
        }
        if !self.calls.is_empty() {
            return Hold::Held;
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
