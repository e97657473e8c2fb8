#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "benchmark: a failed step should stop it"
)]
//! Examination report benchmark: seeds `REPORT_BENCH_RECORDS` (default 1,000,000) audit records
//! spread over 30 days into the embedded store (a temp dir) and, when `REDIS_URL` is set (an
//! empty Redis: it is flushed), into Redis; then times a COMPREHENSIVE report over the whole
//! period (one pass over every record, chain verified) and a FINRA report over one day (the
//! time seek skips the rest). Run by `bench/report`, which starts its own redis-server.

/// The allocator the `parapet` binary runs with (see `gateway/src/main.rs`).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::sync::Arc;
use std::time::Instant;

use chrono::{Duration, TimeZone, Utc};
use parapet::audit::record::{Record, RequestInfo, ResponseInfo, UsageInfo, GENESIS};
use parapet::audit::{caller_info, scan::stamp};
use parapet::config::StoreConfig;
use parapet::examination::report::build;
use parapet::examination::report::request::parse;
use parapet::examination::report::service::{gather, Sources};
use parapet::store::{self, Store};
use serde_json::json;

const MODELS: [(&str, &str); 4] = [
    ("openai", "gpt-4o-mini"),
    ("openai", "gpt-4o"),
    ("anthropic", "claude-3-5-haiku"),
    ("azure", "gpt-4o"),
];

fn record(i: u64, n: u64) -> Record {
    let start = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
    let step = Duration::days(30).num_microseconds().unwrap() / n as i64;
    let mut r = Record::new(
        if i % 500 == 0 {
            "admin.key.create"
        } else {
            "llm.call"
        },
        caller_info(None),
    );
    r.ts = stamp(start + Duration::microseconds(step * i as i64));
    r.caller.kind = "user".into();
    r.caller.id = format!("user-{}", i % 1000);
    r.caller.key_id = Some(format!("key-{}", i % 200));
    let (provider, model) = MODELS[(i % 4) as usize];
    r.request = Some(RequestInfo {
        route: "/v1/chat/completions".into(),
        model_requested: Some(model.into()),
        provider: Some(provider.into()),
        model_served: Some(model.into()),
        stream: i % 2 == 0,
        prompt_sha256: Some("ab".repeat(32)),
        ..RequestInfo::default()
    });
    let status = if i % 97 == 0 { 403 } else { 200 };
    r.response = Some(ResponseInfo {
        status,
        finish_reason: Some("stop".into()),
        response_sha256: Some("cd".repeat(32)),
        error: (status == 403).then(|| "information_barrier".into()),
        ..ResponseInfo::default()
    });
    r.usage = Some(UsageInfo {
        prompt_tokens: 120,
        completion_tokens: 40,
        cached_tokens: 0,
        usage_estimated: false,
    });
    r.cost_usd = Some(0.000042);
    r.latency_ms = Some(i % 700);
    r
}

async fn seed(store: &dyn Store, n: u64) {
    let t = Instant::now();
    let mut head = (0u64, GENESIS.to_string());
    let mut seq = 0u64;
    while seq < n {
        let expected = head.clone();
        let mut batch = Vec::with_capacity(2000);
        for _ in 0..2000.min(n - seq) {
            let mut r = record(seq, n);
            r.chain_after(head.0, &head.1).unwrap();
            head = (r.seq, r.hash.clone());
            batch.push((r.seq, r.canonical_stored().unwrap()));
            seq += 1;
        }
        assert!(store
            .audit_append(&expected, &batch, &head)
            .await
            .unwrap()
            .is_none());
    }
    println!("  seeded {n} records in {:.1} s", t.elapsed().as_secs_f64());
}

async fn time_report(store: &dyn Store, name: &str, kind: &str, from: &str, to: &str) {
    let req = parse(&json!({"report_type": kind, "period_start": from, "period_end": to})).unwrap();
    let src = Sources {
        store,
        verifier: None,
        aida_enabled: true,
        policies_enforced: false,
        supervision_retention_days: 90,
    };
    let t = Instant::now();
    let inputs = gather(&src, &req, |_, _| {}).await.unwrap();
    let report = build(&req, &inputs, "bench", Utc::now());
    let secs = t.elapsed().as_secs_f64();
    println!(
        "  {name}: {kind} {from}..{to}: {} records in period, {secs:.2} s",
        report["audit_records_in_period"]
    );
    if let Some(ok) =
        report["sections"]["ffiec"]["audit_completeness"]["chain_verification"]["ok"].as_bool()
    {
        assert!(ok, "the seeded chain verifies");
    }
}

async fn run(store: Arc<dyn Store>, name: &str, n: u64) {
    println!("{name}:");
    seed(store.as_ref(), n).await;
    let s = store.as_ref();
    time_report(s, name, "COMPREHENSIVE", "2026-01-01", "2026-01-30").await;
    time_report(s, name, "COMPREHENSIVE", "2026-01-01", "2026-01-30").await;
    time_report(s, name, "FINRA", "2026-01-15", "2026-01-15").await;
    time_report(s, name, "SR11-7", "2026-01-01", "2026-01-30").await;
}

#[tokio::main]
async fn main() {
    let n: u64 = std::env::var("REPORT_BENCH_RECORDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bench.redb");
    let embedded = store::open(&StoreConfig::Embedded { path }).await.unwrap();
    run(embedded, "embedded (redb)", n).await;
    if let Ok(url) = std::env::var("REDIS_URL") {
        let mut conn = redis::Client::open(url.as_str())
            .unwrap()
            .get_multiplexed_async_connection()
            .await
            .unwrap();
        let _: () = redis::cmd("FLUSHALL").query_async(&mut conn).await.unwrap();
        let redis_store = store::open(&StoreConfig::Redis { url }).await.unwrap();
        run(redis_store, "redis", n).await;
    } else {
        println!("REDIS_URL not set: Redis skipped (bench/report starts one)");
    }
}
