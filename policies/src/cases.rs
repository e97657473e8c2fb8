//! Policy test cases (a pack's `cases.json`): a request, the facts around it, and the expected
//! outcome. `parapet policy test --cases FILE` reads the files and calls [`run_cases`].

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::error::{parse_list, Item, PolicyError};
use crate::evaluate::{evaluate_with, Decision, Facts};
use crate::policy::Effect;
use crate::rbac::{JitGrant, Roles};
use crate::request::Request;
use crate::set::PolicySet;

/// One case.
///
/// ```json
/// {"name": "refund of 1,500 USD needs approval",
///  "request": {"subject_type": "agent", "subject_id": "a1", "action": "payments.refund.issue",
///              "resource": {"type": "payment", "id": "p1", "attrs": {"amount_cents": 150000}}},
///  "subject_roles": ["payments_agent"],
///  "expect": {"effect": "require_approval", "policy_id": "fin-refund-approval"}}
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Case {
    pub name: String,
    pub request: Request,
    #[serde(default)]
    pub subject_roles: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject_attrs: Option<Map<String, Value>>,
    /// Roles of `request.on_behalf_of_user_id`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_roles: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub grants: Vec<JitGrant>,
    /// The time grants are checked against (required when `grants` is not empty).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub now: Option<DateTime<Utc>>,
    pub expect: Expect,
}

/// What a case expects; absent fields are not checked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expect {
    pub effect: Effect,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grant_id: Option<String>,
    /// A code one of the reasons must have (`not_granted`, `no_policy_matched`, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// The outcome of one case.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CaseResult {
    pub name: String,
    pub passed: bool,
    /// What did not match, one line each; empty when passed.
    pub failures: Vec<String>,
    pub decision: Decision,
}

/// Parse a JSON array of cases.
pub fn parse_cases(json: &str) -> Result<Vec<Case>, PolicyError> {
    let cases: Vec<Case> = parse_list(json, Item::Case)?;
    for (i, case) in cases.iter().enumerate() {
        case.request.check().map_err(|mut e| {
            e.item = Item::Case;
            e.id = Some(case.name.clone());
            e.path = format!("$[{i}].request{}", e.path.trim_start_matches('$'));
            e
        })?;
    }
    Ok(cases)
}

/// Run `cases` against `set`. With `roles`, the RBAC gate applies (as for the decision API);
/// without, policies only (each case's `subject_roles` still feed `ctx.subject.roles`).
pub fn run_cases(set: &PolicySet, roles: Option<&Roles>, cases: &[Case]) -> Vec<CaseResult> {
    cases
        .iter()
        .map(|case| run_case(set, roles, case))
        .collect()
}

fn run_case(set: &PolicySet, roles: Option<&Roles>, case: &Case) -> CaseResult {
    let mut failures = Vec::new();
    if !case.grants.is_empty() && case.now.is_none() {
        failures.push("the case has grants but no `now` to check them against".to_owned());
    }
    let facts = Facts {
        subject_roles: &case.subject_roles,
        subject_attrs: case.subject_attrs.as_ref(),
        rbac: roles,
        user_roles: case.user_roles.as_deref(),
        grants: &case.grants,
        now: case.now.unwrap_or_default(),
    };
    let decision = evaluate_with(set, &case.request, &facts);
    let expect = &case.expect;
    if decision.effect != expect.effect {
        failures.push(format!(
            "effect: expected {}, got {}",
            expect.effect.as_str(),
            decision.effect.as_str()
        ));
    }
    if let Some(want) = &expect.policy_id {
        if decision.policy_id.as_deref() != Some(want.as_str()) {
            failures.push(format!(
                "policy_id: expected `{want}`, got {}",
                decision
                    .policy_id
                    .as_deref()
                    .map_or("none".to_owned(), |id| format!("`{id}`"))
            ));
        }
    }
    if let Some(want) = &expect.grant_id {
        if decision.grant_id.as_deref() != Some(want.as_str()) {
            failures.push(format!(
                "grant_id: expected `{want}`, got {:?}",
                decision.grant_id
            ));
        }
    }
    if let Some(want) = &expect.reason {
        if !decision.reasons.iter().any(|r| r.code() == want) {
            let got: Vec<&str> = decision.reasons.iter().map(|r| r.code()).collect();
            failures.push(format!("reason: expected `{want}`, got {got:?}"));
        }
    }
    CaseResult {
        name: case.name.clone(),
        passed: failures.is_empty(),
        failures,
        decision,
    }
}

#[cfg(test)]
mod tests;
