//! Changes to policies, roles and role bindings. Each change is validated against the whole
//! set it would produce (a set that would not compile is refused with 422 naming the problem),
//! recorded on the audit log with before/after, written, and made live at once on this
//! instance (others follow within `POLL_EVERY`). Every policy version is kept.

use chrono::Utc;
use parapet_policies::{Policy, PolicySet, Role, Roles};
use serde_json::Value;

use super::docs::{PolicyVersion, RoleBinding, RoleDoc, StoredPolicy};
use super::{store_err, PolicyEngine};
use crate::audit::Audit;
use crate::error::ApiError;
use crate::identity::Caller;
use crate::store::{Docs, Store};

fn to_value<T: serde::Serialize>(v: &T) -> Value {
    serde_json::to_value(v).unwrap_or(Value::Null)
}

fn invalid(e: impl std::fmt::Display) -> ApiError {
    ApiError::InvalidPolicy(e.to_string())
}

/// Reads one policy document from a request body (unknown fields rejected).
pub fn parse_policy(body: Value) -> Result<Policy, ApiError> {
    let text = Value::Array(vec![body]).to_string();
    let mut list = parapet_policies::parse_policies(&text).map_err(invalid)?;
    list.pop()
        .ok_or_else(|| ApiError::InvalidPolicy("no policy".into()))
}

impl PolicyEngine {
    async fn stored(&self) -> Result<Vec<StoredPolicy>, ApiError> {
        self.store.list_docs().await.map_err(store_err)
    }

    pub async fn list_policies(&self) -> Result<Vec<StoredPolicy>, ApiError> {
        self.stored().await
    }

    pub async fn policy(&self, id: &str) -> Result<StoredPolicy, ApiError> {
        self.store
            .get_doc::<StoredPolicy>(id)
            .await
            .map_err(store_err)?
            .ok_or_else(|| ApiError::NotFound(format!("no policy with id '{id}'")))
    }

    pub async fn policy_versions(&self, id: &str) -> Result<Vec<PolicyVersion>, ApiError> {
        let all: Vec<PolicyVersion> = self.store.list_docs().await.map_err(store_err)?;
        let mine: Vec<PolicyVersion> = all.into_iter().filter(|v| v.policy_id == id).collect();
        if mine.is_empty() {
            return Err(ApiError::NotFound(format!("no policy with id '{id}'")));
        }
        Ok(mine)
    }

    /// The set the change would produce must compile: `replace` is the policy's id when it
    /// replaces or (with `new: None`) deletes one.
    async fn check_set(&self, new: Option<&Policy>, replace: Option<&str>) -> Result<(), ApiError> {
        let mut all: Vec<Policy> = self
            .stored()
            .await?
            .into_iter()
            .map(|p| p.policy)
            .filter(|p| Some(p.id.as_str()) != replace)
            .collect();
        if let Some(p) = new {
            all.push(p.clone());
        }
        PolicySet::compile(all).map(|_| ()).map_err(invalid)
    }

    /// Creates (`before: None`) or replaces a policy: a new version, audited, live at once.
    pub async fn put_policy(
        &self,
        audit: &Audit,
        caller: &Caller,
        policy: Policy,
        create: bool,
    ) -> Result<StoredPolicy, ApiError> {
        policy.validate().map_err(invalid)?;
        let versioned = self
            .store
            .get_doc_versioned::<StoredPolicy>(&policy.id)
            .await
            .map_err(store_err)?;
        let before = versioned.as_ref().map(|(p, _)| p.clone());
        match (&before, create) {
            (Some(_), true) => {
                return Err(ApiError::Conflict(format!(
                    "policy {} exists; PUT /api/v1/policies/{} replaces it",
                    policy.id, policy.id
                )))
            }
            (None, false) => {
                return Err(ApiError::NotFound(format!(
                    "no policy with id '{}'",
                    policy.id
                )))
            }
            _ => {}
        }
        self.check_set(Some(&policy), Some(&policy.id)).await?;
        let last = self
            .policy_versions(&policy.id)
            .await
            .ok()
            .and_then(|v| v.last().map(|v| v.version))
            .unwrap_or(0);
        let now = Utc::now();
        let after = StoredPolicy {
            policy,
            version: last + 1,
            updated_at: now,
            updated_by: caller.id.clone(),
        };
        let kind = if create {
            "admin.policy.create"
        } else {
            "admin.policy.update"
        };
        audit
            .admin_change(
                caller,
                kind,
                &after.policy.id,
                before.as_ref().map_or(Value::Null, to_value),
                to_value(&after),
            )
            .await?;
        self.write_version(&after.policy.id, after.version, Some(&after.policy), caller)
            .await?;
        match &versioned {
            None => self.store.create_doc(&after).await.map_err(store_err)?,
            Some((_, stored)) => {
                let written = self
                    .store
                    .cas_doc(&after, stored)
                    .await
                    .map_err(store_err)?;
                if !written {
                    return Err(ApiError::Conflict(format!(
                        "policy {} was changed meanwhile; read it again",
                        after.policy.id
                    )));
                }
            }
        }
        self.reload().await?;
        Ok(after)
    }

