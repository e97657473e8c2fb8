//! Azure and Anthropic translation, retries, fallbacks, the circuit breaker and upstream
//! failures, seen from both sides: the client and the mock provider.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests"
)]

use std::time::{Duration, Instant};

use parapet_tests::errors::Seen;
use parapet_tests::harness::{free_port, metric_sum, ConfigBuilder, Gateway};
use parapet_tests::mock::MockServer;
use parapet_tests::sse;
use serde_json::{json, Value};

fn user(text: &str) -> Value {
    json!([{"role": "user", "content": text}])
}

async fn key_for(gw: &Gateway) -> String {
    gw.create_key("alice", &[]).await
}

// ---------------------------------------------------------------- azure

#[tokio::test]
async fn azure_calls_use_the_deployment_path_api_version_and_api_key_header() {
    let mock = MockServer::start().unwrap();
    let cfg = ConfigBuilder::new()
        .provider(
            "az",
            "azure",
            &mock.azure_base("dep1"),
            &["api_key_env = \"AZ_KEY\""],
        )
        .model("az-model", "az", "gpt-4o-deployed", &[])
        .build();
    let gw = Gateway::start(&cfg, &[("AZ_KEY", "az-secret-1")]);
    let key = key_for(&gw).await;

    let seen = Seen::read(
        gw.chat(
            &key,
            &json!({"model": "az-model", "messages": user("hi azure")}),
        )
        .await,
    )
    .await;
    assert_eq!(seen.status, 200, "{}", seen.text);
    assert_eq!(seen.json["choices"][0]["message"]["content"], "hi azure");

    let events = sse::collect(
        gw.chat(
            &key,
            &json!({"model": "az-model", "stream": true, "messages": user("streamed azure")}),
        )
        .await,
        Instant::now(),
    )
    .await;
    assert!(
        events.last().is_some_and(sse::SseEvent::is_done),
        "{events:?}"
    );
    assert_eq!(sse::content(&sse::chunks(&events)), "streamed azure");

    let reqs = mock.requests();
    assert_eq!(reqs.len(), 2);
    for r in &reqs {
        assert_eq!(r.path, "/openai/deployments/dep1/chat/completions");
        assert_eq!(
            r.query_param("api-version"),
            Some("2024-10-21"),
            "default api-version; query {:?}",
            r.query
        );
        assert_eq!(r.header("api-key"), Some("az-secret-1"));
        assert_eq!(
            r.header("authorization"),
            None,
            "azure takes api-key, not Authorization"
        );
    }
}

// ---------------------------------------------------------------- anthropic

fn anthropic_setup() -> (MockServer, Gateway) {
    let mock = MockServer::start().unwrap();
    let cfg = ConfigBuilder::new()
        .provider(
            "ant",
            "anthropic",
            &mock.base_v1(),
            &["api_key_env = \"ANT_KEY\""],
        )
        .model("claude", "ant", "claude-upstream", &[])
        .build();
    let gw = Gateway::start(&cfg, &[("ANT_KEY", "ant-secret-1")]);
    (mock, gw)
}

fn wire_tool() -> Value {
    json!([{"type": "function", "function": {"name": "wire_transfer", "description": "Send money",
        "parameters": {"type": "object", "properties": {"amount_usd": {"type": "number"}}, "required": ["amount_usd"]}}}])
}

/// The system prompt of an Anthropic request: a string or text blocks.
fn system_text(body: &Value) -> String {
    match &body["system"] {
        Value::String(s) => s.clone(),
        Value::Array(blocks) => blocks.iter().filter_map(|b| b["text"].as_str()).collect(),
        _ => String::new(),
    }
}

