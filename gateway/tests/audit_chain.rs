#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code: a failed step should stop the test"
)]
//! The audit chain against a real Redis: concurrent writers make one chain; every kind of
//! tampering (edit, delete, reorder, full rewrite with recomputed hashes, deleted tail) is
//! detected; an outage fails closed and loses nothing committed; retention trims behind a
//! signed checkpoint.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use parapet::audit::checkpoint::CheckpointSigner;
use parapet::audit::read::{trim_once, verify_and_report, verify_store, Verification};
use parapet::audit::record::Record;
use parapet::audit::verify::BreakReason;
use parapet::audit::{caller_info, Audit};
use parapet::config::{AuditConfig, Config, OnFailure, StoreConfig, WebhookConfig};
use parapet::store::{self, Store};
use parapet::webhooks::Webhooks;
use parapet_tests::harness::Redis;
use redis::AsyncCommands;

const STREAM: &str = "parapet:audit";
const HEAD: &str = "parapet:audit:head";

fn cfg(every: u64) -> AuditConfig {
    let mut c = Config::no_config().audit;
    c.checkpoint_every = every;
    c.origin = "parapet-test".into();
    c
}

struct Log {
    store: Arc<dyn Store>,
    audit: Arc<Audit>,
    signer: Arc<CheckpointSigner>,
}

async fn open(
    url: &str,
    cfg: AuditConfig,
    signer: Arc<CheckpointSigner>,
    hooks: Vec<WebhookConfig>,
) -> Log {
    let store = store::open(&StoreConfig::Redis { url: url.into() })
        .await
        .unwrap();
    let audit = Audit::start(
        store.clone(),
        cfg,
        Some(signer.clone()),
        Webhooks::new(hooks),
    );
    Log {
        store,
        audit,
        signer,
    }
}

fn record(n: usize) -> Record {
    let mut r = Record::new("llm.call", caller_info(None));
    r.latency_ms = Some(n as u64);
    r
}

/// Commits `n` records concurrently (so the writer batches them) and returns their seqs.
async fn fill(audit: &Arc<Audit>, n: usize) -> Vec<u64> {
    let tasks: Vec<_> = (0..n)
        .map(|i| {
            let a = audit.clone();
            tokio::spawn(async move { a.commit(record(i)).await.unwrap().unwrap() })
        })
        .collect();
    let mut seqs = Vec::new();
    for t in tasks {
        seqs.push(t.await.unwrap());
    }
    seqs
}

async fn verify(log: &Log) -> Verification {
    let v = log.audit.verifier().unwrap();
    verify_store(log.store.as_ref(), Some(&v), |_, _| {})
        .await
        .unwrap()
}

async fn raw(url: &str) -> redis::aio::MultiplexedConnection {
    redis::Client::open(url)
        .unwrap()
        .get_multiplexed_async_connection()
        .await
        .unwrap()
}

async fn entries(c: &mut redis::aio::MultiplexedConnection) -> Vec<(String, serde_json::Value)> {
    let reply: redis::streams::StreamRangeReply = c.xrange_all(STREAM).await.unwrap();
    reply
        .ids
        .into_iter()
        .map(|e| {
            let bytes: Vec<u8> = match e.map.get("r").unwrap() {
                redis::Value::BulkString(b) => b.clone(),
                other => panic!("unexpected {other:?}"),
            };
            (e.id, serde_json::from_slice(&bytes).unwrap())
        })
        .collect()
}

/// Rewrites the whole stream with these entries: what someone with write access to Redis can do.
async fn rebuild(c: &mut redis::aio::MultiplexedConnection, items: &[(String, serde_json::Value)]) {
    let _: () = c.del(STREAM).await.unwrap();
    for (id, v) in items {
        let _: String = c.xadd(STREAM, id, &[("r", v.to_string())]).await.unwrap();
    }
}

async fn signed_log(redis: &Redis) -> Log {
    let (signer, _) = CheckpointSigner::generate("parapet-test");
    let log = open(&redis.url(), cfg(5), Arc::new(signer), vec![]).await;
    // Four rounds of five: a checkpoint after each round (seq 5, 10, 15, 20).
    for _ in 0..4 {
        assert_eq!(fill(&log.audit, 5).await.len(), 5);
    }
    log.audit.checkpoint_now().await;
    let v = verify(&log).await;
    assert!(v.ok, "the untouched chain verifies: {v:?}");
    assert!(
        v.report.checkpoints_checked >= 4,
        "checkpoints were written and checked: {v:?}"
    );
    log
}

fn reason(v: &Verification) -> &BreakReason {
    &v.report
        .first_break
        .as_ref()
        .unwrap_or_else(|| panic!("tampering went unnoticed: {v:?}"))
        .reason
}

#[tokio::test]
async fn concurrent_commits_make_one_valid_chain_with_unique_seqs() {
    let redis = Redis::start();
    let log = signed_log(&redis).await;
    let v = verify(&log).await;
    assert_eq!((v.report.records_checked, v.report.last_seq), (20, 20));
}

