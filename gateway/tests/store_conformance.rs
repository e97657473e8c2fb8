#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test code: a failed step should stop the test"
)]
//! One store conformance suite, run against the embedded backend (redb in a temp dir) and a
//! real `redis-server` started by the test harness.

use std::sync::Arc;

use chrono::{Duration, Utc};
use parapet::config::StoreConfig;
use parapet::store::{self, Collection, KeyRecord, PutMode, Records, Store, StoreError};
use parapet_tests::harness::Redis;

fn record(id: &str, sha: &str) -> KeyRecord {
    KeyRecord {
        id: id.into(),
        key_sha256: sha.into(),
        prefix: "pk-abcdef".into(),
        owner: "alice".into(),
        team: Some("research".into()),
        tags: vec![],
        models: vec!["gpt-*".into()],
        created_at: Utc::now(),
        expires_at: Some(Utc::now() + Duration::days(1)),
        revoked_at: None,
    }
}

/// Documents: create refuses an existing id, replace refuses a missing one, list is by id.
async fn doc_suite(s: &Arc<dyn Store>) {
    let agents = Collection::Agents;
    assert!(s.doc_list(agents).await.unwrap().is_empty());
    for id in ["b", "a", "c"] {
        let written = s.doc_put(agents, id, id.as_bytes().to_vec(), PutMode::Create);
        assert!(written.await.unwrap(), "create {id}");
    }
    assert!(
        !s.doc_put(agents, "a", b"again".to_vec(), PutMode::Create)
            .await
            .unwrap(),
        "create does not overwrite"
    );
    assert!(
        !s.doc_put(agents, "zz", b"new".to_vec(), PutMode::Replace)
            .await
            .unwrap(),
        "replace does not create"
    );
    assert!(s
        .doc_put(agents, "b", b"b2".to_vec(), PutMode::Replace)
        .await
        .unwrap());
    assert_eq!(s.doc_get(agents, "b").await.unwrap(), Some(b"b2".to_vec()));
    assert_eq!(s.doc_get(agents, "zz").await.unwrap(), None);
    assert_eq!(
        s.doc_list(agents).await.unwrap(),
        vec![b"a".to_vec(), b"b2".to_vec(), b"c".to_vec()]
    );
    assert!(s.doc_delete(agents, "a").await.unwrap());
    assert!(!s.doc_delete(agents, "a").await.unwrap());
    assert_eq!(s.doc_list(agents).await.unwrap().len(), 2);
}

/// Compare-and-set writes only over the expected bytes, so of many concurrent attempts to
/// consume one approval exactly one wins; every write moves the collection's generation.
async fn cas_suite(s: &Arc<dyn Store>) {
    let c = Collection::Approvals;
    let g0 = s.doc_generation(c).await.unwrap();
    assert!(s
        .doc_put(c, "ap-1", b"approved".to_vec(), PutMode::Create)
        .await
        .unwrap());
    let g1 = s.doc_generation(c).await.unwrap();
    assert!(g1 > g0, "a create moves the generation");
    assert!(
        !s.doc_cas(c, "ap-1", b"pending", b"used".to_vec())
            .await
            .unwrap(),
        "cas over other bytes is refused"
    );
    assert!(
        !s.doc_cas(c, "missing", b"approved", b"used".to_vec())
            .await
            .unwrap(),
        "cas never creates"
    );
    assert_eq!(
        s.doc_generation(c).await.unwrap(),
        g1,
        "a refused cas writes nothing"
    );
    let attempts = (0..16).map(|i| {
        let s = s.clone();
        tokio::spawn(async move {
            s.doc_cas(c, "ap-1", b"approved", format!("used-by-{i}").into_bytes())
                .await
                .unwrap()
        })
    });
    let mut wins = 0;
    for a in attempts {
        if a.await.unwrap() {
            wins += 1;
        }
    }
    assert_eq!(wins, 1, "exactly one concurrent cas wins");
    assert!(s.doc_generation(c).await.unwrap() > g1);
    assert!(s
        .doc_get(c, "ap-1")
        .await
        .unwrap()
        .unwrap()
        .starts_with(b"used-by-"));
    let g2 = s.doc_generation(c).await.unwrap();
    assert!(s.doc_delete(c, "ap-1").await.unwrap());
    assert!(s.doc_generation(c).await.unwrap() > g2, "a delete moves it");
    assert_eq!(
        s.doc_generation(Collection::Grants).await.unwrap(),
        0,
        "collections count apart"
    );
}

