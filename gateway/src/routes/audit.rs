//! `/api/audit/*`: the SIEM cursor, verification, streamed export and checkpoints.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::app::AppState;
use crate::audit::export::{export_stream, ExportFormat, ExportRange};
use crate::audit::read::{parse_record, verify_and_report};
use crate::error::ApiError;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventsQuery {
    #[serde(default)]
    after: u64,
    #[serde(default = "default_limit")]
    limit: usize,
}

fn default_limit() -> usize {
    100
}

/// `GET /api/audit/events?after=SEQ&limit=N`: records with `seq > after`, in order, and the
/// cursor to ask for next (`next`, equal to `after` when nothing new was there).
pub async fn events(
    State(app): State<Arc<AppState>>,
    q: Result<Query<EventsQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(q) = q.map_err(|e| ApiError::InvalidValue {
        field: "query".into(),
        reason: e.body_text(),
    })?;
    if q.limit == 0 || q.limit > 10_000 {
        return Err(ApiError::InvalidValue {
            field: "limit".into(),
            reason: "must be 1 to 10000".into(),
        });
    }
    let page = app
        .store
        .audit_range(q.after, q.limit)
        .await
        .map_err(|e| ApiError::StoreUnavailable(e.to_string()))?;
    let next = page.last().map(|(s, _)| *s).unwrap_or(q.after);
    let data = page
        .iter()
        .map(|(seq, json)| {
            parse_record(*seq, json).map(|r| serde_json::to_value(r).unwrap_or(Value::Null))
        })
        .collect::<Result<Vec<_>, _>>()
        .map_err(ApiError::Internal)?;
    Ok(
        axum::Json(json!({"data": data, "next": next, "has_more": data.len() == q.limit}))
            .into_response(),
    )
}

/// `GET /api/audit/verify`: 200 with the report when the chain and checkpoints hold, 409 with
/// the first break otherwise (which is itself recorded and sent to webhooks).
pub async fn verify(State(app): State<Arc<AppState>>) -> Result<Response, ApiError> {
    let v = verify_and_report(&app.audit)
        .await
        .map_err(ApiError::StoreUnavailable)?;
    let status = if v.ok {
        StatusCode::OK
    } else {
        StatusCode::CONFLICT
    };
    Ok((status, axum::Json(v)).into_response())
}

/// `GET /api/audit/export?format=csv|jsonl&since=&until=&ecs=true`: streamed page by page.
pub async fn export(
    State(app): State<Arc<AppState>>,
    q: Result<Query<ExportRange>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(q) = q.map_err(|e| ApiError::InvalidValue {
        field: "query".into(),
        reason: e.body_text(),
    })?;
    let format = q.format()?;
    let content_type = match format {
        ExportFormat::Csv => "text/csv; charset=utf-8",
        ExportFormat::Jsonl | ExportFormat::Ecs => "application/x-ndjson",
    };
    let body = Body::from_stream(export_stream(app.store.clone(), q.bounds()?, format));
    Ok(([(header::CONTENT_TYPE, content_type)], body).into_response())
}

/// `GET /api/audit/checkpoints`: every signed checkpoint note and the key to check them with.
pub async fn checkpoints(State(app): State<Arc<AppState>>) -> Result<Response, ApiError> {
    let notes = app
        .store
        .checkpoints()
        .await
        .map_err(|e| ApiError::StoreUnavailable(e.to_string()))?;
    let data: Vec<Value> = notes
        .iter()
        .map(|(seq, note)| json!({"seq": seq, "note": note}))
        .collect();
    let key = app.audit.signer().map(|s| s.verifier_key());
    Ok(axum::Json(json!({"verifier_key": key, "data": data})).into_response())
}