#[tokio::test]
async fn anthropic_request_is_translated_to_the_messages_api() {
    let (mock, gw) = anthropic_setup();
    let key = key_for(&gw).await;
    let body = json!({"model": "claude", "max_tokens": 64, "tools": wire_tool(), "messages": [
        {"role": "system", "content": "You are terse."},
        {"role": "user", "content": "hello claude [[mock {\"reply\": \"hi from claude\", \"usage\": {\"prompt_tokens\": 7, \"completion_tokens\": 3}}]]"},
    ]});
    let seen = Seen::read(gw.chat(&key, &body).await).await;
    assert_eq!(seen.status, 200, "{}", seen.text);

    let reqs = mock.requests();
    assert_eq!(reqs.len(), 1);
    let up = &reqs[0];
    assert_eq!(up.path, "/v1/messages");
    assert_eq!(up.header("x-api-key"), Some("ant-secret-1"));
    assert_eq!(up.header("anthropic-version"), Some("2023-06-01"));
    assert_eq!(up.header("authorization"), None);
    assert_eq!(up.model(), Some("claude-upstream"));
    assert_eq!(up.body["max_tokens"], 64);
    assert_eq!(system_text(&up.body), "You are terse.");
    let roles: Vec<&str> = up.body["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["role"].as_str().unwrap())
        .collect();
    assert_eq!(roles, vec!["user"], "system prompt moves out of messages");
    let tool = &up.body["tools"][0];
    assert_eq!(tool["name"], "wire_transfer");
    assert_eq!(tool["description"], "Send money");
    assert_eq!(
        tool["input_schema"],
        wire_tool()[0]["function"]["parameters"]
    );

    let v = &seen.json;
    assert_eq!(v["object"], "chat.completion");
    assert_eq!(v["choices"][0]["message"]["role"], "assistant");
    assert_eq!(v["choices"][0]["message"]["content"], "hi from claude");
    assert_eq!(v["choices"][0]["finish_reason"], "stop");
    assert_eq!(v["usage"]["prompt_tokens"], 7);
    assert_eq!(v["usage"]["completion_tokens"], 3);
    assert_eq!(v["usage"]["total_tokens"], 10);
}

#[tokio::test]
async fn anthropic_gets_a_max_tokens_even_when_the_client_sent_none() {
    let (mock, gw) = anthropic_setup();
    let key = key_for(&gw).await;
    let seen = Seen::read(
        gw.chat(
            &key,
            &json!({"model": "claude", "messages": user("no limit given")}),
        )
        .await,
    )
    .await;
    assert_eq!(seen.status, 200, "{}", seen.text);
    assert!(
        mock.requests()[0].body["max_tokens"]
            .as_u64()
            .is_some_and(|n| n > 0),
        "Anthropic requires max_tokens"
    );
    assert_eq!(
        seen.json["choices"][0]["message"]["content"],
        "no limit given"
    );
}

#[tokio::test]
async fn anthropic_tool_use_comes_back_as_an_openai_tool_call() {
    let (_mock, gw) = anthropic_setup();
    let key = key_for(&gw).await;
    let body = json!({"model": "claude", "max_tokens": 64, "tools": wire_tool(), "messages":
        user("pay [[mock {\"tool_calls\": [{\"name\": \"wire_transfer\", \"arguments\": {\"amount_usd\": 5}}]}]]")});
    let seen = Seen::read(gw.chat(&key, &body).await).await;
    assert_eq!(seen.status, 200, "{}", seen.text);
    let choice = &seen.json["choices"][0];
    assert_eq!(choice["finish_reason"], "tool_calls");
    let call = &choice["message"]["tool_calls"][0];
    assert_eq!(call["type"], "function");
    assert!(call["id"].as_str().is_some_and(|s| !s.is_empty()));
    assert_eq!(call["function"]["name"], "wire_transfer");
    let args: Value = serde_json::from_str(
        call["function"]["arguments"]
            .as_str()
            .expect("arguments is a JSON string"),
    )
    .unwrap();
    assert_eq!(args, json!({"amount_usd": 5}));
}

#[tokio::test]
async fn anthropic_stream_is_translated_to_openai_chunks_with_text_and_a_split_tool_call() {
    let (mock, gw) = anthropic_setup();
    let key = key_for(&gw).await;
    let body = json!({"model": "claude", "max_tokens": 64, "stream": true, "tools": wire_tool(), "messages":
        user("[[mock {\"reply\": \"sending it now\", \"tool_calls\": [{\"name\": \"wire_transfer\", \"arguments\": {\"amount_usd\": 5, \"memo\": \"rent for march\"}}]}]]")});
    let resp = gw.chat(&key, &body).await;
    assert_eq!(resp.status(), 200);
    let events = sse::collect(resp, Instant::now()).await;
    assert!(
        events.last().is_some_and(sse::SseEvent::is_done),
        "OpenAI stream ends with [DONE]: {events:?}"
    );
    let chunks = sse::chunks(&events);
    assert!(
        chunks
            .iter()
            .all(|c| c["object"] == "chat.completion.chunk"),
        "{chunks:?}"
    );
    assert_eq!(sse::content(&chunks), "sending it now");
    let (name, args) = sse::tool_call(&chunks, 0);
    assert_eq!(name.as_deref(), Some("wire_transfer"));
    let args: Value = serde_json::from_str(&args)
        .unwrap_or_else(|e| panic!("arguments {args:?} are not JSON: {e}"));
    assert_eq!(args, json!({"amount_usd": 5, "memo": "rent for march"}));
    assert!(chunks
        .iter()
        .any(|c| c["choices"][0]["finish_reason"] == "tool_calls"));
    assert_eq!(mock.requests()[0].body["stream"], true);
}

// ---------------------------------------------------------------- retries, fallback, breaker

fn routing_setup(routing: &[&str]) -> (MockServer, Gateway) {
    let mock = MockServer::start().unwrap();
    let mut cfg = ConfigBuilder::new()
        .provider("mock", "openai", &mock.base_v1(), &[])
        .model("gpt-test", "mock", "upstream-model", &[])
        .model("primary", "mock", "primary-up", &["secondary"])
        .model("secondary", "mock", "secondary-up", &[]);
    for l in routing {
        cfg = cfg.routing(l);
    }
    let gw = Gateway::start(&cfg.build(), &[]);
    (mock, gw)
}

#[tokio::test]
async fn two_upstream_failures_are_retried_to_success_and_counted() {
    let (mock, gw) = routing_setup(&["max_retries = 2", "retry_base_ms = 10", "retry_max_ms = 50"]);
    let key = key_for(&gw).await;
    let before = metric_sum(&gw.metrics().await, "parapet_upstream_retries_total", &[]);
    let body = json!({"model": "gpt-test", "messages": user("retry me"), "mock": {"fail_times": 2, "scenario": "retry-ok"}});
    let seen = Seen::read(gw.chat(&key, &body).await).await;
    assert_eq!(seen.status, 200, "{}", seen.text);
    assert_eq!(seen.json["choices"][0]["message"]["content"], "retry me");
    assert_eq!(
        mock.requests_for_model("upstream-model").len(),
        3,
        "one try and two retries"
    );
    let after = metric_sum(&gw.metrics().await, "parapet_upstream_retries_total", &[]);
    assert!(
        after - before >= 2.0,
        "parapet_upstream_retries_total went from {before} to {after}"
    );
}

#[tokio::test]
async fn failures_beyond_the_retries_surface_as_502_upstream_error() {
    let (mock, gw) = routing_setup(&["max_retries = 2", "retry_base_ms = 10", "retry_max_ms = 50"]);
    let key = key_for(&gw).await;
    let body = json!({"model": "gpt-test", "messages": user("x"), "mock": {"fail_times": 10, "scenario": "retry-exhausted"}});
    let seen = Seen::read(gw.chat(&key, &body).await).await;
    seen.assert_error(502, "api_error", "upstream_error", None);
    assert_eq!(
        mock.requests_for_model("upstream-model").len(),
        3,
        "max_retries = 2 means three tries"
    );
}

#[tokio::test]
async fn a_failing_alias_falls_back_to_the_next_alias() {
    let (mock, gw) = routing_setup(&["max_retries = 1", "retry_base_ms = 10", "retry_max_ms = 50"]);
    let key = key_for(&gw).await;
    let body = json!({"model": "primary", "messages": user("fall back"), "mock": {"status": 500, "fail_models": ["primary-up"]}});
    let seen = Seen::read(gw.chat(&key, &body).await).await;
    assert_eq!(seen.status, 200, "{}", seen.text);
    assert_eq!(seen.json["choices"][0]["message"]["content"], "fall back");
    assert_eq!(
        mock.requests_for_model("primary-up").len(),
        2,
        "primary tried once and retried once"
    );
    assert_eq!(
        mock.requests_for_model("secondary-up").len(),
        1,
        "then the fallback alias"
    );
    let m = gw.metrics().await;
    assert!(
        metric_sum(
            &m,
            "parapet_fallbacks_total",
            &[("from", "primary"), ("to", "secondary")]
        ) >= 1.0,
        "fallback metric:\n{m}"
    );
}

#[tokio::test]
async fn the_breaker_opens_after_the_threshold_and_spares_the_failing_deployment() {
    let (mock, gw) = routing_setup(&[
        "max_retries = 0",
        "breaker_failure_threshold = 3",
        "breaker_cooldown_s = 60",
    ]);
    let key = key_for(&gw).await;
    let body = json!({"model": "gpt-test", "messages": user("x"), "mock": {"status": 500}});
    for i in 0..7 {
        let seen = Seen::read(gw.chat(&key, &body).await).await;
        assert_eq!(seen.status, 502, "call {i}: {}", seen.text);
    }
    assert_eq!(
        mock.requests_for_model("upstream-model").len(),
        3,
        "calls after the breaker opened must not reach the deployment"
    );
    let m = gw.metrics().await;
    assert!(
        metric_sum(&m, "parapet_breaker_open_total", &[]) >= 1.0,
        "breaker metric:\n{m}"
    );
}

// ---------------------------------------------------------------- upstream failures

#[tokio::test]
async fn an_upstream_that_sends_no_headers_in_time_gives_504_upstream_timeout() {
    let (_mock, gw) = routing_setup(&["max_retries = 0", "first_byte_timeout_s = 1"]);
    let key = key_for(&gw).await;
    let t0 = Instant::now();
    let seen = Seen::read(
        gw.chat(
            &key,
            &json!({"model": "gpt-test", "messages": user("x"), "mock": {"hang": true}}),
        )
        .await,
    )
    .await;
    seen.assert_error(504, "api_error", "upstream_timeout", None);
    assert!(
        t0.elapsed() < Duration::from_secs(10),
        "timed out after {:?}",
        t0.elapsed()
    );
}

#[tokio::test]
async fn a_refused_connection_gives_502_upstream_unavailable() {
    let closed = format!("http://127.0.0.1:{}/v1", free_port());
    let cfg = ConfigBuilder::new()
        .provider("dead", "openai", &closed, &[])
        .model("dead-model", "dead", "whatever", &[])
        .routing("max_retries = 1")
        .routing("retry_base_ms = 10")
        .build();
    let gw = Gateway::start(&cfg, &[]);
    let key = key_for(&gw).await;
    let seen = Seen::read(
        gw.chat(&key, &json!({"model": "dead-model", "messages": user("x")}))
            .await,
    )
    .await;
    seen.assert_error(502, "api_error", "upstream_unavailable", None);
}

#[tokio::test]
async fn an_upstream_400_is_passed_through_as_is() {
    let (mock, gw) = routing_setup(&["max_retries = 2", "retry_base_ms = 10"]);
    let key = key_for(&gw).await;
    let seen = Seen::read(
        gw.chat(
            &key,
            &json!({"model": "gpt-test", "messages": user("x"), "mock": {"status": 400}}),
        )
        .await,
    )
    .await;
    assert_eq!(seen.status, 400, "{}", seen.text);
    assert_eq!(
        seen.json["error"]["message"], "mock: steered failure with status 400",
        "the provider's body as is"
    );
    assert_eq!(
        mock.requests_for_model("upstream-model").len(),
        1,
        "a 400 is not retried"
    );
}

#[tokio::test]
async fn an_upstream_429_after_retries_gives_429_upstream_rate_limited() {
    let (mock, gw) = routing_setup(&["max_retries = 1", "retry_base_ms = 10", "retry_max_ms = 50"]);
    let key = key_for(&gw).await;
    let seen = Seen::read(
        gw.chat(
            &key,
            &json!({"model": "gpt-test", "messages": user("x"), "mock": {"status": 429}}),
        )
        .await,
    )
    .await;
    seen.assert_error(429, "rate_limit_error", "upstream_rate_limited", None);
    assert_eq!(
        mock.requests_for_model("upstream-model").len(),
        2,
        "a 429 is retried"
    );
}
