//! Information barriers on A2A traffic, against the real `a2a-sdk` agent and a real slapd.
//! A message is checked for the caller and for the agent's owner (the side it reaches); an
//! answer, complete or streamed, for the caller. A Block is the JSON-RPC refusal -32040 with
//! reason `information_barrier`; the restricted words never reach the side they may not reach;
//! the supervision record is there the moment the answer ended.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests"
)]

use parapet_tests::harness::{A2aAgent, Gateway};
use parapet_tests::wall::{setup, violations, Setup, MNPI_PROMPT};
use reqwest::Method;
use serde_json::{json, Value};

/// `desk` is owned by bob (Trading-Desk), `neutral` by carol (Compliance-Officers).
async fn with_agents() -> (Setup, A2aAgent) {
    let agent = A2aAgent::start();
    let s = setup(None, "").await;
    for (id, owner) in [("desk", "bob"), ("neutral", "carol")] {
        let profile =
            json!({"id": id, "name": id, "url": agent.base_url(), "owner": owner, "skills": []});
        let (status, body) =
            s.gw.admin(Method::POST, "/api/agents", Some(&profile))
                .await;
        assert_eq!(status, 201, "{body}");
    }
    (s, agent)
}

/// A v1.0 message; `reply` steers what the test agent answers (metadata is not classified).
fn message(method: &str, text: &str, reply: Option<&str>) -> Value {
    let mut metadata = json!({});
    if let Some(r) = reply {
        metadata["reply"] = json!(r);
    }
    json!({"jsonrpc": "2.0", "id": "r-1", "method": method, "params": {"message": {
        "messageId": "m-1", "role": "ROLE_USER", "metadata": metadata,
        "parts": [{"text": text}]}}})
}

async fn send(gw: &Gateway, key: &str, agent: &str, body: &Value) -> String {
    let resp = gw
        .client()
        .post(format!("{}/a2a/{agent}", gw.proxy_url()))
        .bearer_auth(key)
        .header("A2A-Version", "1.0")
        .json(body)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    resp.text().await.unwrap()
}

fn refusal_reason(answer: &Value) -> Option<String> {
    let e = answer.get("error")?;
    assert_eq!(e["code"], -32040, "{answer}");
    e["data"]["reason"].as_str().map(String::from)
}

/// The JSON of the last event of an SSE body.
fn last_event(text: &str) -> Value {
    let text = text.replace("\r\n", "\n");
    let data = text
        .split("\n\n")
        .filter_map(|e| e.trim().strip_prefix("data:"))
        .last()
        .unwrap_or_else(|| panic!("no event in {text}"));
    serde_json::from_str(data.trim()).unwrap()
}

async fn messages_received(agent: &A2aAgent) -> usize {
    let got: Vec<Value> = reqwest::get(agent.received_url())
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    got.iter()
        .filter(|r| r["method"].as_str().unwrap_or("").contains("Message"))
        .count()
}

#[tokio::test]
async fn a_trader_neither_sends_nor_receives_mnpi_through_an_agent() {
    let (s, agent) = with_agents().await;
    let gw = &s.gw;

    let text = send(
        gw,
        &s.bob,
        "neutral",
        &message("SendMessage", MNPI_PROMPT, None),
    )
    .await;
    let answer: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(
        refusal_reason(&answer).as_deref(),
        Some("information_barrier")
    );
    assert!(
        !text.contains("Q3"),
        "the refusal echoes no content: {text}"
    );
    assert_eq!(messages_received(&agent).await, 0, "never forwarded");

    // A harmless question whose answer carries MNPI: refused whole.
    let ask = message("SendMessage", "Anything new in biotech?", Some(MNPI_PROMPT));
    let text = send(gw, &s.bob, "neutral", &ask).await;
    let answer: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(
        refusal_reason(&answer).as_deref(),
        Some("information_barrier")
    );
    assert!(!text.contains("Halvorsen"), "{text}");

    // Streamed: the events before the answer pass, the answer never does.
    let ask = message("SendStreamingMessage", "Anything new?", Some(MNPI_PROMPT));
    let text = send(gw, &s.bob, "neutral", &ask).await;
    // (The task's history repeats the request, metadata and all: that is the caller's own.)
    assert!(
        !text.contains("artifactUpdate") && !text.contains("echo"),
        "the agent's answer left: {text}"
    );
    assert_eq!(
        refusal_reason(&last_event(&text)).as_deref(),
        Some("information_barrier"),
        "{text}"
    );
    // Recorded before the stream ended: no waiting.
    let v = violations(gw, "?user=bob").await;
    // Newest first.
    let directions: Vec<&str> = v.iter().map(|x| x["direction"].as_str().unwrap()).collect();
    assert_eq!(directions, ["response", "response", "prompt"], "{v:?}");
    assert!(v.iter().all(|x| x["route"] == "/a2a/neutral"), "{v:?}");
    // The message went to carol's agent: the record says so; answers come back to bob only.
    assert_eq!(v[2]["recipient"]["id"], "carol", "{v:?}");
    assert!(v[..2].iter().all(|x| x.get("recipient").is_none()), "{v:?}");

    // Research receives the same streamed answer in full.
    let text = send(gw, &s.alice, "neutral", &ask).await;
    assert!(text.contains("Halvorsen"), "{text}");
    assert!(last_event(&text).get("error").is_none(), "{text}");

    let records = gw.audit_records().await;
    let refused: Vec<&Value> = records
        .iter()
        .filter(|r| r["kind"] == "a2a.dispatch" && r["caller"]["id"] == "bob")
        .collect();
    assert_eq!(refused.len(), 3);
    assert!(
        refused
            .iter()
            .all(|r| r["response"]["error"] == "information_barrier"
                && r["guardrails"]["action"] == "Block"),
        "{refused:?}"
    );
}

