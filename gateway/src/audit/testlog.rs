//! Test support: audit logs with chosen timestamps, chained and appended to a store.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

use super::record::{CallerInfo, Record, GENESIS};
use crate::store::Store;

/// A record of `kind` stamped `ts` (RFC 3339 in the records' own format).
pub fn at(kind: &str, ts: &str) -> Record {
    let mut r = Record::new(
        kind,
        CallerInfo {
            kind: "user".into(),
            id: "alice".into(),
            ..CallerInfo::default()
        },
    );
    r.id = format!("rec-{ts}");
    r.ts = ts.to_string();
    r
}

/// Chains `records` after the store's head and appends them in one batch.
pub async fn append(store: &dyn Store, records: Vec<Record>) {
    let mut head = store.audit_head().await.unwrap();
    if head.0 == 0 {
        head.1 = GENESIS.to_string();
    }
    let expected = head.clone();
    let mut batch = Vec::new();
    for mut r in records {
        r.chain_after(head.0, &head.1).unwrap();
        head = (r.seq, r.hash.clone());
        batch.push((r.seq, r.canonical_stored().unwrap()));
    }
    assert!(store
        .audit_append(&expected, &batch, &head)
        .await
        .unwrap()
        .is_none());
}

/// An embedded store in a temporary directory (kept alive by the returned guard).
pub fn embedded() -> (std::sync::Arc<dyn Store>, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let store =
        crate::store::embedded::EmbeddedStore::open(&dir.path().join("store.redb")).unwrap();
    (std::sync::Arc::new(store), dir)
}