async fn suite(s: Arc<dyn Store>) {
    s.ping().await.expect("a fresh store answers ping");
    doc_suite(&s).await;
    cas_suite(&s).await;
    assert!(
        s.list_records::<KeyRecord>().await.unwrap().is_empty(),
        "a fresh store has no keys"
    );

    // insert and read back by hash and by id, empty arrays kept as arrays
    let a = record("0001", &"a".repeat(64));
    s.insert_record(&a).await.unwrap();
    assert_eq!(
        s.record_by_hash::<KeyRecord>(&a.key_sha256)
            .await
            .unwrap()
            .as_ref(),
        Some(&a)
    );
    assert_eq!(
        s.record_by_id::<KeyRecord>("0001").await.unwrap().as_ref(),
        Some(&a)
    );
    assert_eq!(
        s.record_by_hash::<KeyRecord>(&"f".repeat(64))
            .await
            .unwrap(),
        None
    );
    assert_eq!(s.record_by_id::<KeyRecord>("nope").await.unwrap(), None);

    // the same id or the same hash cannot be inserted twice, and nothing is half-written
    let dup_id = record("0001", &"b".repeat(64));
    assert!(matches!(
        s.insert_record(&dup_id).await,
        Err(StoreError::Conflict(_))
    ));
    assert_eq!(
        s.record_by_hash::<KeyRecord>(&"b".repeat(64))
            .await
            .unwrap(),
        None,
        "a refused insert leaves no trace"
    );
    let dup_hash = record("0002", &"a".repeat(64));
    assert!(matches!(
        s.insert_record(&dup_hash).await,
        Err(StoreError::Conflict(_))
    ));
    assert_eq!(s.record_by_id::<KeyRecord>("0002").await.unwrap(), None);

    // listing is oldest (smallest uuid v7) first
    let b = record("0003", &"c".repeat(64));
    s.insert_record(&b).await.unwrap();
    let ids: Vec<String> = s
        .list_records::<KeyRecord>()
        .await
        .unwrap()
        .into_iter()
        .map(|k| k.id)
        .collect();
    assert_eq!(ids, vec!["0001", "0003"]);

    // revocation is visible by hash, by id and in the listing, and keeps the first time
    let t1 = Utc::now();
    let revoked = s
        .revoke_record::<KeyRecord>("0001", t1)
        .await
        .unwrap()
        .expect("key exists");
    let first = revoked.revoked_at.expect("revoked_at set");
    assert!((first - t1).num_milliseconds().abs() < 1);
    let again = s
        .revoke_record::<KeyRecord>("0001", t1 + Duration::hours(1))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        again.revoked_at,
        Some(first),
        "a second revoke keeps the first time"
    );
    assert_eq!(
        s.record_by_hash::<KeyRecord>(&a.key_sha256)
            .await
            .unwrap()
            .unwrap()
            .revoked_at,
        Some(first)
    );
    let listed = s.list_records::<KeyRecord>().await.unwrap();
    assert!(listed
        .iter()
        .any(|k| k.id == "0001" && k.revoked_at == Some(first)));
    assert!(listed
        .iter()
        .any(|k| k.id == "0003" && k.revoked_at.is_none()));
    assert_eq!(
        s.revoke_record::<KeyRecord>("missing", t1).await.unwrap(),
        None
    );
}

