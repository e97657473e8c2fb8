//! The audit record (DESIGN §7) and its place in the hash chain:
//! `hash = SHA-256(prev_hash || canonical_json(record without hash))`, canonical JSON per
//! RFC 8785, `prev_hash` taken as its 64 lowercase hex characters, genesis `prev_hash` = 64 zeros.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

use self::canon::Canon;
use self::prepared::Offsets;
pub use self::prepared::{Chained, Prepared};

mod canon;
mod prepared;

pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// One audit record. `seq`, `prev_hash` and `hash` are set by the chain writer at commit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Record {
    pub seq: u64,
    pub id: String,
    /// RFC 3339, UTC, microseconds.
    pub ts: String,
    /// `llm.call`, `a2a.dispatch`, `decision`, `approval.*`, `credential.*`,
    /// `barrier.violation`, `admin.*`, `audit.*`.
    pub kind: String,
    pub caller: CallerInfo,
    #[serde(default)]
    pub aida_credential_id: Option<String>,
    #[serde(default)]
    pub aida_scope_verified: Option<bool>,
    #[serde(default)]
    pub request: Option<RequestInfo>,
    #[serde(default)]
    pub response: Option<ResponseInfo>,
    #[serde(default)]
    pub usage: Option<UsageInfo>,
    #[serde(default)]
    pub cost_usd: Option<f64>,
    #[serde(default)]
    pub latency_ms: Option<u64>,
    #[serde(default)]
    pub guardrails: Option<Value>,
    #[serde(default)]
    pub policy: Option<Value>,
    /// For administrative changes: what changed, `{target, before, after}`.
    #[serde(default)]
    pub change: Option<Value>,
    pub prev_hash: String,
    #[serde(default)]
    pub hash: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CallerInfo {
    pub kind: String,
    pub id: String,
    #[serde(default)]
    pub principal_id: Option<String>,
    #[serde(default)]
    pub groups: Vec<String>,
    #[serde(default)]
    pub key_id: Option<String>,
    /// The key's team (spend by team); absent when the caller has none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub team: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RequestInfo {
    pub route: String,
    #[serde(default)]
    pub model_requested: Option<String>,
    #[serde(default)]
    pub provider: Option<String>,
    #[serde(default)]
    pub model_served: Option<String>,
    #[serde(default)]
    pub stream: bool,
    #[serde(default)]
    pub prompt_sha256: Option<String>,
    /// A2A dispatches: the registered agent, the JSON-RPC method and the skill enforced.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub skill: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ResponseInfo {
    pub status: u16,
    #[serde(default)]
    pub finish_reason: Option<String>,
    #[serde(default)]
    pub response_sha256: Option<String>,
    /// `error.code` for failures; `client_disconnected`, `upstream_failed` for broken streams.
    #[serde(default)]
    pub error: Option<String>,
    #[serde(default)]
    pub client_disconnected: bool,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct UsageInfo {
    pub prompt_tokens: u64,
    pub completion_tokens: u64,
    #[serde(default)]
    pub cached_tokens: u64,
    #[serde(default)]
    pub usage_estimated: bool,
}

#[derive(Debug, thiserror::Error)]
#[error("cannot canonicalize audit record: {0}")]
pub struct CanonicalError(String);

/// Which canonical form `write_canonical` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Form {
    /// What the hash covers: everything but `hash`.
    Hashed,
    /// The stored form: everything.
    Stored,
    /// Without `hash`, `prev_hash` and `seq` (see `Record::prepare`).
    Unchained,
}

impl Record {
    /// RFC 8785 canonical JSON of the record without its `hash`, written field by field in
    /// sorted key order (verification of a million records hashes a million of these); the
    /// generic canonicalizer is used only for free-form values and floats. A property test
    /// keeps it byte-identical to `canonical_reference`.
    pub fn canonical(&self) -> Result<Vec<u8>, CanonicalError> {
        Ok(self.write_canonical(Form::Hashed)?.0)
    }

    /// RFC 8785 canonical JSON of the whole record, `hash` included: the stored form. Its bytes
    /// without the top-level `hash` member are exactly what the hash covers.
    pub fn canonical_stored(&self) -> Result<Vec<u8>, CanonicalError> {
        Ok(self.write_canonical(Form::Stored)?.0)
    }

    /// The canonical form with the chain members (`hash`, `prev_hash`, `seq`) left out, and
    /// where each goes: what the chain writer needs to place the record, done by the caller's
    /// task rather than the writer's (see `Prepared`).
    pub fn prepare(&self) -> Result<Prepared, CanonicalError> {
        let (bytes, at) = self.write_canonical(Form::Unchained)?;
        Ok(Prepared::new(bytes, at))
    }

