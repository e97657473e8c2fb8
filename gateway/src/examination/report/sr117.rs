//! SR 11-7 (model risk management): the inventory by risk tier and validation status, the
//! validation gaps, due dates, and which models carried traffic in the period.

use chrono::NaiveDate;
use serde_json::{json, Value};

use super::window::Window;
use crate::examination::inventory::{InventoryEntry, RiskTier, ValidationStatus};
use crate::examination::limits::usd;
use crate::examination::pricing::round_usd;

/// How far ahead a validation due date counts as a gap.
pub const DUE_SOON_DAYS: i64 = 30;

const TIERS: [RiskTier; 4] = [
    RiskTier::Tier1,
    RiskTier::Tier2,
    RiskTier::Tier3,
    RiskTier::Unclassified,
];

const STATUSES: [ValidationStatus; 6] = [
    ValidationStatus::NotStarted,
    ValidationStatus::InProgress,
    ValidationStatus::Validated,
    ValidationStatus::ConditionallyApproved,
    ValidationStatus::Failed,
    ValidationStatus::Expired,
];

fn name<T: serde::Serialize>(v: T) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

fn material(e: &InventoryEntry) -> bool {
    matches!(
        e.classification.risk_tier,
        RiskTier::Tier1 | RiskTier::Tier2
    )
}

/// Whether a Tier 1/2 model's validation is in force on `today`.
fn validated_now(e: &InventoryEntry, today: NaiveDate) -> bool {
    e.classification.validation_status == ValidationStatus::Validated
        && e.classification.validation_due.is_none_or(|d| d >= today)
}

/// (classified entries, all entries).
pub fn classification_coverage(inv: &[InventoryEntry]) -> (u64, u64) {
    let classified = inv
        .iter()
        .filter(|e| e.classification.risk_tier != RiskTier::Unclassified)
        .count();
    (classified as u64, inv.len() as u64)
}

/// (Tier 1/2 entries validated and not past due, Tier 1/2 entries).
pub fn validation_coverage(inv: &[InventoryEntry], today: NaiveDate) -> (u64, u64) {
    let material: Vec<_> = inv.iter().filter(|e| material(e)).collect();
    let ok = material.iter().filter(|e| validated_now(e, today)).count();
    (ok as u64, material.len() as u64)
}

/// Why an entry is a validation gap on `today` (empty: no gap).
pub fn gaps(e: &InventoryEntry, today: NaiveDate) -> Vec<&'static str> {
    let c = &e.classification;
    let mut why = Vec::new();
    if c.risk_tier == RiskTier::Unclassified {
        why.push("unclassified");
    }
    if material(e) && c.validation_status != ValidationStatus::Validated {
        why.push("material_model_not_validated");
    }
    if let Some(due) = c.validation_due {
        let days = (due - today).num_days();
        if days < 0 {
            why.push("validation_overdue");
        } else if days <= DUE_SOON_DAYS {
            why.push("validation_due_within_30_days");
        }
    }
    why
}

pub fn section(inv: &[InventoryEntry], window: &Window, today: NaiveDate) -> Value {
    let by_tier: serde_json::Map<String, Value> = TIERS
        .iter()
        .map(|t| {
            let n = inv
                .iter()
                .filter(|e| e.classification.risk_tier == *t)
                .count();
            (name(t), json!(n))
        })
        .collect();
    let by_status: serde_json::Map<String, Value> = STATUSES
        .iter()
        .map(|s| {
            let n = inv
                .iter()
                .filter(|e| e.classification.validation_status == *s)
                .count();
            (name(s), json!(n))
        })
        .collect();
    let gap_list: Vec<Value> = inv
        .iter()
        .filter_map(|e| {
            let why = gaps(e, today);
            (!why.is_empty()).then(|| {
                let c = &e.classification;
                json!({"id": c.id, "provider": c.provider, "model": c.model,
                       "risk_tier": c.risk_tier, "validation_status": c.validation_status,
                       "validation_due": c.validation_due, "owner": c.owner, "reasons": why})
            })
        })
        .collect();
    let mut due: Vec<&InventoryEntry> = inv
        .iter()
        .filter(|e| e.classification.validation_due.is_some())
        .collect();
    due.sort_by_key(|e| (e.classification.validation_due, e.classification.id.clone()));
    let due_dates: Vec<Value> = due
        .iter()
        .filter_map(|e| {
            let c = &e.classification;
            let d = c.validation_due?;
            Some(
                json!({"id": c.id, "model": c.model, "risk_tier": c.risk_tier,
                        "validation_status": c.validation_status, "validation_due": d,
                        "days_until_due": (d - today).num_days()}),
            )
        })
        .collect();
    let used: Vec<Value> = inv
        .iter()
        .filter_map(|e| {
            let c = &e.classification;
            let u = window.model_use(&c.provider, &c.model)?;
            Some(json!({"id": c.id, "risk_tier": c.risk_tier,
                        "validation_status": c.validation_status,
                        "requests": u.requests,
                        "cost_usd": round_usd(usd(u.cost_nano))}))
        })
        .collect();
    let unclassified_used = inv
        .iter()
        .filter(|e| {
            e.classification.risk_tier == RiskTier::Unclassified
                && window
                    .model_use(&e.classification.provider, &e.classification.model)
                    .is_some()
        })
        .count();
    let (classified, total) = classification_coverage(inv);
    let (validated, material) = validation_coverage(inv, today);
    json!({
        "title": "SR 11-7 model risk management",
        "sources": ["inventory", "audit_log"],
        "status": if inv.is_empty() { "no_models_in_inventory" } else { "ok" },
        "inventory_as_of": today,
        "models_total": total,
        "models_classified": classified,
        "by_risk_tier": by_tier,
        "by_validation_status": by_status,
        "material_models": material,
        "material_models_validated": validated,
        "validation_gaps": gap_list,
        "due_dates": due_dates,
        "models_used_in_period": used,
        "unclassified_models_used_in_period": unclassified_used,
    })
}
