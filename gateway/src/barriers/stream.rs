//! Barriers on a streamed answer. The text deltas of each event go through the streaming
//! scanner; an event is released once everything up to its end is below `committed()` (no
//! finding can still start there), so only the last few words are ever held. A Block finding
//! drops what is held and ends the stream with an error event: the restricted words never
//! leave. Log and Alert findings are recorded and the stream goes on.
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

/// Reads the texts out of one or more whole SSE events.
pub type Texts = fn(&[u8]) -> Vec<String>;

pub struct TextHold {
    guard: Arc<Guard>,
    caller: Caller,
    route: Arc<str>,
    texts: Texts,
    request_id: Option<String>,
    scanner: Scanner<Arc<Classifier>>,
    applicable: Vec<Applicable>,
    /// Events not yet released, with the stream offset their text ends at.
    held: VecDeque<(usize, Bytes)>,
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
            scanner: guard.classifier().scanner_arc(),
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
        for text in (self.texts)(&events) {
            if self.excerpt.chars().count() < EXCERPT_CHARS {
                self.excerpt.extend(text.chars().take(EXCERPT_CHARS));
            }
            let found = self.scanner.feed(&text);
            if let Some(deny) = self.take(found) {
                return deny;
            }
        }
        self.held.push_back((self.scanner.len(), events));
        self.release(self.scanner.committed())
    }

    /// The upstream ended: the last findings, then everything still held.
    pub fn finish(&mut self) -> Hold {
        if self.blocked {
            return Hold::Held;
        }
        let found = self.scanner.finish();
        if let Some(deny) = self.take(found) {
            return deny;
        }
        self.release(usize::MAX)
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

    fn release(&mut self, upto: usize) -> Hold {
        let mut out = BytesMut::new();
        while self.held.front().is_some_and(|(end, _)| *end <= upto) {
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
        self.blocked = true;
        self.held.clear();
        Some(Hold::Deny(e))
    }
}

fn memchr_content(b: &[u8]) -> bool {
    b.windows(10).any(|w| w == b"\"content\":")
}

/// The texts that `texts_of` finds in the JSON `data` of every SSE event in `events` (whole
/// events; nothing when they are not UTF-8, and a `data` line that is not JSON is skipped).
pub(crate) fn event_texts(
    events: &[u8],
    texts_of: impl Fn(&Value, &mut Vec<String>),
) -> Vec<String> {
    let Ok(text) = std::str::from_utf8(events) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for line in text.lines() {
        let Some(data) = line.strip_prefix("data:").map(str::trim_start) else {
            continue;
        };
        if let Ok(v) = serde_json::from_str::<Value>(data) {
            texts_of(&v, &mut out);
        }
    }
    out
}

/// The `choices[].delta.content` strings of every event in `events`.
fn deltas(events: &[u8]) -> Vec<String> {
    if !memchr_content(events) {
        return Vec::new();
    }
    event_texts(events, |v, out| {
        for c in v
            .get("choices")
            .and_then(Value::as_array)
            .map(Vec::as_slice)
            .unwrap_or(&[])
        {
            if let Some(s) = c
                .get("delta")
                .and_then(|d| d.get("content"))
                .and_then(Value::as_str)
            {
                if !s.is_empty() {
                    out.push(s.to_string());
                }
            }
        }
    })
}

#[cfg(test)]
mod tests;
