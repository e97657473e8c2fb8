//! The approval round trip with the official `openai` Python SDK (tests/python/test_policy_approval.py).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests"
)]

use std::process::{Command, Stdio};

use parapet_tests::harness::{workspace_root, ConfigBuilder, Gateway};
use parapet_tests::mock::MockServer;
use reqwest::Method;
use serde_json::json;

const INSTALL_HINT: &str =
    "install the Python clients: pip install openai pytest (scripts/test does it)";

fn python_clients_present() -> bool {
    Command::new("python3")
        .args(["-c", "import openai, pytest"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

#[tokio::test]
async fn the_openai_sdk_gets_an_approval_required_error_and_retries_once_approved() {
    assert!(python_clients_present(), "{INSTALL_HINT}");
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
    let base = format!("{}/v1", gw.proxy_url());
    let admin_url = gw.admin_url().to_owned();
    let out = tokio::task::spawn_blocking(move || {
        Command::new("python3")
            .args([
                "-m",
                "pytest",
                "-q",
                "-p",
                "no:cacheprovider",
                "tests/python/test_policy_approval.py",
            ])
            .current_dir(workspace_root())
            .env("PARAPET_BASE_URL", base)
            .env("PARAPET_KEY", key)
            .env("PARAPET_MODEL", "gpt-test")
            .env("PARAPET_ADMIN_URL", admin_url)
            .env("PARAPET_APPROVER_KEY", approver)
            .env("NO_PROXY", "127.0.0.1,localhost")
            .stdin(Stdio::null())
            .output()
            .expect("run python3 -m pytest")
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let summary = stdout
        .lines()
        .rev()
        .find(|l| l.contains(" passed") || l.contains(" failed") || l.contains(" error"))
        .unwrap_or("");
    println!("pytest: {summary}");
    assert!(
        out.status.success() && summary.contains(" passed") && !summary.contains("skipped"),
        "pytest failed ({}):\n{}\n{}\n--- gateway stderr ---\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
        gw.stderr()
    );
}
