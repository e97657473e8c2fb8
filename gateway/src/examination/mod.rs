//! Examination suite (DESIGN §8): pricing and the cost of each call, the AI inventory, spend
//! views, budgets and rate limits. Pure parts (`pricing`, `tokens`, `limits`, `inventory`,
//! `spend`) take data; `Examination` wires them to the store; `settle` prices a finished call
//! and updates the counters in a task of its own, off the response path.

use std::sync::Arc;

use crate::audit::read::parse_record;
use crate::audit::scan::{scan, seek, Page, PageVisitor, Place, TsWindow};
use crate::config::Config;
use crate::error::ApiError;
use crate::identity::Caller;
use crate::providers::Usage;
use crate::store::counters::{InventoryAdd, Reservation};
use crate::store::{Docs, Store, StoreError};

pub mod inventory;
pub mod limits;
pub mod pricing;
pub mod report;
pub mod settle;
pub mod spend;
pub mod tokens;

use inventory::{Classification, InventoryEntry, InventoryUpdate};
use limits::{Estimate, LimitKind, Limits};
use pricing::Pricing;
use spend::{GroupBy, Spend};

/// Every inventory entry: its classification and its totals.
pub async fn load_inventory(store: &dyn Store) -> Result<Vec<InventoryEntry>, StoreError> {
    let docs: Vec<Classification> = store.list_docs().await?;
    let mut out = Vec::with_capacity(docs.len());
    for c in docs {
        let totals = store.inventory_totals(&c.id).await?;
        out.push(InventoryEntry::new(c, totals));
    }
    Ok(out)
}

pub struct Examination {
    store: Arc<dyn Store>,
    pricing: Pricing,
    limits: Limits,
    /// Inventory entries this instance knows exist (created once, then only counted).
    known: moka::future::Cache<String, ()>,
}

fn unavailable(e: StoreError) -> ApiError {
    ApiError::StoreUnavailable(e.to_string())
}

impl Examination {
    pub fn new(store: Arc<dyn Store>, cfg: &Config) -> Examination {
        Examination {
            store,
            pricing: cfg.pricing.clone(),
            limits: cfg.limits.clone(),
            known: moka::future::Cache::new(10_000),
        }
    }

    pub fn pricing(&self) -> &Pricing {
        &self.pricing
    }

    /// Whether any `[[limits]]` are configured (else no counter is touched before forwarding).
    pub fn has_limits(&self) -> bool {
        !self.limits.is_empty()
    }

    /// The budget / rate-limit reservation of a call before it is forwarded: its prompt
    /// tokens (estimated) and at most `max_output` completion tokens, priced at the dearest
    /// model the alias may be served by. `None` when no limit applies to the caller; an
    /// unreachable store refuses the call (fail closed).
    pub async fn reserve(
        &self,
        caller: &Caller,
        models: &[&str],
        prompt_tokens: u64,
        max_output: u64,
    ) -> Result<Option<Reservation>, ApiError> {
        if self.limits.is_empty() {
            return Ok(None);
        }
        let user = caller.principal_id.as_deref().unwrap_or(&caller.id);
        let applied =
            self.limits
                .for_caller(caller.key_id.as_deref(), Some(user), caller.team.as_deref());
        if applied.is_empty() {
            return Ok(None);
        }
        let usage = Usage {
            prompt_tokens,
            completion_tokens: max_output,
            cached_tokens: 0,
            estimated: true,
        };
        let cost = models
            .iter()
            .filter_map(|m| self.pricing.cost(m, &usage))
            .fold(0.0, f64::max);
        let estimate = Estimate {
            cost_nano: limits::nano(cost),
            tokens: usage.total_tokens(),
        };
        match self
            .store
            .limits_reserve(&applied, &estimate)
            .await
            .map_err(unavailable)?
        {
            Ok(at) => Ok(Some(Reservation {
                limits: applied,
                estimate,
                at,
            })),
            Err(refusal) => {
                metrics::counter!("parapet_limit_refusals_total", "limit" => match refusal.kind {
                    LimitKind::BudgetExceeded => "budget",
                    LimitKind::RateLimited => "rate",
                })
                .increment(1);
                Err(match refusal.kind {
                    LimitKind::BudgetExceeded => ApiError::BudgetExceeded {
                        counter: refusal.counter,
                        retry_after: refusal.retry_after,
                    },
                    LimitKind::RateLimited => ApiError::RateLimited {
                        counter: refusal.counter,
                        retry_after: refusal.retry_after,
                    },
                })
            }
        }
    }

