//! OpenAI Chat Completions <-> Anthropic Messages (API version 2023-06-01), both directions,
//! non-streaming and streaming, tool calls included.
//!
//! Pure data in, data out: no I/O, no clock (the caller passes `created`). The HTTP side
//! (headers `x-api-key`, `anthropic-version`, SSE framing) belongs to the provider client.

use std::collections::HashMap;

use serde_json::{json, Map, Value};

use super::usage::Usage;

/// Anthropic requires `max_tokens`; OpenAI clients usually leave it out.
const DEFAULT_MAX_TOKENS: u64 = 4096;

#[derive(Debug, thiserror::Error)]
pub enum TranslateError {
    /// A message of the OpenAI request cannot be expressed for Anthropic (index, reason).
    #[error("messages[{0}]: {1}")]
    BadMessage(usize, String),
    /// A top-level request field is malformed or has no Anthropic equivalent (field, reason).
    #[error("{0}: {1}")]
    BadField(String, String),
    /// Anthropic sent a body or stream event this module cannot read.
    #[error("upstream sent {0}")]
    BadUpstream(String),
    /// Anthropic reported an error inside a stream (its `error.message`).
    #[error("upstream error: {0}")]
    Upstream(String),
}

fn bad_field(field: &str, reason: &str) -> TranslateError {
    TranslateError::BadField(field.to_owned(), reason.to_owned())
}

fn bad_upstream(what: &str) -> TranslateError {
    TranslateError::BadUpstream(what.to_owned())
}

/// `v[key]` as a string.
fn str_at<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key).and_then(Value::as_str)
}

/// Present and not `null`.
fn field<'a>(obj: &'a Map<String, Value>, key: &str) -> Option<&'a Value> {
    obj.get(key).filter(|v| !v.is_null())
}

// ---------------------------------------------------------------------------------------------
// Request: OpenAI chat -> Anthropic messages
// ---------------------------------------------------------------------------------------------

