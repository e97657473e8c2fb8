//! Barriers on a streamed answer. The text deltas of each event go through a streaming
//! scanner, one per channel (a choice of a chat answer, a tool call's arguments, an A2A
//! artifact), since the pieces of two choices interleave and must not be read as one text; an
//! event is released once everything up to its end is below `committed()` on every channel (no
//! finding can still start there), so only the last few words are ever held. A Block finding
//! drops what is held and ends the stream with an error event: the restricted words never
//! leave. Log and Alert findings are recorded and the stream goes on.
//!
//! Reading fails closed: an event that is not UTF-8 is read with replacement characters, and a
//! `data` field that is not JSON is scanned as it stands, since it is forwarded all the same.
//!
//! Each trigger is written (audit record, supervision record) in a task of its own, so a client
//! that leaves cannot cancel it; the relay awaits those tasks (`supervised`) before it sends the
//! event that ends the stream, the error event of a Block included: no answer, and no refusal,
//! without its supervision record.

use std::collections::VecDeque;
use std::sync::Arc;

use bytes::{Bytes, BytesMut};
use parapet_classifiers::{Classification, Classifier, Finding, LabelSet, Scanner};
use serde_json::Value;
use tokio::task::JoinHandle;

use super::model::{strictest, triggered, Applicable, BarrierAction};
use super::supervision::{Direction, EXCERPT_CHARS};
use super::{block_error, record, Guard, Seen, Verdict};
use crate::error::ApiError;
use crate::identity::Caller;
use crate::pipeline::tool_hold::Hold;

/// A supervision record being written.
pub type Pending = JoinHandle<Result<(), ApiError>>;

/// Waits for every record write; the first failure (the task's error, or the task itself lost)
/// is the answer's: the stream must not end as if it were supervised.
pub async fn supervised(pending: Vec<Pending>) -> Result<(), ApiError> {
    let mut first = Ok(());
    for p in pending {
        let r = match p.await {
            Ok(r) => r,
            Err(e) => Err(ApiError::StoreUnavailable(format!(
                "supervision record task failed: {e}"
            ))),
        };
        if let (Err(e), Ok(())) = (r, &first) {
            first = Err(e);
        }
    }
    first
}

/// A piece of text read from an event, and the channel whose text it continues.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Piece {
    pub channel: String,
    pub text: String,
}

impl Piece {
    pub fn new(channel: impl Into<String>, text: impl Into<String>) -> Piece {
        Piece {
            channel: channel.into(),
            text: text.into(),
        }
    }
}

/// Reads the texts out of one or more whole SSE events.
pub type Texts = fn(&[u8]) -> Vec<Piece>;

/// The channel of `data` fields that are not JSON.
pub const RAW: &str = "raw";

/// At most this many channels in one stream (OpenAI allows `n` up to 128); an answer with
/// more is refused rather than read partly.
pub const MAX_CHANNELS: usize = 256;

pub struct TextHold {
    guard: Arc<Guard>,
    caller: Caller,
    route: Arc<str>,
    texts: Texts,
    request_id: Option<String>,
    /// One scanner per channel, in the order the channels appeared.
    scanners: Vec<(String, Scanner<Arc<Classifier>>)>,
    applicable: Vec<Applicable>,
    /// Events not yet released, with the offset their text ends at on each channel (a channel
    /// that appeared later starts after them).
    held: VecDeque<(Vec<usize>, Bytes)>,
    findings: Vec<Finding>,
    /// Barriers already recorded for this stream.
    fired: Vec<String>,
    /// Their records being written, awaited before the stream ends.
    pending: Vec<Pending>,
    /// The first characters of the answer, for the supervision record.
    excerpt: String,
    blocked: bool,
}

impl TextHold {
    /// A hold for `caller` on a chat completion stream, or `None` when no barrier applies to
    /// them (nothing to hold back).
    pub fn for_caller(
        guard: &Arc<Guard>,
        caller: &Caller,
        route: &str,
        request_id: Option<String>,
    ) -> Option<TextHold> {
        Self::with_texts(guard, caller, route, request_id, deltas)
    }

