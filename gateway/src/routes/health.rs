//! `/healthz` (the process answers), `/readyz` (the store answers), `/metrics` (Prometheus).

use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::app::AppState;

pub async fn healthz() -> Response {
    axum::Json(json!({"status": "ok"})).into_response()
}

pub async fn readyz(State(app): State<Arc<AppState>>) -> Response {
    let backend = app.store.backend();
    match tokio::time::timeout(Duration::from_secs(2), app.store.ping()).await {
        Ok(Ok(())) => axum::Json(json!({"status": "ready", "store": backend})).into_response(),
        Ok(Err(e)) => not_ready(backend, &e.to_string()),
        Err(_) => not_ready(backend, "store did not answer within 2s"),
    }
}

fn not_ready(backend: &str, reason: &str) -> Response {
    (
        StatusCode::SERVICE_UNAVAILABLE,
        axum::Json(json!({"status": "not_ready", "store": backend, "reason": reason})),
    )
        .into_response()
}

pub async fn metrics(State(app): State<Arc<AppState>>) -> Response {
    match &app.metrics {
        Some(h) => (
            [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
            h.render(),
        )
            .into_response(),
        None => (
            StatusCode::SERVICE_UNAVAILABLE,
            "metrics recorder not installed",
        )
            .into_response(),
    }
}
