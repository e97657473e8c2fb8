//! Budget, rate-limit and inventory counters in Redis: each change one Lua script, so
//! instances sharing the Redis never admit more than the limits allow between them. Periods
//! come from Redis server time (`TIME`), never from an instance's clock.

use std::sync::LazyLock;

use async_trait::async_trait;
use redis::AsyncCommands;

use super::{unavailable, RedisStore};
use crate::examination::limits::{Applied, Clock, Estimate, LimitKind, Period, Refusal};
use crate::store::counters::{Counters, InventoryAdd, InventoryTotals, Reservation};
use crate::store::redis_keys as k;
use crate::store::StoreError;

/// Server time and the periods it falls in: `now`, `day`, `minute`, `month` (= y*12 + m-1,
/// civil date from days after H. Hinnant's algorithm). Mirrors `limits::Clock::at`.
const CLOCK: &str = r#"
local t = redis.call('TIME')
local now = tonumber(t[1])
local day = math.floor(now / 86400)
local minute = math.floor(now / 60)
local z = day + 719468
local era = math.floor(z / 146097)
local doe = z - era * 146097
local yoe = math.floor((doe - math.floor(doe / 1460) + math.floor(doe / 36524) - math.floor(doe / 146096)) / 365)
local y = yoe + era * 400
local doy = doe - (365 * yoe + math.floor(yoe / 4) - math.floor(yoe / 100))
local mp = math.floor((5 * doy + 2) / 153)
local m = mp < 10 and mp + 3 or mp - 9
if m <= 2 then y = y + 1 end
local month = y * 12 + m - 1
local function load(key, per)
  local h = redis.call('HMGET', key, 'p', 'spent', 'resv', 'w', 'req', 'tok')
  local s = {p = tonumber(h[1]) or -1, spent = tonumber(h[2]) or 0, resv = tonumber(h[3]) or 0,
             w = tonumber(h[4]) or -1, req = tonumber(h[5]) or 0, tok = tonumber(h[6]) or 0}
  local pid = day
  if per == 'm' then pid = month end
  if s.p ~= pid then s.p = pid; s.spent = 0; s.resv = 0 end
  if s.w ~= minute then s.w = minute; s.req = 0; s.tok = 0 end
  return s
end
local function store(key, s)
  redis.call('HSET', key, 'p', s.p, 'spent', s.spent, 'resv', s.resv, 'w', s.w, 'req', s.req, 'tok', s.tok)
  redis.call('EXPIRE', key, 3024000)
end
"#;

/// KEYS: counters. ARGV: est_cost, est_tokens, then per counter budget, period (d|m), rpm,
/// tpm (-1 = none). Returns {verdict, counter index, now}.
const RESERVE: &str = r#"
local est_cost = tonumber(ARGV[1])
local est_tok = tonumber(ARGV[2])
local st = {}
for i, key in ipairs(KEYS) do
  local b = 2 + (i - 1) * 4
  local budget, rpm, tpm = tonumber(ARGV[b + 1]), tonumber(ARGV[b + 3]), tonumber(ARGV[b + 4])
  local s = load(key, ARGV[b + 2])
  if (rpm >= 0 and s.req + 1 > rpm) or (tpm >= 0 and s.tok + est_tok > tpm) then
    return {'rate_limited', i, now}
  end
  if budget >= 0 and s.spent + s.resv + est_cost > budget then
    return {'budget_exceeded', i, now}
  end
  st[i] = s
end
for i, key in ipairs(KEYS) do
  local s = st[i]
  s.req = s.req + 1
  s.tok = s.tok + est_tok
  s.resv = s.resv + est_cost
  store(key, s)
end
return {'ok', 0, now}
"#;

/// KEYS: counters. ARGV: est_cost, real_cost, est_tokens, real_tokens, reserved day, month,
/// minute, then per counter its period (d|m).
const SETTLE: &str = r#"
local est_cost, real_cost = tonumber(ARGV[1]), tonumber(ARGV[2])
local est_tok, real_tok = tonumber(ARGV[3]), tonumber(ARGV[4])
for i, key in ipairs(KEYS) do
  local per = ARGV[7 + i]
  local s = load(key, per)
  local rpid = tonumber(ARGV[5])
  if per == 'm' then rpid = tonumber(ARGV[6]) end
  if rpid == s.p then s.resv = math.max(0, s.resv - est_cost) end
  s.spent = s.spent + real_cost
  if tonumber(ARGV[7]) == s.w then s.tok = math.max(0, s.tok - est_tok) end
  s.tok = s.tok + real_tok
  store(key, s)
end
return 1
"#;

