//! The policy engine inside the gateway (DESIGN §4): the live policy set, roles, role bindings
//! and break-glass grants, compiled once per change and read lock-free on every decision.
//!
//! - `docs`: what is stored (policies with every version, roles, bindings).
//! - `admin`: changes to policies, roles and bindings (validated, audited with before/after).
//! - `decide`: the decision API (`/api/v1/decisions/*`) and its audit records.
//! - `gate`: the per-call check of model calls and A2A messages (`[policies] enforce`).
//!
//! Other instances on the same store pick changes up by polling the collections' generation
//! counters every second (`POLL_EVERY`); the instance that made a change reloads at once.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use arc_swap::ArcSwap;
use chrono::{DateTime, Utc};
use parapet_policies::{
    default_policies, evaluate_with, Decision, Facts, JitGrant, PolicySet, Request, Roles,
};
use serde_json::{Map, Value};

use crate::approvals::grants::GrantRecord;
use crate::error::ApiError;
use crate::store::{Collection, Docs, Store, StoreError};

pub mod admin;
pub mod decide;
pub mod docs;
pub mod gate;

use docs::{RoleBinding, RoleDoc, StoredPolicy};

/// How often other instances' changes are looked for.
pub const POLL_EVERY: Duration = Duration::from_secs(1);

/// The collections whose changes trigger a reload.
const WATCHED: [Collection; 4] = [
    Collection::Policies,
    Collection::Roles,
    Collection::RoleBindings,
    Collection::Grants,
];

/// Everything a decision reads, swapped as a whole.
pub struct Live {
    /// The stored policies (empty: the decision API denies everything).
    pub set: PolicySet,
    /// `None` while no role is defined: then no RBAC gate, policies alone decide.
    pub roles: Option<Roles>,
    pub bindings: HashMap<String, Vec<String>>,
    /// Grants not revoked; expiry is checked at decision time.
    pub grants: Vec<JitGrant>,
    generations: [u64; 4],
}

pub struct PolicyEngine {
    pub(crate) store: Arc<dyn Store>,
    live: ArcSwap<Live>,
    /// The shipped set, used by the per-call check while no policy is stored.
    default_set: PolicySet,
    reload_lock: tokio::sync::Mutex<()>,
}

pub(crate) fn store_err(e: StoreError) -> ApiError {
    match e {
        StoreError::Conflict(m) => ApiError::Conflict(m),
        other => ApiError::StoreUnavailable(other.to_string()),
    }
}

/// What the gateway knows about a subject beyond the stored bindings.
#[derive(Debug, Default, Clone, Copy)]
pub struct SubjectFacts<'a> {
    pub attrs: Option<&'a Map<String, Value>>,
}

impl PolicyEngine {
    /// Loads the live state once; an unreadable store or a stored set that does not compile
    /// stops the start (fail closed).
    pub async fn load(store: Arc<dyn Store>) -> Result<Arc<PolicyEngine>, String> {
        let default_set =
            PolicySet::compile(default_policies()).map_err(|e| format!("default policies: {e}"))?;
        let live = read_live(&store, [0; 4]).await.map_err(|e| e.to_string())?;
        Ok(Arc::new(PolicyEngine {
            store,
            live: ArcSwap::from_pointee(live),
            default_set,
            reload_lock: tokio::sync::Mutex::new(()),
        }))
    }

    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    pub fn live(&self) -> arc_swap::Guard<Arc<Live>> {
        self.live.load()
    }

    /// Re-reads the state when a generation moved; returns whether it changed.
    pub async fn reload(&self) -> Result<bool, ApiError> {
        let _one = self.reload_lock.lock().await;
        let mut gens = [0u64; 4];
        for (g, coll) in gens.iter_mut().zip(WATCHED) {
            *g = self.store.doc_generation(coll).await.map_err(store_err)?;
        }
        if gens == self.live.load().generations {
            return Ok(false);
        }
        let live = read_live(&self.store, gens).await?;
        self.live.store(Arc::new(live));
        Ok(true)
    }

    /// Polls for changes made by other instances, forever.
    pub fn spawn_poller(self: &Arc<Self>) {
        let engine = self.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(POLL_EVERY);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                if let Err(e) = engine.reload().await {
                    tracing::warn!(error = %e, "policy reload failed; keeping the current set");
                }
            }
        });
    }

    /// A decision with the stored bindings and grants. `enforce_defaults`: the per-call check,
    /// which uses the shipped set while no policy is stored.
    pub fn decide(
        &self,
        req: &Request,
        subject: SubjectFacts<'_>,
        enforce_defaults: bool,
        now: DateTime<Utc>,
    ) -> Decision {
        let live = self.live.load();
        let set = if enforce_defaults && live.set.policies().is_empty() {
            &self.default_set
        } else {
            &live.set
        };
        let user_roles = req
            .on_behalf_of_user_id
            .as_deref()
            .and_then(|u| live.bindings.get(u))
            .map(Vec::as_slice);
        let facts = Facts {
            subject_roles: live
                .bindings
                .get(&req.subject_id)
                .map_or(&[], Vec::as_slice),
            subject_attrs: subject.attrs,
            rbac: live.roles.as_ref(),
            user_roles,
            grants: &live.grants,
            now,
        };
        evaluate_with(set, req, &facts)
    }

    /// The roles bound to `subject_id`.
    pub fn roles_of(&self, subject_id: &str) -> Vec<String> {
        self.live
            .load()
            .bindings
            .get(subject_id)
            .cloned()
            .unwrap_or_default()
    }
}

async fn read_live(store: &Arc<dyn Store>, generations: [u64; 4]) -> Result<Live, ApiError> {
    let policies: Vec<StoredPolicy> = store.list_docs().await.map_err(store_err)?;
    let set = PolicySet::compile(policies.into_iter().map(|p| p.policy).collect())
        .map_err(|e| ApiError::Internal(format!("stored policies do not compile: {e}")))?;
    let roles: Vec<RoleDoc> = store.list_docs().await.map_err(store_err)?;
    let roles = if roles.is_empty() {
        None
    } else {
        Some(
            Roles::compile(roles.into_iter().map(|r| r.0).collect())
                .map_err(|e| ApiError::Internal(format!("stored roles do not compile: {e}")))?,
        )
    };
    let bindings: Vec<RoleBinding> = store.list_docs().await.map_err(store_err)?;
    let grants: Vec<GrantRecord> = store.list_docs().await.map_err(store_err)?;
    Ok(Live {
        set,
        roles,
        bindings: bindings
            .into_iter()
            .map(|b| (b.subject_id, b.roles))
            .collect(),
        grants: grants
            .into_iter()
            .filter(|g| g.revoked_at.is_none())
            .map(GrantRecord::into_grant)
            .collect(),
        generations,
    })
}

#[cfg(test)]
mod tests;
