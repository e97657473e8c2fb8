//! The embedded backend: one redb file, for a single instance and the no-config start.
//! redb calls block, so each runs on the blocking pool.

use std::path::Path;
use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use redb::{Database, ReadableTable, TableDefinition};

use super::{format_time, parse_time, Health, SecretIndex, SecretKind, StoreError, Stored};

/// The three tables of a secret-indexed kind: records by hash, id -> hash, hash -> revoked_at.
struct SecretTables {
    records: TableDefinition<'static, &'static str, &'static [u8]>,
    ids: TableDefinition<'static, &'static str, &'static str>,
    revoked: TableDefinition<'static, &'static str, &'static str>,
}

fn tables(kind: SecretKind) -> SecretTables {
    match kind {
        SecretKind::Keys => SecretTables {
            records: TableDefinition::new("keys"),
            ids: TableDefinition::new("key_ids"),
            revoked: TableDefinition::new("keys_revoked"),
        },
        SecretKind::Credentials => SecretTables {
            records: TableDefinition::new("credentials"),
            ids: TableDefinition::new("credential_ids"),
            revoked: TableDefinition::new("credentials_revoked"),
        },
    }
}
const AUDIT: TableDefinition<u64, &[u8]> = TableDefinition::new("audit");
const CHECKPOINTS: TableDefinition<u64, &str> = TableDefinition::new("audit_checkpoints");
const META: TableDefinition<&str, &str> = TableDefinition::new("meta");
const AUDIT_HEAD: &str = "audit_head";
const CACHE_BYTES: usize = 16 << 20;

