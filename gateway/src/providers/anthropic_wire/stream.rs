//! Anthropic Messages stream events -> OpenAI `chat.completion.chunk` objects.

use std::collections::HashMap;

use serde_json::{json, Value};

use super::*;

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
