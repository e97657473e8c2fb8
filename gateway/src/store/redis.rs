//! The Redis backend, shared by every gateway instance pointed at the same Redis.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::AsyncCommands;

use super::redis_keys as k;
use super::{format_time, parse_time, Health, SecretIndex, SecretKind, StoreError, Stored};

mod counters;
mod docs;

#[derive(Clone)]
pub struct RedisStore {
    conn: ConnectionManager,
    client: redis::Client,
    /// The audit writer's own connection (one writer task per instance, so never contended):
    /// a plain connection answers on the caller's task, one task hop less than the shared
    /// multiplexed connection on the latency every call pays. Dropped on any error and
    /// reopened by the next append.
    append_conn: Arc<tokio::sync::Mutex<Option<AppendConn>>>,
}

#[expect(
    deprecated,
    reason = "a plain connection owned by one task is what this path wants"
)]
type AppendConn = redis::aio::Connection;

fn unavailable(e: redis::RedisError) -> StoreError {
    StoreError::Unavailable(e.to_string())
}

/// Atomic revoke: `HSETNX` keeps the first revocation time. Returns [record, revoked_at] or nil.
const REVOKE: &str = r#"
local sha = redis.call('HGET', KEYS[1], ARGV[1])
if not sha then return false end
redis.call('HSETNX', KEYS[2], sha, ARGV[2])
return {redis.call('GET', ARGV[3] .. sha), redis.call('HGET', KEYS[2], sha)}
"#;

/// Atomic insert: fails if the id or the hash exists.
const INSERT: &str = r#"
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 1 or redis.call('EXISTS', KEYS[2]) == 1 then
  return 0
end
redis.call('SET', KEYS[2], ARGV[3])
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
return 1
"#;

impl RedisStore {
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        let client = redis::Client::open(url)
            .map_err(|e| StoreError::Unavailable(format!("bad redis url: {e}")))?;
        let cfg = ConnectionManagerConfig::new()
            .set_connection_timeout(Duration::from_millis(500))
            .set_response_timeout(Duration::from_secs(2))
            .set_number_of_retries(0)
            .set_max_delay(100);
        let conn = tokio::time::timeout(
            Duration::from_secs(5),
            ConnectionManager::new_with_config(client.clone(), cfg),
        )
        .await
        .map_err(|_| StoreError::Unavailable("timed out connecting to redis".into()))?
        .map_err(unavailable)?;
        Ok(RedisStore {
            conn,
            client,
            append_conn: Arc::new(tokio::sync::Mutex::new(None)),
        })
    }
}

fn stored(json: Vec<u8>, revoked: Option<String>) -> Result<Stored, StoreError> {
    Ok(Stored {
        json,
        revoked_at: revoked.as_deref().map(parse_time).transpose()?,
    })
}

#[async_trait]
impl SecretIndex for RedisStore {
    async fn insert_secret(
        &self,
        kind: SecretKind,
        id: &str,
        sha256: &str,
        json: Vec<u8>,
    ) -> Result<(), StoreError> {
        let inserted: i64 = redis::Script::new(INSERT)
            .key(k::ids(kind.ns()))
            .key(k::record(kind.ns(), sha256))
            .arg(id)
            .arg(sha256)
            .arg(json)
            .invoke_async(&mut self.conn.clone())
            .await
            .map_err(unavailable)?;
        if inserted == 1 {
            Ok(())
        } else {
            Err(StoreError::Conflict(format!("{} {id} exists", kind.ns())))
        }
    }

    async fn secret_by_hash(
        &self,
        kind: SecretKind,
        sha256: &str,
    ) -> Result<Option<Stored>, StoreError> {
        let (raw, revoked): (Option<Vec<u8>>, Option<String>) = redis::pipe()
            .get(k::record(kind.ns(), sha256))
            .hget(k::revoked(kind.ns()), sha256)
            .query_async(&mut self.conn.clone())
            .await
            .map_err(unavailable)?;
        raw.map(|json| stored(json, revoked)).transpose()
    }

    async fn secret_by_id(&self, kind: SecretKind, id: &str) -> Result<Option<Stored>, StoreError> {
        let sha: Option<String> = self
            .conn
            .clone()
            .hget(k::ids(kind.ns()), id)
            .await
            .map_err(unavailable)?;
        match sha {
            Some(sha) => self.secret_by_hash(kind, &sha).await,
            None => Ok(None),
        }
    }

