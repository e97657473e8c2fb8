//! Relays an upstream event stream to the client as it arrives: no buffering beyond one event.
//! The upstream's end becomes `data: [DONE]`; an upstream failure mid-stream becomes an error
//! event; a client that leaves is counted and the upstream connection is closed with the relay.

use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Instant;

use bytes::Bytes;
use futures_util::{Future, Stream};
use sha2::{Digest, Sha256};
use tokio::task::JoinHandle;

use super::tool_hold::{Hold, ToolHold};
use crate::audit::call::CallDraft;
use crate::audit::record::ResponseInfo;
use crate::barriers::stream::{supervised, Pending, TextHold};
use crate::error::ApiError;
use crate::examination::settle::header_value;
use crate::providers::{EventStream, StreamItem, Usage};

const DONE: &[u8] = b"data: [DONE]\n\n";

/// How a stream ended, for logs, metrics and the audit record.
#[derive(Debug, Clone, PartialEq)]
pub enum Ending {
    Completed,
    UpstreamFailed(String),
    /// A streamed tool call was refused.
    Refused(String),
    ClientDisconnected,
}

type Commit = JoinHandle<Result<Option<u64>, ApiError>>;

pub struct Relay {
    upstream: EventStream,
    usage: Option<Usage>,
    ending: Option<Ending>,
    route: &'static str,
    provider: String,
    started: Instant,
    /// The call's audit record; committed before the last event reaches the client.
    draft: Option<CallDraft>,
    hasher: Sha256,
    finish_reason: Option<String>,
    /// A commit under way and the event to send once it succeeds.
    committing: Option<(Commit, Bytes)>,
    /// For an agent: tool calls held until complete and checked.
    hold: Option<ToolHold>,
    /// For a caller behind an information barrier: text held until the scanner commits it.
    text: Option<TextHold>,
    /// Held events were just released at the upstream's end; `[DONE]` comes next.
    done_after_release: bool,
}

impl Relay {
    pub fn new(
        upstream: EventStream,
        route: &'static str,
        provider: String,
        draft: Option<CallDraft>,
        hold: Option<ToolHold>,
    ) -> Self {
        Relay {
            upstream,
            usage: None,
            ending: None,
            route,
            provider,
            started: Instant::now(),
            draft,
            hasher: Sha256::new(),
            finish_reason: None,
            committing: None,
            hold,
            text: None,
            done_after_release: false,
        }
    }

    /// Scans the answer's text against the caller's barriers as it flows.
    pub fn with_text_hold(mut self, text: Option<TextHold>) -> Self {
        self.text = text;
        self
    }

    /// Passes what the tool hold let through on to the text hold.
    fn through_text(&mut self, out: Hold) -> Hold {
        match (out, self.text.as_mut()) {
            (Hold::Send(b), Some(t)) if !b.is_empty() => t.feed(b),
            (out, _) => out,
        }
    }

    /// At the upstream's end: the tool hold's and the text hold's last events.
    fn release_at_end(&mut self) -> Hold {
        let tools = self.hold.as_mut().map(ToolHold::finish);
        let tools = match tools {
            Some(Hold::Deny(e)) => return Hold::Deny(e),
            Some(h) => self.through_text(h),
            None => Hold::Held,
        };
        let Some(text) = self.text.as_mut() else {
            return tools;
        };
        let rest = match tools {
            Hold::Deny(e) => return Hold::Deny(e),
            Hold::Send(b) => Some(b),
            Hold::Held => None,
        };
        match (rest, text.finish()) {
            (_, Hold::Deny(e)) => Hold::Deny(e),
            (Some(a), Hold::Send(b)) => {
                let mut all = bytes::BytesMut::from(&a[..]);
                all.extend_from_slice(&b);
                Hold::Send(all.freeze())
            }
            (Some(a), Hold::Held) => Hold::Send(a),
            (None, h) => h,
        }
    }

