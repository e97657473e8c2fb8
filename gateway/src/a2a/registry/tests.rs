use chrono::Utc;
use serde_json::json;

use super::*;

fn input(v: serde_json::Value) -> Result<AgentInput, serde_json::Error> {
    serde_json::from_value(v)
}

fn valid() -> serde_json::Value {
    json!({"id": "payments", "name": "Payments agent", "url": "http://127.0.0.1:9000/", "owner": "treasury",
           "skills": [{"id": "wire_transfer", "required_scopes": ["initiate_payments"], "amount": "$.amount_usd", "account": "$.account_id"}]})
}

#[test]
fn a_valid_profile_keeps_its_skills_and_loses_the_trailing_slash() {
    let p = input(valid())
        .unwrap()
        .into_profile(None, Utc::now(), Utc::now())
        .unwrap();
    assert_eq!(p.url, "http://127.0.0.1:9000");
    let skill = p.skill("wire_transfer").unwrap();
    assert_eq!(skill.required_scopes[0].to_string(), "initiate_payments");
    assert_eq!(skill.amount.as_ref().unwrap().to_string(), "$.amount_usd");
    assert!(p.skill("nope").is_none());
}

#[test]
fn bad_fields_are_named() {
    let cases = [
        (json!({"id": "Pay Ments"}), "id"),
        (json!({"id": ""}), "id"),
        (json!({"url": "ftp://x"}), "url"),
        (json!({"url": "not a url"}), "url"),
        (json!({"name": " "}), "name"),
        (json!({"owner": ""}), "owner"),
        (
            json!({"skills": [{"id": "a"}, {"id": "a"}]}),
            "skills[1].id",
        ),
    ];
    for (patch, field) in cases {
        let mut v = valid();
        for (k, val) in patch.as_object().unwrap() {
            v[k] = val.clone();
        }
        let err = input(v)
            .unwrap()
            .into_profile(None, Utc::now(), Utc::now())
            .unwrap_err();
        assert_eq!(err.field, field, "{patch}");
    }
}

#[test]
fn unknown_scopes_paths_and_fields_do_not_parse() {
    for bad in [
        json!([{"id": "a", "required_scopes": ["wire_everything"]}]),
        json!([{"id": "a", "amount": "amount_usd"}]),
        json!([{"id": "a", "colour": "red"}]),
    ] {
        let mut v = valid();
        v["skills"] = bad.clone();
        assert!(input(v).is_err(), "{bad}");
    }
}

#[test]
fn a_replacement_cannot_rename_the_agent() {
    let err = input(valid())
        .unwrap()
        .into_profile(Some("other"), Utc::now(), Utc::now())
        .unwrap_err();
    assert_eq!(err.field, "id");
    let mut v = valid();
    v.as_object_mut().unwrap().remove("id");
    let p = input(v)
        .unwrap()
        .into_profile(Some("payments"), Utc::now(), Utc::now())
        .unwrap();
    assert_eq!(p.id, "payments");
}