/// OpenAI chat request body (already validated: `messages` is an array of objects with `role`)
/// -> Anthropic request body. See the module tests for each mapping.
pub fn chat_to_messages(
    req: &Map<String, Value>,
    upstream_model: &str,
) -> Result<Value, TranslateError> {
    if let Some(n) = field(req, "n") {
        if n.as_u64() != Some(1) {
            return Err(bad_field(
                "n",
                "Anthropic returns a single choice; n must be 1",
            ));
        }
    }
    let messages = field(req, "messages")
        .and_then(Value::as_array)
        .ok_or_else(|| bad_field("messages", "must be an array"))?;

    let mut system: Vec<String> = Vec::new();
    let mut turns: Vec<(&'static str, Vec<Value>)> = Vec::new();
    for (i, msg) in messages.iter().enumerate() {
        let converted =
            convert_message(msg, &mut system).map_err(|e| TranslateError::BadMessage(i, e))?;
        let Some((role, blocks)) = converted else {
            continue;
        };
        if blocks.is_empty() {
            continue; // Anthropic rejects empty content; an empty OpenAI turn carries nothing.
        }
        // Consecutive same-role turns merge: this is what folds a run of `tool` messages (and
        // a user message following them) into one user turn with the tool_result blocks first.
        match turns.last_mut() {
            Some((last, prev)) if *last == role => prev.extend(blocks),
            _ => turns.push((role, blocks)),
        }
    }
    if turns.is_empty() {
        return Err(bad_field(
            "messages",
            "needs at least one user or assistant message",
        ));
    }

    let mut body = Map::new();
    body.insert("model".into(), upstream_model.into());
    body.insert("max_tokens".into(), max_tokens(req)?.into());
    if !system.is_empty() {
        body.insert("system".into(), system.join("\n\n").into());
    }
    let turns = turns
        .into_iter()
        .map(|(role, blocks)| json!({"role": role, "content": blocks}));
    body.insert("messages".into(), Value::Array(turns.collect()));

    if let Some(tools) = field(req, "tools") {
        let tools = tools
            .as_array()
            .ok_or_else(|| bad_field("tools", "must be an array"))?;
        let defs = tools
            .iter()
            .enumerate()
            .map(|(i, t)| tool_def(t).map_err(|e| bad_field(&format!("tools[{i}]"), &e)))
            .collect::<Result<Vec<_>, _>>()?;
        if !defs.is_empty() {
            body.insert("tools".into(), Value::Array(defs));
        }
    }
    let parallel = field(req, "parallel_tool_calls").and_then(Value::as_bool);
    if let Some(choice) = tool_choice(
        field(req, "tool_choice"),
        parallel,
        body.contains_key("tools"),
    )? {
        body.insert("tool_choice".into(), choice);
    }
    for key in ["temperature", "top_p"] {
        if let Some(v) = field(req, key) {
            if !v.is_number() {
                return Err(bad_field(key, "must be a number"));
            }
            body.insert(key.into(), v.clone());
        }
    }
    if let Some(stops) = stop_sequences(field(req, "stop"))? {
        body.insert("stop_sequences".into(), stops);
    }
    if let Some(user) = field(req, "user").and_then(Value::as_str) {
        body.insert("metadata".into(), json!({"user_id": user}));
    }
    if let Some(stream) = field(req, "stream").and_then(Value::as_bool) {
        body.insert("stream".into(), stream.into());
    }
    Ok(Value::Object(body))
}

fn max_tokens(req: &Map<String, Value>) -> Result<u64, TranslateError> {
    for key in ["max_completion_tokens", "max_tokens"] {
        if let Some(v) = field(req, key) {
            return v
                .as_u64()
                .filter(|n| *n > 0)
                .ok_or_else(|| bad_field(key, "must be a positive integer"));
        }
    }
    Ok(DEFAULT_MAX_TOKENS)
}

/// One OpenAI message -> `None` (system text, collected) or (Anthropic role, content blocks).
fn convert_message(
    msg: &Value,
    system: &mut Vec<String>,
) -> Result<Option<(&'static str, Vec<Value>)>, String> {
    let role = str_at(msg, "role").ok_or("role must be a string")?;
    let content = msg.get("content").unwrap_or(&Value::Null);
    match role {
        "system" | "developer" => {
            for block in content_blocks(content)? {
                match str_at(&block, "text") {
                    Some(text) => system.push(text.to_owned()),
                    None => return Err(format!("{role} content may only hold text")),
                }
            }
            Ok(None)
        }
        "user" => Ok(Some(("user", content_blocks(content)?))),
        "assistant" => {
            let mut blocks = content_blocks(content)?;
            if let Some(calls) = msg.get("tool_calls").filter(|v| !v.is_null()) {
                let calls = calls.as_array().ok_or("tool_calls must be an array")?;
                for (j, call) in calls.iter().enumerate() {
                    blocks.push(tool_use_block(call).map_err(|e| format!("tool_calls[{j}]: {e}"))?);
                }
            }
            Ok(Some(("assistant", blocks)))
        }
        "tool" => {
            let id =
                str_at(msg, "tool_call_id").ok_or("tool message needs a string tool_call_id")?;
            let mut block = Map::new();
            block.insert("type".into(), "tool_result".into());
            block.insert("tool_use_id".into(), id.into());
            match content {
                Value::String(s) if !s.is_empty() => {
                    block.insert("content".into(), s.as_str().into());
                }
                Value::Array(_) => {
                    block.insert("content".into(), Value::Array(content_blocks(content)?));
                }
                _ => {}
            }
            Ok(Some(("user", vec![Value::Object(block)])))
        }
        other => Err(format!("role {other:?} is not supported")),
    }
}

/// OpenAI `content` (string, array of parts, or null) -> Anthropic content blocks.
/// Empty text is dropped: Anthropic rejects empty text blocks.
fn content_blocks(content: &Value) -> Result<Vec<Value>, String> {
    let parts = match content {
        Value::Null => return Ok(Vec::new()),
        Value::String(s) if s.is_empty() => return Ok(Vec::new()),
        Value::String(s) => return Ok(vec![json!({"type": "text", "text": s})]),
        Value::Array(parts) => parts,
        _ => return Err("content must be a string, an array of parts, or null".into()),
    };
    let mut blocks = Vec::with_capacity(parts.len());
    for (k, part) in parts.iter().enumerate() {
        let kind = str_at(part, "type").unwrap_or_default();
        match kind {
            "text" | "refusal" => {
                let text = str_at(part, kind);
                let text = text.ok_or_else(|| format!("content[{k}].{kind} must be a string"))?;
                if !text.is_empty() {
                    blocks.push(json!({"type": "text", "text": text}));
                }
            }
            "image_url" => {
                blocks.push(image_block(part).map_err(|e| format!("content[{k}]: {e}"))?)
            }
            other => {
                return Err(format!(
                    "content[{k}]: part type {other:?} is not supported"
                ))
            }
        }
    }
    Ok(blocks)
}

/// `image_url` part -> image block: `data:` URLs become a base64 source, http(s) a url source.
fn image_block(part: &Value) -> Result<Value, String> {
    let url = match part.get("image_url") {
        Some(Value::String(s)) => s.as_str(),
        Some(obj) => str_at(obj, "url").ok_or("image_url.url must be a string")?,
        None => return Err("image_url is missing".into()),
    };
    let source = if let Some(rest) = url.strip_prefix("data:") {
        let (media_type, data) = rest
            .split_once(";base64,")
            .ok_or("image data URL must be base64 (data:<media type>;base64,<data>)")?;
        json!({"type": "base64", "media_type": media_type, "data": data})
    } else if url.starts_with("https://") || url.starts_with("http://") {
        json!({"type": "url", "url": url})
    } else {
        return Err("image_url.url must be an http(s) or base64 data URL".into());
    };
    Ok(json!({"type": "image", "source": source}))
}

/// Assistant `tool_calls[i]` -> `tool_use` block; the arguments JSON string becomes `input`.
fn tool_use_block(call: &Value) -> Result<Value, String> {
    let id = str_at(call, "id").ok_or("id must be a string")?;
    let func = call.get("function").ok_or("function is missing")?;
    let name = str_at(func, "name").ok_or("function.name must be a string")?;
    let input = match func.get("arguments") {
        None | Some(Value::Null) => json!({}),
        Some(Value::String(s)) if s.trim().is_empty() => json!({}),
        Some(Value::String(s)) => serde_json::from_str(s)
            .map_err(|e| format!("function.arguments is not valid JSON: {e}"))?,
        Some(other) => other.clone(),
    };
    if !input.is_object() {
        return Err("function.arguments must encode a JSON object".into());
    }
    Ok(json!({"type": "tool_use", "id": id, "name": name, "input": input}))
}

/// OpenAI `tools[i]` -> Anthropic tool definition. `strict` has no equivalent and is dropped.
fn tool_def(tool: &Value) -> Result<Value, String> {
    if str_at(tool, "type") != Some("function") {
        return Err("only tools of type \"function\" are supported".into());
    }
    let func = tool.get("function").ok_or("function is missing")?;
    let name = str_at(func, "name").ok_or("function.name must be a string")?;
    let schema = match func.get("parameters") {
        None | Some(Value::Null) => json!({"type": "object", "properties": {}}),
        Some(p @ Value::Object(_)) => p.clone(),
        Some(_) => return Err("function.parameters must be an object".into()),
    };
    let mut def = Map::new();
    def.insert("name".into(), name.into());
    if let Some(description) = str_at(func, "description") {
        def.insert("description".into(), description.into());
    }
    def.insert("input_schema".into(), schema);
    Ok(Value::Object(def))
}

/// `tool_choice` auto/none/required/{function:{name}} -> auto/none/any/{type:tool,name};
/// `parallel_tool_calls: false` -> `disable_parallel_tool_use: true`. Dropped without tools
/// (Anthropic rejects a tool_choice with no tools; clients often send `"none"` regardless).
fn tool_choice(
    choice: Option<&Value>,
    parallel: Option<bool>,
    has_tools: bool,
) -> Result<Option<Value>, TranslateError> {
    if !has_tools {
        return Ok(None);
    }
    let invalid = || bad_field("tool_choice", "must be auto, none, required or a function");
    let mut out = match choice {
        None => json!({"type": "auto"}),
        Some(Value::String(s)) => match s.as_str() {
            "auto" => json!({"type": "auto"}),
            "none" => json!({"type": "none"}),
            "required" => json!({"type": "any"}),
            _ => return Err(invalid()),
        },
        Some(obj) => {
            let name = obj
                .get("function")
                .and_then(|f| f.get("name"))
                .and_then(Value::as_str);
            json!({"type": "tool", "name": name.ok_or_else(invalid)?})
        }
    };
    let is_none = str_at(&out, "type") == Some("none");
    if parallel == Some(false) && !is_none {
        if let Some(obj) = out.as_object_mut() {
            obj.insert("disable_parallel_tool_use".into(), true.into());
        }
    } else if choice.is_none() {
        return Ok(None); // Anthropic's default is auto already.
    }
    Ok(Some(out))
}

/// `stop` (string or array of strings) -> `stop_sequences`; `None` when there is nothing to send.
fn stop_sequences(stop: Option<&Value>) -> Result<Option<Value>, TranslateError> {
    let invalid = || bad_field("stop", "must be a string or an array of strings");
    match stop {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(json!([s]))),
        Some(Value::Array(items)) if items.is_empty() => Ok(None),
        Some(Value::Array(items)) if items.iter().all(Value::is_string) => {
            Ok(Some(Value::Array(items.clone())))
        }
        Some(_) => Err(invalid()),
    }
}