/// KEYS[1]: the entry's totals. ARGV: tokens, cost_nano, ts.
const INVENTORY_ADD: &str = r#"
redis.call('HINCRBY', KEYS[1], 'requests', 1)
redis.call('HINCRBY', KEYS[1], 'tokens', ARGV[1])
redis.call('HINCRBY', KEYS[1], 'cost_nano', ARGV[2])
local first = redis.call('HGET', KEYS[1], 'first_seen')
if not first or ARGV[3] < first then redis.call('HSET', KEYS[1], 'first_seen', ARGV[3]) end
local last = redis.call('HGET', KEYS[1], 'last_seen')
if not last or ARGV[3] > last then redis.call('HSET', KEYS[1], 'last_seen', ARGV[3]) end
return 1
"#;

static RESERVE_SCRIPT: LazyLock<redis::Script> =
    LazyLock::new(|| redis::Script::new(&format!("{CLOCK}{RESERVE}")));
static SETTLE_SCRIPT: LazyLock<redis::Script> =
    LazyLock::new(|| redis::Script::new(&format!("{CLOCK}{SETTLE}")));
static INVENTORY_SCRIPT: LazyLock<redis::Script> =
    LazyLock::new(|| redis::Script::new(INVENTORY_ADD));

fn per(p: Period) -> &'static str {
    match p {
        Period::Day => "d",
        Period::Month => "m",
    }
}

fn opt(v: Option<u64>) -> i64 {
    v.map_or(-1, |n| i64::try_from(n).unwrap_or(i64::MAX))
}

#[async_trait]
impl Counters for RedisStore {
    async fn limits_reserve(
        &self,
        limits: &[Applied],
        estimate: &Estimate,
    ) -> Result<Result<Clock, Refusal>, StoreError> {
        let mut inv = RESERVE_SCRIPT.prepare_invoke();
        inv.arg(estimate.cost_nano).arg(estimate.tokens);
        for l in limits {
            inv.key(k::limit(&l.counter))
                .arg(opt(l.budget_nano))
                .arg(per(l.period))
                .arg(opt(l.rpm))
                .arg(opt(l.tpm));
        }
        let (verdict, idx, now): (String, usize, i64) = inv
            .invoke_async(&mut self.conn.clone())
            .await
            .map_err(unavailable)?;
        let clock = Clock::at(now);
        let refused = |kind, retry_after| {
            let counter = limits
                .get(idx.saturating_sub(1))
                .map(|l| l.counter.clone())
                .unwrap_or_default();
            Ok(Err(Refusal {
                kind,
                counter,
                retry_after,
            }))
        };
        match verdict.as_str() {
            "ok" => Ok(Ok(clock)),
            "rate_limited" => refused(LimitKind::RateLimited, clock.until_minute_end()),
            "budget_exceeded" => {
                let period = limits
                    .get(idx.saturating_sub(1))
                    .map_or(Period::Day, |l| l.period);
                refused(LimitKind::BudgetExceeded, clock.until_period_end(period))
            }
            other => Err(StoreError::Corrupt(format!(
                "limit script answered {other}"
            ))),
        }
    }

    async fn limits_settle(&self, r: &Reservation, real: &Estimate) -> Result<(), StoreError> {
        let mut inv = SETTLE_SCRIPT.prepare_invoke();
        inv.arg(r.estimate.cost_nano)
            .arg(real.cost_nano)
            .arg(r.estimate.tokens)
            .arg(real.tokens)
            .arg(r.at.day)
            .arg(r.at.month)
            .arg(r.at.minute);
        for l in &r.limits {
            inv.key(k::limit(&l.counter)).arg(per(l.period));
        }
        let _: i64 = inv
            .invoke_async(&mut self.conn.clone())
            .await
            .map_err(unavailable)?;
        Ok(())
    }

    async fn inventory_add(&self, id: &str, add: &InventoryAdd) -> Result<(), StoreError> {
        let _: i64 = INVENTORY_SCRIPT
            .key(k::inventory_totals(id))
            .arg(add.tokens)
            .arg(add.cost_nano)
            .arg(&add.ts)
            .invoke_async(&mut self.conn.clone())
            .await
            .map_err(unavailable)?;
        Ok(())
    }

    async fn inventory_totals(&self, id: &str) -> Result<InventoryTotals, StoreError> {
        let h: std::collections::HashMap<String, String> = self
            .conn
            .clone()
            .hgetall(k::inventory_totals(id))
            .await
            .map_err(unavailable)?;
        let n = |f: &str| h.get(f).and_then(|v| v.parse().ok()).unwrap_or(0);
        Ok(InventoryTotals {
            requests: n("requests"),
            tokens: n("tokens"),
            cost_nano: n("cost_nano"),
            first_seen: h.get("first_seen").cloned(),
            last_seen: h.get("last_seen").cloned(),
        })
    }
}
