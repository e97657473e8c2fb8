//! Store traits, one per concern, and the two backends: `embedded` (redb, one instance) and
//! `redis` (shared by many instances). `gateway/tests/store_conformance.rs` runs one suite
//! against both.

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::config::StoreConfig;

pub mod embedded;
pub mod redis;
mod redis_keys;

#[derive(Debug, Clone, thiserror::Error)]
pub enum StoreError {
    #[error("store unavailable: {0}")]
    Unavailable(String),
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    #[error("conflict: {0}")]
    Conflict(String),
}

/// A virtual key as stored: never the key itself, only its SHA-256.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct KeyRecord {
    pub id: String,
    pub key_sha256: String,
    /// The first characters of the key, to tell keys apart in listings.
    pub prefix: String,
    pub owner: String,
    pub team: Option<String>,
    pub tags: Vec<String>,
    /// Model aliases this key may use (`*` wildcards per segment); empty means all.
    pub models: Vec<String>,
    pub created_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

#[async_trait]
pub trait KeyStore: Send + Sync {
    /// Inserts a new key; `Conflict` if the id or hash exists.
    async fn insert_key(&self, rec: &KeyRecord) -> Result<(), StoreError>;
    async fn key_by_hash(&self, sha256: &str) -> Result<Option<KeyRecord>, StoreError>;
    async fn key_by_id(&self, id: &str) -> Result<Option<KeyRecord>, StoreError>;
    /// All keys, oldest first.
    async fn list_keys(&self) -> Result<Vec<KeyRecord>, StoreError>;
    /// Sets `revoked_at` (kept if already revoked); `None` if there is no such key.
    async fn revoke_key(
        &self,
        id: &str,
        at: DateTime<Utc>,
    ) -> Result<Option<KeyRecord>, StoreError>;
}

/// The chain head: the last record's `seq` and `hash`; `(0, GENESIS)` for an empty log.
pub type Head = (u64, String);

/// The audit log's storage. Records are opaque JSON here; `audit/` chains and checks them.
#[async_trait]
pub trait AuditStore: Send + Sync {
    async fn audit_head(&self) -> Result<Head, StoreError>;
    /// Appends `records` (`(seq, json)`, consecutive, chained from `expected`) and moves the
    /// head to `new_head`, all or nothing, only if the head is still `expected`. Returns
    /// `Ok(None)` when appended, `Ok(Some(current))` when another writer moved the head first.
    async fn audit_append(
        &self,
        expected: &Head,
        records: &[(u64, Vec<u8>)],
        new_head: &Head,
    ) -> Result<Option<Head>, StoreError>;
    /// Up to `limit` records with `seq > after`, in order.
    async fn audit_range(
        &self,
        after: u64,
        limit: usize,
    ) -> Result<Vec<(u64, Vec<u8>)>, StoreError>;
    /// Stores a signed checkpoint note for `seq` (replacing one at the same seq).
    async fn checkpoint_put(&self, seq: u64, note: &str) -> Result<(), StoreError>;
    /// All checkpoint notes, by seq ascending.
    async fn checkpoints(&self) -> Result<Vec<(u64, String)>, StoreError>;
    /// Deletes every record with `seq <= through`; returns how many were deleted.
    async fn audit_trim(&self, through: u64) -> Result<u64, StoreError>;
}

#[async_trait]
pub trait Health: Send + Sync {
    /// Succeeds only when the store answers reads and writes now.
    async fn ping(&self) -> Result<(), StoreError>;
    fn backend(&self) -> &'static str;
}

/// Everything the gateway needs from a store.
pub trait Store: KeyStore + AuditStore + Health {}
impl<T: KeyStore + AuditStore + Health> Store for T {}

pub async fn open(cfg: &StoreConfig) -> Result<Arc<dyn Store>, StoreError> {
    Ok(match cfg {
        StoreConfig::Embedded { path } => Arc::new(embedded::EmbeddedStore::open(path)?),
        StoreConfig::Redis { url } => Arc::new(redis::RedisStore::connect(url).await?),
    })
}

fn to_json<T: Serialize>(v: &T) -> Result<Vec<u8>, StoreError> {
    serde_json::to_vec(v).map_err(|e| StoreError::Corrupt(e.to_string()))
}

fn from_json<T: for<'de> Deserialize<'de>>(b: &[u8]) -> Result<T, StoreError> {
    serde_json::from_slice(b).map_err(|e| StoreError::Corrupt(e.to_string()))
}
