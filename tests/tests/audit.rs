//! The audit log through the real binary: two gateways on one Redis make one chain under
//! concurrent load; every answer has its record; a Redis outage fails calls closed and loses
//! nothing committed; an export verifies offline with the checkpoints and the public key, and
//! an edited export does not.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests"
)]

use std::time::Duration;

use parapet_tests::harness::{eventually, ConfigBuilder, Gateway, Redis};
use serde_json::{json, Value};

const SIGNING_KEY: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";

fn config(redis: &Redis) -> String {
    ConfigBuilder::new()
        .provider_echo()
        .model("echo", "echo", "echo", &[])
        .store_redis(&redis.url())
        .raw("[audit]\ncheckpoint_every = 50\nwitness_file = \"witness.jsonl\"\n")
        .build()
}

fn env() -> Vec<(&'static str, &'static str)> {
    vec![
        ("PARAPET_AUDIT_SIGNING_KEY", SIGNING_KEY),
        ("PARAPET_ADMIN_TOKEN", "test-admin-token-0123456789"),
    ]
}

fn chat() -> Value {
    json!({"model": "echo", "messages": [{"role": "user", "content": "record me"}]})
}

async fn admin_get(gw: &Gateway, path: &str) -> (u16, Value) {
    let resp = gw
        .client()
        .get(format!("{}{path}", gw.admin_url()))
        .bearer_auth(gw.admin_token())
        .send()
        .await
        .unwrap();
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

/// Every record, through the SIEM cursor.
async fn all_records(gw: &Gateway) -> Vec<Value> {
    let mut out = Vec::new();
    let mut after = 0;
    loop {
        let (status, page) =
            admin_get(gw, &format!("/api/audit/events?after={after}&limit=500")).await;
        assert_eq!(status, 200, "{page}");
        let data = page["data"].as_array().unwrap().clone();
        if data.is_empty() {
            break;
        }
        after = page["next"].as_u64().unwrap();
        out.extend(data);
    }
    out
}

#[tokio::test]
async fn two_gateways_on_one_redis_make_one_valid_chain_with_a_record_per_answer() {
    let redis = Redis::start();
    let env = env();
    let a = Gateway::start(&config(&redis), &env);
    let b = Gateway::start(&config(&redis), &env);
    let key = a.create_key("alice", &[]).await;

    let mut calls = Vec::new();
    for i in 0..200 {
        let gw = if i % 2 == 0 {
            a.proxy_url().to_owned()
        } else {
            b.proxy_url().to_owned()
        };
        let (client, key) = (a.client().clone(), key.clone());
        calls.push(tokio::spawn(async move {
            client
                .post(format!("{gw}/v1/chat/completions"))
                .bearer_auth(key)
                .json(&chat())
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }));
    }
    let mut ok = 0;
    for c in calls {
        if c.await.unwrap() == 200 {
            ok += 1;
        }
    }
    assert_eq!(ok, 200);

    let (status, v) = admin_get(&b, "/api/audit/verify").await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["ok"], true);
    let records = all_records(&a).await;
    let seqs: Vec<u64> = records.iter().map(|r| r["seq"].as_u64().unwrap()).collect();
    assert_eq!(
        seqs,
        (1..=seqs.len() as u64).collect::<Vec<_>>(),
        "one gapless chain"
    );
    let answered = records
        .iter()
        .filter(|r| r["kind"] == "llm.call" && r["response"]["status"] == 200)
        .count();
    assert_eq!(answered, 200, "every answer has its record");
    assert!(
        records.iter().any(|r| r["kind"] == "admin.key.create"),
        "the key creation is on record"
    );

    // The SIEM cursor in small pages sees every record exactly once, in order.
    let mut paged = Vec::new();
    let mut after = 0;
    loop {
        let (_, page) = admin_get(&a, &format!("/api/audit/events?after={after}&limit=7")).await;
        let data = page["data"].as_array().unwrap();
        if data.is_empty() {
            assert_eq!(
                page["next"].as_u64(),
                Some(after),
                "an empty page keeps the cursor"
            );
            break;
        }
        paged.extend(data.iter().map(|r| r["seq"].as_u64().unwrap()));
        after = page["next"].as_u64().unwrap();
    }
    assert_eq!(paged, seqs, "paging by 7 yields every record exactly once");
    assert!(
        v["checkpoints_checked"].as_u64().unwrap() >= 2,
        "both instances signed checkpoints: {v}"
    );
}