/// The audit storage contract: compare-and-set appends, ranges, checkpoints, trimming.
async fn audit_suite(s: Arc<dyn Store>) {
    let genesis = (0u64, "0".repeat(64));
    assert_eq!(
        s.audit_head().await.unwrap(),
        genesis,
        "an empty log's head is genesis"
    );
    assert!(s.audit_range(0, 10).await.unwrap().is_empty());

    let batch = |from: u64, n: u64| -> Vec<(u64, Vec<u8>)> {
        (from..from + n)
            .map(|i| (i, format!("{{\"seq\":{i}}}").into_bytes()))
            .collect()
    };
    let h3 = (3u64, "h3".to_string());
    assert_eq!(
        s.audit_append(&genesis, &batch(1, 3), &h3).await.unwrap(),
        None
    );
    assert_eq!(s.audit_head().await.unwrap(), h3);

    // A writer that chained from a stale head is told the current one, and nothing is written.
    let stale = s
        .audit_append(&genesis, &batch(1, 2), &(2, "x".into()))
        .await
        .unwrap();
    assert_eq!(stale, Some(h3.clone()));
    assert_eq!(
        s.audit_range(0, 100).await.unwrap().len(),
        3,
        "a refused append leaves no trace"
    );

    let h6 = (6u64, "h6".to_string());
    assert_eq!(s.audit_append(&h3, &batch(4, 3), &h6).await.unwrap(), None);
    let all = s.audit_range(0, 100).await.unwrap();
    assert_eq!(
        all.iter().map(|(q, _)| *q).collect::<Vec<_>>(),
        vec![1, 2, 3, 4, 5, 6]
    );
    assert_eq!(
        all[4].1,
        b"{\"seq\":5}".to_vec(),
        "records come back byte for byte"
    );
    let page = s.audit_range(2, 3).await.unwrap();
    assert_eq!(
        page.iter().map(|(q, _)| *q).collect::<Vec<_>>(),
        vec![3, 4, 5],
        "after is exclusive, limit holds"
    );

    s.checkpoint_put(6, "note six").await.unwrap();
    s.checkpoint_put(3, "note three").await.unwrap();
    s.checkpoint_put(3, "note three again").await.unwrap();
    assert_eq!(
        s.checkpoints().await.unwrap(),
        vec![
            (3, "note three again".to_string()),
            (6, "note six".to_string())
        ],
        "checkpoints by seq, one per seq"
    );

    assert_eq!(s.audit_trim(4).await.unwrap(), 4);
    let left = s.audit_range(0, 100).await.unwrap();
    assert_eq!(
        left.iter().map(|(q, _)| *q).collect::<Vec<_>>(),
        vec![5, 6],
        "trim removes a whole prefix"
    );
    assert_eq!(s.audit_head().await.unwrap(), h6, "trimming keeps the head");
}

/// Budget and rate-limit counters, and inventory totals: the Lua scripts of the Redis backend
/// and the redb transactions follow the same arithmetic (`examination::limits`).
async fn counters_suite(s: Arc<dyn Store>) {
    use parapet::examination::limits::{nano, Applied, Estimate, LimitKind, Period};
    use parapet::store::counters::{InventoryAdd, Reservation};
    // Not across a minute boundary: the rpm window would reset under the test.
    while Utc::now().timestamp() % 60 > 55 {
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    let limit = |counter: &str, budget: Option<f64>, rpm: Option<u64>| Applied {
        counter: counter.into(),
        budget_nano: budget.map(nano),
        period: Period::Month,
        rpm,
        tpm: None,
    };
    let limits = vec![
        limit("key:k", Some(1.0), None),
        limit("team:t", None, Some(3)),
    ];
    let est = Estimate {
        cost_nano: nano(0.4),
        tokens: 100,
    };
    let mut reservations = vec![];
    for _ in 0..2 {
        let at = s.limits_reserve(&limits, &est).await.unwrap().unwrap();
        reservations.push(Reservation {
            limits: limits.clone(),
            estimate: est,
            at,
        });
    }
    let refused = s.limits_reserve(&limits, &est).await.unwrap().unwrap_err();
    assert_eq!(
        (refused.kind, refused.counter.as_str()),
        (LimitKind::BudgetExceeded, "key:k")
    );
    assert!(refused.retry_after >= 1 && refused.retry_after <= 31 * 86_400);
    // Settled at a tenth of the estimate: room again, until the team's rpm (3) stops it.
    let real = Estimate {
        cost_nano: nano(0.04),
        tokens: 10,
    };
    for r in &reservations {
        s.limits_settle(r, &real).await.unwrap();
    }
    s.limits_reserve(&limits, &est).await.unwrap().unwrap();
    let refused = s.limits_reserve(&limits, &est).await.unwrap().unwrap_err();
    assert_eq!(
        (refused.kind, refused.counter.as_str()),
        (LimitKind::RateLimited, "team:t")
    );
    assert!(refused.retry_after >= 1 && refused.retry_after <= 60);

    let add = |ts: &str| InventoryAdd {
        tokens: 15,
        cost_nano: nano(0.25),
        ts: ts.into(),
    };
    s.inventory_add("p.m", &add("2026-11-02T00:00:00.000000Z"))
        .await
        .unwrap();
    s.inventory_add("p.m", &add("2026-11-01T00:00:00.000000Z"))
        .await
        .unwrap();
    let t = s.inventory_totals("p.m").await.unwrap();
    assert_eq!((t.requests, t.tokens, t.cost_nano), (2, 30, nano(0.5)));
    assert_eq!(t.first_seen.as_deref(), Some("2026-11-01T00:00:00.000000Z"));
    assert_eq!(t.last_seen.as_deref(), Some("2026-11-02T00:00:00.000000Z"));
    assert_eq!(s.inventory_totals("none").await.unwrap().requests, 0);
}

#[tokio::test]
async fn embedded_counters_conform() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = StoreConfig::Embedded {
        path: dir.path().join("store.redb"),
    };
    counters_suite(store::open(&cfg).await.unwrap()).await;
}

