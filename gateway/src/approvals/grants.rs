//! JIT break-glass grants (`/api/v1/grants`): a subject may do some actions until `expires_at`
//! (at most 4 h away), with a justification and a ticket. Created and revoked on the audit log;
//! the evaluator ignores a grant from the moment it expires, so nothing has to remove it.

use chrono::{DateTime, Utc};
use parapet_policies::JitGrant;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::audit::Audit;
use crate::error::ApiError;
use crate::identity::Caller;
use crate::policy::{store_err, PolicyEngine};
use crate::store::{Collection, Docs, Document};

/// A grant as stored: the evaluator's `JitGrant` plus its revocation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GrantRecord {
    pub id: String,
    pub subject: String,
    pub actions: Vec<String>,
    pub justification: String,
    pub ticket_url: String,
    pub granted_by: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    #[serde(default)]
    pub revoked_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub revoked_by: Option<String>,
}

impl Document for GrantRecord {
    const COLLECTION: Collection = Collection::Grants;
    fn id(&self) -> &str {
        &self.id
    }
}

impl GrantRecord {
    pub fn into_grant(self) -> JitGrant {
        JitGrant {
            id: self.id,
            subject: self.subject,
            actions: self.actions,
            justification: self.justification,
            ticket_url: Some(self.ticket_url),
            granted_by: Some(self.granted_by),
            created_at: Some(self.created_at),
            expires_at: self.expires_at,
        }
    }

    /// `active`, `expired` or `revoked` at `now`.
    pub fn status(&self, now: DateTime<Utc>) -> &'static str {
        if self.revoked_at.is_some() {
            "revoked"
        } else if now >= self.expires_at {
            "expired"
        } else {
            "active"
        }
    }

    pub fn view(&self, now: DateTime<Utc>) -> Value {
        let mut v = serde_json::to_value(self).unwrap_or(Value::Null);
        if let Value::Object(m) = &mut v {
            m.insert("status".into(), json!(self.status(now)));
        }
        v
    }
}

/// `POST /api/v1/grants`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewGrant {
    pub subject: String,
    pub actions: Vec<String>,
    pub justification: String,
    pub ticket_url: String,
    pub expires_at: DateTime<Utc>,
}

impl PolicyEngine {
    pub async fn create_grant(
        &self,
        audit: &Audit,
        caller: &Caller,
        new: NewGrant,
    ) -> Result<GrantRecord, ApiError> {
        let now = Utc::now();
        if !(new.ticket_url.starts_with("https://") || new.ticket_url.starts_with("http://")) {
            return Err(ApiError::InvalidValue {
                field: "ticket_url".into(),
                reason: "a break-glass grant needs the URL of its ticket".into(),
            });
        }
        let rec = GrantRecord {
            id: uuid::Uuid::now_v7().to_string(),
            subject: new.subject,
            actions: new.actions,
            justification: new.justification,
            ticket_url: new.ticket_url,
            granted_by: caller.id.clone(),
            created_at: now,
            expires_at: new.expires_at,
            revoked_at: None,
            revoked_by: None,
        };
        rec.clone()
            .into_grant()
            .validate_new(now)
            .map_err(|e| ApiError::InvalidValue {
                field: e.path.trim_start_matches("$.").to_owned(),
                reason: e.kind.to_string(),
            })?;
        audit
            .admin_change(
                caller,
                "grant.created",
                &rec.id,
                Value::Null,
                serde_json::to_value(&rec).unwrap_or(Value::Null),
            )
            .await?;
        self.store.create_doc(&rec).await.map_err(store_err)?;
        audit.webhooks().emit("grant.created", rec.view(now));
        self.reload().await?;
        Ok(rec)
    }

    pub async fn list_grants(&self) -> Result<Vec<GrantRecord>, ApiError> {
        self.store.list_docs().await.map_err(store_err)
    }

    pub async fn grant(&self, id: &str) -> Result<GrantRecord, ApiError> {
        Ok(self.grant_versioned(id).await?.0)
    }

    async fn grant_versioned(&self, id: &str) -> Result<(GrantRecord, Vec<u8>), ApiError> {
        self.store
            .get_doc_versioned::<GrantRecord>(id)
            .await
            .map_err(store_err)?
            .ok_or_else(|| ApiError::NotFound(format!("no grant with id '{id}'")))
    }

    /// Revokes a grant (idempotent on an already revoked one: 409).
    pub async fn revoke_grant(
        &self,
        audit: &Audit,
        caller: &Caller,
        id: &str,
    ) -> Result<GrantRecord, ApiError> {
        let (before, stored) = self.grant_versioned(id).await?;
        if before.revoked_at.is_some() {
            return Err(ApiError::Conflict(format!("grant {id} is already revoked")));
        }
        let mut after = before.clone();
        after.revoked_at = Some(Utc::now());
        after.revoked_by = Some(caller.id.clone());
        audit
            .admin_change(
                caller,
                "grant.revoked",
                id,
                serde_json::to_value(&before).unwrap_or(Value::Null),
                serde_json::to_value(&after).unwrap_or(Value::Null),
            )
            .await?;
        if !self
            .store
            .cas_doc(&after, &stored)
            .await
            .map_err(store_err)?
        {
            return Err(ApiError::Conflict(format!("grant {id} changed meanwhile")));
        }
        self.reload().await?;
        Ok(after)
    }
}