    /// Replaces a reservation with what the call really cost (zero for a failed call).
    pub async fn release(&self, r: &Reservation, real: &Estimate) {
        if let Err(e) = self.store.limits_settle(r, real).await {
            // The reservation stays until its period ends: the safe side of a budget.
            metrics::counter!("parapet_settle_failures_total", "what" => "limits").increment(1);
            tracing::warn!(error = %e, "could not settle a budget reservation");
        }
    }

    /// Counts a served call in its inventory entry, creating the entry on first traffic.
    pub async fn count(&self, provider: &str, model: &str, usage: &Usage, cost: f64, ts: &str) {
        let id = inventory::entry_id(provider, model);
        if !self.known.contains_key(&id) {
            match self
                .store
                .create_doc(&Classification::discovered(provider, model))
                .await
            {
                Ok(()) | Err(StoreError::Conflict(_)) => self.known.insert(id.clone(), ()).await,
                Err(e) => tracing::warn!(error = %e, "could not create an inventory entry"),
            }
        }
        let add = InventoryAdd {
            tokens: usage.total_tokens(),
            cost_nano: limits::nano(cost),
            ts: ts.to_string(),
        };
        if let Err(e) = self.store.inventory_add(&id, &add).await {
            metrics::counter!("parapet_settle_failures_total", "what" => "inventory").increment(1);
            tracing::warn!(error = %e, "could not count a call in the inventory");
        }
    }

    pub async fn inventory(&self) -> Result<Vec<InventoryEntry>, ApiError> {
        load_inventory(self.store.as_ref())
            .await
            .map_err(unavailable)
    }

    pub async fn entry(&self, id: &str) -> Result<InventoryEntry, ApiError> {
        let c: Classification = self
            .store
            .get_doc(id)
            .await
            .map_err(unavailable)?
            .ok_or_else(|| ApiError::NotFound(format!("no inventory entry '{id}'")))?;
        let totals = self.store.inventory_totals(id).await.map_err(unavailable)?;
        Ok(InventoryEntry::new(c, totals))
    }

    /// The classification of `id` before and after `update` (not yet written).
    pub async fn classify(
        &self,
        id: &str,
        update: InventoryUpdate,
    ) -> Result<(Classification, Classification), ApiError> {
        let before = self.entry(id).await?.classification;
        let after = before.updated(update);
        Ok((before, after))
    }

    pub async fn store_classification(&self, c: &Classification) -> Result<(), ApiError> {
        match self.store.replace_doc(c).await.map_err(unavailable)? {
            true => Ok(()),
            false => Err(ApiError::NotFound(format!("no inventory entry '{}'", c.id))),
        }
    }

    /// Spend of the records with `since <= ts < until`, grouped: one pass from where `since`
    /// can begin (`audit::scan::seek`) to where `until` is certainly past.
    pub async fn spend(
        &self,
        group_by: GroupBy,
        since: Option<&str>,
        until: Option<&str>,
    ) -> Result<Spend, ApiError> {
        let after = match since {
            Some(s) => seek(self.store.as_ref(), s).await.map_err(unavailable)?,
            None => 0,
        };
        let visitor = SpendVisitor {
            spend: Spend::new(group_by),
            window: TsWindow::new(since, until),
        };
        let scanned = scan(self.store.as_ref(), after, None, visitor, |_, _| {})
            .await
            .map_err(ApiError::StoreUnavailable)?;
        Ok(scanned.visitor.spend)
    }
}

struct SpendVisitor {
    spend: Spend,
    window: TsWindow,
}

impl PageVisitor for SpendVisitor {
    fn visit(&mut self, page: &Page) -> Result<bool, String> {
        for (seq, json) in page {
            let r = parse_record(*seq, json)?;
            match self.window.place(&r.ts) {
                Place::Inside => self.spend.add(&r),
                Place::Before | Place::After => {}
                Place::Beyond => return Ok(false),
            }
        }
        Ok(true)
    }
}