#[tokio::test]
async fn redis_counters_conform_and_fail_closed() {
    use parapet::examination::limits::{Applied, Estimate, Period};
    let mut redis = Redis::start();
    let s = store::open(&StoreConfig::Redis { url: redis.url() })
        .await
        .unwrap();
    counters_suite(s.clone()).await;
    redis.stop();
    let limits = [Applied {
        counter: "key:k".into(),
        budget_nano: Some(1),
        period: Period::Day,
        rpm: None,
        tpm: None,
    }];
    assert!(matches!(
        s.limits_reserve(&limits, &Estimate::default()).await,
        Err(StoreError::Unavailable(_))
    ));
}

#[tokio::test]
async fn embedded_audit_store_conforms() {
    let dir = tempfile::tempdir().unwrap();
    audit_suite(
        store::open(&StoreConfig::Embedded {
            path: dir.path().join("store.redb"),
        })
        .await
        .unwrap(),
    )
    .await;
}

#[tokio::test]
async fn redis_audit_store_conforms() {
    let redis = Redis::start();
    audit_suite(
        store::open(&StoreConfig::Redis { url: redis.url() })
            .await
            .unwrap(),
    )
    .await;
}

#[tokio::test]
async fn embedded_store_conforms() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = StoreConfig::Embedded {
        path: dir.path().join("nested/store.redb"),
    };
    suite(store::open(&cfg).await.unwrap()).await;
}

#[tokio::test]
async fn embedded_store_keeps_keys_across_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = StoreConfig::Embedded {
        path: dir.path().join("store.redb"),
    };
    {
        let s = store::open(&cfg).await.unwrap();
        s.insert_record(&record("0001", &"a".repeat(64)))
            .await
            .unwrap();
    }
    let s = store::open(&cfg).await.unwrap();
    assert_eq!(
        s.record_by_id::<KeyRecord>("0001")
            .await
            .unwrap()
            .map(|k| k.owner),
        Some("alice".into())
    );
}

#[tokio::test]
async fn redis_store_conforms() {
    let redis = Redis::start();
    let cfg = StoreConfig::Redis { url: redis.url() };
    suite(store::open(&cfg).await.unwrap()).await;
}

#[tokio::test]
async fn redis_store_fails_closed_when_redis_is_down() {
    let mut redis = Redis::start();
    let s = store::open(&StoreConfig::Redis { url: redis.url() })
        .await
        .unwrap();
    redis.stop();
    assert!(matches!(s.ping().await, Err(StoreError::Unavailable(_))));
    assert!(matches!(
        s.record_by_hash::<KeyRecord>(&"a".repeat(64)).await,
        Err(StoreError::Unavailable(_))
    ));
    redis.restart();
    let mut ok = false;
    for _ in 0..50 {
        if s.ping().await.is_ok() {
            ok = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(ok, "the store reconnects once redis is back");
}
