//! `parapet policy lint` and `parapet policy test` over the shipped packs (this is how CI runs
//! the packs' cases through the binary), and their failure exits.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests"
)]

use parapet_tests::harness::{run_parapet, workspace_root};

fn run(args: &[&str]) -> (bool, String) {
    let out = run_parapet(&workspace_root(), args, &[]);
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

#[test]
fn every_pack_lints_clean_and_passes_its_cases() {
    for pack in ["finance", "healthcare", "secops"] {
        let dir = format!("policies/packs/{pack}");
        let (ok, text) = run(&["policy", "lint", &format!("{dir}/policies.json")]);
        assert!(ok, "lint {pack}:\n{text}");
        assert!(text.contains("0 errors"), "{text}");

        let (ok, text) = run(&[
            "policy",
            "test",
            "--cases",
            &format!("{dir}/cases.json"),
            "--policies",
            &format!("{dir}/policies.json"),
            "--roles",
            &format!("{dir}/roles.json"),
        ]);
        assert!(ok, "test {pack}:\n{text}");
        assert!(text.starts_with("RESULT"), "a table: {text}");
        assert!(text.contains(" 0 failed"), "{text}");
        println!("{pack}: {}", text.lines().last().unwrap_or(""));
    }
}

#[test]
fn a_failing_case_or_a_bad_policy_exits_1_and_says_why() {
    let dir = tempfile::tempdir().unwrap();
    let policies = dir.path().join("policies.json");
    std::fs::write(
        &policies,
        r#"[{"id": "geo", "display_name": "geo", "effect": "deny", "priority": 1, "actions": ["crm.*"],
             "condition": {"op": "not_in", "args": ["ctx.context.ip_country", ["US"]]}}]"#,
    )
    .unwrap();
    let cases = dir.path().join("cases.json");
    std::fs::write(
        &cases,
        r#"[{"name": "CRM from France is allowed (wrong on purpose)",
             "request": {"subject_type": "user", "subject_id": "u", "action": "crm.read",
                         "resource": {"type": "crm", "id": "c"}, "context": {"ip_country": "FR"}},
             "expect": {"effect": "allow"}}]"#,
    )
    .unwrap();
    let (ok, text) = run(&["policy", "test", "--cases", cases.to_str().unwrap()]);
    assert!(!ok, "{text}");
    assert!(text.contains("FAIL"), "{text}");
    assert!(text.contains("effect: expected allow, got deny"), "{text}");

    let bad = dir.path().join("bad.json");
    std::fs::write(
        &bad,
        r#"[{"id": "x", "display_name": "x", "effect": "deny", "priority": 1, "actions": ["crm.*"],
             "condition": {"op": "equals", "args": ["ctx.context.ip_country", "US"]}}]"#,
    )
    .unwrap();
    let (ok, text) = run(&["policy", "lint", bad.to_str().unwrap()]);
    assert!(!ok, "{text}");
    assert!(text.contains("unknown op `equals`"), "{text}");
}
