//! Barrier definitions (seed 004): two sides of LDAP group patterns, the content labels that
//! may not reach side B, and what happens when they do. Pure: parsing, matching, deciding.

use chrono::{DateTime, Utc};
use parapet_classifiers::{Label, LabelSet};
use serde::{Deserialize, Serialize};

use crate::error::ApiError;
use crate::store::docs::{Collection, Document};

/// What a triggered barrier does. Stricter first when several trigger: Block, Alert, Log.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum BarrierAction {
    #[serde(alias = "log", alias = "LOG")]
    Log,
    #[serde(alias = "alert", alias = "ALERT")]
    Alert,
    #[serde(alias = "block", alias = "BLOCK")]
    Block,
}

impl BarrierAction {
    pub fn as_str(self) -> &'static str {
        match self {
            BarrierAction::Block => "Block",
            BarrierAction::Log => "Log",
            BarrierAction::Alert => "Alert",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum BarrierSeverity {
    Low,
    #[default]
    Medium,
    High,
    Critical,
}

/// A barrier as stored and served.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Barrier {
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
    pub side_a_groups: Vec<String>,
    pub side_b_groups: Vec<String>,
    pub restricted_content_labels: Vec<String>,
    pub action: BarrierAction,
    pub severity: BarrierSeverity,
    /// Also keep side B's restricted content from side A.
    #[serde(default)]
    pub bidirectional: bool,
    #[serde(default = "yes")]
    pub enabled: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

fn yes() -> bool {
    true
}

impl Document for Barrier {
    const COLLECTION: Collection = Collection::Barriers;
    fn id(&self) -> &str {
        &self.id
    }
}

/// What an administrator sends to create or replace a barrier.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BarrierInput {
    #[serde(default)]
    pub id: Option<String>,
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
    pub side_a_groups: Vec<String>,
    pub side_b_groups: Vec<String>,
    pub restricted_content_labels: Vec<String>,
    pub action: BarrierAction,
    #[serde(default)]
    pub severity: BarrierSeverity,
    #[serde(default)]
    pub bidirectional: bool,
    #[serde(default = "yes")]
    pub enabled: bool,
}

fn invalid(field: &str, reason: impl Into<String>) -> ApiError {
    ApiError::InvalidValue {
        field: field.into(),
        reason: reason.into(),
    }
}

impl BarrierInput {
    /// Checks the input; `existing` is the barrier being replaced (its id and creation time stay).
    pub fn into_barrier(
        self,
        existing: Option<&Barrier>,
        now: DateTime<Utc>,
    ) -> Result<Barrier, ApiError> {
        let id = match (existing, self.id) {
            (Some(b), Some(id)) if id != b.id => {
                return Err(invalid("id", "does not match the barrier in the path"))
            }
            (Some(b), _) => b.id.clone(),
            (None, Some(id)) => id,
            (None, None) => uuid::Uuid::now_v7().to_string(),
        };
        if id.is_empty()
            || id.len() > 128
            || !id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
        {
            return Err(invalid(
                "id",
                "1 to 128 characters: letters, digits, '-', '_', '.'",
            ));
        }
        if self.name.trim().is_empty() {
            return Err(invalid("name", "must not be empty"));
        }
        for (field, groups) in [
            ("side_a_groups", &self.side_a_groups),
            ("side_b_groups", &self.side_b_groups),
        ] {
            if groups.is_empty() || groups.iter().any(|g| g.trim().is_empty()) {
                return Err(invalid(field, "needs at least one non-empty group pattern"));
            }
        }
        if self.restricted_content_labels.is_empty() {
            return Err(invalid(
                "restricted_content_labels",
                "needs at least one label",
            ));
        }
        for l in &self.restricted_content_labels {
            if Label::from_name(l).is_none() {
                let names: Vec<&str> = Label::ALL.iter().map(|l| l.as_str()).collect();
                return Err(invalid(
                    "restricted_content_labels",
                    format!("unknown label '{l}' (one of {})", names.join(", ")),
                ));
            }
        }
        Ok(Barrier {
            id,
            name: self.name,
            description: self.description,
            side_a_groups: self.side_a_groups,
            side_b_groups: self.side_b_groups,
            restricted_content_labels: self.restricted_content_labels,
            action: self.action,
            severity: self.severity,
            bidirectional: self.bidirectional,
            enabled: self.enabled,
            created_at: existing.map_or(now, |b| b.created_at),
            updated_at: now,
        })
    }
}

/// A `*` glob against an LDAP group CN, case-insensitive (CNs compare without case).
pub fn group_matches(pattern: &str, group: &str) -> bool {
    let p: Vec<char> = pattern.to_lowercase().chars().collect();
    let g: Vec<char> = group.to_lowercase().chars().collect();
    let (mut pi, mut gi) = (0, 0);
    let (mut star, mut mark) = (None, 0);
    while gi < g.len() {
        if pi < p.len() && p[pi] != '*' && p[pi] == g[gi] {
            pi += 1;
            gi += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = gi;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            gi = mark;
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|c| *c == '*')
}

fn any_group(patterns: &[String], groups: &[String]) -> bool {
    patterns
        .iter()
        .any(|p| groups.iter().any(|g| group_matches(p, g)))
}

impl Barrier {
    pub fn labels(&self) -> LabelSet {
        self.restricted_content_labels
            .iter()
            .filter_map(|l| Label::from_name(l))
            .collect()
    }

    /// Whether a caller with these groups stands on a receiving side of the barrier.
    pub fn applies_to(&self, groups: &[String]) -> bool {
        self.enabled
            && (any_group(&self.side_b_groups, groups)
                || (self.bidirectional && any_group(&self.side_a_groups, groups)))
    }
}

/// A barrier that applies to one caller, with its labels as a set.
#[derive(Debug, Clone)]
pub struct Applicable {
    pub barrier: std::sync::Arc<Barrier>,
    pub labels: LabelSet,
}

/// A barrier that fired: the restricted labels the text carried.
#[derive(Debug, Clone)]
pub struct Trigger {
    pub barrier: std::sync::Arc<Barrier>,
    pub labels: LabelSet,
}

/// The barriers of `applicable` whose restricted labels appear in `found`.
pub fn triggered(applicable: &[Applicable], found: LabelSet) -> Vec<Trigger> {
    applicable
        .iter()
        .filter(|a| a.labels.intersects(found))
        .map(|a| Trigger {
            barrier: a.barrier.clone(),
            labels: a.labels.iter().filter(|l| found.contains(*l)).collect(),
        })
        .collect()
}

/// The strictest action among the triggers.
pub fn strictest(triggers: &[Trigger]) -> Option<BarrierAction> {
    triggers.iter().map(|t| t.barrier.action).max()
}

#[cfg(test)]
mod tests;
