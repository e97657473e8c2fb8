//! Approvals through the real binary: two distinct approvers when a policy says so; the
//! decision API opens an approval bound to the request and uses it once when the check comes
//! back with `approval_id`; only who asked and who may decide see an approval; a policy's
//! `required_context` must be in the request before an approval is opened.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests"
)]

use parapet_tests::harness::{ConfigBuilder, Gateway};
use parapet_tests::policy::{as_person, as_person_with, bind, check, load_pack, request};
use reqwest::Method;
use serde_json::{json, Value};

/// A wire by `wire-bot`: the finance pack wants two approvers for it.
fn wire() -> Value {
    request(
        "wire-bot",
        "payments.wire.send",
        json!({"amount_cents": 10}),
        json!({}),
    )
}

#[tokio::test]
async fn four_eyes_needs_two_different_approvers() {
    let gw = Gateway::start(&ConfigBuilder::new().build(), &[]);
    load_pack(&gw, "finance").await;
    bind(&gw, "wire-bot", &["payments_agent", "payments_supervisor"]).await;
    let d = check(&gw, &wire()).await;
    assert_eq!(d["effect"], "require_approval", "{d}");
    let id = d["approval_id"].as_str().unwrap();
    let (ann, bob) = (
        gw.create_key("ann", &[]).await,
        gw.create_key("bob", &[]).await,
    );
    bind(&gw, "ann", &["payments_supervisor"]).await;
    bind(&gw, "bob", &["payments_supervisor"]).await;
    let path = format!("/api/v1/approvals/{id}/approve");
    let why = json!({"justification": "verified with the client by phone"});
    let (s, b) = as_person(&gw, &ann, &path, &why).await;
    assert_eq!(
        (s, b["status"].as_str()),
        (200, Some("pending")),
        "one of two: {b}"
    );
    let (s, _) = as_person(&gw, &ann, &path, &why).await;
    assert_eq!(s, 409, "the same person twice does not count");
    let (s, b) = as_person(&gw, &bob, &path, &why).await;
    assert_eq!((s, b["status"].as_str()), (200, Some("approved")), "{b}");
    assert_eq!(b["approvals"].as_array().unwrap().len(), 2);
    let (s, _) = as_person(&gw, &bob, &format!("/api/v1/approvals/{id}/deny"), &why).await;
    assert_eq!(s, 409, "decided approvals stay decided");

    // A denial needs a justification.
    let d = check(&gw, &wire()).await;
    let deny = format!(
        "/api/v1/approvals/{}/deny",
        d["approval_id"].as_str().unwrap()
    );
    let (s, _) = as_person(&gw, &ann, &deny, &json!({})).await;
    assert_eq!(s, 400);
    let (s, b) = as_person(&gw, &ann, &deny, &json!({"justification": "no ticket"})).await;
    assert_eq!((s, b["status"].as_str()), (200, Some("denied")), "{b}");
    let (_, list) = gw
        .admin(Method::GET, "/api/v1/approvals?status=denied", None)
        .await;
    assert_eq!(list["data"].as_array().unwrap().len(), 1);
}

fn refund(amount_cents: u64) -> Value {
    request(
        "refund-bot",
        "payments.refund.issue",
        json!({"amount_cents": amount_cents}),
        json!({"time": "10:00"}),
    )
}

fn with_approval(mut req: Value, id: &str) -> Value {
    req["approval_id"] = json!(id);
    req
}

