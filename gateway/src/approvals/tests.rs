use chrono::{Duration, Utc};
use parapet_policies::{Approver, Request};

use super::*;

fn approval(status: Status, expires_in: Duration) -> Approval {
    let now = Utc::now();
    let request = Request::from_json(
        r#"{"subject_type": "agent", "subject_id": "a", "action": "x.y", "resource": {"type": "t", "id": "1"}}"#,
    )
    .unwrap();
    Approval {
        id: "ap".into(),
        status,
        policy_id: "p".into(),
        request,
        request_sha256: None,
        route: None,
        requested_by: Requester {
            kind: "agent".into(),
            id: "a".into(),
            principal_id: None,
        },
        opened_by: None,
        approvers: vec![Approver::Role("approver".into())],
        min_approvals: 1,
        require_justification: false,
        approvals: vec![],
        decided_by: None,
        justification: None,
        created_at: now,
        expires_at: now + expires_in,
        decided_at: None,
        used_at: None,
    }
}

#[test]
fn a_pending_approval_past_its_expiry_reads_as_expired() {
    let now = Utc::now();
    assert_eq!(
        approval(Status::Pending, Duration::seconds(-1)).status_at(now),
        Status::Expired
    );
    assert_eq!(
        approval(Status::Pending, Duration::minutes(5)).status_at(now),
        Status::Pending
    );
}

#[test]
fn a_decided_approval_keeps_its_status_after_expiry() {
    let now = Utc::now();
    for s in [Status::Approved, Status::Denied] {
        assert_eq!(approval(s, Duration::seconds(-1)).status_at(now), s);
    }
}

#[test]
fn status_filters_parse_the_wire_names_only() {
    assert_eq!(Status::parse("pending"), Some(Status::Pending));
    assert_eq!(Status::parse("expired"), Some(Status::Expired));
    assert_eq!(Status::parse("Pending"), None);
    assert_eq!(Status::parse("used"), None);
}

#[test]
fn the_stored_document_round_trips_byte_for_byte() {
    // Compare-and-set compares stored bytes: re-serializing what was read must not change them.
    let a = approval(Status::Pending, Duration::minutes(5));
    let bytes = serde_json::to_vec(&a).unwrap();
    let back: Approval = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(serde_json::to_vec(&back).unwrap(), bytes);
}
