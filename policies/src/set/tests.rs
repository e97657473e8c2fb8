use serde_json::json;

use super::*;

fn p(id: &str, priority: i64, actions: &[&str]) -> Policy {
    serde_json::from_value(
        json!({"id": id, "display_name": id, "effect": "allow", "priority": priority,
        "actions": actions, "condition": {}}),
    )
    .unwrap()
}

fn candidates(set: &PolicySet, action: &str) -> Vec<String> {
    let mut out = Vec::new();
    set.candidates(action, |rank| {
        out.push(set.compiled[rank as usize].id.to_string());
        false
    });
    out
}

#[test]
fn candidates_come_from_all_three_indexes_in_order_and_once() {
    let set = PolicySet::compile(vec![
        p("exact", 30, &["crm.contacts.read", "crm.contacts.read"]),
        p("prefix", 10, &["crm.*", "crm.contacts.*"]),
        p("global", 20, &["*.contacts.read"]),
        p("star", 40, &["*"]),
        p("other", 5, &["payments.*"]),
        p("glob-first", 50, &["cr*.contacts.read"]),
    ])
    .unwrap();
    assert_eq!(
        candidates(&set, "crm.contacts.read"),
        ["prefix", "global", "exact", "star", "glob-first"]
    );
    assert_eq!(candidates(&set, "crm"), ["star"]);
    assert_eq!(candidates(&set, "payments.refund.issue"), ["other", "star"]);
}

#[test]
fn duplicate_ids_are_rejected_naming_the_second() {
    let e = PolicySet::compile(vec![p("a", 1, &["x"]), p("a", 2, &["y"])]).unwrap_err();
    assert_eq!((e.id.as_deref(), e.path.as_str()), (Some("a"), "$[1].id"));
}

#[test]
fn disabled_policies_are_kept_but_never_candidates() {
    let mut off = p("off", 1, &["x"]);
    off.enabled = false;
    let set = PolicySet::compile(vec![off, p("on", 2, &["x"])]).unwrap();
    assert_eq!(candidates(&set, "x"), ["on"]);
    assert_eq!(set.policies().len(), 2);
    assert_eq!(set.len(), 1);
    assert!(set.get("off").is_some());
}
