//! A2A through the real binary, to a real `a2a-sdk` server agent (tests/python/a2a_agent.py):
//! the card Parapet serves points at Parapet; the agent credential is enforced at dispatch
//! (skill scopes, amounts from data parts, accounts), in v1.0 and v0.3 method names; refusals
//! are JSON-RPC errors naming the reason; streams pass through; every call is on the record.
//! The real `a2a-sdk` Python client runs its own suite (tests/python/test_a2a_sdk.py) last.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests"
)]

use std::time::Duration;

use parapet_tests::harness::{eventually, run_pytest, A2aAgent, ConfigBuilder, Gateway};
use reqwest::Method;
use serde_json::{json, Value};

const SECRET: &str = "a2a-test-secret-0123456789abcdef0123456789ab";

struct Setup {
    agent: A2aAgent,
    gw: Gateway,
    key: String,
}

async fn setup() -> Setup {
    let agent = A2aAgent::start();
    let cfg = ConfigBuilder::standard("http://127.0.0.1:9/v1")
        .raw("[aida]\nenabled = true\n")
        .build();
    let gw = Gateway::start(&cfg, &[("AIDA_SIGNING_SECRET", SECRET)]);
    let key = gw.create_key("treasury-app", &[]).await;
    let profile = json!({"id": "payments", "name": "Payments agent", "url": agent.base_url(), "owner": "treasury",
    "skills": [
        {"id": "wire_transfer", "required_scopes": ["initiate_payments"], "amount": "$.amount_usd", "account": "$.account_id"},
        {"id": "account_lookup", "required_scopes": ["read_only"]}
    ]});
    let (status, body) = gw.admin(Method::POST, "/api/agents", Some(&profile)).await;
    assert_eq!(status, 201, "{body}");
    Setup { agent, gw, key }
}

/// Issues a credential; returns `(bearer, id)`.
async fn issue(gw: &Gateway, scopes: &[&str], accounts: &[&str]) -> (String, String) {
    let body = json!({"principal_id": "alice", "agent_id": "treasury-bot", "authorized_scopes": scopes,
        "max_transaction_usd": 10000.0, "allowed_account_ids": accounts,
        "expires_at": (chrono::Utc::now() + chrono::Duration::days(1)).to_rfc3339()});
    let (status, v) = gw
        .admin(Method::POST, "/api/aida/credentials", Some(&body))
        .await;
    assert_eq!(status, 201, "{v}");
    (
        v["cred_id"].as_str().unwrap().into(),
        v["id"].as_str().unwrap().into(),
    )
}

fn wire(method: &str, amount: Value, account: &str) -> Value {
    json!({"jsonrpc": "2.0", "id": "req-1", "method": method, "params": {"message": {
        "messageId": "m-1", "role": "ROLE_USER", "metadata": {"skill": "wire_transfer"},
        "parts": [{"text": "please wire the money"}, {"data": {"amount_usd": amount, "account_id": account}}]}}})
}

/// The same message as an A2A v0.3 client sends it.
fn wire_v03(amount: f64) -> Value {
    json!({"jsonrpc": "2.0", "id": 3, "method": "message/send", "params": {"message": {
        "kind": "message", "messageId": "m-3", "role": "user", "metadata": {"skill": "wire_transfer"},
        "parts": [{"kind": "text", "text": "wire"}, {"kind": "data", "data": {"amount_usd": amount, "account_id": "ACC-1"}}]}}})
}

async fn rpc(s: &Setup, cred: Option<&str>, version: &str, body: &Value) -> (u16, Value) {
    let mut rb =
        s.gw.client()
            .post(format!("{}/a2a/payments", s.gw.proxy_url()))
            .bearer_auth(&s.key)
            .header("A2A-Version", version)
            .json(body);
    if let Some(c) = cred {
        rb = rb.header("X-Agent-Credential", c);
    }
    let resp = rb.send().await.unwrap();
    let status = resp.status().as_u16();
    let text = resp.text().await.unwrap();
    (
        status,
        serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON: {text}")),
    )
}

