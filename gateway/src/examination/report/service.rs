//! Gathers what a report is computed from, builds it, audits its generation and keeps it.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde_json::{json, Value};

use super::cache::{self, StoredReport};
use super::request::{self, ReportRequest};
use super::window::WindowVisitor;
use super::{build, AuditState, Inputs};
use crate::aida::credential::Credential;
use crate::audit::checkpoint::CheckpointVerifier;
use crate::audit::scan::{scan, seek, TsWindow, Verify};
use crate::audit::Audit;
use crate::error::ApiError;
use crate::examination::load_inventory;
use crate::identity::Caller;
use crate::store::{Docs, KeyRecord, Records, Store, StoreError};

fn unavailable(e: StoreError) -> ApiError {
    ApiError::StoreUnavailable(e.to_string())
}

/// Where a report's data comes from, and what is configured.
pub struct Sources<'a> {
    pub store: &'a dyn Store,
    /// Checks signed checkpoints; `None` when no signing key is configured.
    pub verifier: Option<&'a CheckpointVerifier>,
    pub aida_enabled: bool,
    pub policies_enforced: bool,
    pub supervision_retention_days: u64,
}

/// Reads everything the report needs: one pass over the audit log (from where the period can
/// begin, or from the start when the chain is verified) alongside the documents and secrets.
pub async fn gather(
    src: &Sources<'_>,
    req: &ReportRequest,
    progress: impl FnMut(u64, u64),
) -> Result<Inputs, ApiError> {
    let store = src.store;
    let (start, end) = (req.period.start_ts(), req.period.end_ts());
    let after = seek(store, &start).await.map_err(unavailable)?;
    let visitor = WindowVisitor::new(TsWindow::new(Some(&start), Some(&end)), after);
    let verifies = req.report_type.verifies();
    let scan_log = async {
        if verifies {
            let verify = Verify {
                verifier: src.verifier,
                stop_at_break: false,
            };
            scan(store, 0, Some(verify), visitor, progress).await
        } else {
            scan(store, after, None, visitor, progress).await
        }
    };
    let documents = async {
        let credentials = if src.aida_enabled {
            Some(store.list_records::<Credential>().await?)
        } else {
            None
        };
        Ok::<_, StoreError>((
            load_inventory(store).await?,
            store.list_docs().await?,
            store.list_docs().await?,
            store.list_docs().await?,
            store.list_docs().await?,
            store.list_records::<KeyRecord>().await?,
            credentials,
        ))
    };
    let (scanned, docs) = tokio::join!(scan_log, documents);
    let scanned = scanned.map_err(ApiError::StoreUnavailable)?;
    let (inventory, barriers, violations, approvals, grants, keys, credentials) =
        docs.map_err(unavailable)?;
    let audit = scanned.verification.map(|verification| AuditState {
        verification,
        head_seq: scanned.head_seq,
        signing: src.verifier.is_some(),
        latest_checkpoint: scanned.checkpoints.iter().max_by_key(|c| c.seq).cloned(),
        checkpoints: scanned.checkpoints.len(),
    });
    Ok(Inputs {
        inventory,
        barriers,
        violations,
        supervision_retention_days: src.supervision_retention_days,
        approvals,
        grants,
        keys,
        credentials,
        policies_enforced: src.policies_enforced,
        window: scanned.visitor.window,
        audit,
    })
}

/// The report service of the admin API.
pub struct Reports {
    store: Arc<dyn Store>,
    audit: Arc<Audit>,
    aida_enabled: bool,
    policies_enforced: bool,
    supervision_retention_days: u64,
}

impl Reports {
    pub fn new(
        store: Arc<dyn Store>,
        audit: Arc<Audit>,
        aida_enabled: bool,
        policies_enforced: bool,
        supervision_retention_days: u64,
    ) -> Reports {
        Reports {
            store,
            audit,
            aida_enabled,
            policies_enforced,
            supervision_retention_days,
        }
    }

    /// `POST /api/examination/report`: the cached report for the same type and period when
    /// one was generated less than 24 h ago (`cached: true`), else a new one, whose generation
    /// is on the audit log (`admin.report.generate`, with the report's SHA-256) before it is
    /// stored and answered.
    pub async fn create(
        &self,
        caller: &Caller,
        body: &Value,
        now: DateTime<Utc>,
    ) -> Result<Value, ApiError> {
        let req = request::parse(body)?;
        let key = req.cache_key();
        if let Some(hit) = cache::lookup(self.store.as_ref(), &key, now)
            .await
            .map_err(unavailable)?
        {
            return Ok(answer(hit.report, true));
        }
        let verifier = self.audit.verifier();
        let src = Sources {
            store: self.store.as_ref(),
            verifier: verifier.as_ref(),
            aida_enabled: self.aida_enabled,
            policies_enforced: self.policies_enforced,
            supervision_retention_days: self.supervision_retention_days,
        };
        let inputs = gather(&src, &req, |_, _| {}).await?;
        let id = uuid::Uuid::now_v7().to_string();
        let report = build(&req, &inputs, &id, now);
        let stored = StoredReport {
            id: id.clone(),
            cache_key: key,
            generated_at: now,
            sha256: cache::digest(&report),
            report,
        };
        let after = json!({
            "report_type": req.report_type.as_str(),
            "period_start": req.period.start_ts(),
            "period_end": req.period.end_ts(),
            "report_sha256": stored.sha256,
            "governance_score": stored.report["executive_summary"]["governance_score"],
        });
        self.audit
            .admin_change(caller, "admin.report.generate", &id, Value::Null, after)
            .await?;
        cache::save(self.store.as_ref(), &stored)
            .await
            .map_err(unavailable)?;
        Ok(answer(stored.report, false))
    }

    /// `GET /api/examination/report/{id}`.
    pub async fn get(&self, id: &str) -> Result<Value, ApiError> {
        cache::get(self.store.as_ref(), id)
            .await
            .map_err(unavailable)?
            .map(|r| r.report)
            .ok_or_else(|| ApiError::NotFound(format!("no report '{id}'")))
    }
}

fn answer(mut report: Value, cached: bool) -> Value {
    report["cached"] = json!(cached);
    report
}
