use chrono::{DateTime, TimeDelta, Utc};
use proptest::prelude::*;
use serde_json::{json, Map, Value};

use super::reference::{reference_evaluate, Outcome};
use super::*;
use crate::policy::Policy;
use crate::rbac::Role;
use crate::request::Request;

fn policy(v: Value) -> Policy {
    serde_json::from_value(v).unwrap()
}

fn set(policies: Vec<Value>) -> PolicySet {
    PolicySet::compile(policies.into_iter().map(policy).collect()).unwrap()
}

fn request(action: &str, attrs: Value, context: Value) -> Request {
    Request::from_value(json!({
        "subject_type": "agent", "subject_id": "agent-1", "action": action,
        "resource": {"type": "thing", "id": "t1", "attrs": attrs}, "context": context,
    }))
    .unwrap()
}

fn now() -> DateTime<Utc> {
    "2025-03-01T12:00:00Z".parse().unwrap()
}

fn roles() -> Roles {
    Roles::compile(vec![
        Role {
            name: "wealth_agent".into(),
            description: None,
            actions: vec!["portfolio.*".into(), "admin.override".into()],
        },
        Role {
            name: "advisor".into(),
            description: None,
            actions: vec!["portfolio.*".into()],
        },
    ])
    .unwrap()
}

fn allow_all() -> PolicySet {
    set(vec![
        json!({"id": "all", "display_name": "all", "effect": "allow", "priority": 1000,
        "actions": ["*"], "condition": {}}),
    ])
}

#[test]
fn first_match_in_ascending_priority_decides() {
    let s = set(vec![
        json!({"id": "late", "display_name": "late", "effect": "allow", "priority": 200, "actions": ["crm.*"], "condition": {}}),
        json!({"id": "early", "display_name": "early", "effect": "deny", "priority": 100, "actions": ["crm.contacts.read"], "condition": {}}),
    ]);
    let d = evaluate(&s, &request("crm.contacts.read", json!({}), json!({})));
    assert_eq!(
        (d.effect, d.policy_id.as_deref(), d.evaluated),
        (Effect::Deny, Some("early"), 1)
    );
    let d = evaluate(&s, &request("crm.contacts.write", json!({}), json!({})));
    assert_eq!(
        (d.effect, d.policy_id.as_deref()),
        (Effect::Allow, Some("late"))
    );
}

#[test]
fn priority_ties_are_broken_by_id() {
    let s = set(vec![
        json!({"id": "b", "display_name": "b", "effect": "allow", "priority": 1, "actions": ["x"], "condition": {}}),
        json!({"id": "a", "display_name": "a", "effect": "deny", "priority": 1, "actions": ["x"], "condition": {}}),
    ]);
    assert_eq!(
        evaluate(&s, &request("x", json!({}), json!({})))
            .policy_id
            .as_deref(),
        Some("a")
    );
}

#[test]
fn nothing_matching_is_denied_with_a_reason() {
    let d = evaluate(
        &set(vec![]),
        &request("crm.contacts.read", json!({}), json!({})),
    );
    assert_eq!(d.effect, Effect::Deny);
    assert_eq!(d.reasons, vec![Reason::NoMatch]);
    assert_eq!(d.policy_id, None);
}

#[test]
fn a_condition_that_fails_passes_to_the_next_candidate() {
    let s = set(vec![
        json!({"id": "big", "display_name": "big refunds", "effect": "require_approval", "priority": 100,
            "actions": ["payments.refund.issue"], "condition": {"op": "gte", "args": ["ctx.resource.attrs.amount_cents", 100000]}}),
        json!({"id": "rest", "display_name": "refunds", "effect": "allow", "priority": 200, "actions": ["payments.*"], "condition": {}}),
    ]);
    let small = evaluate(
        &s,
        &request(
            "payments.refund.issue",
            json!({"amount_cents": 500}),
            json!({}),
        ),
    );
    assert_eq!((small.effect, small.evaluated), (Effect::Allow, 2));
    let big = evaluate(
        &s,
        &request(
            "payments.refund.issue",
            json!({"amount_cents": 100000.0}),
            json!({}),
        ),
    );
    assert_eq!(
        (big.effect, big.policy_id.as_deref()),
        (Effect::RequireApproval, Some("big"))
    );
}