/// The refusal reason of a JSON-RPC error answer, or `"ok"` for a result.
fn outcome(v: &Value) -> String {
    match v.get("error") {
        Some(e) => e["data"]["reason"].as_str().unwrap_or("?").to_string(),
        None if v.get("result").is_some() => "ok".into(),
        None => panic!("neither result nor error: {v}"),
    }
}

#[tokio::test]
async fn the_served_card_points_at_the_gateway_and_is_public() {
    let s = setup().await;
    let resp =
        s.gw.client()
            .get(format!(
                "{}/a2a/payments/.well-known/agent-card.json",
                s.gw.proxy_url()
            ))
            .send()
            .await
            .unwrap();
    assert_eq!(resp.status(), 200, "cards need no key");
    assert!(
        resp.headers().get("etag").is_none(),
        "the agent's ETag no longer matches"
    );
    let card: Value = resp.json().await.unwrap();
    let gateway = format!("{}/a2a/payments", s.gw.proxy_url());
    let text = card.to_string();
    assert!(
        !text.contains(&s.agent.base_url()),
        "the agent's own address leaked: {text}"
    );
    let interfaces = card["supportedInterfaces"].as_array().unwrap();
    assert!(!interfaces.is_empty());
    assert!(
        interfaces.iter().all(|i| i["url"] == gateway.as_str()),
        "{card}"
    );
    assert_eq!(
        card["url"],
        gateway.as_str(),
        "v0.3 clients read the top-level url"
    );
    assert_eq!(card["skills"].as_array().unwrap().len(), 2);

    let missing =
        s.gw.client()
            .get(format!(
                "{}/a2a/nobody/.well-known/agent-card.json",
                s.gw.proxy_url()
            ))
            .send()
            .await
            .unwrap();
    assert_eq!(missing.status(), 404);
    // Only the card is public: the JSON-RPC endpoint wants a key.
    let anonymous =
        s.gw.client()
            .post(format!("{}/a2a/payments", s.gw.proxy_url()))
            .json(&wire("SendMessage", json!(1), "ACC-1"))
            .send()
            .await
            .unwrap();
    assert_eq!(anonymous.status(), 401);
}

