//! Examination reports through the real binary on a real Redis: after traffic to two models,
//! a barrier block, keys and agent credentials in different states and a decided approval, the
//! COMPREHENSIVE report shows them; the same request within 24 h answers the same report (also
//! from a second gateway on the same Redis); reports are fetched by id, exported as a download,
//! refused when the request is wrong, and generated from the CLI.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests"
)]

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use jsonwebtoken::{encode, Algorithm, EncodingKey, Header};
use parapet_tests::harness::{workspace_root, ConfigBuilder, Gateway, Redis};
use parapet_tests::mock::MockServer;
use reqwest::Method;
use serde_json::{json, Value};

const ADMIN: &str = "report-test-admin-token-0123456789";
const JWT_SECRET: &str = "report-test-hs256-secret-0123456789abcdef";
const AIDA_SECRET: &str = "report-test-aida-secret-0123456789abcdef0123";
const WATCHLIST: &str = r#"{"issuers": [{"name": "Halvorsen Biotech", "ticker": "HLVB", "aliases": ["Halvorsen"], "list": "restricted"}], "deal_code_names": []}"#;

fn config(mock: &MockServer, redis: &Redis) -> String {
    ConfigBuilder::new()
        .provider("mock", "openai", &mock.base_v1(), &[])
        .model("gpt-4o-mini", "mock", "gpt-4o-mini", &[])
        .model("gpt-4o", "mock", "gpt-4o", &[])
        .routing("max_retries = 0")
        .store_redis(&redis.url())
        .raw("[auth.jwt]\nhs256_secret_env = \"JWT_SECRET\"\n\n[aida]\nenabled = true\n\n[audit]\ncheckpoint_every = 5\n")
        .build()
}

fn env() -> Vec<(&'static str, &'static str)> {
    vec![
        ("PARAPET_ADMIN_TOKEN", ADMIN),
        ("JWT_SECRET", JWT_SECRET),
        ("AIDA_SIGNING_SECRET", AIDA_SECRET),
    ]
}

fn trader_jwt() -> String {
    let exp = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
        + 600;
    let claims = json!({"sub": "bob", "exp": exp, "groups": ["Trading-Desk"]});
    encode(
        &Header::new(Algorithm::HS256),
        &claims,
        &EncodingKey::from_secret(JWT_SECRET.as_bytes()),
    )
    .unwrap()
}

fn chat(model: &str, content: &str, prompt: u64, completion: u64) -> Value {
    json!({"model": model, "messages": [{"role": "user", "content": content}],
           "mock": {"usage": {"prompt_tokens": prompt, "completion_tokens": completion}}})
}

async fn ok(gw: &Gateway, method: Method, path: &str, body: Value) -> Value {
    let (s, b) = gw.admin(method.clone(), path, Some(&body)).await;
    assert!((200..300).contains(&s), "{method} {path}: {s} {b}");
    b
}