#[tokio::test]
async fn the_decision_api_uses_an_approval_once_for_the_same_request() {
    let gw = Gateway::start(&ConfigBuilder::new().build(), &[]);
    load_pack(&gw, "finance").await;
    bind(&gw, "refund-bot", &["payments_agent"]).await;
    bind(&gw, "sue", &["payments_supervisor"]).await;
    let tool = gw.create_key("refund-tool", &[]).await;
    let sue = gw.create_key("sue", &[]).await;
    let path = "/api/v1/decisions/check";

    let (s, d) = as_person(&gw, &tool, path, &refund(150_000)).await;
    assert_eq!(
        (s, d["effect"].as_str()),
        (200, Some("require_approval")),
        "{d}"
    );
    let id = d["approval_id"].as_str().unwrap().to_owned();

    // Pending: the check with the approval still says so.
    let (s, b) = as_person(&gw, &tool, path, &with_approval(refund(150_000), &id)).await;
    assert_eq!(
        (s, b["error"]["code"].as_str()),
        (403, Some("approval_required")),
        "{b}"
    );

    // The opener cannot approve it; the supervisor can.
    let approve = format!("/api/v1/approvals/{id}/approve");
    let why = json!({"justification": "customer called, refund verified"});
    let (s, b) = as_person(&gw, &tool, &approve, &why).await;
    assert_eq!(
        (s, b["error"]["code"].as_str()),
        (403, Some("approver_is_requester")),
        "{b}"
    );
    let (s, b) = as_person(&gw, &sue, &approve, &why).await;
    assert_eq!((s, b["status"].as_str()), (200, Some("approved")), "{b}");

    // Bound to the request: another amount, or another caller, cannot use it.
    let (s, b) = as_person(&gw, &tool, path, &with_approval(refund(990_000), &id)).await;
    assert_eq!(
        (s, b["error"]["code"].as_str()),
        (403, Some("approval_invalid")),
        "{b}"
    );
    assert!(
        b["error"]["message"]
            .as_str()
            .unwrap()
            .contains("different request"),
        "{b}"
    );
    let (s, b) = as_person(&gw, &sue, path, &with_approval(refund(150_000), &id)).await;
    assert_eq!(
        (s, b["error"]["code"].as_str()),
        (403, Some("approval_invalid")),
        "{b}"
    );

    // The same request, a minute later, goes through once.
    let mut later = with_approval(refund(150_000), &id);
    later["context"]["time"] = json!("10:01");
    let (s, b) = as_person(&gw, &tool, path, &later).await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["effect"], "allow", "{b}");
    assert_eq!(b["approval_used"], true);
    assert_eq!(b["policy_id"], "fin-refund-approval");
    let (s, b) = as_person(&gw, &tool, path, &later).await;
    assert_eq!(
        (s, b["error"]["code"].as_str()),
        (403, Some("approval_invalid")),
        "{b}"
    );
    assert!(
        b["error"]["message"]
            .as_str()
            .unwrap()
            .contains("already been used"),
        "{b}"
    );

    // Wrong shapes are named; batches do not take approvals.
    let (s, b) = as_person(&gw, &tool, path, &with_approval(refund(1), "")).await;
    assert_eq!(s, 400, "{b}");
    let mut bad = refund(1);
    bad["approval_id"] = json!(7);
    let (s, b) = as_person(&gw, &tool, path, &bad).await;
    assert_eq!(s, 400, "{b}");
    assert!(
        b["error"]["message"]
            .as_str()
            .unwrap()
            .contains("approval_id"),
        "{b}"
    );
    let batch = json!({"requests": [with_approval(refund(150_000), &id)]});
    let (s, b) = as_person(&gw, &tool, "/api/v1/decisions/batch", &batch).await;
    assert_eq!(s, 400, "{b}");
    assert!(
        b["error"]["message"]
            .as_str()
            .unwrap()
            .contains("requests[0].approval_id"),
        "{b}"
    );

    // Every attempt is on the record: refusals with their reason, the use once.
    let records = gw.audit_records().await;
    let used = records
        .iter()
        .filter(|r| r["kind"] == "approval.used")
        .count();
    assert_eq!(used, 1);
    let refused = records
        .iter()
        .filter(|r| r["kind"] == "decision" && r["policy"]["approval_error"].is_string())
        .count();
    assert_eq!(
        refused, 4,
        "pending, other amount, other caller, used again"
    );
    assert!(records
        .iter()
        .any(|r| r["kind"] == "decision" && r["policy"]["approval_used"] == true));
}

