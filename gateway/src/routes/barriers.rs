//! `/api/barriers`: barrier definitions (every change audited before it takes effect), the
//! supervision records, their review and the attestation summary.

use std::sync::Arc;

use axum::extract::{Path, Query, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Extension;
use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::{json, Value};

use super::{from_body, json_body, json_value};
use crate::app::AppState;
use crate::barriers::model::{Barrier, BarrierInput};
use crate::barriers::supervision::{self, ReviewRefusal, Violation, ViolationFilter};
use crate::error::ApiError;
use crate::identity::{Caller, CallerKind};
use crate::store::{Docs, StoreError};

fn store_err(e: StoreError) -> ApiError {
    match e {
        StoreError::Conflict(m) => ApiError::Conflict(m),
        e => ApiError::StoreUnavailable(e.to_string()),
    }
}

fn to_value<T: serde::Serialize>(v: &T) -> Value {
    serde_json::to_value(v).unwrap_or(Value::Null)
}

async fn input(app: &AppState, req: Request) -> Result<BarrierInput, ApiError> {
    let (body, _) = json_body(req, app.cfg.server.max_body_bytes).await?;
    serde_json::from_value(Value::Object(body)).map_err(|e| ApiError::InvalidValue {
        field: "body".into(),
        reason: e.to_string(),
    })
}

async fn barrier(app: &AppState, id: &str) -> Result<Barrier, ApiError> {
    app.guard
        .store()
        .get_doc(id)
        .await
        .map_err(store_err)?
        .ok_or_else(|| ApiError::NotFound(format!("no barrier {id}")))
}

pub async fn create(
    State(app): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
    req: Request,
) -> Result<Response, ApiError> {
    let b = input(&app, req).await?.into_barrier(None, Utc::now())?;
    if app
        .guard
        .store()
        .get_doc::<Barrier>(&b.id)
        .await
        .map_err(store_err)?
        .is_some()
    {
        return Err(ApiError::Conflict(format!("barrier {} exists", b.id)));
    }
    app.audit
        .admin_change(
            &caller,
            "admin.barrier.create",
            &b.id,
            Value::Null,
            to_value(&b),
        )
        .await?;
    app.guard.store().create_doc(&b).await.map_err(store_err)?;
    app.guard.refresh_barriers().await?;
    Ok((StatusCode::CREATED, axum::Json(b)).into_response())
}

pub async fn list(State(app): State<Arc<AppState>>) -> Result<Response, ApiError> {
    let all: Vec<Barrier> = app.guard.store().list_docs().await.map_err(store_err)?;
    Ok(axum::Json(json!({"data": all})).into_response())
}

pub async fn get(
    State(app): State<Arc<AppState>>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    Ok(axum::Json(barrier(&app, &id).await?).into_response())
}

pub async fn replace(
    State(app): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    req: Request,
) -> Result<Response, ApiError> {
    let before = barrier(&app, &id).await?;
    let after = input(&app, req)
        .await?
        .into_barrier(Some(&before), Utc::now())?;
    app.audit
        .admin_change(
            &caller,
            "admin.barrier.update",
            &id,
            to_value(&before),
            to_value(&after),
        )
        .await?;
    app.guard
        .store()
        .replace_doc(&after)
        .await
        .map_err(store_err)?;
    app.guard.refresh_barriers().await?;
    Ok(axum::Json(after).into_response())
}

pub async fn delete(
    State(app): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let before = barrier(&app, &id).await?;
    app.audit
        .admin_change(
            &caller,
            "admin.barrier.delete",
            &id,
            to_value(&before),
            Value::Null,
        )
        .await?;
    app.guard
        .store()
        .delete_doc::<Barrier>(&id)
        .await
        .map_err(store_err)?;
    app.guard.refresh_barriers().await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

fn bad_query(e: impl std::fmt::Display) -> ApiError {
    ApiError::InvalidValue {
        field: "query".into(),
        reason: e.to_string(),
    }
}

pub async fn violations(
    State(app): State<Arc<AppState>>,
    query: Result<Query<ViolationFilter>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(filter) = query.map_err(bad_query)?;
    let all: Vec<Violation> = app.guard.store().list_docs().await.map_err(store_err)?;
    let data = supervision::select(all, &filter);
    Ok(axum::Json(json!({"data": data})).into_response())
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReviewInput {
    /// Required with the admin token; a login session reviews as its own user.
    #[serde(default)]
    reviewer: Option<String>,
    #[serde(default)]
    note: Option<String>,
}

pub async fn review(
    State(app): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    req: Request,
) -> Result<Response, ApiError> {
    let input: ReviewInput = from_body(json_value(req, app.cfg.server.max_body_bytes).await?)?;
    let reviewer = match (caller.kind, input.reviewer) {
        (CallerKind::User, _) => caller.id.clone(),
        (_, Some(r)) => r,
        (_, None) => return Err(ApiError::MissingField("reviewer")),
    };
    let store = app.guard.store();
    let mut v: Violation = store
        .get_doc(&id)
        .await
        .map_err(store_err)?
        .ok_or_else(|| ApiError::NotFound(format!("no violation {id}")))?;
    let before = to_value(&v);
    supervision::review(&mut v, &reviewer, input.note, Utc::now()).map_err(|r| match r {
        ReviewRefusal::SelfReview => ApiError::SelfReview,
        ReviewRefusal::AlreadyReviewed => {
            ApiError::Conflict(format!("violation {id} is already reviewed"))
        }
        ReviewRefusal::NoReviewer => ApiError::MissingField("reviewer"),
    })?;
    app.audit
        .admin_change(&caller, "admin.barrier.review", &id, before, to_value(&v))
        .await?;
    store.replace_doc(&v).await.map_err(store_err)?;
    Ok(axum::Json(v).into_response())
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Period {
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
}

pub async fn attestation(
    State(app): State<Arc<AppState>>,
    query: Result<Query<Period>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(p) = query.map_err(bad_query)?;
    let all: Vec<Violation> = app.guard.store().list_docs().await.map_err(store_err)?;
    let report = supervision::attestation(&all, p.from, p.to, Utc::now());
    Ok(axum::Json(report).into_response())
}
