#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests"
)]

use chrono::{DateTime, TimeZone, Utc};
use serde_json::{json, Value};

use super::request::{parse, ReportType};
use super::service::{gather, Sources};
use super::summary::{score, Component};
use super::*;
use crate::audit::record::{RequestInfo, ResponseInfo, UsageInfo};
use crate::audit::testlog::{append, at, embedded};
use crate::store::counters::InventoryAdd;
use crate::store::{Docs, Records};

fn utc(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

#[test]
fn requests_are_checked_field_by_field() {
    let ok = parse(
        &json!({"report_type": "COMPREHENSIVE", "period_start": "2026-01-01",
                           "period_end": "2026-03-31"}),
    )
    .unwrap();
    assert_eq!(ok.report_type, ReportType::Comprehensive);
    assert_eq!(
        ok.period.start,
        Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap()
    );
    assert_eq!(
        ok.period.end,
        Utc.with_ymd_and_hms(2026, 4, 1, 0, 0, 0).unwrap(),
        "a day as the end includes that day"
    );
    let rfc = parse(
        &json!({"report_type": "sr11-7", "period_start": "2026-01-01T10:00:00+02:00",
                            "period_end": "2026-01-01T12:00:00Z"}),
    )
    .unwrap();
    assert_eq!(rfc.report_type, ReportType::Sr117);
    assert_eq!(rfc.period.start, utc("2026-01-01T08:00:00Z"));

    let cases = [
        (
            json!({"report_type": "SOX", "period_start": "2026-01-01", "period_end": "2026-01-02"}),
            "report_type",
        ),
        (
            json!({"period_start": "2026-01-01", "period_end": "2026-01-02"}),
            "report_type",
        ),
        (
            json!({"report_type": "FINRA", "period_start": "01/02/2026", "period_end": "2026-01-02"}),
            "period_start",
        ),
        (
            json!({"report_type": "FINRA", "period_start": "2026-01-01", "period_end": 20260102}),
            "period_end",
        ),
        (
            json!({"report_type": "FINRA", "period_start": "2026-02-01", "period_end": "2026-01-02"}),
            "period_end",
        ),
        (
            json!({"report_type": "FINRA", "period_start": "2026-01-01T00:00:00Z", "period_end": "2026-01-01T00:00:00Z"}),
            "period_end",
        ),
        (
            json!({"report_type": "FINRA", "period_start": "2026-01-01", "period_end": "2026-01-02", "format": "pdf"}),
            "format",
        ),
    ];
    for (body, field) in cases {
        let e = parse(&body).unwrap_err();
        let named = match &e {
            ApiError::InvalidValue { field, .. } | ApiError::InvalidType { field, .. } => {
                field.clone()
            }
            ApiError::MissingField(f) => f.to_string(),
            other => panic!("{body}: {other:?}"),
        };
        assert_eq!(named, field, "{body}: {e}");
    }
}

use crate::error::ApiError;

fn comp(weight: u32, part: u64, whole: u64) -> Component {
    Component {
        name: "c",
        weight,
        part,
        whole,
        basis: "",
    }
}

#[test]
fn the_score_is_the_weighted_mean_of_the_components_that_apply() {
    assert_eq!(score(&[comp(20, 1, 2), comp(20, 1, 1)]), Some(75.0));
    assert_eq!(
        score(&[comp(20, 1, 1), comp(10, 0, 0), comp(10, 0, 4)]),
        Some(66.7),
        "a component without data is left out, not counted as 0 or 1"
    );
    assert_eq!(score(&[comp(20, 0, 0)]), None);
}

fn call(
    ts: &str,
    provider: &str,
    model: &str,
    status: u16,
    cost: f64,
) -> crate::audit::record::Record {
    let mut r = at("llm.call", ts);
    r.caller.key_id = Some(format!("key-{}", model.len() % 2));
    r.request = Some(RequestInfo {
        route: "/v1/chat/completions".into(),
        model_requested: Some(model.into()),
        provider: Some(provider.into()),
        model_served: Some(model.into()),
        ..RequestInfo::default()
    });
    r.response = Some(ResponseInfo {
        status,
        error: (status >= 400).then(|| "information_barrier".to_string()),
        ..ResponseInfo::default()
    });
    r.usage = Some(UsageInfo {
        prompt_tokens: 1000,
        completion_tokens: 200,
        ..UsageInfo::default()
    });
    r.cost_usd = Some(cost);
    r
}

fn doc<T: serde::de::DeserializeOwned>(v: Value) -> T {
    serde_json::from_value(v).unwrap()
}

/// A fixed data set: February 2026, examined on 5 March 2026.
async fn seeded() -> (std::sync::Arc<dyn crate::store::Store>, tempfile::TempDir) {
    let (store, dir) = embedded();
    let s = store.as_ref();
    append(
        s,
        vec![
            call("2026-01-31T23:59:00.000000Z", "openai", "gpt-4o", 200, 1.0),
            call(
                "2026-02-02T09:00:00.000000Z",
                "openai",
                "gpt-4o",
                200,
                0.0045,
            ),
            call(
                "2026-02-02T09:05:00.000000Z",
                "openai",
                "gpt-4o-mini",
                200,
                0.00027,
            ),
            call(
                "2026-02-03T10:00:00.000000Z",
                "openai",
                "gpt-4o-mini",
                403,
                0.0,
            ),
            at("barrier.violation", "2026-02-03T10:00:00.000001Z"),
            at("approval.created", "2026-02-04T08:00:00.000000Z"),
            at("admin.key.create", "2026-02-05T08:00:00.000000Z"),
            call(
                "2026-02-10T12:00:00.000000Z",
                "anthropic",
                "claude-3-5-haiku",
                200,
                0.0016,
            ),
            call("2026-03-01T00:00:00.000000Z", "openai", "gpt-4o", 200, 2.0),
        ],
    )
    .await;
    for (id, provider, model, tier, status, due, fw) in [
        (
            "openai.gpt-4o",
            "openai",
            "gpt-4o",
            "Tier1",
            "Validated",
            Some("2026-03-20"),
            vec!["SR117"],
        ),
        (
            "openai.gpt-4o-mini",
            "openai",
            "gpt-4o-mini",
            "Tier2",
            "InProgress",
            Some("2026-02-28"),
            vec!["EuAiAct"],
        ),
        (
            "anthropic.claude-3-5-haiku",
            "anthropic",
            "claude-3-5-haiku",
            "Tier3",
            "NotStarted",
            None,
            vec![],
        ),
        (
            "mock.upstream-model",
            "mock",
            "upstream-model",
            "Unclassified",
            "NotStarted",
            None,
            vec![],
        ),
    ] {
        let c: crate::examination::inventory::Classification = doc(json!({
            "id": id, "provider": provider, "model": model, "risk_tier": tier,
            "data_sensitivity": null, "applicable_frameworks": fw, "validation_status": status,
            "validation_due": due, "owner": "mrm@bank.example", "notes": null}));
        s.create_doc(&c).await.unwrap();
        let add = InventoryAdd {
            tokens: 1200,
            cost_nano: 4_500_000,
            ts: "2026-02-02T09:00:00.000000Z".into(),
        };
        s.inventory_add(id, &add).await.unwrap();
    }
    let barrier: crate::barriers::model::Barrier = doc(json!({
        "id": "b-1", "name": "Research / Trading", "side_a_groups": ["Research"],
        "side_b_groups": ["Trading"], "restricted_content_labels": ["mnpi"], "action": "Block",
        "severity": "high", "created_at": "2026-01-01T00:00:00Z", "updated_at": "2026-01-01T00:00:00Z"}));
    s.create_doc(&barrier).await.unwrap();
    for (id, at, reviewed) in [
        ("v-1", "2026-02-03T10:00:00Z", true),
        ("v-2", "2026-02-12T10:00:00Z", false),
        ("v-3", "2026-01-20T10:00:00Z", true),
    ] {
        let v: crate::barriers::supervision::Violation = doc(json!({
            "id": id, "at": at, "barrier_id": "b-1", "barrier_name": "Research / Trading",
            "user": "bob", "groups": ["Trading"], "labels": ["mnpi"], "action": "Block",
            "severity": "high", "direction": "prompt", "excerpt": "…", "route": "/v1/chat/completions",
            "request_id": null, "reviewed": reviewed,
            "reviewed_by": reviewed.then_some("carol"),
            "reviewed_at": reviewed.then_some("2026-02-04T09:00:00Z"),
            "review_note": null, "audit_seq": 5}));
        s.create_doc(&v).await.unwrap();
    }
    for (id, status, created, decided) in [
        (
            "a-1",
            "approved",
            "2026-02-04T08:00:00Z",
            Some("2026-02-04T08:30:00Z"),
        ),
        (
            "a-2",
            "denied",
            "2026-02-06T08:00:00Z",
            Some("2026-02-06T09:00:00Z"),
        ),
        ("a-3", "pending", "2026-02-07T08:00:00Z", None),
    ] {
        let a: crate::approvals::Approval = doc(json!({
            "id": id, "status": status, "policy_id": "fin-refund-approval",
            "request": {"subject_type": "agent", "subject_id": "refund-bot", "action": "payments.refund.issue",
                        "resource": {"type": "refund", "id": "r-1", "attrs": {}}},
            "requested_by": {"kind": "agent", "id": "refund-bot"}, "approvers": ["role:approver"],
            "min_approvals": 1, "require_justification": false, "created_at": created,
            "expires_at": "2026-02-07T09:00:00Z", "decided_at": decided,
            "decided_by": decided.map(|_| "ann")}));
        s.create_doc(&a).await.unwrap();
    }
    let g: crate::approvals::grants::GrantRecord = doc(json!({
        "id": "g-1", "subject": "triage-bot", "actions": ["ehr.read"], "justification": "code blue",
        "ticket_url": "https://tickets.example/INC-7", "granted_by": "admin",
        "created_at": "2026-02-08T03:00:00Z", "expires_at": "2026-02-08T05:00:00Z"}));
    s.create_doc(&g).await.unwrap();
    for (id, created, expires, revoke) in [
        ("k-1", "2026-01-01T00:00:00Z", None, None),
        (
            "k-2",
            "2026-01-01T00:00:00Z",
            Some("2026-02-15T00:00:00Z"),
            None,
        ),
        (
            "k-3",
            "2026-02-05T08:00:00Z",
            Some("2027-01-01T00:00:00Z"),
            Some("2026-02-20T00:00:00Z"),
        ),
        ("k-4", "2026-03-02T00:00:00Z", None, None),
    ] {
        let k = crate::store::KeyRecord {
            id: id.into(),
            key_sha256: format!("sha-{id}"),
            prefix: "pk-".into(),
            owner: "alice".into(),
            team: None,
            tags: vec![],
            models: vec![],
            created_at: utc(created),
            expires_at: expires.map(utc),
            revoked_at: None,
        };
        s.insert_record(&k).await.unwrap();
        if let Some(r) = revoke {
            s.revoke_record::<crate::store::KeyRecord>(id, utc(r))
                .await
                .unwrap();
        }
    }
    for (id, revoked) in [("c-1", None), ("c-2", Some("2026-02-11T00:00:00Z"))] {
        let c: crate::aida::credential::Credential = doc(json!({
            "id": id, "cred_sha256": format!("sha-{id}"), "principal_id": "alice", "agent_id": "bot",
            "authorized_scopes": ["read_only"], "max_transaction_usd": null, "allowed_account_ids": [],
            "issued_at": "2026-01-15T00:00:00Z", "expires_at": "2026-06-01T00:00:00Z",
            "revoked_at": null, "fingerprint": "f"}));
        s.insert_record(&c).await.unwrap();
        if let Some(r) = revoked {
            s.revoke_record::<crate::aida::credential::Credential>(id, utc(r))
                .await
                .unwrap();
        }
    }
    (store, dir)
}

async fn report(store: &dyn crate::store::Store, report_type: &str) -> Value {
    let req = parse(
        &json!({"report_type": report_type, "period_start": "2026-02-01",
                            "period_end": "2026-02-28"}),
    )
    .unwrap();
    let src = Sources {
        store,
        verifier: None,
        aida_enabled: true,
        policies_enforced: true,
        supervision_retention_days: 90,
    };
    let inputs = gather(&src, &req, |_, _| {}).await.unwrap();
    build(&req, &inputs, "report-id", utc("2026-03-05T12:00:00Z"))
}

#[tokio::test]
async fn the_comprehensive_report_of_a_fixed_data_set() {
    let (store, _dir) = seeded().await;
    let r = report(store.as_ref(), "COMPREHENSIVE").await;
    insta::assert_json_snapshot!(r, {
        ".sections.ffiec.audit_completeness.chain_verification.head_hash" => "[hash]",
    });
}

#[tokio::test]
async fn each_framework_report_has_only_its_section_and_no_summary() {
    let (store, _dir) = seeded().await;
    for (t, key) in [
        ("SR11-7", "sr11_7"),
        ("FINRA", "finra"),
        ("FFIEC", "ffiec"),
        ("EU_AI_ACT", "eu_ai_act"),
    ] {
        let r = report(store.as_ref(), t).await;
        let sections: Vec<&String> = r["sections"].as_object().unwrap().keys().collect();
        assert_eq!(sections, vec![key], "{t}");
        assert!(r.get("executive_summary").is_none(), "{t}");
        assert!(
            r["sections"][key]["sources"]
                .as_array()
                .is_some_and(|s| !s.is_empty()),
            "{t}"
        );
    }
    // Without verification the audit figures still come from the period's records.
    let finra = report(store.as_ref(), "FINRA").await;
    assert_eq!(finra["audit_records_in_period"], 7);
}
