use serde_json::json;

use super::*;
use crate::policy::parse_policies;

#[test]
fn cases_report_what_did_not_match() {
    let set = PolicySet::compile(
        parse_policies(
            &json!([{"id": "refund-big", "display_name": "big refunds", "effect": "require_approval", "priority": 1,
                "actions": ["payments.refund.issue"], "condition": {"op": "gte", "args": ["ctx.resource.attrs.amount_cents", 100000]}}])
            .to_string(),
        )
        .unwrap(),
    )
    .unwrap();
    let cases = parse_cases(
        &json!([
            {"name": "big refund", "request": {"subject_type": "agent", "subject_id": "a", "action": "payments.refund.issue",
                "resource": {"type": "payment", "id": "p", "attrs": {"amount_cents": 100000}}},
             "expect": {"effect": "require_approval", "policy_id": "refund-big", "reason": "policy_matched"}},
            {"name": "wrong on purpose", "request": {"subject_type": "agent", "subject_id": "a", "action": "payments.refund.issue",
                "resource": {"type": "payment", "id": "p", "attrs": {"amount_cents": 5}}},
             "expect": {"effect": "allow", "policy_id": "refund-big"}}
        ])
        .to_string(),
    )
    .unwrap();
    let results = run_cases(&set, None, &cases);
    assert!(results[0].passed, "{:?}", results[0].failures);
    assert!(!results[1].passed);
    assert_eq!(
        results[1].failures,
        [
            "effect: expected allow, got deny",
            "policy_id: expected `refund-big`, got none"
        ]
    );
}

#[test]
fn case_errors_name_the_case_and_path() {
    let e = parse_cases(
        &json!([{"name": "c1", "request": {"subject_type": "agent", "subject_id": "a", "action": "x.*",
            "resource": {"type": "t", "id": "i"}}, "expect": {"effect": "allow"}}])
        .to_string(),
    )
    .unwrap_err();
    assert_eq!(
        (e.id.as_deref(), e.path.as_str()),
        (Some("c1"), "$[0].request.action")
    );
    let e = parse_cases(r#"[{"name": "c2", "request": {}, "expect": {"effect": "maybe"}}]"#)
        .unwrap_err();
    assert_eq!(e.id.as_deref(), Some("c2"));
}
