use proptest::prelude::*;
use serde_json::{json, Value};

use super::*;
use crate::lint::lint;
use crate::set::PolicySet;

fn seed_refund() -> Value {
    json!({"id": "fin-refund-approval", "display_name": "Refunds of 1,000 USD or more need approval",
        "effect": "require_approval", "priority": 100, "actions": ["payments.refund.issue"],
        "condition": {"op": "gte", "args": ["ctx.resource.attrs.amount_cents", 100000]},
        "approval": {"approvers": ["role:payments_supervisor", "group:ops-leads"], "min_approvals": 2, "require_justification": true}})
}

#[test]
fn a_policy_with_approval_settings_reads_and_round_trips() {
    let p: Policy = serde_json::from_value(seed_refund()).unwrap();
    let approval = p.approval.clone().unwrap();
    assert_eq!(
        approval.approvers,
        vec![
            Approver::Role("payments_supervisor".into()),
            Approver::Group("ops-leads".into())
        ]
    );
    assert_eq!(approval.min_approvals, 2);
    assert!(p.enabled);
    assert_eq!(serde_json::to_value(&p).unwrap(), seed_refund());
    p.validate().unwrap();
}

#[test]
fn parse_errors_name_the_policy_and_path() {
    let mut bad = seed_refund();
    bad["efect"] = json!("allow");
    let e = parse_policies(&Value::Array(vec![json!({"id": "ok", "display_name": "x", "effect": "allow", "priority": 1, "actions": ["a"], "condition": {}}), bad]).to_string()).unwrap_err();
    assert_eq!(e.id.as_deref(), Some("fin-refund-approval"));
    assert_eq!(e.path, "$[1].efect");
    assert!(e.to_string().contains("unknown field `efect`"), "{e}");

    let mut bad = seed_refund();
    bad["effect"] = json!("permit");
    let e = parse_policies(&Value::Array(vec![bad]).to_string()).unwrap_err();
    assert_eq!(e.path, "$[0].effect");

    let mut bad = seed_refund();
    bad["approval"]["approvers"] = json!(["supervisors"]);
    let e = parse_policies(&Value::Array(vec![bad]).to_string()).unwrap_err();
    assert!(e.path.starts_with("$[0].approval.approvers"), "{}", e.path);
    assert!(e.to_string().contains("role:<name>"), "{e}");

    let e = parse_policies("{}").unwrap_err();
    assert!(e.to_string().contains("array"), "{e}");
}

#[test]
fn compile_errors_name_the_policy_and_path() {
    let cases = [
        (json!({"actions": []}), "$[0].actions", "never apply"),
        (
            json!({"actions": ["crm..read"]}),
            "$[0].actions[0]",
            "empty segment",
        ),
        (json!({"roles": []}), "$[0].roles", "applies to no one"),
        (
            json!({"effect": "allow"}),
            "$[0].approval",
            "only apply to `require_approval`",
        ),
        (
            json!({"approval": {"approvers": ["role:x"], "min_approvals": 3}}),
            "$[0].approval.min_approvals",
            "1 or 2",
        ),
        (
            json!({"condition": {"op": "gte", "args": ["ctx.resource.amount", 1]}}),
            "$[0].condition.args[0]",
            "bad path",
        ),
    ];
    for (patch, path, msg) in cases {
        let mut v = seed_refund();
        for (k, val) in patch.as_object().unwrap() {
            v[k] = val.clone();
        }
        let p: Policy = serde_json::from_value(v).unwrap();
        let e = PolicySet::compile(vec![p]).unwrap_err();
        assert_eq!(e.path, path);
        assert_eq!(e.id.as_deref(), Some("fin-refund-approval"));
        assert!(e.to_string().contains(msg), "{e}");
    }
}

/// Arbitrary JSON, biased towards policy-shaped objects so the deeper checks get exercised.
fn json_value() -> impl Strategy<Value = Value> {
    let keys = prop::sample::select(
        &[
            "id",
            "display_name",
            "effect",
            "priority",
            "actions",
            "condition",
            "op",
            "args",
            "roles",
            "subjects",
            "enabled",
            "approval",
            "approvers",
            "min_approvals",
            "x",
        ][..],
    );
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
        prop::sample::select(
            &[
                "allow",
                "deny",
                "require_approval",
                "eq",
                "in",
                "not",
                "and",
                "matches",
                "exists",
                "*",
                "a.*",
                "ctx.resource.attrs.x",
                "ctx.subject.roles",
                "ctx.context",
                "ctx.",
                "(",
                "[a-",
                "role:x",
                "a..b",
                ""
            ][..]
        )
        .prop_map(Value::from),
        ".{0,12}".prop_map(Value::from),
    ];
    leaf.prop_recursive(5, 64, 6, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(keys.clone(), inner, 0..8).prop_map(|m| Value::Object(
                m.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
            )),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3000))]

    #[test]
    fn the_parser_never_panics_on_arbitrary_json(v in json_value()) {
        let text = match &v {
            Value::Array(_) => v.to_string(),
            other => Value::Array(vec![other.clone()]).to_string(),
        };
        if let Ok(policies) = parse_policies(&text) {
            let issues = lint(&policies);
            let compiled = PolicySet::compile(policies);
            // `lint` reports an error exactly when `compile` fails.
            prop_assert_eq!(compiled.is_err(), issues.iter().any(|i| i.severity == crate::lint::Severity::Error));
        }
    }

    #[test]
    fn the_parser_never_panics_on_arbitrary_text(s in ".{0,200}") {
        let _ = parse_policies(&s);
    }
}

#[test]
fn the_default_set_allows_models_and_agents_only() {
    use crate::evaluate::evaluate;
    use crate::request::Request;
    let set = PolicySet::compile(default_policies()).unwrap();
    let req = |action: &str| {
        Request::from_value(
            json!({"subject_type": "user", "subject_id": "u", "action": action,
            "resource": {"type": "model", "id": "gpt-4o"}}),
        )
        .unwrap()
    };
    assert_eq!(
        evaluate(&set, &req("llm.chat.create")).effect,
        Effect::Allow
    );
    assert_eq!(
        evaluate(&set, &req("a2a.message.send")).effect,
        Effect::Allow
    );
    assert_eq!(
        evaluate(&set, &req("payments.refund.issue")).effect,
        Effect::Deny
    );
}
