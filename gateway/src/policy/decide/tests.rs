use parapet_policies::{evaluate, parse_policies, PolicySet, Request};
use serde_json::json;

use super::*;

fn req() -> Request {
    Request::from_json(
        r#"{"subject_type": "agent", "subject_id": "bot", "action": "payments.refund.issue",
            "resource": {"type": "refund", "id": "r-1", "attrs": {"amount_cents": 200000}}}"#,
    )
    .unwrap()
}

#[test]
fn the_answer_names_the_policy_the_reason_codes_and_the_approval() {
    let set = PolicySet::compile(
        parse_policies(
            r#"[{"id": "big", "display_name": "Big refunds", "effect": "require_approval", "priority": 1,
                 "actions": ["payments.refund.issue"], "condition": {}}]"#,
        )
        .unwrap(),
    )
    .unwrap();
    let d = evaluate(&set, &req());
    let v = decision_json(&d, &req(), Some("ap-1"));
    assert_eq!(v["effect"], "require_approval");
    assert_eq!(v["policy_id"], "big");
    assert_eq!(v["reason_codes"], json!(["policy_matched"]));
    assert_eq!(v["approval_id"], "ap-1");
    assert_eq!(v["subject"]["id"], "bot");
    assert_eq!(v["resource"], json!({"type": "refund", "id": "r-1"}));
    assert!(v.get("grant_id").is_none());
}

#[test]
fn a_bad_request_in_a_batch_names_its_index_and_field() {
    let bad = json!({"subject_type": "agent", "subject_id": "b", "action": "a.*", "resource": {"type": "t", "id": "1"}});
    match parse_request(bad, "requests[3]") {
        Err(ApiError::InvalidValue { field, .. }) => assert_eq!(field, "requests[3].action"),
        other => panic!("{other:?}"),
    }
    let roles = json!({"subject_type": "agent", "subject_id": "b", "action": "a.b",
                       "resource": {"type": "t", "id": "1"}, "subject_roles": ["admin"]});
    assert!(
        parse_request(roles, "").is_err(),
        "roles never come from the body"
    );
}
