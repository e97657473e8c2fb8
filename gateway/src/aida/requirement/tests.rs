use std::sync::Arc;

use chrono::{Duration, Utc};
use serde_json::json;

use super::*;
use crate::aida::credential::{issue, NewCredential};
use crate::secret::Secret;
use crate::store::embedded::EmbeddedStore;

const SECRET: &str = "requirement-test-secret-0123456789abcdef0123";

fn credential(scopes: &[&str], accounts: &[&str]) -> Credential {
    let req = NewCredential {
        principal_id: "alice".into(),
        agent_id: "ap-bot".into(),
        authorized_scopes: scopes.iter().map(|s| s.to_string()).collect(),
        max_transaction_usd: Some(10_000.0),
        allowed_account_ids: accounts.iter().map(|s| s.to_string()).collect(),
        expires_at: Utc::now() + Duration::days(1),
    };
    issue(req, Utc::now(), SECRET.as_bytes(), "id-1".into(), "ac-test").unwrap()
}

fn code(r: Result<(), Refusal>) -> &'static str {
    match r {
        Ok(()) => "allowed",
        Err(r) => r.code,
    }
}

#[test]
fn payloads_are_checked_scope_first_then_amount_then_account() {
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(EmbeddedStore::open(&dir.path().join("s.redb")).unwrap());
    let aida = Aida::new(store, Secret::new(SECRET));
    let pay: Scope = "initiate_payments".parse().unwrap();
    let read: Scope = "read_only".parse().unwrap();
    let amount = crate::aida::jsonpath::parse("$.amount_usd").unwrap();
    let account = crate::aida::jsonpath::parse("$.account_id").unwrap();
    let both = [pay.clone(), read.clone()];
    let wire = Requirement {
        scopes: std::slice::from_ref(&pay),
        amount: Some(&amount),
        account: Some(&account),
    };
    let two_scopes = Requirement {
        scopes: &both,
        ..wire
    };
    let no_scope = Requirement {
        scopes: &[],
        amount: Some(&amount),
        account: None,
    };
    let payer = credential(&["initiate_payments"], &[]);
    let limited = credential(&["initiate_payments"], &["ACC-1"]);
    let reader = credential(&["read_only"], &[]);
    let cases: [(&str, &Credential, Requirement<'_>, serde_json::Value, &str); 10] = [
        (
            "under the cap",
            &payer,
            wire,
            json!({"amount_usd": 9999.0}),
            "allowed",
        ),
        (
            "over the cap",
            &payer,
            wire,
            json!({"amount_usd": 10001}),
            "amount_over_limit",
        ),
        (
            "no amount",
            &payer,
            wire,
            json!({"to": "x"}),
            "amount_missing",
        ),
        (
            "amount as text",
            &payer,
            wire,
            json!({"amount_usd": "lots"}),
            "amount_malformed",
        ),
        (
            "scope before a missing amount",
            &reader,
            wire,
            json!({}),
            "scope_not_granted",
        ),
        (
            "every scope is needed",
            &payer,
            two_scopes,
            json!({"amount_usd": 1}),
            "scope_not_granted",
        ),
        (
            "no account, all accounts allowed",
            &payer,
            wire,
            json!({"amount_usd": 1}),
            "allowed",
        ),
        (
            "no account, named accounts only",
            &limited,
            wire,
            json!({"amount_usd": 1}),
            "account_missing",
        ),
        (
            "account not on the list",
            &limited,
            wire,
            json!({"amount_usd": 1, "account_id": "ACC-2"}),
            "account_not_allowed",
        ),
        (
            "no scope still checks the cap",
            &reader,
            no_scope,
            json!({"amount_usd": 20000}),
            "amount_over_limit",
        ),
    ];
    for (name, cred, req, payload, want) in cases {
        assert_eq!(
            code(aida.check_payload(cred, &req, &payload)),
            want,
            "{name}"
        );
    }
    let mut revoked = payer.clone();
    revoked.revoked_at = Some(Utc::now());
    assert_eq!(
        code(aida.check_payload(&revoked, &wire, &json!({"amount_usd": 20000}))),
        "credential_revoked",
        "revocation is reported before anything about the payload"
    );
}
