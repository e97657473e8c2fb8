//! Pricing, the AI inventory, spend views, budgets and rate limits through the real binary:
//! costs in the header, the stream and the record match usage x the shipped prices; the
//! inventory counts every call; two gateways on one Redis never spend past a budget together.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests"
)]

use std::sync::Arc;
use std::time::Duration;

use parapet_tests::harness::{eventually, ConfigBuilder, Gateway, Redis};
use parapet_tests::mock::MockServer;
use reqwest::Method;
use serde_json::{json, Value};

const ADMIN: &str = "test-admin-token-0123456789";

/// `gpt-4o-mini` and `gpt-4o` served by the mock under their real names (shipped prices:
/// 0.15 / 0.60 and 2.50 / 10.00 USD per million input / output tokens).
fn priced(mock: &MockServer) -> ConfigBuilder {
    ConfigBuilder::new()
        .provider("mock", "openai", &mock.base_v1(), &[])
        .provider_echo()
        .model("gpt-4o-mini", "mock", "gpt-4o-mini", &[])
        .model("gpt-4o", "mock", "gpt-4o", &[])
        .model("echo", "echo", "echo", &[])
        .routing("max_retries = 0")
}

fn chat(model: &str, prompt: u64, completion: u64) -> Value {
    json!({"model": model, "messages": [{"role": "user", "content": "price me"}],
           "mock": {"usage": {"prompt_tokens": prompt, "completion_tokens": completion}}})
}

fn cost(input: f64, output: f64, prompt: u64, completion: u64) -> f64 {
    (prompt as f64 * input + completion as f64 * output) / 1e6
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-9
}

async fn inventory(gw: &Gateway) -> Vec<Value> {
    let (status, body) = gw
        .admin(Method::GET, "/api/examination/inventory", None)
        .await;
    assert_eq!(status, 200, "{body}");
    body["data"].as_array().cloned().unwrap_or_default()
}

fn entry<'a>(inv: &'a [Value], model: &str) -> Option<&'a Value> {
    inv.iter().find(|e| e["model"] == model)
}