    /// A hold whose events carry their text where `texts` finds it (A2A events, say).
    pub fn with_texts(
        guard: &Arc<Guard>,
        caller: &Caller,
        route: &str,
        request_id: Option<String>,
        texts: Texts,
    ) -> Option<TextHold> {
        let applicable = guard.applicable(&caller.groups);
        if applicable.is_empty() {
            return None;
        }
        Some(TextHold {
            guard: guard.clone(),
            caller: caller.clone(),
            route: Arc::from(route),
            texts,
            request_id,
            scanners: Vec::new(),
            applicable,
            held: VecDeque::new(),
            findings: Vec::new(),
            fired: Vec::new(),
            pending: Vec::new(),
            excerpt: String::new(),
            blocked: false,
        })
    }

    /// Feeds bytes holding one or more whole SSE events.
    pub fn feed(&mut self, events: Bytes) -> Hold {
        if self.blocked {
            return Hold::Held;
        }
        for piece in (self.texts)(&events) {
            if self.excerpt.chars().count() < EXCERPT_CHARS {
                self.excerpt.extend(piece.text.chars().take(EXCERPT_CHARS));
            }
            let Some(i) = self.channel(piece.channel) else {
                return self.deny(ApiError::UpstreamError(format!(
                    "the answer streams more than {MAX_CHANNELS} texts at once; \
                     an information barrier cannot read them all"
                )));
            };
            let found = self.scanners[i].1.feed(&piece.text);
            if let Some(deny) = self.take(found) {
                return deny;
            }
        }
        let ends = self.scanners.iter().map(|(_, s)| s.len()).collect();
        self.held.push_back((ends, events));
        self.release(false)
    }

    /// The index of `channel`'s scanner, started when it is new; `None` past `MAX_CHANNELS`.
    fn channel(&mut self, channel: String) -> Option<usize> {
        if let Some(i) = self.scanners.iter().position(|(c, _)| *c == channel) {
            return Some(i);
        }
        if self.scanners.len() >= MAX_CHANNELS {
            return None;
        }
        let scanner = self.guard.classifier().scanner_arc();
        self.scanners.push((channel, scanner));
        Some(self.scanners.len() - 1)
    }

    /// The upstream ended: the last findings, then everything still held.
    pub fn finish(&mut self) -> Hold {
        if self.blocked {
            return Hold::Held;
        }
        for i in 0..self.scanners.len() {
            let found = self.scanners[i].1.finish();
            if let Some(deny) = self.take(found) {
                return deny;
            }
        }
        self.release(true)
    }

    /// The answer's verdict so far, for the audit record.
    pub fn verdict(&self) -> Verdict {
        let classification = Classification::from_findings(self.findings.clone());
        let triggers = triggered(&self.applicable, classification.labels);
        Verdict {
            action: strictest(&triggers),
            classification,
            triggers,
        }
    }

    /// The record writes started so far; the relay awaits them (`supervised`) before the
    /// stream's last event.
    pub fn take_pending(&mut self) -> Vec<Pending> {
        std::mem::take(&mut self.pending)
    }

    /// Sends the events whose text is committed on every channel (`all`: every event).
    fn release(&mut self, all: bool) -> Hold {
        let mut out = BytesMut::new();
        let scanners = &self.scanners;
        let ready = |ends: &[usize]| {
            all || ends
                .iter()
                .zip(scanners)
                .all(|(end, (_, s))| *end <= s.committed())
        };
        while self.held.front().is_some_and(|(ends, _)| ready(ends)) {
            if let Some((_, b)) = self.held.pop_front() {
                out.extend_from_slice(&b);
            }
        }
        if out.is_empty() {
            Hold::Held
        } else {
            Hold::Send(out.freeze())
        }
    }

    /// Records newly triggered barriers; a Block ends the stream.
    fn take(&mut self, found: Vec<Finding>) -> Option<Hold> {
        if found.is_empty() {
            return None;
        }
        let labels: LabelSet = found.iter().map(|f| f.label).collect();
        self.findings.extend(found);
        let mut deny = None;
        for t in triggered(&self.applicable, labels) {
            if self.fired.contains(&t.barrier.id) {
                continue;
            }
            self.fired.push(t.barrier.id.clone());
            if t.barrier.action == BarrierAction::Block && deny.is_none() {
                deny = Some(block_error(&t));
            }
            let (guard, caller, route, request_id, text) = (
                self.guard.clone(),
                self.caller.clone(),
                self.route.clone(),
                self.request_id.clone(),
                self.excerpt.clone(),
            );
            self.pending.push(tokio::spawn(async move {
                let seen = Seen {
                    caller: &caller,
                    direction: Direction::Response,
                    route: &route,
                    request_id: request_id.as_deref(),
                    recipient: None,
                };
                record::write(&guard, &t, &seen, &text).await.map(|_| ())
            }));
        }
        let e = deny?;
        Some(self.deny(e))
    }