    async fn write_version(
        &self,
        id: &str,
        version: u64,
        policy: Option<&Policy>,
        caller: &Caller,
    ) -> Result<(), ApiError> {
        let v = PolicyVersion {
            key: PolicyVersion::key(id, version),
            policy_id: id.to_owned(),
            version,
            policy: policy.cloned(),
            at: Utc::now(),
            by: caller.id.clone(),
        };
        self.store.create_doc(&v).await.map_err(store_err)
    }

    pub async fn delete_policy(
        &self,
        audit: &Audit,
        caller: &Caller,
        id: &str,
    ) -> Result<(), ApiError> {
        let before = self.policy(id).await?;
        self.check_set(None, Some(id)).await?;
        audit
            .admin_change(
                caller,
                "admin.policy.delete",
                id,
                to_value(&before),
                Value::Null,
            )
            .await?;
        self.write_version(id, before.version + 1, None, caller)
            .await?;
        self.store
            .delete_doc::<StoredPolicy>(id)
            .await
            .map_err(store_err)?;
        self.reload().await?;
        Ok(())
    }

    pub async fn list_roles(&self) -> Result<Vec<Role>, ApiError> {
        let roles: Vec<RoleDoc> = self.store.list_docs().await.map_err(store_err)?;
        Ok(roles.into_iter().map(|r| r.0).collect())
    }

    /// Creates or replaces a role definition (the whole role table must still compile).
    pub async fn put_role(
        &self,
        audit: &Audit,
        caller: &Caller,
        role: Role,
    ) -> Result<Role, ApiError> {
        let mut all: Vec<Role> = self
            .list_roles()
            .await?
            .into_iter()
            .filter(|r| r.name != role.name)
            .collect();
        all.push(role.clone());
        Roles::compile(all).map_err(invalid)?;
        let before = self
            .store
            .get_doc::<RoleDoc>(&role.name)
            .await
            .map_err(store_err)?;
        audit
            .admin_change(
                caller,
                "admin.role.put",
                &role.name,
                before.as_ref().map_or(Value::Null, |r| to_value(&r.0)),
                to_value(&role),
            )
            .await?;
        put_doc(
            self.store.as_ref(),
            &RoleDoc(role.clone()),
            before.is_some(),
        )
        .await?;
        self.reload().await?;
        Ok(role)
    }

    pub async fn delete_role(
        &self,
        audit: &Audit,
        caller: &Caller,
        name: &str,
    ) -> Result<(), ApiError> {
        let before = self
            .store
            .get_doc::<RoleDoc>(name)
            .await
            .map_err(store_err)?
            .ok_or_else(|| ApiError::NotFound(format!("no role '{name}'")))?;
        audit
            .admin_change(
                caller,
                "admin.role.delete",
                name,
                to_value(&before.0),
                Value::Null,
            )
            .await?;
        self.store
            .delete_doc::<RoleDoc>(name)
            .await
            .map_err(store_err)?;
        self.reload().await?;
        Ok(())
    }

    pub async fn list_bindings(&self) -> Result<Vec<RoleBinding>, ApiError> {
        self.store.list_docs().await.map_err(store_err)
    }

    pub async fn binding(&self, subject: &str) -> Result<RoleBinding, ApiError> {
        self.store
            .get_doc::<RoleBinding>(subject)
            .await
            .map_err(store_err)?
            .ok_or_else(|| ApiError::NotFound(format!("no role binding for '{subject}'")))
    }

    /// Sets the roles a subject holds. Roles must be defined first (a typo would silently grant
    /// nothing).
    pub async fn put_binding(
        &self,
        audit: &Audit,
        caller: &Caller,
        mut binding: RoleBinding,
    ) -> Result<RoleBinding, ApiError> {
        let defined = self.list_roles().await?;
        if let Some(unknown) = binding
            .roles
            .iter()
            .find(|r| !defined.iter().any(|d| &d.name == *r))
        {
            return Err(ApiError::InvalidValue {
                field: "roles".into(),
                reason: format!("role '{unknown}' is not defined (PUT /api/v1/roles/{unknown})"),
            });
        }
        binding.updated_at = Some(Utc::now());
        let before = self
            .store
            .get_doc::<RoleBinding>(&binding.subject_id)
            .await
            .map_err(store_err)?;
        audit
            .admin_change(
                caller,
                "admin.role_binding.put",
                &binding.subject_id,
                before.as_ref().map_or(Value::Null, to_value),
                to_value(&binding),
            )
            .await?;
        put_doc(self.store.as_ref(), &binding, before.is_some()).await?;
        self.reload().await?;
        Ok(binding)
    }

    pub async fn delete_binding(
        &self,
        audit: &Audit,
        caller: &Caller,
        subject: &str,
    ) -> Result<(), ApiError> {
        let before = self.binding(subject).await?;
        audit
            .admin_change(
                caller,
                "admin.role_binding.delete",
                subject,
                to_value(&before),
                Value::Null,
            )
            .await?;
        self.store
            .delete_doc::<RoleBinding>(subject)
            .await
            .map_err(store_err)?;
        self.reload().await?;
        Ok(())
    }
}

async fn put_doc<T: crate::store::Document>(
    store: &dyn Store,
    doc: &T,
    exists: bool,
) -> Result<(), ApiError> {
    if exists {
        store.replace_doc(doc).await.map_err(store_err)?;
        Ok(())
    } else {
        store.create_doc(doc).await.map_err(store_err)
    }
}
