//! The audit record of one `/v1/*` call, filled in as the call goes and committed before the
//! last byte of the answer: with the body (non-streaming), before `data: [DONE]` (streams),
//! before the error body (failures). A stream whose client left is committed in the background.

use std::sync::Arc;
use std::time::Instant;

use sha2::{Digest, Sha256};

use super::record::{Record, RequestInfo, ResponseInfo, UsageInfo};
use super::{caller_info, Audit};
use crate::error::ApiError;
use crate::examination::settle::CallCost;
use crate::identity::Caller;
use crate::providers::Usage;

pub struct CallDraft {
    pub record: Record,
    started: Instant,
    audit: Arc<Audit>,
    /// The call's reservation and usage estimates, settled when the record is completed.
    pub cost: Option<CallCost>,
}

impl CallDraft {
    pub fn new(audit: Arc<Audit>, caller: Option<&Caller>, route: &str) -> CallDraft {
        Self::of_kind(audit, caller, route, "llm.call")
    }

    /// A draft of another kind of call (`a2a.dispatch`).
    pub fn of_kind(
        audit: Arc<Audit>,
        caller: Option<&Caller>,
        route: &str,
        kind: &str,
    ) -> CallDraft {
        let mut record = Record::new(kind, caller_info(caller));
        record.request = Some(RequestInfo {
            route: route.to_string(),
            ..RequestInfo::default()
        });
        CallDraft {
            record,
            started: Instant::now(),
            audit,
            cost: None,
        }
    }

    pub fn request(&mut self) -> &mut RequestInfo {
        self.record.request.get_or_insert_with(RequestInfo::default)
    }

    pub fn set_usage(&mut self, usage: Option<Usage>) {
        self.record.usage = usage.map(|u| UsageInfo {
            prompt_tokens: u.prompt_tokens,
            completion_tokens: u.completion_tokens,
            cached_tokens: u.cached_tokens,
            usage_estimated: u.estimated,
        });
    }

    /// Prices the call into the record and starts its settlement (inventory, budget
    /// reconciliation) in the background; once. The cost in USD, when the model has a price.
    pub fn settle(&mut self) -> Option<f64> {
        let cost = self.cost.take()?;
        cost.settle(&mut self.record)
    }

    /// Commits the record with this outcome. `Err` means the answer must not be given.
    pub async fn commit(mut self, response: ResponseInfo) -> Result<Option<u64>, ApiError> {
        self.settle();
        self.record.latency_ms = Some(self.started.elapsed().as_millis() as u64);
        self.record.response = Some(response);
        self.audit.commit(self.record).await
    }

    /// Commits the record of a failed call; the error to give the client is returned (the
    /// audit failure instead when the record could not be written).
    pub async fn commit_error(self, err: ApiError) -> ApiError {
        let response = ResponseInfo {
            status: err.status().as_u16(),
            error: Some(err.code().to_string()),
            ..ResponseInfo::default()
        };
        match self.commit(response).await {
            Ok(_) => err,
            // Already a refusal for an unavailable dependency: keep the root cause.
            Err(_) if err.status().as_u16() == 503 => err,
            Err(audit_err) => audit_err,
        }
    }
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}
