//! Agent credentials through the real binary: an agent with `read_only` never gets a
//! `wire_transfer` tool call through; one with `initiate_payments` and a 10,000 USD cap gets
//! 9,999 through and not 10,001 nor another account; tools it may not use are not even offered;
//! a revoked credential stops working within a second; all of it is on the audit record.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests"
)]

use std::time::Duration;

use parapet_tests::harness::{eventually, run_parapet, ConfigBuilder, Gateway};
use parapet_tests::mock::MockServer;
use serde_json::{json, Value};

const SECRET: &str = "aida-test-secret-0123456789abcdef0123456789";

fn config(mock: &MockServer) -> String {
    ConfigBuilder::standard(&mock.base_v1())
        .raw(
            "[aida]\nenabled = true\n\n[[tools]]\nname = \"wire_transfer\"\nscope = \"initiate_payments\"\namount = \"$.amount_usd\"\naccount = \"$.from_account\"\n\n[[tools]]\nname = \"get_balance\"\nscope = \"read_only\"\n",
        )
        .build()
}

struct Setup {
    mock: MockServer,
    gw: Gateway,
    key: String,
}

async fn setup() -> Setup {
    let mock = MockServer::start().unwrap();
    let gw = Gateway::start(&config(&mock), &[("AIDA_SIGNING_SECRET", SECRET)]);
    let key = gw.create_key("app", &[]).await;
    Setup { mock, gw, key }
}

