//! The tamper-evident audit log (DESIGN §7): records, hash chain, group-commit writer, signed
//! checkpoints, verification, retention. Storage is `store::AuditStore`.

use std::sync::Arc;

use serde_json::Value;

use crate::config::{AuditConfig, OnFailure};
use crate::error::ApiError;
use crate::identity::Caller;
use crate::store::Store;
use crate::webhooks::Webhooks;

pub mod call;
pub mod checkpoint;
pub mod export;
pub mod read;
pub mod record;
pub mod scan;
#[cfg(test)]
pub mod testlog;
pub mod verify;
pub mod witness;
pub mod writer;

use checkpoint::{CheckpointSigner, CheckpointVerifier};
use record::{CallerInfo, Record};

pub struct Audit {
    writer: writer::Writer,
    store: Arc<dyn Store>,
    cfg: AuditConfig,
    signer: Option<Arc<CheckpointSigner>>,
    webhooks: Webhooks,
}

impl Audit {
    pub fn start(
        store: Arc<dyn Store>,
        cfg: AuditConfig,
        signer: Option<Arc<CheckpointSigner>>,
        webhooks: Webhooks,
    ) -> Arc<Audit> {
        let writer = writer::Writer::start(store.clone(), signer.clone(), cfg.clone());
        let audit = Arc::new(Audit {
            writer,
            store,
            cfg,
            signer,
            webhooks,
        });
        if audit.cfg.retention.is_some() {
            tokio::spawn(read::retention_loop(audit.clone()));
        }
        audit
    }

    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    pub fn cfg(&self) -> &AuditConfig {
        &self.cfg
    }

    pub fn signer(&self) -> Option<&Arc<CheckpointSigner>> {
        self.signer.as_ref()
    }

    /// The verifier for this instance's own checkpoints.
    pub fn verifier(&self) -> Option<CheckpointVerifier> {
        self.signer
            .as_ref()
            .and_then(|s| CheckpointVerifier::from_verifier_key(&s.verifier_key()).ok())
    }

    pub fn webhooks(&self) -> &Webhooks {
        &self.webhooks
    }

    /// Commits a record. With `audit.on_failure = "closed"` (the default) a failure is an error
    /// the caller must turn into a refusal; with `"open"` it is logged and the call goes on.
    pub async fn commit(&self, record: Record) -> Result<Option<u64>, ApiError> {
        self.commit_ref(&record).await
    }

    /// `commit` for a record the caller keeps (its canonical bytes are all the log needs).
    pub async fn commit_ref(&self, record: &Record) -> Result<Option<u64>, ApiError> {
        let prepared = record
            .prepare()
            .map_err(|e| ApiError::Internal(e.to_string()))?;
        match self.writer.append(prepared).await {
            Ok((seq, _)) => Ok(Some(seq)),
            Err(e) if self.cfg.on_failure == OnFailure::Open => {
                metrics::counter!("parapet_audit_failed_open_total").increment(1);
                tracing::error!(error = %e, "audit record lost (audit.on_failure = open)");
                Ok(None)
            }
            Err(e) => Err(ApiError::AuditUnavailable(e.0)),
        }
    }

    /// Signs a checkpoint of the head now (graceful shutdown: the tail is always signed).
    pub async fn checkpoint_now(&self) {
        self.writer.checkpoint_now().await;
    }

    /// Records an administrative change `{target, before, after}`.
    pub async fn admin_change(
        &self,
        caller: &Caller,
        kind: &str,
        target: &str,
        before: Value,
        after: Value,
    ) -> Result<Option<u64>, ApiError> {
        let mut rec = Record::new(kind, caller_info(Some(caller)));
        rec.change = Some(serde_json::json!({"target": target, "before": before, "after": after}));
        self.commit(rec).await
    }
}

pub fn caller_info(caller: Option<&Caller>) -> CallerInfo {
    match caller {
        Some(c) => CallerInfo {
            kind: serde_json::to_value(c.kind)
                .ok()
                .and_then(|v| v.as_str().map(String::from))
                .unwrap_or_default(),
            id: c.id.clone(),
            principal_id: c.principal_id.clone(),
            groups: c.groups.clone(),
            key_id: c.key_id.clone(),
            team: c.team.clone(),
        },
        None => CallerInfo {
            kind: "anonymous".into(),
            id: String::new(),
            ..CallerInfo::default()
        },
    }
}

impl Record {
    /// A new unchained record of `kind` by `caller`, stamped now.
    pub fn new(kind: &str, caller: CallerInfo) -> Record {
        Record {
            seq: 0,
            id: uuid::Uuid::now_v7().to_string(),
            ts: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
            kind: kind.to_string(),
            caller,
            aida_credential_id: None,
            aida_scope_verified: None,
            request: None,
            response: None,
            usage: None,
            cost_usd: None,
            latency_ms: None,
            guardrails: None,
            policy: None,
            change: None,
            prev_hash: String::new(),
            hash: String::new(),
        }
    }
}
