//! The stored documents of the policy engine: policies with their version history, role
//! definitions, role bindings. Approvals and grants live in `approvals/`.

use chrono::{DateTime, Utc};
use parapet_policies::{Policy, Role};
use serde::{Deserialize, Serialize};

use crate::store::{Collection, Document};

/// The current version of one policy.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredPolicy {
    pub policy: Policy,
    pub version: u64,
    pub updated_at: DateTime<Utc>,
    pub updated_by: String,
}

impl Document for StoredPolicy {
    const COLLECTION: Collection = Collection::Policies;
    fn id(&self) -> &str {
        &self.policy.id
    }
}

/// One version of a policy as it was written; `policy: None` records a deletion.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PolicyVersion {
    /// `{policy_id}@{version:010}`, so a listing by id is the history in order.
    pub key: String,
    pub policy_id: String,
    pub version: u64,
    pub policy: Option<Policy>,
    pub at: DateTime<Utc>,
    pub by: String,
}

impl PolicyVersion {
    pub fn key(policy_id: &str, version: u64) -> String {
        format!("{policy_id}@{version:010}")
    }
}

impl Document for PolicyVersion {
    const COLLECTION: Collection = Collection::PolicyVersions;
    fn id(&self) -> &str {
        &self.key
    }
}

/// A role definition: the action patterns it grants.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RoleDoc(pub Role);

impl Document for RoleDoc {
    const COLLECTION: Collection = Collection::Roles;
    fn id(&self) -> &str {
        &self.0.name
    }
}

/// Which roles a subject holds. The subject is a virtual key's owner, a JWT's subject, an
/// agent id (of an agent credential) or any id used in decision requests.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoleBinding {
    pub subject_id: String,
    pub roles: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<DateTime<Utc>>,
}

impl Document for RoleBinding {
    const COLLECTION: Collection = Collection::RoleBindings;
    fn id(&self) -> &str {
        &self.subject_id
    }
}
