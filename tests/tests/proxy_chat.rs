//! Chat, embeddings and model listing through the gateway to the mock provider.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests"
)]

use std::time::{Duration, Instant};

use parapet_tests::errors::{is_uuid_v7, Seen};
use parapet_tests::harness::{ConfigBuilder, Gateway};
use parapet_tests::mock::MockServer;
use parapet_tests::sse;
use serde_json::{json, Value};

const UPSTREAM_KEY: &str = "sk-mock-upstream-secret";

struct Setup {
    mock: MockServer,
    gw: Gateway,
    key: String,
}

async fn setup() -> Setup {
    let mock = MockServer::start().unwrap();
    let cfg = ConfigBuilder::new()
        .provider(
            "mock",
            "openai",
            &mock.base_v1(),
            &["api_key_env = \"MOCK_KEY\""],
        )
        .provider_echo()
        .model("gpt-test", "mock", "upstream-model", &[])
        .model("embed-test", "mock", "upstream-embed", &[])
        .model("echo", "echo", "echo", &[])
        .build();
    let gw = Gateway::start(&cfg, &[("MOCK_KEY", UPSTREAM_KEY)]);
    let key = gw.create_key("alice", &[]).await;
    Setup { mock, gw, key }
}

fn user(text: &str) -> Value {
    json!([{"role": "user", "content": text}])
}

#[tokio::test]
async fn non_streaming_chat_answers_in_openai_shape_with_a_request_id() {
    let s = setup().await;
    let resp =
        s.gw.chat(
            &s.key,
            &json!({"model": "gpt-test", "messages": user("hello gateway")}),
        )
        .await;
    let seen = Seen::read(resp).await;
    assert_eq!(seen.status, 200, "{}", seen.text);
    let v = &seen.json;
    assert_eq!(v["object"], "chat.completion");
    assert_eq!(v["choices"][0]["message"]["role"], "assistant");
    assert_eq!(v["choices"][0]["message"]["content"], "hello gateway");
    assert_eq!(v["choices"][0]["finish_reason"], "stop");
    assert!(
        v["usage"]["total_tokens"].as_u64().is_some_and(|t| t > 0),
        "usage passed on: {v}"
    );
    let rid = seen.request_id.expect("x-request-id header");
    assert!(is_uuid_v7(&rid), "x-request-id {rid} is not a uuid v7");
}

#[tokio::test]
async fn unknown_and_advanced_fields_reach_the_provider_untouched_and_only_model_is_rewritten() {
    let s = setup().await;
    let tools = json!([{"type": "function", "function": {"name": "lookup", "description": "find", "parameters": {"type": "object", "properties": {"q": {"type": "string"}}, "required": ["q"]}}}]);
    let body = json!({
        "model": "gpt-test",
        "messages": [{"role": "system", "content": "be brief"}, {"role": "user", "content": [{"type": "text", "text": "hi"}]}],
        "tools": tools,
        "tool_choice": {"type": "function", "function": {"name": "lookup"}},
        "response_format": {"type": "json_object"},
        "n": 2,
        "logprobs": true,
        "temperature": 0.25,
        "x_custom": {"nested": [1, 2, {"deep": null}]},
    });
    let seen = Seen::read(s.gw.chat(&s.key, &body).await).await;
    assert_eq!(seen.status, 200, "{}", seen.text);
    let reqs = s.mock.requests();
    assert_eq!(reqs.len(), 1, "one upstream call");
    let up = &reqs[0];
    assert_eq!(up.path, "/v1/chat/completions");
    assert_eq!(up.model(), Some("upstream-model"));
    let mut expected = body.clone();
    expected["model"] = json!("upstream-model");
    assert_eq!(
        up.body, expected,
        "upstream body differs from the client's beyond `model`"
    );
    assert_eq!(
        up.header("authorization"),
        Some(format!("Bearer {UPSTREAM_KEY}").as_str())
    );
    assert!(
        up.headers.values().all(|v| !v.contains(&s.key)),
        "the virtual key leaked upstream: {:?}",
        up.headers
    );
}

