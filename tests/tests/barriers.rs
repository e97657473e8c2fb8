//! Information barriers end to end: a real slapd (users, nested groups), the real gateway,
//! the mock upstream. Research may discuss MNPI; the trading desk may not receive it, neither
//! in a prompt nor in an answer, streamed or not; every trigger is a supervision record.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests"
)]

use std::time::Duration;

use parapet_tests::harness::{eventually, ConfigBuilder, Gateway, Redis};
use parapet_tests::mock::MockServer;
use parapet_tests::wall::{chat, setup, violations, MNPI_PROMPT};
use reqwest::Method;
use serde_json::{json, Value};

#[tokio::test]
async fn the_same_mnpi_prompt_passes_for_research_and_is_blocked_for_trading() {
    let s = setup(None, "").await;
    let gw = &s.gw;

    let r = gw.chat(&s.alice, &chat(MNPI_PROMPT, false)).await;
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap_or_default());

    let r = gw.chat(&s.bob, &chat(MNPI_PROMPT, false)).await;
    assert_eq!(r.status(), 403);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"]["code"], "information_barrier", "{body}");
    assert!(
        !body.to_string().contains("Q3"),
        "the refusal echoes no content: {body}"
    );

    let r = gw.chat(&s.bob, &chat(MNPI_PROMPT, true)).await;
    assert_eq!(r.status(), 403);

    // Only alice's prompt reached the model.
    let sent = s.mock.requests();
    assert_eq!(sent.len(), 1, "a blocked prompt is never forwarded");

    // The trader's harmless question still works.
    let r = gw
        .chat(&s.bob, &chat("What is the weather in Oslo?", false))
        .await;
    assert_eq!(r.status(), 200);

    let v = violations(gw, "?user=bob").await;
    assert_eq!(v.len(), 2, "{v:?}");
    let first = &v[0];
    assert_eq!(first["barrier_id"], s.barrier_id.as_str());
    assert_eq!(first["action"], "Block");
    assert_eq!(first["direction"], "prompt");
    assert!(first["groups"]
        .as_array()
        .unwrap()
        .iter()
        .any(|g| g == "Trading-Desk"));
    assert!(first["labels"]
        .as_array()
        .unwrap()
        .iter()
        .any(|l| l == "mnpi"));
    assert!(first["excerpt"]
        .as_str()
        .unwrap()
        .starts_with("Halvorsen Biotech will miss"));
    let seq = first["audit_seq"].as_u64().expect("audit seq");

    let records = gw.audit_records().await;
    let rec = records
        .iter()
        .find(|r| r["seq"] == seq)
        .expect("barrier.violation record");
    assert_eq!(rec["kind"], "barrier.violation");
    let call = records
        .iter()
        .rev()
        .find(|r| r["kind"] == "llm.call" && r["response"]["status"] == 403)
        .expect("the refused call's record");
    assert_eq!(call["guardrails"]["action"], "Block");
    assert!(call["guardrails"]["labels"]
        .as_array()
        .unwrap()
        .iter()
        .any(|l| l == "mnpi"));
    assert!(
        !rec.to_string().contains("Q3 earnings"),
        "audit records carry no content"
    );
    // Alice's call carries its labels but no barrier.
    let alice_call = records
        .iter()
        .find(|r| r["kind"] == "llm.call" && r["caller"]["id"] == "alice")
        .unwrap();
    assert_eq!(alice_call["guardrails"]["action"], Value::Null);
    assert!(
        alice_call["caller"]["groups"]
            .as_array()
            .unwrap()
            .iter()
            .any(|g| g == "Research-Analysts"),
        "nested group resolved: {alice_call}"
    );

    // Review: not by bob himself; by carol yes, once.
    let id = first["id"].as_str().unwrap();
    let path = format!("/api/barriers/violations/{id}/review");
    let (st, body) = gw
        .admin(Method::POST, &path, Some(&json!({"reviewer": "bob"})))
        .await;
    assert_eq!(
        (st, body["error"]["code"].clone()),
        (403, json!("self_review"))
    );
    let (st, body) = gw
        .admin(
            Method::POST,
            &path,
            Some(&json!({"reviewer": "carol", "note": "trader warned"})),
        )
        .await;
    assert_eq!(st, 200, "{body}");
    assert_eq!(body["reviewed_by"], "carol");
    let (st, _) = gw
        .admin(Method::POST, &path, Some(&json!({"reviewer": "dave"})))
        .await;
    assert_eq!(st, 409);
    assert_eq!(violations(gw, "?reviewed=false").await.len(), 1);

    let (st, a) = gw
        .admin(Method::GET, "/api/barriers/attestation", None)
        .await;
    assert_eq!(st, 200);
    assert_eq!(a["total_violations"], 2, "{a}");
    assert_eq!(a["blocked"], 2);
    assert_eq!(a["reviewed"], 1);
    assert_eq!(a["pending_review"], 1);
    assert_eq!(a["high"], 2);
    assert_eq!(a["by_barrier"][0]["barrier_id"], s.barrier_id.as_str());
    let (st, a) = gw
        .admin(
            Method::GET,
            "/api/barriers/attestation?from=2000-01-01T00:00:00Z&to=2000-02-01T00:00:00Z",
            None,
        )
        .await;
    assert_eq!((st, a["total_violations"].clone()), (200, json!(0)));
}

