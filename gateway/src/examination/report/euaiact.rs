//! EU AI Act: the high-risk AI systems (Tier 1 models and models placed under the Act) and the
//! evidence of human oversight in the period: approvals decided by people, reviews of barrier
//! triggers, break-glass grants.

use chrono::{DateTime, Utc};
use serde_json::{json, Value};

use super::finra::{rate, review_counts};
use super::request::Period;
use super::window::Window;
use crate::approvals::grants::GrantRecord;
use crate::approvals::{Approval, Status};
use crate::barriers::supervision::Violation;
use crate::examination::inventory::{Framework, InventoryEntry, RiskTier};

/// Approvals opened in the period, by status at `now`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ApprovalCounts {
    pub requested: u64,
    pub approved: u64,
    pub denied: u64,
    pub expired: u64,
    pub pending: u64,
}

pub fn approval_counts(
    approvals: &[Approval],
    period: &Period,
    now: DateTime<Utc>,
) -> ApprovalCounts {
    let mut c = ApprovalCounts::default();
    for a in approvals.iter().filter(|a| period.contains(a.created_at)) {
        c.requested += 1;
        match a.status_at(now) {
            Status::Approved => c.approved += 1,
            Status::Denied => c.denied += 1,
            Status::Expired => c.expired += 1,
            Status::Pending => c.pending += 1,
        }
    }
    c
}

pub fn high_risk(e: &InventoryEntry) -> bool {
    e.classification.risk_tier == RiskTier::Tier1
        || e.classification
            .applicable_frameworks
            .contains(&Framework::EuAiAct)
}

fn median(mut xs: Vec<i64>) -> Option<i64> {
    xs.sort_unstable();
    xs.get(xs.len() / 2).copied()
}

pub struct Oversight<'a> {
    pub approvals: &'a [Approval],
    pub violations: &'a [Violation],
    pub grants: &'a [GrantRecord],
    pub policies_enforced: bool,
}

pub fn section(
    inv: &[InventoryEntry],
    window: &Window,
    o: &Oversight<'_>,
    period: &Period,
    now: DateTime<Utc>,
) -> Value {
    let systems: Vec<Value> = inv
        .iter()
        .filter(|e| high_risk(e))
        .map(|e| {
            let c = &e.classification;
            let mut why = Vec::new();
            if c.risk_tier == RiskTier::Tier1 {
                why.push("tier1");
            }
            if c.applicable_frameworks.contains(&Framework::EuAiAct) {
                why.push("eu_ai_act_framework");
            }
            json!({"id": c.id, "provider": c.provider, "model": c.model,
                   "risk_tier": c.risk_tier, "applicable_frameworks": c.applicable_frameworks,
                   "data_sensitivity": c.data_sensitivity,
                   "validation_status": c.validation_status, "owner": c.owner,
                   "requests_in_period": window.model_use(&c.provider, &c.model).map_or(0, |u| u.requests),
                   "why_high_risk": why})
        })
        .collect();
    let a = approval_counts(o.approvals, period, now);
    let decision_secs: Vec<i64> = o
        .approvals
        .iter()
        .filter(|x| period.contains(x.created_at))
        .filter_map(|x| x.decided_at.map(|d| (d - x.created_at).num_seconds()))
        .collect();
    let (reviewed, total) = review_counts(o.violations, period);
    let grants: Vec<&GrantRecord> = o
        .grants
        .iter()
        .filter(|g| period.contains(g.created_at))
        .collect();
    let status_n = |s: &str| grants.iter().filter(|g| g.status(now) == s).count();
    let grant_list: Vec<Value> = grants
        .iter()
        .map(|g| {
            json!({"id": g.id, "subject": g.subject, "actions": g.actions,
                        "justification": g.justification, "ticket_url": g.ticket_url,
                        "granted_by": g.granted_by, "created_at": g.created_at,
                        "expires_at": g.expires_at, "revoked_at": g.revoked_at,
                        "status": g.status(now)})
        })
        .collect();
    json!({
        "title": "EU AI Act: high-risk systems and human oversight",
        "sources": ["inventory", "approvals", "supervision_records", "grants", "audit_log"],
        "high_risk_systems": {
            "count": systems.len(),
            "criteria": "risk_tier Tier1, or EuAiAct among applicable_frameworks",
            "systems": systems,
        },
        "human_oversight": {
            "policy_enforcement": if o.policies_enforced { "enforced" } else { "not_configured" },
            "approvals": {
                "requested": a.requested,
                "approved": a.approved,
                "denied": a.denied,
                "expired": a.expired,
                "pending": a.pending,
                "decided_by_a_person": a.approved + a.denied,
                "median_seconds_to_decision": median(decision_secs),
                "audit_records": window.by_kind.iter()
                    .filter(|(k, _)| k.starts_with("approval."))
                    .map(|(_, n)| *n).sum::<u64>(),
            },
            "barrier_reviews": {
                "supervision_records": total,
                "reviewed": reviewed,
                "pending": total - reviewed,
                "review_rate": rate(reviewed, total),
            },
            "break_glass_grants": {
                "created": grants.len(),
                "active": status_n("active"),
                "expired": status_n("expired"),
                "revoked": status_n("revoked"),
                "grants": grant_list,
            },
        },
    })
}
