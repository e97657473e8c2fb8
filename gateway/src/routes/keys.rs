//! `/api/keys`: create, list, show and revoke virtual keys.

use std::sync::Arc;

use axum::extract::{Path, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Extension;
use serde_json::{json, Value};

use super::json_body;
use crate::app::AppState;
use crate::error::ApiError;
use crate::identity::keys::NewKey;
use crate::identity::Caller;
use crate::store::KeyRecord;

/// A key record as shown to administrators: never the hash.
fn view(rec: &KeyRecord) -> Value {
    json!({
        "id": rec.id, "prefix": rec.prefix, "owner": rec.owner, "team": rec.team, "tags": rec.tags,
        "models": rec.models, "created_at": rec.created_at, "expires_at": rec.expires_at, "revoked_at": rec.revoked_at,
    })
}

pub async fn create(
    State(app): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
    req: Request,
) -> Result<Response, ApiError> {
    let (body, _) = json_body(req, app.cfg.server.max_body_bytes).await?;
    let new: NewKey = serde_json::from_value(serde_json::Value::Object(body)).map_err(|e| {
        ApiError::InvalidValue {
            field: "body".into(),
            reason: e.to_string(),
        }
    })?;
    let (rec, key) = app.identity.keys().create(new).await?;
    // The key exists only once its creation is on record; otherwise it is revoked again.
    if let Err(e) = app
        .audit
        .admin_change(
            &caller,
            "admin.key.create",
            &rec.id,
            Value::Null,
            view(&rec),
        )
        .await
    {
        let _ = app.identity.keys().revoke(&rec.id).await;
        return Err(e);
    }
    tracing::info!(key_id = %rec.id, owner = %rec.owner, "virtual key created");
    let mut out = view(&rec);
    out["key"] = Value::String(key);
    Ok((StatusCode::CREATED, axum::Json(out)).into_response())
}

pub async fn list(State(app): State<Arc<AppState>>) -> Result<Response, ApiError> {
    let keys = app.identity.keys().list().await?;
    Ok(axum::Json(json!({"data": keys.iter().map(view).collect::<Vec<_>>()})).into_response())
}

pub async fn get(
    State(app): State<Arc<AppState>>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let rec = app.identity.keys().get(&id).await?;
    Ok(axum::Json(view(&rec)).into_response())
}

pub async fn revoke(
    State(app): State<Arc<AppState>>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let rec = app.identity.keys().revoke(&id).await?;
    tracing::info!(key_id = %rec.id, "virtual key revoked");
    Ok(axum::Json(view(&rec)).into_response())
}