#[tokio::test]
async fn cost_is_in_the_header_the_stream_the_record_and_the_inventory() {
    let mock = MockServer::start().unwrap();
    let gw = Gateway::start(&priced(&mock).build(), &[("PARAPET_ADMIN_TOKEN", ADMIN)]);
    let key = gw.create_key("alice", &[]).await;

    let r = gw.chat(&key, &chat("gpt-4o-mini", 1000, 500)).await;
    assert_eq!(r.status(), 200);
    let header: f64 = r.headers()["x-parapet-cost-usd"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(close(header, cost(0.15, 0.60, 1000, 500)), "{header}");

    // A stream: the cost comes as an SSE comment before [DONE].
    let mut body = chat("gpt-4o", 2000, 100);
    body["stream"] = json!(true);
    let text = gw.chat(&key, &body).await.text().await.unwrap();
    let comment = text
        .lines()
        .find_map(|l| l.strip_prefix(": x-parapet-cost-usd "))
        .unwrap_or_else(|| panic!("no cost comment in {text}"));
    assert!(close(comment.parse().unwrap(), cost(2.5, 10.0, 2000, 100)));
    assert!(text.trim_end().ends_with("data: [DONE]"));
    assert!(
        !text.contains("\"usage\":{"),
        "usage chunk stripped: {text}"
    );

    // No usage from the upstream: estimated, flagged, still priced.
    let mut body = chat("gpt-4o", 0, 0);
    body["mock"] = json!({"omit_usage": true, "reply": "twelve bytes"});
    assert_eq!(gw.chat(&key, &body).await.status(), 200);

    // Echo costs nothing.
    let echo = json!({"model": "echo", "messages": [{"role": "user", "content": "hi"}]});
    let r = gw.chat(&key, &echo).await;
    assert_eq!(r.headers()["x-parapet-cost-usd"], "0");

    let records = gw.audit_records().await;
    let calls: Vec<&Value> = records.iter().filter(|r| r["kind"] == "llm.call").collect();
    assert_eq!(calls.len(), 4);
    assert!(close(
        calls[0]["cost_usd"].as_f64().unwrap(),
        cost(0.15, 0.60, 1000, 500)
    ));
    assert_eq!(calls[1]["usage"]["completion_tokens"], 100);
    let est = &calls[2]["usage"];
    assert_eq!(est["usage_estimated"], true, "{est}");
    // "price me" is 2 tokens + 4 for the message; "twelve bytes" is 3.
    assert_eq!(
        (
            est["prompt_tokens"].as_u64(),
            est["completion_tokens"].as_u64()
        ),
        (Some(6), Some(3))
    );
    assert!(close(
        calls[2]["cost_usd"].as_f64().unwrap(),
        cost(2.5, 10.0, 6, 3)
    ));

    // The inventory: one entry per (provider, model), created Unclassified, counted.
    let settled = eventually(Duration::from_secs(5), || async {
        let inv = inventory(&gw).await;
        entry(&inv, "gpt-4o").is_some_and(|e| e["total_requests"] == 2)
            && entry(&inv, "echo").is_some_and(|e| e["total_requests"] == 1)
    })
    .await;
    let inv = inventory(&gw).await;
    assert!(settled, "{inv:?}");
    let mini = entry(&inv, "gpt-4o-mini").unwrap();
    assert_eq!(mini["id"], "mock.gpt-4o-mini");
    assert_eq!(mini["risk_tier"], "Unclassified");
    assert_eq!(mini["validation_status"], "NotStarted");
    assert_eq!(mini["total_tokens"], 1500);
    assert!(mini["first_seen"].is_string() && mini["avg_compliance_score"].is_null());
    let big = entry(&inv, "gpt-4o").unwrap();
    let want = cost(2.5, 10.0, 2000, 100) + cost(2.5, 10.0, 6, 3);
    assert!(
        close(big["total_cost_usd"].as_f64().unwrap(), want),
        "{big}"
    );

    // Classification: validated enums, audited before/after.
    let (status, body) = gw
        .admin(
            Method::PUT,
            "/api/examination/inventory/mock.gpt-4o",
            Some(&json!({"risk_tier": "Tier4"})),
        )
        .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (400, Some("invalid_value"))
    );
    let update = json!({"risk_tier": "Tier1", "data_sensitivity": "MNPI",
                        "applicable_frameworks": ["SR117", "FINRA3110"],
                        "validation_status": "InProgress", "validation_due": "2027-03-31",
                        "owner": "model-risk@bank.example"});
    let (status, body) = gw
        .admin(
            Method::PUT,
            "/api/examination/inventory/mock.gpt-4o",
            Some(&update),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["risk_tier"], "Tier1");
    assert_eq!(
        body["total_requests"], 2,
        "counters survive a classification"
    );
    let (status, _) = gw
        .admin(
            Method::PUT,
            "/api/examination/inventory/nope",
            Some(&update),
        )
        .await;
    assert_eq!(status, 404);
    let records = gw.audit_records().await;
    let change = records
        .iter()
        .find(|r| r["kind"] == "admin.inventory.update")
        .expect("the classification is audited");
    assert_eq!(change["change"]["before"]["risk_tier"], "Unclassified");
    assert_eq!(change["change"]["after"]["risk_tier"], "Tier1");

    // Spend by model, JSON and CSV.
    let (status, body) = gw
        .admin(Method::GET, "/api/spend?group_by=model", None)
        .await;
    assert_eq!(status, 200, "{body}");
    let rows = body["data"].as_array().unwrap();
    let row = rows.iter().find(|r| r["group"] == "mock/gpt-4o").unwrap();
    assert_eq!(row["requests"], 2);
    assert_eq!(row["estimated_requests"], 1);
    assert!(close(row["cost_usd"].as_f64().unwrap(), want));
    let csv = gw
        .client()
        .get(format!("{}/api/spend?group_by=key", gw.admin_url()))
        .bearer_auth(ADMIN)
        .header("accept", "text/csv")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(csv.starts_with("key,requests,"), "{csv}");
    assert_eq!(csv.lines().count(), 2, "one key: {csv}");
    let (status, body) = gw
        .admin(Method::GET, "/api/spend?group_by=week", None)
        .await;
    assert_eq!(
        (status, body["error"]["param"].as_str()),
        (400, Some("group_by"))
    );
    let (_, body) = gw
        .admin(
            Method::GET,
            "/api/spend?group_by=day&from=2000-01-01T00:00:00Z&to=2000-01-02T00:00:00Z",
            None,
        )
        .await;
    assert_eq!(body["data"], json!([]));
}

