//! Reading the texts a client receives out of a chat answer: a complete body, or the SSE events
//! of a stream. The JSON is read into borrowed shapes that keep only the text fields (no value
//! tree per event), and it is read as a client reads it: whitespace and escaped keys make no
//! difference. What cannot be read that way is read as it stands: a body or a `data` field that
//! is not JSON, or that has a text field of another type or twice, is scanned whole (with
//! replacement characters for bytes that are not UTF-8), since it reaches the client all the
//! same.

use std::borrow::Cow;

use serde::Deserialize;

use super::Channel;

/// The text fields of a chat answer's message (or delta), in `Channel::Chat`'s `field` order;
/// a tool call's arguments are the field `TOOL`.
pub const MESSAGE_TEXTS: [&str; 3] = ["content", "refusal", "reasoning_content"];
pub const TOOL: u8 = 3;
const FUNCTION: u8 = 4;

#[derive(Deserialize)]
struct Answer<'a> {
    #[serde(borrow, default)]
    choices: Option<Vec<Choice<'a>>>,
}

#[derive(Deserialize)]
struct Choice<'a> {
    #[serde(default)]
    index: Option<u64>,
    /// `message` in a complete answer, `delta` in a stream chunk.
    #[serde(borrow, default, alias = "delta")]
    message: Option<Message<'a>>,
}

#[derive(Deserialize)]
struct Message<'a> {
    #[serde(borrow, default)]
    content: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    refusal: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    reasoning_content: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    tool_calls: Option<Vec<ToolCall<'a>>>,
    #[serde(borrow, default)]
    function_call: Option<Function<'a>>,
}

#[derive(Deserialize)]
struct ToolCall<'a> {
    #[serde(default)]
    index: Option<u64>,
    #[serde(borrow, default)]
    function: Option<Function<'a>>,
}

#[derive(Deserialize)]
struct Function<'a> {
    #[serde(borrow, default)]
    arguments: Option<Cow<'a, str>>,
}

/// Calls `each` with every non-empty text of every choice of a chat answer or chunk (`json`),
/// on its channel; false when `json` is not such an answer.
fn answer_texts(json: &str, each: &mut dyn FnMut(Channel, &str)) -> bool {
    let Ok(answer) = serde_json::from_str::<Answer<'_>>(json) else {
        return false;
    };
    for (i, c) in answer.choices.iter().flatten().enumerate() {
        let choice = c.index.unwrap_or(i as u64);
        let Some(m) = &c.message else {
            continue;
        };
        let mut text = |field: u8, tool: u64, s: &Option<Cow<'_, str>>| {
            if let Some(s) = s.as_deref().filter(|s| !s.is_empty()) {
                each(
                    Channel::Chat {
                        choice,
                        field,
                        tool,
                    },
                    s,
                );
            }
        };
        text(0, 0, &m.content);
        text(1, 0, &m.refusal);
        text(2, 0, &m.reasoning_content);
        for (k, call) in m.tool_calls.iter().flatten().enumerate() {
            if let Some(f) = &call.function {
                text(TOOL, call.index.unwrap_or(k as u64), &f.arguments);
            }
        }
        if let Some(f) = &m.function_call {
            text(FUNCTION, 0, &f.arguments);
        }
    }
    true
}

/// The texts of a complete chat answer, one per line: every text field of every choice's
/// message, or the body as it stands when it is not a chat answer.
pub fn answer_text(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let mut out = String::new();
    let read = answer_texts(&text, &mut |_, s| {
        if !out.is_empty() {
            out.push('\n');
        }
        out.push_str(s);
    });
    if read {
        out
    } else {
        text.into_owned()
    }
}

/// Calls `each` with the `data` of every SSE event in `events` (whole events; its `data` lines
/// joined by newlines), read with replacement characters where the bytes are not UTF-8.
pub fn event_data(events: &[u8], mut each: impl FnMut(&str)) {
    let text = match std::str::from_utf8(events) {
        Ok(s) => Cow::Borrowed(s),
        Err(_) => String::from_utf8_lossy(events),
    };
    // The event's first data line, and all of them joined once there is a second.
    let mut first: Option<&str> = None;
    let mut joined: Option<String> = None;
    let mut lines = text.lines().peekable();
    while let Some(line) = lines.next() {
        if let Some(d) = line.strip_prefix("data:") {
            let d = d.strip_prefix(' ').unwrap_or(d);
            match (&first, &mut joined) {
                (None, _) => first = Some(d),
                (Some(f), None) => joined = Some(format!("{f}\n{d}")),
                (Some(_), Some(j)) => {
                    j.push('\n');
                    j.push_str(d);
                }
            }
        }
        // An event ends at a blank line (or with the bytes).
        if !line.is_empty() && lines.peek().is_some() {
            continue;
        }
        match (first.take(), joined.take()) {
            (_, Some(j)) => each(&j),
            (Some(f), None) if !f.is_empty() => each(f),
            _ => {}
        }
    }
}

/// Calls `each` with a `data` field that is not `[DONE]` and that `read` could not read, as it
/// stands (a line of its own on the `Raw` channel).
pub fn read_or_raw(data: &str, read: bool, each: &mut dyn FnMut(Channel, &str)) {
    if !read && data.trim() != "[DONE]" {
        each(Channel::Raw, &format!("{data}\n"));
    }
}

/// The texts of the events of a chat completion stream: per choice, the `delta`'s `content`,
/// `refusal` and `reasoning_content`, and the arguments of each tool call, each on a channel
/// of its own.
pub fn deltas(events: &[u8], each: &mut dyn FnMut(Channel, &str)) {
    event_data(events, |data| {
        let read = answer_texts(data, each);
        read_or_raw(data, read, each);
    });
}
