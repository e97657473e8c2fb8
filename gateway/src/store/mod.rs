//! Store traits, one per concern, and the two backends: `embedded` (redb, one instance) and
//! `redis` (shared by many instances). `gateway/tests/store_conformance.rs` runs one suite
//! against both.

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::config::StoreConfig;
pub use counters::Counters;
pub use docs::{Collection, DocStore, Docs, Document, PutMode};

pub mod counters;
pub mod docs;
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

/// Records indexed by id and by the SHA-256 of a bearer secret, revoked at most once:
/// virtual keys and agent credentials. The revocation time is kept beside the record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecretKind {
    Keys,
    Credentials,
}

impl SecretKind {
    pub fn ns(self) -> &'static str {
        match self {
            SecretKind::Keys => "key",
            SecretKind::Credentials => "credential",
        }
    }
}

/// A stored record's JSON and when it was revoked.
#[derive(Debug, Clone)]
pub struct Stored {
    pub json: Vec<u8>,
    pub revoked_at: Option<DateTime<Utc>>,
}

#[async_trait]
pub trait SecretIndex: Send + Sync {
    /// Inserts a record; `Conflict` if the id or the hash exists (nothing is written then).
    async fn insert_secret(
        &self,
        kind: SecretKind,
        id: &str,
        sha256: &str,
        json: Vec<u8>,
    ) -> Result<(), StoreError>;
    async fn secret_by_hash(
        &self,
        kind: SecretKind,
        sha256: &str,
    ) -> Result<Option<Stored>, StoreError>;
    async fn secret_by_id(&self, kind: SecretKind, id: &str) -> Result<Option<Stored>, StoreError>;
    /// Every record of the kind, in no particular order.
    async fn list_secrets(&self, kind: SecretKind) -> Result<Vec<Stored>, StoreError>;
    /// Sets the revocation time unless already set; `None` if there is no such id.
    async fn revoke_secret(
        &self,
        kind: SecretKind,
        id: &str,
        at: DateTime<Utc>,
    ) -> Result<Option<Stored>, StoreError>;
}

/// A typed record kept in a `SecretIndex`.
pub trait Revocable: Serialize + for<'de> Deserialize<'de> + Send + Sync {
    const KIND: SecretKind;
    fn id(&self) -> &str;
    fn sha256(&self) -> &str;
    fn set_revoked(&mut self, at: DateTime<Utc>);
}

impl Revocable for KeyRecord {
    const KIND: SecretKind = SecretKind::Keys;
    fn id(&self) -> &str {
        &self.id
    }
    fn sha256(&self) -> &str {
        &self.key_sha256
    }
    fn set_revoked(&mut self, at: DateTime<Utc>) {
        self.revoked_at = Some(at);
    }
}

fn decode<T: Revocable>(s: Stored) -> Result<T, StoreError> {
    let mut rec: T = from_json(&s.json)?;
    if let Some(at) = s.revoked_at {
        rec.set_revoked(at);
    }
    Ok(rec)
}

/// Typed access to any `SecretIndex`.
#[async_trait]
pub trait Records {
    async fn insert_record<T: Revocable>(&self, rec: &T) -> Result<(), StoreError>;
    async fn record_by_hash<T: Revocable>(&self, sha256: &str) -> Result<Option<T>, StoreError>;
    async fn record_by_id<T: Revocable>(&self, id: &str) -> Result<Option<T>, StoreError>;
    /// All records of the type, by id (uuid v7: oldest first).
    async fn list_records<T: Revocable>(&self) -> Result<Vec<T>, StoreError>;
    async fn revoke_record<T: Revocable>(
        &self,
        id: &str,
        at: DateTime<Utc>,
    ) -> Result<Option<T>, StoreError>;
}

#[async_trait]
impl<S: SecretIndex + ?Sized> Records for S {
    async fn insert_record<T: Revocable>(&self, rec: &T) -> Result<(), StoreError> {
        self.insert_secret(T::KIND, rec.id(), rec.sha256(), to_json(rec)?)
            .await
    }
    async fn record_by_hash<T: Revocable>(&self, sha256: &str) -> Result<Option<T>, StoreError> {
        self.secret_by_hash(T::KIND, sha256)
            .await?
            .map(decode)
            .transpose()
    }
    async fn record_by_id<T: Revocable>(&self, id: &str) -> Result<Option<T>, StoreError> {
        self.secret_by_id(T::KIND, id)
            .await?
            .map(decode)
            .transpose()
    }
    async fn list_records<T: Revocable>(&self) -> Result<Vec<T>, StoreError> {
        let mut out = self
            .list_secrets(T::KIND)
            .await?
            .into_iter()
            .map(decode)
            .collect::<Result<Vec<T>, _>>()?;
        out.sort_by(|a, b| a.id().cmp(b.id()));
        Ok(out)
    }
    async fn revoke_record<T: Revocable>(
        &self,
        id: &str,
        at: DateTime<Utc>,
    ) -> Result<Option<T>, StoreError> {
        self.revoke_secret(T::KIND, id, at)
            .await?
            .map(decode)
            .transpose()
    }
}

fn parse_time(ts: &str) -> Result<DateTime<Utc>, StoreError> {
    DateTime::parse_from_rfc3339(ts)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| StoreError::Corrupt(format!("revoked_at '{ts}': {e}")))
}

fn format_time(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
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
pub trait Store: SecretIndex + AuditStore + DocStore + Counters + Health {}
impl<T: SecretIndex + AuditStore + DocStore + Counters + Health> Store for T {}

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
