//! Thin axum handlers: take the request apart, call one service function, map the result.

pub mod a2a;
pub mod agents;
pub mod aida;
pub mod approvals;
pub mod audit;
pub mod barriers;
pub mod classify;
pub mod decisions;
pub mod examination;
pub mod health;
pub mod keys;
pub mod login;
pub mod policies;
pub mod proxy;
pub mod report;

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

/// Reads a request's JSON body (any JSON value) within `limit` bytes.
pub async fn json_value(req: Request, limit: usize) -> Result<Value, ApiError> {
    let (map, _) = json_body(req, limit).await?;
    Ok(Value::Object(map))
}

/// Deserializes a body into `T`, a 400 naming the problem otherwise.
pub fn from_body<T: serde::de::DeserializeOwned>(v: Value) -> Result<T, ApiError> {
    serde_json::from_value(v).map_err(|e| ApiError::InvalidValue {
        field: "body".into(),
        reason: e.to_string(),
    })
}
