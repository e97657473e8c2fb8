//! The approval round trip with the official `openai` Python SDK (tests/python/test_policy_approval.py).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests"
)]

use parapet_tests::harness::{assert_python_clients, run_pytest, ConfigBuilder, Gateway};
use parapet_tests::mock::MockServer;
use reqwest::Method;
use serde_json::json;

#[tokio::test]
async fn the_openai_sdk_gets_an_approval_required_error_and_retries_once_approved() {
    assert_python_clients();
    let mock = MockServer::start().unwrap();
    let gw = Gateway::start(
        &ConfigBuilder::standard(&mock.base_v1())
            .raw("[policies]\nenforce = true\n")
            .build(),
        &[],
    );
    let key = gw.create_key("python-sdk", &[]).await;
    let approver = gw.create_key("desk-head", &[]).await;
    let rule = json!({"id": "gpt-approval", "display_name": "gpt-test needs approval", "effect": "require_approval",
        "priority": 10, "actions": ["llm.chat.create"], "condition": {"op": "eq", "args": ["ctx.resource.id", "gpt-test"]},
        "approval": {"approvers": ["role:desk_head"], "require_justification": true}});
    let (s, b) = gw
        .admin(Method::POST, "/api/v1/policies", Some(&rule))
        .await;
    assert_eq!(s, 201, "{b}");
    let (s, b) = gw
        .admin(
            Method::POST,
            "/api/v1/policies",
            Some(&json!({"id": "allow-llm", "display_name": "models",
        "effect": "allow", "priority": 100, "actions": ["llm.*"], "condition": {}})),
        )
        .await;
    assert_eq!(s, 201, "{b}");
    // The role exists only to name approvers; with roles defined, callers need a binding too.
    for (role, actions) in [
        ("desk_head", json!(["approvals.decide"])),
        ("llm_user", json!(["llm.*"])),
    ] {
        let (s, b) = gw
            .admin(
                Method::PUT,
                &format!("/api/v1/roles/{role}"),
                Some(&json!({"actions": actions})),
            )
            .await;
        assert_eq!(s, 200, "{b}");
    }
    for (who, roles) in [
        ("desk-head", json!(["desk_head"])),
        ("python-sdk", json!(["llm_user"])),
    ] {
        let (s, b) = gw
            .admin(
                Method::PUT,
                &format!("/api/v1/role-bindings/{who}"),
                Some(&json!({"roles": roles})),
            )
            .await;
        assert_eq!(s, 200, "{b}");
    }
    let env = [
        ("PARAPET_BASE_URL", format!("{}/v1", gw.proxy_url())),
        ("PARAPET_KEY", key),
        ("PARAPET_MODEL", "gpt-test".to_owned()),
        ("PARAPET_ADMIN_URL", gw.admin_url().to_owned()),
        ("PARAPET_APPROVER_KEY", approver),
    ];
    let env = env.into_iter().map(|(k, v)| (k.to_string(), v)).collect();
    run_pytest(&gw, "tests/python/test_policy_approval.py", env).await;
}