// ---------------------------------------------------------------------------------------------
// Response: Anthropic message -> OpenAI chat.completion
// ---------------------------------------------------------------------------------------------

/// Anthropic `stop_reason` -> OpenAI `finish_reason`.
fn finish_reason(stop_reason: &str) -> &'static str {
    match stop_reason {
        "max_tokens" | "model_context_window_exceeded" => "length",
        "tool_use" => "tool_calls",
        "refusal" => "content_filter",
        // end_turn, stop_sequence, pause_turn, and reasons added later.
        _ => "stop",
    }
}

/// Anthropic usage counters. Streams report cumulative values, so each update overwrites.
#[derive(Debug, Clone, Copy, Default)]
struct RawUsage {
    input: u64,
    cache_read: u64,
    cache_creation: u64,
    output: u64,
}

impl RawUsage {
    fn update(&mut self, usage: Option<&Value>) {
        let Some(usage) = usage else { return };
        let fields = [
            ("input_tokens", &mut self.input),
            ("cache_read_input_tokens", &mut self.cache_read),
            ("cache_creation_input_tokens", &mut self.cache_creation),
            ("output_tokens", &mut self.output),
        ];
        for (key, slot) in fields {
            if let Some(n) = usage.get(key).and_then(Value::as_u64) {
                *slot = n;
            }
        }
    }