mod counters;
mod docs;

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
        // A bounded page cache: redb's default would let RSS grow by up to a gigabyte under load.
        let db = redb::Builder::new()
            .set_cache_size(CACHE_BYTES)
            .create(path)
            .map_err(|e| unavailable(format!("{}: {e}", path.display())))?;
        let tx = db.begin_write().map_err(unavailable)?;
        {
            for kind in [SecretKind::Keys, SecretKind::Credentials] {
                let t = tables(kind);
                tx.open_table(t.records).map_err(unavailable)?;
                tx.open_table(t.ids).map_err(unavailable)?;
                tx.open_table(t.revoked).map_err(unavailable)?;
            }
            tx.open_table(AUDIT).map_err(unavailable)?;
            tx.open_table(CHECKPOINTS).map_err(unavailable)?;
            tx.open_table(META).map_err(unavailable)?;
            tx.open_table(docs::DOCS).map_err(unavailable)?;
            tx.open_table(docs::GENERATIONS).map_err(unavailable)?;
            tx.open_table(counters::LIMITS).map_err(unavailable)?;
            tx.open_table(counters::INVENTORY).map_err(unavailable)?;
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

fn read_by_hash(db: &Database, kind: SecretKind, sha: &str) -> Result<Option<Stored>, StoreError> {
    let t = tables(kind);
    let tx = db.begin_read().map_err(unavailable)?;
    let records = tx.open_table(t.records).map_err(unavailable)?;
    let Some(json) = records
        .get(sha)
        .map_err(unavailable)?
        .map(|v| v.value().to_vec())
    else {
        return Ok(None);
    };
    let revoked = tx.open_table(t.revoked).map_err(unavailable)?;
    let revoked_at = revoked
        .get(sha)
        .map_err(unavailable)?
        .map(|v| parse_time(v.value()))
        .transpose()?;
    Ok(Some(Stored { json, revoked_at }))
}

fn hash_of_id(db: &Database, kind: SecretKind, id: &str) -> Result<Option<String>, StoreError> {
    let tx = db.begin_read().map_err(unavailable)?;
    let t = tx.open_table(tables(kind).ids).map_err(unavailable)?;
    Ok(t.get(id)
        .map_err(unavailable)?
        .map(|v| v.value().to_string()))
}

#[async_trait]
impl SecretIndex for EmbeddedStore {
    async fn insert_secret(
        &self,
        kind: SecretKind,
        id: &str,
        sha256: &str,
        json: Vec<u8>,
    ) -> Result<(), StoreError> {
        let (id, sha) = (id.to_string(), sha256.to_string());
        self.run(move |db| {
            let t = tables(kind);
            let tx = db.begin_write().map_err(unavailable)?;
            {
                let mut ids = tx.open_table(t.ids).map_err(unavailable)?;
                let mut records = tx.open_table(t.records).map_err(unavailable)?;
                if ids.get(id.as_str()).map_err(unavailable)?.is_some()
                    || records.get(sha.as_str()).map_err(unavailable)?.is_some()
                {
                    return Err(StoreError::Conflict(format!("{} {id} exists", kind.ns())));
                }
                ids.insert(id.as_str(), sha.as_str()).map_err(unavailable)?;
                records
                    .insert(sha.as_str(), json.as_slice())
                    .map_err(unavailable)?;
            }
            tx.commit().map_err(unavailable)
        })
        .await
    }

    async fn secret_by_hash(
        &self,
        kind: SecretKind,
        sha256: &str,
    ) -> Result<Option<Stored>, StoreError> {
        let sha = sha256.to_string();
        self.run(move |db| read_by_hash(db, kind, &sha)).await
    }

    async fn secret_by_id(&self, kind: SecretKind, id: &str) -> Result<Option<Stored>, StoreError> {
        let id = id.to_string();
        self.run(move |db| match hash_of_id(db, kind, &id)? {
            Some(sha) => read_by_hash(db, kind, &sha),
            None => Ok(None),
        })
        .await
    }

    async fn list_secrets(&self, kind: SecretKind) -> Result<Vec<Stored>, StoreError> {
        self.run(move |db| {
            let t = tables(kind);
            let tx = db.begin_read().map_err(unavailable)?;
            let records = tx.open_table(t.records).map_err(unavailable)?;
            let revoked = tx.open_table(t.revoked).map_err(unavailable)?;
            let mut out = Vec::new();
            for entry in records.iter().map_err(unavailable)? {
                let (sha, json) = entry.map_err(unavailable)?;
                let revoked_at = revoked
                    .get(sha.value())
                    .map_err(unavailable)?
                    .map(|v| parse_time(v.value()))
                    .transpose()?;
                out.push(Stored {
                    json: json.value().to_vec(),
                    revoked_at,
                });
            }
            Ok(out)
        })
        .await
    }

    async fn revoke_secret(
        &self,
        kind: SecretKind,
        id: &str,
        at: DateTime<Utc>,
    ) -> Result<Option<Stored>, StoreError> {
        let id = id.to_string();
        self.run(move |db| {
            let t = tables(kind);
            let tx = db.begin_write().map_err(unavailable)?;
            {
                let ids = tx.open_table(t.ids).map_err(unavailable)?;
                let Some(sha) = ids
                    .get(id.as_str())
                    .map_err(unavailable)?
                    .map(|v| v.value().to_string())
                else {
                    return Ok(None);
                };
                let mut revoked = tx.open_table(t.revoked).map_err(unavailable)?;
                if revoked.get(sha.as_str()).map_err(unavailable)?.is_none() {
                    revoked
                        .insert(sha.as_str(), format_time(at).as_str())
                        .map_err(unavailable)?;
                }
            }
            tx.commit().map_err(unavailable)?;
            match hash_of_id(db, kind, &id)? {
                Some(sha) => read_by_hash(db, kind, &sha),
                None => Err(StoreError::Corrupt(format!(
                    "{} id {id} vanished",
                    kind.ns()
                ))),
            }
        })
        .await
    }
}

#[async_trait]
impl Health for EmbeddedStore {
    async fn ping(&self) -> Result<(), StoreError> {
        self.run(|db| {
            let tx = db.begin_read().map_err(unavailable)?;
            tx.open_table(META).map_err(unavailable)?;
            Ok(())
        })
        .await
    }

    fn backend(&self) -> &'static str {
        "embedded"
    }
}

