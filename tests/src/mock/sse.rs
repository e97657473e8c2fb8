//! Server-sent-event framing.

use axum::body::Bytes;
use serde_json::Value;

/// `data: {json}\n\n`
pub(crate) fn data(v: &Value) -> Bytes {
    Bytes::from(format!("data: {v}\n\n"))
}

/// `event: NAME\ndata: {json}\n\n`
pub(crate) fn event(name: &str, v: &Value) -> Bytes {
    Bytes::from(format!("event: {name}\ndata: {v}\n\n"))
}

pub(crate) fn done() -> Bytes {
    Bytes::from_static(b"data: [DONE]\n\n")
}
