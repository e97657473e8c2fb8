//! A streamed answer's supervision record is durable before the stream ends: the violations
//! list has it the moment the last event arrived, for a Log barrier (before `[DONE]`) as for a
//! Block (before the error event). When the store cannot take it, the stream does not end as
//! if it were supervised: it ends with an error event, never `[DONE]`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests"
)]

use futures_util::StreamExt;
use parapet_tests::harness::Redis;
use parapet_tests::wall::{setup, setup_with, violations, Options};
use serde_json::{json, Value};

fn turning_to_mnpi(delay_ms: u64) -> Value {
    json!({
        "model": "gpt-test", "stream": true,
        "messages": [{"role": "user", "content": "Anything new in biotech?"}],
        "mock": {"chunks": [
            "Markets were calm today, ", "with volumes below average. ", "Off the record: ",
            "Halvorsen ", "Biotech will miss ", "its Q3 earnings guidance ", "next week. ",
            "That is all for today.",
        ], "chunk_delay_ms": delay_ms},
    })
}

#[tokio::test]
async fn a_logged_streamed_answer_is_supervised_before_its_done() {
    let s = setup(None, "").await;
    s.set_action("Log").await;
    let r = s.gw.chat(&s.bob, &turning_to_mnpi(5)).await;
    assert_eq!(r.status(), 200);
    let text = r.text().await.unwrap();
    assert!(
        text.contains("Halvorsen") && text.trim_end().ends_with("data: [DONE]"),
        "a Log barrier lets the answer through: {text}"
    );
    // Asked the moment the stream ended: the record is there already.
    let v = violations(&s.gw, "?user=bob").await;
    assert_eq!(v.len(), 1, "{v:?}");
    assert_eq!(
        (v[0]["direction"].clone(), v[0]["action"].clone()),
        (json!("response"), json!("Log"))
    );
    assert!(v[0]["audit_seq"].is_u64(), "{v:?}");
    let records = s.gw.audit_records().await;
    assert!(
        records.iter().any(|r| r["kind"] == "barrier.violation"),
        "its audit record too"
    );
}

#[tokio::test]
async fn a_stream_whose_supervision_record_cannot_be_written_ends_in_an_error_not_done() {
    let s = setup_with(Options {
        redis: Some(Redis::start()),
        // The call's own record goes on without the store, so what refuses is the
        // supervision record.
        raw: "[audit]\non_failure = \"open\"\n",
        ..Options::default()
    })
    .await;
    let mut s = s;
    s.set_action("Log").await;
    let r = s.gw.chat(&s.bob, &turning_to_mnpi(300)).await;
    assert_eq!(r.status(), 200);
    let mut body = r.bytes_stream();
    let mut text = String::new();
    while !text.contains("Markets") {
        let chunk = body.next().await.unwrap().unwrap();
        text.push_str(&String::from_utf8_lossy(&chunk));
    }
    // The store goes away before the restricted words come.
    s.redis.as_mut().unwrap().stop();
    while let Some(chunk) = body.next().await {
        text.push_str(&String::from_utf8_lossy(&chunk.unwrap()));
    }
    assert!(
        !text.contains("[DONE]"),
        "an unsupervised answer ended as complete: {text}"
    );
    let last = text.trim_end().rsplit("\n\n").next().unwrap_or_default();
    assert!(
        last.contains("\"store_unavailable\""),
        "ends with the store's error event: {text}"
    );
}
