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
use tokio::task::JoinHandle;

use super::model::{strictest, triggered, Applicable, BarrierAction};
use super::supervision::{Direction, EXCERPT_CHARS};
use super::{block_error, record, Guard, Seen, Verdict};
use crate::error::ApiError;
use crate::identity::Caller;
use crate::pipeline::tool_hold::Hold;

pub mod events;

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

/// Which text a piece of a stream continues: the pieces of one channel are scanned as one text,
/// those of two channels never run together.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Channel {
    /// A text field of a choice of a chat answer (`events::MESSAGE_TEXTS`), or a tool call's
    /// arguments (`field` `events::TOOL`, `tool` its index).
    Chat { choice: u64, field: u8, tool: u64 },
    /// Named by the protocol (an A2A artifact).
    Named(String),
    /// `data` that is not what the protocol sends, read as it stands.
    Raw,
}

/// Reads the texts out of one or more whole SSE events, calling the sink with each and the
/// channel it continues.
pub type Texts = fn(&[u8], &mut dyn FnMut(Channel, &str));

/// At most this many channels in one stream (OpenAI allows `n` up to 128); an answer with
/// more is refused rather than read partly.
pub const MAX_CHANNELS: usize = 256;

pub struct TextHold {
    guard: Arc<Guard>,
    caller: Caller,
    route: Arc<str>,
    texts: Texts,
    request_id: Option<String>,
    /// One scanner per channel, in the order the channels appeared, and whether it is open (a
    /// channel whose text ended was finished: its text is all committed; more text on it
    /// opens a new scanner).
    scanners: Vec<(Channel, Scanner<Arc<Classifier>>, bool)>,
    applicable: Vec<Applicable>,
    /// Events not yet released, with how many channels there were when each came...
    held: VecDeque<(usize, Bytes)>,
    /// ...and, one after the other, the offset their text ends at on each of those channels
    /// (a channel that appeared later starts after them).
    ends: VecDeque<usize>,
    findings: Vec<Finding>,
    /// Barriers already recorded for this stream.
    fired: Vec<String>,
    /// Their records being written, awaited before the stream ends.
    pending: Vec<Pending>,
    /// The first characters of the answer, for the supervision record, and how many.
    excerpt: String,
    excerpt_chars: usize,
    /// The scanners fed by the event being read (kept for its allocation).
    fed: Vec<usize>,
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
        Self::with_texts(guard, caller, route, request_id, events::deltas)
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
            ends: VecDeque::new(),
            findings: Vec::new(),
            fired: Vec::new(),
            pending: Vec::new(),
            excerpt: String::new(),
            excerpt_chars: 0,
            fed: Vec::new(),
            blocked: false,
        })
    }

    /// Feeds bytes holding one or more whole SSE events.
    pub fn feed(&mut self, events: Bytes) -> Hold {
        if self.blocked {
            return Hold::Held;
        }
        let (texts, mut deny) = (self.texts, None);
        let mut fed = std::mem::take(&mut self.fed);
        fed.clear();
        texts(&events, &mut |channel, text| {
            if deny.is_none() {
                deny = self.scan(channel, text, &mut fed);
            }
        });
        let deny = deny.or_else(|| self.close_ended(&fed));
        self.fed = fed;
        if let Some(deny) = deny {
            return deny;
        }
        self.held.push_back((self.scanners.len(), events));
        self.ends
            .extend(self.scanners.iter().map(|(_, s, _)| s.len()));
        self.release(false)
    }

    /// Scans `text` as the continuation of `channel` (its scanner's index goes into `fed`); the
    /// refusal, if it is refused. An empty text says the channel's text ended (for a chat
    /// choice's `FINISHED` mark: all of the choice's texts).
    fn scan(&mut self, channel: Channel, text: &str, fed: &mut Vec<usize>) -> Option<Hold> {
        if self.excerpt_chars < EXCERPT_CHARS {
            let more = text.chars().take(EXCERPT_CHARS - self.excerpt_chars);
            let before = self.excerpt.len();
            self.excerpt.extend(more);
            self.excerpt_chars += self.excerpt[before..].chars().count();
        }
        if text.is_empty() {
            for k in 0..self.scanners.len() {
                let (c, _, open) = &self.scanners[k];
                let same_choice = matches!((&channel, c),
                    (Channel::Chat { choice, .. }, Channel::Chat { choice: other, .. }) if choice == other);
                if *open && (*c == channel || same_choice) {
                    if let Some(deny) = self.close(k) {
                        return Some(deny);
                    }
                }
            }
            return None;
        }
        let open = self
            .scanners
            .iter()
            .position(|(c, _, o)| *o && *c == channel);
        let i = match open {
            Some(i) => i,
            None if self.scanners.len() < MAX_CHANNELS => {
                let scanner = self.guard.classifier().scanner_arc();
                self.scanners.push((channel, scanner, true));
                self.scanners.len() - 1
            }
            None => {
                return Some(self.deny(ApiError::UpstreamError(format!(
                    "the answer streams more than {MAX_CHANNELS} texts at once; \
                     an information barrier cannot read them all"
                ))))
            }
        };
        if !fed.contains(&i) {
            fed.push(i);
        }
        let found = self.scanners[i].1.feed(text);
        self.take(found)
    }

    /// Finishes the channels whose text ended with this event, so that their last word does
    /// not hold back the events after it: a chat choice's texts that got nothing while another
    /// of its texts went on (reasoning before content, one tool call before the next), and the
    /// A2A `joined` text when an artifact went on without it. The refusal, if refused.
    fn close_ended(&mut self, fed: &[usize]) -> Option<Hold> {
        for k in 0..self.scanners.len() {
            if !self.scanners[k].2 || fed.contains(&k) {
                continue;
            }
            let ended = fed
                .iter()
                .any(|&j| match (&self.scanners[j].0, &self.scanners[k].0) {
                    (Channel::Chat { choice, .. }, Channel::Chat { choice: other, .. }) => {
                        choice == other
                    }
                    (Channel::Named(n), Channel::Named(j)) => {
                        n.starts_with("artifact/") && j == "joined"
                    }
                    _ => false,
                });
            if ended {
                if let Some(deny) = self.close(k) {
                    return Some(deny);
                }
            }
        }
        None
    }

    /// Finishes the scanner of channel `k`: its last findings; the refusal, if refused.
    fn close(&mut self, k: usize) -> Option<Hold> {
        self.scanners[k].2 = false;
        let found = self.scanners[k].1.finish();
        self.take(found)
    }

    /// The upstream ended: the last findings, then everything still held.
    pub fn finish(&mut self) -> Hold {
        if self.blocked {
            return Hold::Held;
        }
        for k in 0..self.scanners.len() {
            if self.scanners[k].2 {
                if let Some(deny) = self.close(k) {
                    return deny;
                }
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
        // The first event released, sent as it is when it is the only one (the common case).
        let mut first: Option<Bytes> = None;
        let mut more = BytesMut::new();
        while let Some(&(n, _)) = self.held.front() {
            let committed = all
                || (self.ends.iter().take(n))
                    .zip(&self.scanners)
                    .all(|(end, (_, s, _))| *end <= s.committed());
            if !committed {
                break;
            }
            for _ in 0..n {
                self.ends.pop_front();
            }
            let Some((_, b)) = self.held.pop_front() else {
                break;
            };
            match &first {
                None => first = Some(b),
                Some(f) => {
                    if more.is_empty() {
                        more.extend_from_slice(f);
                    }
                    more.extend_from_slice(&b);
                }
            }
        }
        match first {
            None => Hold::Held,
            Some(_) if !more.is_empty() => Hold::Send(more.freeze()),
            Some(b) => Hold::Send(b),
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
        self.ends.clear();
        Hold::Deny(e)
    }
}

#[cfg(test)]
mod tests;
