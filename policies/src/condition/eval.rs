//! Evaluation of a compiled [`Condition`] against a request. Borrows everything, allocates
//! nothing.

use std::cmp::Ordering;

use serde_json::{Map, Number, Value};

use super::{CmpOp, Condition, Operand, Path};
use crate::request::Request;

/// What a condition can read: the request plus the facts the gateway resolved for the subject.
#[derive(Clone, Copy)]
pub(crate) struct Env<'a> {
    pub req: &'a Request,
    pub roles: &'a [String],
    pub attrs: Option<&'a Map<String, Value>>,
}

/// A resolved value; JSON `null` never gets here (it reads as absent).
#[derive(Clone, Copy)]
enum Val<'a> {
    Bool(bool),
    Num(&'a Number),
    Str(&'a str),
    Arr(Arr<'a>),
    Obj(&'a Map<String, Value>),
}

#[derive(Clone, Copy)]
enum Arr<'a> {
    Json(&'a [Value]),
    Strs(&'a [String]),
}

impl<'a> Arr<'a> {
    fn len(self) -> usize {
        match self {
            Arr::Json(a) => a.len(),
            Arr::Strs(a) => a.len(),
        }
    }

    fn get(self, i: usize) -> Option<Val<'a>> {
        match self {
            Arr::Json(a) => a.get(i).and_then(val),
            Arr::Strs(a) => a.get(i).map(|s| Val::Str(s)),
        }
    }

    fn contains(self, item: Val<'_>) -> bool {
        (0..self.len()).any(|i| self.get(i).is_some_and(|v| equal(v, item)))
    }
}

fn val(v: &Value) -> Option<Val<'_>> {
    match v {
        Value::Null => None,
        Value::Bool(b) => Some(Val::Bool(*b)),
        Value::Number(n) => Some(Val::Num(n)),
        Value::String(s) => Some(Val::Str(s)),
        Value::Array(a) => Some(Val::Arr(Arr::Json(a))),
        Value::Object(o) => Some(Val::Obj(o)),
    }
}

fn lookup<'a>(map: &'a Map<String, Value>, keys: &[String]) -> Option<Val<'a>> {
    let (first, rest) = keys.split_first()?;
    let mut cur = map.get(first)?;
    for k in rest {
        cur = cur.as_object()?.get(k)?;
    }
    val(cur)
}

impl<'a> Env<'a> {
    fn resolve(&self, path: &'a Path) -> Option<Val<'a>> {
        let req = self.req;
        match path {
            Path::SubjectType => Some(Val::Str(req.subject_type.as_str())),
            Path::SubjectId => Some(Val::Str(&req.subject_id)),
            Path::OnBehalfOf => req.on_behalf_of_user_id.as_deref().map(Val::Str),
            Path::SubjectRoles => Some(Val::Arr(Arr::Strs(self.roles))),
            Path::SubjectAttr(keys) => lookup(self.attrs?, keys),
            Path::ResourceType => Some(Val::Str(&req.resource.kind)),
            Path::ResourceId => Some(Val::Str(&req.resource.id)),
            Path::ResourceAttr(keys) => lookup(&req.resource.attrs, keys),
            Path::Context(keys) => lookup(req.context.as_map(), keys),
        }
    }

    fn operand(&self, op: &'a Operand) -> Option<Val<'a>> {
        match op {
            Operand::Path(p) => self.resolve(p),
            Operand::Literal(v) => val(v),
        }
    }

    /// Whether `cond` holds for this request.
    pub(crate) fn eval(&self, cond: &'a Condition) -> bool {
        match cond {
            Condition::True => true,
            Condition::Cmp { op, lhs, rhs } => match (self.operand(lhs), self.operand(rhs)) {
                (Some(a), Some(b)) => compare(*op, a, b),
                _ => false,
            },
            Condition::In {
                negated,
                item,
                list,
            } => match (self.operand(item), self.operand(list)) {
                (Some(item), Some(Val::Arr(list))) => list.contains(item) != *negated,
                _ => false,
            },
            Condition::StartsWith(a, b) => match (self.operand(a), self.operand(b)) {
                (Some(Val::Str(a)), Some(Val::Str(b))) => a.starts_with(b),
                _ => false,
            },
            Condition::Matches(a, re) => match self.operand(a) {
                Some(Val::Str(s)) => re.is_match(s),
                _ => false,
            },
            Condition::Exists(p) => self.resolve(p).is_some(),
            Condition::And(cs) => cs.iter().all(|c| self.eval(c)),
            Condition::Or(cs) => cs.iter().any(|c| self.eval(c)),
            Condition::Not(c) => !self.eval(c),
        }
    }
}

fn compare(op: CmpOp, a: Val<'_>, b: Val<'_>) -> bool {
    match op {
        CmpOp::Eq => equal(a, b),
        CmpOp::Ne => same_kind(a, b) && !equal(a, b),
        CmpOp::Gt => order(a, b) == Some(Ordering::Greater),
        CmpOp::Gte => matches!(order(a, b), Some(Ordering::Greater | Ordering::Equal)),
        CmpOp::Lt => order(a, b) == Some(Ordering::Less),
        CmpOp::Lte => matches!(order(a, b), Some(Ordering::Less | Ordering::Equal)),
    }
}

fn same_kind(a: Val<'_>, b: Val<'_>) -> bool {
    matches!(
        (a, b),
        (Val::Bool(_), Val::Bool(_))
            | (Val::Num(_), Val::Num(_))
            | (Val::Str(_), Val::Str(_))
            | (Val::Arr(_), Val::Arr(_))
            | (Val::Obj(_), Val::Obj(_))
    )
}

fn equal(a: Val<'_>, b: Val<'_>) -> bool {
    match (a, b) {
        (Val::Bool(x), Val::Bool(y)) => x == y,
        (Val::Num(x), Val::Num(y)) => num_cmp(x, y) == Some(Ordering::Equal),
        (Val::Str(x), Val::Str(y)) => x == y,
        (Val::Arr(x), Val::Arr(y)) => {
            x.len() == y.len()
                && (0..x.len()).all(|i| match (x.get(i), y.get(i)) {
                    (Some(p), Some(q)) => equal(p, q),
                    (None, None) => true,
                    _ => false,
                })
        }
        (Val::Obj(x), Val::Obj(y)) => {
            x.len() == y.len()
                && x.iter().all(|(k, v)| match (val(v), y.get(k)) {
                    (None, Some(w)) => w.is_null(),
                    (Some(p), Some(w)) => val(w).is_some_and(|q| equal(p, q)),
                    _ => false,
                })
        }
        _ => false,
    }
}

fn order(a: Val<'_>, b: Val<'_>) -> Option<Ordering> {
    match (a, b) {
        (Val::Num(x), Val::Num(y)) => num_cmp(x, y),
        (Val::Str(x), Val::Str(y)) => Some(x.cmp(y)),
        _ => None,
    }
}

/// Numeric comparison across integer and float representations: exact for two integers,
/// through `f64` otherwise.
pub(crate) fn num_cmp(a: &Number, b: &Number) -> Option<Ordering> {
    if let (Some(x), Some(y)) = (a.as_i64(), b.as_i64()) {
        return Some(x.cmp(&y));
    }
    if let (Some(x), Some(y)) = (a.as_u64(), b.as_u64()) {
        return Some(x.cmp(&y));
    }
    a.as_f64()?.partial_cmp(&b.as_f64()?)
}
