//! The policy document of seeds 000–003 as written (serde, unknown fields rejected) and its
//! compiled form.

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::condition::{compile_condition, Condition};
use crate::error::{parse_list, ErrorKind, Item, PolicyError};
use crate::pattern::check_pattern;

/// What a matching policy decides.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Effect {
    Allow,
    Deny,
    RequireApproval,
}

impl Effect {
    pub fn as_str(self) -> &'static str {
        match self {
            Effect::Allow => "allow",
            Effect::Deny => "deny",
            Effect::RequireApproval => "require_approval",
        }
    }
}

/// One policy as authored.
///
/// ```json
/// {"id": "fin-refund-approval", "display_name": "Refunds of 1,000 USD or more need approval",
///  "effect": "require_approval", "priority": 100, "actions": ["payments.refund.issue"],
///  "condition": {"op": "gte", "args": ["ctx.resource.attrs.amount_cents", 100000]},
///  "approval": {"approvers": ["role:payments_supervisor"], "min_approvals": 2}}
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Policy {
    pub id: String,
    pub display_name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    pub effect: Effect,
    /// Lower is evaluated first; ties are broken by `id` (byte order).
    pub priority: i64,
    /// Action patterns (`*` per dot segment).
    pub actions: Vec<String>,
    /// The `{op, args}` tree as written; `{}` is true. Compiled by [`crate::PolicySet::compile`].
    pub condition: Value,
    /// When present the policy applies only to subjects holding one of these roles.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub roles: Option<Vec<String>>,
    /// When present the policy applies only to these subject ids (patterns, `*` allowed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subjects: Option<Vec<String>>,
    /// A disabled policy is kept but never evaluated.
    #[serde(default = "enabled_default", skip_serializing_if = "is_true")]
    pub enabled: bool,
    /// Only on `require_approval` policies: who approves and how.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approval: Option<Approval>,
}

fn enabled_default() -> bool {
    true
}

fn is_true(b: &bool) -> bool {
    *b
}

/// How a `require_approval` decision is resolved (the gateway's approvals module acts on it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Approval {
    /// Who may approve: `role:<name>` or `group:<name>`. The requester never approves their own.
    pub approvers: Vec<Approver>,
    /// Distinct approvers needed: 1, or 2 for a second approver (four eyes).
    #[serde(default = "one")]
    pub min_approvals: u8,
    /// The requester must give a justification.
    #[serde(default)]
    pub require_justification: bool,
    /// Context keys the request must carry to be approvable (e.g. `ticket_url`, `incident_id`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub required_context: Vec<String>,
    /// How long a pending approval stays open; the gateway's default when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_in_seconds: Option<u64>,
}

fn one() -> u8 {
    1
}

/// An approver: a role or a directory group.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum Approver {
    Role(String),
    Group(String),
}

impl TryFrom<String> for Approver {
    type Error = String;

    fn try_from(s: String) -> Result<Self, String> {
        match s.split_once(':') {
            Some(("role", name)) if !name.is_empty() => Ok(Approver::Role(name.to_owned())),
            Some(("group", name)) if !name.is_empty() => Ok(Approver::Group(name.to_owned())),
            _ => Err(format!(
                "approver `{s}` must be `role:<name>` or `group:<name>`"
            )),
        }
    }
}

impl From<Approver> for String {
    fn from(a: Approver) -> String {
        match a {
            Approver::Role(n) => format!("role:{n}"),
            Approver::Group(n) => format!("group:{n}"),
        }
    }
}

/// The set shipped for `[policies] enforce = true` when the operator has configured none: every
/// authenticated caller may call models (`llm.*`) and agents (`a2a.*`). Its priority is high so
/// any operator rule runs first.
pub fn default_policies() -> Vec<Policy> {
    vec![Policy {
        id: "default-allow-llm-a2a".into(),
        display_name: "Authenticated callers may use models and agents".into(),
        description: Some("Shipped default; narrow it with rules of lower priority.".into()),
        effect: Effect::Allow,
        priority: 1_000_000,
        actions: vec!["llm.*".into(), "a2a.*".into()],
        condition: Value::Object(serde_json::Map::new()),
        roles: None,
        subjects: None,
        enabled: true,
        approval: None,
    }]
}

/// Parse a JSON array of policies (a pack's `policies.json`). Errors name the policy and path.
pub fn parse_policies(json: &str) -> Result<Vec<Policy>, PolicyError> {
    parse_list(json, Item::Policy)
}

/// A policy ready to evaluate.
#[derive(Debug, Clone)]
pub(crate) struct Compiled {
    pub id: Arc<str>,
    pub display_name: Arc<str>,
    pub effect: Effect,
    pub condition: Condition,
    pub roles: Option<Box<[String]>>,
    pub subjects: Option<Box<[String]>>,
}

impl Policy {
    /// Check this policy alone (as the admin API does before storing it); error paths start at
    /// `$` (the policy object).
    pub fn validate(&self) -> Result<(), PolicyError> {
        self.compile("$").map(|_| ())
    }

    pub(crate) fn compile(&self, root: &str) -> Result<Compiled, PolicyError> {
        let err = |path: String, kind: ErrorKind| {
            PolicyError::new(Item::Policy, Some(&self.id), path, kind)
        };
        if self.id.trim().is_empty() {
            return Err(err(
                format!("{root}.id"),
                ErrorKind::Invalid("id is empty".into()),
            ));
        }
        if self.actions.is_empty() {
            return Err(err(format!("{root}.actions"), ErrorKind::EmptyActions));
        }
        for (i, a) in self.actions.iter().enumerate() {
            check_pattern(a).map_err(|reason| {
                err(
                    format!("{root}.actions[{i}]"),
                    ErrorKind::BadPattern {
                        pattern: a.clone(),
                        reason,
                    },
                )
            })?;
        }
        for (field, list) in [("roles", &self.roles), ("subjects", &self.subjects)] {
            if list.as_ref().is_some_and(Vec::is_empty) {
                return Err(err(
                    format!("{root}.{field}"),
                    ErrorKind::Invalid(format!("`{field}` is empty, so the policy applies to no one; omit it to apply to everyone")),
                ));
            }
        }
        if let Some(approval) = &self.approval {
            let at = format!("{root}.approval");
            if self.effect != Effect::RequireApproval {
                return Err(err(
                    at,
                    ErrorKind::Invalid(
                        "approval settings only apply to `require_approval` policies".into(),
                    ),
                ));
            }
            if approval.approvers.is_empty() {
                return Err(err(
                    format!("{at}.approvers"),
                    ErrorKind::Invalid("name at least one approver".into()),
                ));
            }
            if !(1..=2).contains(&approval.min_approvals) {
                return Err(err(
                    format!("{at}.min_approvals"),
                    ErrorKind::Invalid("min_approvals is 1 or 2".into()),
                ));
            }
        }
        let condition = compile_condition(&self.condition, &format!("{root}.condition"))
            .map_err(|(path, kind)| err(path, kind))?;
        Ok(Compiled {
            id: Arc::from(self.id.as_str()),
            display_name: Arc::from(self.display_name.as_str()),
            effect: self.effect,
            condition,
            roles: self.roles.clone().map(Vec::into_boxed_slice),
            subjects: self.subjects.clone().map(Vec::into_boxed_slice),
        })
    }
}

#[cfg(test)]
mod tests;
