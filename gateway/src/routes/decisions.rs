//! `/api/v1/decisions/*`: the decision API (see `policy::decide`).

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::response::{IntoResponse, Response};
use axum::Extension;
use serde_json::Value;

use super::json_value;
use crate::app::AppState;
use crate::error::ApiError;
use crate::identity::Caller;
use crate::policy::decide::{self, parse_request, Recorder, MAX_BATCH};

fn recorder(app: &AppState) -> Recorder<'_> {
    Recorder {
        audit: &app.audit,
        enabled: app.cfg.policies.audit_decisions,
    }
}

pub async fn check(
    State(app): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
    req: Request,
) -> Result<Response, ApiError> {
    let mut body = json_value(req, app.cfg.server.max_body_bytes).await?;
    let approval_id = match body.as_object_mut().and_then(|m| m.remove("approval_id")) {
        None | Some(Value::Null) => None,
        Some(Value::String(id)) if !id.trim().is_empty() => Some(id.trim().to_owned()),
        Some(_) => return Err(ApiError::invalid_type("approval_id", "a non-empty string")),
    };
    let request = parse_request(body, "")?;
    let answer = decide::check(
        &app.policy,
        &app.approvals,
        recorder(&app),
        &caller,
        request,
        approval_id.as_deref(),
    )
    .await?;
    Ok(axum::Json(answer).into_response())
}

/// `{"requests": [<decision request>, ...]}` -> `{"results": [<decision>, ...]}` in order.
pub async fn batch(
    State(app): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
    req: Request,
) -> Result<Response, ApiError> {
    let mut body = json_value(req, app.cfg.server.max_body_bytes).await?;
    let Some(Value::Array(items)) = body.get_mut("requests").map(Value::take) else {
        return Err(ApiError::invalid_type(
            "requests",
            "an array of decision requests",
        ));
    };
    if items.len() > MAX_BATCH {
        return Err(ApiError::InvalidValue {
            field: "requests".into(),
            reason: format!("at most {MAX_BATCH} checks per batch"),
        });
    }
    let requests = items
        .into_iter()
        .enumerate()
        .map(|(i, v)| {
            if v.get("approval_id").is_some() {
                return Err(ApiError::InvalidValue {
                    field: format!("requests[{i}].approval_id"),
                    reason: "an approval is used one check at a time: send it to /api/v1/decisions/check".into(),
                });
            }
            parse_request(v, &format!("requests[{i}]"))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let answer = decide::batch(
        &app.policy,
        &app.approvals,
        recorder(&app),
        &caller,
        requests,
    )
    .await?;
    Ok(axum::Json(answer).into_response())
}
