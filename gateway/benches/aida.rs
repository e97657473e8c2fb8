#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "benchmark: a failed step should stop it"
)]
//! The agent credential check on a call with a cached credential: the enforcer (revocation,
//! expiry, HMAC fingerprint over the canonical credential, scope, amount, account) and the
//! tool-call check with argument parsing. Run: `cargo bench -p parapet --bench aida`.

use std::time::Instant;

use chrono::{Duration, Utc};
use parapet::aida::credential::{issue, NewCredential, Scope};
use parapet::aida::enforce::{enforce, Action, AmountArg};

fn percentile(mut v: Vec<f64>, p: f64) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    v[((v.len() as f64 - 1.0) * p) as usize]
}

fn main() {
    let secret = b"aida-bench-secret-0123456789abcdef0123456789";
    let req = NewCredential {
        principal_id: "alice".into(),
        agent_id: "ap-bot".into(),
        authorized_scopes: vec!["initiate_payments".into(), "read_only".into()],
        max_transaction_usd: Some(10_000.0),
        allowed_account_ids: vec!["ACC-1".into(), "ACC-2".into()],
        expires_at: Utc::now() + Duration::days(30),
    };
    let cred = issue(
        req,
        Utc::now(),
        secret,
        "01936f6e-0000-7000-8000-000000000000".into(),
        "ac-bench",
    )
    .unwrap();
    let scope = Scope::InitiatePayments;
    let cases: [(&str, Action); 2] = [
        (
            "call (no tool)",
            Action {
                scope: None,
                amount_usd: None,
                account_id: None,
            },
        ),
        (
            "tool call (scope, amount, account)",
            Action {
                scope: Some(&scope),
                amount_usd: Some(AmountArg::Number(9_999.0)),
                account_id: Some("ACC-1"),
            },
        ),
    ];
    for (name, action) in cases {
        for _ in 0..1000 {
            enforce(&cred, secret, &action, Utc::now()).unwrap();
        }
        let mut samples = Vec::with_capacity(100_000);
        for _ in 0..100_000 {
            let t = Instant::now();
            std::hint::black_box(enforce(&cred, secret, &action, Utc::now())).unwrap();
            samples.push(t.elapsed().as_secs_f64() * 1e6);
        }
        println!(
            "credential check, {name}: p50 {:.2} us, p99 {:.2} us",
            percentile(samples.clone(), 0.5),
            percentile(samples, 0.99)
        );
    }
}
