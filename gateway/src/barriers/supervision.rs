//! Supervision records (FINRA 3110): one per barrier trigger, reviewed by someone other than
//! the user, kept at least 90 days; the filters of the violations list and the attestation
//! summary are pure functions over the records.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::model::{BarrierAction, BarrierSeverity};
use crate::store::docs::{Collection, Document};

/// How many characters of the text a record keeps for the supervisor.
pub const EXCERPT_CHARS: usize = 200;

/// Where the restricted content was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    Prompt,
    Response,
}

/// Who received the text besides the user, e.g. the owner of the agent an A2A message went
/// to, with their groups: the side of the barrier the message would have reached.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Recipient {
    pub id: String,
    pub groups: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Violation {
    pub id: String,
    pub at: DateTime<Utc>,
    pub barrier_id: String,
    pub barrier_name: String,
    pub user: String,
    pub groups: Vec<String>,
    pub labels: Vec<String>,
    pub action: BarrierAction,
    pub severity: BarrierSeverity,
    pub direction: Direction,
    /// The first `EXCERPT_CHARS` characters of the text that carried the labels.
    pub excerpt: String,
    /// The route or A2A agent of the call.
    pub route: String,
    pub request_id: Option<String>,
    pub reviewed: bool,
    pub reviewed_by: Option<String>,
    pub reviewed_at: Option<DateTime<Utc>>,
    pub review_note: Option<String>,
    /// The `barrier.violation` audit record.
    pub audit_seq: Option<u64>,
    /// The agent owner an A2A message was for (absent for chat and for answers).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recipient: Option<Recipient>,
}

impl Document for Violation {
    const COLLECTION: Collection = Collection::Violations;
    fn id(&self) -> &str {
        &self.id
    }
}

pub fn excerpt(text: &str) -> String {
    text.chars().take(EXCERPT_CHARS).collect()
}

/// `GET /api/barriers/violations` query.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ViolationFilter {
    pub barrier: Option<String>,
    pub user: Option<String>,
    pub action: Option<BarrierAction>,
    pub reviewed: Option<bool>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    pub limit: Option<usize>,
}

impl ViolationFilter {
    pub fn matches(&self, v: &Violation) -> bool {
        self.barrier
            .as_ref()
            .is_none_or(|b| *b == v.barrier_id || *b == v.barrier_name)
            && self.user.as_ref().is_none_or(|u| *u == v.user)
            && self.action.is_none_or(|a| a == v.action)
            && self.reviewed.is_none_or(|r| r == v.reviewed)
            && in_period(v.at, self.from, self.to)
    }
}

fn in_period(at: DateTime<Utc>, from: Option<DateTime<Utc>>, to: Option<DateTime<Utc>>) -> bool {
    from.is_none_or(|f| at >= f) && to.is_none_or(|t| at < t)
}

/// Newest first, at most `limit` (default 1,000).
pub fn select(mut all: Vec<Violation>, filter: &ViolationFilter) -> Vec<Violation> {
    all.retain(|v| filter.matches(v));
    all.sort_by(|a, b| b.at.cmp(&a.at).then_with(|| b.id.cmp(&a.id)));
    all.truncate(filter.limit.unwrap_or(1000));
    all
}

/// Why a review was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReviewRefusal {
    SelfReview,
    AlreadyReviewed,
    NoReviewer,
}

/// Marks `v` reviewed by `reviewer` (never the user who triggered it).
pub fn review(
    v: &mut Violation,
    reviewer: &str,
    note: Option<String>,
    now: DateTime<Utc>,
) -> Result<(), ReviewRefusal> {
    let reviewer = reviewer.trim();
    if reviewer.is_empty() {
        return Err(ReviewRefusal::NoReviewer);
    }
    if reviewer.eq_ignore_ascii_case(&v.user) {
        return Err(ReviewRefusal::SelfReview);
    }
    if v.reviewed {
        return Err(ReviewRefusal::AlreadyReviewed);
    }
    v.reviewed = true;
    v.reviewed_by = Some(reviewer.to_string());
    v.reviewed_at = Some(now);
    v.review_note = note;
    Ok(())
}

#[derive(Default)]
struct Tally {
    total: u64,
    blocked: u64,
    logged: u64,
    alerted: u64,
    reviewed: u64,
    pending: u64,
    critical: u64,
    high: u64,
}

impl Tally {
    fn add(&mut self, v: &Violation) {
        self.total += 1;
        match v.action {
            BarrierAction::Block => self.blocked += 1,
            BarrierAction::Log => self.logged += 1,
            BarrierAction::Alert => self.alerted += 1,
        }
        if v.reviewed {
            self.reviewed += 1;
        } else {
            self.pending += 1;
        }
        match v.severity {
            BarrierSeverity::Critical => self.critical += 1,
            BarrierSeverity::High => self.high += 1,
            _ => {}
        }
    }

    fn json(&self) -> Value {
        json!({
            "total": self.total, "blocked": self.blocked, "logged": self.logged,
            "alerted": self.alerted, "reviewed": self.reviewed, "pending": self.pending,
            "critical": self.critical, "high": self.high,
        })
    }
}

/// The FINRA-style supervision attestation for `[from, to)`.
pub fn attestation(
    all: &[Violation],
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Value {
    let mut total = Tally::default();
    let mut by_barrier: BTreeMap<&str, (&str, Tally)> = BTreeMap::new();
    for v in all.iter().filter(|v| in_period(v.at, from, to)) {
        total.add(v);
        by_barrier
            .entry(&v.barrier_id)
            .or_insert_with(|| (&v.barrier_name, Tally::default()))
            .1
            .add(v);
    }
    let by_barrier: Vec<Value> = by_barrier
        .into_iter()
        .map(|(id, (name, t))| {
            let mut o = t.json();
            if let Value::Object(m) = &mut o {
                m.insert("barrier_id".into(), json!(id));
                m.insert("barrier_name".into(), json!(name));
            }
            o
        })
        .collect();
    let t = total.json();
    json!({
        "period": {"from": from, "to": to},
        "generated_at": now,
        "total_violations": total.total,
        "blocked": total.blocked,
        "logged": total.logged,
        "alerted": total.alerted,
        "reviewed": total.reviewed,
        "pending_review": total.pending,
        "critical": total.critical,
        "high": total.high,
        "totals": t,
        "by_barrier": by_barrier,
        "controls_functioning": total.pending == 0,
    })
}

#[cfg(test)]
mod tests;
