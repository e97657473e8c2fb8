//! Agent credentials (AIDA, DESIGN §5): issue, store (SHA-256 of the bearer only), resolve with
//! a short cache (a revocation anywhere is effective everywhere within a second), enforce.
//! The pure pieces are `credential` (the document, scopes, fingerprint), `enforce` (the
//! ordered checks) and `jsonpath` (amounts and accounts in tool arguments).

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use moka::future::Cache;

use crate::error::ApiError;
use crate::secret::{random_token, sha256_hex, Secret};
use crate::store::{Records, Revocable, SecretKind, Store, StoreError};

pub mod credential;
pub mod enforce;
pub mod jsonpath;
pub mod requirement;
pub mod tools;

use credential::{Credential, NewCredential};
use enforce::{Action, Denial};

/// Bearer secrets of credentials start with this.
pub const CRED_PREFIX: &str = "ac-";
const CACHE_TTL: Duration = Duration::from_millis(500);

impl Revocable for Credential {
    const KIND: SecretKind = SecretKind::Credentials;
    fn id(&self) -> &str {
        &self.id
    }
    fn sha256(&self) -> &str {
        &self.cred_sha256
    }
    fn set_revoked(&mut self, at: DateTime<Utc>) {
        self.revoked_at = Some(at);
    }
}

pub struct Aida {
    store: Arc<dyn Store>,
    secret: Secret,
    cache: Cache<String, Arc<Credential>>,
}

fn store_err(e: StoreError) -> ApiError {
    match e {
        StoreError::Conflict(m) => ApiError::Conflict(m),
        other => ApiError::StoreUnavailable(other.to_string()),
    }
}

impl Aida {
    pub fn new(store: Arc<dyn Store>, secret: Secret) -> Self {
        let cache = Cache::builder()
            .max_capacity(100_000)
            .time_to_live(CACHE_TTL)
            .build();
        Aida {
            store,
            secret,
            cache,
        }
    }

    fn secret(&self) -> &[u8] {
        self.secret.expose().as_bytes()
    }

    /// Issues a credential; the bearer `cred_id` is returned once and only its hash is kept.
    pub async fn issue(&self, req: NewCredential) -> Result<(Credential, String), ApiError> {
        let bearer = random_token(CRED_PREFIX);
        let id = uuid::Uuid::now_v7().to_string();
        let cred = credential::issue(req, Utc::now(), self.secret(), id, &bearer).map_err(|e| {
            ApiError::InvalidValue {
                field: e.field().into(),
                reason: e.to_string(),
            }
        })?;
        self.store.insert_record(&cred).await.map_err(store_err)?;
        Ok((cred, bearer))
    }

    pub async fn get(&self, id: &str) -> Result<Credential, ApiError> {
        self.store
            .record_by_id::<Credential>(id)
            .await
            .map_err(store_err)?
            .ok_or_else(|| ApiError::NotFound(format!("no credential with id '{id}'")))
    }

    pub async fn list(&self) -> Result<Vec<Credential>, ApiError> {
        self.store
            .list_records::<Credential>()
            .await
            .map_err(store_err)
    }

    pub async fn revoke(&self, id: &str) -> Result<Credential, ApiError> {
        let cred = self
            .store
            .revoke_record::<Credential>(id, Utc::now())
            .await
            .map_err(store_err)?
            .ok_or_else(|| ApiError::NotFound(format!("no credential with id '{id}'")))?;
        self.cache.invalidate(&cred.cred_sha256).await;
        Ok(cred)
    }

    /// The credential a bearer `cred_id` names. Unknown: 401. Store down: 503 (fail closed).
    /// Revocation and expiry are checked by `check`, in the enforcer's order.
    pub async fn resolve(&self, bearer: &str) -> Result<Arc<Credential>, ApiError> {
        let sha = sha256_hex(bearer);
        let store = self.store.clone();
        let found = self
            .cache
            .try_get_with(sha.clone(), async move {
                match store.record_by_hash::<Credential>(&sha).await {
                    Ok(Some(c)) => Ok(Arc::new(c)),
                    Ok(None) => Err(None),
                    Err(e) => Err(Some(e)),
                }
            })
            .await;
        found.map_err(|e| match e.as_ref() {
            None => ApiError::InvalidCredential,
            Some(err) => ApiError::StoreUnavailable(err.to_string()),
        })
    }

    /// Runs the enforcer now: revocation, expiry, fingerprint, scope, amount, account.
    pub fn check(&self, cred: &Credential, action: &Action<'_>) -> Result<(), Denial> {
        enforce::enforce(cred, self.secret(), action, Utc::now())
    }
}

impl From<Denial> for ApiError {
    fn from(d: Denial) -> Self {
        ApiError::CredentialDenied {
            code: d.code(),
            message: d.to_string(),
        }
    }
}