#[tokio::test]
async fn approvals_are_seen_only_by_who_asked_and_who_may_decide() {
    let gw = Gateway::start(&ConfigBuilder::new().build(), &[]);
    load_pack(&gw, "finance").await;
    bind(&gw, "refund-bot", &["payments_agent"]).await;
    bind(&gw, "sue", &["payments_supervisor"]).await;
    let tool = gw.create_key("refund-tool", &[]).await;
    let sue = gw.create_key("sue", &[]).await;
    let eve = gw.create_key("eve", &[]).await;
    let (_, d) = as_person(&gw, &tool, "/api/v1/decisions/check", &refund(150_000)).await;
    let id = d["approval_id"].as_str().unwrap().to_owned();
    let one = format!("/api/v1/approvals/{id}");

    let ids = |list: &Value| -> Vec<String> {
        list["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["id"].as_str().unwrap().to_owned())
            .collect()
    };
    for (who, key) in [("opener", &tool), ("approver", &sue)] {
        let (s, list) = as_person_with(&gw, key, "/api/v1/approvals", None).await;
        assert_eq!((s, ids(&list)), (200, vec![id.clone()]), "{who}: {list}");
        let (s, a) = as_person_with(&gw, key, &one, None).await;
        assert_eq!(
            (s, a["id"].as_str()),
            (200, Some(id.as_str())),
            "{who}: {a}"
        );
    }
    let (s, list) = as_person_with(&gw, &eve, "/api/v1/approvals", None).await;
    assert_eq!((s, ids(&list)), (200, vec![]), "{list}");
    let (s, b) = as_person_with(&gw, &eve, &one, None).await;
    assert_eq!(s, 404, "another person's approval reads as absent: {b}");
    let (s, b) = as_person(&gw, &eve, &format!("{one}/approve"), &json!({})).await;
    assert_eq!(
        (s, b["error"]["code"].as_str()),
        (403, Some("approver_not_allowed")),
        "{b}"
    );
    let (s, list) = gw.admin(Method::GET, "/api/v1/approvals", None).await;
    assert_eq!(
        (s, ids(&list)),
        (200, vec![id.clone()]),
        "the admin token sees all"
    );
}

#[tokio::test]
async fn an_approval_is_opened_only_with_the_context_its_policy_requires() {
    let gw = Gateway::start(
        &ConfigBuilder::new()
            .provider_echo()
            .model("echo", "echo", "echo", &[])
            .raw("[policies]\nenforce = true\n")
            .build(),
        &[],
    );
    load_pack(&gw, "secops").await;
    bind(&gw, "soar-bot", &["soar_agent"]).await;
    let revoke = |context: Value| request("soar-bot", "credentials.revoke", json!({}), context);
    for ctx in [
        json!({}),
        json!({"incident_id": null}),
        json!({"incident_id": " "}),
    ] {
        let d = check(&gw, &revoke(ctx)).await;
        assert_eq!(d["effect"], "require_approval", "{d}");
        assert_eq!(d["missing_context"], json!(["incident_id"]), "{d}");
        assert!(d.get("approval_id").is_none(), "{d}");
    }
    let d = check(&gw, &revoke(json!({"incident_id": "INC-4521"}))).await;
    assert!(d["approval_id"].is_string(), "{d}");
    let records = gw.audit_records().await;
    let opened = records
        .iter()
        .filter(|r| r["kind"] == "approval.created")
        .count();
    assert_eq!(opened, 1);

    // A model call under such a policy is refused with the keys it lacks.
    let rule = json!({"id": "chat-ticket", "display_name": "Chat needs a ticket", "effect": "require_approval",
        "priority": 1, "actions": ["llm.chat.create"], "condition": {},
        "approval": {"approvers": ["role:approver"], "required_context": ["ticket_url"]}});
    let (s, b) = gw
        .admin(Method::POST, "/api/v1/policies", Some(&rule))
        .await;
    assert_eq!(s, 201, "{b}");
    let role = json!({"actions": ["llm.*"]});
    let (s, b) = gw
        .admin(Method::PUT, "/api/v1/roles/llm_user", Some(&role))
        .await;
    assert_eq!(s, 200, "{b}");
    bind(&gw, "app", &["llm_user"]).await;
    let key = gw.create_key("app", &[]).await;
    let resp = gw
        .client()
        .post(format!("{}/v1/chat/completions", gw.proxy_url()))
        .bearer_auth(&key)
        .json(&json!({"model": "echo", "messages": [{"role": "user", "content": "hi"}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 403);
    let b: Value = resp.json().await.unwrap();
    assert_eq!(b["error"]["code"], "approval_context_missing", "{b}");
    assert!(
        b["error"]["message"]
            .as_str()
            .unwrap()
            .contains("ticket_url"),
        "{b}"
    );
}
