//! `POST /api/login {username, password}`: an LDAP simple bind as the user; members of
//! `ldap.admin_groups` get a short-lived session token for the admin listener, kept in the
//! store so that every instance accepts it.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};

use super::json_body;
use crate::app::AppState;
use crate::barriers::model::group_matches;
use crate::error::ApiError;

fn field<'a>(
    body: &'a serde_json::Map<String, Value>,
    name: &'static str,
) -> Result<&'a str, ApiError> {
    match body.get(name) {
        Some(Value::String(s)) => Ok(s),
        Some(_) => Err(ApiError::invalid_type(name, "a string")),
        None => Err(ApiError::MissingField(name)),
    }
}

pub async fn login(State(app): State<Arc<AppState>>, req: Request) -> Result<Response, ApiError> {
    let ldap = app
        .identity
        .ldap()
        .ok_or_else(|| ApiError::NotFound("login needs an [ldap] section in the config".into()))?;
    let (body, _) = json_body(req, 64 * 1024).await?;
    let user = field(&body, "username")?;
    let password = field(&body, "password")?;
    let groups = ldap.authenticate(user, password).await?;
    let allowed = ldap
        .cfg()
        .admin_groups
        .iter()
        .any(|p| groups.iter().any(|g| group_matches(p, g)));
    if !allowed {
        tracing::warn!(user, "login refused: not in ldap.admin_groups");
        return Err(ApiError::InvalidLogin);
    }
    let ttl = ldap.cfg().session_ttl;
    let token = app
        .identity
        .sessions()
        .open(user, groups.clone(), ttl, chrono::Utc::now())
        .await?;
    Ok(axum::Json(json!({
        "token": token,
        "token_type": "Bearer",
        "expires_in": ttl.as_secs(),
        "user": user,
        "groups": groups,
    }))
    .into_response())
}