#[tokio::test]
async fn the_credential_decides_at_dispatch_in_both_protocol_versions_and_all_is_recorded() {
    let s = setup().await;
    let (payer, payer_id) = issue(&s.gw, &["initiate_payments"], &[]).await;
    let (reader, _) = issue(&s.gw, &["read_only"], &[]).await;
    let (limited, _) = issue(&s.gw, &["initiate_payments"], &["ACC-1"]).await;

    let cases: Vec<(&str, Option<&str>, &str, Value, &str)> = vec![
        (
            "under the cap",
            Some(&payer),
            "1.0",
            wire("SendMessage", json!(9999.0), "ACC-1"),
            "ok",
        ),
        (
            "at the cap",
            Some(&payer),
            "1.0",
            wire("SendMessage", json!(10000), "ACC-1"),
            "ok",
        ),
        (
            "over the cap",
            Some(&payer),
            "1.0",
            wire("SendMessage", json!(10001.0), "ACC-1"),
            "amount_over_limit",
        ),
        (
            "amount as text",
            Some(&payer),
            "1.0",
            wire("SendMessage", json!("9,999"), "ACC-1"),
            "amount_malformed",
        ),
        (
            "read-only at any amount",
            Some(&reader),
            "1.0",
            wire("SendMessage", json!(1), "ACC-1"),
            "scope_not_granted",
        ),
        (
            "read-only, streaming",
            Some(&reader),
            "1.0",
            wire("SendStreamingMessage", json!(1), "ACC-1"),
            "scope_not_granted",
        ),
        (
            "account off the list",
            Some(&limited),
            "1.0",
            wire("SendMessage", json!(5), "ACC-2"),
            "account_not_allowed",
        ),
        (
            "account on the list",
            Some(&limited),
            "1.0",
            wire("SendMessage", json!(5), "ACC-1"),
            "ok",
        ),
        (
            "no credential",
            None,
            "1.0",
            wire("SendMessage", json!(5), "ACC-1"),
            "credential_required",
        ),
        (
            "v0.3 under the cap",
            Some(&payer),
            "0.3",
            wire_v03(9999.0),
            "ok",
        ),
        (
            "v0.3 over the cap",
            Some(&payer),
            "0.3",
            wire_v03(10001.0),
            "amount_over_limit",
        ),
        (
            "v0.3 read-only",
            Some(&reader),
            "0.3",
            wire_v03(1.0),
            "scope_not_granted",
        ),
    ];
    for (name, cred, version, body, want) in &cases {
        let (status, v) = rpc(&s, *cred, version, body).await;
        assert_eq!(status, 200, "{name}: JSON-RPC answers are HTTP 200: {v}");
        assert_eq!(outcome(&v), *want, "{name}: {v}");
        if *want != "ok" {
            assert_eq!(
                v["id"], body["id"],
                "{name}: the error answers the request's id"
            );
            let message = v["error"]["message"].as_str().unwrap();
            assert!(
                message.starts_with(want),
                "{name}: the message leads with the reason: {message}"
            );
        }
    }

    // What a message is for must be clear; what Parapet does not forward is refused.
    let mut no_skill = wire("SendMessage", json!(1), "ACC-1");
    no_skill["params"]["message"]["metadata"] = json!({});
    let mut unknown_skill = wire("SendMessage", json!(1), "ACC-1");
    unknown_skill["params"]["message"]["metadata"]["skill"] = json!("launder");
    let push = json!({"jsonrpc": "2.0", "id": 9, "method": "CreateTaskPushNotificationConfig", "params": {}});
    for (body, want, code) in [
        (no_skill, "skill_required", -32602),
        (unknown_skill, "unknown_skill", -32602),
        (push, "method_not_forwarded", -32601),
    ] {
        let (_, v) = rpc(&s, Some(&payer), "1.0", &body).await;
        assert_eq!(
            (outcome(&v).as_str(), v["error"]["code"].as_i64()),
            (want, Some(code)),
            "{v}"
        );
    }
    let raw =
        s.gw.client()
            .post(format!("{}/a2a/payments", s.gw.proxy_url()))
            .bearer_auth(&s.key)
            .body("{not json")
            .send()
            .await
            .unwrap();
    let v: Value = raw.json().await.unwrap();
    assert_eq!(v["error"]["code"], -32700, "{v}");

    // A task read goes through; the agent saw A2A-Version and none of the caller's secrets.
    let (_, sent) = rpc(
        &s,
        Some(&payer),
        "1.0",
        &wire("SendMessage", json!(1), "ACC-1"),
    )
    .await;
    let task_id = sent["result"]["task"]["id"].as_str().unwrap();
    let get = json!({"jsonrpc": "2.0", "id": 5, "method": "GetTask", "params": {"id": task_id}});
    let (_, got) = rpc(&s, Some(&payer), "1.0", &get).await;
    assert_eq!(got["result"]["id"], task_id, "{got}");
    let received: Value = reqwest::get(s.agent.received_url())
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let received = received.as_array().unwrap();
    assert_eq!(
        received.len(),
        6,
        "only the allowed calls reached the agent: {received:?}"
    );
    for r in received {
        assert!(r["headers"]["x-agent-credential"].is_null(), "{r}");
        assert!(r["headers"]["authorization"].is_null(), "{r}");
        assert!(!r["headers"]["a2a-version"].is_null(), "{r}");
    }

    // Every call is on the record, with the credential and the verdict.
    let records: Vec<Value> =
        s.gw.audit_records()
            .await
            .into_iter()
            .filter(|r| r["kind"] == "a2a.dispatch")
            .collect();
    assert_eq!(
        records.len(),
        cases.len() + 3 + 1 + 2,
        "one record per call"
    );
    let by_payer: Vec<&Value> = records
        .iter()
        .filter(|r| r["aida_credential_id"] == payer_id.as_str())
        .collect();
    let refused = by_payer
        .iter()
        .filter(|r| r["response"]["error"] == "amount_over_limit")
        .count();
    assert_eq!(refused, 2);
    let over = by_payer
        .iter()
        .find(|r| r["response"]["error"] == "amount_over_limit")
        .unwrap();
    assert_eq!(over["aida_scope_verified"], false);
    assert_eq!(over["request"]["skill"], "wire_transfer");
    assert_eq!(over["request"]["agent_id"], "payments");
    assert_eq!(over["caller"]["kind"], "agent");
    assert_eq!(over["caller"]["principal_id"], "alice");
    let done = by_payer
        .iter()
        .find(|r| r["request"]["method"] == "SendMessage" && r["response"]["error"].is_null())
        .unwrap();
    assert_eq!(done["aida_scope_verified"], true);
    assert_eq!(done["response"]["finish_reason"], "completed");
    assert!(done["response"]["response_sha256"].is_string());
}