#[tokio::test]
async fn two_writers_on_one_redis_make_one_chain() {
    let redis = Redis::start();
    let (signer, _) = CheckpointSigner::generate("parapet-test");
    let signer = Arc::new(signer);
    let a = open(&redis.url(), cfg(50), signer.clone(), vec![]).await;
    let b = open(&redis.url(), cfg(50), signer, vec![]).await;
    let (sa, sb) = tokio::join!(fill(&a.audit, 300), fill(&b.audit, 300));
    let mut all: Vec<u64> = sa.into_iter().chain(sb).collect();
    all.sort_unstable();
    all.dedup();
    assert_eq!(
        all,
        (1..=600).collect::<Vec<_>>(),
        "every record got its own seq, none lost"
    );
    let v = verify(&a).await;
    assert!(v.ok, "{v:?}");
    assert_eq!(v.report.records_checked, 600);
}

#[tokio::test]
async fn an_edited_record_is_detected_at_its_seq() {
    let redis = Redis::start();
    let log = signed_log(&redis).await;
    let mut c = raw(&redis.url()).await;
    let mut items = entries(&mut c).await;
    items[6].1["latency_ms"] = serde_json::json!(99_999);
    rebuild(&mut c, &items).await;
    let v = verify(&log).await;
    assert!(
        matches!(reason(&v), BreakReason::HashMismatch { .. }),
        "{v:?}"
    );
    assert_eq!(v.report.first_break.as_ref().unwrap().seq, 7);
}

#[tokio::test]
async fn a_deleted_record_is_detected() {
    let redis = Redis::start();
    let log = signed_log(&redis).await;
    let mut c = raw(&redis.url()).await;
    let _: u64 = c.xdel(STREAM, &["7-0"]).await.unwrap();
    let v = verify(&log).await;
    assert!(
        matches!(
            reason(&v),
            BreakReason::SeqGap {
                expected: 7,
                found: 8
            }
        ),
        "{v:?}"
    );
}

#[tokio::test]
async fn reordered_records_are_detected() {
    let redis = Redis::start();
    let log = signed_log(&redis).await;
    let mut c = raw(&redis.url()).await;
    let mut items = entries(&mut c).await;
    let (a, b) = (items[6].1.clone(), items[7].1.clone());
    items[6].1 = b;
    items[7].1 = a;
    rebuild(&mut c, &items).await;
    let v = verify(&log).await;
    assert!(v.report.first_break.is_some(), "{v:?}");
}

#[tokio::test]
async fn a_full_rewrite_with_recomputed_hashes_is_caught_by_the_signed_checkpoints() {
    let redis = Redis::start();
    let log = signed_log(&redis).await;
    let mut c = raw(&redis.url()).await;
    let items = entries(&mut c).await;
    // Rewrite seq 7 and re-chain everything after it, head included: the chain itself is valid.
    let mut records: Vec<Record> = items
        .iter()
        .map(|(_, v)| serde_json::from_value(v.clone()).unwrap())
        .collect();
    records[6].latency_ms = Some(424_242);
    for i in 6..records.len() {
        let (prev_seq, prev_hash) = (records[i - 1].seq, records[i - 1].hash.clone());
        records[i].chain_after(prev_seq, &prev_hash).unwrap();
    }
    let rewritten: Vec<(String, serde_json::Value)> = records
        .iter()
        .map(|r| (format!("{}-0", r.seq), serde_json::to_value(r).unwrap()))
        .collect();
    rebuild(&mut c, &rewritten).await;
    let last = records.last().unwrap();
    let _: () = c
        .set(HEAD, format!("{} {}", last.seq, last.hash))
        .await
        .unwrap();

    let chain_only = verify_store(log.store.as_ref(), None, |_, _| {})
        .await
        .unwrap();
    assert!(
        chain_only.ok,
        "without checkpoints the rewrite passes: that is why they exist"
    );
    let v = verify(&log).await;
    assert!(
        matches!(reason(&v), BreakReason::CheckpointMismatch { .. }),
        "{v:?}"
    );
}

#[tokio::test]
async fn records_deleted_from_the_end_are_caught_by_a_later_checkpoint() {
    let redis = Redis::start();
    let log = signed_log(&redis).await;
    let mut c = raw(&redis.url()).await;
    let items = entries(&mut c).await;
    rebuild(&mut c, &items[..15]).await;
    let last: Record = serde_json::from_value(items[14].1.clone()).unwrap();
    let _: () = c
        .set(HEAD, format!("{} {}", last.seq, last.hash))
        .await
        .unwrap();
    let v = verify(&log).await;
    assert!(
        matches!(reason(&v), BreakReason::MissingAfterCheckpoint { .. }),
        "{v:?}"
    );
}

