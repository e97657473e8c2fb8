//! The `require_approval` workflow (DESIGN §4) and JIT break-glass grants (`grants`).
//!
//! An approval is created when a decision says `require_approval` (a model call, an A2A
//! message, or the decision API), with the policy's approvers (`role:x` / `group:y`), how many
//! must approve, and an expiry. A person (never the requester, never the admin token) approves
//! or denies; every transition is a compare-and-set on the stored document, so two instances
//! cannot both decide or both consume it, and every transition is on the audit log and sent to
//! webhooks. An approved model call is let through once: the retry must carry the same body
//! (its SHA-256 is bound to the approval) and come from the same caller; a decision API check
//! the same way with `approval_id` (`consume`). A policy's `required_context` keys must be in
//! the request before an approval is opened (`missing_context`). Who sees what: `access`.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use parapet_policies::{Approver, Request};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::audit::Audit;
use crate::error::ApiError;
use crate::identity::{Caller, CallerKind};
use crate::policy::{store_err, PolicyEngine};
use crate::store::{Collection, Docs, Document};

mod access;
mod consume;
pub mod grants;

pub use access::is_administrator;
pub use consume::{request_binding, Use};

/// Who may approve when a policy names no approvers.
pub const DEFAULT_APPROVER_ROLE: &str = "approver";
/// How long an approval stays open when the policy does not say.
pub const DEFAULT_TTL: Duration = Duration::from_secs(3600);
/// How often pending approvals past their expiry are marked `expired`.
const SWEEP_EVERY: Duration = Duration::from_secs(5);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Pending,
    Approved,
    Denied,
    Expired,
}