    /// Anthropic's `input_tokens` excludes cached tokens; OpenAI's `prompt_tokens` includes them.
    fn to_usage(self) -> Usage {
        Usage {
            prompt_tokens: self.input + self.cache_read + self.cache_creation,
            completion_tokens: self.output,
            cached_tokens: self.cache_read,
            estimated: false,
        }
    }
}

/// `id` and `name` of an Anthropic `tool_use` block.
fn id_and_name(block: &Value) -> Result<(&str, &str), TranslateError> {
    match (str_at(block, "id"), str_at(block, "name")) {
        (Some(id), Some(name)) => Ok((id, name)),
        _ => Err(bad_upstream("a tool_use block without id or name")),
    }
}

/// Anthropic non-streaming response -> OpenAI `chat.completion`, plus its usage.
/// Thinking and server-tool blocks have no Chat Completions equivalent and are skipped.
pub fn messages_to_chat(
    resp: &Value,
    model_label: &str,
    created: i64,
) -> Result<(Value, Usage), TranslateError> {
    let id = str_at(resp, "id").ok_or_else(|| bad_upstream("a message without an id"))?;
    let blocks = resp
        .get("content")
        .and_then(Value::as_array)
        .ok_or_else(|| bad_upstream("a message without a content array"))?;
    let mut text: Option<String> = None;
    let mut tool_calls = Vec::new();
    for block in blocks {
        match str_at(block, "type") {
            Some("text") => {
                let piece = str_at(block, "text").unwrap_or_default();
                text.get_or_insert_with(String::new).push_str(piece);
            }
            Some("tool_use") => {
                let (call_id, name) = id_and_name(block)?;
                let arguments = block
                    .get("input")
                    .map_or_else(|| "{}".to_owned(), Value::to_string);
                tool_calls.push(json!({
                    "id": call_id,
                    "type": "function",
                    "function": {"name": name, "arguments": arguments},
                }));
            }
            _ => {}
        }
    }
    let mut message = Map::new();
    message.insert("role".into(), "assistant".into());
    message.insert("content".into(), text.map_or(Value::Null, Value::String));
    if !tool_calls.is_empty() {
        message.insert("tool_calls".into(), Value::Array(tool_calls));
    }
    let stop = str_at(resp, "stop_reason").unwrap_or("end_turn");
    let mut raw = RawUsage::default();
    raw.update(resp.get("usage"));
    let usage = raw.to_usage();
    let body = json!({
        "id": format!("chatcmpl-{id}"),
        "object": "chat.completion",
        "created": created,
        "model": model_label,
        "choices": [{
            "index": 0,
            "message": message,
            "logprobs": null,
            "finish_reason": finish_reason(stop),
        }],
        "usage": usage.to_openai(),
    });
    Ok((body, usage))
}

