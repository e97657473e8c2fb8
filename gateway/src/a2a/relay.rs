//! Relays an agent's event stream (SSE) to the client from a task of its own, so the record is
//! written even when the client leaves.
//!
//! The record is committed before the event that ends the task (or, if the agent closes
//! without one, before the stream is closed); the stream ends with that event. For a caller behind an information barrier the
//! events go through a `TextHold` first: an event is released once the scanner has passed its
//! text, a Block ends the stream with the refusal (restricted words never leave), and the
//! supervision records are durable before that refusal or the final event is sent.

use std::collections::VecDeque;
use std::convert::Infallible;
use std::time::Duration;

use axum::body::Body;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use bytes::{Bytes, BytesMut};
use futures_util::StreamExt;
use serde_json::Value;
use sha2::{Digest, Sha256};
use tokio::sync::mpsc;

use super::barriers::refusal_of;
use super::rpc::{self, code, RpcError};
use crate::audit::call::CallDraft;
use crate::audit::record::ResponseInfo;
use crate::barriers::merge_response;
use crate::barriers::stream::{supervised, TextHold};
use crate::error::ApiError;
use crate::pipeline::tool_hold::Hold;
use crate::providers::sse::{parse_event, SseStream, Transform};
use crate::providers::{StreamItem, UpstreamError};

/// Passes the agent's events through unchanged.
struct Passthrough;

impl Transform for Passthrough {
    fn on_event(
        &mut self,
        raw: Bytes,
        out: &mut VecDeque<StreamItem>,
    ) -> Result<(), UpstreamError> {
        out.push_back(StreamItem::Data(raw));
        Ok(())
    }
    fn on_end(&mut self, _out: &mut VecDeque<StreamItem>) -> Result<(), UpstreamError> {
        Ok(())
    }
}

/// Starts relaying `resp` (an SSE answer) and returns the streaming response.
pub fn relay(
    resp: reqwest::Response,
    idle: Duration,
    draft: CallDraft,
    id: Value,
    text: Option<TextHold>,
) -> Response {
    let (tx, rx) = mpsc::channel::<Bytes>(32);
    let events = SseStream::new(resp, Box::new(Passthrough), idle);
    let relay = A2aRelay {
        draft: Some(draft),
        state: None,
        agent_error: false,
        hash: Sha256::new(),
        text,
        tx,
        id,
    };
    tokio::spawn(relay.run(events));
    let body = futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|b| (Ok::<_, Infallible>(b), rx))
    });
    (
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, "text/event-stream"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        Body::from_stream(body),
    )
        .into_response()
}

/// The SSE form of a JSON-RPC error, for failures once the stream has started.
fn error_event(id: &Value, e: &RpcError) -> Bytes {
    Bytes::from(format!("data: {}\n\n", e.body(id)))
}

struct A2aRelay {
    /// Taken when the record is committed.
    draft: Option<CallDraft>,
    state: Option<String>,
    agent_error: bool,
    /// Of everything the agent sent.
    hash: Sha256,
    text: Option<TextHold>,
    tx: mpsc::Sender<Bytes>,
    id: Value,
}

