#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "benchmark: a failed step should stop it"
)]
//! Audit log benchmark against a real Redis (`REDIS_URL`, an empty one: it is flushed):
//! appends/s from one instance through the group-commit writer, and verification of
//! `AUDIT_BENCH_VERIFY` (default 1,000,000) records read back from Redis.
//! Run by `bench/audit`, which starts its own redis-server.

/// The allocator the `parapet` binary runs with (see `gateway/src/main.rs`).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::sync::Arc;
use std::time::Instant;

use parapet::audit::checkpoint::CheckpointSigner;
use parapet::audit::read::verify_store;
use parapet::audit::record::{Record, RequestInfo, ResponseInfo, UsageInfo, GENESIS};
use parapet::audit::{caller_info, Audit};
use parapet::config::{Config, StoreConfig};
use parapet::store;
use parapet::webhooks::Webhooks;

fn typical(i: u64) -> Record {
    let mut r = Record::new("llm.call", caller_info(None));
    r.caller.kind = "user".into();
    r.caller.id = format!("user-{}", i % 1000);
    r.caller.key_id = Some("01936f6e-0000-7000-8000-000000000000".into());
    r.request = Some(RequestInfo {
        route: "/v1/chat/completions".into(),
        model_requested: Some("gpt-4o-mini".into()),
        provider: Some("openai".into()),
        model_served: Some("gpt-4o-mini".into()),
        stream: i % 2 == 0,
        prompt_sha256: Some("ab".repeat(32)),
        ..RequestInfo::default()
    });
    r.response = Some(ResponseInfo {
        status: 200,
        finish_reason: Some("stop".into()),
        response_sha256: Some("cd".repeat(32)),
        ..ResponseInfo::default()
    });
    r.usage = Some(UsageInfo {
        prompt_tokens: 120,
        completion_tokens: 40,
        cached_tokens: 0,
        usage_estimated: false,
    });
    r.latency_ms = Some(i % 700);
    r
}

fn env_num(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[tokio::main]
async fn main() {
    let url =
        std::env::var("REDIS_URL").expect("REDIS_URL: a redis-server this benchmark may flush");
    let mut conn = redis::Client::open(url.as_str())
        .unwrap()
        .get_multiplexed_async_connection()
        .await
        .unwrap();
    let _: () = redis::cmd("FLUSHALL").query_async(&mut conn).await.unwrap();
    let store = store::open(&StoreConfig::Redis { url: url.clone() })
        .await
        .unwrap();
    let (signer, _) = CheckpointSigner::generate("parapet");
    let audit = Audit::start(
        store.clone(),
        Config::no_config().audit,
        Some(Arc::new(signer)),
        Webhooks::new(vec![]),
    );

    // 1. Appends through the writer: many concurrent callers, as in-flight calls would be.
    let appends = env_num("AUDIT_BENCH_APPENDS", 200_000);
    let callers = env_num("AUDIT_BENCH_CALLERS", 256);
    let start = Instant::now();
    let tasks: Vec<_> = (0..callers)
        .map(|c| {
            let a = audit.clone();
            tokio::spawn(async move {
                let mut i = c;
                while i < appends {
                    a.commit(typical(i)).await.unwrap();
                    i += callers;
                }
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
    let secs = start.elapsed().as_secs_f64();
    println!("appends: {appends} records from {callers} concurrent callers in {secs:.2} s = {:.0} appends/s", appends as f64 / secs);

    // 2. One lone caller: the latency of a single commit (one Redis round trip).
    let mut lat = Vec::new();
    for i in 0..2000 {
        let t = Instant::now();
        audit.commit(typical(i)).await.unwrap();
        lat.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    lat.sort_by(|a, b| a.partial_cmp(b).unwrap());
    println!(
        "single commit latency: p50 {:.3} ms, p99 {:.3} ms",
        lat[lat.len() / 2],
        lat[lat.len() * 99 / 100]
    );

    // Where verification time goes, per record, one core.
    let sample: Vec<Record> = (0..100_000u64)
        .map(|i| {
            let mut r = typical(i);
            r.chain_after(i, GENESIS).unwrap();
            r
        })
        .collect();
    let jsons: Vec<Vec<u8>> = sample
        .iter()
        .map(|r| serde_json::to_vec(r).unwrap())
        .collect();
    let t = Instant::now();
    for r in &sample {
        std::hint::black_box(r.compute_hash().unwrap());
    }
    println!(
        "canonical hash: {:.2} us/record",
        t.elapsed().as_secs_f64() * 1e6 / 100_000.0
    );
    let t = Instant::now();
    for j in &jsons {
        std::hint::black_box(serde_json::from_slice::<Record>(j).unwrap());
    }
    println!(
        "parse record JSON: {:.2} us/record",
        t.elapsed().as_secs_f64() * 1e6 / 100_000.0
    );

    // 3. Verify N records read back from Redis (loaded directly in batches of 1000).
    let n = env_num("AUDIT_BENCH_VERIFY", 1_000_000);
    let _: () = redis::cmd("FLUSHALL").query_async(&mut conn).await.unwrap();
    let load = Instant::now();
    let mut head = (0u64, GENESIS.to_string());
    let mut seq = 0u64;
    while seq < n {
        let mut batch = Vec::with_capacity(1000);
        let expected = head.clone();
        for _ in 0..1000.min(n - seq) {
            let mut r = typical(seq);
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
    println!(
        "loaded {n} records in {:.1} s",
        load.elapsed().as_secs_f64()
    );
    let start = Instant::now();
    let v = verify_store(store.as_ref(), None, |_, _| {}).await.unwrap();
    let secs = start.elapsed().as_secs_f64();
    let t = Instant::now();
    let mut after = 0;
    loop {
        let page = store.audit_range(after, 10_000).await.unwrap();
        let Some(last) = page.last() else { break };
        after = last.0;
    }
    println!(
        "read only: {n} records from Redis in {:.2} s",
        t.elapsed().as_secs_f64()
    );
    assert!(v.ok && v.report.records_checked == n, "{v:?}");
    println!(
        "verify: {n} records read from Redis and checked in {secs:.2} s ({:.0} records/s)",
        n as f64 / secs
    );
}
