use std::sync::Arc;

use chrono::{Duration, Utc};

use super::*;
use crate::aida::credential::{issue, NewCredential};
use crate::config::AidaConfig;
use crate::secret::Secret;
use crate::store::embedded::EmbeddedStore;

const SECRET: &str = "tools-test-secret-0123456789abcdef0123456789";

fn setup(dir: &tempfile::TempDir) -> (Aida, Credential, ToolRules) {
    let store = Arc::new(EmbeddedStore::open(&dir.path().join("store.redb")).unwrap());
    let aida = Aida::new(store, Secret::new(SECRET));
    let req = NewCredential {
        principal_id: "alice".into(),
        agent_id: "ap-bot".into(),
        authorized_scopes: vec!["initiate_payments".into()],
        max_transaction_usd: Some(10_000.0),
        allowed_account_ids: vec![],
        expires_at: Utc::now() + Duration::days(1),
    };
    let cred = issue(req, Utc::now(), SECRET.as_bytes(), "id-1".into(), "ac-test").unwrap();
    let tool = ToolConfig {
        name: "wire_transfer".into(),
        scope: "initiate_payments".parse().unwrap(),
        amount: Some(crate::aida::jsonpath::parse("$.amount_usd").unwrap()),
        account: None,
    };
    let cfg = AidaConfig {
        enabled: true,
        secret: None,
        unmapped_tools: UnmappedTools::Deny,
        tools: vec![tool],
    };
    (aida, cred, ToolRules::new(&cfg))
}

fn answer(amount: f64) -> Vec<u8> {
    serde_json::json!({"choices": [{"index": 0, "message": {"role": "assistant", "tool_calls": [
        {"id": "c1", "type": "function", "function": {"name": "wire_transfer", "arguments": format!("{{\"amount_usd\": {amount}}}")}}
    ]}, "finish_reason": "tool_calls"}]})
    .to_string()
    .into_bytes()
}

fn reason(r: Result<usize, ApiError>) -> &'static str {
    match r {
        Err(ApiError::ToolCallDenied { reason, .. }) => reason,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[test]
fn tool_calls_in_a_complete_answer_are_checked_against_the_cap() {
    let dir = tempfile::tempdir().unwrap();
    let (aida, cred, rules) = setup(&dir);
    assert_eq!(
        rules.check_answer(&aida, &cred, &answer(9_999.0)).unwrap(),
        1
    );
    assert_eq!(
        reason(rules.check_answer(&aida, &cred, &answer(10_001.0))),
        "amount_over_limit"
    );
}

#[test]
fn an_answer_that_cannot_be_read_is_refused_not_passed() {
    let dir = tempfile::tempdir().unwrap();
    let (aida, cred, rules) = setup(&dir);
    assert_eq!(
        reason(rules.check_answer(&aida, &cred, b"not json")),
        "answer_unreadable"
    );
}

#[test]
fn an_unmapped_tool_is_refused_and_a_missing_amount_too() {
    let dir = tempfile::tempdir().unwrap();
    let (aida, cred, rules) = setup(&dir);
    assert!(matches!(
        rules.check_call(&aida, &cred, "delete_everything", "{}"),
        Err(ApiError::ToolCallDenied {
            reason: "tool_not_mapped",
            ..
        })
    ));
    assert!(matches!(
        rules.check_call(&aida, &cred, "wire_transfer", "{}"),
        Err(ApiError::ToolCallDenied {
            reason: "amount_missing",
            ..
        })
    ));
}

#[test]
fn a_legacy_function_call_is_checked_and_legacy_functions_are_filtered() {
    let dir = tempfile::tempdir().unwrap();
    let (aida, cred, rules) = setup(&dir);
    let legacy = |amount: f64| {
        serde_json::json!({"choices": [{"index": 0, "message": {"role": "assistant", "content": null,
            "function_call": {"name": "wire_transfer", "arguments": format!("{{\"amount_usd\": {amount}}}")}},
            "finish_reason": "function_call"}]})
        .to_string()
        .into_bytes()
    };
    assert_eq!(rules.check_answer(&aida, &cred, &legacy(10.0)).unwrap(), 1);
    let null = serde_json::json!({"choices": [{"index": 0, "message": {"role": "assistant",
        "content": "hi", "function_call": null, "tool_calls": null}, "finish_reason": "stop"}]});
    assert_eq!(
        rules
            .check_answer(&aida, &cred, null.to_string().as_bytes())
            .unwrap(),
        0
    );
    assert_eq!(
        reason(rules.check_answer(&aida, &cred, &legacy(10_001.0))),
        "amount_over_limit"
    );

    let serde_json::Value::Object(mut body) = serde_json::json!({
        "functions": [{"name": "wire_transfer"}, {"name": "delete_everything"}],
        "function_call": {"name": "delete_everything"},
    }) else {
        unreachable!()
    };
    assert_eq!(
        rules.filter_offered(&aida, &cred, &mut body),
        ["delete_everything"]
    );
    assert_eq!(
        serde_json::Value::Object(body),
        serde_json::json!({"functions": [{"name": "wire_transfer"}]})
    );
}