    /// Ends the stream with `e`: nothing held is sent.
    fn deny(&mut self, e: ApiError) -> Hold {
        self.blocked = true;
        self.held.clear();
        Hold::Deny(e)
    }
}

/// The pieces that `texts_of` finds in the JSON `data` of every SSE event in `events` (whole
/// events). Bytes that are not UTF-8 are read with replacement characters, and a `data` field
/// that is not JSON (other than `[DONE]`) is a piece of its own on the `RAW` channel: whatever
/// is forwarded is read.
pub(crate) fn event_texts(events: &[u8], texts_of: impl Fn(&Value, &mut Vec<Piece>)) -> Vec<Piece> {
    let text = String::from_utf8_lossy(events);
    let mut out = Vec::new();
    let mut data = String::new();
    let mut lines = text.lines().peekable();
    while let Some(line) = lines.next() {
        if let Some(d) = line.strip_prefix("data:") {
            if !data.is_empty() {
                data.push('\n');
            }
            data.push_str(d.strip_prefix(' ').unwrap_or(d));
        }
        // An event ends at a blank line (or with the bytes); its data lines are one field.
        if !(line.is_empty() || lines.peek().is_none()) || data.is_empty() {
            continue;
        }
        match serde_json::from_str::<Value>(&data) {
            Ok(v) => texts_of(&v, &mut out),
            Err(_) if data.trim() == "[DONE]" => {}
            Err(_) => out.push(Piece::new(RAW, format!("{data}\n"))),
        }
        data.clear();
    }
    out
}

/// The text fields of a chat answer's message (or delta), each a channel of its own.
pub const MESSAGE_TEXTS: [&str; 3] = ["content", "refusal", "reasoning_content"];

/// The texts of every event in `events` of a chat completion stream: per choice, the
/// `delta`'s `content`, `refusal` and `reasoning_content`, and the arguments of each tool call.
fn deltas(events: &[u8]) -> Vec<Piece> {
    event_texts(events, |v, out| {
        let choices = v.get("choices").and_then(Value::as_array);
        for (i, c) in choices.map(Vec::as_slice).unwrap_or(&[]).iter().enumerate() {
            let index = c.get("index").and_then(Value::as_u64).unwrap_or(i as u64);
            let Some(delta) = c.get("delta") else {
                continue;
            };
            message_texts(delta, |field, s| {
                out.push(Piece::new(format!("{index}/{field}"), s));
            });
        }
    })
}

/// Calls `each` with the name and text of every text field of a chat `message` or `delta`:
/// `MESSAGE_TEXTS`, then `tool_calls[].function.arguments` (named `tool/{index}`) and the
/// legacy `function_call.arguments` (named `function`). Empty strings are skipped.
pub fn message_texts(message: &Value, mut each: impl FnMut(&str, &str)) {
    let mut text = |field: &str, v: Option<&Value>| {
        if let Some(s) = v.and_then(Value::as_str).filter(|s| !s.is_empty()) {
            each(field, s);
        }
    };
    for field in MESSAGE_TEXTS {
        text(field, message.get(field));
    }
    let calls = message.get("tool_calls").and_then(Value::as_array);
    for (i, call) in calls.map(Vec::as_slice).unwrap_or(&[]).iter().enumerate() {
        let index = call
            .get("index")
            .and_then(Value::as_u64)
            .unwrap_or(i as u64);
        let args = call.get("function").and_then(|f| f.get("arguments"));
        text(&format!("tool/{index}"), args);
    }
    let legacy = message
        .get("function_call")
        .and_then(|f| f.get("arguments"));
    text("function", legacy);
}

#[cfg(test)]
mod tests;