#[tokio::test]
async fn a_key_over_its_rate_limit_gets_429_with_retry_after() {
    let mock = MockServer::start().unwrap();
    let cfg = priced(&mock)
        .raw("[[limits]]\nsubject = \"key\"\nid = \"*\"\nrpm = 3\n")
        .build();
    let gw = Gateway::start(&cfg, &[("PARAPET_ADMIN_TOKEN", ADMIN)]);
    let key = gw.create_key("alice", &[]).await;
    let other = gw.create_key("bob", &[]).await;
    let mut codes = vec![];
    for _ in 0..4 {
        let r = gw.chat(&key, &chat("gpt-4o-mini", 10, 10)).await;
        let retry = r
            .headers()
            .get("retry-after")
            .map(|v| v.to_str().unwrap().parse::<u64>().unwrap());
        let status = r.status().as_u16();
        let body: Value = r.json().await.unwrap();
        codes.push((
            status,
            body["error"]["code"].as_str().map(String::from),
            retry.is_some_and(|s| (1..=60).contains(&s)),
        ));
    }
    // The minute may turn during the run; then a fourth call may pass.
    assert_eq!(codes[0].0, 200);
    let refused: Vec<_> = codes.iter().filter(|c| c.0 == 429).collect();
    assert!(refused.len() <= 1, "{codes:?}");
    if let Some(c) = refused.first() {
        assert_eq!((c.1.as_deref(), c.2), (Some("rate_limited"), true));
    }
    assert_eq!(
        gw.chat(&other, &chat("gpt-4o-mini", 10, 10)).await.status(),
        200,
        "each key its own counter"
    );
    let records = gw.audit_records().await;
    assert_eq!(
        records
            .iter()
            .filter(|r| r["response"]["error"] == "rate_limited")
            .count(),
        refused.len(),
        "refusals are audited"
    );
}

/// Two gateways on one Redis, 16 clients at once: the key's budget holds across both.
#[tokio::test]
async fn a_budget_stops_a_key_at_its_limit_across_two_instances() {
    const BUDGET: f64 = 0.1;
    let redis = Redis::start();
    let mock = MockServer::start().unwrap();
    let cfg = priced(&mock)
        .store_redis(&redis.url())
        .raw("[[limits]]\nsubject = \"key\"\nid = \"*\"\nbudget_usd = 0.1\nperiod = \"day\"\n")
        .build();
    let env = [("PARAPET_ADMIN_TOKEN", ADMIN)];
    let gws = Arc::new([Gateway::start(&cfg, &env), Gateway::start(&cfg, &env)]);
    let key = gws[0].create_key("spender", &[]).await;
    // Real cost 10 x 2.50 + 400 x 10.00 = 0.004025; reserved estimate with max_tokens 500:
    // (2 + 4) x 2.50 + 500 x 10.00 = 0.005015.
    let estimate = cost(2.5, 10.0, 6, 500);
    let mut body = chat("gpt-4o", 10, 400);
    body["max_tokens"] = json!(500);
    let body = Arc::new(body);
    let mut tasks = vec![];
    for worker in 0..16 {
        let (gws, key, body) = (gws.clone(), key.clone(), body.clone());
        tasks.push(tokio::spawn(async move {
            let mut out = vec![];
            for i in 0..5 {
                let r = gws[(worker + i) % 2].chat(&key, &body).await;
                let status = r.status().as_u16();
                let retry = r.headers().contains_key("retry-after");
                let v: Value = r.json().await.unwrap_or(Value::Null);
                out.push((status, v["error"]["code"].as_str().map(String::from), retry));
            }
            out
        }));
    }
    let mut results = vec![];
    for t in tasks {
        results.extend(t.await.unwrap());
    }
    let ok = results.iter().filter(|r| r.0 == 200).count();
    let refused: Vec<_> = results.iter().filter(|r| r.0 == 429).collect();
    assert_eq!(ok + refused.len(), 80, "{results:?}");
    assert!(refused
        .iter()
        .all(|r| r.1.as_deref() == Some("budget_exceeded") && r.2));
    // Wait for the settlements, then the key is at its limit: one more call is refused.
    tokio::time::sleep(Duration::from_millis(500)).await;
    loop {
        let r = gws[0].chat(&key, &body).await;
        if r.status() == 429 {
            break;
        }
        assert_eq!(r.status(), 200);
    }
    let spent: f64 = gws[1]
        .audit_records()
        .await
        .iter()
        .filter(|r| r["kind"] == "llm.call" && r["response"]["status"] == 200)
        .map(|r| r["cost_usd"].as_f64().unwrap())
        .sum();
    println!("spent {spent:.6} of {BUDGET} in {ok}+ calls; estimate {estimate:.6}");
    assert!(
        spent <= BUDGET + estimate,
        "spent {spent} > {BUDGET} + {estimate}"
    );
    assert!(
        spent > BUDGET - 2.0 * estimate,
        "the budget was used: {spent}"
    );
    // The spend view agrees with the records.
    let (_, view) = gws[0]
        .admin(Method::GET, "/api/spend?group_by=key", None)
        .await;
    assert!(
        close(view["total_cost_usd"].as_f64().unwrap(), spent),
        "{view}"
    );
}
