//! `/api/examination/report`: generate (or reuse, 24 h) an examination report, fetch one by id,
//! optionally as a download (`?format=json`: `Content-Disposition: attachment`).

use std::sync::Arc;

use axum::extract::{Path, Query, Request, State};
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::Extension;
use serde::Deserialize;

use super::json_value;
use crate::app::AppState;
use crate::error::ApiError;
use crate::identity::Caller;

pub async fn create(
    State(app): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
    req: Request,
) -> Result<Response, ApiError> {
    let body = json_value(req, app.cfg.server.max_body_bytes).await?;
    let report = app
        .reports
        .create(&caller, &body, chrono::Utc::now())
        .await?;
    Ok(axum::Json(report).into_response())
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GetQuery {
    format: Option<String>,
}

pub async fn get(
    State(app): State<Arc<AppState>>,
    Path(id): Path<String>,
    q: Result<Query<GetQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(q) = q.map_err(|e| ApiError::InvalidValue {
        field: "query".into(),
        reason: e.body_text(),
    })?;
    let download = match q.format.as_deref() {
        None => false,
        Some("json") => true,
        Some(other) => {
            return Err(ApiError::InvalidValue {
                field: "format".into(),
                reason: format!("'{other}': reports are exported as json"),
            })
        }
    };
    let report = app.reports.get(&id).await?;
    let name = format!(
        "parapet-report-{}-{}.json",
        report["report_type"].as_str().unwrap_or("report"),
        id
    );
    let mut resp = axum::Json(report).into_response();
    if download {
        // The id is a uuid and the type one of five names, so the file name is plain ASCII.
        if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")) {
            resp.headers_mut().insert(header::CONTENT_DISPOSITION, v);
        }
    }
    Ok(resp)
}
