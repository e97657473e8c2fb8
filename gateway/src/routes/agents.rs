//! `/api/agents`: the registry of downstream A2A agents. Every change is on the audit record
//! (before/after) before it takes effect.

use std::sync::Arc;

use axum::extract::{Path, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Extension;
use serde_json::{json, Value};

use super::json_body;
use crate::a2a::registry::AgentInput;
use crate::app::AppState;
use crate::error::ApiError;
use crate::identity::Caller;

async fn input(app: &AppState, req: Request) -> Result<AgentInput, ApiError> {
    let (body, _) = json_body(req, app.cfg.server.max_body_bytes).await?;
    serde_json::from_value(Value::Object(body)).map_err(|e| ApiError::InvalidValue {
        field: "body".into(),
        reason: e.to_string(),
    })
}

fn to_value<T: serde::Serialize>(v: &T) -> Value {
    serde_json::to_value(v).unwrap_or(Value::Null)
}

pub async fn create(
    State(app): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
    req: Request,
) -> Result<Response, ApiError> {
    let profile = app.a2a.checked(input(&app, req).await?, None).await?;
    if app.a2a.profile(&profile.id).await.is_ok() {
        return Err(ApiError::Conflict(format!("agent {} exists", profile.id)));
    }
    app.audit
        .admin_change(
            &caller,
            "admin.agent.create",
            &profile.id,
            Value::Null,
            to_value(&profile),
        )
        .await?;
    app.a2a.create(&profile).await?;
    Ok((StatusCode::CREATED, axum::Json(profile)).into_response())
}

pub async fn list(State(app): State<Arc<AppState>>) -> Result<Response, ApiError> {
    Ok(axum::Json(json!({"data": app.a2a.list().await?})).into_response())
}

pub async fn get(
    State(app): State<Arc<AppState>>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    Ok(axum::Json(app.a2a.profile(&id).await?).into_response())
}

pub async fn replace(
    State(app): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    req: Request,
) -> Result<Response, ApiError> {
    let before = app.a2a.profile(&id).await?;
    let after = app.a2a.checked(input(&app, req).await?, Some(&id)).await?;
    app.audit
        .admin_change(
            &caller,
            "admin.agent.update",
            &id,
            to_value(&before),
            to_value(&after),
        )
        .await?;
    app.a2a.replace(&after).await?;
    Ok(axum::Json(after).into_response())
}

pub async fn delete(
    State(app): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let before = app.a2a.profile(&id).await?;
    app.audit
        .admin_change(
            &caller,
            "admin.agent.delete",
            &id,
            to_value(&before),
            Value::Null,
        )
        .await?;
    app.a2a.delete(&id).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