#[tokio::test]
async fn streaming_chat_passes_the_chunks_through_and_ends_with_done() {
    let s = setup().await;
    let body = json!({"model": "gpt-test", "stream": true, "messages": user("x"), "mock": {"chunks": ["Hel", "lo ", "wor", "ld"]}});
    let resp = s.gw.chat(&s.key, &body).await;
    assert_eq!(resp.status(), 200);
    let ct = resp
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    assert!(ct.starts_with("text/event-stream"), "content-type {ct}");
    let events = sse::collect(resp, Instant::now()).await;
    assert!(
        events.last().is_some_and(sse::SseEvent::is_done),
        "stream must end with [DONE]: {events:?}"
    );
    let chunks = sse::chunks(&events);
    assert!(chunks
        .iter()
        .all(|c| c["object"] == "chat.completion.chunk"));
    assert_eq!(sse::content(&chunks), "Hello world");
    assert!(chunks
        .iter()
        .any(|c| c["choices"][0]["finish_reason"] == "stop"));
}

#[tokio::test]
async fn streaming_is_not_buffered_the_first_chunk_arrives_before_the_provider_finishes() {
    let s = setup().await;
    let body = json!({"model": "gpt-test", "stream": true, "messages": user("x"),
        "mock": {"chunks": ["one ", "two ", "three ", "four"], "chunk_delay_ms": 500}});
    let t0 = Instant::now();
    let resp = s.gw.chat(&s.key, &body).await;
    assert_eq!(resp.status(), 200);
    let events = sse::collect(resp, t0).await;
    let first = events
        .iter()
        .find(|e| {
            e.json()
                .is_some_and(|c| c["choices"][0]["delta"]["content"] == "one ")
        })
        .unwrap_or_else(|| panic!("no first content chunk in {events:?}"));
    let last = events.last().unwrap();
    assert!(
        first.at < Duration::from_millis(400),
        "first content chunk took {:?}: the gateway buffers",
        first.at
    );
    assert!(
        last.at > Duration::from_secs(1),
        "stream ended after {:?}, before the mock could have sent it all",
        last.at
    );
    assert!(last.is_done());
    assert_eq!(sse::content(&sse::chunks(&events)), "one two three four");
}

#[tokio::test]
async fn usage_chunk_is_stripped_when_the_client_did_not_ask_for_it_but_requested_upstream() {
    let s = setup().await;
    let body = json!({"model": "gpt-test", "stream": true, "messages": user("a b c"), "mock": {"usage": {"prompt_tokens": 7, "completion_tokens": 3}}});
    let events = sse::collect(s.gw.chat(&s.key, &body).await, Instant::now()).await;
    assert!(events.last().is_some_and(sse::SseEvent::is_done));
    let chunks = sse::chunks(&events);
    assert_eq!(sse::content(&chunks), "a b c");
    for c in &chunks {
        assert_ne!(
            c["choices"],
            json!([]),
            "usage-only chunk reached a client that did not ask: {c}"
        );
        assert!(
            c.get("usage").is_none_or(Value::is_null),
            "usage reached a client that did not ask: {c}"
        );
    }
    let up = &s.mock.requests()[0];
    assert_eq!(
        up.body["stream_options"]["include_usage"], true,
        "the gateway must ask upstream for usage"
    );
}

