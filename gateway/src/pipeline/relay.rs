//! Relays an upstream event stream to the client as it arrives: no buffering beyond one event.
//! The upstream's end becomes `data: [DONE]`; an upstream failure mid-stream becomes an error
//! event; a client that leaves is counted and the upstream connection is closed with the relay.

use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Instant;

use bytes::Bytes;
use futures_util::Stream;

use crate::providers::{EventStream, StreamItem, Usage};

const DONE: &[u8] = b"data: [DONE]\n\n";

/// How a stream ended, for logs and metrics (and the audit record, later).
#[derive(Debug, Clone, PartialEq)]
pub enum Ending {
    Completed,
    UpstreamFailed(String),
    ClientDisconnected,
}

pub struct Relay {
    upstream: EventStream,
    usage: Option<Usage>,
    ending: Option<Ending>,
    route: &'static str,
    provider: String,
    started: Instant,
}

impl Relay {
    pub fn new(upstream: EventStream, route: &'static str, provider: String) -> Self {
        Relay {
            upstream,
            usage: None,
            ending: None,
            route,
            provider,
            started: Instant::now(),
        }
    }

    fn finish(&mut self, ending: Ending) {
        let outcome = match &ending {
            Ending::Completed => "completed",
            Ending::UpstreamFailed(_) => "upstream_failed",
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
        tracing::info!(
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
}

/// An OpenAI-style error event, for failures after the first byte was sent.
fn error_event(message: &str) -> Bytes {
    let body = serde_json::json!({"error": {"message": message, "type": "api_error", "code": "upstream_error", "param": null}});
    Bytes::from(format!("data: {body}\n\n"))
}

impl Stream for Relay {
    type Item = Result<Bytes, std::io::Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if self.ending.is_some() {
            return Poll::Ready(None);
        }
        loop {
            match self.upstream.as_mut().poll_next(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Some(Ok(StreamItem::Data(b)))) => return Poll::Ready(Some(Ok(b))),
                Poll::Ready(Some(Ok(StreamItem::Usage(u)))) => self.usage = Some(u),
                Poll::Ready(Some(Ok(StreamItem::Done))) => {
                    self.finish(Ending::Completed);
                    return Poll::Ready(Some(Ok(Bytes::from_static(DONE))));
                }
                Poll::Ready(Some(Err(e))) => {
                    let msg = format!("{}: {e}", self.provider);
                    self.finish(Ending::UpstreamFailed(msg.clone()));
                    return Poll::Ready(Some(Ok(error_event(&msg))));
                }
                Poll::Ready(None) => {
                    let msg = format!("{}: stream closed before [DONE]", self.provider);
                    self.finish(Ending::UpstreamFailed(msg.clone()));
                    return Poll::Ready(Some(Ok(error_event(&msg))));
                }
            }
        }
    }
}

impl Drop for Relay {
    fn drop(&mut self) {
        if self.ending.is_none() {
            self.finish(Ending::ClientDisconnected);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures_util::StreamExt;

    fn relay(items: Vec<Result<StreamItem, crate::providers::UpstreamError>>) -> Relay {
        Relay::new(
            Box::pin(futures_util::stream::iter(items)),
            "test",
            "p".into(),
        )
    }

    #[tokio::test]
    async fn done_is_written_once_and_usage_is_kept_back() {
        let u = Usage {
            prompt_tokens: 1,
            completion_tokens: 2,
            cached_tokens: 0,
            estimated: false,
        };
        let mut r = relay(vec![
            Ok(StreamItem::Data(Bytes::from_static(b"data: a\n\n"))),
            Ok(StreamItem::Usage(u)),
            Ok(StreamItem::Done),
        ]);
        let mut out = Vec::new();
        while let Some(b) = r.next().await {
            out.push(b.unwrap());
        }
        assert_eq!(
            out,
            vec![Bytes::from_static(b"data: a\n\n"), Bytes::from_static(DONE)]
        );
        assert_eq!(r.usage, Some(u));
        assert_eq!(r.ending, Some(Ending::Completed));
    }

    #[tokio::test]
    async fn an_upstream_that_stops_early_ends_with_an_error_event() {
        let mut r = relay(vec![Ok(StreamItem::Data(Bytes::from_static(
            b"data: a\n\n",
        )))]);
        let _ = r.next().await;
        let last = r.next().await.unwrap().unwrap();
        assert!(String::from_utf8_lossy(&last).contains("\"error\""));
        assert!(r.next().await.is_none());
    }

    #[tokio::test]
    async fn a_relay_dropped_before_the_end_counts_as_a_disconnect() {
        let mut r = relay(vec![
            Ok(StreamItem::Data(Bytes::from_static(b"data: a\n\n"))),
            Ok(StreamItem::Done),
        ]);
        let _ = r.next().await;
        r.finish(Ending::ClientDisconnected);
        assert_eq!(r.ending, Some(Ending::ClientDisconnected));
    }
}
