//! Starting, health, metrics, clients leaving and stopping.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests"
)]

use std::time::{Duration, Instant};

use futures_util::StreamExt as _;
use parapet_tests::errors::Seen;
use parapet_tests::harness::{
    eventually, metric_present, metric_sum, run_parapet, ConfigBuilder, Gateway, Redis,
};
use parapet_tests::mock::MockServer;
use parapet_tests::sse;
use serde_json::{json, Value};

/// The no-config start always listens on 127.0.0.1:7777 and :7778: its tests take turns.
static FIXED_PORTS: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

fn echo_chat() -> Value {
    json!({"model": "echo", "messages": [{"role": "user", "content": "hello from the demo"}]})
}

#[tokio::test]
async fn a_start_without_config_prints_a_token_and_a_demo_key_that_works_on_echo() {
    let _ports = FIXED_PORTS.lock().await;
    let gw = Gateway::start_no_config();
    let token = gw
        .printed_admin_token()
        .unwrap_or_else(|| panic!("no `admin token:` line in {:?}", gw.stdout_lines()));
    let demo = gw
        .printed_demo_key()
        .unwrap_or_else(|| panic!("no `demo key:` line in {:?}", gw.stdout_lines()));
    assert!(!token.is_empty());
    assert!(demo.starts_with("pk-"), "demo key {demo}");
    let lines = gw.stdout_lines();
    let pos = |p: &str| {
        lines
            .iter()
            .position(|l| l.starts_with(p))
            .unwrap_or(usize::MAX)
    };
    assert!(
        pos("admin token:") < pos("demo key:")
            && pos("demo key:") < pos("proxy listening on")
            && pos("proxy listening on") < pos("admin listening on"),
        "stdout order: {lines:?}"
    );

    let seen = Seen::read(gw.chat(demo, &echo_chat()).await).await;
    assert_eq!(seen.status, 200, "{}", seen.text);
    let text = seen.json["choices"][0]["message"]["content"]
        .as_str()
        .unwrap_or_default();
    assert!(text.contains("hello from the demo"), "echo reply {text:?}");
    let keys = Seen::read(
        gw.client()
            .get(format!("{}/api/keys", gw.admin_url()))
            .bearer_auth(token)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        keys.status, 200,
        "the printed admin token opens the admin API: {}",
        keys.text
    );
}

#[tokio::test]
async fn a_second_start_in_the_same_directory_prints_the_same_token_and_key() {
    let _ports = FIXED_PORTS.lock().await;
    let mut first = Gateway::start_no_config();
    let token = first.admin_token().to_owned();
    let demo = first.demo_key().to_owned();
    let dir = first.dir();
    for f in ["admin-token", "demo-key"] {
        assert!(
            dir.path().join("parapet-data").join(f).is_file(),
            "parapet-data/{f} kept in the data dir"
        );
    }
    first.sigterm();
    assert!(first.wait_exit(Duration::from_secs(15)).success());

    let second = Gateway::start_in(dir, None, &[]);
    assert_eq!(second.printed_admin_token(), Some(token.as_str()));
    assert_eq!(second.printed_demo_key(), Some(demo.as_str()));
    let seen = Seen::read(second.chat(&demo, &echo_chat()).await).await;
    assert_eq!(
        seen.status, 200,
        "the demo key still works after the restart: {}",
        seen.text
    );
}

#[test]
fn an_invalid_config_exits_64_and_names_the_key() {
    let cases = [
        ("unknown key", "[server]\nproxy_listen = \"127.0.0.1:0\"\nadmin_listen = \"127.0.0.1:0\"\nbogus_setting = 1\n", "bogus_setting"),
        (
            "route to an unknown provider",
            "[server]\nproxy_listen = \"127.0.0.1:0\"\nadmin_listen = \"127.0.0.1:0\"\n\n[[providers]]\nname = \"echo\"\nkind = \"echo\"\n\n[[models]]\nname = \"m\"\nroutes = [{ provider = \"nope\", model = \"x\", weight = 1 }]\n",
            "models[0].routes[0].provider",
        ),
    ];
    for (name, cfg, key) in cases {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("bad.toml"), cfg).unwrap();
        let out = run_parapet(dir.path(), &["serve", "--config", "bad.toml"], &[]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert_eq!(
            out.status.code(),
            Some(64),
            "{name}: exit status {}; stderr: {stderr}",
            out.status
        );
        assert!(
            stderr.contains(key),
            "{name}: stderr does not name `{key}`: {stderr}"
        );
        assert!(
            !stdout.contains("listening"),
            "{name}: nothing may listen with an invalid config: {stdout}"
        );
    }
}

#[tokio::test]
async fn healthz_needs_no_auth_and_readyz_follows_the_redis_store() {
    let mut redis = Redis::start();
    let cfg = ConfigBuilder::new()
        .store_redis(&redis.url())
        .provider_echo()
        .model("echo", "echo", "echo", &[])
        .build();
    let gw = Gateway::start(&cfg, &[("PARAPET_ADMIN_TOKEN", "admin-token-for-readyz")]);
    let get = |path: &'static str| {
        let url = format!("{}{path}", gw.proxy_url());
        let client = gw.client().clone();
        async move {
            client
                .get(url)
                .send()
                .await
                .map(|r| r.status().as_u16())
                .unwrap_or(0)
        }
    };
    assert_eq!(get("/healthz").await, 200);
    assert_eq!(get("/readyz").await, 200);

    redis.stop();
    assert!(
        eventually(Duration::from_secs(10), || async {
            get("/readyz").await == 503
        })
        .await,
        "/readyz still not 503 10 s after Redis stopped"
    );
    assert_eq!(
        get("/healthz").await,
        200,
        "/healthz stays 200 without the store"
    );

    redis.restart();
    assert!(
        eventually(Duration::from_secs(15), || async {
            get("/readyz").await == 200
        })
        .await,
        "/readyz not back to 200 after Redis returned"
    );
}

