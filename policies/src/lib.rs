//! Parapet's policy language (DESIGN §4): pure data in, decisions out. No I/O, no async, no
//! clock (`now` is passed in).
//!
//! - [`Policy`] is the document of seeds 000–003 (`{id, display_name, effect, priority,
//!   actions, condition, roles?, subjects?}`), [`parse_policies`] reads a JSON array of them.
//! - [`PolicySet::compile`] checks and indexes them; errors name the policy and JSON path.
//! - [`evaluate`] (policies only) and [`evaluate_with`] (RBAC gate with non-escalation,
//!   break-glass grants, policies) return a [`Decision`], never an error.
//! - [`lint`] reports what `compile` rejects plus unreachable rules and priority ties.
//! - [`run_cases`] runs a pack's test cases.
//! - [`pattern_matches`] is the action/model pattern matcher shared with the gateway.

mod cases;
mod condition;
mod error;
mod evaluate;
mod lint;
mod pattern;
mod policy;
mod rbac;
mod request;
mod set;

pub use cases::{parse_cases, run_cases, Case, CaseResult, Expect};
pub use condition::{CmpOp, Condition, Operand, Path};
pub use error::{ErrorKind, Item, PolicyError};
pub use evaluate::{evaluate, evaluate_with, Decision, Facts, Principal, Reason};
pub use lint::{lint, LintIssue, Severity};
pub use pattern::pattern_matches;
pub use policy::{default_policies, parse_policies, Approval, Approver, Effect, Policy};
pub use rbac::{parse_roles, JitGrant, Role, Roles, MAX_GRANT_DURATION};
pub use request::{Context, Request, Resource, SubjectType};
pub use set::PolicySet;
