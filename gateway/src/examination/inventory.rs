//! The AI inventory (DESIGN §8, seed 004): one entry per (provider, model) that served
//! traffic, created on first traffic as `Unclassified`; model risk management classifies it.
//! The classification is a document (`store::Docs`); the counters live in `store::Counters`
//! and are merged in when listing.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::store::counters::InventoryTotals;
use crate::store::{Collection, Document};

/// SR 11-7 tier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum RiskTier {
    Tier1,
    Tier2,
    Tier3,
    #[default]
    Unclassified,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum DataSensitivity {
    Public,
    Internal,
    NonPublicPersonalInfo,
    #[serde(rename = "MNPI")]
    Mnpi,
    #[serde(rename = "PHI")]
    Phi,
    Mixed,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Framework {
    SR117,
    FINRA3110,
    FFIEC,
    GDPR,
    EuAiAct,
    #[serde(rename = "BaselIV", alias = "Basel IV")]
    BaselIv,
    DoddFrank,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum ValidationStatus {
    #[default]
    NotStarted,
    InProgress,
    Validated,
    ConditionallyApproved,
    Failed,
    Expired,
}

/// The stored part of an entry: identity and classification.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Classification {
    pub id: String,
    pub provider: String,
    pub model: String,
    pub risk_tier: RiskTier,
    pub data_sensitivity: Option<DataSensitivity>,
    pub applicable_frameworks: Vec<Framework>,
    pub validation_status: ValidationStatus,
    /// A date (`YYYY-MM-DD`).
    pub validation_due: Option<chrono::NaiveDate>,
    pub owner: Option<String>,
    pub notes: Option<String>,
}

impl Document for Classification {
    const COLLECTION: Collection = Collection::Inventory;
    fn id(&self) -> &str {
        &self.id
    }
}

impl Classification {
    /// A newly discovered model.
    pub fn discovered(provider: &str, model: &str) -> Classification {
        Classification {
            id: entry_id(provider, model),
            provider: provider.to_string(),
            model: model.to_string(),
            risk_tier: RiskTier::Unclassified,
            data_sensitivity: None,
            applicable_frameworks: vec![],
            validation_status: ValidationStatus::NotStarted,
            validation_due: None,
            owner: None,
            notes: None,
        }
    }

    /// Applies an update: fields present replace, fields absent stay.
    pub fn updated(&self, u: InventoryUpdate) -> Classification {
        let mut c = self.clone();
        if let Some(v) = u.risk_tier {
            c.risk_tier = v;
        }
        if let Some(v) = u.data_sensitivity {
            c.data_sensitivity = v;
        }
        if let Some(v) = u.applicable_frameworks {
            c.applicable_frameworks = v;
        }
        if let Some(v) = u.validation_status {
            c.validation_status = v;
        }
        if let Some(v) = u.validation_due {
            c.validation_due = v;
        }
        if let Some(v) = u.owner {
            c.owner = v;
        }
        if let Some(v) = u.notes {
            c.notes = v;
        }
        c
    }
}

/// `PUT /api/examination/inventory/{id}`: what model risk management may set. Unknown fields
/// and values outside the enums are rejected; `null` clears an optional field.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InventoryUpdate {
    pub risk_tier: Option<RiskTier>,
    #[serde(default, deserialize_with = "nullable")]
    pub data_sensitivity: Option<Option<DataSensitivity>>,
    pub applicable_frameworks: Option<Vec<Framework>>,
    pub validation_status: Option<ValidationStatus>,
    #[serde(default, deserialize_with = "nullable")]
    pub validation_due: Option<Option<chrono::NaiveDate>>,
    #[serde(default, deserialize_with = "nullable")]
    pub owner: Option<Option<String>>,
    #[serde(default, deserialize_with = "nullable")]
    pub notes: Option<Option<String>>,
}

/// Tells an absent field (`None`) from an explicit `null` (`Some(None)`).
fn nullable<'de, T: Deserialize<'de>, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

/// An entry as listed: classification and totals.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct InventoryEntry {
    #[serde(flatten)]
    pub classification: Classification,
    pub total_requests: u64,
    pub total_tokens: u64,
    pub total_cost_usd: f64,
    /// Filled in once the classifiers score calls; `null` until then.
    pub avg_compliance_score: Option<f64>,
    pub first_seen: Option<String>,
    pub last_seen: Option<String>,
}

impl InventoryEntry {
    pub fn new(classification: Classification, t: InventoryTotals) -> InventoryEntry {
        InventoryEntry {
            classification,
            total_requests: t.requests,
            total_tokens: t.tokens,
            total_cost_usd: super::pricing::round_usd(super::limits::usd(t.cost_nano)),
            avg_compliance_score: None,
            first_seen: t.first_seen,
            last_seen: t.last_seen,
        }
    }
}

/// The entry id of (provider, model): `provider.model` with characters outside
/// `[A-Za-z0-9._-]` replaced by `_`, plus a short hash when anything was replaced (so
/// `meta-llama/Llama-3` and `meta-llama_Llama-3` stay apart). Safe in a URL path.
pub fn entry_id(provider: &str, model: &str) -> String {
    let raw = format!("{provider}.{model}");
    let clean: String = raw
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                c
            } else {
                '_'
            }
        })
        .collect();
    if clean == raw {
        clean
    } else {
        let h = hex::encode(Sha256::digest(raw.as_bytes()));
        format!("{clean}-{}", &h[..8])
    }
}

#[cfg(test)]
mod tests;
