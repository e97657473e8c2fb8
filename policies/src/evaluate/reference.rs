//! A naive reference evaluator for tests: linear scan, sort by (priority, id), conditions
//! interpreted straight from their JSON with owned values. Slow and obviously written to the
//! rules of DESIGN §4; the proptest checks the real evaluator agrees with it.

use std::cmp::Ordering;

use serde_json::Value;

use crate::evaluate::Facts;
use crate::pattern::pattern_matches;
use crate::policy::{Effect, Policy};
use crate::rbac::Role;
use crate::request::Request;

#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Outcome {
    pub effect: Effect,
    pub policy_id: Option<String>,
    pub grant_id: Option<String>,
    pub evaluated: usize,
}

pub(crate) fn reference_evaluate(
    policies: &[Policy],
    roles: Option<&[Role]>,
    req: &Request,
    facts: &Facts<'_>,
) -> Outcome {
    let action = req.action.as_str();
    let grant = |who: &str| {
        facts.grants.iter().find(|g| {
            g.subject == who
                && facts.now < g.expires_at
                && g.created_at.is_none_or(|c| c <= facts.now)
                && g.actions.iter().any(|p| pattern_matches(p, action))
        })
    };
    let denied = Outcome {
        effect: Effect::Deny,
        policy_id: None,
        grant_id: None,
        evaluated: 0,
    };
    let role_allows = |table: &[Role], held: &[String]| {
        held.iter().any(|h| {
            table
                .iter()
                .filter(|r| &r.name == h)
                .any(|r| r.actions.iter().any(|p| pattern_matches(p, action)))
        })
    };
    if let Some(table) = roles {
        if grant(&req.subject_id).is_none() && !role_allows(table, facts.subject_roles) {
            return denied;
        }
        if let Some(user) = &req.on_behalf_of_user_id {
            match facts.user_roles {
                None => return denied,
                Some(user_roles) => {
                    if grant(user).is_none() && !role_allows(table, user_roles) {
                        return denied;
                    }
                }
            }
        }
    }

    let mut sorted: Vec<&Policy> = policies.iter().filter(|p| p.enabled).collect();
    sorted.sort_by(|a, b| a.priority.cmp(&b.priority).then_with(|| a.id.cmp(&b.id)));
    let mut evaluated = 0;
    let mut outcome = None;
    for p in sorted {
        if !p.actions.iter().any(|a| pattern_matches(a, action)) {
            continue;
        }
        evaluated += 1;
        let subject_ok = p
            .subjects
            .as_ref()
            .is_none_or(|s| s.iter().any(|s| pattern_matches(s, &req.subject_id)));
        let roles_ok = p
            .roles
            .as_ref()
            .is_none_or(|r| r.iter().any(|r| facts.subject_roles.contains(r)));
        if subject_ok && roles_ok && holds(&p.condition, req, facts) {
            outcome = Some((p.effect, p.id.clone()));
            break;
        }
    }
    let (effect, policy_id) = match outcome {
        Some((e, id)) => (e, Some(id)),
        None => (Effect::Deny, None),
    };
    let explicit_deny = effect == Effect::Deny && policy_id.is_some();
    if effect != Effect::Allow && !explicit_deny {
        let g = grant(&req.subject_id);
        let user_ok = req
            .on_behalf_of_user_id
            .as_ref()
            .is_none_or(|u| grant(u).is_some());
        if let (Some(g), true) = (g, user_ok) {
            return Outcome {
                effect: Effect::Allow,
                policy_id: None,
                grant_id: Some(g.id.clone()),
                evaluated,
            };
        }
    }
    Outcome {
        effect,
        policy_id,
        grant_id: None,
        evaluated,
    }
}

