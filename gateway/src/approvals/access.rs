//! Who may see and who may decide an approval.
//!
//! Administrators (the admin token, console sessions) see every approval. Anyone else calling
//! with their own key or JWT sees only the approvals they asked for (as requester, as the
//! principal an agent acted for, or as the caller of the decision API that opened it) and those
//! they could decide. An approval they may not see reads as absent (404), so its existence does
//! not leak.

use parapet_policies::Approver;

use super::{forbidden, Approval, Approvals};
use crate::error::ApiError;
use crate::identity::{Caller, CallerKind};

/// The role only the admin token and console sessions carry (never a key or a JWT).
const ADMIN_ROLE: &str = "admin";

/// Whether `caller` administers the gateway (sees every approval).
pub fn is_administrator(caller: &Caller) -> bool {
    caller.roles.iter().any(|r| r == ADMIN_ROLE)
}

impl Approvals {
    /// Whether `caller` holds one of the approver roles (bound in the store or carried by the
    /// identity) or groups of `a`.
    fn qualifies(&self, a: &Approval, caller: &Caller) -> bool {
        let mut roles = self.engine.roles_of(&caller.id);
        roles.extend(caller.roles.iter().cloned());
        a.approvers.iter().any(|ap| match ap {
            Approver::Role(r) => roles.contains(r),
            Approver::Group(g) => caller.groups.contains(g),
        })
    }

    /// Whether `caller` is the one who asked: the requester, the principal an agent acted for,
    /// or the caller of the decision API that opened it.
    fn asked(a: &Approval, caller: &Caller) -> bool {
        let me = [Some(caller.id.as_str()), caller.principal_id.as_deref()];
        let requester = [
            Some(a.requested_by.id.as_str()),
            a.requested_by.principal_id.as_deref(),
            a.opened_by.as_deref(),
        ];
        me.iter().flatten().any(|m| requester.contains(&Some(*m)))
    }

    /// Whether `caller` may read `a`.
    pub fn visible_to(&self, a: &Approval, caller: &Caller) -> bool {
        is_administrator(caller) || Self::asked(a, caller) || self.qualifies(a, caller)
    }

    /// Whether `caller` (a person) may decide `a`: not the requester, and holding one of the
    /// approver roles or groups.
    pub(super) fn check_approver(&self, a: &Approval, caller: &Caller) -> Result<(), ApiError> {
        if caller.kind == CallerKind::Service {
            return Err(forbidden(
                "approver_identity_required",
                "approvals are decided by a person: use that person's virtual key or JWT, not the admin token",
            ));
        }
        if Self::asked(a, caller) {
            return Err(forbidden(
                "approver_is_requester",
                "the requester cannot decide their own approval",
            ));
        }
        if !self.qualifies(a, caller) {
            let names: Vec<String> = a.approvers.iter().cloned().map(String::from).collect();
            return Err(forbidden(
                "approver_not_allowed",
                format!("approvers of this request: {}", names.join(", ")),
            ));
        }
        Ok(())
    }
}
