//! Decision latency with 10 and 1,000 policies, and a batch of 100 decisions.
//! Run: `cargo bench -p parapet-policies`. Targets (DESIGN §13): ≤ 0.5 µs with 10 policies,
//! ≤ 2 µs with 1,000, ≤ 1 ms for a batch of 100.
#![expect(
    clippy::unwrap_used,
    reason = "bench setup: bad fixtures should stop the run"
)]

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use parapet_policies::{evaluate, evaluate_with, Facts, Policy, PolicySet, Request, Role, Roles};
use serde_json::{json, Value};

/// `n` policies over `n / 10` namespaces: per namespace exact actions with conditions, a
/// wildcard rule, and a few rules starting with a wildcard — the shapes the packs use.
fn policies(n: usize) -> Vec<Policy> {
    (0..n)
        .map(|i| {
            let ns = i / 10;
            let (actions, condition): (Value, Value) = match i % 10 {
                0 => (json!([format!("ns{ns}.*")]), json!({"op": "not_in", "args": ["ctx.context.ip_country", ["US", "GB", "DE", "FR", "IE"]]})),
                1 => (json!([format!("ns{ns}.refund.issue")]), json!({"op": "gte", "args": ["ctx.resource.attrs.amount_cents", 100000]})),
                2 => (json!([format!("ns{ns}.record.read")]), json!({"op": "in", "args": ["ctx.resource.attrs.record_type", ["diagnosis", "medication", "lab_result", "imaging"]]})),
                3 => (json!([format!("ns{ns}.host.wipe")]), json!({"op": "or", "args": [
                    {"op": "lt", "args": ["ctx.resource.attrs.threat_confidence", 0.9]},
                    {"op": "eq", "args": ["ctx.context.mfa_verified", false]}]})),
                4 if i % 100 == 4 => (json!(["*.audit"]), json!({"op": "eq", "args": ["ctx.subject.type", "service"]})),
                _ => (json!([format!("ns{ns}.a{i}.read"), format!("ns{ns}.a{i}.write")]), json!({"op": "and", "args": [
                    {"op": "eq", "args": ["ctx.context.mfa_verified", true]},
                    {"op": "starts_with", "args": ["ctx.resource.id", "acct_"]}]})),
            };
            let effect = ["allow", "deny", "require_approval"][i % 3];
            serde_json::from_value(json!({"id": format!("p{i:05}"), "display_name": format!("policy {i}"),
                "effect": effect, "priority": (i * 7919) % 1000,
                "actions": actions, "condition": condition}))
            .unwrap()
        })
        .collect()
}

fn request(ns: usize, action: &str, amount: i64) -> Request {
    Request::from_value(json!({
        "subject_type": "agent", "subject_id": "agent-1", "action": format!("ns{ns}.{action}"),
        "resource": {"type": "payment", "id": "acct_1", "attrs": {"amount_cents": amount, "record_type": "demographics", "threat_confidence": 0.95}},
        "context": {"time": "10:30", "ip_country": "US", "mfa_verified": true},
    }))
    .unwrap()
}

fn bench(c: &mut Criterion) {
    for n in [10usize, 1000] {
        let set = PolicySet::compile(policies(n)).unwrap();
        let ns = (n / 10).saturating_sub(1) / 2;
        let req = request(ns, "refund.issue", 150_000);
        c.bench_function(&format!("evaluate/{n}_policies"), |b| {
            b.iter(|| evaluate(black_box(&set), black_box(&req)))
        });
    }

    let set = PolicySet::compile(policies(1000)).unwrap();
    let roles = Roles::compile(vec![Role {
        name: "agent".into(),
        description: None,
        actions: vec!["ns*.*".into()],
    }])
    .unwrap();
    let held = vec!["agent".to_owned()];
    let facts = Facts {
        subject_roles: &held,
        rbac: Some(&roles),
        ..Facts::default()
    };
    let req = request(42, "host.wipe", 10);
    c.bench_function("evaluate_with_rbac/1000_policies", |b| {
        b.iter(|| evaluate_with(black_box(&set), black_box(&req), black_box(&facts)))
    });

    let actions = [
        "refund.issue",
        "record.read",
        "host.wipe",
        "a5.read",
        "a7.write",
        "unknown.thing",
    ];
    let batch: Vec<Request> = (0..100)
        .map(|i| request(i % 100, actions[i % actions.len()], (i as i64) * 5000))
        .collect();
    c.bench_function("evaluate/batch_100_of_1000_policies", |b| {
        b.iter(|| {
            batch
                .iter()
                .map(|r| evaluate(&set, r))
                .filter(|d| d.effect == parapet_policies::Effect::Allow)
                .count()
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
