//! FFIEC IT examination: third-party AI providers (use and cost in the period), access controls
//! (virtual keys and agent credentials by state) and audit completeness (records in the period,
//! chain verification over the whole log, the latest signed checkpoint).

use chrono::{DateTime, Utc};
use serde_json::{json, Value};

use super::request::Period;
use super::window::Window;
use super::AuditState;
use crate::aida::credential::Credential;
use crate::examination::inventory::{entry_id, InventoryEntry};
use crate::examination::limits::usd;
use crate::examination::pricing::round_usd;
use crate::store::KeyRecord;

/// Bearer secrets (virtual keys, agent credentials) by state at one instant.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SecretStates {
    pub total: u64,
    pub active: u64,
    pub expired: u64,
    pub revoked: u64,
    pub issued_in_period: u64,
    pub revoked_in_period: u64,
    pub active_without_expiry: u64,
}

/// One secret: when it was made, expires and was revoked.
pub type Life = (DateTime<Utc>, Option<DateTime<Utc>>, Option<DateTime<Utc>>);

/// States at `as_of` of the secrets that existed then; issue and revocation counts in `period`.
pub fn secret_states(
    lives: impl Iterator<Item = Life>,
    as_of: DateTime<Utc>,
    period: &Period,
) -> SecretStates {
    let mut s = SecretStates::default();
    for (created, expires, revoked) in lives {
        if period.contains(created) {
            s.issued_in_period += 1;
        }
        if revoked.is_some_and(|r| period.contains(r)) {
            s.revoked_in_period += 1;
        }
        if created > as_of {
            continue;
        }
        s.total += 1;
        if revoked.is_some_and(|r| r <= as_of) {
            s.revoked += 1;
        } else if expires.is_some_and(|e| e <= as_of) {
            s.expired += 1;
        } else {
            s.active += 1;
            s.active_without_expiry += u64::from(expires.is_none());
        }
    }
    s
}

pub fn key_states(keys: &[KeyRecord], as_of: DateTime<Utc>, period: &Period) -> SecretStates {
    secret_states(
        keys.iter()
            .map(|k| (k.created_at, k.expires_at, k.revoked_at)),
        as_of,
        period,
    )
}

pub fn credential_states(
    creds: &[Credential],
    as_of: DateTime<Utc>,
    period: &Period,
) -> SecretStates {
    secret_states(
        creds
            .iter()
            .map(|c| (c.issued_at, Some(c.expires_at), c.revoked_at)),
        as_of,
        period,
    )
}

fn states_json(s: &SecretStates) -> Value {
    json!({"status": "ok", "total": s.total, "active": s.active, "expired": s.expired,
           "revoked": s.revoked, "issued_in_period": s.issued_in_period,
           "revoked_in_period": s.revoked_in_period,
           "active_without_expiry": s.active_without_expiry})
}

fn providers(window: &Window, inv: &[InventoryEntry]) -> Vec<Value> {
    window
        .providers
        .iter()
        .map(|(provider, models)| {
            let sum = |f: fn(&super::window::ModelUse) -> u64| models.values().map(f).sum::<u64>();
            let models: Vec<Value> = models
                .iter()
                .map(|(model, u)| {
                    let id = entry_id(provider, model);
                    let tier = inv
                        .iter()
                        .find(|e| e.classification.id == id)
                        .map(|e| json!(e.classification.risk_tier))
                        .unwrap_or(Value::Null);
                    json!({"model": model, "inventory_id": id, "risk_tier": tier,
                           "requests": u.requests, "failed": u.failed,
                           "prompt_tokens": u.prompt_tokens,
                           "completion_tokens": u.completion_tokens,
                           "cost_usd": round_usd(usd(u.cost_nano))})
                })
                .collect();
            json!({
                "provider": provider,
                "requests": sum(|u| u.requests),
                "failed": sum(|u| u.failed),
                "prompt_tokens": sum(|u| u.prompt_tokens),
                "completion_tokens": sum(|u| u.completion_tokens),
                "cost_usd": round_usd(usd(sum(|u| u.cost_nano))),
                "inventory_models": inv.iter().filter(|e| e.classification.provider == *provider).count(),
                "models": models,
            })
        })
        .collect()
}

pub struct AccessInputs<'a> {
    pub keys: &'a [KeyRecord],
    pub credentials: Option<&'a [Credential]>,
    pub as_of: DateTime<Utc>,
    pub policies_enforced: bool,
}

fn admin_changes(window: &Window) -> serde_json::Map<String, Value> {
    window
        .by_kind
        .iter()
        .filter(|(k, _)| {
            ["admin.", "credential.", "grant."]
                .iter()
                .any(|p| k.starts_with(p))
        })
        .map(|(k, n)| (k.clone(), json!(n)))
        .collect()
}

pub fn section(
    window: &Window,
    inv: &[InventoryEntry],
    access: &AccessInputs<'_>,
    audit: &AuditState,
    period: &Period,
) -> Value {
    let keys = key_states(access.keys, access.as_of, period);
    let creds = match access.credentials {
        Some(c) => states_json(&credential_states(c, access.as_of, period)),
        None => json!({"status": "not_configured",
                       "detail": "agent credentials (AIDA) are not enabled: AIDA_SIGNING_SECRET is not set"}),
    };
    let v = &audit.verification;
    let checkpoint = if !audit.signing {
        json!({"status": "not_configured",
               "detail": "no audit signing key (PARAPET_AUDIT_SIGNING_KEY): the chain is not anchored by signed checkpoints"})
    } else {
        match &audit.latest_checkpoint {
            Some(cp) => json!({"status": "ok", "seq": cp.seq, "origin": cp.origin,
                               "head_hash": cp.head_hash, "signed_checkpoints": audit.checkpoints}),
            None => json!({"status": "none_yet", "signed_checkpoints": 0}),
        }
    };
    json!({
        "title": "FFIEC IT examination: third parties, access, audit",
        "sources": ["audit_log", "inventory", "virtual_keys", "agent_credentials", "audit_chain_verification", "audit_checkpoints"],
        "third_party_providers": providers(window, inv),
        "access_controls": {
            "as_of": access.as_of,
            "virtual_keys": states_json(&keys),
            "agent_credentials": creds,
            "distinct_keys_used_in_period": window.keys.len(),
            "distinct_callers_in_period": window.caller_count(),
            "calls_in_period": window.calls,
            "refused_calls_by_code": window.refusals,
            "agent_credential_calls": window.aida_calls,
            "agent_scope_refusals": window.aida_scope_denied,
            "policy_enforcement": if access.policies_enforced { "enforced" } else { "not_configured" },
            "administrative_changes_in_period": admin_changes(window),
        },
        "audit_completeness": {
            "records_in_period": window.records,
            "first_seq_in_period": window.first_seq,
            "last_seq_in_period": window.last_seq,
            "records_by_kind": window.by_kind,
            "log_head_seq": audit.head_seq,
            "chain_verification": {
                "scope": "whole_log",
                "ok": v.ok,
                "records_checked": v.report.records_checked,
                "first_seq": v.report.first_seq,
                "last_seq": v.report.last_seq,
                "head_hash": v.report.head_hash,
                "checkpoints_checked": v.report.checkpoints_checked,
                "first_break": v.report.first_break.as_ref().map(|b| b.to_string()),
                "invalid_checkpoints": v.invalid_checkpoints,
            },
            "latest_signed_checkpoint": checkpoint,
        },
    })
}
