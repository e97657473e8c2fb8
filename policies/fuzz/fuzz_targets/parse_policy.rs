//! Any bytes into the policy parser, compiler and linter: errors are fine, panics are not.
//! Run: `cd policies/fuzz && cargo +nightly fuzz run parse_policy`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use parapet_policies::{evaluate, lint, parse_policies, PolicySet, Request};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(policies) = parse_policies(text) else {
        return;
    };
    let issues = lint(&policies);
    if let Ok(set) = PolicySet::compile(policies) {
        assert!(issues.iter().all(|i| i.severity != parapet_policies::Severity::Error));
        if let Ok(req) = Request::from_json(
            r#"{"subject_type": "agent", "subject_id": "a", "action": "crm.contacts.read",
                "resource": {"type": "t", "id": "i", "attrs": {"amount_cents": 100000}},
                "context": {"ip_country": "US", "mfa_verified": true}}"#,
        ) {
            let _ = evaluate(&set, &req);
        }
    }
});