impl A2aRelay {
    async fn run(mut self, mut events: SseStream) {
        loop {
            match events.next().await {
                Some(Ok(StreamItem::Data(event))) => {
                    let last = self.note(&event);
                    let mut out = match self.text.as_mut() {
                        Some(t) => t.feed(event),
                        None => Hold::Send(event),
                    };
                    if last {
                        out = self.release_rest(out);
                    }
                    match out {
                        Hold::Deny(e) => return self.refuse(e).await,
                        Hold::Held => {}
                        Hold::Send(b) => {
                            if last && !self.commit_or_refuse(None, false).await {
                                return;
                            }
                            if self.tx.send(b).await.is_err() {
                                let reason = Some("client_disconnected".to_string());
                                self.commit_or_refuse(reason, true).await;
                                return;
                            }
                            // The task ended: nothing after it is relayed (unscanned, unrecorded).
                            if last {
                                return;
                            }
                        }
                    }
                }
                Some(Ok(_)) => {}
                Some(Err(e)) => {
                    let err = RpcError::new(
                        code::AGENT_UNAVAILABLE,
                        "agent_stream_broken",
                        e.to_string(),
                    );
                    // What was held is dropped: the answer is broken either way.
                    if self.commit_or_refuse(Some(err.reason.into()), false).await {
                        let _ = self.tx.send(error_event(&self.id, &err)).await;
                    }
                    return;
                }
                None => {
                    match self.release_rest(Hold::Held) {
                        Hold::Deny(e) => return self.refuse(e).await,
                        Hold::Send(b) => {
                            if self.commit_or_refuse(None, false).await {
                                let _ = self.tx.send(b).await;
                            }
                        }
                        Hold::Held => {
                            self.commit_or_refuse(None, false).await;
                        }
                    }
                    return;
                }
            }
        }
    }

    /// Notes an event in the record's state; whether it ends the task.
    fn note(&mut self, event: &Bytes) -> bool {
        self.hash.update(event);
        let (_, data) = parse_event(event);
        let Ok(v) = serde_json::from_str::<Value>(&data) else {
            return false;
        };
        self.state = rpc::task_state(&v).or(self.state.take());
        self.agent_error |= v.get("error").is_some();
        rpc::is_final_event(&v)
    }

    /// At the end of the task: `out` and then whatever the text hold still holds.
    fn release_rest(&mut self, out: Hold) -> Hold {
        let Some(text) = self.text.as_mut() else {
            return out;
        };
        match (out, text.finish()) {
            (Hold::Deny(e), _) | (_, Hold::Deny(e)) => Hold::Deny(e),
            (Hold::Send(a), Hold::Send(b)) => {
                let mut all = BytesMut::from(&a[..]);
                all.extend_from_slice(&b);
                Hold::Send(all.freeze())
            }
            (Hold::Send(a), Hold::Held) => Hold::Send(a),
            (Hold::Held, h) => h,
        }
    }

    fn outcome(&self, status: u16, error: Option<String>, gone: bool) -> ResponseInfo {
        ResponseInfo {
            status,
            finish_reason: self.state.clone(),
            response_sha256: Some(hex::encode(self.hash.clone().finalize())),
            error: error.or_else(|| self.agent_error.then(|| "agent_error".to_string())),
            client_disconnected: gone,
        }
    }

    /// Commits the record (once), after the supervision records of the answer. When either
    /// cannot be written the client gets that error event instead of what would have
    /// followed; returns whether the stream may go on.
    async fn commit_or_refuse(&mut self, error: Option<String>, gone: bool) -> bool {
        let Some(mut draft) = self.draft.take() else {
            return true;
        };
        let pending = self
            .text
            .as_mut()
            .map(TextHold::take_pending)
            .unwrap_or_default();
        if let Some(t) = &self.text {
            let g = draft.record.guardrails.take();
            draft.record.guardrails = Some(merge_response(g, &t.verdict()));
        }
        let mut info = self.outcome(200, error, gone);
        let failed = match supervised(pending).await {
            Ok(()) => draft.commit(info).await.err(),
            Err(e) => {
                info.status = e.status().as_u16();
                info.error = Some(e.code().to_string());
                if let Err(audit) = draft.commit(info).await {
                    tracing::error!(error = %audit, "record of an unsupervised a2a stream not written");
                }
                Some(e)
            }
        };
        let Some(e) = failed else {
            return true;
        };
        let (_, err) = refusal_of(&e);
        let _ = self.tx.send(error_event(&self.id, &err)).await;
        false
    }

    /// A Block in the answer: the refusal is recorded (and supervised), then sent as the last
    /// event; what was held never leaves.
    async fn refuse(mut self, e: ApiError) {
        let (_, err) = refusal_of(&e);
        if self
            .commit_or_refuse(Some(err.reason.to_string()), false)
            .await
        {
            let _ = self.tx.send(error_event(&self.id, &err)).await;
        }
    }
}
