//! `/api/examination/inventory` (the AI inventory, classification audited before/after) and
//! `/api/spend` (cost grouped by key, user, team, model or day; JSON or CSV).

use std::sync::Arc;

use axum::extract::{Path, Query, Request, State};
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::Extension;
use serde::Deserialize;
use serde_json::{json, Value};

use super::{from_body, json_value};
use crate::app::AppState;
use crate::audit::export::ExportRange;
use crate::error::ApiError;
use crate::examination::inventory::InventoryUpdate;
use crate::examination::spend::GroupBy;
use crate::identity::Caller;

pub async fn inventory(State(app): State<Arc<AppState>>) -> Result<Response, ApiError> {
    Ok(axum::Json(json!({"data": app.exam.inventory().await?})).into_response())
}

pub async fn entry(
    State(app): State<Arc<AppState>>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    Ok(axum::Json(app.exam.entry(&id).await?).into_response())
}

pub async fn classify(
    State(app): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    req: Request,
) -> Result<Response, ApiError> {
    let update: InventoryUpdate = from_body(json_value(req, app.cfg.server.max_body_bytes).await?)?;
    let (before, after) = app.exam.classify(&id, update).await?;
    let to_value = |v| serde_json::to_value(v).unwrap_or(Value::Null);
    app.audit
        .admin_change(
            &caller,
            "admin.inventory.update",
            &id,
            to_value(&before),
            to_value(&after),
        )
        .await?;
    app.exam.store_classification(&after).await?;
    Ok(axum::Json(app.exam.entry(&id).await?).into_response())
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SpendQuery {
    group_by: Option<String>,
    from: Option<String>,
    to: Option<String>,
    format: Option<String>,
}

pub async fn spend(
    State(app): State<Arc<AppState>>,
    headers: HeaderMap,
    q: Result<Query<SpendQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(q) = q.map_err(|e| ApiError::InvalidValue {
        field: "query".into(),
        reason: e.body_text(),
    })?;
    let group_by: GroupBy = q
        .group_by
        .as_deref()
        .unwrap_or("model")
        .parse()
        .map_err(|reason| ApiError::InvalidValue {
            field: "group_by".into(),
            reason,
        })?;
    // The audit export's RFC 3339 bounds, under this API's names.
    let bounds = serde_json::from_value::<ExportRange>(json!({"since": q.from, "until": q.to}))
        .map_err(|e| ApiError::Internal(e.to_string()))?
        .bounds()
        .map_err(|e| match e {
            ApiError::InvalidValue { field, reason } => ApiError::InvalidValue {
                field: if field == "since" { "from" } else { "to" }.into(),
                reason,
            },
            other => other,
        })?;
    let csv = match q.format.as_deref() {
        Some("csv") => true,
        Some("json") => false,
        Some(other) => {
            return Err(ApiError::InvalidValue {
                field: "format".into(),
                reason: format!("'{other}': use json or csv"),
            })
        }
        None => headers
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|a| a.contains("text/csv")),
    };
    let spend = app
        .exam
        .spend(group_by, bounds.since.as_deref(), bounds.until.as_deref())
        .await?;
    if csv {
        let mut r = spend.csv().into_response();
        r.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/csv; charset=utf-8"),
        );
        return Ok(r);
    }
    Ok(axum::Json(json!({
        "group_by": group_by,
        "from": bounds.since,
        "to": bounds.until,
        "total_cost_usd": spend.total_usd(),
        "data": spend.rows(),
    }))
    .into_response())
}
