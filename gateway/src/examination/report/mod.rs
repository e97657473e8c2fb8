//! Examination reports (DESIGN §8, seed 004): SR 11-7, FINRA 3110/3120, FFIEC, EU AI Act and
//! COMPREHENSIVE (all four and an executive summary with a governance score).
//!
//! `request` checks what is asked; `service` gathers the stored data (one streaming pass over
//! the period's audit records, verifying the whole chain when the report needs it, plus the
//! inventory, supervision records, approvals, grants, keys and credentials); the section
//! modules and `summary` are pure functions of that data and `now`; `cache` keeps each report
//! in the document store, reused for 24 h per (type, period).

use chrono::{DateTime, Utc};
use serde_json::{json, Map, Value};

pub mod cache;
pub mod euaiact;
pub mod ffiec;
pub mod finra;
pub mod request;
pub mod service;
pub mod sr117;
pub mod summary;
pub mod window;

use crate::aida::credential::Credential;
use crate::approvals::grants::GrantRecord;
use crate::approvals::Approval;
use crate::audit::checkpoint::Checkpoint;
use crate::audit::read::Verification;
use crate::barriers::model::Barrier;
use crate::barriers::supervision::Violation;
use crate::examination::inventory::InventoryEntry;
use crate::store::KeyRecord;
use request::{ReportRequest, ReportType};
use summary::Component;
use window::Window;

/// The audit log as a report sees it after verifying it.
pub struct AuditState {
    pub verification: Verification,
    pub head_seq: u64,
    /// Whether this gateway signs checkpoints (an audit signing key is configured).
    pub signing: bool,
    pub latest_checkpoint: Option<Checkpoint>,
    /// Valid signed checkpoints found.
    pub checkpoints: usize,
}

/// Everything a report is computed from.
pub struct Inputs {
    pub inventory: Vec<InventoryEntry>,
    pub barriers: Vec<Barrier>,
    pub violations: Vec<Violation>,
    pub supervision_retention_days: u64,
    pub approvals: Vec<Approval>,
    pub grants: Vec<GrantRecord>,
    pub keys: Vec<KeyRecord>,
    /// `None` when agent credentials (AIDA) are not enabled.
    pub credentials: Option<Vec<Credential>>,
    pub policies_enforced: bool,
    pub window: Window,
    /// Present when the report verifies the chain (FFIEC, COMPREHENSIVE).
    pub audit: Option<AuditState>,
}

fn components(i: &Inputs, req: &ReportRequest, now: DateTime<Utc>) -> Vec<Component> {
    let today = now.date_naive();
    let period = &req.period;
    let (classified, inventory) = sr117::classification_coverage(&i.inventory);
    let (validated, material) = sr117::validation_coverage(&i.inventory, today);
    let (reviewed, violations) = finra::review_counts(&i.violations, period);
    let chain_ok = i.audit.as_ref().is_some_and(|a| a.verification.ok);
    let as_of = now.min(period.end);
    let mut secrets = ffiec::key_states(&i.keys, as_of, period);
    if let Some(c) = &i.credentials {
        let c = ffiec::credential_states(c, as_of, period);
        secrets.active += c.active;
        secrets.active_without_expiry += c.active_without_expiry;
    }
    let a = euaiact::approval_counts(&i.approvals, period, now);
    vec![
        Component {
            name: "inventory_classification",
            weight: 20,
            part: classified,
            whole: inventory,
            basis: "inventory entries with a risk tier / all inventory entries",
        },
        Component {
            name: "validation_coverage",
            weight: 20,
            part: validated,
            whole: material,
            basis: "Tier 1/2 models Validated and not past validation_due / Tier 1/2 models",
        },
        Component {
            name: "supervision_review",
            weight: 20,
            part: reviewed,
            whole: violations,
            basis: "supervision records of the period reviewed / supervision records of the period",
        },
        Component {
            name: "chain_integrity",
            weight: 20,
            part: u64::from(chain_ok),
            whole: 1,
            basis: "1 when the whole audit chain and every signed checkpoint verify, else 0",
        },
        Component {
            name: "credential_hygiene",
            weight: 10,
            part: secrets.active - secrets.active_without_expiry,
            whole: secrets.active,
            basis: "active virtual keys and agent credentials with an expiry / active ones",
        },
        Component {
            name: "human_oversight",
            weight: 10,
            part: a.approved + a.denied,
            whole: a.approved + a.denied + a.expired,
            basis: "approvals of the period decided by a person / approvals of the period no longer pending",
        },
    ]
}

