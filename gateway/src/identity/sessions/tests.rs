use std::sync::Arc;
use std::time::Duration;

use chrono::{TimeZone, Utc};

use super::*;
use crate::store::embedded::EmbeddedStore;

fn sessions() -> (tempfile::TempDir, Sessions, Arc<dyn Store>) {
    let dir = tempfile::tempdir().unwrap();
    let store: Arc<dyn Store> = Arc::new(EmbeddedStore::open(&dir.path().join("s.redb")).unwrap());
    (dir, Sessions::new(store.clone()), store)
}

#[tokio::test]
async fn a_session_is_its_user_until_it_expires_and_then_it_is_gone() {
    let (_dir, s, store) = sessions();
    let t0 = Utc.with_ymd_and_hms(2026, 3, 1, 9, 0, 0).unwrap();
    let token = s
        .open(
            "carol",
            vec!["Compliance-Officers".into()],
            Duration::from_secs(900),
            t0,
        )
        .await
        .unwrap();
    assert!(token.starts_with(SESSION_PREFIX));
    let c = s.get(&token, t0).await.unwrap().unwrap();
    assert_eq!(
        (c.id.as_str(), c.roles.as_slice()),
        ("carol", ["admin".to_string()].as_slice())
    );
    assert_eq!(c.groups, ["Compliance-Officers"]);

    // Only the SHA-256 of the token is stored.
    let stored: Vec<Session> = store.list_docs().await.unwrap();
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].id, sha256_hex(&token));
    assert!(!serde_json::to_string(&stored).unwrap().contains(&token));

    let later = t0 + chrono::Duration::seconds(900);
    assert!(s.get(&token, later).await.unwrap().is_none(), "expired");
    assert!(
        store.list_docs::<Session>().await.unwrap().is_empty(),
        "and removed"
    );
}

#[tokio::test]
async fn other_tokens_are_not_sessions_and_logins_sweep_expired_ones() {
    let (_dir, s, store) = sessions();
    let t0 = Utc.with_ymd_and_hms(2026, 3, 1, 9, 0, 0).unwrap();
    assert!(s.get("pk-somekey", t0).await.unwrap().is_none());
    assert!(s.get("pas-unknown", t0).await.unwrap().is_none());
    s.open("a", vec![], Duration::from_secs(60), t0)
        .await
        .unwrap();
    let later = t0 + chrono::Duration::seconds(61);
    s.open("b", vec![], Duration::from_secs(60), later)
        .await
        .unwrap();
    let left: Vec<Session> = store.list_docs().await.unwrap();
    assert_eq!(
        left.iter().map(|s| s.user.as_str()).collect::<Vec<_>>(),
        ["b"]
    );
}