#[tokio::test]
async fn a_streamed_answer_that_turns_to_mnpi_is_cut_before_the_restricted_words_leave() {
    let s = setup(None, "").await;
    let body = json!({
        "model": "gpt-test", "stream": true,
        "messages": [{"role": "user", "content": "Anything new in biotech?"}],
        "mock": {"chunks": [
            "Markets were calm today, ", "with volumes below average. ", "Off the record: ",
            "Halvorsen ", "Biotech will miss ", "its Q3 earnings guidance ", "next week.",
        ], "chunk_delay_ms": 20},
    });
    let r = s.gw.chat(&s.bob, &body).await;
    assert_eq!(r.status(), 200);
    let text = r.text().await.unwrap();
    assert!(
        text.contains("Markets were calm"),
        "the clean start is delivered: {text}"
    );
    assert!(
        !text.contains("Halvorsen"),
        "restricted words left the gateway: {text}"
    );
    assert!(!text.contains("Q3"), "{text}");
    assert!(
        text.contains("\"information_barrier\""),
        "ends with an error event: {text}"
    );
    assert!(!text.contains("[DONE]"), "{text}");

    // The same answer reaches research in full.
    let r = s.gw.chat(&s.alice, &body).await;
    let text = r.text().await.unwrap();
    assert!(
        text.contains("Halvorsen") && text.contains("[DONE]"),
        "{text}"
    );

    // The supervision record was durable before the error event: no waiting for it.
    let v = violations(&s.gw, "?user=bob").await;
    assert_eq!(v.len(), 1, "{v:?}");
    assert_eq!(v[0]["direction"], "response");
    let (_, a) =
        s.gw.admin(Method::GET, "/api/barriers/attestation", None)
            .await;
    assert_eq!(a["blocked"], 1, "{a}");

    let records = s.gw.audit_records().await;
    let call = records
        .iter()
        .rev()
        .find(|r| r["kind"] == "llm.call" && r["caller"]["id"] == "bob")
        .unwrap();
    assert_eq!(call["response"]["error"], "information_barrier", "{call}");
    assert_eq!(call["guardrails"]["action"], "Block");
}

/// The `data` of chat chunks with these deltas (one choice each).
fn chunks(deltas: &[(u64, &str)]) -> Vec<String> {
    (deltas.iter())
        .map(|(i, d)| format!("{{\"object\":\"chat.completion.chunk\",\"choices\":[{{\"index\":{i},\"delta\":{d}}}]}}"))
        .collect()
}

