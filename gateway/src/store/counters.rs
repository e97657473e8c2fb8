//! Counters shared by every instance: budget and rate-limit counters (reserve, then settle)
//! and the per-model inventory totals. The arithmetic is `examination::limits`; each backend
//! applies it atomically (Redis: one Lua script on server time; redb: one write transaction).

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use super::StoreError;
use crate::examination::limits::{Applied, Clock, Estimate, Refusal};

/// An admitted call's reservation, to settle after the answer.
#[derive(Debug, Clone, PartialEq)]
pub struct Reservation {
    pub limits: Vec<Applied>,
    pub estimate: Estimate,
    /// The store's clock when the reservation was made.
    pub at: Clock,
}

/// What one call adds to an inventory entry.
#[derive(Debug, Clone, PartialEq)]
pub struct InventoryAdd {
    pub tokens: u64,
    pub cost_nano: u64,
    /// RFC 3339 (UTC, fixed width: compares as text).
    pub ts: String,
}

/// An inventory entry's totals.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct InventoryTotals {
    pub requests: u64,
    pub tokens: u64,
    pub cost_nano: u64,
    pub first_seen: Option<String>,
    pub last_seen: Option<String>,
}

#[async_trait]
pub trait Counters: Send + Sync {
    /// Admits the call against every limit and reserves its estimate, or refuses it; all or
    /// nothing, across instances.
    async fn limits_reserve(
        &self,
        limits: &[Applied],
        estimate: &Estimate,
    ) -> Result<Result<Clock, Refusal>, StoreError>;
    /// Replaces a reservation with the real cost and tokens.
    async fn limits_settle(&self, r: &Reservation, real: &Estimate) -> Result<(), StoreError>;
    /// Adds one call to the totals of entry `id`.
    async fn inventory_add(&self, id: &str, add: &InventoryAdd) -> Result<(), StoreError>;
    async fn inventory_totals(&self, id: &str) -> Result<InventoryTotals, StoreError>;
}
