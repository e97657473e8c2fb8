//! Conditions: the `{op, args}` tree of seeds 000–003, parsed once into typed nodes with typed
//! paths and precompiled regexes, then evaluated against a request without allocating.
//!
//! Semantics (the same as Cedar's for missing data): a path that does not resolve (absent, or
//! JSON `null`) makes the comparison that uses it false, never an error; values of different
//! kinds are never equal, ordered or unequal (`ne` is false too), so a missing or mistyped
//! attribute cannot make a rule fire by accident. `not` negates its argument as it is, so
//! `not(eq(missing, 1))` is true: guard with `exists` where that matters. Numbers compare
//! numerically whether written as integers or floats; strings compare lexically (which orders
//! `"09:00" < "17:30"`). `in`/`not_in` take an array on the right (a literal or a path).
//! `matches` searches (anchor with `^…$` to match whole strings).

mod compile;
mod eval;

pub(crate) use compile::compile_condition;
pub(crate) use eval::Env;

/// A compiled condition.
#[derive(Debug, Clone)]
pub enum Condition {
    /// `{}`.
    True,
    Cmp {
        op: CmpOp,
        lhs: Operand,
        rhs: Operand,
    },
    /// `in` (`negated: false`) or `not_in` (`negated: true`).
    In {
        negated: bool,
        item: Operand,
        list: Operand,
    },
    StartsWith(Operand, Operand),
    Matches(Operand, Box<regex::Regex>),
    Exists(Path),
    And(Vec<Condition>),
    Or(Vec<Condition>),
    Not(Box<Condition>),
}

impl Condition {
    /// Whether this is `{}` (matches every request).
    pub fn is_true(&self) -> bool {
        matches!(self, Condition::True)
    }
}

/// The comparison operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CmpOp {
    Eq,
    Ne,
    Gt,
    Gte,
    Lt,
    Lte,
}

/// An argument: a path into the request (a string starting with `ctx.`) or a literal.
#[derive(Debug, Clone, PartialEq)]
pub enum Operand {
    Path(Path),
    /// Never JSON `null` (rejected at load: use `exists`).
    Literal(serde_json::Value),
}

/// Where a value is read from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Path {
    /// `ctx.subject.type`
    SubjectType,
    /// `ctx.subject.id`
    SubjectId,
    /// `ctx.subject.on_behalf_of_user_id`
    OnBehalfOf,
    /// `ctx.subject.roles`: the roles the gateway resolved for the subject.
    SubjectRoles,
    /// `ctx.subject.<key>` or `ctx.subject.attrs.<key>`, nested keys after it.
    SubjectAttr(Box<[String]>),
    /// `ctx.resource.type`
    ResourceType,
    /// `ctx.resource.id`
    ResourceId,
    /// `ctx.resource.attrs.<key>`, nested keys after it.
    ResourceAttr(Box<[String]>),
    /// `ctx.context.<key>`, nested keys after it.
    Context(Box<[String]>),
}

#[cfg(test)]
mod tests;
