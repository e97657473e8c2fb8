//! Token usage as reported by an upstream (or estimated), in OpenAI's terms.

use serde::{Deserialize, Serialize};

/// Token counts of one call. `cached_tokens` is the part of `prompt_tokens` served from the
/// provider's prompt cache (OpenAI `prompt_tokens_details.cached_tokens`, Anthropic
/// `cache_read_input_tokens`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Usage {
    pub prompt_tokens: u64,
    pub completion_tokens: u64,
    pub cached_tokens: u64,
    /// True when the upstream gave no usage and the counts were estimated.
    pub estimated: bool,
}

impl Usage {
    pub fn total_tokens(&self) -> u64 {
        self.prompt_tokens + self.completion_tokens
    }

    /// Reads an OpenAI-shaped `usage` object; `None` when it is absent, null or not an object.
    pub fn from_openai(value: &serde_json::Value) -> Option<Usage> {
        let obj = value.as_object()?;
        let get = |k: &str| obj.get(k).and_then(serde_json::Value::as_u64).unwrap_or(0);
        let cached = obj
            .get("prompt_tokens_details")
            .and_then(|d| d.get("cached_tokens"))
            .and_then(serde_json::Value::as_u64)
            .unwrap_or(0);
        Some(Usage {
            prompt_tokens: get("prompt_tokens"),
            completion_tokens: get("completion_tokens"),
            cached_tokens: cached,
            estimated: false,
        })
    }

    /// The OpenAI-shaped `usage` object for a response body.
    pub fn to_openai(&self) -> serde_json::Value {
        serde_json::json!({
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "total_tokens": self.total_tokens(),
            "prompt_tokens_details": {"cached_tokens": self.cached_tokens},
        })
    }
}
