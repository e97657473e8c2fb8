//! `POST /api/classify` (labels of a text) and `PUT /api/watchlist` (hot swap, audited).

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::response::{IntoResponse, Response};
use axum::Extension;
use serde_json::{json, Value};

use super::json_body;
use crate::app::AppState;
use crate::error::ApiError;
use crate::identity::Caller;
use crate::pipeline::body::read_limited;

pub async fn classify(
    State(app): State<Arc<AppState>>,
    req: Request,
) -> Result<Response, ApiError> {
    let (body, _) = json_body(req, app.cfg.server.max_body_bytes).await?;
    let text = match body.get("text") {
        Some(Value::String(s)) => s.clone(),
        Some(_) => return Err(ApiError::invalid_type("text", "a string")),
        None => return Err(ApiError::MissingField("text")),
    };
    let c = app.guard.classify(text).await;
    Ok(axum::Json(json!({
        "labels": c.labels,
        "findings": c.findings,
        "compliance_score": c.compliance_score,
    }))
    .into_response())
}

pub async fn put_watchlist(
    State(app): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
    req: Request,
) -> Result<Response, ApiError> {
    let bytes = read_limited(req.into_body(), None, 64 << 20).await?;
    let hash = crate::audit::call::sha256_hex(&bytes);
    // Checked before it is recorded; recorded before it takes effect.
    parapet_classifiers::Watchlist::from_json(&bytes).map_err(|e| ApiError::InvalidValue {
        field: "watchlist".into(),
        reason: e.to_string(),
    })?;
    app.audit
        .admin_change(
            &caller,
            "admin.watchlist.replace",
            "watchlist",
            Value::Null,
            json!({"sha256": hash}),
        )
        .await?;
    let mut info = app.guard.set_watchlist(bytes.to_vec()).await?;
    if let Some(o) = info.as_object_mut() {
        o.insert("sha256".into(), json!(hash));
    }
    Ok(axum::Json(info).into_response())
}
