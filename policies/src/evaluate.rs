//! Decisions: RBAC gate (with non-escalation and break-glass grants), then the first matching
//! policy in (priority, id) order, else deny.

use std::fmt;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::{Serialize, Serializer};
use serde_json::{Map, Value};

use crate::condition::Env;
use crate::policy::{Compiled, Effect};
use crate::rbac::{JitGrant, Roles};
use crate::request::Request;
use crate::set::PolicySet;

/// The outcome of a decision. Never an error: a request that nothing allows is denied.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Decision {
    pub effect: Effect,
    /// The policy that decided; `None` for the default deny, an RBAC denial or a break-glass allow.
    #[serde(serialize_with = "opt_arc")]
    pub policy_id: Option<Arc<str>>,
    /// The break-glass grant that allowed the action, if one did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub grant_id: Option<String>,
    pub reasons: Vec<Reason>,
    /// How many policies had their condition evaluated (candidates whose actions matched).
    pub evaluated: usize,
}

fn opt_arc<S: Serializer>(v: &Option<Arc<str>>, s: S) -> Result<S::Ok, S::Error> {
    match v {
        Some(id) => s.serialize_some(&**id),
        None => s.serialize_none(),
    }
}

/// Why a decision came out as it did. Serialized as its message.
#[derive(Debug, Clone, PartialEq)]
pub enum Reason {
    /// This policy was the first to match.
    Matched {
        policy_id: Arc<str>,
        display_name: Arc<str>,
        effect: Effect,
    },
    /// No policy matched: deny by default.
    NoMatch,
    /// The RBAC gate: no role (nor active grant) of `principal` covers the action.
    NotGranted { principal: Principal },
    /// The request names a user the agent acts for, but the gateway supplied no roles for them.
    UserRolesUnknown,
    /// An active break-glass grant allowed what would otherwise be `instead_of`.
    BreakGlass {
        grant_id: String,
        instead_of: Effect,
    },
}

/// Whose grants were missing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Principal {
    /// The caller (`subject_id`).
    Subject,
    /// The user an agent acts for (`on_behalf_of_user_id`).
    User,
}

impl Reason {
    /// A stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            Reason::Matched { .. } => "policy_matched",
            Reason::NoMatch => "no_policy_matched",
            Reason::NotGranted {
                principal: Principal::Subject,
            } => "not_granted",
            Reason::NotGranted {
                principal: Principal::User,
            } => "not_granted_to_user",
            Reason::UserRolesUnknown => "user_roles_unknown",
            Reason::BreakGlass { .. } => "break_glass",
        }
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Reason::Matched {
                policy_id,
                display_name,
                effect,
            } => write!(f, "policy `{policy_id}` ({display_name}) matched: {}", effect.as_str()),
            Reason::NoMatch => f.write_str("no policy matched: denied by default"),
            Reason::NotGranted {
                principal: Principal::Subject,
            } => f.write_str("no role or active grant of the subject covers this action: denied before policies"),
            Reason::NotGranted {
                principal: Principal::User,
            } => f.write_str(
                "the user this agent acts for holds no role or active grant covering this action: \
                 denied before policies (non-escalation)",
            ),
            Reason::UserRolesUnknown => f.write_str(
                "the roles of the user this agent acts for are unknown: denied before policies (non-escalation)",
            ),
            Reason::BreakGlass { grant_id, instead_of } => write!(
                f,
                "break-glass grant `{grant_id}` allows this action (policies alone: {})",
                instead_of.as_str()
            ),
        }
    }
}

impl Serialize for Reason {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// What the gateway knows about who is asking — never taken from the caller's request body.
#[derive(Debug, Clone, Copy, Default)]
pub struct Facts<'a> {
    /// The subject's roles: read by `ctx.subject.roles`, by policies' `roles` filter and (with
    /// `rbac`) by the RBAC gate.
    pub subject_roles: &'a [String],
    /// Extra subject attributes for `ctx.subject.<key>` (e.g. `department`, `groups`).
    pub subject_attrs: Option<&'a Map<String, Value>>,
    /// `Some`: apply the RBAC gate with this role table before policies. `None`: policies only.
    pub rbac: Option<&'a Roles>,
    /// The roles of `on_behalf_of_user_id`. With `rbac` set and a user named in the request,
    /// `None` denies (the user's grants cannot be intersected).
    pub user_roles: Option<&'a [String]>,
    /// Break-glass grants to consider (expired ones and other subjects' are ignored).
    pub grants: &'a [JitGrant],
    /// The time grants are checked against.
    pub now: DateTime<Utc>,
}