    async fn list_secrets(&self, kind: SecretKind) -> Result<Vec<Stored>, StoreError> {
        let mut conn = self.conn.clone();
        let shas: Vec<String> = conn.hvals(k::ids(kind.ns())).await.map_err(unavailable)?;
        if shas.is_empty() {
            return Ok(vec![]);
        }
        let names: Vec<String> = shas.iter().map(|s| k::record(kind.ns(), s)).collect();
        let (raws, revoked): (Vec<Option<Vec<u8>>>, Vec<Option<String>>) = redis::pipe()
            .mget(names)
            .hget(k::revoked(kind.ns()), &shas)
            .query_async(&mut conn)
            .await
            .map_err(unavailable)?;
        raws.into_iter()
            .zip(revoked)
            .filter_map(|(raw, rev)| raw.map(|json| stored(json, rev)))
            .collect()
    }

    async fn revoke_secret(
        &self,
        kind: SecretKind,
        id: &str,
        at: DateTime<Utc>,
    ) -> Result<Option<Stored>, StoreError> {
        let found: Option<(Option<Vec<u8>>, Option<String>)> = redis::Script::new(REVOKE)
            .key(k::ids(kind.ns()))
            .key(k::revoked(kind.ns()))
            .arg(id)
            .arg(format_time(at))
            .arg(k::record(kind.ns(), ""))
            .invoke_async(&mut self.conn.clone())
            .await
            .map_err(unavailable)?;
        match found {
            None => Ok(None),
            Some((Some(json), revoked)) => stored(json, revoked).map(Some),
            Some((None, _)) => Err(StoreError::Corrupt(format!(
                "{} id {id} has no record",
                kind.ns()
            ))),
        }
    }
}

#[async_trait]
impl Health for RedisStore {
    async fn ping(&self) -> Result<(), StoreError> {
        let _: () = self
            .conn
            .clone()
            .set(k::HEALTH, 1)
            .await
            .map_err(unavailable)?;
        Ok(())
    }

    fn backend(&self) -> &'static str {
        "redis"
    }
}

/// Compare-and-set append of a batch: appends only if the head is still ARGV[1].
/// Returns `{1}` when appended, `{0, current_head}` when the head moved.
const AUDIT_APPEND: &str = r#"
local cur = redis.call('GET', KEYS[2])
if not cur then cur = ARGV[3] end
if cur ~= ARGV[1] then return {0, cur} end
for i = 4, #ARGV, 2 do
  redis.call('XADD', KEYS[1], ARGV[i] .. '-0', 'r', ARGV[i + 1])
end
redis.call('SET', KEYS[2], ARGV[2])
return {1}
"#;

/// Compiled once: `Script::new` hashes the source, which the append path need not redo.
static APPEND_SCRIPT: std::sync::LazyLock<redis::Script> =
    std::sync::LazyLock::new(|| redis::Script::new(AUDIT_APPEND));

fn head_text(h: &super::Head) -> String {
    format!("{} {}", h.0, h.1)
}

fn parse_head(s: &str) -> Result<super::Head, StoreError> {
    let (seq, hash) = s
        .split_once(' ')
        .ok_or_else(|| StoreError::Corrupt(format!("audit head '{s}'")))?;
    let seq = seq
        .parse()
        .map_err(|_| StoreError::Corrupt(format!("audit head '{s}'")))?;
    Ok((seq, hash.to_string()))
}

fn genesis_head() -> super::Head {
    (0, crate::audit::record::GENESIS.to_string())
}

#[async_trait]
impl super::AuditStore for RedisStore {
    async fn audit_head(&self) -> Result<super::Head, StoreError> {
        let raw: Option<String> = self
            .conn
            .clone()
            .get(k::AUDIT_HEAD)
            .await
            .map_err(unavailable)?;
        raw.map(|s| parse_head(&s))
            .unwrap_or_else(|| Ok(genesis_head()))
    }

