//! One JSON-RPC call to a registered agent: parse, enforce, forward, relay, record.
//!
//! Sending a message runs the caller's agent credential against the skill the message names
//! (`message.metadata.skill`): every scope the skill requires, and the amount and account
//! found in each data part at the skill's paths. Task reads and cancels need a valid
//! credential when one is presented. Refusals are JSON-RPC errors (HTTP 200, the reason code
//! leading the message and in `data.reason`), each with its audit record.
//!
//! A message is checked against the information barriers before it is forwarded, and every
//! answer before it reaches the caller (`barriers`: which sides, what is classified).
//!
//! The record is committed before the last byte: with the body for plain answers; for streams
//! see `relay`. A client that leaves mid-stream still gets its record, written by the relay task.

use std::sync::Arc;

use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use futures_util::StreamExt;
use serde_json::Value;

use super::barriers::{self, refusal_of};
use super::registry::{AgentProfile, SkillRule};
use super::relay::relay;
use super::rpc::{self, code, Kind, Method, RpcError};
use super::{card, MAX_AGENT_BODY};
use crate::aida::requirement::Requirement;
use crate::app::AppState;
use crate::audit::call::{sha256_hex, CallDraft};
use crate::audit::record::ResponseInfo;
use crate::error::ApiError;
use crate::identity::Caller;
use crate::policy::gate::{self, Call, CallHeaders};

/// Headers passed on to the agent. The caller's `Authorization` and `X-Agent-Credential` are
/// for Parapet and never leave it.
const FORWARDED: [&str; 4] = [
    "a2a-version",
    "a2a-extensions",
    "x-a2a-extensions",
    "accept",
];

/// A call that ends before it reaches the agent: the HTTP status, the request id, the error.
struct Refused {
    status: StatusCode,
    id: Value,
    error: RpcError,
}

impl Refused {
    fn new(status: StatusCode, id: &Value, error: RpcError) -> Self {
        Refused {
            status,
            id: id.clone(),
            error,
        }
    }
}

fn rpc_response(status: StatusCode, body: &Value) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}

/// Runs a JSON-RPC call from `caller` to the agent `agent_id`. `body` is the request body as
/// read (or why it could not be).
pub async fn dispatch(
    app: Arc<AppState>,
    caller: Caller,
    agent_id: String,
    headers: HeaderMap,
    body: Result<Bytes, ApiError>,
) -> Response {
    let mut draft = CallDraft::of_kind(
        app.audit.clone(),
        Some(&caller),
        &format!("/a2a/{agent_id}"),
        "a2a.dispatch",
    );
    draft.request().agent_id = Some(agent_id.clone());
    draft.record.aida_credential_id = caller.credential.as_ref().map(|c| c.id.clone());
    let prepared = match body {
        Ok(body) => {
            draft.request().prompt_sha256 = Some(sha256_hex(&body));
            let call_headers = CallHeaders::read(&headers, &app.cfg.policies);
            prepare(&app, &caller, &agent_id, &body, &call_headers, &mut draft)
                .await
                .map(|p| (p, body))
        }
        Err(e) => Err(Refused::new(
            e.status(),
            &Value::Null,
            RpcError::new(code::INVALID_REQUEST, e.code(), e.to_string()),
        )),
    };
    let (prepared, body) = match prepared {
        Ok(p) => p,
        Err(r) => return refuse(draft, r).await,
    };
    metrics::counter!("parapet_a2a_dispatch_total", "agent" => agent_id, "outcome" => "forwarded")
        .increment(1);
    forward(&app, &caller, prepared, &headers, body, draft).await
}

/// Records a refusal and answers it.
async fn refuse(mut draft: CallDraft, r: Refused) -> Response {
    metrics::counter!("parapet_a2a_dispatch_total", "agent" => draft.request().agent_id.clone().unwrap_or_default(), "outcome" => r.error.reason)
        .increment(1);
    let info = ResponseInfo {
        status: r.status.as_u16(),
        error: Some(r.error.reason.to_string()),
        ..ResponseInfo::default()
    };
    match draft.commit(info).await {
        Ok(_) => rpc_response(r.status, &r.error.body(&r.id)),
        Err(e) => audit_failed(&r.id, &e),
    }
}

fn audit_failed(id: &Value, e: &ApiError) -> Response {
    let err = RpcError::new(code::AUDIT_UNAVAILABLE, "audit_unavailable", e.to_string());
    rpc_response(StatusCode::SERVICE_UNAVAILABLE, &err.body(id))
}

/// A call cleared to go: its id and method, and where the agent takes JSON-RPC.
struct Prepared {
    id: Value,
    method: Method,
    target: String,
}

