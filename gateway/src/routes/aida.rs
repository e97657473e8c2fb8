//! `/api/aida/*`: agent credentials: issue (the bearer `cred_id` is shown once), list, show,
//! revoke, and a dry run of the enforcer. Issue and revoke are on the audit record first.

use std::sync::Arc;

use axum::extract::{Path, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Extension;
use serde::Deserialize;
use serde_json::{json, Value};

use super::json_body;
use crate::aida::credential::{Credential, NewCredential, Scope};
use crate::aida::enforce::{Action, AmountArg};
use crate::aida::Aida;
use crate::app::AppState;
use crate::error::ApiError;
use crate::identity::Caller;

fn aida(app: &AppState) -> Result<&Arc<Aida>, ApiError> {
    app.aida.as_ref().ok_or(ApiError::AidaDisabled)
}

/// A credential as shown to administrators: never the bearer or its hash.
fn view(c: &Credential) -> Value {
    json!({
        "id": c.id, "principal_id": c.principal_id, "agent_id": c.agent_id,
        "authorized_scopes": c.authorized_scopes, "max_transaction_usd": c.max_transaction_usd,
        "allowed_account_ids": c.allowed_account_ids, "issued_at": c.issued_at,
        "expires_at": c.expires_at, "revoked_at": c.revoked_at, "fingerprint": c.fingerprint,
    })
}

fn body_as<T: for<'de> Deserialize<'de>>(
    body: serde_json::Map<String, Value>,
) -> Result<T, ApiError> {
    serde_json::from_value(Value::Object(body)).map_err(|e| ApiError::InvalidValue {
        field: "body".into(),
        reason: e.to_string(),
    })
}

pub async fn issue(
    State(app): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
    req: Request,
) -> Result<Response, ApiError> {
    let aida = aida(&app)?;
    let (body, _) = json_body(req, app.cfg.server.max_body_bytes).await?;
    let (cred, bearer) = aida.issue(body_as::<NewCredential>(body)?).await?;
    if let Err(e) = app
        .audit
        .admin_change(
            &caller,
            "credential.issue",
            &cred.id,
            Value::Null,
            view(&cred),
        )
        .await
    {
        let _ = aida.revoke(&cred.id).await;
        return Err(e);
    }
    let mut out = view(&cred);
    out["cred_id"] = Value::String(bearer);
    Ok((StatusCode::CREATED, axum::Json(out)).into_response())
}

pub async fn list(State(app): State<Arc<AppState>>) -> Result<Response, ApiError> {
    let creds = aida(&app)?.list().await?;
    Ok(axum::Json(json!({"data": creds.iter().map(view).collect::<Vec<_>>()})).into_response())
}

pub async fn get(
    State(app): State<Arc<AppState>>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    Ok(axum::Json(view(&aida(&app)?.get(&id).await?)).into_response())
}

pub async fn revoke(
    State(app): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let aida = aida(&app)?;
    let before = aida.get(&id).await?;
    if before.revoked_at.is_some() {
        return Ok(axum::Json(view(&before)).into_response());
    }
    let mut after = view(&before);
    after["revoked_at"] = serde_json::to_value(chrono::Utc::now()).unwrap_or(Value::Null);
    app.audit
        .admin_change(&caller, "credential.revoke", &id, view(&before), after)
        .await?;
    Ok(axum::Json(view(&aida.revoke(&id).await?)).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct VerifyRequest {
    cred_id: String,
    #[serde(default)]
    scope: Option<String>,
    #[serde(default)]
    amount_usd: Option<Value>,
    #[serde(default)]
    account_id: Option<String>,
}

/// `POST /api/aida/verify`: what the enforcer would decide, without acting.
pub async fn verify(State(app): State<Arc<AppState>>, req: Request) -> Result<Response, ApiError> {
    let aida = aida(&app)?;
    let (body, _) = json_body(req, app.cfg.server.max_body_bytes).await?;
    let v: VerifyRequest = body_as(body)?;
    let scope: Option<Scope> = v.scope.as_deref().map(str::parse).transpose().map_err(
        |e: crate::aida::credential::ScopeError| ApiError::InvalidValue {
            field: "scope".into(),
            reason: e.to_string(),
        },
    )?;
    let amount_text = v.amount_usd.as_ref().map(|a| a.to_string());
    let amount = match &v.amount_usd {
        None => None,
        Some(Value::Number(n)) => Some(n.as_f64().map_or(
            AmountArg::Malformed(amount_text.as_deref().unwrap_or("")),
            AmountArg::Number,
        )),
        Some(_) => Some(AmountArg::Malformed(amount_text.as_deref().unwrap_or(""))),
    };
    let cred = aida.resolve(&v.cred_id).await?;
    let action = Action {
        scope: scope.as_ref(),
        amount_usd: amount,
        account_id: v.account_id.as_deref(),
    };
    let out = match aida.check(&cred, &action) {
        Ok(()) => json!({"allowed": true, "credential_id": cred.id}),
        Err(d) => {
            json!({"allowed": false, "credential_id": cred.id, "reason_code": d.code(), "message": d.to_string()})
        }
    };
    Ok(axum::Json(out).into_response())
}