    async fn audit_append(
        &self,
        expected: &super::Head,
        records: &[(u64, Vec<u8>)],
        new_head: &super::Head,
    ) -> Result<Option<super::Head>, StoreError> {
        let mut inv = APPEND_SCRIPT.key(k::AUDIT_STREAM);
        inv.key(k::AUDIT_HEAD)
            .arg(head_text(expected))
            .arg(head_text(new_head))
            .arg(head_text(&genesis_head()));
        for (seq, json) in records {
            inv.arg(*seq).arg(json.as_slice());
        }
        let mut slot = self.append_conn.lock().await;
        let conn = match slot.as_mut() {
            Some(c) => c,
            None => {
                #[expect(deprecated, reason = "see AppendConn")]
                let opened = self.client.get_async_connection();
                let c = tokio::time::timeout(Duration::from_millis(500), opened)
                    .await
                    .map_err(|_| StoreError::Unavailable("timed out connecting to redis".into()))?
                    .map_err(unavailable)?;
                slot.insert(c)
            }
        };
        let reply: Vec<redis::Value> =
            match tokio::time::timeout(Duration::from_secs(2), inv.invoke_async(conn)).await {
                Ok(Ok(r)) => r,
                Ok(Err(e)) => {
                    *slot = None;
                    return Err(unavailable(e));
                }
                Err(_) => {
                    // The reply may still come: the connection is out of step, so it goes.
                    *slot = None;
                    return Err(StoreError::Unavailable(
                        "redis did not answer within 2s".into(),
                    ));
                }
            };
        drop(slot);
        match reply.as_slice() {
            [redis::Value::Int(1)] => Ok(None),
            [redis::Value::Int(0), cur] => {
                let cur: String = redis::from_redis_value(cur).map_err(unavailable)?;
                parse_head(&cur).map(Some)
            }
            other => Err(StoreError::Corrupt(format!(
                "unexpected append reply {other:?}"
            ))),
        }
    }

    async fn audit_range(
        &self,
        after: u64,
        limit: usize,
    ) -> Result<Vec<(u64, Vec<u8>)>, StoreError> {
        // The raw reply, without a map per entry: [[id, [field, value, ...]], ...].
        let reply: redis::Value = redis::cmd("XRANGE")
            .arg(k::AUDIT_STREAM)
            .arg(format!("{}-0", after + 1))
            .arg("+")
            .arg("COUNT")
            .arg(limit)
            .query_async(&mut self.conn.clone())
            .await
            .map_err(unavailable)?;
        let redis::Value::Array(entries) = reply else {
            return Err(StoreError::Corrupt(
                "XRANGE answered something else than an array".into(),
            ));
        };
        let mut out = Vec::with_capacity(entries.len());
        for entry in entries {
            let redis::Value::Array(mut parts) = entry else {
                return Err(StoreError::Corrupt("audit entry is not an array".into()));
            };
            let (Some(redis::Value::Array(mut fields)), Some(redis::Value::BulkString(id))) =
                (parts.pop(), parts.pop())
            else {
                return Err(StoreError::Corrupt(
                    "audit entry has no id or fields".into(),
                ));
            };
            let seq = std::str::from_utf8(&id)
                .ok()
                .and_then(|id| id.split_once('-'))
                .and_then(|(s, _)| s.parse::<u64>().ok())
                .ok_or_else(|| {
                    StoreError::Corrupt(format!(
                        "audit entry id '{}'",
                        String::from_utf8_lossy(&id)
                    ))
                })?;
            match (fields.pop(), fields.pop()) {
                (Some(redis::Value::BulkString(json)), Some(redis::Value::BulkString(name)))
                    if name == b"r" =>
                {
                    out.push((seq, json))
                }
                _ => {
                    return Err(StoreError::Corrupt(format!(
                        "audit entry {seq} has no record"
                    )))
                }
            }
        }
        Ok(out)
    }

    async fn checkpoint_put(&self, seq: u64, note: &str) -> Result<(), StoreError> {
        let _: () = self
            .conn
            .clone()
            .hset(k::AUDIT_CHECKPOINTS, seq, note)
            .await
            .map_err(unavailable)?;
        Ok(())
    }

    async fn checkpoints(&self) -> Result<Vec<(u64, String)>, StoreError> {
        let all: Vec<(u64, String)> = self
            .conn
            .clone()
            .hgetall(k::AUDIT_CHECKPOINTS)
            .await
            .map_err(unavailable)?;
        let mut all = all;
        all.sort_by_key(|(seq, _)| *seq);
        Ok(all)
    }

    async fn audit_trim(&self, through: u64) -> Result<u64, StoreError> {
        let n: u64 = redis::cmd("XTRIM")
            .arg(k::AUDIT_STREAM)
            .arg("MINID")
            .arg(format!("{}-0", through + 1))
            .query_async(&mut self.conn.clone())
            .await
            .map_err(unavailable)?;
        Ok(n)
    }
}