    fn finish(&mut self, ending: Ending) {
        let outcome = match &ending {
            Ending::Completed => "completed",
            Ending::UpstreamFailed(_) => "upstream_failed",
            Ending::Refused(_) => "refused",
            Ending::ClientDisconnected => "client_disconnected",
        };
        metrics::counter!("parapet_streams_total", "route" => self.route, "outcome" => outcome)
            .increment(1);
        metrics::histogram!("parapet_stream_duration_seconds", "route" => self.route)
            .record(self.started.elapsed().as_secs_f64());
        if ending == Ending::ClientDisconnected {
            metrics::counter!("parapet_client_disconnects_total", "route" => self.route)
                .increment(1);
        }
        tracing::debug!(
            route = self.route,
            provider = %self.provider,
            outcome,
            prompt_tokens = self.usage.map(|u| u.prompt_tokens),
            completion_tokens = self.usage.map(|u| u.completion_tokens),
            elapsed_ms = self.started.elapsed().as_millis() as u64,
            "stream ended"
        );
        self.ending = Some(ending);
    }

    /// Starts committing the audit record in its own task (it finishes even if the client
    /// leaves now), after the supervision records of any barrier the answer triggered; `then`
    /// is sent once both are durable.
    fn start_commit(&mut self, response: ResponseInfo, then: Bytes) -> (Commit, Bytes) {
        let pending = self
            .text
            .as_mut()
            .map(TextHold::take_pending)
            .unwrap_or_default();
        let Some(mut draft) = self.draft.take() else {
            let task = tokio::spawn(async move { supervised(pending).await.map(|()| None) });
            return (task, then);
        };
        draft.set_usage(self.usage);
        if let Some(t) = &self.text {
            let g = draft.record.guardrails.take();
            draft.record.guardrails = Some(crate::barriers::merge_response(g, &t.verdict()));
        }
        // A completed stream tells its cost in an SSE comment before `[DONE]` (clients ignore
        // comments; the record and the inventory have it either way).
        let then = match draft.settle() {
            Some(cost) if then.as_ref() == DONE => Bytes::from(format!(
                ": x-parapet-cost-usd {}\n\n{}",
                header_value(cost),
                String::from_utf8_lossy(DONE)
            )),
            _ => then,
        };
        (
            tokio::spawn(commit_supervised(pending, draft, response)),
            then,
        )
    }

    fn response_info(&mut self, error: Option<String>, client_disconnected: bool) -> ResponseInfo {
        ResponseInfo {
            status: 200,
            finish_reason: self.finish_reason.clone(),
            response_sha256: Some(hex::encode(std::mem::take(&mut self.hasher).finalize())),
            error,
            client_disconnected,
        }
    }

    fn note_data(&mut self, b: &Bytes) {
        self.hasher.update(b);
        if let Some(c) = self.draft.as_mut().and_then(|d| d.cost.as_mut()) {
            c.note_event(b);
        }
        if let Some(reason) = sniff_finish_reason(b) {
            self.finish_reason = Some(reason);
        }
    }
}

/// Commits the call's record once the supervision records are written. A supervision record
/// that could not be written fails the answer like an audit record would (the call's record
/// says so): the stream ends with that error instead of what would have followed.
async fn commit_supervised(
    pending: Vec<Pending>,
    draft: CallDraft,
    mut response: ResponseInfo,
) -> Result<Option<u64>, ApiError> {
    match supervised(pending).await {
        Ok(()) => draft.commit(response).await,
        Err(e) => {
            response.status = e.status().as_u16();
            response.error = Some(e.code().to_string());
            if let Err(audit) = draft.commit(response).await {
                tracing::error!(error = %audit, "record of an unsupervised stream not written");
            }
            Err(e)
        }
    }
}

/// The value of a `"finish_reason":"..."` in an event, without parsing the JSON.
fn sniff_finish_reason(b: &[u8]) -> Option<String> {
    const KEY: &[u8] = b"\"finish_reason\":\"";
    let at = crate::find::finder!(KEY).find(b)? + KEY.len();
    let len = memchr::memchr(b'"', &b[at..])?;
    std::str::from_utf8(&b[at..at + len]).ok().map(String::from)
}

