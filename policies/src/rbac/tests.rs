use chrono::{DateTime, TimeDelta, Utc};

use super::*;

fn role(name: &str, actions: &[&str]) -> Role {
    Role {
        name: name.into(),
        description: None,
        actions: actions.iter().map(|a| (*a).to_owned()).collect(),
    }
}

#[test]
fn grants_are_the_union_of_held_roles() {
    let roles = Roles::compile(vec![
        role("reader", &["crm.*.read"]),
        role("refunder", &["payments.refund.issue"]),
    ])
    .unwrap();
    let both = vec![
        "reader".to_owned(),
        "refunder".to_owned(),
        "unknown".to_owned(),
    ];
    assert!(roles.allows(&both, "crm.contacts.read"));
    assert!(roles.allows(&both, "payments.refund.issue"));
    assert!(!roles.allows(&both, "payments.wire.send"));
    assert!(!roles.allows(&["reader".to_owned()], "payments.refund.issue"));
    assert!(!roles.allows(&[], "crm.contacts.read"));
}

#[test]
fn bad_roles_are_rejected_with_their_path() {
    let e = Roles::compile(vec![role("a", &["x"]), role("a", &["y"])]).unwrap_err();
    assert_eq!((e.id.as_deref(), e.path.as_str()), (Some("a"), "$[1].name"));
    let e = Roles::compile(vec![role("a", &["x."])]).unwrap_err();
    assert_eq!(e.path, "$[0].actions[0]");
    let e = parse_roles(r#"[{"name": "a", "actions": [], "grants": []}]"#).unwrap_err();
    assert!(e.to_string().contains("unknown field `grants`"), "{e}");
}

fn now() -> DateTime<Utc> {
    "2025-03-01T12:00:00Z".parse().unwrap()
}

fn grant(expires_in: TimeDelta) -> JitGrant {
    JitGrant {
        id: "g1".into(),
        subject: "agent-1".into(),
        actions: vec!["ehr.*".into()],
        justification: "code blue".into(),
        ticket_url: Some("https://tickets.example/INC-1".into()),
        granted_by: Some("oncall".into()),
        created_at: None,
        expires_at: now() + expires_in,
    }
}

#[test]
fn a_grant_covers_its_subject_and_actions_until_it_expires() {
    let g = grant(TimeDelta::hours(1));
    assert!(g.covers("agent-1", "ehr.read", now()));
    assert!(!g.covers("agent-2", "ehr.read", now()));
    assert!(!g.covers("agent-1", "crm.read", now()));
    assert!(!g.covers("agent-1", "ehr.read", now() + TimeDelta::hours(1)));
    let mut future = g.clone();
    future.created_at = Some(now() + TimeDelta::minutes(5));
    assert!(!future.covers("agent-1", "ehr.read", now()));
}

#[test]
fn new_grants_last_at_most_four_hours_and_need_a_justification() {
    assert!(grant(TimeDelta::hours(4)).validate_new(now()).is_ok());
    let e = grant(TimeDelta::hours(4) + TimeDelta::seconds(1))
        .validate_new(now())
        .unwrap_err();
    assert!(e.to_string().contains("at most 4 hours"), "{e}");
    assert!(grant(TimeDelta::zero()).validate_new(now()).is_err());
    let mut g = grant(TimeDelta::hours(1));
    g.justification = " ".into();
    assert_eq!(g.validate_new(now()).unwrap_err().path, "$.justification");
}