fn resolve(arg: &Value, req: &Request, facts: &Facts<'_>) -> Option<Value> {
    let Value::String(s) = arg else {
        return Some(arg.clone());
    };
    if !s.starts_with("ctx.") {
        return Some(arg.clone());
    }
    let parts: Vec<&str> = s.split('.').collect();
    let found = match parts.as_slice() {
        ["ctx", "subject", "type"] => Some(Value::String(req.subject_type.as_str().to_owned())),
        ["ctx", "subject", "id"] => Some(Value::String(req.subject_id.clone())),
        ["ctx", "subject", "on_behalf_of_user_id"] => {
            req.on_behalf_of_user_id.clone().map(Value::String)
        }
        ["ctx", "subject", "roles"] => Some(Value::Array(
            facts
                .subject_roles
                .iter()
                .cloned()
                .map(Value::String)
                .collect(),
        )),
        ["ctx", "subject", "attrs", rest @ ..] | ["ctx", "subject", rest @ ..] => dig(
            &Value::Object(facts.subject_attrs.cloned().unwrap_or_default()),
            rest,
        ),
        ["ctx", "resource", "type"] => Some(Value::String(req.resource.kind.clone())),
        ["ctx", "resource", "id"] => Some(Value::String(req.resource.id.clone())),
        ["ctx", "resource", "attrs", rest @ ..] => {
            dig(&Value::Object(req.resource.attrs.clone()), rest)
        }
        ["ctx", "context", rest @ ..] => dig(&Value::Object(req.context.as_map().clone()), rest),
        _ => None,
    };
    found.filter(|v| !v.is_null())
}

fn dig(v: &Value, keys: &[&str]) -> Option<Value> {
    let mut cur = v;
    for k in keys {
        cur = cur.get(k)?;
    }
    Some(cur.clone())
}

fn eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| eq(p, q))
        }
        _ => a == b,
    }
}

fn kind(v: &Value) -> u8 {
    match v {
        Value::Null => 0,
        Value::Bool(_) => 1,
        Value::Number(_) => 2,
        Value::String(_) => 3,
        Value::Array(_) => 4,
        Value::Object(_) => 5,
    }
}

fn ord(a: &Value, b: &Value) -> Option<Ordering> {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64()?.partial_cmp(&y.as_f64()?),
        (Value::String(x), Value::String(y)) => Some(x.cmp(y)),
        _ => None,
    }
}

fn holds(cond: &Value, req: &Request, facts: &Facts<'_>) -> bool {
    let obj = cond.as_object().cloned().unwrap_or_default();
    if obj.is_empty() {
        return true;
    }
    let op = obj.get("op").and_then(Value::as_str).unwrap_or_default();
    let args = obj
        .get("args")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let val = |i: usize| resolve(&args[i], req, facts);
    match op {
        "and" => args.iter().all(|c| holds(c, req, facts)),
        "or" => args.iter().any(|c| holds(c, req, facts)),
        "not" => !holds(&args[0], req, facts),
        "exists" => val(0).is_some(),
        _ => {
            let (Some(a), Some(b)) = (val(0), val(1)) else {
                return false;
            };
            match op {
                "eq" => eq(&a, &b),
                "ne" => kind(&a) == kind(&b) && !eq(&a, &b),
                "gt" => ord(&a, &b) == Some(Ordering::Greater),
                "gte" => matches!(ord(&a, &b), Some(Ordering::Greater | Ordering::Equal)),
                "lt" => ord(&a, &b) == Some(Ordering::Less),
                "lte" => matches!(ord(&a, &b), Some(Ordering::Less | Ordering::Equal)),
                "in" => b.as_array().is_some_and(|l| l.iter().any(|x| eq(x, &a))),
                "not_in" => b.as_array().is_some_and(|l| !l.iter().any(|x| eq(x, &a))),
                "starts_with" => match (a.as_str(), b.as_str()) {
                    (Some(a), Some(b)) => a.starts_with(b),
                    _ => false,
                },
                "matches" => match (a.as_str(), args[1].as_str()) {
                    (Some(s), Some(re)) => regex::Regex::new(re).is_ok_and(|re| re.is_match(s)),
                    _ => false,
                },
                _ => false,
            }
        }
    }
}
