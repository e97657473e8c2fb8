//! The per-call check (DESIGN §3 step 3), on when `[policies] enforce = true`: a model call or
//! an A2A message becomes a decision request (`llm.chat.create`, `llm.embeddings.create`,
//! `a2a.message.send`) about the model or agent, in the call's context (time, country from a
//! configured header, MFA from the JWT). An agent acting for its credential's principal is
//! checked with that user's roles too (non-escalation). `deny` refuses with `policy_denied`;
//! `require_approval` opens an approval and refuses with `approval_required`, unless the call
//! carries `X-Parapet-Approval` naming an approved, unused approval for this caller and this
//! exact body, which it then uses up. The decision goes into the call's audit record.

use axum::http::HeaderMap;
use chrono::Utc;
use parapet_policies::{Context, Effect, Request, Resource, SubjectType};
use serde_json::{json, Map, Value};

use super::decide::decision_json;
use super::SubjectFacts;
use crate::app::AppState;
use crate::approvals::{NewApproval, Requester, Use};
use crate::audit::call::CallDraft;
use crate::config::PoliciesConfig;
use crate::error::ApiError;
use crate::identity::{Caller, CallerKind};

/// The header a client retries with once its approval is granted.
pub const APPROVAL_HEADER: &str = "x-parapet-approval";

/// What the per-call check reads from the request headers.
#[derive(Debug, Clone, Default)]
pub struct CallHeaders {
    pub approval_id: Option<String>,
    pub ip_country: Option<String>,
}

impl CallHeaders {
    pub fn read(headers: &HeaderMap, cfg: &PoliciesConfig) -> CallHeaders {
        let text = |name: &str| {
            headers
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(str::to_owned)
        };
        CallHeaders {
            approval_id: text(APPROVAL_HEADER),
            ip_country: cfg
                .ip_country_header
                .as_deref()
                .and_then(text)
                .map(|c| c.to_ascii_uppercase()),
        }
    }
}

/// The call to check.
pub struct Call<'a> {
    pub action: &'static str,
    /// `model` or `agent`.
    pub resource_type: &'static str,
    pub resource_id: &'a str,
    pub attrs: Map<String, Value>,
    pub body_sha256: &'a str,
    pub route: &'a str,
}

fn subject_type(kind: CallerKind) -> SubjectType {
    match kind {
        CallerKind::User => SubjectType::User,
        CallerKind::Agent => SubjectType::Agent,
        CallerKind::Service => SubjectType::Service,
    }
}

/// The decision request for `call` by `caller`.
pub fn request(
    caller: &Caller,
    headers: &CallHeaders,
    call: &Call<'_>,
) -> Result<Request, ApiError> {
    let mut context = Context::new();
    let mut set = |k: &str, v: Value| {
        context
            .insert(k, v)
            .map_err(|reason| ApiError::Internal(format!("policy context: {reason}")))
    };
    set("time", json!(Utc::now().format("%H:%M").to_string()))?;
    if let Some(c) = &headers.ip_country {
        set("ip_country", json!(c))?;
    }
    if let Some(m) = caller.mfa_verified {
        set("mfa_verified", json!(m))?;
    }
    set("labels", json!([]))?;
    let on_behalf = match caller.kind {
        CallerKind::Agent => caller.principal_id.clone(),
        _ => None,
    };
    Ok(Request {
        subject_type: subject_type(caller.kind),
        subject_id: caller.id.clone(),
        on_behalf_of_user_id: on_behalf,
        action: call.action.to_owned(),
        resource: Resource {
            kind: call.resource_type.to_owned(),
            id: call.resource_id.to_owned(),
            attrs: call.attrs.clone(),
        },
        context,
    })
}

/// Runs the check when enforcement is on; the decision is written into `draft`'s record.
pub async fn authorize(
    app: &AppState,
    caller: &Caller,
    headers: &CallHeaders,
    call: Call<'_>,
    draft: &mut CallDraft,
) -> Result<(), ApiError> {
    if !app.cfg.policies.enforce {
        return Ok(());
    }
    let req = request(caller, headers, &call)?;
    let mut attrs = Map::new();
    attrs.insert("groups".into(), json!(caller.groups));
    if let Some(team) = &caller.team {
        attrs.insert("team".into(), json!(team));
    }
    let d = app.policy.decide(
        &req,
        SubjectFacts {
            attrs: Some(&attrs),
        },
        true,
        Utc::now(),
    );
    let reasons = || {
        d.reasons
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("; ")
    };
    match (d.effect, d.policy_id.as_deref()) {
        (Effect::Allow, _) => {
            draft.record.policy = Some(decision_json(&d, &req, None));
            Ok(())
        }
        (Effect::RequireApproval, Some(pid)) => {
            if let Some(id) = &headers.approval_id {
                draft.record.policy = Some(decision_json(&d, &req, Some(id)));
                let what = Use {
                    requester_id: &caller.id,
                    policy_id: pid,
                    request_sha256: call.body_sha256,
                };
                app.approvals.consume(id, caller, what).await?;
                if let Some(Value::Object(p)) = &mut draft.record.policy {
                    p.insert("approval_used".into(), json!(true));
                }
                return Ok(());
            }
            draft.record.policy = Some(decision_json(&d, &req, None));
            let missing = app.approvals.missing_context(pid, &req);
            if !missing.is_empty() {
                return Err(ApiError::Forbidden {
                    code: "approval_context_missing",
                    message: format!(
                        "{}; policy {pid} opens an approval only for requests that carry context {}",
                        reasons(),
                        missing.join(", ")
                    ),
                });
            }
            let approval = app
                .approvals
                .create(
                    caller,
                    NewApproval {
                        policy_id: pid,
                        request: &req,
                        requested_by: Requester::of(caller),
                        request_sha256: Some(call.body_sha256.to_owned()),
                        route: Some(call.route),
                        opened_by: None,
                    },
                )
                .await?;
            draft.record.policy = Some(decision_json(&d, &req, Some(&approval.id)));
            Err(ApiError::ApprovalRequired {
                message: format!(
                    "{}; approval {} is pending: retry with header X-Parapet-Approval once approved",
                    reasons(),
                    approval.id
                ),
                approval_id: approval.id,
            })
        }
        _ => {
            draft.record.policy = Some(decision_json(&d, &req, None));
            Err(ApiError::PolicyDenied(reasons()))
        }
    }
}

#[cfg(test)]
mod tests;
