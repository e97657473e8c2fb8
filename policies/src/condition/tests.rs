use serde_json::{json, Map, Value};

use super::{compile_condition, Env, Path};
use crate::error::ErrorKind;
use crate::request::Request;

fn req() -> Request {
    Request::from_value(json!({
        "subject_type": "agent", "subject_id": "agent-1", "action": "x.y",
        "resource": {"type": "payment", "id": "p-1", "attrs": {
            "amount_cents": 150000, "ratio": 0.95, "one": 1.0, "country": "US", "nested": {"k": 3},
            "tags": ["a", "b"], "nothing": null, "memo": "REF-2024-001"}},
        "context": {"time": "10:30", "ip_country": "DE", "mfa_verified": false, "labels": ["pii"]},
    }))
    .unwrap()
}

fn holds(cond: Value) -> bool {
    let c = compile_condition(&cond, "$.condition").unwrap();
    let r = req();
    let roles = vec!["hr_admin".to_owned()];
    let attrs: Map<String, Value> = json!({"department": "risk"}).as_object().cloned().unwrap();
    let env = Env {
        req: &r,
        roles: &roles,
        attrs: Some(&attrs),
    };
    env.eval(&c)
}

fn c(op: &str, a: Value, b: Value) -> Value {
    json!({"op": op, "args": [a, b]})
}

#[test]
fn comparisons_follow_the_documented_semantics() {
    let cases = [
        ("empty condition is true", json!({}), true),
        (
            "integer gte integer",
            c(
                "gte",
                json!("ctx.resource.attrs.amount_cents"),
                json!(100000),
            ),
            true,
        ),
        (
            "integer vs float compare numerically",
            c(
                "gt",
                json!("ctx.resource.attrs.amount_cents"),
                json!(149999.5),
            ),
            true,
        ),
        (
            "float equals integer",
            c("eq", json!("ctx.resource.attrs.one"), json!(1)),
            true,
        ),
        (
            "float lt",
            c("lt", json!("ctx.resource.attrs.ratio"), json!(0.9)),
            false,
        ),
        (
            "missing attribute makes eq false",
            c("eq", json!("ctx.resource.attrs.absent"), json!(1)),
            false,
        ),
        (
            "missing attribute makes ne false",
            c("ne", json!("ctx.resource.attrs.absent"), json!(1)),
            false,
        ),
        (
            "null reads as missing",
            c("ne", json!("ctx.resource.attrs.nothing"), json!(1)),
            false,
        ),
        (
            "missing attribute makes not_in false",
            c("not_in", json!("ctx.context.absent"), json!(["US"])),
            false,
        ),
        (
            "not of a missing comparison is true",
            json!({"op": "not", "args": [c("eq", json!("ctx.context.absent"), json!(1))]}),
            true,
        ),
        (
            "kinds differ: not equal",
            c("eq", json!("ctx.resource.attrs.country"), json!(1)),
            false,
        ),
        (
            "kinds differ: ne is false too",
            c("ne", json!("ctx.resource.attrs.country"), json!(1)),
            false,
        ),
        (
            "kinds differ: no order",
            c("gt", json!("ctx.resource.attrs.country"), json!(1)),
            false,
        ),
        (
            "strings order lexically",
            c("lt", json!("ctx.context.time"), json!("17:00")),
            true,
        ),
        (
            "not_in a literal list",
            c(
                "not_in",
                json!("ctx.context.ip_country"),
                json!(["US", "GB"]),
            ),
            true,
        ),
        (
            "in a literal list",
            c("in", json!("ctx.context.ip_country"), json!(["US", "DE"])),
            true,
        ),
        (
            "literal in a path list",
            c("in", json!("pii"), json!("ctx.context.labels")),
            true,
        ),
        (
            "role in subject roles",
            c("in", json!("hr_admin"), json!("ctx.subject.roles")),
            true,
        ),
        (
            "in a non-list is false",
            c("in", json!("U"), json!("ctx.resource.attrs.country")),
            false,
        ),
        (
            "bool eq",
            c("eq", json!("ctx.context.mfa_verified"), json!(false)),
            true,
        ),
        (
            "nested attribute",
            c("eq", json!("ctx.resource.attrs.nested.k"), json!(3)),
            true,
        ),
        (
            "path vs path",
            c("eq", json!("ctx.resource.type"), json!("ctx.resource.type")),
            true,
        ),
        (
            "subject fields",
            c("eq", json!("ctx.subject.type"), json!("agent")),
            true,
        ),
        (
            "subject attribute shorthand",
            c("eq", json!("ctx.subject.department"), json!("risk")),
            true,
        ),
        (
            "subject attribute long form",
            c("eq", json!("ctx.subject.attrs.department"), json!("risk")),
            true,
        ),
        (
            "on_behalf_of absent",
            json!({"op": "exists", "args": ["ctx.subject.on_behalf_of_user_id"]}),
            false,
        ),
        (
            "exists",
            json!({"op": "exists", "args": ["ctx.resource.attrs.tags"]}),
            true,
        ),
        (
            "array equality",
            c("eq", json!("ctx.resource.attrs.tags"), json!(["a", "b"])),
            true,
        ),
        (
            "starts_with",
            c("starts_with", json!("ctx.resource.id"), json!("p-")),
            true,
        ),
        (
            "starts_with non-string is false",
            c("starts_with", json!("ctx.resource.attrs.one"), json!("1")),
            false,
        ),
        (
            "matches searches",
            c(
                "matches",
                json!("ctx.resource.attrs.memo"),
                json!("[0-9]{4}"),
            ),
            true,
        ),
        (
            "matches anchored",
            c(
                "matches",
                json!("ctx.resource.attrs.memo"),
                json!("^[0-9]+$"),
            ),
            false,
        ),
        (
            "or of one true",
            json!({"op": "or", "args": [c("eq", json!(1), json!(2)), {}]}),
            true,
        ),
        (
            "and of one false",
            json!({"op": "and", "args": [c("eq", json!(1), json!(2)), {}]}),
            false,
        ),
    ];
    for (name, cond, want) in cases {
        assert_eq!(holds(cond), want, "{name}");
    }
}

