//! `/api/v1/policies` (versioned CRUD), `/api/v1/roles` (role definitions) and
//! `/api/v1/role-bindings` (who holds which roles). Logic in `policy::admin`.

use std::sync::Arc;

use axum::extract::{Path, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Extension;
use parapet_policies::Role;
use serde_json::{json, Value};

use super::{from_body, json_value};
use crate::app::AppState;
use crate::error::ApiError;
use crate::identity::Caller;
use crate::policy::admin::parse_policy;
use crate::policy::docs::RoleBinding;

pub async fn create(
    State(app): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
    req: Request,
) -> Result<Response, ApiError> {
    let policy = parse_policy(json_value(req, app.cfg.server.max_body_bytes).await?)?;
    let stored = app
        .policy
        .put_policy(&app.audit, &caller, policy, true)
        .await?;
    Ok((StatusCode::CREATED, axum::Json(stored)).into_response())
}

pub async fn list(State(app): State<Arc<AppState>>) -> Result<Response, ApiError> {
    Ok(axum::Json(json!({"data": app.policy.list_policies().await?})).into_response())
}

pub async fn get(
    State(app): State<Arc<AppState>>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    Ok(axum::Json(app.policy.policy(&id).await?).into_response())
}

pub async fn versions(
    State(app): State<Arc<AppState>>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    Ok(axum::Json(json!({"data": app.policy.policy_versions(&id).await?})).into_response())
}

pub async fn replace(
    State(app): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
    req: Request,
) -> Result<Response, ApiError> {
    let mut body = json_value(req, app.cfg.server.max_body_bytes).await?;
    if let Value::Object(m) = &mut body {
        match m.get("id") {
            None => {
                m.insert("id".into(), json!(id));
            }
            Some(v) if v != &json!(id) => {
                return Err(ApiError::InvalidValue {
                    field: "id".into(),
                    reason: format!("must be the path's id '{id}'"),
                })
            }
            Some(_) => {}
        }
    }
    let stored = app
        .policy
        .put_policy(&app.audit, &caller, parse_policy(body)?, false)
        .await?;
    Ok(axum::Json(stored).into_response())
}

pub async fn delete(
    State(app): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    app.policy.delete_policy(&app.audit, &caller, &id).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

pub async fn roles(State(app): State<Arc<AppState>>) -> Result<Response, ApiError> {
    Ok(axum::Json(json!({"data": app.policy.list_roles().await?})).into_response())
}

pub async fn role(
    State(app): State<Arc<AppState>>,
    Path(name): Path<String>,
) -> Result<Response, ApiError> {
    let role = app
        .policy
        .list_roles()
        .await?
        .into_iter()
        .find(|r| r.name == name)
        .ok_or_else(|| ApiError::NotFound(format!("no role '{name}'")))?;
    Ok(axum::Json(role).into_response())
}

/// `PUT /api/v1/roles/{name}` `{description?, actions}`: creates or replaces the role.
pub async fn put_role(
    State(app): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
    Path(name): Path<String>,
    req: Request,
) -> Result<Response, ApiError> {
    let mut body = json_value(req, app.cfg.server.max_body_bytes).await?;
    if let Value::Object(m) = &mut body {
        m.entry("name").or_insert_with(|| json!(name));
    }
    let role: Role = from_body(body)?;
    if role.name != name {
        return Err(ApiError::InvalidValue {
            field: "name".into(),
            reason: format!("must be the path's name '{name}'"),
        });
    }
    let role = app.policy.put_role(&app.audit, &caller, role).await?;
    Ok(axum::Json(role).into_response())
}

pub async fn delete_role(
    State(app): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
    Path(name): Path<String>,
) -> Result<Response, ApiError> {
    app.policy.delete_role(&app.audit, &caller, &name).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

pub async fn bindings(State(app): State<Arc<AppState>>) -> Result<Response, ApiError> {
    Ok(axum::Json(json!({"data": app.policy.list_bindings().await?})).into_response())
}

pub async fn binding(
    State(app): State<Arc<AppState>>,
    Path(subject): Path<String>,
) -> Result<Response, ApiError> {
    Ok(axum::Json(app.policy.binding(&subject).await?).into_response())
}

/// `PUT /api/v1/role-bindings/{subject}` `{roles: [...]}`.
pub async fn put_binding(
    State(app): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
    Path(subject): Path<String>,
    req: Request,
) -> Result<Response, ApiError> {
    let mut body = json_value(req, app.cfg.server.max_body_bytes).await?;
    if let Value::Object(m) = &mut body {
        m.entry("subject_id").or_insert_with(|| json!(subject));
    }
    let binding: RoleBinding = from_body(body)?;
    if binding.subject_id != subject {
        return Err(ApiError::InvalidValue {
            field: "subject_id".into(),
            reason: format!("must be the path's subject '{subject}'"),
        });
    }
    let b = app.policy.put_binding(&app.audit, &caller, binding).await?;
    Ok(axum::Json(b).into_response())
}

pub async fn delete_binding(
    State(app): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
    Path(subject): Path<String>,
) -> Result<Response, ApiError> {
    app.policy
        .delete_binding(&app.audit, &caller, &subject)
        .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