    fn write_canonical(&self, form: Form) -> Result<(Vec<u8>, Offsets), CanonicalError> {
        let mut at = Offsets::default();
        let mut w = Canon::new();
        w.open();
        w.key("aida_credential_id");
        w.opt_str(self.aida_credential_id.as_deref());
        w.key("aida_scope_verified");
        w.opt_bool(self.aida_scope_verified);
        w.key("caller");
        w.open();
        w.key("groups");
        w.str_array(&self.caller.groups);
        w.key("id");
        w.str(&self.caller.id);
        w.key("key_id");
        w.opt_str(self.caller.key_id.as_deref());
        w.key("kind");
        w.str(&self.caller.kind);
        w.key("principal_id");
        w.opt_str(self.caller.principal_id.as_deref());
        // Added after the first release: written only when set (see `request` below).
        if let Some(team) = &self.caller.team {
            w.key("team");
            w.str(team);
        }
        w.close();
        w.key("change");
        w.opt_value(self.change.as_ref())?;
        w.key("cost_usd");
        w.opt_f64(self.cost_usd)?;
        w.key("guardrails");
        w.opt_value(self.guardrails.as_ref())?;
        at.hash = w.buf.len();
        if form == Form::Stored {
            w.key("hash");
            w.str(&self.hash);
        }
        w.key("id");
        w.str(&self.id);
        w.key("kind");
        w.str(&self.kind);
        w.key("latency_ms");
        w.opt_u64(self.latency_ms);
        w.key("policy");
        w.opt_value(self.policy.as_ref())?;
        at.prev_hash = w.buf.len();
        if form != Form::Unchained {
            w.key("prev_hash");
            w.str(&self.prev_hash);
        }
        w.key("request");
        match &self.request {
            None => w.null(),
            Some(q) => {
                w.open();
                // Keys added after the first release are written only when set, so records
                // written before them canonicalize exactly as they did.
                if let Some(agent) = &q.agent_id {
                    w.key("agent_id");
                    w.str(agent);
                }
                if let Some(method) = &q.method {
                    w.key("method");
                    w.str(method);
                }
                w.key("model_requested");
                w.opt_str(q.model_requested.as_deref());
                w.key("model_served");
                w.opt_str(q.model_served.as_deref());
                w.key("prompt_sha256");
                w.opt_str(q.prompt_sha256.as_deref());
                w.key("provider");
                w.opt_str(q.provider.as_deref());
                w.key("route");
                w.str(&q.route);
                if let Some(skill) = &q.skill {
                    w.key("skill");
                    w.str(skill);
                }
                w.key("stream");
                w.bool(q.stream);
                w.close();
            }
        }
        w.key("response");
        match &self.response {
            None => w.null(),
            Some(r) => {
                w.open();
                w.key("client_disconnected");
                w.bool(r.client_disconnected);
                w.key("error");
                w.opt_str(r.error.as_deref());
                w.key("finish_reason");
                w.opt_str(r.finish_reason.as_deref());
                w.key("response_sha256");
                w.opt_str(r.response_sha256.as_deref());
                w.key("status");
                w.u64(u64::from(r.status));
                w.close();
            }
        }
        at.seq = w.buf.len();
        if form != Form::Unchained {
            w.key("seq");
            w.u64(self.seq);
        }
        w.key("ts");
        w.str(&self.ts);
        w.key("usage");
        match &self.usage {
            None => w.null(),
            Some(u) => {
                w.open();
                w.key("cached_tokens");
                w.u64(u.cached_tokens);
                w.key("completion_tokens");
                w.u64(u.completion_tokens);
                w.key("prompt_tokens");
                w.u64(u.prompt_tokens);
                w.key("usage_estimated");
                w.bool(u.usage_estimated);
                w.close();
            }
        }
        w.close();
        Ok((w.buf, at))
    }

    /// The canonical form through the generic path: serialize to a value, drop `hash`,
    /// canonicalize. Slow; the reference `canonical` is checked against.
    pub fn canonical_reference(&self) -> Result<Vec<u8>, CanonicalError> {
        let mut v = serde_json::to_value(self).map_err(|e| CanonicalError(e.to_string()))?;
        if let Value::Object(m) = &mut v {
            m.remove("hash");
        }
        serde_json_canonicalizer::to_vec(&v).map_err(|e| CanonicalError(e.to_string()))
    }

    /// The hash this record must carry given its `prev_hash`.
    pub fn compute_hash(&self) -> Result<String, CanonicalError> {
        let canonical = self.canonical()?;
        Ok(chain_hash(&self.prev_hash, &canonical))
    }

    /// Places the record after `(prev_seq, prev_hash)` and computes its hash.
    pub fn chain_after(&mut self, prev_seq: u64, prev_hash: &str) -> Result<(), CanonicalError> {
        self.seq = prev_seq + 1;
        self.prev_hash = prev_hash.to_string();
        self.hash = self.compute_hash()?;
        Ok(())
    }
}

/// `SHA-256(prev_hash_hex_ascii || canonical)` as lowercase hex.
pub fn chain_hash(prev_hash: &str, canonical: &[u8]) -> String {
    let mut h = Sha256::new();
    h.update(prev_hash.as_bytes());
    h.update(canonical);
    hex::encode(h.finalize())
}

#[cfg(test)]
mod tests;
