//! RBAC: roles grant action patterns; a subject's grants are the union of its roles'. JIT
//! break-glass grants add actions to one subject until they expire.

use chrono::{DateTime, TimeDelta, Utc};
use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};

use crate::error::{parse_list, ErrorKind, Item, PolicyError};
use crate::pattern::{check_pattern, pattern_matches, Matcher};

/// A role as authored (a pack's `roles.json` holds an array of these).
///
/// ```json
/// {"name": "advisor", "description": "Client-facing advisor", "actions": ["portfolio.*", "crm.contacts.read"]}
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Role {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Action patterns this role grants (`*` per dot segment).
    pub actions: Vec<String>,
}

/// Parse a JSON array of roles.
pub fn parse_roles(json: &str) -> Result<Vec<Role>, PolicyError> {
    parse_list(json, Item::Role)
}

/// The role table, indexed by name.
#[derive(Debug, Clone, Default)]
pub struct Roles {
    by_name: FxHashMap<Box<str>, Box<[Matcher]>>,
    roles: Vec<Role>,
}

impl Roles {
    /// Check and index `roles`: names unique and non-empty, patterns well formed.
    pub fn compile(roles: Vec<Role>) -> Result<Roles, PolicyError> {
        let mut by_name = FxHashMap::default();
        for (i, role) in roles.iter().enumerate() {
            let err =
                |path: String, kind| PolicyError::new(Item::Role, Some(&role.name), path, kind);
            if role.name.trim().is_empty() {
                return Err(err(
                    format!("$[{i}].name"),
                    ErrorKind::Invalid("name is empty".into()),
                ));
            }
            for (j, a) in role.actions.iter().enumerate() {
                check_pattern(a).map_err(|reason| {
                    err(
                        format!("$[{i}].actions[{j}]"),
                        ErrorKind::BadPattern {
                            pattern: a.clone(),
                            reason,
                        },
                    )
                })?;
            }
            let patterns = role.actions.iter().map(|a| Matcher::new(a)).collect();
            if by_name
                .insert(Box::from(role.name.as_str()), patterns)
                .is_some()
            {
                return Err(err(format!("$[{i}].name"), ErrorKind::DuplicateId));
            }
        }
        Ok(Roles { by_name, roles })
    }

    /// Whether any of the `held` roles grants `action`. Unknown role names grant nothing.
    pub fn allows(&self, held: &[String], action: &str) -> bool {
        held.iter()
            .filter_map(|r| self.by_name.get(r.as_str()))
            .any(|patterns| patterns.iter().any(|m| m.matches(action)))
    }

    pub fn get(&self, name: &str) -> Option<&Role> {
        self.roles.iter().find(|r| r.name == name)
    }

    /// The roles as authored, in input order.
    pub fn roles(&self) -> &[Role] {
        &self.roles
    }

    pub fn is_empty(&self) -> bool {
        self.roles.is_empty()
    }
}

/// The longest a JIT grant may last (DESIGN §4).
pub const MAX_GRANT_DURATION: TimeDelta = TimeDelta::hours(4);

/// A JIT break-glass grant: `subject` may do `actions` until `expires_at`.
///
/// ```json
/// {"id": "g-1", "subject": "agent-7", "actions": ["ehr.read"], "justification": "code blue, bed 4",
///  "ticket_url": "https://tickets/INC-1", "granted_by": "u-oncall", "expires_at": "2025-01-01T12:00:00Z"}
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JitGrant {
    pub id: String,
    /// The subject id (agent, user or service) the grant is for.
    pub subject: String,
    /// Action patterns.
    pub actions: Vec<String>,
    pub justification: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ticket_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub granted_by: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<DateTime<Utc>>,
    pub expires_at: DateTime<Utc>,
}

impl JitGrant {
    /// Whether the grant is in force at `now` (expiry is exclusive).
    pub fn is_active(&self, now: DateTime<Utc>) -> bool {
        now < self.expires_at && self.created_at.is_none_or(|c| c <= now)
    }

    /// Whether the grant lets `subject_id` do `action` at `now`.
    pub fn covers(&self, subject_id: &str, action: &str, now: DateTime<Utc>) -> bool {
        self.subject == subject_id
            && self.is_active(now)
            && self.actions.iter().any(|p| pattern_matches(p, action))
    }

    /// Check a grant being created at `now`: a justification, well-formed actions, and an
    /// expiry in the future no more than [`MAX_GRANT_DURATION`] away.
    pub fn validate_new(&self, now: DateTime<Utc>) -> Result<(), PolicyError> {
        let err = |path: &str, msg: String| {
            PolicyError::new(Item::Grant, Some(&self.id), path, ErrorKind::Invalid(msg))
        };
        if self.subject.trim().is_empty() {
            return Err(err("$.subject", "subject is empty".into()));
        }
        if self.justification.trim().is_empty() {
            return Err(err(
                "$.justification",
                "a break-glass grant needs a justification".into(),
            ));
        }
        if self.actions.is_empty() {
            return Err(err("$.actions", "actions is empty".into()));
        }
        for (i, a) in self.actions.iter().enumerate() {
            check_pattern(a).map_err(|reason| {
                err(
                    &format!("$.actions[{i}]"),
                    format!("action pattern `{a}` {reason}"),
                )
            })?;
        }
        if self.expires_at <= now {
            return Err(err(
                "$.expires_at",
                "expires_at is not in the future".into(),
            ));
        }
        if self.expires_at - now > MAX_GRANT_DURATION {
            return Err(err("$.expires_at", "a grant lasts at most 4 hours".into()));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
