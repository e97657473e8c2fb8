//! Writing a trigger down: the `barrier.violation` audit record, then the supervision record
//! that points at it, then (Alert) the compliance webhook. Old records are trimmed after the
//! retention period, which is never less than 90 days.

use std::sync::Weak;
use std::time::Duration;

use serde_json::json;

use super::model::{BarrierAction, Trigger};
use super::supervision::{excerpt, Violation};
use super::{label_names, Guard, Seen};
use crate::audit::caller_info;
use crate::audit::record::Record;
use crate::error::ApiError;
use crate::store::Docs;

/// The webhook event compliance subscribes to.
pub const ALERT_EVENT: &str = "barrier.violation";

pub async fn write(
    guard: &Guard,
    t: &Trigger,
    seen: &Seen<'_>,
    text: &str,
) -> Result<Violation, ApiError> {
    let labels: Vec<String> = label_names(t.labels)
        .into_iter()
        .map(String::from)
        .collect();
    let mut rec = Record::new("barrier.violation", caller_info(Some(seen.caller)));
    rec.guardrails = Some(json!({
        "labels": labels,
        "barriers": [t.barrier.id],
        "action": t.barrier.action.as_str(),
        "direction": seen.direction,
        "route": seen.route,
        "request_id": seen.request_id,
    }));
    if let (Some(r), Some(g)) = (seen.recipient, rec.guardrails.as_mut()) {
        g["recipient"] = json!(r.id);
    }
    let audit_seq = guard.audit.commit(rec).await?;
    let v = Violation {
        id: uuid::Uuid::now_v7().to_string(),
        at: super::now(),
        barrier_id: t.barrier.id.clone(),
        barrier_name: t.barrier.name.clone(),
        user: seen.caller.id.clone(),
        groups: seen.caller.groups.clone(),
        labels,
        action: t.barrier.action,
        severity: t.barrier.severity,
        direction: seen.direction,
        excerpt: excerpt(text),
        route: seen.route.to_string(),
        request_id: seen.request_id.map(String::from),
        reviewed: false,
        reviewed_by: None,
        reviewed_at: None,
        review_note: None,
        audit_seq,
        recipient: seen.recipient.cloned(),
    };
    guard
        .store
        .create_doc(&v)
        .await
        .map_err(|e| ApiError::StoreUnavailable(e.to_string()))?;
    metrics::counter!("parapet_barrier_triggers_total", "action" => t.barrier.action.as_str())
        .increment(1);
    tracing::info!(barrier = %t.barrier.id, user = %v.user, action = t.barrier.action.as_str(), direction = ?seen.direction, "information barrier triggered");
    if t.barrier.action == BarrierAction::Alert {
        let mut data = serde_json::to_value(&v).unwrap_or_default();
        if let Some(o) = data.as_object_mut() {
            // The webhook leaves the bank's network perhaps: no content in it.
            o.remove("excerpt");
        }
        guard.audit.webhooks().emit(ALERT_EVENT, data);
    }
    Ok(v)
}

/// Deletes supervision records older than the retention period, hourly.
pub async fn retention_loop(guard: Weak<Guard>) {
    loop {
        let Some(g) = guard.upgrade() else { return };
        let keep = g.cfg.retention;
        let cutoff =
            super::now() - chrono::Duration::from_std(keep).unwrap_or(chrono::TimeDelta::MAX);
        match g.store.list_docs::<Violation>().await {
            Ok(all) => {
                for v in all.iter().filter(|v| v.at < cutoff) {
                    if let Err(e) = g.store.delete_doc::<Violation>(&v.id).await {
                        tracing::warn!(error = %e, "cannot trim a supervision record");
                    }
                }
            }
            Err(e) => tracing::warn!(error = %e, "cannot read supervision records for retention"),
        }
        drop(g);
        tokio::time::sleep(Duration::from_secs(3600)).await;
    }
}
