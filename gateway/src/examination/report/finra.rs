//! FINRA 3110/3120 (supervision): the supervision records of barrier triggers in the period,
//! their review, the attestation summary, and the barriers that produce them.

use chrono::{DateTime, Utc};
use serde_json::{json, Value};

use super::request::Period;
use super::window::Window;
use crate::barriers::model::{Barrier, BarrierAction};
use crate::barriers::supervision::{attestation, Violation};

/// (reviewed, all) supervision records of the period.
pub fn review_counts(violations: &[Violation], period: &Period) -> (u64, u64) {
    let inside: Vec<_> = violations
        .iter()
        .filter(|v| period.contains(v.at))
        .collect();
    let reviewed = inside.iter().filter(|v| v.reviewed).count();
    (reviewed as u64, inside.len() as u64)
}

pub fn rate(part: u64, whole: u64) -> Option<f64> {
    (whole > 0).then(|| ((part as f64 / whole as f64) * 10_000.0).round() / 10_000.0)
}

pub fn section(
    violations: &[Violation],
    barriers: &[Barrier],
    retention_days: u64,
    window: &Window,
    period: &Period,
    now: DateTime<Utc>,
) -> Value {
    let att = attestation(violations, Some(period.start), Some(period.end), now);
    let (reviewed, total) = review_counts(violations, period);
    let reviews_in_period = violations
        .iter()
        .filter(|v| v.reviewed_at.is_some_and(|t| period.contains(t)))
        .count();
    let oldest_pending = violations
        .iter()
        .filter(|v| !v.reviewed && v.at < period.end)
        .map(|v| v.at)
        .min();
    let by_action = |a: BarrierAction| barriers.iter().filter(|b| b.action == a).count();
    let audit_records = window
        .by_kind
        .get("barrier.violation")
        .copied()
        .unwrap_or(0);
    json!({
        "title": "FINRA 3110/3120 supervision",
        "sources": ["supervision_records", "barriers", "audit_log"],
        "status": if barriers.is_empty() { "not_configured" } else { "ok" },
        "status_detail": if barriers.is_empty() {
            Value::from("no information barriers are defined, so no supervision records are produced")
        } else { Value::Null },
        "barriers": {
            "defined": barriers.len(),
            "enabled": barriers.iter().filter(|b| b.enabled).count(),
            "block": by_action(BarrierAction::Block),
            "log": by_action(BarrierAction::Log),
            "alert": by_action(BarrierAction::Alert),
        },
        "supervision_records": {
            "total": total,
            "blocked": att["blocked"],
            "logged": att["logged"],
            "alerted": att["alerted"],
            "reviewed": reviewed,
            "pending_review": total - reviewed,
            "review_rate": rate(reviewed, total),
            "critical": att["critical"],
            "high": att["high"],
            "by_barrier": att["by_barrier"],
            "reviews_completed_in_period": reviews_in_period,
            "oldest_pending_review_at": oldest_pending,
        },
        "attestation": {
            "controls_functioning": att["controls_functioning"],
            "total_violations": att["total_violations"],
            "pending_review": att["pending_review"],
        },
        "retention_days": retention_days,
        "audit_cross_check": {
            "barrier_violation_records": audit_records,
            "supervision_records": total,
            "consistent": audit_records == total,
        },
    })
}
