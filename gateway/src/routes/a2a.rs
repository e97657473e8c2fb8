//! `/a2a/{agent_id}` (JSON-RPC, through `a2a::dispatch`) and the agent cards Parapet serves at
//! `/a2a/{agent_id}/.well-known/agent-card.json` (public, like the agents' own).

use std::sync::Arc;

use axum::extract::{Path, Request, State};
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Response};
use axum::Extension;

use crate::a2a::dispatch::dispatch;
use crate::app::AppState;
use crate::error::ApiError;
use crate::identity::Caller;
use crate::pipeline::body::read_limited;

pub async fn rpc(
    State(app): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
    Path(agent_id): Path<String>,
    req: Request,
) -> Response {
    let (parts, body) = req.into_parts();
    let declared = parts
        .headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    let body = read_limited(body, declared, app.cfg.server.max_body_bytes).await;
    dispatch(app.clone(), caller, agent_id, parts.headers, body).await
}

/// The base URL clients reach the proxy listener at: `server.public_url`, else the request's
/// `Host` over plain HTTP (set `public_url` behind TLS or a proxy).
fn gateway_base(app: &AppState, headers: &HeaderMap) -> Result<String, ApiError> {
    if let Some(u) = &app.cfg.server.public_url {
        return Ok(u.clone());
    }
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .filter(|h| !h.is_empty() && h.bytes().all(|b| b.is_ascii_graphic()))
        .ok_or(ApiError::MissingField("Host header"))?;
    Ok(format!("http://{host}"))
}

pub async fn card(
    State(app): State<Arc<AppState>>,
    Path(agent_id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let profile = app.a2a.profile(&agent_id).await?;
    let url = format!("{}/a2a/{}", gateway_base(&app, &headers)?, profile.id);
    let served = app.a2a.served_card(&profile, &url).await?;
    Ok((
        [(header::CACHE_CONTROL, "no-cache")],
        axum::Json(serde_json::Value::Object(served)),
    )
        .into_response())
}