async fn prepare(
    app: &AppState,
    caller: &Caller,
    agent_id: &str,
    body: &[u8],
    headers: &CallHeaders,
    draft: &mut CallDraft,
) -> Result<Prepared, Refused> {
    let profile = app.a2a.profile(agent_id).await.map_err(|e| {
        let reason = if matches!(e, ApiError::NotFound(_)) {
            "agent_not_found"
        } else {
            e.code()
        };
        Refused::new(
            e.status(),
            &Value::Null,
            RpcError::new(code::AGENT_UNAVAILABLE, reason, e.to_string()),
        )
    })?;
    let req = rpc::parse(body).map_err(|(id, e)| Refused::new(StatusCode::OK, &id, e))?;
    draft.request().method = Some(req.method.clone());
    let Some(method) = rpc::method(&req.method) else {
        return Err(Refused::new(
            StatusCode::OK,
            &req.id,
            RpcError::new(
                code::METHOD_NOT_FOUND,
                "method_not_forwarded",
                format!("Parapet does not forward '{}'", req.method),
            ),
        ));
    };
    draft.request().stream = method.streaming;
    let refused = |e: RpcError| Refused::new(StatusCode::OK, &req.id, e);
    match method.kind {
        Kind::Send => {
            let skill = resolve_skill(&profile, &req.params).map_err(refused)?;
            draft.request().skill = skill.map(|s| s.id.clone());
            let verdict = enforce_send(app, caller, skill, &req.params);
            if caller.credential.is_some() {
                draft.record.aida_scope_verified = Some(verdict.is_ok());
            }
            verdict.map_err(refused)?;
            check_policy(app, caller, &profile, skill, headers, draft)
                .await
                .map_err(|(status, e)| Refused::new(status, &req.id, e))?;
            barriers::check_message(app, caller, &profile, &req.params, draft)
                .await
                .map_err(|e| {
                    let (status, err) = refusal_of(&e);
                    Refused::new(status, &req.id, err)
                })?;
        }
        Kind::Task => {
            if let (Some(cred), Some(aida)) = (&caller.credential, &app.aida) {
                let verdict = aida.check(cred, &Default::default());
                draft.record.aida_scope_verified = Some(verdict.is_ok());
                verdict
                    .map_err(|d| refused(RpcError::new(code::REFUSED, d.code(), d.to_string())))?;
            }
        }
    }
    let card = app.a2a.agent_card(&profile).await.map_err(|e| {
        Refused::new(
            StatusCode::BAD_GATEWAY,
            &req.id,
            RpcError::new(code::AGENT_UNAVAILABLE, "agent_unavailable", e.to_string()),
        )
    })?;
    Ok(Prepared {
        target: card::jsonrpc_url(&card, &profile.url),
        id: req.id,
        method,
    })
}

/// The policy check of a message (`[policies] enforce`): `a2a.message.send` on the agent, with
/// its owner and the skill as attributes; refusals keep HTTP 200 like the credential's.
async fn check_policy(
    app: &AppState,
    caller: &Caller,
    profile: &AgentProfile,
    skill: Option<&SkillRule>,
    headers: &CallHeaders,
    draft: &mut CallDraft,
) -> Result<(), (StatusCode, RpcError)> {
    if !app.cfg.policies.enforce {
        return Ok(());
    }
    let body_sha256 = draft.request().prompt_sha256.clone().unwrap_or_default();
    let route = draft.request().route.clone();
    let mut attrs = serde_json::Map::new();
    attrs.insert("owner".into(), Value::from(profile.owner.clone()));
    attrs.insert("skill".into(), Value::from(skill.map(|s| s.id.clone())));
    let call = Call {
        action: "a2a.message.send",
        resource_type: "agent",
        resource_id: &profile.id,
        attrs,
        body_sha256: &body_sha256,
        route: &route,
    };
    gate::authorize(app, caller, headers, call, draft)
        .await
        .map_err(|e| {
            let (status, mut err) = refusal_of(&e);
            if let ApiError::ApprovalRequired { approval_id, .. } = e {
                err.approval_id = Some(Box::new(approval_id));
            }
            (status, err)
        })
}

/// The skill a message is for: the one it names, or the agent's only skill. An agent with
/// several skills needs the message to say which (otherwise which scopes apply is a guess).
fn resolve_skill<'p>(
    profile: &'p AgentProfile,
    params: &Value,
) -> Result<Option<&'p SkillRule>, RpcError> {
    let invalid = |reason, message: String| RpcError::new(code::INVALID_PARAMS, reason, message);
    match rpc::skill_hint(params).map_err(|m| invalid("skill_malformed", m))? {
        Some(id) => profile.skill(id).map(Some).ok_or_else(|| {
            invalid(
                "unknown_skill",
                format!("agent '{}' has no skill '{id}'", profile.id),
            )
        }),
        None => match profile.skills.as_slice() {
            [] => Ok(None),
            [only] => Ok(Some(only)),
            _ => Err(invalid(
                "skill_required",
                format!(
                    "agent '{}' has several skills: name one in message.metadata.skill",
                    profile.id
                ),
            )),
        },
    }
}

