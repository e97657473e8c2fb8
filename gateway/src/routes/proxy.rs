//! `/v1/*`: the OpenAI-compatible API.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::response::Response;
use axum::Extension;

use super::json_body;
use crate::app::AppState;
use crate::error::ApiError;
use crate::identity::Caller;
use crate::pipeline::chat;

pub async fn chat_completions(
    State(app): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
    req: Request,
) -> Result<Response, ApiError> {
    let body = json_body(req, app.cfg.server.max_body_bytes).await?;
    chat::chat_completions(&app, &caller, body).await
}

pub async fn embeddings(
    State(app): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
    req: Request,
) -> Result<Response, ApiError> {
    let body = json_body(req, app.cfg.server.max_body_bytes).await?;
    chat::embeddings(&app, &caller, body).await
}

pub async fn models(
    State(app): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
) -> Response {
    chat::models(&app, &caller)
}
