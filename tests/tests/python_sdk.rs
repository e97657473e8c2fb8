//! The official `openai` Python SDK through the gateway (tests/python/test_openai_sdk.py).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests"
)]

use parapet_tests::harness::{assert_python_clients, run_pytest, ConfigBuilder, Gateway};
use parapet_tests::mock::MockServer;

#[tokio::test]
async fn the_official_openai_python_sdk_works_through_the_gateway() {
    assert_python_clients();
    let mock = MockServer::start().unwrap();
    let gw = Gateway::start(
        &ConfigBuilder::standard(&mock.base_v1())
            .routing("retry_base_ms = 10")
            .build(),
        &[],
    );
    let key = gw.create_key("python-sdk", &[]).await;
    let base = format!("{}/v1", gw.proxy_url());
    let env = [
        ("PARAPET_BASE_URL", base),
        ("PARAPET_KEY", key),
        ("PARAPET_MODEL", "gpt-test".into()),
        ("PARAPET_ECHO_MODEL", "echo".into()),
        ("PARAPET_EMBED_MODEL", "embed-test".into()),
    ];
    let env = env.into_iter().map(|(k, v)| (k.to_string(), v)).collect();
    run_pytest(&gw, "tests/python/test_openai_sdk.py", env).await;
}

/// Cost and inventory through the SDK (tests/python/test_examination_sdk.py): traffic to two
/// priced models, then the inventory lists both with request counts and costs to the cent.
#[tokio::test]
async fn the_inventory_counts_sdk_traffic_to_two_models_to_the_cent() {
    assert_python_clients();
    const ADMIN: &str = "test-admin-token-0123456789";
    let mock = MockServer::start().unwrap();
    let cfg = ConfigBuilder::new()
        .provider("mock", "openai", &mock.base_v1(), &[])
        .model("gpt-4o-mini", "mock", "gpt-4o-mini", &[])
        .model("gpt-4o", "mock", "gpt-4o", &[])
        .build();
    let gw = Gateway::start(&cfg, &[("PARAPET_ADMIN_TOKEN", ADMIN)]);
    let key = gw.create_key("python-sdk", &[]).await;
    let env = [
        ("PARAPET_BASE_URL", format!("{}/v1", gw.proxy_url())),
        ("PARAPET_KEY", key),
        ("PARAPET_ADMIN_URL", gw.admin_url().to_owned()),
        ("PARAPET_ADMIN_TOKEN", ADMIN.to_owned()),
    ];
    let env = env.into_iter().map(|(k, v)| (k.to_string(), v)).collect();
    run_pytest(&gw, "tests/python/test_examination_sdk.py", env).await;
}
