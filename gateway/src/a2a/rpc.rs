//! The JSON-RPC side of A2A: which methods Parapet forwards, the envelope, where a message's
//! skill, data parts and text parts are, when a stream is over, and the error objects it
//! answers with. Pure: JSON in, JSON out.

use serde_json::{json, Value};

/// What a method does, which decides what it needs from the caller's credential.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Sends a message (a task): the skill's scopes, amounts and accounts are enforced.
    Send,
    /// Reads or cancels existing tasks: a valid credential, when one is presented.
    Task,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Method {
    pub kind: Kind,
    /// Answered with server-sent events.
    pub streaming: bool,
}

/// The methods forwarded, A2A v1.0 names and their v0.3 equivalents. Anything else (push
/// notification configs, the extended card) is refused: it would let the agent reach clients,
/// or clients reach the agent, around the gateway.
pub fn method(name: &str) -> Option<Method> {
    let (kind, streaming) = match name {
        "SendMessage" | "message/send" => (Kind::Send, false),
        "SendStreamingMessage" | "message/stream" => (Kind::Send, true),
        "GetTask" | "tasks/get" | "ListTasks" | "tasks/list" | "CancelTask" | "tasks/cancel" => {
            (Kind::Task, false)
        }
        "SubscribeToTask" | "tasks/resubscribe" => (Kind::Task, true),
        _ => return None,
    };
    Some(Method { kind, streaming })
}

/// JSON-RPC 2.0 error codes, and the one Parapet uses for its refusals (the A2A specification
/// leaves authorization errors to the implementation; -32099..-32000 is for servers).
pub mod code {
    pub const PARSE_ERROR: i64 = -32700;
    pub const INVALID_REQUEST: i64 = -32600;
    pub const METHOD_NOT_FOUND: i64 = -32601;
    pub const INVALID_PARAMS: i64 = -32602;
    pub const INTERNAL_ERROR: i64 = -32603;
    /// Refused by Parapet: credential, policy or barrier. `data.reason` says which check.
    pub const REFUSED: i64 = -32040;
    /// The downstream agent could not be reached or answered badly.
    pub const AGENT_UNAVAILABLE: i64 = -32041;
    /// The audit record could not be written, so the call was not made (fail closed).
    pub const AUDIT_UNAVAILABLE: i64 = -32042;
}

/// An error to answer with: `{code, message, data: {reason}}`, `reason` a stable snake_case
/// code also written to the audit record.
#[derive(Debug, Clone, PartialEq)]
pub struct RpcError {
    pub code: i64,
    pub reason: &'static str,
    pub message: Box<str>,
    /// `approval_required`: the approval to retry with (in `data.approval_id`).
    pub approval_id: Option<Box<String>>,
}

impl RpcError {
    pub fn new(code: i64, reason: &'static str, message: impl Into<String>) -> Self {
        RpcError {
            code,
            reason,
            message: message.into().into_boxed_str(),
            approval_id: None,
        }
    }

    /// The JSON-RPC response object. The message starts with the reason code so clients that
    /// surface only the message still show which check refused.
    pub fn body(&self, id: &Value) -> Value {
        let mut data = json!({"reason": self.reason});
        if let (Some(a), Value::Object(d)) = (&self.approval_id, &mut data) {
            d.insert("approval_id".into(), json!(a));
        }
        json!({"jsonrpc": "2.0", "id": id, "error": {
            "code": self.code,
            "message": format!("{}: {}", self.reason, self.message),
            "data": data,
        }})
    }
}

/// A parsed request envelope.
#[derive(Debug, Clone, PartialEq)]
pub struct Request {
    pub id: Value,
    pub method: String,
    pub params: Value,
}

/// Parses a JSON-RPC 2.0 request; the error carries the id when one could be read.
pub fn parse(body: &[u8]) -> Result<Request, (Value, RpcError)> {
    let v: Value = serde_json::from_slice(body).map_err(|e| {
        (
            Value::Null,
            RpcError::new(
                code::PARSE_ERROR,
                "parse_error",
                format!("body is not JSON: {e}"),
            ),
        )
    })?;
    let invalid = |id: Value, what: &str| {
        (
            id,
            RpcError::new(code::INVALID_REQUEST, "invalid_request", what.to_string()),
        )
    };
    let Value::Object(mut obj) = v else {
        return Err(invalid(
            Value::Null,
            "a request is a JSON object (batches are not supported)",
        ));
    };
    let id = match obj.remove("id") {
        Some(id @ (Value::String(_) | Value::Number(_) | Value::Null)) => id,
        Some(_) => return Err(invalid(Value::Null, "'id' must be a string or a number")),
        None => Value::Null,
    };
    if obj.get("jsonrpc").and_then(Value::as_str) != Some("2.0") {
        return Err(invalid(id, "'jsonrpc' must be \"2.0\""));
    }
    let Some(Value::String(method)) = obj.remove("method") else {
        return Err(invalid(id, "'method' must be a string"));
    };
    let params = obj.remove("params").unwrap_or(Value::Null);
    if !matches!(params, Value::Object(_) | Value::Null) {
        return Err(invalid(id, "'params' must be an object"));
    }
    Ok(Request { id, method, params })
}