#[test]
fn policies_with_a_roles_filter_apply_only_to_holders() {
    let s = set(vec![
        json!({"id": "hr", "display_name": "hr", "effect": "allow", "priority": 1, "actions": ["hr.*"], "condition": {}, "roles": ["hr_admin"]}),
    ]);
    let req = request("hr.salary.read", json!({}), json!({}));
    assert_eq!(evaluate(&s, &req).effect, Effect::Deny);
    let held = vec!["hr_admin".to_owned()];
    let facts = Facts {
        subject_roles: &held,
        ..Facts::default()
    };
    assert_eq!(evaluate_with(&s, &req, &facts).effect, Effect::Allow);
}

#[test]
fn subject_attributes_are_visible_to_conditions() {
    let s = set(vec![
        json!({"id": "risk", "display_name": "risk desk", "effect": "allow", "priority": 1,
        "actions": ["risk.*"], "condition": {"op": "eq", "args": ["ctx.subject.department", "risk"]}}),
    ]);
    let req = request("risk.report.read", json!({}), json!({}));
    let attrs: Map<String, Value> = json!({"department": "risk"}).as_object().cloned().unwrap();
    let facts = Facts {
        subject_attrs: Some(&attrs),
        ..Facts::default()
    };
    assert_eq!(evaluate_with(&s, &req, &facts).effect, Effect::Allow);
    assert_eq!(evaluate(&s, &req).effect, Effect::Deny);
}

fn on_behalf(action: &str) -> Request {
    Request::from_value(json!({
        "subject_type": "agent", "subject_id": "wealth-agent", "on_behalf_of_user_id": "advisor-1",
        "action": action, "resource": {"type": "portfolio", "id": "port_cust_8812", "attrs": {"amount_cents": 500000}},
        "context": {"time": "10:30", "ip_country": "US", "mfa_verified": true},
    }))
    .unwrap()
}

#[test]
fn an_agent_acting_for_a_user_gets_the_intersection_of_their_grants() {
    let (table, s) = (roles(), allow_all());
    let agent = vec!["wealth_agent".to_owned()];
    let advisor = vec!["advisor".to_owned()];
    let facts = Facts {
        subject_roles: &agent,
        rbac: Some(&table),
        user_roles: Some(&advisor),
        ..Facts::default()
    };
    assert_eq!(
        evaluate_with(&s, &on_behalf("portfolio.write"), &facts).effect,
        Effect::Allow
    );
    let d = evaluate_with(&s, &on_behalf("admin.override"), &facts);
    assert_eq!(d.effect, Effect::Deny);
    assert_eq!(d.evaluated, 0, "denied before policies");
    assert_eq!(d.reasons[0].code(), "not_granted_to_user");
}

#[test]
fn an_action_outside_the_subjects_roles_is_denied_before_policies() {
    let (table, s) = (roles(), allow_all());
    let advisor = vec!["advisor".to_owned()];
    let facts = Facts {
        subject_roles: &advisor,
        rbac: Some(&table),
        ..Facts::default()
    };
    let d = evaluate_with(&s, &request("admin.override", json!({}), json!({})), &facts);
    assert_eq!(
        (d.effect, d.reasons[0].code(), d.evaluated),
        (Effect::Deny, "not_granted", 0)
    );
}

#[test]
fn unknown_user_roles_deny_an_agent_acting_for_a_user() {
    let (table, s) = (roles(), allow_all());
    let agent = vec!["wealth_agent".to_owned()];
    let facts = Facts {
        subject_roles: &agent,
        rbac: Some(&table),
        ..Facts::default()
    };
    let d = evaluate_with(&s, &on_behalf("portfolio.write"), &facts);
    assert_eq!(
        (d.effect, d.reasons[0].code()),
        (Effect::Deny, "user_roles_unknown")
    );
}

fn grant(subject: &str, actions: &[&str], expires_in: TimeDelta) -> JitGrant {
    JitGrant {
        id: format!("g-{subject}"),
        subject: subject.into(),
        actions: actions.iter().map(|a| (*a).to_owned()).collect(),
        justification: "incident".into(),
        ticket_url: None,
        granted_by: None,
        created_at: None,
        expires_at: now() + expires_in,
    }
}

fn approval_then_geo_fence() -> PolicySet {
    set(vec![
        json!({"id": "geo", "display_name": "geo fence", "effect": "deny", "priority": 10, "actions": ["ehr.*"],
            "condition": {"op": "not_in", "args": ["ctx.context.ip_country", ["US"]]}}),
        json!({"id": "clinical", "display_name": "clinical data needs approval", "effect": "require_approval",
            "priority": 100, "actions": ["ehr.read"], "condition": {}}),
    ])
}

