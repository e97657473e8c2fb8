//! The embedded backend: one redb file, for a single instance and the no-config start.
//! redb calls block, so each runs on the blocking pool.

use std::path::Path;
use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use redb::{Database, ReadableTable, TableDefinition};

use super::{from_json, to_json, Health, KeyRecord, KeyStore, StoreError};

const KEYS: TableDefinition<&str, &[u8]> = TableDefinition::new("keys");
const KEY_IDS: TableDefinition<&str, &str> = TableDefinition::new("key_ids");

pub struct EmbeddedStore {
    db: Arc<Database>,
}

fn unavailable(e: impl std::fmt::Display) -> StoreError {
    StoreError::Unavailable(e.to_string())
}

impl EmbeddedStore {
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)
                .map_err(|e| unavailable(format!("{}: {e}", dir.display())))?;
        }
        let db =
            Database::create(path).map_err(|e| unavailable(format!("{}: {e}", path.display())))?;
        let tx = db.begin_write().map_err(unavailable)?;
        {
            tx.open_table(KEYS).map_err(unavailable)?;
            tx.open_table(KEY_IDS).map_err(unavailable)?;
        }
        tx.commit().map_err(unavailable)?;
        Ok(EmbeddedStore { db: Arc::new(db) })
    }

    async fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Database) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        let db = self.db.clone();
        tokio::task::spawn_blocking(move || f(&db))
            .await
            .map_err(unavailable)?
    }
}

fn get_by_hash(db: &Database, sha: &str) -> Result<Option<KeyRecord>, StoreError> {
    let tx = db.begin_read().map_err(unavailable)?;
    let t = tx.open_table(KEYS).map_err(unavailable)?;
    match t.get(sha).map_err(unavailable)? {
        Some(v) => Ok(Some(from_json(v.value())?)),
        None => Ok(None),
    }
}

fn hash_of_id(db: &Database, id: &str) -> Result<Option<String>, StoreError> {
    let tx = db.begin_read().map_err(unavailable)?;
    let t = tx.open_table(KEY_IDS).map_err(unavailable)?;
    Ok(t.get(id)
        .map_err(unavailable)?
        .map(|v| v.value().to_string()))
}

#[async_trait]
impl KeyStore for EmbeddedStore {
    async fn insert_key(&self, rec: &KeyRecord) -> Result<(), StoreError> {
        let rec = rec.clone();
        self.run(move |db| {
            let json = to_json(&rec)?;
            let tx = db.begin_write().map_err(unavailable)?;
            {
                let mut ids = tx.open_table(KEY_IDS).map_err(unavailable)?;
                let mut keys = tx.open_table(KEYS).map_err(unavailable)?;
                if ids.get(rec.id.as_str()).map_err(unavailable)?.is_some()
                    || keys
                        .get(rec.key_sha256.as_str())
                        .map_err(unavailable)?
                        .is_some()
                {
                    return Err(StoreError::Conflict(format!("key {} exists", rec.id)));
                }
                ids.insert(rec.id.as_str(), rec.key_sha256.as_str())
                    .map_err(unavailable)?;
                keys.insert(rec.key_sha256.as_str(), json.as_slice())
                    .map_err(unavailable)?;
            }
            tx.commit().map_err(unavailable)
        })
        .await
    }

    async fn key_by_hash(&self, sha256: &str) -> Result<Option<KeyRecord>, StoreError> {
        let sha = sha256.to_string();
        self.run(move |db| get_by_hash(db, &sha)).await
    }

    async fn key_by_id(&self, id: &str) -> Result<Option<KeyRecord>, StoreError> {
        let id = id.to_string();
        self.run(move |db| match hash_of_id(db, &id)? {
            Some(sha) => get_by_hash(db, &sha),
            None => Ok(None),
        })
        .await
    }

    async fn list_keys(&self) -> Result<Vec<KeyRecord>, StoreError> {
        self.run(|db| {
            let tx = db.begin_read().map_err(unavailable)?;
            let t = tx.open_table(KEYS).map_err(unavailable)?;
            let mut out: Vec<KeyRecord> = Vec::new();
            for entry in t.iter().map_err(unavailable)? {
                let (_, v) = entry.map_err(unavailable)?;
                out.push(from_json(v.value())?);
            }
            out.sort_by(|a, b| a.id.cmp(&b.id));
            Ok(out)
        })
        .await
    }

    async fn revoke_key(
        &self,
        id: &str,
        at: DateTime<Utc>,
    ) -> Result<Option<KeyRecord>, StoreError> {
        let id = id.to_string();
        self.run(move |db| {
            let tx = db.begin_write().map_err(unavailable)?;
            let rec = {
                let ids = tx.open_table(KEY_IDS).map_err(unavailable)?;
                let Some(sha) = ids
                    .get(id.as_str())
                    .map_err(unavailable)?
                    .map(|v| v.value().to_string())
                else {
                    return Ok(None);
                };
                let mut keys = tx.open_table(KEYS).map_err(unavailable)?;
                let current = keys
                    .get(sha.as_str())
                    .map_err(unavailable)?
                    .map(|v| v.value().to_vec());
                let Some(bytes) = current else {
                    return Err(StoreError::Corrupt(format!("key id {id} has no record")));
                };
                let mut rec: KeyRecord = from_json(&bytes)?;
                rec.revoked_at.get_or_insert(at);
                keys.insert(sha.as_str(), to_json(&rec)?.as_slice())
                    .map_err(unavailable)?;
                rec
            };
            tx.commit().map_err(unavailable)?;
            Ok(Some(rec))
        })
        .await
    }
}

#[async_trait]
impl Health for EmbeddedStore {
    async fn ping(&self) -> Result<(), StoreError> {
        self.run(|db| {
            let tx = db.begin_read().map_err(unavailable)?;
            tx.open_table(KEYS).map_err(unavailable)?;
            Ok(())
        })
        .await
    }

    fn backend(&self) -> &'static str {
        "embedded"
    }
}
