//! Self-tests of the mock: what the gateway's tests rely on must hold here first.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

use std::time::{Duration, Instant};

use serde_json::{json, Value};

use super::MockServer;
use crate::sse;

fn client() -> reqwest::Client {
    reqwest::Client::builder().no_proxy().build().unwrap()
}

async fn post(url: String, body: Value) -> reqwest::Response {
    client().post(url).json(&body).send().await.unwrap()
}

#[tokio::test]
async fn non_streaming_chat_echoes_the_last_user_message_and_is_recorded() {
    let mock = MockServer::start().unwrap();
    let body = json!({"model": "m1", "x_custom": 1, "messages": [{"role": "user", "content": "first"}, {"role": "assistant", "content": "x"}, {"role": "user", "content": "hello there"}]});
    let resp = client()
        .post(format!("{}/chat/completions", mock.base_v1()))
        .bearer_auth("sk-1")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let v: Value = resp.json().await.unwrap();
    assert_eq!(v["choices"][0]["message"]["content"], "hello there");
    assert_eq!(v["object"], "chat.completion");
    let reqs = mock.requests();
    assert_eq!(reqs.len(), 1);
    assert_eq!(reqs[0].path, "/v1/chat/completions");
    assert_eq!(reqs[0].header("authorization"), Some("Bearer sk-1"));
    assert_eq!(reqs[0].body, body);
    let over_http: Value = client()
        .get(format!("{}/__mock/requests", mock.url()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(over_http[0]["body"], body);
    client()
        .delete(format!("{}/__mock/requests", mock.url()))
        .send()
        .await
        .unwrap();
    assert!(mock.requests().is_empty());
}

#[tokio::test]
async fn stream_with_include_usage_ends_with_a_usage_chunk_like_openai() {
    let mock = MockServer::start().unwrap();
    let body = json!({"model": "m", "stream": true, "stream_options": {"include_usage": true},
        "messages": [{"role": "user", "content": "hi"}], "mock": {"chunks": ["a", "b", "c"], "usage": {"prompt_tokens": 7, "completion_tokens": 3}}});
    let t0 = Instant::now();
    let events = sse::collect(
        post(format!("{}/chat/completions", mock.base_v1()), body).await,
        t0,
    )
    .await;
    assert!(events.last().unwrap().is_done());
    let chunks = sse::chunks(&events);
    assert_eq!(sse::content(&chunks), "abc");
    let (last, rest) = chunks.split_last().unwrap();
    assert_eq!(last["choices"], json!([]));
    assert_eq!(last["usage"]["prompt_tokens"], 7);
    assert_eq!(last["usage"]["total_tokens"], 10);
    assert!(rest.iter().all(|c| c.get("usage") == Some(&Value::Null)));
    assert_eq!(rest.last().unwrap()["choices"][0]["finish_reason"], "stop");
}

#[tokio::test]
async fn stream_without_include_usage_has_no_usage_field() {
    let mock = MockServer::start().unwrap();
    let body =
        json!({"model": "m", "stream": true, "messages": [{"role": "user", "content": "one two"}]});
    let events = sse::collect(
        post(format!("{}/chat/completions", mock.base_v1()), body).await,
        Instant::now(),
    )
    .await;
    let chunks = sse::chunks(&events);
    assert_eq!(sse::content(&chunks), "one two");
    assert!(chunks.iter().all(|c| c.get("usage").is_none()));
}

#[tokio::test]
async fn chunk_delay_spaces_the_content_chunks_but_not_the_first() {
    let mock = MockServer::start().unwrap();
    let body = json!({"model": "m", "stream": true, "messages": [{"role": "user", "content": "x"}], "mock": {"chunks": ["a", "b", "c"], "chunk_delay_ms": 200}});
    let t0 = Instant::now();
    let events = sse::collect(
        post(format!("{}/chat/completions", mock.base_v1()), body).await,
        t0,
    )
    .await;
    let first = events
        .iter()
        .find(|e| {
            e.json()
                .is_some_and(|c| c["choices"][0]["delta"]["content"] == "a")
        })
        .unwrap();
    assert!(
        first.at < Duration::from_millis(150),
        "first chunk at {:?}",
        first.at
    );
    assert!(events.last().unwrap().at >= Duration::from_millis(400));
}

#[tokio::test]
async fn fail_times_fails_the_first_requests_of_a_scenario_only() {
    let mock = MockServer::start().unwrap();
    let body = json!({"model": "m", "messages": [{"role": "user", "content": "x"}], "mock": {"fail_times": 2, "scenario": "s1", "status": 503}});
    let url = format!("{}/chat/completions", mock.base_v1());
    assert_eq!(post(url.clone(), body.clone()).await.status(), 503);
    assert_eq!(post(url.clone(), body.clone()).await.status(), 503);
    assert_eq!(post(url.clone(), body.clone()).await.status(), 200);
    let other = json!({"model": "m", "messages": [{"role": "user", "content": "x"}], "mock": {"fail_times": 1, "scenario": "s2"}});
    assert_eq!(post(url.clone(), other.clone()).await.status(), 500);
    assert_eq!(post(url, other).await.status(), 200);
}

#[tokio::test]
async fn fail_models_limits_failures_to_the_named_upstream_models() {
    let mock = MockServer::start().unwrap();
    let url = format!("{}/chat/completions", mock.base_v1());
    let steer = json!({"status": 500, "fail_models": ["bad"]});
    let bad =
        json!({"model": "bad", "messages": [{"role": "user", "content": "x"}], "mock": steer});
    let good =
        json!({"model": "good", "messages": [{"role": "user", "content": "x"}], "mock": steer});
    assert_eq!(post(url.clone(), bad).await.status(), 500);
    assert_eq!(post(url, good).await.status(), 200);
}

#[tokio::test]
async fn streamed_tool_call_arguments_arrive_in_small_pieces_that_join_to_the_json() {
    let mock = MockServer::start().unwrap();
    let body = json!({"model": "m", "stream": true, "messages": [{"role": "user", "content": "pay"}],
        "mock": {"tool_calls": [{"name": "wire_transfer", "arguments": {"amount_usd": 5, "to": "acct-1"}}]}});
    let events = sse::collect(
        post(format!("{}/chat/completions", mock.base_v1()), body).await,
        Instant::now(),
    )
    .await;
    let chunks = sse::chunks(&events);
    let (name, args) = sse::tool_call(&chunks, 0);
    assert_eq!(name.as_deref(), Some("wire_transfer"));
    assert_eq!(
        serde_json::from_str::<Value>(&args).unwrap(),
        json!({"amount_usd": 5, "to": "acct-1"})
    );
    assert!(
        chunks.len() > 8,
        "arguments should be split over many chunks"
    );
    assert_eq!(
        chunks.last().unwrap()["choices"][0]["finish_reason"],
        "tool_calls"
    );
}

#[tokio::test]
async fn azure_path_needs_an_api_key_header_and_an_api_version() {
    let mock = MockServer::start().unwrap();
    let url = format!("{}/chat/completions", mock.azure_base("dep1"));
    let body = json!({"messages": [{"role": "user", "content": "hi"}]});
    let no_key = client()
        .post(format!("{url}?api-version=2024-10-21"))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(no_key.status(), 401);
    let no_version = client()
        .post(&url)
        .header("api-key", "k")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(no_version.status(), 404);
    let ok = client()
        .post(format!("{url}?api-version=2024-10-21"))
        .header("api-key", "k")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);
    assert_eq!(
        mock.requests()[2].query_param("api-version"),
        Some("2024-10-21")
    );
}

#[tokio::test]
async fn anthropic_stream_carries_text_and_a_tool_use_block() {
    let mock = MockServer::start().unwrap();
    let body = json!({"model": "claude-x", "max_tokens": 100, "stream": true, "system": "be brief",
        "messages": [{"role": "user", "content": [{"type": "text", "text": "pay five [[mock {\"reply\": \"ok then\", \"tool_calls\": [{\"name\": \"wire_transfer\", \"arguments\": {\"amount_usd\": 5}}]}]]"}]}]});
    let resp = client()
        .post(format!("{}/messages", mock.base_v1()))
        .header("x-api-key", "a")
        .header("anthropic-version", "2023-06-01")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let events = sse::collect(resp, Instant::now()).await;
    let names: Vec<&str> = events.iter().filter_map(|e| e.event.as_deref()).collect();
    assert_eq!(names.first(), Some(&"message_start"));
    assert_eq!(names.last(), Some(&"message_stop"));
    let mut text = String::new();
    let mut json_args = String::new();
    for e in &events {
        let v = e.json().unwrap();
        match v["delta"]["type"].as_str() {
            Some("text_delta") => text.push_str(v["delta"]["text"].as_str().unwrap()),
            Some("input_json_delta") => {
                json_args.push_str(v["delta"]["partial_json"].as_str().unwrap())
            }
            _ => {}
        }
    }
    assert_eq!(text, "ok then");
    assert_eq!(
        serde_json::from_str::<Value>(&json_args).unwrap(),
        json!({"amount_usd": 5})
    );
    let delta = events
        .iter()
        .find(|e| e.event.as_deref() == Some("message_delta"))
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(delta["delta"]["stop_reason"], "tool_use");
}

#[tokio::test]
async fn anthropic_refuses_a_system_role_message_and_missing_headers() {
    let mock = MockServer::start().unwrap();
    let url = format!("{}/messages", mock.base_v1());
    let body = json!({"model": "c", "max_tokens": 10, "messages": [{"role": "system", "content": "x"}, {"role": "user", "content": "y"}]});
    let no_key = client()
        .post(&url)
        .header("anthropic-version", "2023-06-01")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(no_key.status(), 401);
    let system = client()
        .post(&url)
        .header("x-api-key", "a")
        .header("anthropic-version", "2023-06-01")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(system.status(), 400);
    let v: Value = system.json().await.unwrap();
    assert_eq!(v["type"], "error");
}

#[tokio::test]
async fn embeddings_answer_floats_or_base64_per_input() {
    let mock = MockServer::start().unwrap();
    let url = format!("{}/embeddings", mock.base_v1());
    let v: Value = post(url.clone(), json!({"model": "e", "input": ["a", "b"]}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(v["data"].as_array().unwrap().len(), 2);
    assert_eq!(v["data"][1]["embedding"].as_array().unwrap().len(), 8);
    let b: Value = post(
        url,
        json!({"model": "e", "input": "a", "encoding_format": "base64"}),
    )
    .await
    .json()
    .await
    .unwrap();
    assert!(b["data"][0]["embedding"].is_string());
}

#[tokio::test]
async fn a_client_that_leaves_mid_stream_is_counted_as_disconnected() {
    let mock = MockServer::start().unwrap();
    let chunks: Vec<String> = (0..40).map(|i| format!("c{i} ")).collect();
    let body = json!({"model": "m", "stream": true, "messages": [{"role": "user", "content": "x"}], "mock": {"chunks": chunks, "chunk_delay_ms": 50}});
    let mut resp = post(format!("{}/chat/completions", mock.base_v1()), body).await;
    assert!(resp.chunk().await.unwrap().is_some());
    drop(resp);
    let deadline = Instant::now() + Duration::from_secs(5);
    while mock.disconnected_streams() == 0 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(mock.disconnected_streams(), 1);
    assert_eq!(mock.completed_streams(), 0);
}

#[tokio::test]
async fn hang_never_answers() {
    let mock = MockServer::start().unwrap();
    let body = json!({"model": "m", "messages": [{"role": "user", "content": "x"}], "mock": {"hang": true}});
    let r = tokio::time::timeout(
        Duration::from_millis(300),
        post(format!("{}/chat/completions", mock.base_v1()), body),
    )
    .await;
    assert!(r.is_err());
}