#[tokio::test]
async fn a_forged_checkpoint_is_rejected() {
    let redis = Redis::start();
    let log = signed_log(&redis).await;
    let (other, _) = CheckpointSigner::generate("parapet-test");
    let forged = other
        .sign(&parapet::audit::checkpoint::Checkpoint {
            origin: "parapet-test".into(),
            seq: 20,
            head_hash: "ab".repeat(32),
            extensions: vec![],
        })
        .unwrap();
    log.store.checkpoint_put(20, &forged).await.unwrap();
    let v = verify(&log).await;
    assert!(!v.ok && !v.invalid_checkpoints.is_empty(), "{v:?}");
    let _ = &log.signer;
}

#[tokio::test]
async fn a_broken_chain_is_recorded_and_sent_to_webhooks() {
    let redis = Redis::start();
    let received = Arc::new(Mutex::new(Vec::<serde_json::Value>::new()));
    let sink = received.clone();
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |axum::Json(v): axum::Json<serde_json::Value>| {
            let sink = sink.clone();
            async move {
                sink.lock().unwrap().push(v);
                "ok"
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let hook = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });

    let (signer, _) = CheckpointSigner::generate("parapet-test");
    let hooks = vec![WebhookConfig {
        url: hook,
        events: vec!["audit.chain_broken".into()],
    }];
    let log = open(&redis.url(), cfg(5), Arc::new(signer), hooks).await;
    fill(&log.audit, 10).await;
    let mut c = raw(&redis.url()).await;
    let _: u64 = c.xdel(STREAM, &["3-0"]).await.unwrap();

    let v = verify_and_report(&log.audit).await.unwrap();
    assert!(!v.ok);
    let mut ok = false;
    for _ in 0..50 {
        if received
            .lock()
            .unwrap()
            .iter()
            .any(|e| e["event"] == "audit.chain_broken")
        {
            ok = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(ok, "the webhook got audit.chain_broken");
    let tail = log.store.audit_range(10, 10).await.unwrap();
    let kinds: Vec<String> = tail
        .iter()
        .map(|(_, j)| serde_json::from_slice::<Record>(j).unwrap().kind)
        .collect();
    assert_eq!(
        kinds,
        vec!["audit.chain_broken"],
        "the break is itself on record"
    );
}

#[tokio::test]
async fn a_redis_outage_fails_closed_and_loses_nothing_committed() {
    let mut redis = Redis::start_durable();
    let (signer, _) = CheckpointSigner::generate("parapet-test");
    let log = open(&redis.url(), cfg(1000), Arc::new(signer), vec![]).await;
    let before = fill(&log.audit, 50).await;
    redis.stop();
    let err = log.audit.commit(record(0)).await.unwrap_err();
    assert_eq!(err.code(), "audit_unavailable");
    assert_eq!(err.status().as_u16(), 503);
    redis.restart();
    let mut after = None;
    for _ in 0..50 {
        if let Ok(Some(seq)) = log.audit.commit(record(1)).await {
            after = Some(seq);
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        after,
        Some(51),
        "the chain goes on right after the last committed record"
    );
    let v = verify(&log).await;
    assert!(v.ok, "{v:?}");
    assert_eq!(v.report.records_checked, 51);
    assert_eq!(*before.iter().max().unwrap(), 50);
}

#[tokio::test]
async fn with_on_failure_open_an_outage_lets_calls_through_unrecorded() {
    let mut redis = Redis::start();
    let (signer, _) = CheckpointSigner::generate("parapet-test");
    let mut c = cfg(1000);
    c.on_failure = OnFailure::Open;
    let log = open(&redis.url(), c, Arc::new(signer), vec![]).await;
    fill(&log.audit, 3).await;
    redis.stop();
    assert_eq!(log.audit.commit(record(0)).await.unwrap(), None);
}

#[tokio::test]
async fn retention_trims_old_records_behind_a_signed_checkpoint() {
    let redis = Redis::start();
    let (signer, _) = CheckpointSigner::generate("parapet-test");
    let mut c = cfg(1000);
    c.retention = Some(Duration::from_secs(86_400));
    let log = open(&redis.url(), c, Arc::new(signer), vec![]).await;
    let old = (chrono::Utc::now() - chrono::Duration::days(3))
        .to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
    for i in 0..5 {
        let mut r = record(i);
        r.ts = old.clone();
        log.audit.commit(r).await.unwrap();
    }
    fill(&log.audit, 5).await;
    assert_eq!(trim_once(&log.audit).await.unwrap(), 5);
    let first = log.store.audit_range(0, 1).await.unwrap();
    assert_eq!(first[0].0, 6, "seq 1..5 are gone");
    let notes = log.store.checkpoints().await.unwrap();
    assert!(notes
        .iter()
        .any(|(seq, note)| *seq == 5 && note.contains("trimmed-through 5")));
    let v = verify(&log).await;
    assert!(v.ok, "verification passes from the checkpoint on: {v:?}");
    assert_eq!(v.report.first_seq, Some(6));
}