#[tokio::test]
async fn a_redis_outage_under_load_fails_closed_and_loses_no_committed_record() {
    let mut redis = Redis::start_durable();
    let gw = Gateway::start(&config(&redis), &env());
    let key = gw.create_key("alice", &[]).await;
    for _ in 0..20 {
        assert_eq!(gw.chat(&key, &chat()).await.status(), 200);
    }
    redis.stop();
    // While Redis is down no call is answered: refused with 503, never served unrecorded.
    for _ in 0..3 {
        let t = std::time::Instant::now();
        let resp = gw.chat(&key, &chat()).await;
        assert!(
            t.elapsed() < Duration::from_secs(1),
            "refused fast, not after retries: {:?}",
            t.elapsed()
        );
        assert_eq!(resp.status(), 503);
        let body: Value = resp.json().await.unwrap();
        let code = body["error"]["code"].as_str().unwrap().to_owned();
        assert!(
            code == "audit_unavailable" || code == "store_unavailable",
            "{body}"
        );
    }
    redis.restart();
    let back = eventually(Duration::from_secs(10), || async {
        gw.chat(&key, &chat()).await.status() == 200
    })
    .await;
    assert!(back, "calls are answered again once Redis is back");
    let (status, v) = admin_get(&gw, "/api/audit/verify").await;
    assert_eq!((status, &v["ok"]), (200, &json!(true)), "{v}");
    let records = all_records(&gw).await;
    let answered = records
        .iter()
        .filter(|r| r["response"]["status"] == 200)
        .count();
    assert!(
        answered >= 21,
        "the 20 answers before the outage and the one after are all there"
    );
}

#[tokio::test]
async fn an_export_verifies_offline_and_an_edited_export_does_not() {
    let redis = Redis::start();
    let mut gw = Gateway::start(&config(&redis), &env());
    let key = gw.create_key("alice", &[]).await;
    for _ in 0..120 {
        assert_eq!(gw.chat(&key, &chat()).await.status(), 200);
    }
    let (_, cps) = admin_get(&gw, "/api/audit/checkpoints").await;
    let vkey = cps["verifier_key"].as_str().unwrap().to_owned();
    let env = env();
    let out = gw.cli(
        &[
            "audit",
            "export",
            "--format",
            "jsonl",
            "-o",
            "export.jsonl",
            "--admin-url",
            gw.admin_url(),
        ],
        &env,
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    gw.sigterm();
    assert!(gw.wait_exit(Duration::from_secs(30)).success());
    let dir = gw.dir();
    let witness = dir.path().join("witness.jsonl");
    assert!(
        std::fs::read_to_string(&witness).unwrap().lines().count() >= 2,
        "checkpoints reached the witness file"
    );

    let verify = |file: &str| {
        parapet_tests::harness::run_parapet(
            dir.path(),
            &[
                "audit",
                "verify",
                "--file",
                file,
                "--checkpoints",
                "witness.jsonl",
                "--verifier-key",
                &vkey,
            ],
            &[],
        )
    };
    let ok = verify("export.jsonl");
    let text = String::from_utf8_lossy(&ok.stdout).to_string();
    assert!(
        ok.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    assert!(text.contains("OK"), "{text}");

    let export = std::fs::read_to_string(dir.path().join("export.jsonl")).unwrap();
    let mut lines: Vec<String> = export.lines().map(String::from).collect();
    let mut rec: Value = serde_json::from_str(&lines[9]).unwrap();
    rec["caller"]["id"] = json!("mallory");
    lines[9] = rec.to_string();
    std::fs::write(dir.path().join("edited.jsonl"), lines.join("\n") + "\n").unwrap();
    let bad = verify("edited.jsonl");
    let text = String::from_utf8_lossy(&bad.stdout).to_string();
    assert_eq!(bad.status.code(), Some(1), "{text}");
    assert!(
        text.contains("CHAIN BROKEN") && text.contains("seq 10"),
        "{text}"
    );
}
