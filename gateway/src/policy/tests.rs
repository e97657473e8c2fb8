use std::sync::Arc;

use chrono::Utc;
use parapet_policies::{Effect, Request};

use super::docs::{RoleBinding, RoleDoc, StoredPolicy};
use super::*;
use crate::store::embedded::EmbeddedStore;
use crate::store::Docs;

fn req(subject: &str, action: &str, user: Option<&str>) -> Request {
    let mut r = Request::from_json(&format!(
        r#"{{"subject_type": "agent", "subject_id": "{subject}", "action": "{action}",
            "resource": {{"type": "model", "id": "m"}}}}"#
    ))
    .unwrap();
    r.on_behalf_of_user_id = user.map(str::to_owned);
    r
}

async fn engine() -> (tempfile::TempDir, Arc<PolicyEngine>) {
    let dir = tempfile::tempdir().unwrap();
    let store: Arc<dyn Store> = Arc::new(EmbeddedStore::open(&dir.path().join("s.redb")).unwrap());
    let engine = PolicyEngine::load(store).await.unwrap();
    (dir, engine)
}

#[tokio::test]
async fn with_nothing_stored_only_the_per_call_check_uses_the_shipped_default() {
    let (_dir, e) = engine().await;
    let r = req("bot", "llm.chat.create", None);
    assert_eq!(
        e.decide(&r, SubjectFacts::default(), true, Utc::now())
            .effect,
        Effect::Allow
    );
    assert_eq!(
        e.decide(&r, SubjectFacts::default(), false, Utc::now())
            .effect,
        Effect::Deny,
        "the decision API denies by default"
    );
}

#[tokio::test]
async fn stored_roles_and_bindings_apply_after_a_reload_and_bound_the_agent_by_its_user() {
    let (_dir, e) = engine().await;
    let store = e.store().clone();
    let policy: parapet_policies::Policy = serde_json::from_value(serde_json::json!({
        "id": "all", "display_name": "all", "effect": "allow", "priority": 1, "actions": ["*"], "condition": {}}))
    .unwrap();
    store
        .create_doc(&StoredPolicy {
            policy,
            version: 1,
            updated_at: Utc::now(),
            updated_by: "t".into(),
        })
        .await
        .unwrap();
    for (name, actions) in [("llm", vec!["llm.*"]), ("none", vec!["reports.read"])] {
        let role = parapet_policies::Role {
            name: name.into(),
            description: None,
            actions: actions.into_iter().map(String::from).collect(),
        };
        store.create_doc(&RoleDoc(role)).await.unwrap();
    }
    for (who, roles) in [
        ("bot", vec!["llm"]),
        ("alice", vec!["none"]),
        ("bob", vec!["llm"]),
    ] {
        let b = RoleBinding {
            subject_id: who.into(),
            roles: roles.into_iter().map(String::from).collect(),
            updated_at: None,
        };
        store.create_doc(&b).await.unwrap();
    }
    assert!(e.reload().await.unwrap(), "the generations moved");
    assert!(!e.reload().await.unwrap(), "nothing changed since");
    let decide = |r: &Request| e.decide(r, SubjectFacts::default(), true, Utc::now());
    assert_eq!(
        decide(&req("bot", "llm.chat.create", None)).effect,
        Effect::Allow
    );
    assert_eq!(
        decide(&req("bot", "llm.chat.create", Some("bob"))).effect,
        Effect::Allow
    );
    let d = decide(&req("bot", "llm.chat.create", Some("alice")));
    assert_eq!(d.effect, Effect::Deny);
    assert_eq!(d.reasons[0].code(), "not_granted_to_user");
    assert_eq!(
        decide(&req("stranger", "llm.chat.create", None)).effect,
        Effect::Deny
    );
}
