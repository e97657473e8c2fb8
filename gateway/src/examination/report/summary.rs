//! The executive summary of a COMPREHENSIVE report and its governance score.
//!
//! The score is a weighted mean, times 100, of six components, each a fraction in [0, 1]:
//!
//! | component | weight | value |
//! |---|---:|---|
//! | `inventory_classification` | 20 | inventory entries with a risk tier / all entries |
//! | `validation_coverage` | 20 | Tier 1/2 entries `Validated` and not past `validation_due` / Tier 1/2 entries |
//! | `supervision_review` | 20 | supervision records of the period reviewed / records of the period |
//! | `chain_integrity` | 20 | 1 when the whole audit chain and every checkpoint verify, else 0 |
//! | `credential_hygiene` | 10 | active virtual keys and agent credentials with an expiry / all active ones |
//! | `human_oversight` | 10 | approvals of the period decided by a person / approvals of the period no longer pending |
//!
//! A component with nothing to measure (no inventory, no Tier 1/2 model, no supervision record,
//! no active secret, no closed approval) is `null` and left out: the score is the weighted mean
//! of the others, so missing data neither raises nor lowers it. The score is rounded to one
//! decimal. `chain_integrity` always applies.

use serde_json::{json, Value};

use super::finra::rate;

pub struct Component {
    pub name: &'static str,
    pub weight: u32,
    /// (part, whole); `whole == 0` means not applicable.
    pub part: u64,
    pub whole: u64,
    pub basis: &'static str,
}

impl Component {
    fn value(&self) -> Option<f64> {
        rate(self.part, self.whole)
    }
}

/// The score of `components` (0–100, one decimal), `None` if none applies.
pub fn score(components: &[Component]) -> Option<f64> {
    let (mut sum, mut weights) = (0.0, 0u32);
    for c in components {
        if let Some(v) = c.value() {
            sum += f64::from(c.weight) * v;
            weights += c.weight;
        }
    }
    (weights > 0).then(|| (sum / f64::from(weights) * 1000.0).round() / 10.0)
}

pub fn section(components: &[Component], findings: Vec<Value>) -> Value {
    let parts: Vec<Value> = components
        .iter()
        .map(|c| {
            json!({"name": c.name, "weight": c.weight, "value": c.value(),
                   "numerator": c.part, "denominator": c.whole, "basis": c.basis,
                   "applicable": c.whole > 0})
        })
        .collect();
    json!({
        "governance_score": score(components),
        "formula": "100 x sum(weight x value) / sum(weight), over the components whose value is not null",
        "components": parts,
        "findings": findings,
    })
}
