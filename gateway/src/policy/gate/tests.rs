use axum::http::HeaderMap;
use serde_json::{json, Map};

use super::*;
use crate::identity::{Caller, CallerKind};

fn caller(kind: CallerKind, mfa: Option<bool>) -> Caller {
    let mut c = Caller::admin();
    c.kind = kind;
    c.id = "ap-bot".into();
    c.principal_id = Some("alice".into());
    c.mfa_verified = mfa;
    c
}

fn call<'a>() -> Call<'a> {
    Call {
        action: "llm.chat.create",
        resource_type: "model",
        resource_id: "gpt-4o",
        attrs: Map::new(),
        body_sha256: "00",
        route: "/v1/chat/completions",
    }
}

#[test]
fn the_country_comes_only_from_the_configured_header() {
    let mut h = HeaderMap::new();
    h.insert("x-country", "gb".parse().unwrap());
    h.insert(APPROVAL_HEADER, " ap-1 ".parse().unwrap());
    let none = CallHeaders::read(&h, &PoliciesConfig::default());
    assert_eq!(none.ip_country, None);
    assert_eq!(none.approval_id.as_deref(), Some("ap-1"));
    let cfg = PoliciesConfig {
        enforce: true,
        ip_country_header: Some("x-country".into()),
        ..PoliciesConfig::default()
    };
    assert_eq!(
        CallHeaders::read(&h, &cfg).ip_country.as_deref(),
        Some("GB")
    );
}

#[test]
fn an_agent_is_checked_on_behalf_of_its_principal_and_a_user_is_not() {
    let headers = CallHeaders::default();
    let agent = request(&caller(CallerKind::Agent, None), &headers, &call()).unwrap();
    assert_eq!(agent.on_behalf_of_user_id.as_deref(), Some("alice"));
    assert_eq!(agent.subject_type, SubjectType::Agent);
    let user = request(&caller(CallerKind::User, None), &headers, &call()).unwrap();
    assert_eq!(user.on_behalf_of_user_id, None);
    assert_eq!(user.action, "llm.chat.create");
    assert_eq!(user.resource.kind, "model");
}

#[test]
fn mfa_is_in_the_context_only_when_the_identity_says_so() {
    let headers = CallHeaders::default();
    let unknown = request(&caller(CallerKind::User, None), &headers, &call()).unwrap();
    assert_eq!(unknown.context.mfa_verified(), None);
    let yes = request(&caller(CallerKind::User, Some(true)), &headers, &call()).unwrap();
    assert_eq!(yes.context.mfa_verified(), Some(true));
    assert_eq!(yes.context.get("labels"), Some(&json!([])));
    assert!(yes.context.time().is_some_and(|t| t.len() == 5));
}
