//! Documents in one redb table keyed `{collection}/{id}`; a collection is a key range.

use async_trait::async_trait;
use redb::{ReadableTable, TableDefinition};

use super::{unavailable, EmbeddedStore};
use crate::store::docs::{Collection, DocStore, PutMode};
use crate::store::StoreError;

pub(super) const DOCS: TableDefinition<&str, &[u8]> = TableDefinition::new("docs");

fn key(coll: Collection, id: &str) -> String {
    format!("{}/{id}", coll.name())
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
            let tx = db.begin_write().map_err(unavailable)?;
            {
                let mut t = tx.open_table(DOCS).map_err(unavailable)?;
                let exists = t.get(key.as_str()).map_err(unavailable)?.is_some();
                let write = match mode {
                    PutMode::Create => !exists,
                    PutMode::Replace => exists,
                };
                if !write {
                    return Ok(false);
                }
                t.insert(key.as_str(), json.as_slice())
                    .map_err(unavailable)?;
            }
            tx.commit().map_err(unavailable)?;
            Ok(true)
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
            tx.commit().map_err(unavailable)?;
            Ok(removed)
        })
        .await
    }
}
