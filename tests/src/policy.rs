//! Helpers for the policy engine's integration tests: the shipped packs, role bindings,
//! decision checks, and calls on the admin listener as a person (their own key).
#![allow(
    clippy::panic,
    clippy::expect_used,
    reason = "test harness: failing loudly is the point"
)]

use reqwest::Method;
use serde_json::{json, Value};

use crate::harness::{workspace_root, Gateway};

/// A file of a shipped policy pack (`policies/packs/{name}/{file}`).
pub fn pack(name: &str, file: &str) -> Value {
    let path = workspace_root().join(format!("policies/packs/{name}/{file}"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Loads a pack's roles and policies through the admin API.
pub async fn load_pack(gw: &Gateway, name: &str) {
    for role in pack(name, "roles.json").as_array().into_iter().flatten() {
        let path = format!(
            "/api/v1/roles/{}",
            role["name"].as_str().unwrap_or_default()
        );
        let (s, b) = gw.admin(Method::PUT, &path, Some(role)).await;
        assert_eq!(s, 200, "{path}: {b}");
    }
    for p in pack(name, "policies.json").as_array().into_iter().flatten() {
        let (s, b) = gw.admin(Method::POST, "/api/v1/policies", Some(p)).await;
        assert_eq!(s, 201, "{}: {b}", p["id"]);
    }
}

/// Binds `roles` to `subject` in the store.
pub async fn bind(gw: &Gateway, subject: &str, roles: &[&str]) {
    let path = format!("/api/v1/role-bindings/{subject}");
    let (s, b) = gw
        .admin(Method::PUT, &path, Some(&json!({"roles": roles})))
        .await;
    assert_eq!(s, 200, "{path}: {b}");
}

/// One decision check with the admin token; must answer 200.
pub async fn check(gw: &Gateway, req: &Value) -> Value {
    let (s, b) = gw
        .admin(Method::POST, "/api/v1/decisions/check", Some(req))
        .await;
    assert_eq!(s, 200, "{req}: {b}");
    b
}

/// A decision request by agent `subject` on a `thing`.
pub fn request(subject: &str, action: &str, attrs: Value, context: Value) -> Value {
    json!({"subject_type": "agent", "subject_id": subject, "action": action,
           "resource": {"type": "thing", "id": "t-1", "attrs": attrs}, "context": context})
}

/// A request on the admin listener as someone holding `bearer` (a person's key); `body` makes
/// it a POST, otherwise a GET.
pub async fn as_person_with(
    gw: &Gateway,
    bearer: &str,
    path: &str,
    body: Option<&Value>,
) -> (u16, Value) {
    let url = format!("{}{path}", gw.admin_url());
    let rb = match body {
        Some(b) => gw.client().request(Method::POST, url).json(b),
        None => gw.client().request(Method::GET, url),
    };
    let resp = rb.bearer_auth(bearer).send().await.expect("admin listener");
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

/// A POST on the admin listener as someone holding `bearer`.
pub async fn as_person(gw: &Gateway, bearer: &str, path: &str, body: &Value) -> (u16, Value) {
    as_person_with(gw, bearer, path, Some(body)).await
}