fn compile_error(cond: Value) -> (String, ErrorKind) {
    compile_condition(&cond, "$.condition").unwrap_err()
}

#[test]
fn errors_name_the_json_path_of_the_problem() {
    let (at, kind) =
        compile_error(json!({"op": "and", "args": [{}, {"op": "eqq", "args": [1, 1]}]}));
    assert_eq!(
        (at.as_str(), kind),
        ("$.condition.args[1].op", ErrorKind::UnknownOp("eqq".into()))
    );

    let (at, kind) = compile_error(c("eq", json!("ctx.resource.owner"), json!(1)));
    assert_eq!(at, "$.condition.args[0]");
    assert!(matches!(kind, ErrorKind::BadPath { .. }), "{kind}");

    let (at, kind) = compile_error(json!({"op": "not", "args": [{}, {}]}));
    assert_eq!(at, "$.condition.args");
    assert_eq!(
        kind,
        ErrorKind::Arity {
            op: "not",
            expected: "1",
            got: 2
        }
    );

    let (at, kind) = compile_error(c("matches", json!("ctx.resource.id"), json!("(")));
    assert_eq!(at, "$.condition.args[1]");
    assert!(matches!(kind, ErrorKind::BadRegex(_)));

    let (at, _) = compile_error(c("eq", json!("ctx.resource.attrs.x"), Value::Null));
    assert_eq!(at, "$.condition.args[1]");
    let (at, _) = compile_error(json!({"op": "eq", "args": [1, 2], "arg": 3}));
    assert_eq!(at, "$.condition.arg");
    let (at, _) = compile_error(c("in", json!("ctx.resource.id"), json!("US")));
    assert_eq!(at, "$.condition.args[1]");
    let (at, _) = compile_error(json!({"op": "or", "args": []}));
    assert_eq!(at, "$.condition.args");
    let (at, _) = compile_error(json!({"op": "exists", "args": ["x"]}));
    assert_eq!(at, "$.condition.args[0]");
    let (at, _) = compile_error(json!([]));
    assert_eq!(at, "$.condition");
}

#[test]
fn paths_parse_into_the_path_enum() {
    use super::compile::parse_path;
    assert_eq!(parse_path("ctx.subject.roles"), Ok(Path::SubjectRoles));
    assert_eq!(
        parse_path("ctx.resource.attrs.a.b"),
        Ok(Path::ResourceAttr(vec!["a".into(), "b".into()].into()))
    );
    assert_eq!(
        parse_path("ctx.context.ip_country"),
        Ok(Path::Context(vec!["ip_country".into()].into()))
    );
    for bad in [
        "ctx",
        "ctx.subject",
        "ctx.resource.attrs",
        "ctx.resource.name",
        "ctx.user.id",
        "ctx.context",
        "ctx..x",
        "ctx.subject.id.x",
    ] {
        assert!(parse_path(bad).is_err(), "{bad}");
    }
}

#[test]
fn absurdly_deep_conditions_are_rejected_not_overflowed() {
    let mut cond = json!({});
    for _ in 0..200 {
        cond = json!({"op": "not", "args": [cond]});
    }
    let (_, kind) = compile_error(cond);
    assert!(
        matches!(kind, ErrorKind::Shape(ref m) if m.contains("deeper")),
        "{kind}"
    );
}