/// An OpenAI-style error event, for failures after the first byte was sent.
fn error_event(message: &str, code: &str) -> Bytes {
    let body = serde_json::json!({"error": {"message": message, "type": "api_error", "code": code, "param": null}});
    Bytes::from(format!("data: {body}\n\n"))
}

impl Stream for Relay {
    type Item = Result<Bytes, std::io::Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        loop {
            if let Some((commit, _)) = self.committing.as_mut() {
                let done = match Pin::new(commit).poll(cx) {
                    Poll::Pending => return Poll::Pending,
                    Poll::Ready(r) => r,
                };
                let Some((_, then)) = self.committing.take() else {
                    continue;
                };
                return Poll::Ready(Some(Ok(match done {
                    Ok(Ok(_)) => then,
                    Ok(Err(e)) => error_event(&e.to_string(), e.code()),
                    Err(e) => {
                        error_event(&format!("audit commit failed: {e}"), "audit_unavailable")
                    }
                })));
            }
            if self.ending.is_some() {
                return Poll::Ready(None);
            }
            if std::mem::take(&mut self.done_after_release) {
                self.complete();
                continue;
            }
            match self.upstream.as_mut().poll_next(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Some(Ok(StreamItem::Data(b)))) => {
                    let out = match self.hold.as_mut() {
                        None => Hold::Send(b),
                        Some(h) => h.feed(b),
                    };
                    match self.through_text(out) {
                        Hold::Send(b) => {
                            self.note_data(&b);
                            return Poll::Ready(Some(Ok(b)));
                        }
                        Hold::Held => {}
                        Hold::Deny(e) => self.refuse(e),
                    }
                }
                Poll::Ready(Some(Ok(StreamItem::Usage(u)))) => self.usage = Some(u),
                Poll::Ready(Some(Ok(StreamItem::Done))) => {
                    match self.release_at_end() {
                        Hold::Deny(e) => self.refuse(e),
                        Hold::Send(b) if !b.is_empty() => {
                            self.note_data(&b);
                            self.done_after_release = true;
                            return Poll::Ready(Some(Ok(b)));
                        }
                        _ => self.complete(),
                    }
                    continue;
                }
                Poll::Ready(Some(Err(e))) => {
                    let msg = format!("{}: {e}", self.provider);
                    self.fail(msg);
                }
                Poll::Ready(None) => {
                    let msg = format!("{}: stream closed before [DONE]", self.provider);
                    self.fail(msg);
                }
            }
        }
    }
}

impl Relay {
    /// The upstream finished: commit the record, then send `[DONE]`.
    fn complete(&mut self) {
        self.finish(Ending::Completed);
        let info = self.response_info(None, false);
        self.committing = Some(self.start_commit(info, Bytes::from_static(DONE)));
    }

    /// A held tool call or the answer's text was refused: commit the refusal (and the
    /// supervision record of a barrier), then end with its error event.
    fn refuse(&mut self, e: ApiError) {
        let msg = e.to_string();
        self.finish(Ending::Refused(msg.clone()));
        let event = error_event(&msg, e.code());
        let mut info = self.response_info(Some(e.code().to_string()), false);
        info.status = e.status().as_u16();
        self.committing = Some(self.start_commit(info, event));
    }

    fn fail(&mut self, msg: String) {
        self.finish(Ending::UpstreamFailed(msg.clone()));
        let event = error_event(&msg, "upstream_error");
        let info = self.response_info(Some("upstream_failed".into()), false);
        self.committing = Some(self.start_commit(info, event));
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        if self.ending.is_none() {
            self.finish(Ending::ClientDisconnected);
            let info = self.response_info(Some("client_disconnected".into()), true);
            // The task commits the record although nobody waits for it.
            let _ = self.start_commit(info, Bytes::new());
        }
    }
}

#[cfg(test)]
mod tests;