#[tokio::test]
async fn streams_pass_through_and_are_recorded_even_when_the_client_leaves() {
    let s = setup().await;
    let (payer, _) = issue(&s.gw, &["initiate_payments"], &[]).await;
    let resp =
        s.gw.client()
            .post(format!("{}/a2a/payments", s.gw.proxy_url()))
            .bearer_auth(&s.key)
            .header("X-Agent-Credential", &payer)
            .header("A2A-Version", "1.0")
            .header("Accept", "text/event-stream")
            .json(&wire("SendStreamingMessage", json!(9999.0), "ACC-1"))
            .send()
            .await
            .unwrap();
    assert_eq!(resp.status(), 200);
    assert!(resp.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/event-stream"));
    let text = resp.text().await.unwrap();
    let events: Vec<Value> = text
        .split("\n\n")
        .flat_map(|e| e.split("\r\n\r\n"))
        .filter_map(|e| e.trim().strip_prefix("data:"))
        .map(|d| serde_json::from_str(d.trim()).unwrap())
        .collect();
    assert!(events.len() >= 4, "{text}");
    assert_eq!(
        events.last().unwrap()["result"]["statusUpdate"]["status"]["state"],
        "TASK_STATE_COMPLETED"
    );

    // A client that leaves after the first event still gets its record.
    let mut resp =
        s.gw.client()
            .post(format!("{}/a2a/payments", s.gw.proxy_url()))
            .bearer_auth(&s.key)
            .header("X-Agent-Credential", &payer)
            .header("A2A-Version", "1.0")
            .json(&wire("SendStreamingMessage", json!(1.0), "ACC-1"))
            .send()
            .await
            .unwrap();
    let first = resp.chunk().await.unwrap();
    assert!(first.is_some());
    drop(resp);
    let gw = &s.gw;
    let recorded = eventually(Duration::from_secs(5), || async {
        let records = gw.audit_records().await;
        let streams: Vec<&Value> = records
            .iter()
            .filter(|r| r["request"]["method"] == "SendStreamingMessage")
            .collect();
        streams.len() == 2
            && streams[0]["response"]["finish_reason"] == "completed"
            && streams[1]["response"]["client_disconnected"] == true
    })
    .await;
    assert!(recorded, "records: {:?}", s.gw.audit_records().await);
}

#[tokio::test]
async fn a_revoked_credential_stops_dispatch_within_a_second() {
    let s = setup().await;
    let (payer, id) = issue(&s.gw, &["initiate_payments"], &[]).await;
    let body = wire("SendMessage", json!(5), "ACC-1");
    assert_eq!(outcome(&rpc(&s, Some(&payer), "1.0", &body).await.1), "ok");
    let (status, _) =
        s.gw.admin(Method::DELETE, &format!("/api/aida/credentials/{id}"), None)
            .await;
    assert_eq!(status, 200);
    tokio::time::sleep(Duration::from_millis(1000)).await;
    assert_eq!(
        outcome(&rpc(&s, Some(&payer), "1.0", &body).await.1),
        "credential_revoked"
    );
    let get = json!({"jsonrpc": "2.0", "id": 5, "method": "ListTasks", "params": {}});
    assert_eq!(
        outcome(&rpc(&s, Some(&payer), "1.0", &get).await.1),
        "credential_revoked",
        "reads too"
    );
}

#[tokio::test]
async fn the_registry_validates_and_records_every_change() {
    let s = setup().await;
    let agents = "/api/agents";
    let bad = json!({"id": "Bad Id", "name": "x", "url": "http://127.0.0.1:1", "owner": "o"});
    let (status, v) = s.gw.admin(Method::POST, agents, Some(&bad)).await;
    assert_eq!(
        (status, v["error"]["param"].as_str()),
        (400, Some("id")),
        "{v}"
    );
    let unknown_scope = json!({"id": "x", "name": "x", "url": "http://127.0.0.1:1", "owner": "o",
        "skills": [{"id": "s", "required_scopes": ["everything"]}]});
    let (status, v) = s.gw.admin(Method::POST, agents, Some(&unknown_scope)).await;
    assert_eq!(status, 400, "{v}");
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .contains("everything"),
        "{v}"
    );
    let dup = json!({"id": "payments", "name": "again", "url": "http://127.0.0.1:1", "owner": "o"});
    assert_eq!(s.gw.admin(Method::POST, agents, Some(&dup)).await.0, 409);

    let replacement = json!({"name": "Payments v2", "url": s.agent.base_url(), "owner": "treasury", "skills": []});
    let (status, v) =
        s.gw.admin(Method::PUT, "/api/agents/payments", Some(&replacement))
            .await;
    assert_eq!(
        (status, v["name"].as_str()),
        (200, Some("Payments v2")),
        "{v}"
    );
    let (_, list) = s.gw.admin(Method::GET, agents, None).await;
    assert_eq!(list["data"].as_array().unwrap().len(), 1);
    assert_eq!(
        s.gw.admin(Method::DELETE, "/api/agents/payments", None)
            .await
            .0,
        204
    );
    assert_eq!(
        s.gw.admin(Method::GET, "/api/agents/payments", None)
            .await
            .0,
        404
    );

    let kinds: Vec<String> =
        s.gw.audit_records()
            .await
            .iter()
            .filter_map(|r| {
                r["kind"]
                    .as_str()
                    .filter(|k| k.starts_with("admin.agent"))
                    .map(String::from)
            })
            .collect();
    assert_eq!(
        kinds,
        [
            "admin.agent.create",
            "admin.agent.update",
            "admin.agent.delete"
        ]
    );
}

#[tokio::test]
async fn the_official_a2a_sdk_client_and_server_work_through_the_gateway() {
    let s = setup().await;
    let (allowed, _) = issue(&s.gw, &["initiate_payments"], &[]).await;
    let (readonly, _) = issue(&s.gw, &["read_only"], &[]).await;
    let card = format!(
        "{}/a2a/payments/.well-known/agent-card.json",
        s.gw.proxy_url()
    );
    let env = [
        ("PARAPET_A2A_CARD_URL", card),
        ("PARAPET_A2A_KEY", s.key.clone()),
        ("PARAPET_A2A_CRED_ALLOWED", allowed),
        ("PARAPET_A2A_CRED_READONLY", readonly),
        ("PARAPET_A2A_AGENT_RECEIVED_URL", s.agent.received_url()),
    ];
    let env = env.into_iter().map(|(k, v)| (k.to_string(), v)).collect();
    run_pytest(&s.gw, "tests/python/test_a2a_sdk.py", env).await;
}
