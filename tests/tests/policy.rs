//! The policy engine through the real binary: the packs' cases and the seeds' examples decide
//! through the decision API as they do in the pure crate; model calls are checked when
//! `[policies] enforce = true` (geo fence, MFA from the JWT, approval round trip bound to the
//! body and used once); an agent never exceeds its user; policies are versioned, validated and
//! audited; a second instance on the same Redis follows changes; grants expire by themselves.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests"
)]

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use jsonwebtoken::{encode, Algorithm, EncodingKey, Header};
use parapet_tests::harness::{eventually, ConfigBuilder, Gateway, Redis};
use parapet_tests::mock::MockServer;
use parapet_tests::policy::{as_person, bind, check, load_pack, pack, request};
use reqwest::Method;
use serde_json::{json, Value};

const JWT_SECRET: &str = "policy-test-hs256-secret-0123456789abcdef";
const AIDA_SECRET: &str = "aida-test-secret-0123456789abcdef0123456789";

/// Every case of a pack that needs no grants or attributes, through the HTTP API, with the
/// case's roles bound in the store (the body cannot carry roles).
async fn run_pack_cases(gw: &Gateway, name: &str) -> usize {
    let mut ran = 0;
    for case in pack(name, "cases.json").as_array().unwrap() {
        if case.get("grants").is_some() || case.get("subject_attrs").is_some() {
            continue;
        }
        let req = &case["request"];
        let roles: Vec<&str> = case["subject_roles"]
            .as_array()
            .map(|r| r.iter().map(|x| x.as_str().unwrap()).collect())
            .unwrap_or_default();
        bind(gw, req["subject_id"].as_str().unwrap(), &roles).await;
        if let Some(user) = req["on_behalf_of_user_id"].as_str() {
            match case["user_roles"].as_array() {
                Some(user_roles) => {
                    let r: Vec<&str> = user_roles.iter().map(|x| x.as_str().unwrap()).collect();
                    bind(gw, user, &r).await;
                }
                None => {
                    let path = format!("/api/v1/role-bindings/{user}");
                    gw.admin(Method::DELETE, &path, None).await;
                }
            }
        }
        let d = check(gw, req).await;
        let want = &case["expect"];
        assert_eq!(d["effect"], want["effect"], "{name}/{}: {d}", case["name"]);
        if let Some(pid) = want.get("policy_id") {
            assert_eq!(&d["policy_id"], pid, "{name}/{}: {d}", case["name"]);
        }
        if let Some(code) = want.get("reason") {
            assert!(
                d["reason_codes"].as_array().unwrap().contains(code),
                "{name}/{}: {d}",
                case["name"]
            );
        }
        if d["effect"] == "require_approval" {
            // An approval is opened unless the policy's `required_context` is missing.
            match d["missing_context"].as_array() {
                Some(keys) => assert!(
                    keys.iter()
                        .all(|k| req["context"].get(k.as_str().unwrap()).is_none()),
                    "{d}"
                ),
                None => assert!(d["approval_id"].is_string(), "{d}"),
            }
        }
        ran += 1;
    }
    ran
}

#[tokio::test]
async fn the_packs_decide_through_the_http_api_as_their_cases_say() {
    for name in ["finance", "healthcare", "secops"] {
        let gw = Gateway::start(&ConfigBuilder::new().build(), &[]);
        load_pack(&gw, name).await;
        let ran = run_pack_cases(&gw, name).await;
        assert!(ran >= 8, "{name}: only {ran} cases ran");
        let records = gw.audit_records().await;
        let decisions = records.iter().filter(|r| r["kind"] == "decision").count();
        assert_eq!(decisions, ran, "{name}: one decision record per check");
    }
}

