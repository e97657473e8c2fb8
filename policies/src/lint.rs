//! `lint`: everything `PolicySet::compile` would reject (as errors), plus rules that can never
//! decide anything and priority ties that only the id breaks (as warnings).

use std::collections::HashSet;

use serde::Serialize;

use crate::error::{ErrorKind, Item, PolicyError};
use crate::pattern::{pattern_covers, patterns_overlap};
use crate::policy::Policy;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// The set will not load.
    Error,
    /// The set loads but probably does not do what its author meant.
    Warning,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LintIssue {
    pub severity: Severity,
    pub policy_id: String,
    pub message: String,
}

/// Lint `policies` (as authored, in any order). Errors are exactly what
/// [`crate::PolicySet::compile`] rejects, all of them rather than the first; warnings:
/// - a rule whose actions are all covered by an earlier unconditional rule (no condition, no
///   `roles`/`subjects` filter) can never apply (unreachable); one with only some covered is
///   partly shadowed;
/// - two rules with the same priority and overlapping actions: the id decides which runs first.
pub fn lint(policies: &[Policy]) -> Vec<LintIssue> {
    let mut issues = Vec::new();
    let mut ids = HashSet::new();
    let mut valid: Vec<&Policy> = Vec::new();
    for (i, p) in policies.iter().enumerate() {
        if !ids.insert(p.id.as_str()) {
            let e = PolicyError::new(
                Item::Policy,
                Some(&p.id),
                format!("$[{i}].id"),
                ErrorKind::DuplicateId,
            );
            issues.push(error(p, &e));
            continue;
        }
        match p.compile(&format!("$[{i}]")) {
            Ok(_) if p.enabled => valid.push(p),
            Ok(_) => {}
            Err(e) => issues.push(error(p, &e)),
        }
    }
    valid.sort_by(|a, b| (a.priority, a.id.as_str()).cmp(&(b.priority, b.id.as_str())));

    for (n, later) in valid.iter().enumerate() {
        let earlier = &valid[..n];
        let unconditional: Vec<&&Policy> = earlier.iter().filter(|p| is_unconditional(p)).collect();
        let shadowed: Vec<(&str, &str)> = later
            .actions
            .iter()
            .filter_map(|a| {
                unconditional
                    .iter()
                    .find(|p| p.actions.iter().any(|pa| pattern_covers(pa, a)))
                    .map(|p| (a.as_str(), p.id.as_str()))
            })
            .collect();
        if !shadowed.is_empty() && shadowed.len() == later.actions.len() {
            let by: Vec<&str> = dedup(shadowed.iter().map(|(_, id)| *id));
            issues.push(warning(
                later,
                format!(
                    "unreachable: every action is decided first by unconditional rule(s) {}",
                    quoted(&by)
                ),
            ));
        } else {
            for (action, by) in shadowed {
                issues.push(warning(
                    later,
                    format!("action `{action}` is shadowed: the unconditional rule `{by}` decides it first"),
                ));
            }
        }
        for other in earlier.iter().filter(|p| p.priority == later.priority) {
            let overlap = later.actions.iter().find_map(|a| {
                other
                    .actions
                    .iter()
                    .find(|b| patterns_overlap(a, b))
                    .map(|b| (a, b))
            });
            if let Some((a, b)) = overlap {
                issues.push(warning(
                    later,
                    format!(
                        "same priority {} as `{}` with overlapping actions (`{a}` / `{b}`): `{}` runs first only because ties are broken by id",
                        later.priority, other.id, other.id
                    ),
                ));
            }
        }
    }
    issues
}

fn is_unconditional(p: &Policy) -> bool {
    p.roles.is_none()
        && p.subjects.is_none()
        && p.condition.as_object().is_some_and(|o| o.is_empty())
}

fn dedup<'a>(ids: impl Iterator<Item = &'a str>) -> Vec<&'a str> {
    let mut out: Vec<&str> = Vec::new();
    for id in ids {
        if !out.contains(&id) {
            out.push(id);
        }
    }
    out
}

fn quoted(ids: &[&str]) -> String {
    ids.iter()
        .map(|id| format!("`{id}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn error(p: &Policy, e: &PolicyError) -> LintIssue {
    LintIssue {
        severity: Severity::Error,
        policy_id: p.id.clone(),
        message: format!("{}: {}", e.path, e.kind),
    }
}

fn warning(p: &Policy, message: String) -> LintIssue {
    LintIssue {
        severity: Severity::Warning,
        policy_id: p.id.clone(),
        message,
    }
}

#[cfg(test)]
mod tests;