#[tokio::test]
async fn metrics_need_the_admin_token_and_count_requests() {
    let _ports = FIXED_PORTS.lock().await;
    let gw = Gateway::start_no_config();
    let seen = Seen::read(gw.chat(gw.demo_key(), &echo_chat()).await).await;
    assert_eq!(seen.status, 200, "{}", seen.text);
    let url = format!("{}/metrics", gw.admin_url());
    assert_eq!(
        gw.client().get(&url).send().await.unwrap().status(),
        401,
        "/metrics without a token"
    );
    assert_eq!(
        gw.client()
            .get(&url)
            .bearer_auth("wrong-token")
            .send()
            .await
            .unwrap()
            .status(),
        401,
        "/metrics with a wrong token"
    );
    assert_eq!(
        gw.client()
            .get(&url)
            .bearer_auth(gw.demo_key())
            .send()
            .await
            .unwrap()
            .status(),
        401,
        "a virtual key is not the admin token"
    );
    let text = gw.metrics().await;
    assert!(metric_present(&text, "parapet_requests_total"), "{text}");
    assert!(
        metric_sum(&text, "parapet_requests_total", &[]) >= 1.0,
        "{text}"
    );
    assert!(
        metric_present(&text, "parapet_request_duration_seconds"),
        "{text}"
    );
}

#[tokio::test]
async fn a_client_leaving_mid_stream_closes_the_upstream_stream_and_is_counted() {
    let mock = MockServer::start().unwrap();
    let gw = Gateway::start(&ConfigBuilder::standard(&mock.base_v1()).build(), &[]);
    let key = gw.create_key("alice", &[]).await;
    let chunks: Vec<String> = (0..100).map(|i| format!("part{i} ")).collect();
    let body = json!({"model": "gpt-test", "stream": true, "messages": [{"role": "user", "content": "x"}], "mock": {"chunks": chunks, "chunk_delay_ms": 100}});
    let resp = gw.chat(&key, &body).await;
    assert_eq!(resp.status(), 200);
    let mut stream = resp.bytes_stream();
    let first = tokio::time::timeout(Duration::from_secs(5), stream.next())
        .await
        .expect("a first chunk within 5 s");
    assert!(first.is_some_and(|b| b.is_ok()));
    drop(stream);

    assert!(
        eventually(Duration::from_secs(8), || async { mock.disconnected_streams() >= 1 }).await,
        "the mock never saw its stream closed (completed: {}): the gateway kept reading upstream after the client left",
        mock.completed_streams()
    );
    assert!(
        eventually(Duration::from_secs(5), || async {
            metric_sum(&gw.metrics().await, "parapet_client_disconnects_total", &[]) >= 1.0
        })
        .await,
        "parapet_client_disconnects_total did not grow"
    );
    let health = gw
        .client()
        .get(format!("{}/healthz", gw.proxy_url()))
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(health, 200);
    let seen = Seen::read(
        gw.chat(
            &key,
            &json!({"model": "gpt-test", "messages": [{"role": "user", "content": "still here"}]}),
        )
        .await,
    )
    .await;
    assert_eq!(
        seen.status, 200,
        "the gateway still serves after a client left: {}",
        seen.text
    );
}

#[tokio::test]
async fn sigterm_lets_an_in_flight_stream_finish_and_exits_0() {
    let mock = MockServer::start().unwrap();
    let mut gw = Gateway::start(&ConfigBuilder::standard(&mock.base_v1()).build(), &[]);
    let key = gw.create_key("alice", &[]).await;
    let pieces = ["slow ", "stream ", "keeps ", "going ", "until ", "done"];
    let body = json!({"model": "gpt-test", "stream": true, "messages": [{"role": "user", "content": "x"}], "mock": {"chunks": pieces, "chunk_delay_ms": 300}});
    let t0 = Instant::now();
    let mut resp = gw.chat(&key, &body).await;
    assert_eq!(resp.status(), 200);
    let mut head = Vec::new();
    while !String::from_utf8_lossy(&head).contains("slow ") {
        let chunk = tokio::time::timeout(Duration::from_secs(5), resp.chunk())
            .await
            .expect("first chunk in time")
            .unwrap();
        head.extend_from_slice(&chunk.expect("stream ended before its first content chunk"));
    }
    gw.sigterm();
    let mut rest = Vec::new();
    while let Ok(Some(chunk)) = resp.chunk().await {
        rest.extend_from_slice(&chunk);
    }
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&head),
        String::from_utf8_lossy(&rest)
    );
    let events = {
        let mut events = Vec::new();
        for block in all.split("\n\n").filter(|b| !b.trim().is_empty()) {
            events.push(block.trim().trim_start_matches("data:").trim().to_owned());
        }
        events
    };
    assert_eq!(
        events.last().map(String::as_str),
        Some("[DONE]"),
        "the in-flight stream was cut by SIGTERM after {:?}:\n{all}",
        t0.elapsed()
    );
    let chunks: Vec<Value> = events
        .iter()
        .filter_map(|e| serde_json::from_str(e).ok())
        .collect();
    assert_eq!(sse::content(&chunks), pieces.concat());
    let status = gw.wait_exit(Duration::from_secs(20));
    assert_eq!(
        status.code(),
        Some(0),
        "exit status after SIGTERM; stderr:\n{}",
        gw.stderr()
    );
}
