//! Thin axum handlers: take the request apart, call one service function, map the result.

pub mod a2a;
pub mod agents;
pub mod aida;
pub mod audit;
pub mod barriers;
pub mod classify;
pub mod examination;
pub mod health;
pub mod keys;
pub mod login;
pub mod proxy;

use axum::extract::Request;
use serde_json::{Map, Value};

use crate::error::ApiError;
use crate::pipeline::body::{parse_object, read_limited};

/// Reads a request's JSON object body within `limit` bytes; also returns the raw bytes.
pub async fn json_body(
    req: Request,
    limit: usize,
) -> Result<(Map<String, Value>, bytes::Bytes), ApiError> {
    let declared = req
        .headers()
        .get(axum::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    let bytes = read_limited(req.into_body(), declared, limit).await?;
    Ok((parse_object(&bytes)?, bytes))
}
