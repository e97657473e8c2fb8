//! Virtual keys: creation, lookup by SHA-256 with a short cache, expiry and revocation.
//!
//! The cache holds a record for at most `CACHE_TTL`, so a revocation made on any instance is
//! effective everywhere within that time; a revocation made here drops the entry at once.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use moka::future::Cache;

use super::{Caller, CallerKind};
use crate::error::ApiError;
use crate::secret::{random_token, sha256_hex};
use crate::store::{KeyRecord, Records, Store, StoreError};

pub const KEY_PREFIX: &str = "pk-";
const CACHE_TTL: Duration = Duration::from_millis(500);

pub struct KeyResolver {
    store: Arc<dyn Store>,
    cache: Cache<String, Arc<KeyRecord>>,
}

/// What an administrator asks for when creating a key.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewKey {
    pub owner: String,
    #[serde(default)]
    pub team: Option<String>,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub models: Vec<String>,
    #[serde(default)]
    pub expires_at: Option<DateTime<Utc>>,
}

impl KeyResolver {
    pub fn new(store: Arc<dyn Store>) -> Self {
        let cache = Cache::builder()
            .max_capacity(100_000)
            .time_to_live(CACHE_TTL)
            .build();
        KeyResolver { store, cache }
    }

    pub async fn resolve(&self, key: &str) -> Result<Caller, ApiError> {
        let sha = sha256_hex(key);
        let store = self.store.clone();
        let lookup = self
            .cache
            .try_get_with(sha.clone(), async move {
                match store.record_by_hash::<KeyRecord>(&sha).await {
                    Ok(Some(rec)) => Ok(Arc::new(rec)),
                    Ok(None) => Err(None),
                    Err(e) => Err(Some(e)),
                }
            })
            .await;
        let rec = match lookup {
            Ok(rec) => rec,
            Err(e) => {
                return Err(match e.as_ref() {
                    None => ApiError::InvalidApiKey,
                    Some(err) => ApiError::StoreUnavailable(err.to_string()),
                })
            }
        };
        let now = Utc::now();
        if rec.revoked_at.is_some() || rec.expires_at.is_some_and(|t| t <= now) {
            return Err(ApiError::InvalidApiKey);
        }
        Ok(Caller {
            kind: CallerKind::User,
            id: rec.owner.clone(),
            principal_id: Some(rec.owner.clone()),
            groups: vec![],
            roles: vec![],
            key_id: Some(rec.id.clone()),
            team: rec.team.clone(),
            models: rec.models.clone(),
            credential: None,
            mfa_verified: None,
        })
    }

    /// Creates a key: returns the record and the key itself, which is not kept anywhere.
    pub async fn create(&self, req: NewKey) -> Result<(KeyRecord, String), ApiError> {
        validate_new(&req)?;
        let key = random_token(KEY_PREFIX);
        let rec = record_for(&key, req);
        self.store.insert_record(&rec).await.map_err(store_err)?;
        Ok((rec, key))
    }

    /// Stores an existing key (the demo key kept in the data dir) if it is not stored yet.
    pub async fn ensure(&self, key: &str, req: NewKey) -> Result<KeyRecord, ApiError> {
        if let Some(rec) = self
            .store
            .record_by_hash::<KeyRecord>(&sha256_hex(key))
            .await
            .map_err(store_err)?
        {
            return Ok(rec);
        }
        let rec = record_for(key, req);
        self.store.insert_record(&rec).await.map_err(store_err)?;
        Ok(rec)
    }

    pub async fn revoke(&self, id: &str) -> Result<KeyRecord, ApiError> {
        let rec = self
            .store
            .revoke_record::<KeyRecord>(id, Utc::now())
            .await
            .map_err(store_err)?
            .ok_or_else(|| ApiError::NotFound(format!("no key with id '{id}'")))?;
        self.cache.invalidate(&rec.key_sha256).await;
        Ok(rec)
    }

    pub async fn get(&self, id: &str) -> Result<KeyRecord, ApiError> {
        self.store
            .record_by_id::<KeyRecord>(id)
            .await
            .map_err(store_err)?
            .ok_or_else(|| ApiError::NotFound(format!("no key with id '{id}'")))
    }

    pub async fn list(&self) -> Result<Vec<KeyRecord>, ApiError> {
        self.store
            .list_records::<KeyRecord>()
            .await
            .map_err(store_err)
    }
}

fn validate_new(req: &NewKey) -> Result<(), ApiError> {
    let bad = |field: &str, reason: &str| ApiError::InvalidValue {
        field: field.into(),
        reason: reason.into(),
    };
    if req.owner.trim().is_empty() || req.owner.len() > 256 {
        return Err(bad("owner", "must be 1 to 256 characters"));
    }
    if req
        .tags
        .iter()
        .chain(&req.models)
        .any(|t| t.is_empty() || t.len() > 256)
    {
        return Err(bad(
            "tags",
            "tags and models must be 1 to 256 characters each",
        ));
    }
    if req.expires_at.is_some_and(|t| t <= Utc::now()) {
        return Err(bad("expires_at", "is in the past"));
    }
    Ok(())
}

fn record_for(key: &str, req: NewKey) -> KeyRecord {
    KeyRecord {
        id: uuid::Uuid::now_v7().to_string(),
        key_sha256: sha256_hex(key),
        prefix: key.chars().take(KEY_PREFIX.len() + 6).collect(),
        owner: req.owner,
        team: req.team,
        tags: req.tags,
        models: req.models,
        created_at: Utc::now(),
        expires_at: req.expires_at,
        revoked_at: None,
    }
}

fn store_err(e: StoreError) -> ApiError {
    match e {
        StoreError::Conflict(m) => ApiError::InvalidValue {
            field: "id".into(),
            reason: m,
        },
        other => ApiError::StoreUnavailable(other.to_string()),
    }
}
