//! Server-sent events from an upstream: split the byte stream into events without copying,
//! then turn each event into `StreamItem`s with a per-provider transform.

use std::collections::VecDeque;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use futures_util::Stream;

use super::{StreamItem, UpstreamError};

/// Turns one raw SSE event (with its terminating blank line) into items.
pub trait Transform: Send {
    fn on_event(&mut self, raw: Bytes, out: &mut VecDeque<StreamItem>)
        -> Result<(), UpstreamError>;
    /// Called when the upstream closes the connection.
    fn on_end(&mut self, out: &mut VecDeque<StreamItem>) -> Result<(), UpstreamError>;
}

type ByteStream = Pin<Box<dyn Stream<Item = Result<Bytes, reqwest::Error>> + Send>>;

pub struct SseStream {
    inner: ByteStream,
    buf: BytesMut,
    transform: Box<dyn Transform>,
    pending: VecDeque<StreamItem>,
    idle: Duration,
    deadline: Pin<Box<tokio::time::Sleep>>,
    ended: bool,
}

impl SseStream {
    pub fn new(resp: reqwest::Response, transform: Box<dyn Transform>, idle: Duration) -> Self {
        SseStream {
            inner: Box::pin(resp.bytes_stream()),
            buf: BytesMut::new(),
            transform,
            pending: VecDeque::new(),
            idle,
            deadline: Box::pin(tokio::time::sleep(idle)),
            ended: false,
        }
    }

    /// Moves every complete event out of the buffer through the transform.
    fn drain_events(&mut self) -> Result<(), UpstreamError> {
        while let Some(end) = event_end(&self.buf) {
            let raw = self.buf.split_to(end).freeze();
            self.transform.on_event(raw, &mut self.pending)?;
        }
        Ok(())
    }
}

/// The end offset (after the blank line) of the first complete event in `buf`.
fn event_end(buf: &[u8]) -> Option<usize> {
    let mut i = 0;
    while i + 1 < buf.len() {
        if buf[i] == b'\n' {
            if buf[i + 1] == b'\n' {
                return Some(i + 2);
            }
            if buf[i + 1] == b'\r' && buf.get(i + 2) == Some(&b'\n') {
                return Some(i + 3);
            }
        }
        i += 1;
    }
    None
}

impl Stream for SseStream {
    type Item = Result<StreamItem, UpstreamError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        loop {
            if let Some(item) = self.pending.pop_front() {
                return Poll::Ready(Some(Ok(item)));
            }
            if self.ended {
                return Poll::Ready(None);
            }
            match self.inner.as_mut().poll_next(cx) {
                Poll::Ready(Some(Ok(chunk))) => {
                    let idle = self.idle;
                    self.deadline
                        .as_mut()
                        .reset(tokio::time::Instant::now() + idle);
                    self.buf.extend_from_slice(&chunk);
                    if let Err(e) = self.drain_events() {
                        self.ended = true;
                        return Poll::Ready(Some(Err(e)));
                    }
                }
                Poll::Ready(Some(Err(e))) => {
                    self.ended = true;
                    return Poll::Ready(Some(Err(UpstreamError::Protocol(format!(
                        "stream broken: {e}"
                    )))));
                }
                Poll::Ready(None) => {
                    self.ended = true;
                    let this = &mut *self;
                    if !this.buf.iter().all(u8::is_ascii_whitespace) {
                        let mut rest = this.buf.split().freeze().to_vec();
                        rest.extend_from_slice(b"\n\n");
                        if let Err(e) = this
                            .transform
                            .on_event(Bytes::from(rest), &mut this.pending)
                        {
                            return Poll::Ready(Some(Err(e)));
                        }
                    }
                    if let Err(e) = this.transform.on_end(&mut this.pending) {
                        return Poll::Ready(Some(Err(e)));
                    }
                }
                Poll::Pending => {
                    if self.deadline.as_mut().poll(cx).is_ready() {
                        self.ended = true;
                        let secs = self.idle.as_secs();
                        return Poll::Ready(Some(Err(UpstreamError::Timeout(format!(
                            "no stream data for {secs}s"
                        )))));
                    }
                    return Poll::Pending;
                }
            }
        }
    }
}

/// Waits for the stream's first item within `first_byte`, so that an upstream which sends its
/// headers and then stalls or fails is still retried (nothing has reached the client yet).
pub async fn primed(
    mut s: SseStream,
    first_byte: Duration,
) -> Result<super::EventStream, UpstreamError> {
    use futures_util::StreamExt;
    let first = match tokio::time::timeout(first_byte, s.next()).await {
        Err(_) => {
            return Err(UpstreamError::Timeout(format!(
                "no stream data within {}s",
                first_byte.as_secs()
            )))
        }
        Ok(None) => {
            return Err(UpstreamError::Protocol(
                "stream closed before any event".into(),
            ))
        }
        Ok(Some(Err(e))) => return Err(e),
        Ok(Some(Ok(item))) => item,
    };
    Ok(Box::pin(
        futures_util::stream::once(async move { Ok(first) }).chain(s),
    ))
}

/// The `event:` name and the joined `data:` payload of a raw event.
pub fn parse_event(raw: &[u8]) -> (Option<&str>, String) {
    let text = std::str::from_utf8(raw).unwrap_or("");
    let mut event = None;
    let mut data = String::new();
    for line in text.lines() {
        if let Some(v) = line.strip_prefix("event:") {
            event = Some(v.trim());
        } else if let Some(v) = line.strip_prefix("data:") {
            if !data.is_empty() {
                data.push('\n');
            }
            data.push_str(v.strip_prefix(' ').unwrap_or(v));
        }
    }
    (event, data)
}

use std::future::Future;

#[cfg(test)]
mod tests;
