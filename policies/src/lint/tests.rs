use serde_json::{json, Value};

use super::*;

fn p(id: &str, priority: i64, actions: &[&str], condition: Value) -> Policy {
    serde_json::from_value(
        json!({"id": id, "display_name": id, "effect": "deny", "priority": priority,
        "actions": actions, "condition": condition}),
    )
    .unwrap()
}

fn messages(issues: &[LintIssue], id: &str) -> Vec<String> {
    issues
        .iter()
        .filter(|i| i.policy_id == id)
        .map(|i| i.message.clone())
        .collect()
}

#[test]
fn a_rule_covered_by_an_earlier_unconditional_rule_is_unreachable() {
    let issues = lint(&[
        p("all-crm", 10, &["crm.*"], json!({})),
        p(
            "contacts",
            20,
            &["crm.contacts.read", "crm.notes.*"],
            json!({"op": "eq", "args": ["ctx.context.ip_country", "US"]}),
        ),
        p("mixed", 30, &["crm.x", "payments.refund"], json!({})),
        p(
            "conditional-first",
            5,
            &["payments.*"],
            json!({"op": "exists", "args": ["ctx.context.x"]}),
        ),
    ]);
    let contacts = messages(&issues, "contacts");
    assert_eq!(contacts.len(), 1);
    assert!(
        contacts[0].starts_with("unreachable") && contacts[0].contains("`all-crm`"),
        "{contacts:?}"
    );
    let mixed = messages(&issues, "mixed");
    assert_eq!(mixed.len(), 1);
    assert!(mixed[0].contains("`crm.x` is shadowed"), "{mixed:?}");
    assert!(messages(&issues, "all-crm").is_empty());
    assert!(issues.iter().all(|i| i.severity == Severity::Warning));
}

#[test]
fn priority_ties_between_overlapping_rules_are_flagged() {
    let issues = lint(&[
        p(
            "b",
            10,
            &["crm.*.read"],
            json!({"op": "exists", "args": ["ctx.context.x"]}),
        ),
        p(
            "a",
            10,
            &["crm.contacts.*"],
            json!({"op": "exists", "args": ["ctx.context.y"]}),
        ),
        p(
            "c",
            10,
            &["payments.*"],
            json!({"op": "exists", "args": ["ctx.context.y"]}),
        ),
    ]);
    let b = messages(&issues, "b");
    assert_eq!(b.len(), 1, "{issues:?}");
    assert!(b[0].contains("same priority 10 as `a`"), "{b:?}");
    assert!(messages(&issues, "c").is_empty());
}

#[test]
fn load_errors_are_lint_errors_and_all_are_reported() {
    let issues = lint(&[
        p(
            "unknown-op",
            1,
            &["x"],
            json!({"op": "eqq", "args": [1, 1]}),
        ),
        p(
            "bad-path",
            2,
            &["x"],
            json!({"op": "eq", "args": ["ctx.nope", 1]}),
        ),
        p("no-actions", 3, &[], json!({})),
        p("dup", 4, &["y"], json!({})),
        p("dup", 5, &["z"], json!({})),
        p(
            "bad-regex",
            6,
            &["x"],
            json!({"op": "matches", "args": ["ctx.resource.id", "("]}),
        ),
    ]);
    let errors: Vec<(&str, &str)> = issues
        .iter()
        .filter(|i| i.severity == Severity::Error)
        .map(|i| (i.policy_id.as_str(), i.message.as_str()))
        .collect();
    assert_eq!(errors.len(), 5, "{errors:?}");
    assert!(
        errors[0].1.contains("$[0].condition.op: unknown op `eqq`"),
        "{errors:?}"
    );
    assert!(
        errors[1]
            .1
            .contains("$[1].condition.args[0]: bad path `ctx.nope`"),
        "{errors:?}"
    );
    assert!(
        errors[2].1.contains("$[2].actions: actions is empty"),
        "{errors:?}"
    );
    assert!(errors[3].1.contains("$[4].id: duplicate id"), "{errors:?}");
    assert!(errors[4].1.contains("bad regex"), "{errors:?}");
}
