//! `/api/v1/approvals` (list, get, approve, deny) and `/api/v1/grants` (break-glass). Logic in
//! `approvals`.

use std::sync::Arc;

use axum::extract::{Path, Query, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Extension;
use chrono::Utc;
use serde::Deserialize;
use serde_json::{json, Value};

use super::{from_body, json_value};
use crate::app::AppState;
use crate::approvals::grants::NewGrant;
use crate::approvals::{view, Status, Verdict};
use crate::error::ApiError;
use crate::identity::Caller;

#[derive(Debug, Deserialize)]
pub struct ListQuery {
    status: Option<String>,
}

/// The approvals the caller may see (all of them for administrators; see `approvals::access`).
pub async fn list(
    State(app): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
    Query(q): Query<ListQuery>,
) -> Result<Response, ApiError> {
    let status = match q.status.as_deref() {
        None | Some("") => None,
        Some(s) => Some(Status::parse(s).ok_or_else(|| ApiError::InvalidValue {
            field: "status".into(),
            reason: "one of pending, approved, denied, expired".into(),
        })?),
    };
    let data: Vec<Value> = app
        .approvals
        .list(&caller, status)
        .await?
        .iter()
        .map(view)
        .collect();
    Ok(axum::Json(json!({"data": data})).into_response())
}

pub async fn get(
    State(app): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    Ok(axum::Json(view(&app.approvals.get(&id, &caller).await?)).into_response())
}

async fn verdict(app: &AppState, req: Request) -> Result<Verdict, ApiError> {
    let empty = req
        .headers()
        .get(axum::http::header::CONTENT_LENGTH)
        .is_some_and(|v| v == "0");
    if empty {
        return Ok(Verdict::default());
    }
    from_body(json_value(req, app.cfg.server.max_body_bytes).await?)
}

/// Approves or denies (`approvals::Approvals::decide`).
async fn decide(
    app: &AppState,
    caller: &Caller,
    id: &str,
    req: Request,
    approve: bool,
) -> Result<Response, ApiError> {
    let v = verdict(app, req).await?;
    let a = app.approvals.decide(id, caller, approve, v).await?;
    Ok(axum::Json(view(&a)).into_response())
}

pub async fn approve(
    State(app): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    req: Request,
) -> Result<Response, ApiError> {
    decide(&app, &caller, &id, req, true).await
}

pub async fn deny(
    State(app): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    req: Request,
) -> Result<Response, ApiError> {
    decide(&app, &caller, &id, req, false).await
}

pub async fn create_grant(
    State(app): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
    req: Request,
) -> Result<Response, ApiError> {
    let new: NewGrant = from_body(json_value(req, app.cfg.server.max_body_bytes).await?)?;
    let g = app.policy.create_grant(&app.audit, &caller, new).await?;
    Ok((StatusCode::CREATED, axum::Json(g.view(Utc::now()))).into_response())
}

pub async fn grants(State(app): State<Arc<AppState>>) -> Result<Response, ApiError> {
    let now = Utc::now();
    let data: Vec<Value> = app
        .policy
        .list_grants()
        .await?
        .iter()
        .map(|g| g.view(now))
        .collect();
    Ok(axum::Json(json!({"data": data})).into_response())
}

pub async fn grant(
    State(app): State<Arc<AppState>>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    Ok(axum::Json(app.policy.grant(&id).await?.view(Utc::now())).into_response())
}

pub async fn revoke_grant(
    State(app): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let g = app.policy.revoke_grant(&app.audit, &caller, &id).await?;
    Ok(axum::Json(g.view(Utc::now())).into_response())
}
