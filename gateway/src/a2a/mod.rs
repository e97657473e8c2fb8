//! A2A (DESIGN §9): the registry of downstream agents, the cards Parapet serves for them, and
//! JSON-RPC dispatch through the same checks as a model call (identity, agent credential at
//! the skill's scopes and amounts, audit record before the last byte).
//!
//! `registry`, `card` and `rpc` are pure; `dispatch` does the forwarding, `relay` streams an
//! agent's events back, `barriers` applies the information barriers both ways.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use moka::future::Cache;
use serde_json::{Map, Value};

use crate::error::ApiError;
use crate::store::{Docs, Store, StoreError};

pub mod barriers;
pub mod card;
pub mod dispatch;
pub mod registry;
pub mod relay;
pub mod rpc;

use registry::{AgentInput, AgentProfile};

/// How long a downstream agent's card is reused before it is read again.
const CARD_TTL: Duration = Duration::from_secs(30);
/// Largest card or non-streaming answer read from an agent.
pub const MAX_AGENT_BODY: usize = 16 << 20;

pub struct A2a {
    store: Arc<dyn Store>,
    http: reqwest::Client,
    /// Agent cards by agent id and URL, as the agent serves them.
    cards: Cache<(String, String), Arc<Value>>,
}

fn store_err(e: StoreError) -> ApiError {
    match e {
        StoreError::Conflict(m) => ApiError::Conflict(m),
        other => ApiError::StoreUnavailable(other.to_string()),
    }
}

impl A2a {
    pub fn new(store: Arc<dyn Store>, connect_timeout: Duration) -> Result<Self, String> {
        // No redirects: an agent's address is what the registry says, nothing it points to.
        let http = reqwest::Client::builder()
            .connect_timeout(connect_timeout)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| format!("a2a http client: {e}"))?;
        let cards = Cache::builder()
            .max_capacity(10_000)
            .time_to_live(CARD_TTL)
            .build();
        Ok(A2a { store, http, cards })
    }

    pub fn http(&self) -> &reqwest::Client {
        &self.http
    }

    pub async fn profile(&self, id: &str) -> Result<AgentProfile, ApiError> {
        self.store
            .get_doc::<AgentProfile>(id)
            .await
            .map_err(store_err)?
            .ok_or_else(|| ApiError::NotFound(format!("no agent with id '{id}'")))
    }

    pub async fn list(&self) -> Result<Vec<AgentProfile>, ApiError> {
        self.store.list_docs().await.map_err(store_err)
    }

    /// Checks an input against the registry: `id` is the path's id for a replacement.
    pub async fn checked(
        &self,
        input: AgentInput,
        id: Option<&str>,
    ) -> Result<AgentProfile, ApiError> {
        let now = Utc::now();
        let created = match id {
            Some(id) => self.profile(id).await?.created_at,
            None => now,
        };
        input
            .into_profile(id, created, now)
            .map_err(|e| ApiError::InvalidValue {
                field: e.field,
                reason: e.reason,
            })
    }

    pub async fn create(&self, profile: &AgentProfile) -> Result<(), ApiError> {
        self.store.create_doc(profile).await.map_err(store_err)
    }

    pub async fn replace(&self, profile: &AgentProfile) -> Result<(), ApiError> {
        if !self.store.replace_doc(profile).await.map_err(store_err)? {
            return Err(ApiError::NotFound(format!(
                "no agent with id '{}'",
                profile.id
            )));
        }
        self.cards.invalidate_all();
        Ok(())
    }

    pub async fn delete(&self, id: &str) -> Result<AgentProfile, ApiError> {
        let before = self.profile(id).await?;
        self.store
            .delete_doc::<AgentProfile>(id)
            .await
            .map_err(store_err)?;
        self.cards.invalidate_all();
        Ok(before)
    }

    /// The agent's own card, read from `{url}/.well-known/agent-card.json` and kept for
    /// `CARD_TTL`. An agent that does not answer with a JSON object is unavailable (502).
    pub async fn agent_card(&self, profile: &AgentProfile) -> Result<Arc<Value>, ApiError> {
        let key = (profile.id.clone(), profile.url.clone());
        let url = format!("{}{}", profile.url, card::WELL_KNOWN);
        let http = self.http.clone();
        self.cards
            .try_get_with(key, async move {
                let resp = http
                    .get(&url)
                    .timeout(Duration::from_secs(10))
                    .send()
                    .await
                    .map_err(|e| format!("cannot read the agent's card at {url}: {e}"))?;
                if !resp.status().is_success() {
                    return Err(format!(
                        "the agent's card at {url} answered {}",
                        resp.status()
                    ));
                }
                let bytes = resp
                    .bytes()
                    .await
                    .map_err(|e| format!("cannot read the agent's card at {url}: {e}"))?;
                if bytes.len() > MAX_AGENT_BODY {
                    return Err(format!("the agent's card at {url} is too large"));
                }
                match serde_json::from_slice::<Value>(&bytes) {
                    Ok(v @ Value::Object(_)) => Ok(Arc::new(v)),
                    _ => Err(format!("the agent's card at {url} is not a JSON object")),
                }
            })
            .await
            .map_err(|e: Arc<String>| ApiError::UpstreamUnavailable(e.to_string()))
    }

    /// The card Parapet serves for `profile`: the agent's own, pointed at `gateway_url`.
    pub async fn served_card(
        &self,
        profile: &AgentProfile,
        gateway_url: &str,
    ) -> Result<Map<String, Value>, ApiError> {
        let mut served = match self.agent_card(profile).await?.as_ref() {
            Value::Object(m) => m.clone(),
            _ => Map::new(),
        };
        card::rewrite(&mut served, gateway_url);
        Ok(served)
    }
}