/// Policies only: the first matching policy in (priority, id) order decides; no match denies.
/// `ctx.subject.roles` is empty and policies with a `roles` filter do not apply.
pub fn evaluate(set: &PolicySet, req: &Request) -> Decision {
    decide(
        set,
        Env {
            req,
            roles: &[],
            attrs: None,
        },
    )
}

/// The full decision:
///
/// 1. RBAC gate (when `facts.rbac` is set): the action must be covered by one of the subject's
///    roles or an active grant of the subject; when the request names `on_behalf_of_user_id`,
///    also by one of that user's roles or an active grant of the user (the intersection: an
///    agent never exceeds its user). Otherwise deny, before any policy runs.
/// 2. Policies, as [`evaluate`], with the subject's roles and attributes visible.
/// 3. Break-glass: if the policies say `require_approval`, or deny only because nothing matched,
///    an active grant covering the action for the subject (and, acting for a user, for that user
///    too) turns it into `allow`. An explicit `deny` policy still denies: grants lift RBAC,
///    approval and default deny, never the institution's hard rules (geo fences, MFA).
pub fn evaluate_with(set: &PolicySet, req: &Request, facts: &Facts<'_>) -> Decision {
    let action = req.action.as_str();
    let grant_for = |who: &str| {
        facts
            .grants
            .iter()
            .find(|g| g.covers(who, action, facts.now))
    };
    let subject_grant = grant_for(&req.subject_id);
    let user = req.on_behalf_of_user_id.as_deref();
    let user_grant = user.and_then(grant_for);

    if let Some(roles) = facts.rbac {
        if !(subject_grant.is_some() || roles.allows(facts.subject_roles, action)) {
            return gate_denied(Reason::NotGranted {
                principal: Principal::Subject,
            });
        }
        if user.is_some() {
            let Some(user_roles) = facts.user_roles else {
                return gate_denied(Reason::UserRolesUnknown);
            };
            if !(user_grant.is_some() || roles.allows(user_roles, action)) {
                return gate_denied(Reason::NotGranted {
                    principal: Principal::User,
                });
            }
        }
    }

    let mut decision = decide(
        set,
        Env {
            req,
            roles: facts.subject_roles,
            attrs: facts.subject_attrs,
        },
    );
    let overridable = match decision.effect {
        Effect::Allow => false,
        Effect::RequireApproval => true,
        Effect::Deny => decision.policy_id.is_none(),
    };
    let grant = match user {
        None => subject_grant,
        Some(_) => subject_grant.filter(|_| user_grant.is_some()),
    };
    if let (true, Some(grant)) = (overridable, grant) {
        decision.reasons.push(Reason::BreakGlass {
            grant_id: grant.id.clone(),
            instead_of: decision.effect,
        });
        decision.effect = Effect::Allow;
        decision.policy_id = None;
        decision.grant_id = Some(grant.id.clone());
    }
    decision
}

fn gate_denied(reason: Reason) -> Decision {
    Decision {
        effect: Effect::Deny,
        policy_id: None,
        grant_id: None,
        reasons: vec![reason],
        evaluated: 0,
    }
}

fn decide(set: &PolicySet, env: Env<'_>) -> Decision {
    let mut evaluated = 0;
    let mut winner: Option<&Compiled> = None;
    set.candidates(&env.req.action, |rank| {
        let Some(policy) = set.compiled.get(rank as usize) else {
            return false;
        };
        evaluated += 1;
        if applies(policy, &env) {
            winner = Some(policy);
            true
        } else {
            false
        }
    });
    match winner {
        Some(p) => Decision {
            effect: p.effect,
            policy_id: Some(Arc::clone(&p.id)),
            grant_id: None,
            reasons: vec![Reason::Matched {
                policy_id: Arc::clone(&p.id),
                display_name: Arc::clone(&p.display_name),
                effect: p.effect,
            }],
            evaluated,
        },
        None => Decision {
            effect: Effect::Deny,
            policy_id: None,
            grant_id: None,
            reasons: vec![Reason::NoMatch],
            evaluated,
        },
    }
}

fn applies(policy: &Compiled, env: &Env<'_>) -> bool {
    if let Some(subjects) = &policy.subjects {
        if !subjects
            .iter()
            .any(|s| crate::pattern::pattern_matches(s, &env.req.subject_id))
        {
            return false;
        }
    }
    if let Some(roles) = &policy.roles {
        if !roles.iter().any(|r| env.roles.contains(r)) {
            return false;
        }
    }
    env.eval(&policy.condition)
}

#[cfg(test)]
mod reference;
#[cfg(test)]
mod tests;
