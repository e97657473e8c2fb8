//! JSON `{op, args}` → [`Condition`], with errors naming the JSON path of the problem.

use serde_json::{Map, Value};

use super::{CmpOp, Condition, Operand, Path};
use crate::error::ErrorKind;

/// The largest compiled regex accepted (bytes); keeps a hostile pattern from eating memory.
const REGEX_SIZE_LIMIT: usize = 1 << 20;

/// How deep conditions may nest; deeper trees are rejected rather than risk the stack.
const MAX_DEPTH: usize = 64;

/// Compile `value` found at JSON path `at`. On error returns the path of the offending node.
pub(crate) fn compile_condition(value: &Value, at: &str) -> Result<Condition, (String, ErrorKind)> {
    compile(value, at, 0)
}

fn shape(at: &str, msg: impl Into<String>) -> (String, ErrorKind) {
    (at.to_owned(), ErrorKind::Shape(msg.into()))
}

fn compile(value: &Value, at: &str, depth: usize) -> Result<Condition, (String, ErrorKind)> {
    if depth > MAX_DEPTH {
        return Err(shape(
            at,
            format!("conditions nest deeper than {MAX_DEPTH}"),
        ));
    }
    let Value::Object(obj) = value else {
        return Err(shape(
            at,
            "a condition is an object `{\"op\": ..., \"args\": [...]}` or `{}`",
        ));
    };
    if obj.is_empty() {
        return Ok(Condition::True);
    }
    if let Some(key) = obj.keys().find(|k| *k != "op" && *k != "args") {
        return Err(shape(
            &format!("{at}.{key}"),
            format!("unknown key `{key}`; a condition has `op` and `args`"),
        ));
    }
    let op = match obj.get("op") {
        Some(Value::String(op)) => op.as_str(),
        Some(_) => return Err(shape(&format!("{at}.op"), "`op` must be a string")),
        None => return Err(shape(at, "missing `op`")),
    };
    let args = args_of(obj, at)?;
    let arity = |expected: &'static str, name: &'static str, ok: bool| {
        if ok {
            Ok(())
        } else {
            Err((
                format!("{at}.args"),
                ErrorKind::Arity {
                    op: name,
                    expected,
                    got: args.len(),
                },
            ))
        }
    };
    let arg_at = |i: usize| format!("{at}.args[{i}]");
    let cmp = |op: CmpOp, name: &'static str| -> Result<Condition, (String, ErrorKind)> {
        arity("2", name, args.len() == 2)?;
        Ok(Condition::Cmp {
            op,
            lhs: operand(&args[0], &arg_at(0))?,
            rhs: operand(&args[1], &arg_at(1))?,
        })
    };
    match op {
        "eq" => cmp(CmpOp::Eq, "eq"),
        "ne" => cmp(CmpOp::Ne, "ne"),
        "gt" => cmp(CmpOp::Gt, "gt"),
        "gte" => cmp(CmpOp::Gte, "gte"),
        "lt" => cmp(CmpOp::Lt, "lt"),
        "lte" => cmp(CmpOp::Lte, "lte"),
        "in" | "not_in" => {
            let name = if op == "in" { "in" } else { "not_in" };
            arity("2", name, args.len() == 2)?;
            let list = operand(&args[1], &arg_at(1))?;
            if let Operand::Literal(v) = &list {
                if !v.is_array() {
                    return Err(shape(
                        &arg_at(1),
                        format!("the second argument of `{name}` must be an array or a path"),
                    ));
                }
            }
            Ok(Condition::In {
                negated: op == "not_in",
                item: operand(&args[0], &arg_at(0))?,
                list,
            })
        }
        "starts_with" => {
            arity("2", "starts_with", args.len() == 2)?;
            Ok(Condition::StartsWith(
                operand(&args[0], &arg_at(0))?,
                operand(&args[1], &arg_at(1))?,
            ))
        }
        "matches" => {
            arity("2", "matches", args.len() == 2)?;
            let Value::String(pattern) = &args[1] else {
                return Err(shape(
                    &arg_at(1),
                    "the second argument of `matches` must be a regex string",
                ));
            };
            let re = regex::RegexBuilder::new(pattern)
                .size_limit(REGEX_SIZE_LIMIT)
                .dfa_size_limit(REGEX_SIZE_LIMIT)
                .build()
                .map_err(|e| (arg_at(1), ErrorKind::BadRegex(e.to_string())))?;
            Ok(Condition::Matches(
                operand(&args[0], &arg_at(0))?,
                Box::new(re),
            ))
        }
        "exists" => {
            arity("1", "exists", args.len() == 1)?;
            match operand(&args[0], &arg_at(0))? {
                Operand::Path(p) => Ok(Condition::Exists(p)),
                Operand::Literal(_) => Err(shape(&arg_at(0), "`exists` takes a path (`ctx....`)")),
            }
        }
        "and" | "or" => {
            let name = if op == "and" { "and" } else { "or" };
            arity("1 or more", name, !args.is_empty())?;
            let subs = args
                .iter()
                .enumerate()
                .map(|(i, a)| compile(a, &arg_at(i), depth + 1))
                .collect::<Result<Vec<_>, _>>()?;
            Ok(if op == "and" {
                Condition::And(subs)
            } else {
                Condition::Or(subs)
            })
        }
        "not" => {
            arity("1", "not", args.len() == 1)?;
            Ok(Condition::Not(Box::new(compile(
                &args[0],
                &arg_at(0),
                depth + 1,
            )?)))
        }
        other => Err((format!("{at}.op"), ErrorKind::UnknownOp(other.to_owned()))),
    }
}

