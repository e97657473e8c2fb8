//! Documents in one Redis hash per collection, field = id; every write also moves the
//! collection's generation counter, in the same script.

use async_trait::async_trait;
use redis::AsyncCommands;

use super::{unavailable, RedisStore};
use crate::store::docs::{Collection, DocStore, PutMode};
use crate::store::redis_keys as k;
use crate::store::StoreError;

/// Create only a missing field.
const CREATE: &str = r#"
if redis.call('HSETNX', KEYS[1], ARGV[1], ARGV[2]) == 0 then return 0 end
redis.call('INCR', KEYS[2])
return 1
"#;

/// Replace only an existing field: `HEXISTS` then `HSET`, atomically.
const REPLACE: &str = r#"
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('INCR', KEYS[2])
return 1
"#;

/// Replace a field only if it holds exactly the expected bytes.
const CAS: &str = r#"
if redis.call('HGET', KEYS[1], ARGV[1]) ~= ARGV[2] then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
redis.call('INCR', KEYS[2])
return 1
"#;

const DELETE: &str = r#"
if redis.call('HDEL', KEYS[1], ARGV[1]) == 0 then return 0 end
redis.call('INCR', KEYS[2])
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
        let script = match mode {
            PutMode::Create => CREATE,
            PutMode::Replace => REPLACE,
        };
        let written: bool = redis::Script::new(script)
            .key(k::docs(coll.name()))
            .key(k::docs_generation(coll.name()))
            .arg(id)
            .arg(json)
            .invoke_async(&mut self.conn.clone())
            .await
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
        let deleted: bool = redis::Script::new(DELETE)
            .key(k::docs(coll.name()))
            .key(k::docs_generation(coll.name()))
            .arg(id)
            .invoke_async(&mut self.conn.clone())
            .await
            .map_err(unavailable)?;
        Ok(deleted)
    }

    async fn doc_cas(
        &self,
        coll: Collection,
        id: &str,
        expected: &[u8],
        json: Vec<u8>,
    ) -> Result<bool, StoreError> {
        let written: bool = redis::Script::new(CAS)
            .key(k::docs(coll.name()))
            .key(k::docs_generation(coll.name()))
            .arg(id)
            .arg(expected)
            .arg(json)
            .invoke_async(&mut self.conn.clone())
            .await
            .map_err(unavailable)?;
        Ok(written)
    }

    async fn doc_generation(&self, coll: Collection) -> Result<u64, StoreError> {
        let v: Option<u64> = self
            .conn
            .clone()
            .get(k::docs_generation(coll.name()))
            .await
            .map_err(unavailable)?;
        Ok(v.unwrap_or(0))
    }
}