#[test]
fn an_active_break_glass_grant_allows_what_would_need_approval() {
    let s = approval_then_geo_fence();
    let grants = [grant("agent-1", &["ehr.*"], TimeDelta::hours(1))];
    let facts = Facts {
        grants: &grants,
        now: now(),
        ..Facts::default()
    };
    let d = evaluate_with(
        &s,
        &request("ehr.read", json!({}), json!({"ip_country": "US"})),
        &facts,
    );
    assert_eq!(
        (d.effect, d.grant_id.as_deref(), d.policy_id.as_deref()),
        (Effect::Allow, Some("g-agent-1"), None)
    );
    assert_eq!(d.reasons.last().map(Reason::code), Some("break_glass"));
}

#[test]
fn a_break_glass_grant_never_overrides_an_explicit_deny() {
    let s = approval_then_geo_fence();
    let grants = [grant("agent-1", &["ehr.*"], TimeDelta::hours(1))];
    let facts = Facts {
        grants: &grants,
        now: now(),
        ..Facts::default()
    };
    let d = evaluate_with(
        &s,
        &request("ehr.read", json!({}), json!({"ip_country": "RU"})),
        &facts,
    );
    assert_eq!(
        (d.effect, d.policy_id.as_deref()),
        (Effect::Deny, Some("geo"))
    );
}

#[test]
fn an_expired_grant_does_nothing() {
    let s = approval_then_geo_fence();
    let grants = [grant("agent-1", &["ehr.*"], TimeDelta::seconds(0))];
    let facts = Facts {
        grants: &grants,
        now: now(),
        ..Facts::default()
    };
    let d = evaluate_with(
        &s,
        &request("ehr.read", json!({}), json!({"ip_country": "US"})),
        &facts,
    );
    assert_eq!(d.effect, Effect::RequireApproval);
}

#[test]
fn a_grant_lifts_the_rbac_gate_and_the_default_deny() {
    let table = roles();
    let grants = [grant("agent-1", &["wire.send"], TimeDelta::hours(1))];
    let facts = Facts {
        rbac: Some(&table),
        grants: &grants,
        now: now(),
        ..Facts::default()
    };
    let d = evaluate_with(
        &set(vec![]),
        &request("wire.send", json!({}), json!({})),
        &facts,
    );
    assert_eq!(
        (d.effect, d.grant_id.as_deref()),
        (Effect::Allow, Some("g-agent-1"))
    );
}

#[test]
fn an_agents_grant_does_not_escalate_past_its_user() {
    let table = roles();
    let agent = vec!["wealth_agent".to_owned()];
    let advisor = vec!["advisor".to_owned()];
    let grants = [grant("wealth-agent", &["wire.send"], TimeDelta::hours(1))];
    let facts = Facts {
        subject_roles: &agent,
        rbac: Some(&table),
        user_roles: Some(&advisor),
        grants: &grants,
        now: now(),
        ..Facts::default()
    };
    let d = evaluate_with(&allow_all(), &on_behalf("wire.send"), &facts);
    assert_eq!(
        (d.effect, d.reasons[0].code()),
        (Effect::Deny, "not_granted_to_user")
    );
}

#[test]
fn decisions_serialize_with_reasons_as_messages() {
    let d = evaluate(&allow_all(), &request("x.y", json!({}), json!({})));
    let v = serde_json::to_value(&d).unwrap();
    assert_eq!(
        v,
        json!({"effect": "allow", "policy_id": "all", "reasons": ["policy `all` (all) matched: allow"], "evaluated": 1})
    );
}

// ---- evaluator == reference on random inputs ----

const SEGMENTS: [&str; 3] = ["a", "b", "c"];

fn action() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(&SEGMENTS[..]), 1..=3).prop_map(|s| s.join("."))
}

fn pattern() -> impl Strategy<Value = String> {
    prop_oneof![
        1 => Just("*".to_owned()),
        6 => (
            prop::collection::vec(prop::sample::select(&["a", "b", "c", "*", "a*", "*b"][..]), 1..=3),
            any::<bool>()
        )
            .prop_map(|(segs, tail)| {
                let mut p = segs.join(".");
                if tail {
                    p.push_str(".*");
                }
                p
            }),
    ]
}

const PATHS: [&str; 20] = [
    "ctx.resource.attrs.x",
    "ctx.resource.attrs.s",
    "ctx.resource.attrs.flag",
    "ctx.resource.attrs.n",
    "ctx.resource.attrs.missing",
    "ctx.resource.attrs.nested.k",
    "ctx.resource.attrs.list",
    "ctx.resource.type",
    "ctx.resource.id",
    "ctx.context.mfa_verified",
    "ctx.context.ip_country",
    "ctx.context.time",
    "ctx.context.n",
    "ctx.context.missing",
    "ctx.subject.type",
    "ctx.subject.id",
    "ctx.subject.roles",
    "ctx.subject.dept",
    "ctx.subject.attrs.dept",
    "ctx.subject.on_behalf_of_user_id",
];