/// Anthropic error body `{type: "error", error: {type, message}}` -> (OpenAI error `type`, message).
/// invalid_request_error and request_too_large -> invalid_request_error; authentication_error,
/// permission_error, not_found_error, rate_limit_error keep their names; the rest (api_error,
/// overloaded_error, unknown) -> server_error.
pub fn error_message(body: &Value) -> Option<(String, String)> {
    let error = body.get("error")?;
    let message = str_at(error, "message")?;
    let kind = match str_at(error, "type").unwrap_or_default() {
        "invalid_request_error" | "request_too_large" => "invalid_request_error",
        known @ ("authentication_error"
        | "permission_error"
        | "not_found_error"
        | "rate_limit_error") => known,
        _ => "server_error",
    };
    Some((kind.to_owned(), message.to_owned()))
}

// ---------------------------------------------------------------------------------------------
// Streaming: Anthropic SSE events -> OpenAI chat.completion.chunk objects
// ---------------------------------------------------------------------------------------------

/// Turns Anthropic SSE events into OpenAI `chat.completion.chunk` JSON objects, one event at a time.
#[derive(Debug)]
pub struct StreamTranslator {
    /// "chatcmpl-" + the Anthropic message id; empty until `message_start`.
    id: String,
    model: String,
    created: i64,
    include_usage: bool,
    usage: RawUsage,
    /// Anthropic content block index -> OpenAI tool call index.
    tool_index: HashMap<u64, usize>,
    finished: bool,
}

impl StreamTranslator {
    /// `include_usage`: the client asked for `stream_options.include_usage`; then every chunk
    /// carries `usage: null` and a final chunk with `choices: []` and `usage` is emitted.
    pub fn new(model_label: &str, created: i64, include_usage: bool) -> Self {
        StreamTranslator {
            id: String::new(),
            model: model_label.to_owned(),
            created,
            include_usage,
            usage: RawUsage::default(),
            tool_index: HashMap::new(),
            finished: false,
        }
    }

    /// Feed one SSE event (`event:` name if any, the `data:` payload). Returns zero or more
    /// OpenAI chunk objects to send, in order. Events after `message_stop`, `ping`,
    /// `content_block_stop` and unknown event types yield nothing.
    pub fn on_event(
        &mut self,
        event: Option<&str>,
        data: &str,
    ) -> Result<Vec<Value>, TranslateError> {
        let data = data.trim();
        if self.finished || data.is_empty() {
            return Ok(Vec::new());
        }
        let payload: Value = serde_json::from_str(data).map_err(|e| {
            TranslateError::BadUpstream(format!("a stream event that is not JSON: {e}"))
        })?;
        let kind = str_at(&payload, "type").or(event).unwrap_or_default();
        if kind == "error" || event == Some("error") {
            let message = error_message(&payload).map_or_else(|| data.to_owned(), |(_, m)| m);
            return Err(TranslateError::Upstream(message));
        }
        if kind == "message_start" {
            let message = payload.get("message");
            let id = message.and_then(|m| m.get("id")).and_then(Value::as_str);
            let id = id.ok_or_else(|| bad_upstream("a message_start without message.id"))?;
            self.id = format!("chatcmpl-{id}");
            self.usage.update(message.and_then(|m| m.get("usage")));
            return Ok(vec![
                self.chunk(json!({"role": "assistant", "content": ""}), None)
            ]);
        }
        let known = matches!(
            kind,
            "content_block_start" | "content_block_delta" | "message_delta" | "message_stop"
        );
        if known && self.id.is_empty() {
            return Err(TranslateError::BadUpstream(format!(
                "{kind} before message_start"
            )));
        }
        let index = payload.get("index").and_then(Value::as_u64);
        let delta = match kind {
            "content_block_start" => self.block_start(index, payload.get("content_block"))?,
            "content_block_delta" => self.block_delta(index, payload.get("delta"))?,
            "message_delta" => {
                self.usage.update(payload.get("usage"));
                let stop = payload
                    .get("delta")
                    .and_then(|d| d.get("stop_reason"))
                    .and_then(Value::as_str);
                return Ok(stop
                    .map(|s| self.chunk(json!({}), Some(finish_reason(s))))
                    .into_iter()
                    .collect());
            }
            "message_stop" => {
                self.finished = true;
                return Ok(self
                    .include_usage
                    .then(|| self.usage_chunk())
                    .into_iter()
                    .collect());
            }
            _ => None,
        };
        Ok(delta.map(|d| self.chunk(d, None)).into_iter().collect())
    }

