//! Reports kept in the document store (so every instance sees them): each generated report by
//! its id, and per (type, period) which report answers it until when (24 h after generation).
//! Reports stay retrievable by id after their cache entry lapses: they are examination evidence.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::store::{Collection, Docs, Document, Store, StoreError};

/// How long a report answers the same (type, period).
pub const TTL: Duration = Duration::hours(24);

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredReport {
    pub id: String,
    pub cache_key: String,
    pub generated_at: DateTime<Utc>,
    /// SHA-256 of the report's JSON as stored, also on its audit record.
    pub sha256: String,
    pub report: Value,
}

impl Document for StoredReport {
    const COLLECTION: Collection = Collection::Reports;
    fn id(&self) -> &str {
        &self.id
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CacheEntry {
    /// SHA-256 of the cache key (type and period).
    pub id: String,
    pub cache_key: String,
    pub report_id: String,
    pub expires_at: DateTime<Utc>,
}

impl Document for CacheEntry {
    const COLLECTION: Collection = Collection::ReportCache;
    fn id(&self) -> &str {
        &self.id
    }
}

fn entry_id(cache_key: &str) -> String {
    hex::encode(Sha256::digest(cache_key.as_bytes()))
}

/// SHA-256 of a report's JSON bytes.
pub fn digest(report: &Value) -> String {
    hex::encode(Sha256::digest(report.to_string().as_bytes()))
}

/// The report answering `cache_key` at `now`, if one was generated less than `TTL` ago.
pub async fn lookup(
    store: &dyn Store,
    cache_key: &str,
    now: DateTime<Utc>,
) -> Result<Option<StoredReport>, StoreError> {
    let Some(e) = store.get_doc::<CacheEntry>(&entry_id(cache_key)).await? else {
        return Ok(None);
    };
    if e.cache_key != cache_key || now >= e.expires_at {
        return Ok(None);
    }
    store.get_doc::<StoredReport>(&e.report_id).await
}

/// Stores a report and makes it the answer for its key for `TTL`.
pub async fn save(store: &dyn Store, r: &StoredReport) -> Result<(), StoreError> {
    store.create_doc(r).await?;
    let entry = CacheEntry {
        id: entry_id(&r.cache_key),
        cache_key: r.cache_key.clone(),
        report_id: r.id.clone(),
        expires_at: r.generated_at + TTL,
    };
    if !store.replace_doc(&entry).await? {
        match store.create_doc(&entry).await {
            // Another instance generated the same report at the same time: either answers.
            Ok(()) | Err(StoreError::Conflict(_)) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

pub async fn get(store: &dyn Store, id: &str) -> Result<Option<StoredReport>, StoreError> {
    store.get_doc(id).await
}
