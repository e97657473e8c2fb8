//! The decision API (`POST /api/v1/decisions/check` and `/batch`): the seed's request shape,
//! roles from the stored bindings (never from the body), one audit record (`kind: "decision"`)
//! per decision, and an approval opened for every `require_approval`.

use chrono::Utc;
use futures_util::future::join_all;
use parapet_policies::{Decision, Effect, Request};
use serde_json::{json, Value};

use super::{PolicyEngine, SubjectFacts};
use crate::approvals::{request_binding, Approvals, NewApproval, Requester, Use};
use crate::audit::record::{Record, RequestInfo};
use crate::audit::{caller_info, Audit};
use crate::error::ApiError;
use crate::identity::Caller;

/// Most checks in one batch.
pub const MAX_BATCH: usize = 1000;

/// The `policy` member of an audit record and the body of a decision answer.
pub fn decision_json(d: &Decision, req: &Request, approval_id: Option<&str>) -> Value {
    let mut v = json!({
        "effect": d.effect.as_str(),
        "policy_id": d.policy_id.as_deref(),
        "reasons": d.reasons,
        "reason_codes": d.reasons.iter().map(|r| r.code()).collect::<Vec<_>>(),
        "action": req.action,
        "subject": {"type": req.subject_type.as_str(), "id": req.subject_id,
                    "on_behalf_of_user_id": req.on_behalf_of_user_id},
        "resource": {"type": req.resource.kind, "id": req.resource.id},
    });
    if let Value::Object(m) = &mut v {
        if let Some(g) = &d.grant_id {
            m.insert("grant_id".into(), json!(g));
        }
        if let Some(a) = approval_id {
            m.insert("approval_id".into(), json!(a));
        }
    }
    v
}

/// Reads one decision request; errors name the field (`requests[3].action` in a batch).
pub fn parse_request(v: Value, at: &str) -> Result<Request, ApiError> {
    Request::from_value(v).map_err(|e| ApiError::InvalidValue {
        field: format!("{at}{}", e.path.trim_start_matches('$')),
        reason: e.kind.to_string(),
    })
}

/// A decision's answer, and the error to answer with instead when an approval could not be
/// used (the answer is recorded either way).
struct Outcome {
    body: Value,
    error: Option<ApiError>,
}

/// Decides without recording (the record is committed by the caller, alone or in a batch).
/// `require_approval` opens an approval bound to the request (`request_binding`) unless the
/// policy's `required_context` is missing; with `approval_id`, an approved approval for this
/// very request is used (once) and the answer is `allow`.
async fn decide_one(
    engine: &PolicyEngine,
    approvals: &Approvals,
    caller: &Caller,
    req: &Request,
    approval_id: Option<&str>,
) -> Result<Outcome, ApiError> {
    let d = engine.decide(req, SubjectFacts::default(), false, Utc::now());
    let (Effect::RequireApproval, Some(pid)) = (d.effect, d.policy_id.as_deref()) else {
        let body = decision_json(&d, req, None);
        return Ok(Outcome { body, error: None });
    };
    let binding = request_binding(req)?;
    if let Some(id) = approval_id {
        let mut body = decision_json(&d, req, Some(id));
        let what = Use {
            requester_id: &req.subject_id,
            policy_id: pid,
            request_sha256: &binding,
        };
        return Ok(match approvals.consume(id, caller, what).await {
            Ok(_) => {
                if let Value::Object(m) = &mut body {
                    m.insert("effect".into(), json!(Effect::Allow.as_str()));
                    m.insert("approval_used".into(), json!(true));
                }
                Outcome { body, error: None }
            }
            Err(e) => {
                if let Value::Object(m) = &mut body {
                    m.insert("approval_error".into(), json!(e.to_string()));
                }
                Outcome {
                    body,
                    error: Some(e),
                }
            }
        });
    }
    let missing = approvals.missing_context(pid, req);
    if !missing.is_empty() {
        let mut body = decision_json(&d, req, None);
        if let Value::Object(m) = &mut body {
            m.insert("missing_context".into(), json!(missing));
        }
        return Ok(Outcome { body, error: None });
    }
    let requested_by = Requester {
        kind: req.subject_type.as_str().to_owned(),
        id: req.subject_id.clone(),
        principal_id: req.on_behalf_of_user_id.clone(),
    };
    let a = approvals
        .create(
            caller,
            NewApproval {
                policy_id: pid,
                request: req,
                requested_by,
                request_sha256: Some(binding),
                route: None,
                opened_by: Some(caller.id.clone()),
            },
        )
        .await?;
    let body = decision_json(&d, req, Some(&a.id));
    Ok(Outcome { body, error: None })
}

fn record(caller: &Caller, route: &str, policy: Value) -> Record {
    let mut rec = Record::new("decision", caller_info(Some(caller)));
    rec.request = Some(RequestInfo {
        route: route.to_owned(),
        ..RequestInfo::default()
    });
    rec.policy = Some(policy);
    rec
}

/// Where decisions go: the audit log, unless `[policies] audit_decisions = false`.
pub struct Recorder<'a> {
    pub audit: &'a Audit,
    pub enabled: bool,
}

/// One check: decided, recorded, answered. With `approval_id` an approved approval for this
/// request is used; when it cannot be, the refusal is recorded and is the answer.
pub async fn check(
    engine: &PolicyEngine,
    approvals: &Approvals,
    rec: Recorder<'_>,
    caller: &Caller,
    req: Request,
    approval_id: Option<&str>,
) -> Result<Value, ApiError> {
    let out = decide_one(engine, approvals, caller, &req, approval_id).await?;
    let body = if rec.enabled {
        let r = record(caller, "/api/v1/decisions/check", out.body);
        rec.audit.commit_ref(&r).await?;
        r.policy.unwrap_or(Value::Null)
    } else {
        out.body
    };
    match out.error {
        Some(e) => Err(e),
        None => Ok(body),
    }
}

/// Many checks: each decided and recorded (the records go to the log in one group commit).
pub async fn batch(
    engine: &PolicyEngine,
    approvals: &Approvals,
    rec: Recorder<'_>,
    caller: &Caller,
    reqs: Vec<Request>,
) -> Result<Value, ApiError> {
    let mut results = Vec::with_capacity(reqs.len());
    for req in &reqs {
        results.push(decide_one(engine, approvals, caller, req, None).await?.body);
    }
    if !rec.enabled {
        return Ok(json!({"results": results}));
    }
    // Each decision is recorded, then answered from its record (no copy of either).
    let records: Vec<Record> = results
        .into_iter()
        .map(|r| record(caller, "/api/v1/decisions/batch", r))
        .collect();
    for committed in join_all(records.iter().map(|r| rec.audit.commit_ref(r))).await {
        committed?;
    }
    let results: Vec<Value> = records
        .into_iter()
        .map(|r| r.policy.unwrap_or(Value::Null))
        .collect();
    Ok(json!({"results": results}))
}

#[cfg(test)]
mod tests;