fn args_of<'v>(obj: &'v Map<String, Value>, at: &str) -> Result<&'v [Value], (String, ErrorKind)> {
    match obj.get("args") {
        Some(Value::Array(a)) => Ok(a),
        Some(_) => Err(shape(&format!("{at}.args"), "`args` must be an array")),
        None => Err(shape(at, "missing `args`")),
    }
}

fn operand(value: &Value, at: &str) -> Result<Operand, (String, ErrorKind)> {
    match value {
        Value::String(s) if s == "ctx" || s.starts_with("ctx.") => {
            parse_path(s).map(Operand::Path).map_err(|reason| {
                (
                    at.to_owned(),
                    ErrorKind::BadPath {
                        path: s.clone(),
                        reason,
                    },
                )
            })
        }
        Value::Null => Err(shape(
            at,
            "`null` is not a value here; test for absence with `exists`",
        )),
        Value::Object(_) => Err(shape(
            at,
            "an argument is a path (`ctx....`) or a literal, not an object",
        )),
        Value::Array(items) => {
            if let Some(i) = items.iter().position(|v| v.is_null() || v.is_object()) {
                return Err(shape(
                    &format!("{at}[{i}]"),
                    "array elements are strings, numbers, booleans or arrays",
                ));
            }
            Ok(Operand::Literal(value.clone()))
        }
        _ => Ok(Operand::Literal(value.clone())),
    }
}

/// Parse `ctx.subject.*`, `ctx.resource.type|id|attrs.*`, `ctx.context.*`.
pub(crate) fn parse_path(s: &str) -> Result<Path, &'static str> {
    let mut segs = s.split('.');
    if segs.next() != Some("ctx") {
        return Err("paths start with `ctx.`");
    }
    let rest: Vec<&str> = segs.collect();
    if rest.iter().any(|seg| seg.is_empty()) {
        return Err("empty segment");
    }
    let keys = |from: &[&str]| -> Box<[String]> { from.iter().map(|s| (*s).to_owned()).collect() };
    match rest.as_slice() {
        ["subject", "type"] => Ok(Path::SubjectType),
        ["subject", "id"] => Ok(Path::SubjectId),
        ["subject", "on_behalf_of_user_id"] => Ok(Path::OnBehalfOf),
        ["subject", "roles"] => Ok(Path::SubjectRoles),
        ["subject", "type" | "id" | "on_behalf_of_user_id" | "roles", ..] => {
            Err("`ctx.subject.type`, `.id`, `.on_behalf_of_user_id` and `.roles` have no fields")
        }
        ["subject", "attrs", attr @ ..] if !attr.is_empty() => Ok(Path::SubjectAttr(keys(attr))),
        ["subject", "attrs"] => Err("name an attribute: `ctx.subject.attrs.<name>`"),
        ["subject", attr @ ..] if !attr.is_empty() => Ok(Path::SubjectAttr(keys(attr))),
        ["resource", "type"] => Ok(Path::ResourceType),
        ["resource", "id"] => Ok(Path::ResourceId),
        ["resource", "attrs", attr @ ..] if !attr.is_empty() => Ok(Path::ResourceAttr(keys(attr))),
        ["resource", "attrs"] => Err("name an attribute: `ctx.resource.attrs.<name>`"),
        ["resource", ..] => {
            Err("expected `ctx.resource.type`, `ctx.resource.id` or `ctx.resource.attrs.<name>`")
        }
        ["context", key @ ..] if !key.is_empty() => Ok(Path::Context(keys(key))),
        ["subject"] => Err("name a field: `ctx.subject.<name>`"),
        ["context"] => Err("name a key: `ctx.context.<name>`"),
        _ => Err("expected `ctx.subject.*`, `ctx.resource.type|id|attrs.*` or `ctx.context.*`"),
    }
}