fn scalar() -> impl Strategy<Value = Value> {
    prop_oneof![
        (-2i64..3).prop_map(Value::from),
        prop::sample::select(&[0.5f64, 1.0, 2.0, 0.9, -1.5][..]).prop_map(Value::from),
        prop::sample::select(
            &["US", "GB", "a", "ab", "09:00", "17:30", "r1", "agent", "s1", "t1"][..]
        )
        .prop_map(Value::from),
        any::<bool>().prop_map(Value::from),
    ]
}

fn literal() -> impl Strategy<Value = Value> {
    prop_oneof![4 => scalar(), 1 => prop::collection::vec(scalar(), 0..4).prop_map(Value::Array)]
}

fn path() -> impl Strategy<Value = Value> {
    prop::sample::select(&PATHS[..]).prop_map(Value::from)
}

fn operand() -> impl Strategy<Value = Value> {
    prop_oneof![3 => path(), 2 => literal()]
}

fn leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        1 => Just(json!({})),
        6 => (prop::sample::select(&["eq", "ne", "gt", "gte", "lt", "lte"][..]), operand(), operand())
            .prop_map(|(op, a, b)| json!({"op": op, "args": [a, b]})),
        3 => (prop::sample::select(&["in", "not_in"][..]), operand(), prop_oneof![path(), prop::collection::vec(scalar(), 0..4).prop_map(Value::Array)])
            .prop_map(|(op, a, b)| json!({"op": op, "args": [a, b]})),
        2 => path().prop_map(|p| json!({"op": "exists", "args": [p]})),
        1 => (path(), prop::sample::select(&["a", "U", "0"][..])).prop_map(|(p, s)| json!({"op": "starts_with", "args": [p, s]})),
        1 => (path(), prop::sample::select(&["^a", "S$", "^[0-9]+:", "b"][..])).prop_map(|(p, r)| json!({"op": "matches", "args": [p, r]})),
    ]
}

fn condition() -> impl Strategy<Value = Value> {
    leaf().prop_recursive(3, 16, 3, |inner| {
        prop_oneof![
            (
                prop::sample::select(&["and", "or"][..]),
                prop::collection::vec(inner.clone(), 1..=3)
            )
                .prop_map(|(op, args)| json!({"op": op, "args": args})),
            inner.prop_map(|c| json!({"op": "not", "args": [c]})),
        ]
    })
}

fn policies() -> impl Strategy<Value = Vec<Policy>> {
    let one = (
        0i64..4,
        prop::sample::select(&["allow", "deny", "require_approval"][..]),
        prop::collection::vec(pattern(), 1..=3),
        condition(),
        prop::option::weighted(0.2, prop::sample::select(&["r1", "r2", "r3"][..])),
        prop::option::weighted(0.15, prop::sample::select(&["s1", "s*", "u1"][..])),
        prop::bool::weighted(0.9),
    );
    prop::collection::vec(one, 0..12).prop_map(|ps| {
        ps.into_iter()
            .enumerate()
            .map(|(i, (priority, effect, actions, condition, role, subject, enabled))| {
                let mut v = json!({"id": format!("p{i}"), "display_name": format!("policy {i}"), "effect": effect,
                    "priority": priority, "actions": actions, "condition": condition, "enabled": enabled});
                if let Some(r) = role {
                    v["roles"] = json!([r]);
                }
                if let Some(s) = subject {
                    v["subjects"] = json!([s]);
                }
                policy(v)
            })
            .collect()
    })
}

fn maybe(
    key: &'static str,
    value: impl Strategy<Value = Value>,
) -> impl Strategy<Value = Option<(&'static str, Value)>> {
    prop::option::of(value.prop_map(move |v| (key, v)))
}