fn finding(severity: &str, area: &str, text: String) -> Value {
    json!({"severity": severity, "area": area, "finding": text})
}

/// What an examiner should look at first, from the same figures as the sections.
fn findings(i: &Inputs, req: &ReportRequest, now: DateTime<Utc>) -> Vec<Value> {
    let today = now.date_naive();
    let mut out = Vec::new();
    if let Some(a) = &i.audit {
        if !a.verification.ok {
            out.push(finding(
                "critical",
                "FFIEC",
                "the audit chain does not verify".into(),
            ));
        }
        if !a.signing {
            out.push(finding(
                "medium",
                "FFIEC",
                "no audit signing key: the chain is not anchored by signed checkpoints".into(),
            ));
        }
    }
    let gaps = i
        .inventory
        .iter()
        .filter(|e| !sr117::gaps(e, today).is_empty())
        .count();
    if gaps > 0 {
        out.push(finding(
            "high",
            "SR11-7",
            format!("{gaps} inventory entries have validation gaps"),
        ));
    }
    let (reviewed, total) = finra::review_counts(&i.violations, &req.period);
    if total > reviewed {
        out.push(finding(
            "high",
            "FINRA",
            format!(
                "{} of {total} supervision records of the period await review",
                total - reviewed
            ),
        ));
    }
    let keys = ffiec::key_states(&i.keys, now.min(req.period.end), &req.period);
    if keys.active_without_expiry > 0 {
        out.push(finding(
            "medium",
            "FFIEC",
            format!(
                "{} active virtual keys have no expiry",
                keys.active_without_expiry
            ),
        ));
    }
    let a = euaiact::approval_counts(&i.approvals, &req.period, now);
    if a.expired > 0 {
        out.push(finding(
            "medium",
            "EU_AI_ACT",
            format!(
                "{} approval requests of the period expired undecided",
                a.expired
            ),
        ));
    }
    out
}

/// The report for `req` from `inputs`, as of `now`.
pub fn build(req: &ReportRequest, i: &Inputs, id: &str, now: DateTime<Utc>) -> Value {
    let t = req.report_type;
    let p = &req.period;
    let mut sections = Map::new();
    if t.has(ReportType::Sr117) {
        sections.insert(
            "sr11_7".into(),
            sr117::section(&i.inventory, &i.window, now.date_naive()),
        );
    }
    if t.has(ReportType::Finra) {
        let s = finra::section(
            &i.violations,
            &i.barriers,
            i.supervision_retention_days,
            &i.window,
            p,
            now,
        );
        sections.insert("finra".into(), s);
    }
    if t.has(ReportType::Ffiec) {
        let s = match &i.audit {
            Some(audit) => {
                let access = ffiec::AccessInputs {
                    keys: &i.keys,
                    credentials: i.credentials.as_deref(),
                    as_of: now.min(p.end),
                    policies_enforced: i.policies_enforced,
                };
                ffiec::section(&i.window, &i.inventory, &access, audit, p)
            }
            None => json!({"status": "not_computed", "sources": []}),
        };
        sections.insert("ffiec".into(), s);
    }
    if t.has(ReportType::EuAiAct) {
        let o = euaiact::Oversight {
            approvals: &i.approvals,
            violations: &i.violations,
            grants: &i.grants,
            policies_enforced: i.policies_enforced,
        };
        sections.insert(
            "eu_ai_act".into(),
            euaiact::section(&i.inventory, &i.window, &o, p, now),
        );
    }
    let mut report = json!({
        "id": id,
        "report_type": t.as_str(),
        "generated_at": crate::audit::scan::stamp(now),
        "period": {"start": p.start_ts(), "end": p.end_ts(), "end_exclusive": true,
                   "complete": p.end <= now},
        "audit_records_in_period": i.window.records,
        "sections": sections,
    });
    if t == ReportType::Comprehensive {
        report["executive_summary"] =
            summary::section(&components(i, req, now), findings(i, req, now));
    }
    report
}

#[cfg(test)]
mod tests;
