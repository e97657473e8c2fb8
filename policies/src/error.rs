//! Load-time errors: every one names the item (policy, role, grant or case) and the JSON path of
//! the problem, so `parapet policy lint` and the admin API can point at the exact spot.

use std::fmt;

/// What kind of document an error is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Item {
    Policy,
    Role,
    Grant,
    Case,
    Request,
}

impl Item {
    fn as_str(self) -> &'static str {
        match self {
            Item::Policy => "policy",
            Item::Role => "role",
            Item::Grant => "grant",
            Item::Case => "case",
            Item::Request => "request",
        }
    }
}

/// A policy, role, grant, case or request that cannot be loaded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct PolicyError {
    pub item: Item,
    /// The item's id (policy id, role name, grant id, case name) when it has one.
    pub id: Option<String>,
    /// JSON path of the problem from the document root, e.g. `$[3].condition.args[0]`.
    pub path: String,
    pub kind: ErrorKind,
}

impl fmt::Display for PolicyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.id {
            Some(id) => write!(
                f,
                "{} `{id}` at {}: {}",
                self.item.as_str(),
                self.path,
                self.kind
            ),
            None => write!(f, "{} at {}: {}", self.item.as_str(), self.path, self.kind),
        }
    }
}

/// What is wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ErrorKind {
    #[error("invalid JSON: {0}")]
    Json(String),
    #[error("{0}")]
    Shape(String),
    #[error("unknown op `{0}`; expected one of eq, ne, gt, gte, lt, lte, in, not_in, and, or, not, exists, starts_with, matches")]
    UnknownOp(String),
    #[error("bad path `{path}`: {reason}")]
    BadPath { path: String, reason: &'static str },
    #[error("`{op}` takes {expected} argument(s), got {got}")]
    Arity {
        op: &'static str,
        expected: &'static str,
        got: usize,
    },
    #[error("bad regex: {0}")]
    BadRegex(String),
    #[error("bad action pattern `{pattern}`: {reason}")]
    BadPattern {
        pattern: String,
        reason: &'static str,
    },
    #[error("actions is empty: the rule would never apply")]
    EmptyActions,
    #[error("duplicate id")]
    DuplicateId,
    #[error("{0}")]
    Invalid(String),
}

impl PolicyError {
    pub(crate) fn new(
        item: Item,
        id: Option<&str>,
        path: impl Into<String>,
        kind: ErrorKind,
    ) -> Self {
        PolicyError {
            item,
            id: id.map(str::to_owned),
            path: path.into(),
            kind,
        }
    }
}

/// Deserialize one JSON value into `T`, reporting the JSON path of a failure below `root`.
pub(crate) fn from_value_at<T: serde::de::DeserializeOwned>(
    value: serde_json::Value,
    item: Item,
    root: &str,
) -> Result<T, PolicyError> {
    let id = value
        .get(match item {
            Item::Role => "name",
            Item::Case => "name",
            _ => "id",
        })
        .and_then(|v| v.as_str())
        .map(str::to_owned);
    serde_path_to_error::deserialize(value).map_err(|e| {
        let inner = e.path().to_string();
        let path = if inner == "." || inner.is_empty() {
            root.to_owned()
        } else {
            format!("{root}.{inner}")
        };
        PolicyError {
            item,
            id,
            path,
            kind: ErrorKind::Shape(e.into_inner().to_string()),
        }
    })
}

/// Parse `json` as an array and each element as a `T`, with errors naming the element.
pub(crate) fn parse_list<T: serde::de::DeserializeOwned>(
    json: &str,
    item: Item,
) -> Result<Vec<T>, PolicyError> {
    let value: serde_json::Value = serde_json::from_str(json)
        .map_err(|e| PolicyError::new(item, None, "$", ErrorKind::Json(e.to_string())))?;
    let serde_json::Value::Array(elements) = value else {
        return Err(PolicyError::new(
            item,
            None,
            "$",
            ErrorKind::Shape(format!("expected a JSON array of {}s", item.as_str())),
        ));
    };
    elements
        .into_iter()
        .enumerate()
        .map(|(i, v)| from_value_at(v, item, &format!("$[{i}]")))
        .collect()
}
