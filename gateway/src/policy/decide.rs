//! The decision API (`POST /api/v1/decisions/check` and `/batch`): the seed's request shape,
//! roles from the stored bindings (never from the body), one audit record (`kind: "decision"`)
//! per decision, and an approval opened for every `require_approval`.

use chrono::Utc;
use futures_util::future::join_all;
use parapet_policies::{Decision, Effect, Request};
use serde_json::{json, Value};

use super::{PolicyEngine, SubjectFacts};
use crate::approvals::{Approvals, NewApproval, Requester};
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

/// Decides without recording (the record is committed by the caller, alone or in a batch).
async fn decide_one(
    engine: &PolicyEngine,
    approvals: &Approvals,
    caller: &Caller,
    req: &Request,
) -> Result<(Decision, Option<String>), ApiError> {
    let d = engine.decide(req, SubjectFacts::default(), false, Utc::now());
    let approval = match (d.effect, d.policy_id.as_deref()) {
        (Effect::RequireApproval, Some(pid)) => {
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
                        request_sha256: None,
                        route: None,
                    },
                )
                .await?;
            Some(a.id)
        }
        _ => None,
    };
    Ok((d, approval))
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

/// One check: decided, recorded, answered.
pub async fn check(
    engine: &PolicyEngine,
    approvals: &Approvals,
    rec: Recorder<'_>,
    caller: &Caller,
    req: Request,
) -> Result<Value, ApiError> {
    let (d, approval) = decide_one(engine, approvals, caller, &req).await?;
    let body = decision_json(&d, &req, approval.as_deref());
    if rec.enabled {
        rec.audit
            .commit(record(caller, "/api/v1/decisions/check", body.clone()))
            .await?;
    }
    Ok(body)
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
        let (d, approval) = decide_one(engine, approvals, caller, req).await?;
        results.push(decision_json(&d, req, approval.as_deref()));
    }
    if !rec.enabled {
        return Ok(json!({"results": results}));
    }
    let commits = results.iter().map(|r| {
        rec.audit
            .commit(record(caller, "/api/v1/decisions/batch", r.clone()))
    });
    for committed in join_all(commits).await {
        committed?;
    }
    Ok(json!({"results": results}))
}

#[cfg(test)]
mod tests;