fn message(params: &Value) -> Option<&Value> {
    params.get("message")
}

/// The skill a message is for: `message.metadata.skill`, else `params.metadata.skill`.
/// A present value that is not a string is an error (`Err` with what was found).
pub fn skill_hint(params: &Value) -> Result<Option<&str>, String> {
    let found = message(params)
        .and_then(|m| m.get("metadata"))
        .and_then(|m| m.get("skill"))
        .or_else(|| params.get("metadata").and_then(|m| m.get("skill")));
    match found {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(other) => Err(format!("metadata.skill must be a string, not {other}")),
    }
}

fn parts(params: &Value) -> impl Iterator<Item = &Value> {
    message(params)
        .and_then(|m| m.get("parts"))
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
}

/// The payloads of the message's data parts (`{"data": ...}` in v1.0, `{"kind": "data",
/// "data": ...}` in v0.3).
pub fn data_parts(params: &Value) -> Vec<&Value> {
    parts(params).filter_map(|p| p.get("data")).collect()
}

/// The texts of the message's text parts.
pub fn text_parts(params: &Value) -> Vec<&str> {
    parts(params)
        .filter_map(|p| p.get("text").and_then(Value::as_str))
        .collect()
}

/// What a message says, for the classifiers: its text parts, then the string values inside its
/// data parts (keys are structure, not content).
pub fn message_texts(params: &Value) -> Vec<&str> {
    let mut out = Vec::new();
    for p in parts(params) {
        part_texts(p, &mut out);
    }
    out
}

fn part_texts<'v>(part: &'v Value, out: &mut Vec<&'v str>) {
    if let Some(t) = part.get("text").and_then(Value::as_str) {
        out.push(t);
    }
    if let Some(d) = part.get("data") {
        string_leaves(d, out);
    }
}

fn string_leaves<'v>(v: &'v Value, out: &mut Vec<&'v str>) {
    match v {
        Value::String(s) => out.push(s),
        Value::Array(a) => a.iter().for_each(|x| string_leaves(x, out)),
        Value::Object(o) => o.values().for_each(|x| string_leaves(x, out)),
        _ => {}
    }
}

/// What an answer or stream event tells the caller, for the classifiers: the parts of every
/// message, artifact and status in `result` (text, and the strings in data parts). Messages
/// with the user's role are skipped: a task's history repeats what the caller sent, which is
/// not something they receive.
pub fn answer_texts(response: &Value) -> Vec<&str> {
    response.get("result").map(texts_in).unwrap_or_default()
}

/// The texts of the parts anywhere in `v` (a result, an artifact), as `answer_texts` reads them.
pub fn texts_in(v: &Value) -> Vec<&str> {
    let mut out = Vec::new();
    answer_walk(v, &mut out);
    out
}

fn answer_walk<'v>(v: &'v Value, out: &mut Vec<&'v str>) {
    match v {
        Value::Object(o) => {
            let role = o.get("role").and_then(Value::as_str);
            if matches!(role, Some("user" | "ROLE_USER")) {
                return;
            }
            for (k, x) in o {
                match (k.as_str(), x) {
                    ("parts", Value::Array(parts)) => {
                        parts.iter().for_each(|p| part_texts(p, out));
                    }
                    _ => answer_walk(x, out),
                }
            }
        }
        Value::Array(a) => a.iter().for_each(|x| answer_walk(x, out)),
        _ => {}
    }
}

/// The state a task is in, normalized to the v0.3 spelling (`completed`, `input-required`):
/// v1.0 sends `TASK_STATE_COMPLETED`.
fn normalized_state(s: &str) -> String {
    let s = s.strip_prefix("TASK_STATE_").unwrap_or(s);
    s.to_ascii_lowercase().replace('_', "-")
}

/// Reads a response or stream event's `result` for the state a task reached, if it names one.
/// Events are JSON-RPC responses whose `result` is, in v1.0, one of `{task}`, `{message}`,
/// `{statusUpdate}`, `{artifactUpdate}`, and in v0.3 the object itself with a `kind`.
pub fn task_state(response: &Value) -> Option<String> {
    let result = response.get("result")?;
    let status = result
        .get("statusUpdate")
        .or_else(|| result.get("task"))
        .unwrap_or(result)
        .get("status")?;
    status.get("state")?.as_str().map(normalized_state)
}

/// Whether a stream event is the last one: an error, a message (an answer without a task), a
/// v0.3 `final` flag, or a task state that ends or interrupts the task.
pub fn is_final_event(event: &Value) -> bool {
    if event.get("error").is_some() {
        return true;
    }
    let Some(result) = event.get("result") else {
        return false;
    };
    if result.get("message").is_some()
        || result.get("kind").and_then(Value::as_str) == Some("message")
        || result.get("final").and_then(Value::as_bool) == Some(true)
    {
        return true;
    }
    matches!(
        task_state(event).as_deref(),
        Some("completed" | "failed" | "canceled" | "rejected" | "input-required" | "auth-required")
    )
}

#[cfg(test)]
mod tests;
