use serde_json::json;

use super::*;

#[test]
fn the_seed_request_reads() {
    let req = Request::from_json(
        r#"{"subject_type": "agent", "subject_id": "wealth-agent", "on_behalf_of_user_id": "advisor-1",
            "action": "portfolio.write",
            "resource": {"type": "portfolio", "id": "port_cust_8812", "attrs": {"amount_cents": 500000}},
            "context": {"time": "10:30", "ip_country": "US", "mfa_verified": true}}"#,
    )
    .unwrap();
    assert_eq!(req.subject_type, SubjectType::Agent);
    assert_eq!(req.on_behalf_of_user_id.as_deref(), Some("advisor-1"));
    assert_eq!(req.context.ip_country(), Some("US"));
    assert_eq!(req.context.mfa_verified(), Some(true));
    assert_eq!(req.context.time(), Some("10:30"));
}

fn error_of(v: serde_json::Value) -> String {
    Request::from_value(v).unwrap_err().to_string()
}

#[test]
fn bad_requests_name_the_field() {
    let base = || json!({"subject_type": "agent", "subject_id": "a", "action": "x.y", "resource": {"type": "t", "id": "i"}});
    let mut v = base();
    v["context"] = json!({"mfa_verified": "yes"});
    let e = error_of(v);
    assert!(
        e.contains("$.context") && e.contains("mfa_verified must be true or false"),
        "{e}"
    );

    let mut v = base();
    v["subject"] = json!("x");
    let e = error_of(v);
    assert!(e.contains("unknown field `subject`"), "{e}");

    let mut v = base();
    v["resource"] = json!({"id": "i"});
    let e = error_of(v);
    assert!(
        e.contains("$.resource") && e.contains("missing field `type`"),
        "{e}"
    );

    let mut v = base();
    v["subject_type"] = json!("robot");
    let e = error_of(v);
    assert!(
        e.contains("$.subject_type") && e.contains("unknown variant `robot`"),
        "{e}"
    );

    let mut v = base();
    v["action"] = json!("crm.*");
    let e = error_of(v);
    assert!(e.contains("$.action") && e.contains("concrete"), "{e}");

    let e = Request::from_json("{").unwrap_err().to_string();
    assert!(e.contains("invalid JSON"), "{e}");
}

#[test]
fn context_insert_checks_known_keys() {
    let mut c = Context::new();
    assert!(c.insert("mfa_verified", json!(true)).is_ok());
    assert!(c.insert("ip_country", json!(1)).is_err());
    assert!(c.insert("labels", json!(["pii"])).is_ok());
    assert_eq!(c.get("labels"), Some(&json!(["pii"])));
}