#[tokio::test]
async fn a_streamed_answer_written_in_another_way_is_read_and_cut_all_the_same() {
    let s = setup(None, "").await;
    let cases: Vec<(&str, Vec<String>)> = vec![
        (
            "two choices interleaved, one of them turning to MNPI with a word cut in two",
            chunks(&[
                (0, r#"{"content":"Markets were calm. "}"#),
                (1, r#"{"content":"Off the record: Halv"}"#),
                (0, r#"{"content":"Volumes were low. "}"#),
                (1, r#"{"content":"orsen Biotech will miss "}"#),
                (0, r#"{"content":"Nothing else. "}"#),
                (1, r#"{"content":"its Q3 earnings guidance."}"#),
            ]),
        ),
        (
            "whitespace before the colon, and an escaped key",
            chunks(&[
                (0, r#"{"content" : "Off the record: Halvorsen "}"#),
                (
                    0,
                    r#"{"\u0063ontent":"Biotech will miss its Q3 earnings guidance."}"#,
                ),
            ]),
        ),
        (
            "a tool call's arguments",
            chunks(&[
                (
                    0,
                    r#"{"tool_calls":[{"index":0,"id":"c","type":"function","function":{"name":"note","arguments":""}}]}"#,
                ),
                (
                    0,
                    r#"{"tool_calls":[{"index":0,"function":{"arguments":"{\"text\":\"Halvorsen Bio"}}]}"#,
                ),
                (
                    0,
                    r#"{"tool_calls":[{"index":0,"function":{"arguments":"tech will miss its Q3 earnings guidance\"}"}}]}"#,
                ),
            ]),
        ),
        (
            "reasoning and content in one event, the content's word cut at its end",
            chunks(&[
                (
                    0,
                    r#"{"reasoning_content":"thinking","content":"Off the record: Halv"}"#,
                ),
                (
                    0,
                    r#"{"content":"orsen will miss its Q3 earnings guidance."}"#,
                ),
            ]),
        ),
        (
            "data that is not JSON",
            vec!["Halvorsen Biotech will miss its Q3 earnings guidance.".to_string()],
        ),
    ];
    for (case, events) in cases {
        let body = json!({
            "model": "gpt-test", "stream": true,
            "messages": [{"role": "user", "content": "Anything new in biotech?"}],
            "mock": {"raw_events": events},
        });
        let r = s.gw.chat(&s.bob, &body).await;
        assert_eq!(r.status(), 200, "{case}");
        let text = r.text().await.unwrap();
        assert!(
            !text.contains("orsen") && !text.contains("Q3"),
            "{case}: restricted words left the gateway: {text}"
        );
        assert!(
            text.contains("\"information_barrier\"") && !text.contains("[DONE]"),
            "{case}: ends with an error event: {text}"
        );
        // Research receives it whole.
        let text = s.gw.chat(&s.alice, &body).await.text().await.unwrap();
        assert!(
            text.contains("Q3") && text.contains("[DONE]"),
            "{case}: {text}"
        );
    }
    let v = violations(&s.gw, "?user=bob").await;
    assert_eq!(v.len(), 5, "one supervision record per case: {v:?}");
}

#[tokio::test]
async fn mnpi_in_embeddings_input_or_tool_descriptions_is_a_prompt_like_any_other() {
    let s = setup(None, "").await;
    let embed = |input: Value| json!({"model": "embed-test", "input": input});
    let r =
        s.gw.post_proxy("/v1/embeddings", &s.bob, &embed(json!([MNPI_PROMPT])))
            .await;
    assert_eq!(r.status(), 403);
    assert!(r.text().await.unwrap().contains("information_barrier"));
    let r =
        s.gw.post_proxy("/v1/embeddings", &s.alice, &embed(json!(MNPI_PROMPT)))
            .await;
    assert_eq!(r.status(), 200);
    // Token ids cannot be read: refused for a caller behind a barrier, with the reason.
    let r =
        s.gw.post_proxy("/v1/embeddings", &s.bob, &embed(json!([1, 2, 3])))
            .await;
    assert_eq!(r.status(), 400);
    assert!(r
        .text()
        .await
        .unwrap()
        .contains("token ids cannot be classified"));

    let hidden = json!({
        "model": "gpt-test",
        "messages": [{"role": "user", "content": "Use the tool."}],
        "tools": [{"type": "function", "function": {"name": "note", "description": MNPI_PROMPT}}],
    });
    let r = s.gw.chat(&s.bob, &hidden).await;
    assert_eq!(r.status(), 403);
    let v = violations(&s.gw, "?user=bob").await;
    assert_eq!(v.len(), 2, "{v:?}");
    assert!(v.iter().any(|x| x["route"] == "/v1/embeddings"), "{v:?}");
}

#[tokio::test]
async fn a_reasoning_text_that_ends_does_not_hold_back_the_answer_after_it() {
    // Reasoning whose last word is cut, then the answer: the reasoning channel ends when the
    // content begins, so the answer flows while the stream goes on (400 ms between events).
    let s = setup(None, "").await;
    let mut events = chunks(&[(0, r#"{"reasoning_content":"Let me think abou"}"#)]);
    for i in 0..6 {
        events.extend(chunks(&[(
            0,
            &format!(r#"{{"content":"Part {i} of a calm answer. "}}"#),
        )]));
    }
    let body = json!({
        "model": "gpt-test", "stream": true,
        "messages": [{"role": "user", "content": "Anything new?"}],
        "mock": {"raw_events": events, "chunk_delay_ms": 400},
    });
    let t0 = std::time::Instant::now();
    let r = s.gw.chat(&s.bob, &body).await;
    assert_eq!(r.status(), 200);
    let got = parapet_tests::sse::collect(r, t0).await;
    let first = got
        .iter()
        .find(|e| e.data.contains("Part 1 of"))
        .unwrap_or_else(|| panic!("no answer text in {got:?}"));
    let last = got.last().unwrap();
    assert!(last.is_done(), "{got:?}");
    assert!(
        last.at > Duration::from_millis(2000) && first.at + Duration::from_millis(800) < last.at,
        "the answer was held back: 'Part 1' at {:?}, the end at {:?}",
        first.at,
        last.at
    );
}

#[tokio::test]
async fn a_complete_answer_with_mnpi_is_refused_for_trading() {
    let s = setup(None, "").await;
    let body = json!({
        "model": "gpt-test",
        "messages": [{"role": "user", "content": "Anything new?"}],
        "mock": {"reply": "Project Falcon: Tessaly will acquire Halvorsen at $42 a share."},
    });
    let r = s.gw.chat(&s.bob, &body).await;
    assert_eq!(r.status(), 403);
    let text = r.text().await.unwrap();
    assert!(
        text.contains("information_barrier") && !text.contains("Tessaly"),
        "{text}"
    );
    let r = s.gw.chat(&s.alice, &body).await;
    assert_eq!(r.status(), 200);
}

#[tokio::test]
async fn a_log_barrier_passes_and_records_and_deleting_it_stops_the_records() {
    let s = setup(None, "").await;
    let (st, _) =
        s.gw.admin(
            Method::PUT,
            &format!("/api/barriers/{}", s.barrier_id),
            Some(&json!({
                "name": "Research / Trading wall",
                "side_a_groups": ["Research-Analysts"],
                "side_b_groups": ["Trading-Desk"],
                "restricted_content_labels": ["mnpi"],
                "action": "Log",
                "severity": "critical",
            })),
        )
        .await;
    assert_eq!(st, 200);
    // The mock would echo the prompt (a second, response-side trigger): answer plainly.
    let mut quiet = chat(MNPI_PROMPT, false);
    quiet["mock"] = json!({"reply": "Noted."});
    let r = s.gw.chat(&s.bob, &quiet).await;
    assert_eq!(r.status(), 200);
    let v = violations(&s.gw, "?action=Log").await;
    assert_eq!(v.len(), 1);
    assert_eq!(v[0]["severity"], "critical");
    let (_, a) =
        s.gw.admin(Method::GET, "/api/barriers/attestation", None)
            .await;
    assert_eq!(
        (a["logged"].clone(), a["critical"].clone()),
        (json!(1), json!(1))
    );

    let (st, _) =
        s.gw.admin(
            Method::DELETE,
            &format!("/api/barriers/{}", s.barrier_id),
            None,
        )
        .await;
    assert_eq!(st, 204);
    let r = s.gw.chat(&s.bob, &quiet).await;
    assert_eq!(r.status(), 200);
    assert_eq!(
        violations(&s.gw, "").await.len(),
        1,
        "no barrier, no record"
    );
    let kinds: Vec<String> =
        s.gw.audit_records()
            .await
            .iter()
            .map(|r| r["kind"].as_str().unwrap_or("").to_string())
            .collect();
    for k in [
        "admin.barrier.create",
        "admin.barrier.update",
        "admin.barrier.delete",
    ] {
        assert!(kinds.iter().any(|x| x == k), "{k} missing in {kinds:?}");
    }
}

#[tokio::test]
async fn barriers_are_checked_when_written() {
    let s = setup(None, "").await;
    let (st, body) =
        s.gw.admin(
            Method::POST,
            "/api/barriers",
            Some(
                &json!({"name": "x", "side_a_groups": ["A"], "side_b_groups": ["B"],
                         "restricted_content_labels": ["gossip"], "action": "Block"}),
            ),
        )
        .await;
    assert_eq!(st, 400);
    assert_eq!(body["error"]["param"], "restricted_content_labels");
    let (st, _) = s.gw.admin(Method::GET, "/api/barriers/nope", None).await;
    assert_eq!(st, 404);
}

#[tokio::test]
async fn the_watch_list_is_swapped_through_the_api_and_seen_by_another_instance() {
    let redis = Redis::start();
    let url = redis.url();
    let s = setup(Some(redis), "").await;
    let text = json!({"text": "Norrvik Shipping is about to announce a merger."});
    let (st, before) = s.gw.admin(Method::POST, "/api/classify", Some(&text)).await;
    assert_eq!(st, 200);
    assert_eq!(before["labels"], json!([]), "{before}");

    // A second instance on the same Redis.
    let mock2 = MockServer::start().unwrap();
    let gw2 = Gateway::start(
        &ConfigBuilder::standard(&mock2.base_v1())
            .store_redis(&url)
            .build(),
        &[],
    );

    let list =
        json!({"issuers": [{"name": "Norrvik Shipping", "ticker": "NRVK", "list": "restricted"}]});
    let (st, info) = s.gw.admin(Method::PUT, "/api/watchlist", Some(&list)).await;
    assert_eq!(st, 200, "{info}");
    assert_eq!(info["issuers"], 1);
    let (_, after) = s.gw.admin(Method::POST, "/api/classify", Some(&text)).await;
    assert!(
        after["labels"]
            .as_array()
            .unwrap()
            .iter()
            .any(|l| l == "mnpi"),
        "{after}"
    );
    assert!(
        eventually(Duration::from_secs(10), || async {
            let (_, v) = gw2.admin(Method::POST, "/api/classify", Some(&text)).await;
            v["labels"]
                .as_array()
                .is_some_and(|l| l.iter().any(|l| l == "mnpi"))
        })
        .await,
        "the other instance picked up the list"
    );
    let (st, _) =
        s.gw.admin(
            Method::PUT,
            "/api/watchlist",
            Some(&json!({"issuers": "no"})),
        )
        .await;
    assert_eq!(st, 400);
    let kinds: Vec<Value> =
        s.gw.audit_records()
            .await
            .iter()
            .map(|r| r["kind"].clone())
            .collect();
    assert!(kinds.contains(&json!("admin.watchlist.replace")));
}

#[tokio::test]
async fn the_official_openai_python_sdk_sees_the_barrier_streaming_and_not() {
    use std::process::{Command, Stdio};
    let present = Command::new("python3")
        .args(["-c", "import openai, pytest"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    assert!(
        present,
        "install the Python clients: pip install openai pytest (scripts/test does it)"
    );
    let s = setup(None, "").await;
    let base = format!("{}/v1", s.gw.proxy_url());
    let (alice, bob) = (s.alice.clone(), s.bob.clone());
    let out = tokio::task::spawn_blocking(move || {
        Command::new("python3")
            .args([
                "-m",
                "pytest",
                "-q",
                "-p",
                "no:cacheprovider",
                "tests/python/test_barriers_sdk.py",
            ])
            .current_dir(parapet_tests::harness::workspace_root())
            .env("PARAPET_BASE_URL", base)
            .env("PARAPET_MODEL", "gpt-test")
            .env("PARAPET_ANALYST_KEY", alice)
            .env("PARAPET_TRADER_KEY", bob)
            .env("PARAPET_MNPI_PROMPT", MNPI_PROMPT)
            .env("NO_PROXY", "127.0.0.1,localhost")
            .stdin(Stdio::null())
            .output()
            .expect("run python3 -m pytest")
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.contains(" passed") && !stdout.contains("skipped"),
        "pytest failed:\n{stdout}\n{}\n--- gateway ---\n{}",
        String::from_utf8_lossy(&out.stderr),
        s.gw.stderr()
    );
    // Two prompt blocks and one streamed-answer block, all supervised before each answer ended.
    let (_, a) =
        s.gw.admin(Method::GET, "/api/barriers/attestation", None)
            .await;
    assert_eq!(a["blocked"], 3, "{a}");
}