impl Status {
    pub fn parse(s: &str) -> Option<Status> {
        serde_json::from_value(Value::String(s.to_owned())).ok()
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Requester {
    pub kind: String,
    pub id: String,
    #[serde(default)]
    pub principal_id: Option<String>,
}

impl Requester {
    pub fn of(caller: &Caller) -> Requester {
        Requester {
            kind: crate::audit::caller_info(Some(caller)).kind,
            id: caller.id.clone(),
            principal_id: caller.principal_id.clone(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Vote {
    pub by: String,
    pub at: DateTime<Utc>,
    #[serde(default)]
    pub justification: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Approval {
    pub id: String,
    pub status: Status,
    pub policy_id: String,
    /// The decision request that needed the approval.
    pub request: Request,
    /// Gateway calls: the SHA-256 of the request body the approval is bound to.
    #[serde(default)]
    pub request_sha256: Option<String>,
    #[serde(default)]
    pub route: Option<String>,
    pub requested_by: Requester,
    /// Decision API approvals: the caller who asked (only they may use it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub opened_by: Option<String>,
    pub approvers: Vec<Approver>,
    pub min_approvals: u8,
    pub require_justification: bool,
    #[serde(default)]
    pub approvals: Vec<Vote>,
    #[serde(default)]
    pub decided_by: Option<String>,
    #[serde(default)]
    pub justification: Option<String>,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    #[serde(default)]
    pub decided_at: Option<DateTime<Utc>>,
    /// When an approved call went through (approvals are single use).
    #[serde(default)]
    pub used_at: Option<DateTime<Utc>>,
}

impl Document for Approval {
    const COLLECTION: Collection = Collection::Approvals;
    fn id(&self) -> &str {
        &self.id
    }
}

impl Approval {
    /// The status as of `now`: a pending approval past its expiry is expired.
    pub fn status_at(&self, now: DateTime<Utc>) -> Status {
        if self.status == Status::Pending && now >= self.expires_at {
            Status::Expired
        } else {
            self.status
        }
    }

    fn with_status_at(mut self, now: DateTime<Utc>) -> Approval {
        self.status = self.status_at(now);
        self
    }
}

/// What a new approval is for.
pub struct NewApproval<'a> {
    pub policy_id: &'a str,
    pub request: &'a Request,
    pub requested_by: Requester,
    pub request_sha256: Option<String>,
    pub route: Option<&'a str>,
    /// Set for approvals opened through the decision API (see `Approval::opened_by`).
    pub opened_by: Option<String>,
}

/// A decision on an approval.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Verdict {
    #[serde(default)]
    pub justification: Option<String>,
}

pub struct Approvals {
    engine: Arc<PolicyEngine>,
    audit: Arc<Audit>,
}

fn system() -> Caller {
    Caller {
        kind: CallerKind::Service,
        id: "parapet".into(),
        principal_id: None,
        groups: vec![],
        roles: vec![],
        key_id: None,
        team: None,
        models: vec![],
        credential: None,
        mfa_verified: None,
    }
}

fn forbidden(code: &'static str, message: impl Into<String>) -> ApiError {
    ApiError::Forbidden {
        code,
        message: message.into(),
    }
}

fn to_value<T: Serialize>(v: &T) -> Value {
    serde_json::to_value(v).unwrap_or(Value::Null)
}

impl Approvals {
    pub fn new(engine: Arc<PolicyEngine>, audit: Arc<Audit>) -> Approvals {
        Approvals { engine, audit }
    }

    async fn record(
        &self,
        caller: &Caller,
        kind: &str,
        before: Option<&Approval>,
        after: &Approval,
    ) -> Result<(), ApiError> {
        self.audit
            .admin_change(
                caller,
                kind,
                &after.id,
                before.map_or(Value::Null, to_value),
                to_value(after),
            )
            .await?;
        self.audit.webhooks().emit(kind, to_value(after));
        Ok(())
    }

    /// Opens an approval for a `require_approval` decision (audited, webhook `approval.created`).
    pub async fn create(
        &self,
        caller: &Caller,
        new: NewApproval<'_>,
    ) -> Result<Approval, ApiError> {
        let live = self.engine.live();
        let spec = live.set.get(new.policy_id).and_then(|p| p.approval.clone());
        let now = Utc::now();
        let ttl = spec
            .as_ref()
            .and_then(|s| s.expires_in_seconds)
            .map_or(DEFAULT_TTL, Duration::from_secs);
        let approval = Approval {
            id: uuid::Uuid::now_v7().to_string(),
            status: Status::Pending,
            policy_id: new.policy_id.to_owned(),
            request: new.request.clone(),
            request_sha256: new.request_sha256,
            route: new.route.map(str::to_owned),
            requested_by: new.requested_by,
            opened_by: new.opened_by,
            approvers: spec
                .as_ref()
                .map(|s| s.approvers.clone())
                .filter(|a| !a.is_empty())
                .unwrap_or_else(|| vec![Approver::Role(DEFAULT_APPROVER_ROLE.into())]),
            min_approvals: spec.as_ref().map_or(1, |s| s.min_approvals.max(1)),
            require_justification: spec.as_ref().is_some_and(|s| s.require_justification),
            approvals: vec![],
            decided_by: None,
            justification: None,
            created_at: now,
            expires_at: now + chrono::Duration::from_std(ttl).unwrap_or(chrono::Duration::hours(1)),
            decided_at: None,
            used_at: None,
        };
        self.record(caller, "approval.created", None, &approval)
            .await?;
        self.engine
            .store()
            .create_doc(&approval)
            .await
            .map_err(store_err)?;
        Ok(approval)
    }

    async fn versioned(&self, id: &str) -> Result<(Approval, Vec<u8>), ApiError> {
        self.engine
            .store()
            .get_doc_versioned::<Approval>(id)
            .await
            .map_err(store_err)?
            .ok_or_else(|| ApiError::NotFound(format!("no approval with id '{id}'")))
    }

    /// The approval `id` as `caller` may see it (absent when they may not).
    pub async fn get(&self, id: &str, caller: &Caller) -> Result<Approval, ApiError> {
        let a = self.versioned(id).await?.0.with_status_at(Utc::now());
        if self.visible_to(&a, caller) {
            Ok(a)
        } else {
            Err(ApiError::NotFound(format!("no approval with id '{id}'")))
        }
    }

    /// The approvals `caller` may see (newest first), optionally only those with `status` now.
    pub async fn list(
        &self,
        caller: &Caller,
        status: Option<Status>,
    ) -> Result<Vec<Approval>, ApiError> {
        let now = Utc::now();
        let mut all: Vec<Approval> = self
            .engine
            .store()
            .list_docs::<Approval>()
            .await
            .map_err(store_err)?
            .into_iter()
            .map(|a| a.with_status_at(now))
            .filter(|a| status.is_none_or(|s| a.status == s))
            .filter(|a| self.visible_to(a, caller))
            .collect();
        all.reverse();
        Ok(all)
    }

    /// The context keys `policy_id`'s approval needs that `req` does not carry (absent, null or
    /// an empty string): no approval is opened for such a request.
    pub fn missing_context(&self, policy_id: &str, req: &Request) -> Vec<String> {
        let live = self.engine.live();
        let Some(spec) = live.set.get(policy_id).and_then(|p| p.approval.as_ref()) else {
            return vec![];
        };
        spec.required_context
            .iter()
            .filter(|k| match req.context.get(k) {
                None | Some(Value::Null) => true,
                Some(Value::String(s)) => s.trim().is_empty(),
                Some(_) => false,
            })
            .cloned()
            .collect()
    }

    /// Approves (`approve = true`) or denies. Denials always need a justification; approvals
    /// when the policy says so. With `min_approvals: 2` the first approval leaves it pending.
    pub async fn decide(
        &self,
        id: &str,
        caller: &Caller,
        approve: bool,
        verdict: Verdict,
    ) -> Result<Approval, ApiError> {
        let (before, stored) = self.versioned(id).await?;
        let now = Utc::now();
        let status = before.status_at(now);
        if status != Status::Pending {
            let s = to_value(&status);
            return Err(ApiError::Conflict(format!(
                "approval {id} is {}, not pending",
                s.as_str().unwrap_or("decided")
            )));
        }
        self.check_approver(&before, caller)?;
        let justification = verdict
            .justification
            .map(|j| j.trim().to_owned())
            .filter(|j| !j.is_empty());
        if justification.is_none() && (!approve || before.require_justification) {
            return Err(ApiError::MissingField("justification"));
        }
        if before.approvals.iter().any(|v| v.by == caller.id) {
            return Err(ApiError::Conflict(format!(
                "{} has already approved {id}; a second approver must be someone else",
                caller.id
            )));
        }
        let mut after = before.clone();
        let kind = if approve {
            after.approvals.push(Vote {
                by: caller.id.clone(),
                at: now,
                justification: justification.clone(),
            });
            if after.approvals.len() >= usize::from(after.min_approvals) {
                after.status = Status::Approved;
                "approval.approved"
            } else {
                "approval.vote"
            }
        } else {
            after.status = Status::Denied;
            "approval.denied"
        };
        if after.status != Status::Pending {
            after.decided_by = Some(caller.id.clone());
            after.decided_at = Some(now);
            after.justification = justification;
        }
        self.record(caller, kind, Some(&before), &after).await?;
        if !self
            .engine
            .store()
            .cas_doc(&after, &stored)
            .await
            .map_err(store_err)?
        {
            return Err(ApiError::Conflict(format!(
                "approval {id} was decided meanwhile"
            )));
        }
        Ok(after)
    }

    /// Marks pending approvals past their expiry as `expired` (audited once: the CAS lets one
    /// instance win).
    pub async fn sweep(&self) -> Result<usize, ApiError> {
        let now = Utc::now();
        let store = self.engine.store();
        let mut n = 0;
        for raw in store
            .doc_list(Collection::Approvals)
            .await
            .map_err(store_err)?
        {
            let Ok(before) = serde_json::from_slice::<Approval>(&raw) else {
                continue;
            };
            if before.status != Status::Pending || now < before.expires_at {
                continue;
            }
            let mut after = before.clone();
            after.status = Status::Expired;
            if store.cas_doc(&after, &raw).await.map_err(store_err)? {
                self.record(&system(), "approval.expired", Some(&before), &after)
                    .await?;
                n += 1;
            }
        }
        Ok(n)
    }

    pub fn spawn_sweeper(self: &Arc<Self>) {
        let me = self.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(SWEEP_EVERY);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                if let Err(e) = me.sweep().await {
                    tracing::warn!(error = %e, "approval expiry sweep failed");
                }
            }
        });
    }
}

/// The JSON answer for an approval.
pub fn view(a: &Approval) -> Value {
    let mut v = to_value(a);
    if let Value::Object(m) = &mut v {
        m.insert("approvals_needed".into(), json!(a.min_approvals));
    }
    v
}

#[cfg(test)]
mod tests;