/// The credential check of a message: every data part against the skill's requirement (a
/// message without data parts is checked as one empty payload, so a required amount is missing).
fn enforce_send(
    app: &AppState,
    caller: &Caller,
    skill: Option<&SkillRule>,
    params: &Value,
) -> Result<(), RpcError> {
    let req = Requirement {
        scopes: skill.map(|s| s.required_scopes.as_slice()).unwrap_or(&[]),
        amount: skill.and_then(|s| s.amount.as_ref()),
        account: skill.and_then(|s| s.account.as_ref()),
    };
    let needs_credential = !req.scopes.is_empty() || req.amount.is_some() || req.account.is_some();
    let (cred, aida) = match (&caller.credential, &app.aida) {
        (Some(cred), Some(aida)) => (cred, aida),
        _ if !needs_credential => return Ok(()),
        _ => {
            return Err(RpcError::new(
                code::REFUSED,
                "credential_required",
                "this skill needs an agent credential: send X-Agent-Credential",
            ))
        }
    };
    let refusal =
        |r: crate::aida::requirement::Refusal| RpcError::new(code::REFUSED, r.code, r.message);
    let parts = rpc::data_parts(params);
    if parts.is_empty() {
        return aida
            .check_payload(cred, &req, &Value::Null)
            .map_err(refusal);
    }
    for part in parts {
        aida.check_payload(cred, &req, part).map_err(refusal)?;
    }
    Ok(())
}

async fn forward(
    app: &Arc<AppState>,
    caller: &Caller,
    p: Prepared,
    headers: &HeaderMap,
    body: Bytes,
    mut draft: CallDraft,
) -> Response {
    let routing = &app.cfg.routing;
    let mut rb = app
        .a2a
        .http()
        .post(&p.target)
        .header(header::CONTENT_TYPE, "application/json")
        .body(body);
    for name in FORWARDED {
        if let Some(v) = headers.get(name) {
            rb = rb.header(name, v);
        }
    }
    let unavailable = |reason: &'static str, message: String| Refused {
        status: StatusCode::BAD_GATEWAY,
        id: p.id.clone(),
        error: RpcError::new(code::AGENT_UNAVAILABLE, reason, message),
    };
    let resp = if p.method.streaming {
        match tokio::time::timeout(routing.first_byte_timeout, rb.send()).await {
            Ok(r) => r,
            Err(_) => {
                let secs = routing.first_byte_timeout.as_secs();
                let r = unavailable("agent_timeout", format!("no answer within {secs}s"));
                return refuse(draft, r).await;
            }
        }
    } else {
        rb.timeout(routing.request_timeout).send().await
    };
    let resp = match resp {
        Ok(r) => r,
        Err(e) => return refuse(draft, unavailable("agent_unreachable", e.to_string())).await,
    };
    let is_sse = resp
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/event-stream"));
    if p.method.streaming && is_sse {
        let hold = barriers::stream_hold(app, caller, &mut draft);
        return relay(resp, routing.request_timeout, draft, p.id, hold);
    }
    let status = resp.status();
    let content_type = resp
        .headers()
        .get(header::CONTENT_TYPE)
        .cloned()
        .unwrap_or(HeaderValue::from_static("application/json"));
    let answer = match read_capped(resp, MAX_AGENT_BODY).await {
        Ok(b) => b,
        Err(m) => return refuse(draft, unavailable("agent_answer_unreadable", m)).await,
    };
    let parsed = serde_json::from_slice::<Value>(&answer).ok();
    if let Err(e) = barriers::check_answer(app, caller, parsed.as_ref(), &mut draft).await {
        let (status, error) = refusal_of(&e);
        return refuse(
            draft,
            Refused {
                status,
                id: p.id,
                error,
            },
        )
        .await;
    }
    let info = ResponseInfo {
        status: status.as_u16(),
        finish_reason: parsed.as_ref().and_then(rpc::task_state),
        response_sha256: Some(sha256_hex(&answer)),
        error: agent_error(parsed.as_ref(), status),
        client_disconnected: false,
    };
    match draft.commit(info).await {
        Ok(_) => (status, [(header::CONTENT_TYPE, content_type)], answer).into_response(),
        Err(e) => audit_failed(&p.id, &e),
    }
}

/// `agent_error` when the agent answered a JSON-RPC error or a non-2xx status.
fn agent_error(parsed: Option<&Value>, status: StatusCode) -> Option<String> {
    let rpc_error = parsed.is_some_and(|v| v.get("error").is_some());
    (rpc_error || !status.is_success()).then(|| "agent_error".to_string())
}

async fn read_capped(resp: reqwest::Response, cap: usize) -> Result<Bytes, String> {
    let mut stream = resp.bytes_stream();
    let mut buf = bytes::BytesMut::new();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| format!("the agent's answer broke off: {e}"))?;
        if buf.len() + chunk.len() > cap {
            return Err(format!("the agent's answer is larger than {cap} bytes"));
        }
        buf.extend_from_slice(&chunk);
    }
    Ok(buf.freeze())
}