fn read_head(
    meta: &impl ReadableTable<&'static str, &'static str>,
) -> Result<super::Head, StoreError> {
    match meta.get(AUDIT_HEAD).map_err(unavailable)? {
        None => Ok((0, crate::audit::record::GENESIS.to_string())),
        Some(v) => {
            let text = v.value().to_string();
            let (seq, hash) = text
                .split_once(' ')
                .ok_or_else(|| StoreError::Corrupt(format!("audit head '{text}'")))?;
            let seq = seq
                .parse()
                .map_err(|_| StoreError::Corrupt(format!("audit head '{text}'")))?;
            Ok((seq, hash.to_string()))
        }
    }
}

#[async_trait]
impl super::AuditStore for EmbeddedStore {
    async fn audit_head(&self) -> Result<super::Head, StoreError> {
        self.run(|db| {
            let tx = db.begin_read().map_err(unavailable)?;
            read_head(&tx.open_table(META).map_err(unavailable)?)
        })
        .await
    }

    async fn audit_append(
        &self,
        expected: &super::Head,
        records: &[(u64, Vec<u8>)],
        new_head: &super::Head,
    ) -> Result<Option<super::Head>, StoreError> {
        let (expected, records, new_head) = (expected.clone(), records.to_vec(), new_head.clone());
        self.run(move |db| {
            let tx = db.begin_write().map_err(unavailable)?;
            {
                let mut meta = tx.open_table(META).map_err(unavailable)?;
                let cur = read_head(&meta)?;
                if cur != expected {
                    return Ok(Some(cur));
                }
                let mut audit = tx.open_table(AUDIT).map_err(unavailable)?;
                for (seq, json) in &records {
                    audit.insert(*seq, json.as_slice()).map_err(unavailable)?;
                }
                let head = format!("{} {}", new_head.0, new_head.1);
                meta.insert(AUDIT_HEAD, head.as_str())
                    .map_err(unavailable)?;
            }
            tx.commit().map_err(unavailable)?;
            Ok(None)
        })
        .await
    }

    async fn audit_range(
        &self,
        after: u64,
        limit: usize,
    ) -> Result<Vec<(u64, Vec<u8>)>, StoreError> {
        self.run(move |db| {
            let tx = db.begin_read().map_err(unavailable)?;
            let t = tx.open_table(AUDIT).map_err(unavailable)?;
            let mut out = Vec::new();
            for entry in t
                .range(after.saturating_add(1)..)
                .map_err(unavailable)?
                .take(limit)
            {
                let (k, v) = entry.map_err(unavailable)?;
                out.push((k.value(), v.value().to_vec()));
            }
            Ok(out)
        })
        .await
    }

    async fn checkpoint_put(&self, seq: u64, note: &str) -> Result<(), StoreError> {
        let note = note.to_string();
        self.run(move |db| {
            let tx = db.begin_write().map_err(unavailable)?;
            tx.open_table(CHECKPOINTS)
                .map_err(unavailable)?
                .insert(seq, note.as_str())
                .map_err(unavailable)?;
            tx.commit().map_err(unavailable)
        })
        .await
    }

    async fn checkpoints(&self) -> Result<Vec<(u64, String)>, StoreError> {
        self.run(|db| {
            let tx = db.begin_read().map_err(unavailable)?;
            let t = tx.open_table(CHECKPOINTS).map_err(unavailable)?;
            let mut out = Vec::new();
            for entry in t.iter().map_err(unavailable)? {
                let (k, v) = entry.map_err(unavailable)?;
                out.push((k.value(), v.value().to_string()));
            }
            Ok(out)
        })
        .await
    }

    async fn audit_trim(&self, through: u64) -> Result<u64, StoreError> {
        self.run(move |db| {
            let tx = db.begin_write().map_err(unavailable)?;
            let n = {
                let mut t = tx.open_table(AUDIT).map_err(unavailable)?;
                let keys: Vec<u64> = t
                    .range(..=through)
                    .map_err(unavailable)?
                    .map(|e| e.map(|(k, _)| k.value()))
                    .collect::<Result<_, _>>()
                    .map_err(unavailable)?;
                for k in &keys {
                    t.remove(*k).map_err(unavailable)?;
                }
                keys.len() as u64
            };
            tx.commit().map_err(unavailable)?;
            Ok(n)
        })
        .await
    }
}
