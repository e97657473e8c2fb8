use parapet_policies::{parse_cases, parse_policies, run_cases, PolicySet};

use super::table;

#[test]
fn the_table_has_a_row_per_case_and_the_failures_under_a_failing_one() {
    let set = PolicySet::compile(
        parse_policies(
            r#"[{"id": "geo", "display_name": "geo", "effect": "deny", "priority": 1, "actions": ["crm.*"],
                 "condition": {}}]"#,
        )
        .unwrap(),
    )
    .unwrap();
    let cases = parse_cases(
        r#"[{"name": "denied", "request": {"subject_type": "user", "subject_id": "u", "action": "crm.read",
              "resource": {"type": "c", "id": "1"}}, "expect": {"effect": "deny", "policy_id": "geo"}},
            {"name": "wrongly allowed", "request": {"subject_type": "user", "subject_id": "u", "action": "crm.read",
              "resource": {"type": "c", "id": "1"}}, "expect": {"effect": "allow"}}]"#,
    )
    .unwrap();
    let out = table(&run_cases(&set, None, &cases));
    let lines: Vec<&str> = out.lines().collect();
    assert!(lines[0].starts_with("RESULT  CASE"));
    assert!(lines[1].starts_with("ok      denied"));
    assert!(lines[1].ends_with("geo"));
    assert!(lines[2].starts_with("FAIL    wrongly allowed"));
    assert!(lines[3].contains("effect: expected allow, got deny"));
}
