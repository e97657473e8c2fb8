//! Using an approved approval, once: a model call or A2A message retried with
//! `X-Parapet-Approval` (bound to the SHA-256 of the body), or a decision API check that
//! carries `approval_id` (bound to the SHA-256 of the decision request, see `request_binding`).

use chrono::Utc;
use parapet_policies::Request;
use serde_json::Value;

use super::{to_value, Approval, Approvals, Status};
use crate::error::ApiError;
use crate::identity::Caller;
use crate::policy::store_err;
use crate::secret::sha256_hex;
use crate::store::Docs;

/// What an approval is used for.
pub struct Use<'a> {
    /// Who the approval must have been asked for: the caller of a model call, the subject of a
    /// decision request.
    pub requester_id: &'a str,
    pub policy_id: &'a str,
    /// The SHA-256 the approval is bound to (`request_binding` for the decision API).
    pub request_sha256: &'a str,
}

/// The SHA-256 a decision API approval is bound to: RFC 8785 canonical JSON of the decision
/// request without `context.time` (the clock moves between the first check and the retry;
/// every other member, amounts and context included, must be the same).
pub fn request_binding(req: &Request) -> Result<String, ApiError> {
    let mut v = serde_json::to_value(req).map_err(|e| ApiError::Internal(e.to_string()))?;
    if let Some(Value::Object(ctx)) = v.get_mut("context") {
        ctx.remove("time");
    }
    let bytes =
        serde_json_canonicalizer::to_string(&v).map_err(|e| ApiError::Internal(e.to_string()))?;
    Ok(sha256_hex(&bytes))
}

impl Approvals {
    /// Uses an approved approval (single use): asked for the same requester, by the same caller
    /// when the decision API opened it, under the same policy, for the same request, before
    /// expiry. Exactly one of concurrent attempts succeeds; the use is audited.
    pub async fn consume(
        &self,
        id: &str,
        caller: &Caller,
        what: Use<'_>,
    ) -> Result<Approval, ApiError> {
        let invalid = |m: String| ApiError::ApprovalInvalid(m);
        let (before, stored) = match self.versioned(id).await {
            Ok(v) => v,
            Err(ApiError::NotFound(_)) => {
                return Err(invalid(format!("no approval with id '{id}'")))
            }
            Err(e) => return Err(e),
        };
        let now = Utc::now();
        match before.status_at(now) {
            Status::Approved => {}
            Status::Pending => {
                return Err(ApiError::ApprovalRequired {
                    approval_id: id.to_owned(),
                    message: format!("approval {id} is still pending"),
                })
            }
            other => {
                let s = to_value(&other);
                return Err(invalid(format!(
                    "approval {id} is {}",
                    s.as_str().unwrap_or("closed")
                )));
            }
        }
        if before.used_at.is_some() {
            return Err(invalid(format!("approval {id} has already been used")));
        }
        if now >= before.expires_at {
            return Err(invalid(format!("approval {id} has expired")));
        }
        let opener_differs = before.opened_by.as_deref().is_some_and(|o| o != caller.id);
        if before.requested_by.id != what.requester_id
            || before.policy_id != what.policy_id
            || opener_differs
        {
            return Err(invalid(format!("approval {id} is for another request")));
        }
        if before.request_sha256.as_deref() != Some(what.request_sha256) {
            return Err(invalid(format!(
                "approval {id} was given for a different request"
            )));
        }
        let mut after = before.clone();
        after.used_at = Some(now);
        if !self
            .engine
            .store()
            .cas_doc(&after, &stored)
            .await
            .map_err(store_err)?
        {
            return Err(invalid(format!("approval {id} has already been used")));
        }
        self.record(caller, "approval.used", Some(&before), &after)
            .await?;
        Ok(after)
    }
}