fn pack(file: &str) -> Value {
    let path = workspace_root().join(format!("policies/packs/finance/{file}"));
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// The finance pack's refund approval, opened for a bot and approved by ann (a supervisor).
async fn decided_approval(gw: &Gateway) {
    for role in pack("roles.json").as_array().unwrap() {
        let path = format!("/api/v1/roles/{}", role["name"].as_str().unwrap());
        ok(gw, Method::PUT, &path, role.clone()).await;
    }
    for p in pack("policies.json").as_array().unwrap() {
        ok(gw, Method::POST, "/api/v1/policies", p.clone()).await;
    }
    for (subject, role) in [
        ("refund-bot", "payments_agent"),
        ("ann", "payments_supervisor"),
    ] {
        let path = format!("/api/v1/role-bindings/{subject}");
        ok(gw, Method::PUT, &path, json!({"roles": [role]})).await;
    }
    let d = ok(
        gw,
        Method::POST,
        "/api/v1/decisions/check",
        json!({
        "subject_type": "agent", "subject_id": "refund-bot", "action": "payments.refund.issue",
        "resource": {"type": "refund", "id": "r-1", "attrs": {"amount_cents": 150_000}}}),
    )
    .await;
    let id = d["approval_id"].as_str().unwrap_or_else(|| panic!("{d}"));
    let ann = gw.create_key("ann", &[]).await;
    let resp = gw
        .client()
        .post(format!("{}/api/v1/approvals/{id}/approve", gw.admin_url()))
        .bearer_auth(&ann)
        .json(&json!({"justification": "called the customer back"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200, "{}", resp.text().await.unwrap());
}

fn today() -> String {
    chrono::Utc::now().format("%Y-%m-%d").to_string()
}

fn close(a: &Value, b: f64) -> bool {
    a.as_f64().is_some_and(|a| (a - b).abs() < 1e-9)
}

#[tokio::test]
async fn the_comprehensive_report_reflects_traffic_barriers_secrets_and_approvals() {
    let mock = MockServer::start().unwrap();
    let redis = Redis::start();
    let gw = Gateway::start(&config(&mock, &redis), &env());

    // Traffic to two models.
    let alice = gw.create_key("alice", &[]).await;
    assert_eq!(
        gw.chat(&alice, &chat("gpt-4o-mini", "hi", 1000, 500))
            .await
            .status(),
        200
    );
    assert_eq!(
        gw.chat(&alice, &chat("gpt-4o", "hi", 2000, 100))
            .await
            .status(),
        200
    );

    // A barrier that blocks MNPI for the trading desk, and a trader who runs into it.
    let (s, b) = gw
        .admin(
            Method::PUT,
            "/api/watchlist",
            Some(&serde_json::from_str(WATCHLIST).unwrap()),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    ok(
        &gw,
        Method::POST,
        "/api/barriers",
        json!({
        "name": "Research / Trading wall", "side_a_groups": ["Research-*"],
        "side_b_groups": ["Trading-Desk"], "restricted_content_labels": ["mnpi"],
        "action": "Block", "severity": "critical"}),
    )
    .await;
    let mnpi =
        "Halvorsen Biotech will miss its Q3 earnings guidance; the announcement is not public yet.";
    let r = gw
        .chat(&trader_jwt(), &chat("gpt-4o-mini", mnpi, 10, 10))
        .await;
    assert_eq!(r.status(), 403);

    // Keys: alice's and ann's active without expiry, one expiring in a second, one revoked.
    let short = (chrono::Utc::now() + chrono::Duration::seconds(1)).to_rfc3339();
    gw.create_key_with(&json!({"owner": "tmp", "expires_at": short}))
        .await;
    let gone = gw.create_key_with(&json!({"owner": "gone"})).await;
    assert_eq!(gw.revoke_key(gone["id"].as_str().unwrap()).await, 200);
    // Agent credentials: one active, one revoked.
    let cred = |agent: &str| {
        json!({"principal_id": "alice", "agent_id": agent,
        "authorized_scopes": ["read_only"], "expires_at": (chrono::Utc::now() + chrono::Duration::days(30)).to_rfc3339()})
    };
    ok(&gw, Method::POST, "/api/aida/credentials", cred("reader")).await;
    let c2 = ok(&gw, Method::POST, "/api/aida/credentials", cred("old-bot")).await;
    let path = format!("/api/aida/credentials/{}", c2["id"].as_str().unwrap());
    ok(&gw, Method::DELETE, &path, json!({})).await;

    decided_approval(&gw).await;
    tokio::time::sleep(Duration::from_millis(1200)).await;

    let ask =
        json!({"report_type": "COMPREHENSIVE", "period_start": today(), "period_end": today()});
    let (s, r) = gw
        .admin(Method::POST, "/api/examination/report", Some(&ask))
        .await;
    assert_eq!(s, 200, "{r}");
    assert_eq!(r["cached"], false);
    assert_eq!(r["report_type"], "COMPREHENSIVE");
    let sec = &r["sections"];

    // FFIEC: both models of the provider, with the shipped prices; the block as a refusal.
    let mock_p = sec["ffiec"]["third_party_providers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["provider"] == "mock")
        .unwrap_or_else(|| panic!("{sec}"));
    assert_eq!(mock_p["requests"], 2, "{mock_p}");
    let model = |m: &str| {
        mock_p["models"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["model"] == m)
            .unwrap()
            .clone()
    };
    assert!(close(
        &model("gpt-4o-mini")["cost_usd"],
        (1000.0 * 0.15 + 500.0 * 0.60) / 1e6
    ));
    assert!(close(
        &model("gpt-4o")["cost_usd"],
        (2000.0 * 2.5 + 100.0 * 10.0) / 1e6
    ));
    let access = &sec["ffiec"]["access_controls"];
    assert_eq!(
        access["refused_calls_by_code"]["information_barrier"], 1,
        "{access}"
    );
    let keys = &access["virtual_keys"];
    assert_eq!(
        (
            keys["active"].as_u64(),
            keys["expired"].as_u64(),
            keys["revoked"].as_u64()
        ),
        (Some(2), Some(1), Some(1)),
        "{keys}"
    );
    assert_eq!(keys["active_without_expiry"], 2);
    let creds = &access["agent_credentials"];
    assert_eq!(
        (creds["active"].as_u64(), creds["revoked"].as_u64()),
        (Some(1), Some(1)),
        "{creds}"
    );
    let audit = &sec["ffiec"]["audit_completeness"];
    assert_eq!(audit["chain_verification"]["ok"], true, "{audit}");
    assert_eq!(audit["latest_signed_checkpoint"]["status"], "ok", "{audit}");
    assert_eq!(audit["records_by_kind"]["llm.call"], 3, "{audit}");
    assert_eq!(audit["records_by_kind"]["barrier.violation"], 1);

    // FINRA: the block is a pending supervision record of a critical barrier.
    let sup = &sec["finra"]["supervision_records"];
    assert_eq!(
        (
            sup["total"].as_u64(),
            sup["blocked"].as_u64(),
            sup["pending_review"].as_u64(),
            sup["critical"].as_u64()
        ),
        (Some(1), Some(1), Some(1), Some(1)),
        "{sup}"
    );
    assert_eq!(sup["review_rate"], 0.0);

    // SR 11-7: both models discovered, unclassified, used in the period.
    let sr = &sec["sr11_7"];
    assert_eq!(sr["by_risk_tier"]["Unclassified"], 2, "{sr}");
    assert_eq!(sr["unclassified_models_used_in_period"], 2);

    // EU AI Act: the approval, decided by a person.
    let appr = &sec["eu_ai_act"]["human_oversight"]["approvals"];
    assert_eq!(
        (appr["requested"].as_u64(), appr["approved"].as_u64()),
        (Some(1), Some(1)),
        "{appr}"
    );

    // The score: classification 0/2, validation n/a, review 0/1, chain 1, hygiene 1/3 (the
    // credential has an expiry; alice's and ann's keys do not), oversight 1/1.
    let summary = &r["executive_summary"];
    let want: f64 =
        (20.0 * 0.0 + 20.0 * 0.0 + 20.0 * 1.0 + 10.0 * (1.0 / 3.0) + 10.0 * 1.0) / 80.0 * 100.0;
    assert!(
        close(&summary["governance_score"], (want * 10.0).round() / 10.0),
        "{summary}"
    );

    // Cached: the same id, also from a second gateway on the same Redis.
    let (_, again) = gw
        .admin(Method::POST, "/api/examination/report", Some(&ask))
        .await;
    assert_eq!(
        (again["id"].clone(), again["cached"].clone()),
        (r["id"].clone(), json!(true))
    );
    let gw2 = Gateway::start(&config(&mock, &redis), &env());
    let (_, other) = gw2
        .admin(Method::POST, "/api/examination/report", Some(&ask))
        .await;
    assert_eq!(other["id"], r["id"]);
    let records = gw.audit_records().await;
    let generated: Vec<&Value> = records
        .iter()
        .filter(|x| x["kind"] == "admin.report.generate")
        .collect();
    assert_eq!(generated.len(), 1, "only a generation is recorded");
    assert_eq!(generated[0]["change"]["target"], r["id"]);

    // By id, as a download, and 404.
    let id = r["id"].as_str().unwrap();
    let (s, got) = gw
        .admin(Method::GET, &format!("/api/examination/report/{id}"), None)
        .await;
    assert_eq!((s, &got["sections"]), (200, sec));
    let resp = gw
        .client()
        .get(format!(
            "{}/api/examination/report/{id}?format=json",
            gw.admin_url()
        ))
        .bearer_auth(ADMIN)
        .send()
        .await
        .unwrap();
    let cd = resp.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(cd.starts_with("attachment;") && cd.contains(id), "{cd}");
    let (s, _) = gw
        .admin(Method::GET, "/api/examination/report/no-such-report", None)
        .await;
    assert_eq!(s, 404);

    // The CLI asks the same gateway, writes the file, and gets the cached report.
    let out = gw.dir().path().join("report.json");
    let o = gw.cli(
        &[
            "report",
            "--type",
            "COMPREHENSIVE",
            "--from",
            &today(),
            "--to",
            &today(),
            "--out",
            out.to_str().unwrap(),
            "--admin-url",
            gw.admin_url(),
            "--admin-token",
            ADMIN,
        ],
        &[],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let file: Value = serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    assert_eq!(file["id"], r["id"]);
    assert!(String::from_utf8_lossy(&o.stderr).contains("governance score"));
}

#[tokio::test]
async fn wrong_requests_are_refused_naming_the_field_and_reports_need_the_admin_token() {
    let gw = Gateway::start(
        &ConfigBuilder::new().build(),
        &[("PARAPET_ADMIN_TOKEN", ADMIN)],
    );
    let cases = [
        (
            json!({"report_type": "SOX", "period_start": "2026-01-01", "period_end": "2026-01-31"}),
            "report_type",
        ),
        (
            json!({"report_type": "FINRA", "period_start": "yesterday", "period_end": "2026-01-31"}),
            "period_start",
        ),
        (
            json!({"report_type": "FINRA", "period_start": "2026-02-01", "period_end": "2026-01-31"}),
            "period_end",
        ),
        (
            json!({"report_type": "FINRA", "period_start": "2026-01-01"}),
            "period_end",
        ),
        (
            json!({"report_type": "FINRA", "period_start": "2026-01-01", "period_end": "2026-01-31", "extra": 1}),
            "extra",
        ),
    ];
    for (body, field) in cases {
        let (s, b) = gw
            .admin(Method::POST, "/api/examination/report", Some(&body))
            .await;
        assert!(s == 400 || s == 422, "{body}: {s} {b}");
        assert_eq!(b["error"]["param"], field, "{body}: {b}");
    }
    let user_key = gw.create_key("mallory", &[]).await;
    let resp = gw.client().post(format!("{}/api/examination/report", gw.admin_url()))
        .bearer_auth(&user_key)
        .json(&json!({"report_type": "FINRA", "period_start": "2026-01-01", "period_end": "2026-01-31"}))
        .send().await.unwrap();
    assert_eq!(resp.status(), 401);
    // An embedded store and nothing configured: the sections say so instead of inventing.
    let ask =
        json!({"report_type": "COMPREHENSIVE", "period_start": today(), "period_end": today()});
    let (s, r) = gw
        .admin(Method::POST, "/api/examination/report", Some(&ask))
        .await;
    assert_eq!(s, 200, "{r}");
    assert_eq!(r["sections"]["finra"]["status"], "not_configured");
    assert_eq!(
        r["sections"]["ffiec"]["access_controls"]["agent_credentials"]["status"],
        "not_configured"
    );
    assert_eq!(r["sections"]["sr11_7"]["status"], "no_models_in_inventory");
}
