//! Every shipped policy pack loads, lints clean and decides its cases as expected.
#![expect(
    clippy::unwrap_used,
    reason = "test: a pack that does not load should fail the test"
)]

use std::fs;
use std::path::Path;

use parapet_policies::{
    lint, parse_cases, parse_policies, parse_roles, run_cases, PolicySet, Roles,
};

fn run_pack(name: &str) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("packs")
        .join(name);
    let read = |file: &str| fs::read_to_string(dir.join(file)).unwrap();
    let policies = parse_policies(&read("policies.json")).unwrap();
    let issues = lint(&policies);
    assert!(issues.is_empty(), "{name}: lint: {issues:#?}");
    let set = PolicySet::compile(policies).unwrap();
    let roles = Roles::compile(parse_roles(&read("roles.json")).unwrap()).unwrap();
    let cases = parse_cases(&read("cases.json")).unwrap();
    assert!(cases.len() >= 10, "{name}: too few cases");
    let failed: Vec<String> = run_cases(&set, Some(&roles), &cases)
        .into_iter()
        .filter(|r| !r.passed)
        .map(|r| format!("{}: {}", r.name, r.failures.join("; ")))
        .collect();
    assert!(
        failed.is_empty(),
        "{name}: failing cases:\n{}",
        failed.join("\n")
    );
}

#[test]
fn finance_pack_decides_its_cases() {
    run_pack("finance");
}

#[test]
fn healthcare_pack_decides_its_cases() {
    run_pack("healthcare");
}

#[test]
fn secops_pack_decides_its_cases() {
    run_pack("secops");
}
