//! Documents in one Redis hash per collection, field = id.

use async_trait::async_trait;
use redis::AsyncCommands;

use super::{unavailable, RedisStore};
use crate::store::docs::{Collection, DocStore, PutMode};
use crate::store::redis_keys as k;
use crate::store::StoreError;

/// Replace only an existing field: `HEXISTS` then `HSET`, atomically.
const REPLACE: &str = r#"
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
return 1
"#;

#[async_trait]
impl DocStore for RedisStore {
    async fn doc_put(
        &self,
        coll: Collection,
        id: &str,
        json: Vec<u8>,
        mode: PutMode,
    ) -> Result<bool, StoreError> {
        let mut conn = self.conn.clone();
        let key = k::docs(coll.name());
        let written: bool = match mode {
            PutMode::Create => conn.hset_nx(key, id, json).await,
            PutMode::Replace => {
                redis::Script::new(REPLACE)
                    .key(key)
                    .arg(id)
                    .arg(json)
                    .invoke_async(&mut conn)
                    .await
            }
        }
        .map_err(unavailable)?;
        Ok(written)
    }

    async fn doc_get(&self, coll: Collection, id: &str) -> Result<Option<Vec<u8>>, StoreError> {
        self.conn
            .clone()
            .hget(k::docs(coll.name()), id)
            .await
            .map_err(unavailable)
    }

    async fn doc_list(&self, coll: Collection) -> Result<Vec<Vec<u8>>, StoreError> {
        let mut all: Vec<(String, Vec<u8>)> = self
            .conn
            .clone()
            .hgetall(k::docs(coll.name()))
            .await
            .map_err(unavailable)?;
        all.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(all.into_iter().map(|(_, v)| v).collect())
    }

    async fn doc_delete(&self, coll: Collection, id: &str) -> Result<bool, StoreError> {
        let n: i64 = self
            .conn
            .clone()
            .hdel(k::docs(coll.name()), id)
            .await
            .map_err(unavailable)?;
        Ok(n > 0)
    }
}