#[tokio::test]
async fn an_artifact_streamed_in_appended_pieces_is_read_as_one_text() {
    let (s, _agent) = with_agents().await;
    let gw = &s.gw;
    // A word cut between two appended pieces: read apart, neither half names the issuer.
    let mut ask = message("SendStreamingMessage", "Anything new?", Some("unused"));
    ask["params"]["message"]["metadata"]["reply_chunks"] = json!([
        "Off the record: Halv",
        "orsen will miss its Q3 ",
        "earnings guidance.",
    ]);
    let text = send(gw, &s.bob, "neutral", &ask).await;
    // (The task's history repeats the request, metadata and all: that is the caller's own.)
    assert!(
        !text.contains("artifactUpdate"),
        "the agent's answer left: {text}"
    );
    assert_eq!(
        refusal_reason(&last_event(&text)).as_deref(),
        Some("information_barrier"),
        "{text}"
    );
    let text = send(gw, &s.alice, "neutral", &ask).await;
    assert_eq!(text.matches("artifactUpdate").count(), 3, "{text}");
    assert!(last_event(&text).get("error").is_none(), "{text}");

    // The same cut between status messages, one per piece.
    let mut ask = message("SendStreamingMessage", "Anything new?", None);
    ask["params"]["message"]["metadata"]["status_chunks"] = json!([
        "Off the record: Halv",
        "orsen will miss its Q3 ",
        "earnings guidance.",
    ]);
    let text = send(gw, &s.bob, "neutral", &ask).await;
    assert_eq!(
        refusal_reason(&last_event(&text)).as_deref(),
        Some("information_barrier"),
        "{text}"
    );
    // (The first event, the task, repeats the request with its metadata: the caller's own.)
    let after_task: Vec<&str> = text.split("\n\n").skip(1).collect();
    assert!(
        after_task.iter().all(|e| !e.contains("orsen")),
        "a status message with the restricted words left: {text}"
    );
    let text = send(gw, &s.alice, "neutral", &ask).await;
    assert!(last_event(&text).get("error").is_none(), "{text}");
}

#[tokio::test]
async fn an_analyst_may_not_send_mnpi_to_an_agent_the_trading_desk_owns() {
    let (s, agent) = with_agents().await;
    let gw = &s.gw;
    let text = send(
        gw,
        &s.alice,
        "desk",
        &message("SendMessage", MNPI_PROMPT, None),
    )
    .await;
    let answer: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(
        refusal_reason(&answer).as_deref(),
        Some("information_barrier")
    );
    assert_eq!(messages_received(&agent).await, 0);
    let v = violations(gw, "?user=alice").await;
    assert_eq!(v.len(), 1, "{v:?}");
    assert_eq!(v[0]["direction"], "prompt");
    assert_eq!(v[0]["recipient"]["id"], "bob");
    assert!(v[0]["recipient"]["groups"]
        .as_array()
        .unwrap()
        .iter()
        .any(|g| g == "Trading-Desk"));

    // The same message to an agent outside the wall goes through, as does a plain one to desk.
    let text = send(
        gw,
        &s.alice,
        "neutral",
        &message("SendMessage", MNPI_PROMPT, None),
    )
    .await;
    assert!(
        serde_json::from_str::<Value>(&text)
            .unwrap()
            .get("result")
            .is_some(),
        "{text}"
    );
    let text = send(
        gw,
        &s.alice,
        "desk",
        &message("SendMessage", "What's the weather?", None),
    )
    .await;
    assert!(
        serde_json::from_str::<Value>(&text)
            .unwrap()
            .get("result")
            .is_some(),
        "{text}"
    );
    assert_eq!(messages_received(&agent).await, 2);
}
