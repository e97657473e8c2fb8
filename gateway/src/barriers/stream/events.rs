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
/// The channel whose empty text says a choice finished (its texts are all there).
pub const FINISHED: u8 = 5;
/// `reasoning`, as some OpenAI-compatible servers name `reasoning_content`.
const REASONING: u8 = 6;

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
    #[serde(borrow, default)]
    finish_reason: Option<Cow<'a, str>>,
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
    reasoning: Option<Cow<'a, str>>,
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
/// on its channel; false (and nothing called) when `json` is not such an answer.
fn answer_texts(json: &[u8], each: &mut dyn FnMut(Channel, &str)) -> bool {
    let Ok(answer) = serde_json::from_slice::<Answer<'_>>(json) else {
        return false;
    };
    if answer.choices.is_none() {
        // Not a chat answer (an error, say): read as it stands.
        return false;
    }
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
        text(REASONING, 0, &m.reasoning);
        for (k, call) in m.tool_calls.iter().flatten().enumerate() {
            if let Some(f) = &call.function {
                text(TOOL, call.index.unwrap_or(k as u64), &f.arguments);
            }
        }
        if let Some(f) = &m.function_call {
            text(FUNCTION, 0, &f.arguments);
        }
    }
    for (i, c) in answer.choices.iter().flatten().enumerate() {
        if c.finish_reason.is_some() {
            let choice = c.index.unwrap_or(i as u64);
            let field = FINISHED;
            each(
                Channel::Chat {
                    choice,
                    field,
                    tool: 0,
                },
                "",
            );
        }
    }
    true
}

/// The texts of a complete chat answer, one per line: every text field of every choice's
/// message, or the body as it stands when it is not a chat answer.
pub fn answer_text(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let mut out = String::new();
    let read = answer_texts(text.as_bytes(), &mut |_, s| {
        if s.is_empty() {
            return;
        }
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
/// joined by newlines).
pub fn event_data(events: &[u8], mut each: impl FnMut(&[u8])) {
    // The event's first data line, and all of them joined once there is a second.
    let mut first: Option<&[u8]> = None;
    let mut joined: Option<Vec<u8>> = None;
    let mut rest = events;
    while !rest.is_empty() {
        let (line, next) = match memchr::memchr(b'\n', rest) {
            Some(at) => (&rest[..at], &rest[at + 1..]),
            None => (rest, &[][..]),
        };
        rest = next;
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if let Some(d) = line.strip_prefix(b"data:") {
            let d = d.strip_prefix(b" ").unwrap_or(d);
            match (&first, &mut joined) {
                (None, _) => first = Some(d),
                (Some(f), None) => joined = Some([f, &b"\n"[..], d].concat()),
                (Some(_), Some(j)) => {
                    j.push(b'\n');
                    j.extend_from_slice(d);
                }
            }
        }
        // An event ends at a blank line (or with the bytes).
        if !line.is_empty() && !rest.is_empty() {
            continue;
        }
        match (first.take(), joined.take()) {
            (_, Some(j)) => each(&j),
            (Some(f), None) if !f.is_empty() => each(f),
            _ => {}
        }
    }
}

/// How a protocol reads the texts out of one event's `data`: false, having called nothing,
/// when it cannot.
pub type Read = fn(&[u8], &mut dyn FnMut(Channel, &str)) -> bool;

/// Reads one event's `data` with `read`: as it stands, else with replacement characters where
/// it is not UTF-8; what `read` cannot read either way (but `[DONE]`) is a line of its own on
/// the `Raw` channel, scanned as it stands.
pub fn read_event(data: &[u8], each: &mut dyn FnMut(Channel, &str), read: Read) {
    if read(data, each) {
        return;
    }
    let text = String::from_utf8_lossy(data);
    if matches!(text, Cow::Owned(_)) && read(text.as_bytes(), each) {
        return;
    }
    if text.trim() != "[DONE]" {
        each(Channel::Raw, &format!("{text}\n"));
    }
}

/// The texts of the events of a chat completion stream: per choice, the `delta`'s `content`,
/// `refusal` and `reasoning_content`, and the arguments of each tool call, each on a channel
/// of its own.
pub fn deltas(events: &[u8], each: &mut dyn FnMut(Channel, &str)) {
    event_data(events, |data| read_event(data, each, answer_texts));
}