fn object(entries: Vec<Option<(&'static str, Value)>>) -> Value {
    Value::Object(
        entries
            .into_iter()
            .flatten()
            .map(|(k, v)| (k.to_owned(), v))
            .collect(),
    )
}

fn requests() -> impl Strategy<Value = Request> {
    let attrs = (
        maybe("x", scalar()),
        maybe("s", scalar()),
        maybe("flag", any::<bool>().prop_map(Value::from)),
        maybe("n", Just(Value::Null)),
        maybe("nested", scalar().prop_map(|k| json!({"k": k}))),
        maybe(
            "list",
            prop::collection::vec(scalar(), 0..3).prop_map(Value::Array),
        ),
    )
        .prop_map(|(a, b, c, d, e, f)| object(vec![a, b, c, d, e, f]));
    let context = (
        maybe("mfa_verified", any::<bool>().prop_map(Value::from)),
        maybe(
            "ip_country",
            prop::sample::select(&["US", "GB", "RU"][..]).prop_map(Value::from),
        ),
        maybe(
            "time",
            prop::sample::select(&["09:00", "17:30"][..]).prop_map(Value::from),
        ),
        maybe("n", scalar()),
    )
        .prop_map(|(a, b, c, d)| object(vec![a, b, c, d]));
    (
        prop::sample::select(&["user", "agent", "service"][..]),
        prop::sample::select(&["s1", "s2", "u1"][..]),
        prop::option::of(prop::sample::select(&["u1", "u2"][..])),
        action(),
        prop::sample::select(&["t1", "t2"][..]),
        attrs,
        context,
    )
        .prop_map(|(st, sid, obo, action, rt, attrs, context)| {
            Request::from_value(json!({"subject_type": st, "subject_id": sid, "on_behalf_of_user_id": obo,
                "action": action, "resource": {"type": rt, "id": "r1", "attrs": attrs}, "context": context}))
            .unwrap()
        })
}

#[derive(Debug, Clone)]
struct World {
    roles: Option<Vec<Role>>,
    subject_roles: Vec<String>,
    subject_attrs: Option<Map<String, Value>>,
    user_roles: Option<Vec<String>>,
    grants: Vec<JitGrant>,
}

fn worlds() -> impl Strategy<Value = World> {
    let role = |name: &'static str| {
        prop::collection::vec(pattern(), 0..3).prop_map(move |actions| Role {
            name: name.to_owned(),
            description: None,
            actions,
        })
    };
    let held = || {
        prop::sample::subsequence(
            vec!["r1".to_owned(), "r2".to_owned(), "r3".to_owned()],
            0..=3,
        )
    };
    let grant = (
        prop::sample::select(&["s1", "s2", "u1", "u2"][..]),
        prop::collection::vec(pattern(), 1..3),
        -2i64..3,
        0usize..1000,
    )
        .prop_map(|(subject, actions, hours, n)| JitGrant {
            id: format!("g{n}"),
            subject: subject.to_owned(),
            actions,
            justification: "j".into(),
            ticket_url: None,
            granted_by: None,
            created_at: None,
            expires_at: now() + TimeDelta::hours(hours),
        });
    (
        prop::option::of((role("r1"), role("r2")).prop_map(|(a, b)| vec![a, b])),
        held(),
        prop::option::of(prop::sample::select(&["risk", "ops"][..]).prop_map(|d| {
            let mut m = Map::new();
            m.insert("dept".into(), Value::from(d));
            m
        })),
        prop::option::of(held()),
        prop::collection::vec(grant, 0..3),
    )
        .prop_map(
            |(roles, subject_roles, subject_attrs, user_roles, grants)| World {
                roles,
                subject_roles,
                subject_attrs,
                user_roles,
                grants,
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn the_evaluator_agrees_with_the_reference(ps in policies(), reqs in prop::collection::vec(requests(), 1..6), w in worlds()) {
        let compiled = PolicySet::compile(ps.clone()).unwrap();
        let table = w.roles.clone().map(|r| Roles::compile(r).unwrap());
        let facts = Facts {
            subject_roles: &w.subject_roles,
            subject_attrs: w.subject_attrs.as_ref(),
            rbac: table.as_ref(),
            user_roles: w.user_roles.as_deref(),
            grants: &w.grants,
            now: now(),
        };
        for req in &reqs {
            let got = evaluate_with(&compiled, req, &facts);
            let want = reference_evaluate(&ps, w.roles.as_deref(), req, &facts);
            let got = Outcome {
                effect: got.effect,
                policy_id: got.policy_id.as_deref().map(str::to_owned),
                grant_id: got.grant_id,
                evaluated: got.evaluated,
            };
            prop_assert_eq!(got, want, "request {:?}", req);
        }
    }

    #[test]
    fn load_order_does_not_change_decisions(ps in policies(), req in requests(), seed in any::<u64>()) {
        let mut shuffled = ps.clone();
        let n = shuffled.len();
        if n > 1 {
            shuffled.rotate_left((seed % n as u64) as usize);
            shuffled.swap(0, (seed as usize / 7) % n);
        }
        let a = evaluate(&PolicySet::compile(ps).unwrap(), &req);
        let b = evaluate(&PolicySet::compile(shuffled).unwrap(), &req);
        prop_assert_eq!(a, b);
    }
}
