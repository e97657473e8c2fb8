//! How a test steers the mock: the unknown body field `mock` (or, for providers whose request
//! the gateway rewrites, a `[[mock {...}]]` directive inside the last user message).

use serde::Deserialize;
use serde_json::Value;

/// The steering of one request. Every field is optional; the default answers at once with an
/// echo of the last user message.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Steer {
    /// The assistant text (default: the last user message; or the concatenated `chunks`).
    pub reply: Option<String>,
    /// The content pieces of a stream, each sent as its own chunk.
    pub chunks: Option<Vec<String>>,
    /// The `data` of a stream's events, sent as they stand (`data: {s}`), each its own event,
    /// then `[DONE]`: a provider that writes JSON differently, or not at all.
    pub raw_events: Option<Vec<String>>,
    /// Pause before every content chunk but the first.
    pub chunk_delay_ms: u64,
    /// Pause before the response headers.
    pub delay_ms: u64,
    /// Answer with this status (an error body in the provider's shape).
    pub status: Option<u16>,
    /// With `status` (default 500): only the first N requests of `scenario` fail.
    pub fail_times: Option<u32>,
    pub scenario: Option<String>,
    /// Limit `status`, `fail_times`, `hang` and `delay_ms` to requests for these upstream models.
    pub fail_models: Option<Vec<String>>,
    /// Tool calls the assistant makes.
    pub tool_calls: Vec<ToolCallSpec>,
    /// The first of `tool_calls` made the legacy way: `function_call`, not `tool_calls`.
    pub legacy_function_call: bool,
    /// Never answer (until the client goes away).
    pub hang: bool,
    pub usage: Option<UsageSpec>,
    /// Report no usage at all (a provider that does not count), streamed or not.
    pub omit_usage: bool,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ToolCallSpec {
    pub name: String,
    #[serde(default)]
    pub arguments: Value,
}

#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UsageSpec {
    pub prompt_tokens: u64,
    pub completion_tokens: u64,
}

const DIRECTIVE: &str = "[[mock ";

impl Steer {
    /// Reads the steering of a request body: the `mock` field, else a directive in `last_user`.
    pub fn from_request(body: &Value, last_user: &str) -> Result<Steer, String> {
        if let Some(v) = body.get("mock") {
            return serde_json::from_value(v.clone()).map_err(|e| format!("bad `mock` field: {e}"));
        }
        match directive(last_user) {
            Some(json) => {
                serde_json::from_str(json).map_err(|e| format!("bad [[mock]] directive: {e}"))
            }
            None => Ok(Steer::default()),
        }
    }

    /// True when the failure knobs apply to a request for `model`.
    pub fn applies_to(&self, model: &str) -> bool {
        self.fail_models
            .as_ref()
            .is_none_or(|ms| ms.iter().any(|m| m == model))
    }

    /// The assistant text and its stream pieces.
    pub fn text_and_pieces(&self, last_user: &str) -> (String, Vec<String>) {
        let text = match (&self.reply, &self.chunks) {
            (Some(r), _) => r.clone(),
            (None, Some(c)) => c.concat(),
            (None, None) if !self.tool_calls.is_empty() => String::new(),
            (None, None) => last_user.to_owned(),
        };
        let pieces = match &self.chunks {
            Some(c) => c.clone(),
            None => text.split_inclusive(' ').map(str::to_owned).collect(),
        };
        (text, pieces)
    }
}

/// The JSON inside `[[mock {...}]]`, if the text holds one.
fn directive(text: &str) -> Option<&str> {
    let start = text.find(DIRECTIVE)? + DIRECTIVE.len();
    let end = text.rfind("]]")?;
    (end > start).then(|| &text[start..end])
}

/// Splits a string into pieces of at most `n` characters (tool-call arguments in streams).
pub fn small_pieces(s: &str, n: usize) -> Vec<String> {
    let chars: Vec<char> = s.chars().collect();
    chars.chunks(n.max(1)).map(|c| c.iter().collect()).collect()
}

/// The text of a message `content`: a string or an array of `{type: "text", text}` parts.
pub fn content_text(content: &Value) -> String {
    match content {
        Value::String(s) => s.clone(),
        Value::Array(parts) => parts
            .iter()
            .filter_map(|p| p.get("text").and_then(Value::as_str))
            .collect::<Vec<_>>()
            .join(""),
        _ => String::new(),
    }
}

/// The text of the last message with role `user` in `messages`.
pub fn last_user_text(body: &Value) -> String {
    body.get("messages")
        .and_then(Value::as_array)
        .and_then(|ms| {
            ms.iter()
                .rev()
                .find(|m| m.get("role").and_then(Value::as_str) == Some("user"))
        })
        .map(|m| content_text(m.get("content").unwrap_or(&Value::Null)))
        .unwrap_or_default()
}

/// A rough token count: whitespace-separated words, at least 1.
pub fn rough_tokens(text: &str) -> u64 {
    (text.split_whitespace().count() as u64).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn directive_in_the_user_message_steers_when_there_is_no_mock_field() {
        let s = Steer::from_request(
            &json!({}),
            r#"hello [[mock {"reply": "x", "chunks": ["a"]}]]"#,
        );
        let s = s.unwrap_or_default();
        assert_eq!(s.reply.as_deref(), Some("x"));
        assert_eq!(s.chunks, Some(vec!["a".to_owned()]));
    }

    #[test]
    fn unknown_steering_fields_are_refused_so_typos_do_not_pass_silently() {
        assert!(Steer::from_request(&json!({"mock": {"replly": "x"}}), "").is_err());
    }

    #[test]
    fn pieces_cover_the_whole_text() {
        let s = Steer::default();
        let (t, p) = s.text_and_pieces("one two three");
        assert_eq!(p.concat(), t);
        assert_eq!(p.len(), 3);
        assert_eq!(small_pieces("abcdefghij", 4), vec!["abcd", "efgh", "ij"]);
    }
}
