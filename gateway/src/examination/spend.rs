//! Spend views (`GET /api/spend`): the cost of the calls in a period, grouped by key, user,
//! team, model or day, computed from the audit records (the stored data of every call).
//! Pure: the records are passed in.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::audit::record::Record;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum GroupBy {
    Key,
    User,
    Team,
    Model,
    Day,
}

impl std::str::FromStr for GroupBy {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Ok(match s {
            "key" => GroupBy::Key,
            "user" => GroupBy::User,
            "team" => GroupBy::Team,
            "model" => GroupBy::Model,
            "day" => GroupBy::Day,
            other => return Err(format!("'{other}': use key, user, team, model or day")),
        })
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct SpendRow {
    /// The key id, user, team, `provider/model` or `YYYY-MM-DD`; `""` when the call had none.
    pub group: String,
    pub requests: u64,
    pub prompt_tokens: u64,
    pub completion_tokens: u64,
    /// Calls whose usage was estimated, not reported by the provider.
    pub estimated_requests: u64,
    pub cost_usd: f64,
}

/// Sums of the records of one period.
#[derive(Debug, Clone, PartialEq)]
pub struct Spend {
    pub group_by: GroupBy,
    rows: BTreeMap<String, SpendRow>,
}

impl Spend {
    pub fn new(group_by: GroupBy) -> Spend {
        Spend {
            group_by,
            rows: BTreeMap::new(),
        }
    }

    /// Counts one record if it is a model call that reached a model.
    pub fn add(&mut self, r: &Record) {
        if r.kind != "llm.call" {
            return;
        }
        let Some(req) = &r.request else { return };
        let Some(served) = &req.model_served else {
            return;
        };
        let group = match self.group_by {
            GroupBy::Key => r.caller.key_id.clone().unwrap_or_default(),
            GroupBy::User => r
                .caller
                .principal_id
                .clone()
                .unwrap_or_else(|| r.caller.id.clone()),
            GroupBy::Team => r.caller.team.clone().unwrap_or_default(),
            GroupBy::Model => format!("{}/{served}", req.provider.as_deref().unwrap_or("")),
            GroupBy::Day => r.ts.get(..10).unwrap_or("").to_string(),
        };
        let row = self.rows.entry(group.clone()).or_insert_with(|| SpendRow {
            group,
            ..SpendRow::default()
        });
        row.requests += 1;
        if let Some(u) = &r.usage {
            row.prompt_tokens += u.prompt_tokens;
            row.completion_tokens += u.completion_tokens;
            row.estimated_requests += u64::from(u.usage_estimated);
        }
        row.cost_usd += r.cost_usd.unwrap_or(0.0);
    }

    /// Rows by cost, highest first (ties by group).
    pub fn rows(&self) -> Vec<SpendRow> {
        let mut rows: Vec<SpendRow> = self
            .rows
            .values()
            .cloned()
            .map(|mut r| {
                r.cost_usd = super::pricing::round_usd(r.cost_usd);
                r
            })
            .collect();
        rows.sort_by(|a, b| {
            b.cost_usd
                .total_cmp(&a.cost_usd)
                .then(a.group.cmp(&b.group))
        });
        rows
    }

    pub fn total_usd(&self) -> f64 {
        super::pricing::round_usd(self.rows.values().map(|r| r.cost_usd).sum())
    }

    pub fn csv(&self) -> String {
        let mut out = format!(
            "{},requests,prompt_tokens,completion_tokens,estimated_requests,cost_usd\n",
            serde_json::to_value(self.group_by)
                .ok()
                .and_then(|v| v.as_str().map(String::from))
                .unwrap_or_default()
        );
        for r in self.rows() {
            let group = if r.group.contains([',', '"', '\n', '\r']) {
                format!("\"{}\"", r.group.replace('"', "\"\""))
            } else {
                r.group.clone()
            };
            out.push_str(&format!(
                "{group},{},{},{},{},{}\n",
                r.requests, r.prompt_tokens, r.completion_tokens, r.estimated_requests, r.cost_usd
            ));
        }
        out
    }
}

#[cfg(test)]
mod tests;