#[tokio::test]
async fn usage_chunk_is_kept_when_the_client_asked_for_it() {
    let s = setup().await;
    let body = json!({"model": "gpt-test", "stream": true, "stream_options": {"include_usage": true}, "messages": user("a b c"),
        "mock": {"usage": {"prompt_tokens": 7, "completion_tokens": 3}}});
    let events = sse::collect(s.gw.chat(&s.key, &body).await, Instant::now()).await;
    assert!(events.last().is_some_and(sse::SseEvent::is_done));
    let chunks = sse::chunks(&events);
    let last = chunks.last().unwrap();
    assert_eq!(
        last["choices"],
        json!([]),
        "last chunk before [DONE] is the usage chunk: {last}"
    );
    assert_eq!(last["usage"]["prompt_tokens"], 7);
    assert_eq!(last["usage"]["completion_tokens"], 3);
    assert_eq!(last["usage"]["total_tokens"], 10);
    assert_eq!(
        s.mock.requests()[0].body["stream_options"]["include_usage"],
        true
    );
}

#[tokio::test]
async fn embeddings_go_to_the_provider_with_the_upstream_model() {
    let s = setup().await;
    let resp =
        s.gw.post_proxy(
            "/v1/embeddings",
            &s.key,
            &json!({"model": "embed-test", "input": ["alpha", "beta"]}),
        )
        .await;
    let seen = Seen::read(resp).await;
    assert_eq!(seen.status, 200, "{}", seen.text);
    assert_eq!(seen.json["object"], "list");
    let data = seen.json["data"].as_array().expect("data array");
    assert_eq!(data.len(), 2);
    assert_eq!(data[1]["index"], 1);
    assert_eq!(data[0]["embedding"].as_array().map(Vec::len), Some(8));
    let up = &s.mock.requests()[0];
    assert_eq!(up.path, "/v1/embeddings");
    assert_eq!(up.model(), Some("upstream-embed"));
    assert_eq!(up.body["input"], json!(["alpha", "beta"]));
}

async fn model_ids(gw: &Gateway, key: &str) -> Vec<String> {
    let resp = gw
        .client()
        .get(format!("{}/v1/models", gw.proxy_url()))
        .bearer_auth(key)
        .send()
        .await
        .unwrap();
    let seen = Seen::read(resp).await;
    assert_eq!(seen.status, 200, "{}", seen.text);
    assert_eq!(seen.json["object"], "list");
    let data = seen.json["data"].as_array().expect("data array");
    for m in data {
        assert_eq!(m["object"], "model", "{m}");
        assert!(
            m["created"].is_u64() && m["owned_by"].is_string(),
            "model entry shape: {m}"
        );
    }
    let mut ids: Vec<String> = data
        .iter()
        .map(|m| m["id"].as_str().unwrap().to_owned())
        .collect();
    ids.sort();
    ids
}

#[tokio::test]
async fn models_list_shows_only_the_models_a_key_may_use() {
    let s = setup().await;
    let limited = s.gw.create_key("bob", &["gpt-test"]).await;
    assert_eq!(model_ids(&s.gw, &limited).await, vec!["gpt-test"]);
    assert_eq!(
        model_ids(&s.gw, &s.key).await,
        vec!["echo", "embed-test", "gpt-test"]
    );
}

#[tokio::test]
async fn echo_model_answers_without_an_upstream_streaming_and_not() {
    let s = setup().await;
    let seen = Seen::read(
        s.gw.chat(
            &s.key,
            &json!({"model": "echo", "messages": user("ping pong")}),
        )
        .await,
    )
    .await;
    assert_eq!(seen.status, 200, "{}", seen.text);
    let text = seen.json["choices"][0]["message"]["content"]
        .as_str()
        .unwrap_or_default();
    assert!(text.contains("ping pong"), "echo reply {text:?}");

    let events = sse::collect(
        s.gw.chat(
            &s.key,
            &json!({"model": "echo", "stream": true, "messages": user("ping pong")}),
        )
        .await,
        Instant::now(),
    )
    .await;
    assert!(
        events.last().is_some_and(sse::SseEvent::is_done),
        "{events:?}"
    );
    assert!(sse::content(&sse::chunks(&events)).contains("ping pong"));
    assert!(
        s.mock.requests().is_empty(),
        "echo must not call the mock provider"
    );
}
