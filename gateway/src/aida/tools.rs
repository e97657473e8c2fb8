//! Tool calls under an agent credential. Tools offered to the model are filtered to what the
//! credential covers (least-privilege tool discovery); tool calls the model returns are checked
//! (scope, amount against the cap, account against the allowlist) before they reach the client.

use std::collections::HashMap;

use serde_json::{Map, Value};

use super::credential::Credential;
use super::enforce::Action;
use super::requirement::Requirement;
use super::Aida;
use crate::config::{AidaConfig, ToolConfig, UnmappedTools};
use crate::error::ApiError;

pub struct ToolRules {
    tools: HashMap<String, ToolConfig>,
    unmapped: UnmappedTools,
}

fn function_name(tool: &Value) -> Option<&str> {
    tool.get("function")
        .and_then(|f| f.get("name"))
        .and_then(Value::as_str)
}

impl ToolRules {
    pub fn new(cfg: &AidaConfig) -> Self {
        ToolRules {
            tools: cfg
                .tools
                .iter()
                .map(|t| (t.name.clone(), t.clone()))
                .collect(),
            unmapped: cfg.unmapped_tools,
        }
    }

    /// Whether the credential may be offered `name` at all (its scope, before any amount).
    fn may_offer(&self, aida: &Aida, cred: &Credential, name: &str) -> bool {
        match self.tools.get(name) {
            Some(t) => aida
                .check(
                    cred,
                    &Action {
                        scope: Some(&t.scope),
                        amount_usd: None,
                        account_id: None,
                    },
                )
                .is_ok(),
            None => self.unmapped == UnmappedTools::Allow,
        }
    }

    /// Removes the tools the credential does not cover from the request; returns their names.
    /// A `tool_choice` that names a removed tool goes too.
    pub fn filter_offered(
        &self,
        aida: &Aida,
        cred: &Credential,
        body: &mut Map<String, Value>,
    ) -> Vec<String> {
        let mut removed = Vec::new();
        if let Some(Value::Array(tools)) = body.get_mut("tools") {
            tools.retain(|t| {
                let name = function_name(t).unwrap_or_default();
                let keep = self.may_offer(aida, cred, name);
                if !keep {
                    removed.push(name.to_string());
                }
                keep
            });
            if tools.is_empty() {
                body.remove("tools");
                body.remove("tool_choice");
                body.remove("parallel_tool_calls");
            }
        }
        let chosen = body
            .get("tool_choice")
            .and_then(function_name)
            .map(String::from);
        if chosen.is_some_and(|c| removed.contains(&c)) {
            body.remove("tool_choice");
        }
        // The legacy `functions` (each `{name, ...}`) and `function_call` (`{name}`), alike.
        let named = |f: &Value| f.get("name").and_then(Value::as_str).map(String::from);
        if let Some(Value::Array(functions)) = body.get_mut("functions") {
            functions.retain(|f| {
                let name = named(f).unwrap_or_default();
                let keep = self.may_offer(aida, cred, &name);
                if !keep {
                    removed.push(name);
                }
                keep
            });
            if functions.is_empty() {
                body.remove("functions");
                body.remove("function_call");
            }
        }
        let chosen = body.get("function_call").and_then(named);
        if chosen.is_some_and(|c| removed.contains(&c)) {
            body.remove("function_call");
        }
        removed
    }

    /// Checks one proposed tool call (`arguments` is the JSON text the model produced).
    pub fn check_call(
        &self,
        aida: &Aida,
        cred: &Credential,
        name: &str,
        arguments: &str,
    ) -> Result<(), ApiError> {
        let denied = |reason: &'static str, message: String| ApiError::ToolCallDenied {
            tool: name.to_string(),
            reason,
            message,
        };
        let Some(rule) = self.tools.get(name) else {
            return match self.unmapped {
                UnmappedTools::Allow => Ok(()),
                UnmappedTools::Deny => Err(denied(
                    "tool_not_mapped",
                    "no [[tools]] entry maps this tool to a scope".into(),
                )),
            };
        };
        let args: Value = if arguments.trim().is_empty() {
            Value::Object(Map::new())
        } else {
            serde_json::from_str(arguments).map_err(|e| {
                denied(
                    "arguments_malformed",
                    format!("arguments are not JSON: {e}"),
                )
            })?
        };
        let req = Requirement {
            scopes: std::slice::from_ref(&rule.scope),
            amount: rule.amount.as_ref(),
            account: rule.account.as_ref(),
        };
        aida.check_payload(cred, &req, &args)
            .map_err(|r| denied(r.code, r.message))
    }

    /// Checks every tool call in a complete chat completion; `Ok(n)` with how many were checked.
    pub fn check_answer(
        &self,
        aida: &Aida,
        cred: &Credential,
        body: &[u8],
    ) -> Result<usize, ApiError> {
        // An answer that cannot be read cannot be checked: refused, not passed on.
        let Ok(answer) = serde_json::from_slice::<Value>(body) else {
            return Err(ApiError::ToolCallDenied {
                tool: String::new(),
                reason: "answer_unreadable",
                message: "the model's answer is not JSON, so its tool calls cannot be checked"
                    .into(),
            });
        };
        let mut n = 0;
        for choice in answer
            .get("choices")
            .and_then(Value::as_array)
            .map(Vec::as_slice)
            .unwrap_or(&[])
        {
            let message = choice.get("message");
            let calls = message.and_then(|m| m.get("tool_calls"));
            let calls = calls.and_then(Value::as_array).map(Vec::as_slice);
            let functions = calls.unwrap_or(&[]).iter().map(|c| c.get("function"));
            // The legacy `function_call` is a call like any other.
            // (`null`, as some servers write an absent field, is no call.)
            let legacy = message.and_then(|m| m.get("function_call"));
            let legacy = legacy.filter(|f| !f.is_null());
            for function in functions.chain(legacy.map(Some)) {
                let text = |key| function.and_then(|f| f.get(key)).and_then(Value::as_str);
                self.check_call(
                    aida,
                    cred,
                    text("name").unwrap_or(""),
                    text("arguments").unwrap_or(""),
                )?;
                n += 1;
            }
        }
        Ok(n)
    }
}

#[cfg(test)]
mod tests;
