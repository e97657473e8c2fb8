//! Admin sessions from `POST /api/login` (LDAP simple bind): a random bearer token, kept only
//! as its SHA-256, valid for `ldap.session_ttl_s`. Sessions live in the store (collection
//! `sessions`), so a session opened on one instance works on every instance sharing it; every
//! use reads the store (the admin API is not a hot path), so an expired session is refused at
//! once everywhere, and a store that does not answer refuses (503).

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{Caller, CallerKind};
use crate::error::ApiError;
use crate::secret::{random_token, sha256_hex};
use crate::store::docs::{Collection, Document};
use crate::store::{Docs, Store};

pub const SESSION_PREFIX: &str = "pas-";

/// A session as stored: found by the SHA-256 of its token.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Session {
    /// SHA-256 of the token (hex).
    pub id: String,
    pub user: String,
    pub groups: Vec<String>,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

impl Document for Session {
    const COLLECTION: Collection = Collection::Sessions;
    fn id(&self) -> &str {
        &self.id
    }
}

impl Session {
    /// The caller a live session stands for: the user, as an administrator; a password bind
    /// is one factor.
    pub fn caller(&self) -> Caller {
        Caller {
            kind: CallerKind::User,
            id: self.user.clone(),
            principal_id: Some(self.user.clone()),
            groups: self.groups.clone(),
            roles: vec!["admin".into()],
            key_id: None,
            team: None,
            models: vec![],
            credential: None,
            mfa_verified: Some(false),
        }
    }
}

fn unavailable(e: impl std::fmt::Display) -> ApiError {
    ApiError::StoreUnavailable(e.to_string())
}

pub struct Sessions {
    store: Arc<dyn Store>,
}

impl Sessions {
    pub fn new(store: Arc<dyn Store>) -> Self {
        Sessions { store }
    }

    /// Opens a session for `user` with `groups`; returns its token. Expired sessions are
    /// removed on the way (logins are rare; the collection stays small).
    pub async fn open(
        &self,
        user: &str,
        groups: Vec<String>,
        ttl: Duration,
        now: DateTime<Utc>,
    ) -> Result<String, ApiError> {
        self.sweep(now).await;
        let token = random_token(SESSION_PREFIX);
        // `ldap.session_ttl_s` is at most a day.
        let ttl = chrono::Duration::seconds(ttl.as_secs().min(86_400) as i64);
        let session = Session {
            id: sha256_hex(&token),
            user: user.to_string(),
            groups,
            created_at: now,
            expires_at: now + ttl,
        };
        self.store.create_doc(&session).await.map_err(unavailable)?;
        Ok(token)
    }

    /// The caller of a live session; `None` for anything else (not a session token, unknown,
    /// expired).
    pub async fn get(&self, token: &str, now: DateTime<Utc>) -> Result<Option<Caller>, ApiError> {
        if !token.starts_with(SESSION_PREFIX) {
            return Ok(None);
        }
        let id = sha256_hex(token);
        let Some(session) = self
            .store
            .get_doc::<Session>(&id)
            .await
            .map_err(unavailable)?
        else {
            return Ok(None);
        };
        if session.expires_at <= now {
            if let Err(e) = self.store.delete_doc::<Session>(&id).await {
                tracing::warn!(error = %e, "cannot delete an expired session");
            }
            return Ok(None);
        }
        Ok(Some(session.caller()))
    }

    async fn sweep(&self, now: DateTime<Utc>) {
        let all = match self.store.list_docs::<Session>().await {
            Ok(all) => all,
            Err(e) => return tracing::warn!(error = %e, "cannot list sessions to expire them"),
        };
        for s in all.iter().filter(|s| s.expires_at <= now) {
            if let Err(e) = self.store.delete_doc::<Session>(&s.id).await {
                tracing::warn!(error = %e, "cannot delete an expired session");
            }
        }
    }
}

#[cfg(test)]
mod tests;