async fn issue(
    gw: &Gateway,
    scopes: &[&str],
    max: Option<f64>,
    accounts: &[&str],
) -> (String, String) {
    let resp = gw
        .client()
        .post(format!("{}/api/aida/credentials", gw.admin_url()))
        .bearer_auth(gw.admin_token())
        .json(
            &json!({"principal_id": "alice", "agent_id": "ap-bot", "authorized_scopes": scopes,
            "max_transaction_usd": max, "allowed_account_ids": accounts,
            "expires_at": (chrono::Utc::now() + chrono::Duration::days(1)).to_rfc3339()}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 201);
    let v: Value = resp.json().await.unwrap();
    assert!(v.get("cred_sha256").is_none(), "the hash is never shown");
    (
        v["cred_id"].as_str().unwrap().to_owned(),
        v["id"].as_str().unwrap().to_owned(),
    )
}

/// A chat call as the agent, offering both tools; the mock proposes `wire_transfer` with `args`.
async fn transfer(s: &Setup, cred: &str, args: Value) -> (u16, Value) {
    let body = json!({
        "model": "gpt-test",
        "messages": [{"role": "user", "content": "pay the invoice"}],
        "tools": [
            {"type": "function", "function": {"name": "wire_transfer", "parameters": {"type": "object"}}},
            {"type": "function", "function": {"name": "get_balance", "parameters": {"type": "object"}}},
        ],
        "mock": {"tool_calls": [{"name": "wire_transfer", "arguments": args}]},
    });
    let resp =
        s.gw.client()
            .post(format!("{}/v1/chat/completions", s.gw.proxy_url()))
            .bearer_auth(&s.key)
            .header("x-agent-credential", cred)
            .json(&body)
            .send()
            .await
            .unwrap();
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

fn offered(s: &Setup) -> Vec<String> {
    let last = s.mock.requests().pop().unwrap();
    last.body["tools"]
        .as_array()
        .map(|t| {
            t.iter()
                .map(|t| t["function"]["name"].as_str().unwrap().to_owned())
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn a_read_only_agent_never_gets_a_wire_transfer_through_at_any_amount() {
    let s = setup().await;
    let (cred, _) = issue(&s.gw, &["read_only"], None, &[]).await;
    for amount in [1.0, 9_999.0, 1_000_000.0] {
        let (status, body) = transfer(
            &s,
            &cred,
            json!({"amount_usd": amount, "from_account": "ACC-1"}),
        )
        .await;
        assert_eq!(status, 403, "{body}");
        assert_eq!(body["error"]["code"], "tool_call_denied");
        assert!(
            body["error"]["message"]
                .as_str()
                .unwrap()
                .contains("wire_transfer"),
            "{body}"
        );
        assert_eq!(
            offered(&s),
            vec!["get_balance"],
            "wire_transfer was not even offered to the model"
        );
    }
}

#[tokio::test]
async fn a_payments_agent_with_a_cap_gets_9999_through_and_not_10001_nor_another_account() {
    let s = setup().await;
    let (cred, id) = issue(
        &s.gw,
        &["initiate_payments", "read_only"],
        Some(10_000.0),
        &["ACC-1"],
    )
    .await;
    let (status, body) = transfer(
        &s,
        &cred,
        json!({"amount_usd": 9_999.0, "from_account": "ACC-1"}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["choices"][0]["message"]["tool_calls"][0]["function"]["name"],
        "wire_transfer"
    );
    assert_eq!(offered(&s), vec!["wire_transfer", "get_balance"]);

    let (status, body) = transfer(
        &s,
        &cred,
        json!({"amount_usd": 10_001, "from_account": "ACC-1"}),
    )
    .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (403, Some("tool_call_denied")),
        "{body}"
    );
    assert!(
        body["error"]["message"].as_str().unwrap().contains("10001"),
        "{body}"
    );

    let (status, body) =
        transfer(&s, &cred, json!({"amount_usd": 5, "from_account": "ACC-2"})).await;
    assert_eq!(status, 403, "{body}");
    let (status, body) = transfer(
        &s,
        &cred,
        json!({"amount_usd": "lots", "from_account": "ACC-1"}),
    )
    .await;
    assert_eq!(status, 403, "a malformed amount fails closed: {body}");

    // On the record: the credential and whether it was verified, and the refusals.
    let events: Value =
        s.gw.client()
            .get(format!(
                "{}/api/audit/events?after=0&limit=100",
                s.gw.admin_url()
            ))
            .bearer_auth(s.gw.admin_token())
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
    let calls: Vec<&Value> = events["data"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["kind"] == "llm.call")
        .collect();
    assert_eq!(calls.len(), 4);
    assert!(calls
        .iter()
        .all(|r| r["aida_credential_id"] == id.as_str() && r["aida_scope_verified"] == true));
    assert_eq!(
        calls
            .iter()
            .filter(|r| r["response"]["status"] == 403)
            .count(),
        3
    );
    assert!(calls
        .iter()
        .all(|r| r["caller"]["kind"] == "agent" && r["caller"]["principal_id"] == "alice"));
    assert!(events["data"]
        .as_array()
        .unwrap()
        .iter()
        .any(|r| r["kind"] == "credential.issue"));
}

#[tokio::test]
async fn a_revoked_credential_stops_working_within_a_second_and_alone_as_bearer_too() {
    let s = setup().await;
    let (cred, id) = issue(&s.gw, &["initiate_payments"], Some(100.0), &[]).await;
    // The credential alone is a bearer too.
    let resp =
        s.gw.client()
            .post(format!("{}/v1/chat/completions", s.gw.proxy_url()))
            .bearer_auth(&cred)
            .json(&json!({"model": "gpt-test", "messages": [{"role": "user", "content": "hi"}]}))
            .send()
            .await
            .unwrap();
    assert_eq!(resp.status(), 200);
    let (status, _) = transfer(&s, &cred, json!({"amount_usd": 50, "from_account": "A"})).await;
    assert_eq!(status, 200);

    let out = run_parapet(
        s.gw.dir().path(),
        &[
            "credentials",
            "revoke",
            &id,
            "--admin-url",
            s.gw.admin_url(),
            "--admin-token",
            s.gw.admin_token(),
        ],
        &[],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let started = std::time::Instant::now();
    let stopped = eventually(Duration::from_secs(1), || async {
        let (status, body) =
            transfer(&s, &cred, json!({"amount_usd": 50, "from_account": "A"})).await;
        status == 403 && body["error"]["code"] == "credential_revoked"
    })
    .await;
    assert!(stopped, "revocation took effect within a second");
    assert!(started.elapsed() < Duration::from_secs(1));

    let (status, body) = transfer(&s, "ac-not-a-real-credential", json!({})).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (401, Some("invalid_credential"))
    );
}

#[tokio::test]
async fn aida_enabled_without_a_secret_refuses_to_start() {
    let mock = MockServer::start().unwrap();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("parapet.toml"), config(&mock)).unwrap();
    let out = run_parapet(dir.path(), &["serve", "--config", "parapet.toml"], &[]);
    assert_eq!(out.status.code(), Some(64));
    assert!(String::from_utf8_lossy(&out.stderr).contains("AIDA_SIGNING_SECRET"));
}

/// Streams a chat call as the agent; returns every `data:` payload the client received.
async fn transfer_streaming(s: &Setup, cred: &str, args: Value) -> Vec<String> {
    let body = json!({
        "model": "gpt-test",
        "stream": true,
        "messages": [{"role": "user", "content": "pay the invoice"}],
        "tools": [{"type": "function", "function": {"name": "wire_transfer", "parameters": {"type": "object"}}}],
        "mock": {"tool_calls": [{"name": "wire_transfer", "arguments": args}]},
    });
    let resp =
        s.gw.client()
            .post(format!("{}/v1/chat/completions", s.gw.proxy_url()))
            .bearer_auth(&s.key)
            .header("x-agent-credential", cred)
            .json(&body)
            .send()
            .await
            .unwrap();
    assert_eq!(resp.status(), 200);
    let text = resp.text().await.unwrap();
    text.lines()
        .filter_map(|l| l.strip_prefix("data: "))
        .map(String::from)
        .collect()
}

#[tokio::test]
async fn streamed_tool_calls_are_held_until_complete_then_released_or_refused() {
    let s = setup().await;
    let (cred, _) = issue(&s.gw, &["initiate_payments"], Some(10_000.0), &[]).await;

    let ok = transfer_streaming(
        &s,
        &cred,
        json!({"amount_usd": 9_999.0, "from_account": "ACC-1", "memo": "invoice 42"}),
    )
    .await;
    assert_eq!(ok.last().map(String::as_str), Some("[DONE]"), "{ok:?}");
    let args: String = ok
        .iter()
        .filter_map(|d| serde_json::from_str::<Value>(d).ok())
        .filter_map(|c| {
            c["choices"][0]["delta"]["tool_calls"][0]["function"]["arguments"]
                .as_str()
                .map(String::from)
        })
        .collect();
    let parsed: Value = serde_json::from_str(&args).unwrap();
    assert_eq!(
        parsed["amount_usd"], 9_999.0,
        "the whole call arrived: {args}"
    );
    let pieces = ok.iter().filter(|d| d.contains("\"arguments\"")).count();
    assert!(
        pieces > 2,
        "arguments came in several chunks ({pieces}), held and released in order"
    );

    let refused = transfer_streaming(
        &s,
        &cred,
        json!({"amount_usd": 10_001.0, "from_account": "ACC-1"}),
    )
    .await;
    assert!(
        !refused.iter().any(|d| d.contains("\"tool_calls\"")),
        "no part of the refused call reached the client: {refused:?}"
    );
    assert!(!refused.iter().any(|d| d == "[DONE]"));
    let last: Value = serde_json::from_str(refused.last().unwrap()).unwrap();
    assert_eq!(last["error"]["code"], "tool_call_denied", "{last}");
}

#[tokio::test]
async fn a_legacy_function_call_is_checked_like_a_tool_call_streamed_or_not() {
    let s = setup().await;
    let (cred, _) = issue(&s.gw, &["initiate_payments"], Some(10_000.0), &[]).await;
    let call = |amount: f64, stream: bool| {
        json!({
            "model": "gpt-test",
            "stream": stream,
            "messages": [{"role": "user", "content": "pay the invoice"}],
            "functions": [{"name": "wire_transfer", "parameters": {"type": "object"}},
                          {"name": "delete_everything", "parameters": {"type": "object"}}],
            "mock": {"legacy_function_call": true,
                     "tool_calls": [{"name": "wire_transfer", "arguments": {"amount_usd": amount}}]},
        })
    };
    let send = |body: Value| {
        s.gw.client()
            .post(format!("{}/v1/chat/completions", s.gw.proxy_url()))
            .bearer_auth(&s.key)
            .header("x-agent-credential", &cred)
            .json(&body)
            .send()
    };
    let ok = send(call(9_999.0, false)).await.unwrap();
    assert_eq!(ok.status(), 200);
    let ok: Value = ok.json().await.unwrap();
    assert_eq!(
        ok["choices"][0]["message"]["function_call"]["name"],
        "wire_transfer"
    );
    // Legacy functions are offered like tools: only what the credential covers.
    let last = s.mock.requests().pop().unwrap();
    assert_eq!(
        last.body["functions"],
        json!([{"name": "wire_transfer", "parameters": {"type": "object"}}])
    );

    let refused = send(call(10_001.0, false)).await.unwrap();
    assert_eq!(refused.status(), 403);
    let refused: Value = refused.json().await.unwrap();
    assert_eq!(refused["error"]["code"], "tool_call_denied", "{refused}");

    let streamed = send(call(10_001.0, true))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        !streamed.contains("function_call") && !streamed.contains("[DONE]"),
        "no part of the refused call reached the client: {streamed}"
    );
    assert!(streamed.contains("tool_call_denied"), "{streamed}");
    let streamed = send(call(5.0, true)).await.unwrap().text().await.unwrap();
    assert!(
        streamed.contains("function_call") && streamed.contains("[DONE]"),
        "{streamed}"
    );
}
