//! Budget, rate-limit and inventory counters in redb: each change one write transaction (redb
//! serializes writers), with the arithmetic of `examination::limits` on this host's clock.

use async_trait::async_trait;
use redb::{ReadableTable, TableDefinition};

use super::{unavailable, EmbeddedStore};
use crate::examination::limits::{self, Applied, Clock, CounterState, Estimate, Refusal};
use crate::store::counters::{Counters, InventoryAdd, InventoryTotals, Reservation};
use crate::store::StoreError;

pub(super) const LIMITS: TableDefinition<&str, &[u8]> = TableDefinition::new("limit_counters");
pub(super) const INVENTORY: TableDefinition<&str, &[u8]> = TableDefinition::new("inventory_totals");

fn decode<T: Default + serde::de::DeserializeOwned>(v: Option<&[u8]>) -> Result<T, StoreError> {
    match v {
        None => Ok(T::default()),
        Some(b) => serde_json::from_slice(b).map_err(|e| StoreError::Corrupt(e.to_string())),
    }
}

fn encode<T: serde::Serialize>(v: &T) -> Result<Vec<u8>, StoreError> {
    serde_json::to_vec(v).map_err(|e| StoreError::Corrupt(e.to_string()))
}

fn now() -> Clock {
    Clock::at(chrono::Utc::now().timestamp())
}

#[async_trait]
impl Counters for EmbeddedStore {
    async fn limits_reserve(
        &self,
        limits: &[Applied],
        estimate: &Estimate,
    ) -> Result<Result<Clock, Refusal>, StoreError> {
        let (limits, estimate) = (limits.to_vec(), *estimate);
        self.run(move |db| {
            let clock = now();
            let tx = db.begin_write().map_err(unavailable)?;
            let verdict = {
                let mut t = tx.open_table(LIMITS).map_err(unavailable)?;
                let mut states = Vec::with_capacity(limits.len());
                for l in &limits {
                    let v = t.get(l.counter.as_str()).map_err(unavailable)?;
                    states.push(decode::<CounterState>(v.as_ref().map(|v| v.value()))?);
                }
                let verdict = limits::reserve(&mut states, &limits, &clock, &estimate);
                if verdict.is_ok() {
                    for (l, s) in limits.iter().zip(&states) {
                        t.insert(l.counter.as_str(), encode(s)?.as_slice())
                            .map_err(unavailable)?;
                    }
                }
                verdict
            };
            tx.commit().map_err(unavailable)?;
            Ok(verdict.map(|()| clock))
        })
        .await
    }

    async fn limits_settle(&self, r: &Reservation, real: &Estimate) -> Result<(), StoreError> {
        let (r, real) = (r.clone(), *real);
        self.run(move |db| {
            let clock = now();
            let tx = db.begin_write().map_err(unavailable)?;
            {
                let mut t = tx.open_table(LIMITS).map_err(unavailable)?;
                for l in &r.limits {
                    let mut s: CounterState = {
                        let v = t.get(l.counter.as_str()).map_err(unavailable)?;
                        decode(v.as_ref().map(|v| v.value()))?
                    };
                    limits::settle(&mut s, l, &clock, &r.at, &r.estimate, &real);
                    t.insert(l.counter.as_str(), encode(&s)?.as_slice())
                        .map_err(unavailable)?;
                }
            }
            tx.commit().map_err(unavailable)
        })
        .await
    }

    async fn inventory_add(&self, id: &str, add: &InventoryAdd) -> Result<(), StoreError> {
        let (id, add) = (id.to_string(), add.clone());
        self.run(move |db| {
            let tx = db.begin_write().map_err(unavailable)?;
            {
                let mut t = tx.open_table(INVENTORY).map_err(unavailable)?;
                let mut s: InventoryTotals = {
                    let v = t.get(id.as_str()).map_err(unavailable)?;
                    decode(v.as_ref().map(|v| v.value()))?
                };
                s.requests += 1;
                s.tokens += add.tokens;
                s.cost_nano += add.cost_nano;
                if s.first_seen.as_ref().is_none_or(|f| add.ts < *f) {
                    s.first_seen = Some(add.ts.clone());
                }
                if s.last_seen.as_ref().is_none_or(|l| add.ts > *l) {
                    s.last_seen = Some(add.ts.clone());
                }
                t.insert(id.as_str(), encode(&s)?.as_slice())
                    .map_err(unavailable)?;
            }
            tx.commit().map_err(unavailable)
        })
        .await
    }

    async fn inventory_totals(&self, id: &str) -> Result<InventoryTotals, StoreError> {
        let id = id.to_string();
        self.run(move |db| {
            let tx = db.begin_read().map_err(unavailable)?;
            let t = tx.open_table(INVENTORY).map_err(unavailable)?;
            let v = t.get(id.as_str()).map_err(unavailable)?;
            decode(v.as_ref().map(|v| v.value()))
        })
        .await
    }
}