#[tokio::test]
async fn the_seeds_examples_decide_as_the_seeds_describe() {
    let redis = Redis::start();
    let gw = Gateway::start(&ConfigBuilder::new().store_redis(&redis.url()).build(), &[]);
    load_pack(&gw, "finance").await;
    load_pack(&gw, "secops").await;
    bind(&gw, "refund-bot", &["payments_agent"]).await;
    bind(&gw, "soar-bot", &["soar_agent"]).await;
    bind(&gw, "crm-bot", &["advisor"]).await;

    // Refunds of 1,000 USD or more need approval; less is allowed.
    let big = check(
        &gw,
        &request(
            "refund-bot",
            "payments.refund.issue",
            json!({"amount_cents": 150_000}),
            json!({}),
        ),
    )
    .await;
    assert_eq!(big["effect"], "require_approval", "{big}");
    assert_eq!(big["policy_id"], "fin-refund-approval");
    let approval = big["approval_id"].as_str().unwrap();
    let small = check(
        &gw,
        &request(
            "refund-bot",
            "payments.refund.issue",
            json!({"amount_cents": 9_999}),
            json!({}),
        ),
    )
    .await;
    assert_eq!(small["effect"], "allow", "{small}");

    // CRM is denied outside the allowed countries.
    let cn = check(
        &gw,
        &request(
            "crm-bot",
            "crm.contacts.read",
            json!({}),
            json!({"ip_country": "CN"}),
        ),
    )
    .await;
    assert_eq!(
        (cn["effect"].as_str(), cn["policy_id"].as_str()),
        (Some("deny"), Some("fin-crm-geo-fence")),
        "{cn}"
    );
    let us = check(
        &gw,
        &request(
            "crm-bot",
            "crm.contacts.read",
            json!({}),
            json!({"ip_country": "US"}),
        ),
    )
    .await;
    assert_eq!(us["effect"], "allow", "{us}");

    // Low-confidence remediation is denied, and so is remediation without MFA.
    let ctx = json!({"mfa_verified": true, "incident_id": "INC-1", "ticket_url": "https://t/1"});
    let low = check(
        &gw,
        &request(
            "soar-bot",
            "host.wipe",
            json!({"threat_confidence": 0.5}),
            ctx.clone(),
        ),
    )
    .await;
    assert_eq!(low["effect"], "deny", "{low}");
    let no_mfa = check(
        &gw,
        &request(
            "soar-bot",
            "host.wipe",
            json!({"threat_confidence": 0.95}),
            json!({"mfa_verified": false, "incident_id": "INC-1"}),
        ),
    )
    .await;
    assert_eq!(no_mfa["effect"], "deny", "{no_mfa}");

    // Containment needs an analyst's approval.
    let iso = check(
        &gw,
        &request(
            "soar-bot",
            "endpoint.isolate",
            json!({"threat_confidence": 0.99}),
            ctx,
        ),
    )
    .await;
    assert_eq!(iso["effect"], "require_approval", "{iso}");
    assert_eq!(iso["policy_id"], "sec-containment-approval");

    // The approval opened for the refund is listed as pending with the policy's approvers.
    let (s, list) = gw
        .admin(Method::GET, "/api/v1/approvals?status=pending", None)
        .await;
    assert_eq!(s, 200);
    let found = list["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["id"] == approval)
        .cloned()
        .unwrap();
    assert_eq!(found["approvers"], json!(["role:payments_supervisor"]));
    assert_eq!(found["requested_by"]["id"], "refund-bot");

    // Roles come from the store, never from the body.
    let mut forged = request(
        "refund-bot",
        "payments.refund.issue",
        json!({"amount_cents": 1}),
        json!({}),
    );
    forged["subject_roles"] = json!(["payments_supervisor"]);
    let (s, b) = gw
        .admin(Method::POST, "/api/v1/decisions/check", Some(&forged))
        .await;
    assert_eq!(s, 400, "{b}");

    // Batch: many checks in one call, in order, each recorded.
    let reqs: Vec<Value> = (0..50)
        .map(|i| {
            request(
                "crm-bot",
                "crm.contacts.read",
                json!({}),
                json!({"ip_country": if i % 2 == 0 { "US" } else { "RU" }}),
            )
        })
        .collect();
    let (s, b) = gw
        .admin(
            Method::POST,
            "/api/v1/decisions/batch",
            Some(&json!({"requests": reqs})),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    let results = b["results"].as_array().unwrap();
    assert_eq!(results.len(), 50);
    assert!(results
        .iter()
        .enumerate()
        .all(|(i, r)| r["effect"] == if i % 2 == 0 { "allow" } else { "deny" }));
    let records = gw.audit_records().await;
    let decisions: Vec<&Value> = records.iter().filter(|r| r["kind"] == "decision").collect();
    assert_eq!(decisions.len(), 57, "every check is on the audit log");
    assert!(decisions.iter().any(
        |r| r["policy"]["policy_id"] == "fin-crm-geo-fence" && r["policy"]["effect"] == "deny"
    ));
    assert!(records.iter().any(|r| r["kind"] == "approval.created"));
}

#[tokio::test]
async fn an_agent_never_exceeds_the_user_it_acts_for() {
    let gw = Gateway::start(&ConfigBuilder::new().build(), &[]);
    load_pack(&gw, "finance").await;
    bind(&gw, "wealth-agent", &["wealth_agent"]).await;
    bind(&gw, "advisor-1", &["advisor"]).await;
    let mut req = request(
        "wealth-agent",
        "portfolio.write",
        json!({"amount_cents": 500_000}),
        json!({"time": "10:30", "ip_country": "US", "mfa_verified": true}),
    );
    req["on_behalf_of_user_id"] = json!("advisor-1");
    assert_eq!(check(&gw, &req).await["effect"], "allow");
    // The agent's role grants admin.override, the advisor's does not: denied before policies.
    req["action"] = json!("admin.override");
    let d = check(&gw, &req).await;
    assert_eq!(d["effect"], "deny", "{d}");
    assert_eq!(d["reason_codes"], json!(["not_granted_to_user"]));
    // A user nobody bound roles to gives the agent nothing.
    req["action"] = json!("portfolio.write");
    req["on_behalf_of_user_id"] = json!("stranger");
    let d = check(&gw, &req).await;
    assert_eq!(d["effect"], "deny", "{d}");
    assert_eq!(d["reason_codes"], json!(["user_roles_unknown"]));
}

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

fn jwt(sub: &str, amr: &[&str]) -> String {
    let claims = json!({"sub": sub, "exp": now() + 600, "amr": amr, "groups": ["treasury"]});
    encode(
        &Header::new(Algorithm::HS256),
        &claims,
        &EncodingKey::from_secret(JWT_SECRET.as_bytes()),
    )
    .unwrap()
}

fn enforcing(mock: &MockServer, redis: Option<&Redis>) -> String {
    let mut b = ConfigBuilder::standard(&mock.base_v1()).raw(&format!(
        "[policies]\nenforce = true\nip_country_header = \"x-country\"\n\n[auth.jwt]\nhs256_secret_env = \"JWT_SECRET\"\n\n[aida]\nenabled = true\n\n[[webhooks]]\nurl = \"{}/hooks\"\nevents = [\"approval.created\", \"approval.approved\"]\n",
        mock.url()
    ));
    if let Some(r) = redis {
        b = b.store_redis(&r.url());
    }
    b.build()
}

fn env() -> Vec<(&'static str, &'static str)> {
    vec![
        ("JWT_SECRET", JWT_SECRET),
        ("AIDA_SIGNING_SECRET", AIDA_SECRET),
    ]
}

/// Operator rules for model calls, narrowing the shipped default (which still allows the rest).
async fn model_rules(gw: &Gateway) {
    let rules = [
        json!({"id": "llm-geo", "display_name": "Models only from allowed countries", "effect": "deny", "priority": 10,
               "actions": ["llm.*"], "condition": {"op": "not_in", "args": ["ctx.context.ip_country", ["US", "GB", "DE", "FR", "IE"]]}}),
        json!({"id": "embed-mfa", "display_name": "Embeddings need MFA", "effect": "deny", "priority": 20,
               "actions": ["llm.embeddings.create"], "condition": {"op": "not", "args": [{"op": "eq", "args": ["ctx.context.mfa_verified", true]}]}}),
        json!({"id": "gpt-approval", "display_name": "gpt-test needs approval", "effect": "require_approval", "priority": 30,
               "actions": ["llm.chat.create"], "condition": {"op": "eq", "args": ["ctx.resource.id", "gpt-test"]},
               "approval": {"approvers": ["role:model_approver"], "require_justification": true}}),
        json!({"id": "allow-llm", "display_name": "Everything else", "effect": "allow", "priority": 100, "actions": ["llm.*", "a2a.*"], "condition": {}}),
    ];
    for r in rules {
        let (s, b) = gw.admin(Method::POST, "/api/v1/policies", Some(&r)).await;
        assert_eq!(s, 201, "{b}");
    }
}

async fn call(
    gw: &Gateway,
    bearer: &str,
    path: &str,
    body: &Value,
    headers: &[(&str, &str)],
) -> (u16, Value) {
    let mut rb = gw
        .client()
        .post(format!("{}{path}", gw.proxy_url()))
        .bearer_auth(bearer)
        .json(body);
    for (k, v) in headers {
        rb = rb.header(*k, *v);
    }
    let resp = rb.send().await.unwrap();
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn model_calls_are_checked_and_an_approval_lets_the_same_call_through_once() {
    let mock = MockServer::start().unwrap();
    let gw = Gateway::start(&enforcing(&mock, None), &env());
    let app_key = gw.create_key("app", &[]).await;
    let sue_key = gw.create_key("sue", &[]).await;
    let echo = json!({"model": "echo", "messages": [{"role": "user", "content": "hi"}]});

    // With enforcement on and nothing stored, the shipped default allows model calls.
    let (s, b) = call(&gw, &app_key, "/v1/chat/completions", &echo, &[]).await;
    assert_eq!(s, 200, "{b}");

    model_rules(&gw).await;
    // Defining a role turns the RBAC gate on: callers then need a binding that grants llm.*.
    gw.admin(
        Method::PUT,
        "/api/v1/roles/llm_user",
        Some(&json!({"actions": ["llm.*"]})),
    )
    .await;
    bind(&gw, "app", &["llm_user"]).await;
    bind(&gw, "jo", &["llm_user"]).await;
    let (s, b) = call(
        &gw,
        &app_key,
        "/v1/chat/completions",
        &echo,
        &[("x-country", "CN")],
    )
    .await;
    assert_eq!(
        (s, b["error"]["code"].as_str()),
        (403, Some("policy_denied")),
        "{b}"
    );
    let (s, _) = call(
        &gw,
        &app_key,
        "/v1/chat/completions",
        &echo,
        &[("x-country", "us")],
    )
    .await;
    assert_eq!(s, 200);

    // MFA comes from the JWT (`amr`): without it embeddings are denied.
    let embed = json!({"model": "embed-test", "input": "x"});
    let (s, b) = call(
        &gw,
        &jwt("jo", &["pwd"]),
        "/v1/embeddings",
        &embed,
        &[("x-country", "US")],
    )
    .await;
    assert_eq!(
        (s, b["error"]["code"].as_str()),
        (403, Some("policy_denied")),
        "{b}"
    );
    let (s, b) = call(
        &gw,
        &jwt("jo", &["pwd", "mfa"]),
        "/v1/embeddings",
        &embed,
        &[("x-country", "US")],
    )
    .await;
    assert_eq!(s, 200, "{b}");

    // gpt-test needs approval: 403 approval_required with the approval's id.
    let ask = json!({"model": "gpt-test", "messages": [{"role": "user", "content": "close the quarter"}]});
    let country = ("x-country", "US");
    let (s, b) = call(&gw, &app_key, "/v1/chat/completions", &ask, &[country]).await;
    assert_eq!(
        (s, b["error"]["code"].as_str()),
        (403, Some("approval_required")),
        "{b}"
    );
    let id = b["error"]["approval_id"].as_str().unwrap().to_owned();
    assert!(
        mock.requests_for_model("upstream-model").is_empty(),
        "nothing reached the model"
    );
    // Retrying before the approval is decided does not help.
    let (s, b) = call(
        &gw,
        &app_key,
        "/v1/chat/completions",
        &ask,
        &[country, ("x-parapet-approval", &id)],
    )
    .await;
    assert_eq!(
        (s, b["error"]["code"].as_str()),
        (403, Some("approval_required")),
        "{b}"
    );

    let approve = format!("/api/v1/approvals/{id}/approve");
    let why = json!({"justification": "quarter close, ticket FIN-9"});
    let (s, b) = as_person(&gw, &app_key, &approve, &why).await;
    assert_eq!(
        (s, b["error"]["code"].as_str()),
        (403, Some("approver_is_requester")),
        "{b}"
    );
    let (s, b) = as_person(&gw, gw.admin_token(), &approve, &why).await;
    assert_eq!(
        (s, b["error"]["code"].as_str()),
        (403, Some("approver_identity_required")),
        "{b}"
    );
    let (s, b) = as_person(&gw, &sue_key, &approve, &why).await;
    assert_eq!(
        (s, b["error"]["code"].as_str()),
        (403, Some("approver_not_allowed")),
        "sue holds no approver role yet: {b}"
    );
    gw.admin(
        Method::PUT,
        "/api/v1/roles/model_approver",
        Some(&json!({"actions": ["llm.*"]})),
    )
    .await;
    bind(&gw, "sue", &["model_approver"]).await;
    let (s, b) = as_person(&gw, &sue_key, &approve, &json!({})).await;
    assert_eq!(
        (s, b["error"]["code"].as_str()),
        (400, Some("missing_field")),
        "the policy needs a justification: {b}"
    );
    let (s, b) = as_person(&gw, &sue_key, &approve, &why).await;
    assert_eq!((s, b["status"].as_str()), (200, Some("approved")), "{b}");
    assert_eq!(b["decided_by"], "sue");

    // Approved: a different body is refused, the same body goes through once.
    let other =
        json!({"model": "gpt-test", "messages": [{"role": "user", "content": "something else"}]});
    let (s, b) = call(
        &gw,
        &app_key,
        "/v1/chat/completions",
        &other,
        &[country, ("x-parapet-approval", &id)],
    )
    .await;
    assert_eq!(
        (s, b["error"]["code"].as_str()),
        (403, Some("approval_invalid")),
        "{b}"
    );
    let (s, b) = call(
        &gw,
        &app_key,
        "/v1/chat/completions",
        &ask,
        &[country, ("x-parapet-approval", &id)],
    )
    .await;
    assert_eq!(s, 200, "{b}");
    let (s, b) = call(
        &gw,
        &app_key,
        "/v1/chat/completions",
        &ask,
        &[country, ("x-parapet-approval", &id)],
    )
    .await;
    assert_eq!(
        (s, b["error"]["code"].as_str()),
        (403, Some("approval_invalid")),
        "single use: {b}"
    );
    assert_eq!(mock.requests_for_model("upstream-model").len(), 1);

    // The call records carry the decisions; every transition is on the log; webhooks fired.
    let records = gw.audit_records().await;
    let calls: Vec<&Value> = records.iter().filter(|r| r["kind"] == "llm.call").collect();
    assert!(calls
        .iter()
        .any(|r| r["policy"]["effect"] == "deny" && r["policy"]["policy_id"] == "llm-geo"));
    assert!(calls
        .iter()
        .any(|r| r["policy"]["approval_used"] == true && r["response"]["status"] == 200));
    for kind in [
        "approval.created",
        "approval.approved",
        "approval.used",
        "admin.policy.create",
    ] {
        assert!(
            records.iter().any(|r| r["kind"] == kind),
            "no {kind} record"
        );
    }
    let hooks = || {
        mock.requests()
            .into_iter()
            .filter(|r| r.path == "/hooks")
            .map(|r| r.body["event"].clone())
            .collect::<Vec<_>>()
    };
    assert!(
        eventually(Duration::from_secs(5), || async {
            let h = hooks();
            h.contains(&json!("approval.created")) && h.contains(&json!("approval.approved"))
        })
        .await,
        "{:?}",
        hooks()
    );
}

#[tokio::test]
async fn an_agent_credential_never_lets_a_model_call_exceed_its_principal() {
    let mock = MockServer::start().unwrap();
    let gw = Gateway::start(&enforcing(&mock, None), &env());
    let key = gw.create_key("app", &[]).await;
    let (s, b) = gw.admin(Method::POST, "/api/aida/credentials", Some(&json!({"principal_id": "alice", "agent_id": "ap-bot",
        "authorized_scopes": ["read_only"], "expires_at": (chrono::Utc::now() + chrono::Duration::days(1)).to_rfc3339()}))).await;
    assert_eq!(s, 201, "{b}");
    let cred = b["cred_id"].as_str().unwrap().to_owned();
    gw.admin(
        Method::PUT,
        "/api/v1/roles/llm_user",
        Some(&json!({"actions": ["llm.*"]})),
    )
    .await;
    gw.admin(
        Method::PUT,
        "/api/v1/roles/viewer",
        Some(&json!({"actions": ["reports.read"]})),
    )
    .await;
    bind(&gw, "ap-bot", &["llm_user"]).await;
    bind(&gw, "alice", &["viewer"]).await;
    let echo = json!({"model": "echo", "messages": [{"role": "user", "content": "hi"}]});
    let (s, b) = call(
        &gw,
        &key,
        "/v1/chat/completions",
        &echo,
        &[("x-agent-credential", &cred)],
    )
    .await;
    assert_eq!(
        (s, b["error"]["code"].as_str()),
        (403, Some("policy_denied")),
        "{b}"
    );
    assert!(
        b["error"]["message"]
            .as_str()
            .unwrap()
            .contains("non-escalation"),
        "{b}"
    );
    bind(&gw, "alice", &["viewer", "llm_user"]).await;
    let (s, b) = call(
        &gw,
        &key,
        "/v1/chat/completions",
        &echo,
        &[("x-agent-credential", &cred)],
    )
    .await;
    assert_eq!(s, 200, "once alice may, her agent may: {b}");
}

#[tokio::test]
async fn policies_are_validated_versioned_audited_and_followed_by_another_instance() {
    let mock = MockServer::start().unwrap();
    let redis = Redis::start();
    let env = env();
    let a = Gateway::start(&enforcing(&mock, Some(&redis)), &env);
    let b = Gateway::start(&enforcing(&mock, Some(&redis)), &env);

    let bad = json!({"id": "bad", "display_name": "x", "effect": "deny", "priority": 1, "actions": ["crm.*"],
                     "condition": {"op": "equals", "args": ["ctx.context.ip_country", "US"]}});
    let (s, body) = a.admin(Method::POST, "/api/v1/policies", Some(&bad)).await;
    assert_eq!(
        (s, body["error"]["code"].as_str()),
        (422, Some("invalid_policy")),
        "{body}"
    );
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("unknown op `equals`"),
        "{body}"
    );
    let bad_path = json!({"id": "bad2", "display_name": "x", "effect": "deny", "priority": 1, "actions": ["crm.*"],
                          "condition": {"op": "eq", "args": ["ctx.nowhere.x", 1]}});
    let (s, body) = a
        .admin(Method::POST, "/api/v1/policies", Some(&bad_path))
        .await;
    assert_eq!(s, 422, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("ctx.nowhere.x"),
        "{body}"
    );

    let key = b.create_key("app", &[]).await;
    let echo = json!({"model": "echo", "messages": [{"role": "user", "content": "hi"}]});
    let (s, _) = call(&b, &key, "/v1/chat/completions", &echo, &[]).await;
    assert_eq!(s, 200, "the default set allows");
    // Once any policy is stored, the stored set replaces the shipped default.
    let allow = json!({"id": "allow-llm", "display_name": "Models", "effect": "allow", "priority": 100,
                       "actions": ["llm.*"], "condition": {}});
    let (s, body) = a
        .admin(Method::POST, "/api/v1/policies", Some(&allow))
        .await;
    assert_eq!(s, 201, "{body}");

    let deny_echo = json!({"id": "no-echo", "display_name": "No echo", "effect": "deny", "priority": 5,
                           "actions": ["llm.chat.create"], "condition": {"op": "eq", "args": ["ctx.resource.id", "echo"]}});
    let (s, body) = a
        .admin(Method::POST, "/api/v1/policies", Some(&deny_echo))
        .await;
    assert_eq!(s, 201, "{body}");
    assert_eq!(body["version"], 1);
    // Instance B follows within about a second, without a restart.
    assert!(
        eventually(Duration::from_secs(3), || async {
            let (s, body) = call(&b, &key, "/v1/chat/completions", &echo, &[]).await;
            s == 403
                && body["error"]["message"]
                    .as_str()
                    .unwrap_or("")
                    .contains("no-echo")
        })
        .await,
        "{:?}\n{}",
        call(&b, &key, "/v1/chat/completions", &echo, &[]).await,
        b.stderr()
    );

    let mut v2 = deny_echo.clone();
    v2["condition"] = json!({"op": "eq", "args": ["ctx.resource.id", "nothing"]});
    let (s, body) = a
        .admin(Method::PUT, "/api/v1/policies/no-echo", Some(&v2))
        .await;
    assert_eq!((s, body["version"].as_u64()), (200, Some(2)), "{body}");
    let (s, body) = a
        .admin(Method::PUT, "/api/v1/policies/no-echo", Some(&bad))
        .await;
    assert_eq!(s, 400, "an id that is not the path's: {body}");
    let (_, hist) = a
        .admin(Method::GET, "/api/v1/policies/no-echo/versions", None)
        .await;
    let versions = hist["data"].as_array().unwrap();
    assert_eq!(versions.len(), 2);
    assert_eq!(versions[0]["policy"]["condition"], deny_echo["condition"]);
    assert!(
        eventually(Duration::from_secs(3), || async {
            call(&b, &key, "/v1/chat/completions", &echo, &[]).await.0 == 200
        })
        .await
    );
    let (s, _) = a
        .admin(Method::DELETE, "/api/v1/policies/no-echo", None)
        .await;
    assert_eq!(s, 204);
    let (_, hist) = a
        .admin(Method::GET, "/api/v1/policies/no-echo/versions", None)
        .await;
    assert_eq!(
        hist["data"].as_array().unwrap().len(),
        3,
        "the deletion is a version too"
    );

    let records = a.audit_records().await;
    let update = records
        .iter()
        .find(|r| r["kind"] == "admin.policy.update")
        .unwrap();
    assert_eq!(
        update["change"]["before"]["policy"]["condition"],
        deny_echo["condition"]
    );
    assert_eq!(
        update["change"]["after"]["policy"]["condition"],
        v2["condition"]
    );
    assert!(records.iter().any(|r| r["kind"] == "admin.policy.delete"));
}

#[tokio::test]
async fn break_glass_grants_allow_until_they_expire_or_are_revoked() {
    let gw = Gateway::start(&ConfigBuilder::new().build(), &[]);
    load_pack(&gw, "healthcare").await;
    bind(&gw, "triage-bot", &[]).await;
    let req = json!({"subject_type": "agent", "subject_id": "triage-bot", "action": "ehr.read",
                     "resource": {"type": "patient_record", "id": "p-1", "attrs": {"record_type": "diagnosis"}}});
    assert_eq!(
        check(&gw, &req).await["effect"],
        "deny",
        "no role covers ehr.read"
    );

    let in_secs = |s: i64| (chrono::Utc::now() + chrono::Duration::seconds(s)).to_rfc3339();
    let grant = |exp: String| {
        json!({"subject": "triage-bot", "actions": ["ehr.read"], "justification": "code blue, bed 4",
                                     "ticket_url": "https://tickets.example/INC-7", "expires_at": exp})
    };
    let (s, b) = gw
        .admin(
            Method::POST,
            "/api/v1/grants",
            Some(&grant(in_secs(5 * 3600))),
        )
        .await;
    assert_eq!(
        (s, b["error"]["param"].as_str()),
        (400, Some("expires_at")),
        "more than 4 h: {b}"
    );
    let mut no_ticket = grant(in_secs(60));
    no_ticket["ticket_url"] = json!("");
    let (s, _) = gw
        .admin(Method::POST, "/api/v1/grants", Some(&no_ticket))
        .await;
    assert_eq!(s, 400);

    let (s, g) = gw
        .admin(Method::POST, "/api/v1/grants", Some(&grant(in_secs(3))))
        .await;
    assert_eq!(s, 201, "{g}");
    let d = check(&gw, &req).await;
    assert_eq!(
        (d["effect"].as_str(), d["grant_id"].as_str()),
        (Some("allow"), g["id"].as_str()),
        "{d}"
    );
    tokio::time::sleep(Duration::from_millis(3200)).await;
    assert_eq!(
        check(&gw, &req).await["effect"],
        "deny",
        "gone at expiry without a restart"
    );
    let (_, list) = gw.admin(Method::GET, "/api/v1/grants", None).await;
    assert_eq!(list["data"][0]["status"], "expired");

    let (_, g2) = gw
        .admin(Method::POST, "/api/v1/grants", Some(&grant(in_secs(600))))
        .await;
    assert_eq!(check(&gw, &req).await["effect"], "allow");
    let (s, _) = gw
        .admin(
            Method::DELETE,
            &format!("/api/v1/grants/{}", g2["id"].as_str().unwrap()),
            None,
        )
        .await;
    assert_eq!(s, 200);
    assert_eq!(check(&gw, &req).await["effect"], "deny", "revoked");
    let records = gw.audit_records().await;
    assert!(records.iter().any(|r| r["kind"] == "grant.created"
        && r["change"]["after"]["ticket_url"] == "https://tickets.example/INC-7"));
    assert!(records.iter().any(|r| r["kind"] == "grant.revoked"));
}

#[tokio::test]
async fn a2a_messages_are_checked_and_refusals_are_json_rpc_errors() {
    let agent = parapet_tests::harness::A2aAgent::start();
    let mock = MockServer::start().unwrap();
    let gw = Gateway::start(&enforcing(&mock, None), &env());
    let key = gw.create_key("ops-app", &[]).await;
    let approver = gw.create_key("olga", &[]).await;
    let profile = json!({"id": "ops", "name": "Ops agent", "url": agent.base_url(), "owner": "it",
                         "skills": [{"id": "account_lookup", "required_scopes": []}]});
    let (s, b) = gw.admin(Method::POST, "/api/agents", Some(&profile)).await;
    assert_eq!(s, 201, "{b}");
    let rules = [
        json!({"id": "a2a-geo", "display_name": "Agents only from the US", "effect": "deny", "priority": 10,
               "actions": ["a2a.*"], "condition": {"op": "not_in", "args": ["ctx.context.ip_country", ["US"]]}}),
        json!({"id": "lookup-approval", "display_name": "Lookups need approval", "effect": "require_approval", "priority": 20,
               "actions": ["a2a.message.send"], "condition": {"op": "eq", "args": ["ctx.resource.attrs.skill", "account_lookup"]},
               "approval": {"approvers": ["group:treasury"]}}),
    ];
    for r in rules {
        let (s, b) = gw.admin(Method::POST, "/api/v1/policies", Some(&r)).await;
        assert_eq!(s, 201, "{b}");
    }
    let msg = json!({"jsonrpc": "2.0", "id": "r-1", "method": "SendMessage", "params": {"message": {
        "messageId": "m-1", "role": "ROLE_USER", "metadata": {"skill": "account_lookup"}, "parts": [{"text": "balance of ACC-1"}]}}});
    let send = |country: &'static str, approval: Option<String>| {
        let (gw, key, msg) = (&gw, &key, &msg);
        async move {
            let mut rb = gw
                .client()
                .post(format!("{}/a2a/ops", gw.proxy_url()))
                .bearer_auth(key)
                .header("A2A-Version", "1.0")
                .header("x-country", country)
                .json(msg);
            if let Some(a) = approval {
                rb = rb.header("x-parapet-approval", a);
            }
            let resp = rb.send().await.unwrap();
            (resp.status().as_u16(), resp.json::<Value>().await.unwrap())
        }
    };
    let (s, b) = send("CN", None).await;
    assert_eq!((s, b["error"]["code"].as_i64()), (200, Some(-32040)), "{b}");
    assert_eq!(b["error"]["data"]["reason"], "policy_denied");
    let (s, b) = send("US", None).await;
    assert_eq!(
        (s, b["error"]["data"]["reason"].as_str()),
        (200, Some("approval_required")),
        "{b}"
    );
    let id = b["error"]["data"]["approval_id"]
        .as_str()
        .unwrap()
        .to_owned();
    // olga is in group treasury through her JWT.
    let olga_jwt = jwt("olga", &["pwd"]);
    let (s, b) = as_person(
        &gw,
        &approver,
        &format!("/api/v1/approvals/{id}/approve"),
        &json!({}),
    )
    .await;
    assert_eq!(s, 403, "a key carries no groups: {b}");
    let (s, b) = as_person(
        &gw,
        &olga_jwt,
        &format!("/api/v1/approvals/{id}/approve"),
        &json!({}),
    )
    .await;
    assert_eq!((s, b["status"].as_str()), (200, Some("approved")), "{b}");
    let (s, b) = send("US", Some(id.clone())).await;
    assert_eq!(s, 200);
    assert!(b.get("result").is_some(), "the agent answered: {b}");
    let (_, b) = send("US", Some(id)).await;
    assert_eq!(b["error"]["data"]["reason"], "approval_invalid", "{b}");
    let records = gw.audit_records().await;
    assert!(records
        .iter()
        .any(|r| r["kind"] == "a2a.dispatch" && r["policy"]["policy_id"] == "a2a-geo"));
}
