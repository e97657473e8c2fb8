//! The audit record (DESIGN §7) and its place in the hash chain:
//! `hash = SHA-256(prev_hash || canonical_json(record without hash))`, canonical JSON per
//! RFC 8785, `prev_hash` taken as its 64 lowercase hex characters, genesis `prev_hash` = 64 zeros.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

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

impl Record {
    /// RFC 8785 canonical JSON of the record without its `hash`.
    pub fn canonical(&self) -> Result<Vec<u8>, CanonicalError> {
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
mod tests {
    use super::*;

    pub fn sample(kind: &str) -> Record {
        Record {
            seq: 0,
            id: "01936f6e-0000-7000-8000-000000000000".into(),
            ts: "2026-11-23T10:00:00.000000Z".into(),
            kind: kind.into(),
            caller: CallerInfo {
                kind: "user".into(),
                id: "alice".into(),
                ..Default::default()
            },
            aida_credential_id: None,
            aida_scope_verified: None,
            request: None,
            response: None,
            usage: None,
            cost_usd: None,
            latency_ms: Some(3),
            guardrails: None,
            policy: None,
            change: None,
            prev_hash: String::new(),
            hash: String::new(),
        }
    }

    #[test]
    fn chaining_sets_seq_prev_and_a_hash_over_canonical_json() {
        let mut a = sample("llm.call");
        a.chain_after(0, GENESIS).unwrap();
        assert_eq!(a.seq, 1);
        assert_eq!(a.hash.len(), 64);
        let mut b = sample("llm.call");
        b.chain_after(a.seq, &a.hash).unwrap();
        assert_eq!((b.seq, b.prev_hash.as_str()), (2, a.hash.as_str()));
        assert_ne!(
            a.hash, b.hash,
            "same content, different place, different hash"
        );
        // the hash does not cover itself, and any field change changes it
        let mut c = b.clone();
        c.hash = "x".into();
        assert_eq!(c.compute_hash().unwrap(), b.hash);
        c.latency_ms = Some(4);
        assert_ne!(c.compute_hash().unwrap(), b.hash);
    }

    #[test]
    fn canonical_form_sorts_keys_and_drops_the_hash() {
        let mut a = sample("admin.key.create");
        a.hash = "abc".into();
        let text = String::from_utf8(a.canonical().unwrap()).unwrap();
        assert!(!text.contains("\"hash\""));
        let keys: Vec<usize> = [
            "\"aida_credential_id\"",
            "\"caller\"",
            "\"kind\"",
            "\"seq\"",
            "\"ts\"",
        ]
        .iter()
        .map(|k| text.find(k).unwrap())
        .collect();
        assert!(keys.windows(2).all(|w| w[0] < w[1]), "keys sorted: {text}");
    }
}
