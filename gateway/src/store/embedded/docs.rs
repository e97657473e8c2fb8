//! Documents in one redb table keyed `{collection}/{id}`; a collection is a key range. Every
//! write moves the collection's generation in the same transaction.

use async_trait::async_trait;
use redb::{ReadableTable, TableDefinition, WriteTransaction};

use super::{unavailable, EmbeddedStore};
use crate::store::docs::{Collection, DocStore, PutMode};
use crate::store::StoreError;

pub(super) const DOCS: TableDefinition<&str, &[u8]> = TableDefinition::new("docs");
pub(super) const GENERATIONS: TableDefinition<&str, u64> = TableDefinition::new("doc_generations");

fn key(coll: Collection, id: &str) -> String {
    format!("{}/{id}", coll.name())
}

fn bump(tx: &WriteTransaction, coll: Collection) -> Result<(), StoreError> {
    let mut t = tx.open_table(GENERATIONS).map_err(unavailable)?;
    let current = t
        .get(coll.name())
        .map_err(unavailable)?
        .map_or(0, |v| v.value());
    t.insert(coll.name(), current + 1).map_err(unavailable)?;
    Ok(())
}

/// Writes `json` at `key` when `decide(current)` says so, bumping the generation; all in one
/// write transaction.
fn write_if(
    db: &redb::Database,
    coll: Collection,
    key: &str,
    json: &[u8],
    decide: impl FnOnce(Option<&[u8]>) -> bool,
) -> Result<bool, StoreError> {
    let tx = db.begin_write().map_err(unavailable)?;
    {
        let mut t = tx.open_table(DOCS).map_err(unavailable)?;
        let write = {
            let current = t.get(key).map_err(unavailable)?;
            decide(current.as_ref().map(|v| v.value()))
        };
        if !write {
            return Ok(false);
        }
        t.insert(key, json).map_err(unavailable)?;
    }
    bump(&tx, coll)?;
    tx.commit().map_err(unavailable)?;
    Ok(true)
}

#[async_trait]
impl DocStore for EmbeddedStore {
    async fn doc_put(
        &self,
        coll: Collection,
        id: &str,
        json: Vec<u8>,
        mode: PutMode,
    ) -> Result<bool, StoreError> {
        let key = key(coll, id);
        self.run(move |db| {
            write_if(db, coll, &key, &json, |current| match mode {
                PutMode::Create => current.is_none(),
                PutMode::Replace => current.is_some(),
            })
        })
        .await
    }

    async fn doc_get(&self, coll: Collection, id: &str) -> Result<Option<Vec<u8>>, StoreError> {
        let key = key(coll, id);
        self.run(move |db| {
            let tx = db.begin_read().map_err(unavailable)?;
            let t = tx.open_table(DOCS).map_err(unavailable)?;
            Ok(t.get(key.as_str())
                .map_err(unavailable)?
                .map(|v| v.value().to_vec()))
        })
        .await
    }

    async fn doc_list(&self, coll: Collection) -> Result<Vec<Vec<u8>>, StoreError> {
        // `0` follows `/`: the range holds exactly the keys `{collection}/...`.
        let (from, to) = (format!("{}/", coll.name()), format!("{}0", coll.name()));
        self.run(move |db| {
            let tx = db.begin_read().map_err(unavailable)?;
            let t = tx.open_table(DOCS).map_err(unavailable)?;
            t.range(from.as_str()..to.as_str())
                .map_err(unavailable)?
                .map(|e| e.map(|(_, v)| v.value().to_vec()).map_err(unavailable))
                .collect()
        })
        .await
    }

    async fn doc_delete(&self, coll: Collection, id: &str) -> Result<bool, StoreError> {
        let key = key(coll, id);
        self.run(move |db| {
            let tx = db.begin_write().map_err(unavailable)?;
            let removed = {
                let mut t = tx.open_table(DOCS).map_err(unavailable)?;
                let removed = t.remove(key.as_str()).map_err(unavailable)?.is_some();
                removed
            };
            if removed {
                bump(&tx, coll)?;
            }
            tx.commit().map_err(unavailable)?;
            Ok(removed)
        })
        .await
    }

    async fn doc_cas(
        &self,
        coll: Collection,
        id: &str,
        expected: &[u8],
        json: Vec<u8>,
    ) -> Result<bool, StoreError> {
        let key = key(coll, id);
        let expected = expected.to_vec();
        self.run(move |db| {
            write_if(db, coll, &key, &json, |current| {
                current == Some(expected.as_slice())
            })
        })
        .await
    }

    async fn doc_generation(&self, coll: Collection) -> Result<u64, StoreError> {
        self.run(move |db| {
            let tx = db.begin_read().map_err(unavailable)?;
            let t = match tx.open_table(GENERATIONS) {
                Ok(t) => t,
                Err(redb::TableError::TableDoesNotExist(_)) => return Ok(0),
                Err(e) => return Err(unavailable(e)),
            };
            Ok(t.get(coll.name())
                .map_err(unavailable)?
                .map_or(0, |v| v.value()))
        })
        .await
    }
}
