//! The decision request of seed 000: who (`subject_type`, `subject_id`, `on_behalf_of_user_id`)
//! wants to do what (`action`) to which `resource`, in which `context`.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::error::{from_value_at, ErrorKind, Item, PolicyError};

/// The kind of caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SubjectType {
    User,
    Agent,
    Service,
}

impl SubjectType {
    pub fn as_str(self) -> &'static str {
        match self {
            SubjectType::User => "user",
            SubjectType::Agent => "agent",
            SubjectType::Service => "service",
        }
    }
}

/// A decision request (`POST /api/v1/decisions/check`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Request {
    pub subject_type: SubjectType,
    pub subject_id: String,
    /// Set when an agent acts for a user: the agent then gets the intersection of its grants and
    /// the user's (non-escalation).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_behalf_of_user_id: Option<String>,
    /// A concrete action such as `payments.refund.issue` (no wildcards).
    pub action: String,
    pub resource: Resource,
    #[serde(default)]
    pub context: Context,
}

/// What the action is done to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Resource {
    #[serde(rename = "type")]
    pub kind: String,
    pub id: String,
    #[serde(default)]
    pub attrs: Map<String, Value>,
}

/// The request's context: `time`, `ip_country`, `mfa_verified` and any other key. The known keys
/// are type-checked when the request is read (`time` and `ip_country` strings, `mfa_verified` a
/// boolean); other keys are free.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "Map<String, Value>", into = "Map<String, Value>")]
pub struct Context(Map<String, Value>);

impl Context {
    pub fn new() -> Self {
        Context::default()
    }

    /// Set `key`, checking the type of the known keys.
    pub fn insert(&mut self, key: impl Into<String>, value: Value) -> Result<(), String> {
        let key = key.into();
        check_context_value(&key, &value)?;
        self.0.insert(key, value);
        Ok(())
    }

    pub fn get(&self, key: &str) -> Option<&Value> {
        self.0.get(key)
    }

    pub fn as_map(&self) -> &Map<String, Value> {
        &self.0
    }

    pub fn time(&self) -> Option<&str> {
        self.0.get("time").and_then(Value::as_str)
    }

    pub fn ip_country(&self) -> Option<&str> {
        self.0.get("ip_country").and_then(Value::as_str)
    }

    pub fn mfa_verified(&self) -> Option<bool> {
        self.0.get("mfa_verified").and_then(Value::as_bool)
    }
}

fn check_context_value(key: &str, value: &Value) -> Result<(), String> {
    let ok = match key {
        "time" | "ip_country" => value.is_string() || value.is_null(),
        "mfa_verified" => value.is_boolean() || value.is_null(),
        _ => true,
    };
    if ok {
        Ok(())
    } else {
        let want = if key == "mfa_verified" {
            "true or false"
        } else {
            "a string"
        };
        Err(format!("context.{key} must be {want}"))
    }
}

impl TryFrom<Map<String, Value>> for Context {
    type Error = String;

    fn try_from(map: Map<String, Value>) -> Result<Self, String> {
        for (k, v) in &map {
            check_context_value(k, v)?;
        }
        Ok(Context(map))
    }
}

impl From<Context> for Map<String, Value> {
    fn from(c: Context) -> Self {
        c.0
    }
}

impl Request {
    /// Read a request from JSON; the error names the field (`$.resource.type: missing field`).
    pub fn from_json(json: &str) -> Result<Request, PolicyError> {
        let value: Value = serde_json::from_str(json).map_err(|e| {
            PolicyError::new(Item::Request, None, "$", ErrorKind::Json(e.to_string()))
        })?;
        Request::from_value(value)
    }

    /// As [`Request::from_json`], from an already parsed value.
    pub fn from_value(value: Value) -> Result<Request, PolicyError> {
        let req: Request = from_value_at(value, Item::Request, "$")?;
        req.check()?;
        Ok(req)
    }

    /// Checks serde cannot express: a concrete, well-formed action.
    pub fn check(&self) -> Result<(), PolicyError> {
        let bad = |reason: &str| {
            Err(PolicyError::new(
                Item::Request,
                None,
                "$.action",
                ErrorKind::Invalid(format!("action `{}` {reason}", self.action)),
            ))
        };
        if self.action.contains('*') {
            return bad("must be concrete (no `*`)");
        }
        if self.action.split('.').any(str::is_empty) {
            return bad("has an empty segment");
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