    /// `content_block_start` -> the delta to send, if any.
    fn block_start(
        &mut self,
        index: Option<u64>,
        block: Option<&Value>,
    ) -> Result<Option<Value>, TranslateError> {
        let block =
            block.ok_or_else(|| bad_upstream("a content_block_start without content_block"))?;
        match str_at(block, "type") {
            Some("text") => {
                let text = str_at(block, "text").unwrap_or_default();
                Ok((!text.is_empty()).then(|| json!({"content": text})))
            }
            Some("tool_use") => {
                let index =
                    index.ok_or_else(|| bad_upstream("a content_block_start without index"))?;
                let (id, name) = id_and_name(block)?;
                let tool = self.tool_index.len();
                self.tool_index.insert(index, tool);
                // The start block normally holds `input: {}` and the JSON follows in deltas.
                let arguments = match block.get("input") {
                    Some(Value::Object(o)) if !o.is_empty() => Value::Object(o.clone()).to_string(),
                    _ => String::new(),
                };
                Ok(Some(json!({"tool_calls": [{
                    "index": tool,
                    "id": id,
                    "type": "function",
                    "function": {"name": name, "arguments": arguments},
                }]})))
            }
            _ => Ok(None), // thinking, server tool blocks: nothing to show in Chat Completions.
        }
    }

    /// `content_block_delta` -> the delta to send, if any.
    fn block_delta(
        &self,
        index: Option<u64>,
        delta: Option<&Value>,
    ) -> Result<Option<Value>, TranslateError> {
        let delta = delta.ok_or_else(|| bad_upstream("a content_block_delta without delta"))?;
        match str_at(delta, "type") {
            Some("text_delta") => {
                let text = str_at(delta, "text").unwrap_or_default();
                Ok((!text.is_empty()).then(|| json!({"content": text})))
            }
            Some("input_json_delta") => {
                let tool = index.and_then(|i| self.tool_index.get(&i)).copied();
                let tool = tool
                    .ok_or_else(|| bad_upstream("an input_json_delta outside a tool_use block"))?;
                let partial = str_at(delta, "partial_json").unwrap_or_default();
                Ok((!partial.is_empty()).then(
                    || json!({"tool_calls": [{"index": tool, "function": {"arguments": partial}}]}),
                ))
            }
            _ => Ok(None), // thinking_delta, signature_delta, citations_delta.
        }
    }

    fn chunk(&self, delta: Value, finish_reason: Option<&str>) -> Value {
        let mut chunk = self.envelope();
        let choice =
            json!({"index": 0, "delta": delta, "finish_reason": finish_reason, "logprobs": null});
        chunk.insert("choices".into(), Value::Array(vec![choice]));
        if self.include_usage {
            chunk.insert("usage".into(), Value::Null);
        }
        Value::Object(chunk)
    }

    fn usage_chunk(&self) -> Value {
        let mut chunk = self.envelope();
        chunk.insert("choices".into(), Value::Array(Vec::new()));
        chunk.insert("usage".into(), self.usage.to_usage().to_openai());
        Value::Object(chunk)
    }

    fn envelope(&self) -> Map<String, Value> {
        let mut chunk = Map::new();
        chunk.insert("id".into(), self.id.as_str().into());
        chunk.insert("object".into(), "chat.completion.chunk".into());
        chunk.insert("created".into(), self.created.into());
        chunk.insert("model".into(), self.model.as_str().into());
        chunk
    }

    /// Usage seen so far (input from message_start, output from message_delta).
    pub fn usage(&self) -> Usage {
        self.usage.to_usage()
    }

    /// True once message_stop was seen.
    pub fn finished(&self) -> bool {
        self.finished
    }
}

#[cfg(test)]
mod tests;
