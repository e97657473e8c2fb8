//! OpenAI chat completions request -> Anthropic Messages request.

use serde_json::{json, Map, Value};

use super::*;

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
