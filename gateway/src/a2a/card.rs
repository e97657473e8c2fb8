//! Agent cards as Parapet serves them: the downstream agent's own card with every endpoint
//! pointed at the gateway, so a client that resolves the card sends its tasks (and its
//! credentials) through Parapet and never straight to the agent.
//!
//! Only JSON-RPC is proxied, so interfaces of other bindings (gRPC, HTTP+JSON) are removed
//! rather than left pointing at the agent; push notifications and the extended card are not
//! proxied either and are switched off in the card. Signatures over the original card no longer
//! match and are dropped, as is the agent's ETag (the gateway sends none).

use serde_json::{Map, Value};

/// Where cards live under a base URL (A2A 0.3 and 1.0).
pub const WELL_KNOWN: &str = "/.well-known/agent-card.json";

const JSONRPC: &str = "JSONRPC";

fn is_jsonrpc(v: Option<&Value>) -> bool {
    v.and_then(Value::as_str)
        .is_some_and(|s| s.eq_ignore_ascii_case(JSONRPC) || s.eq_ignore_ascii_case("JSON-RPC"))
}

/// The agent's own JSON-RPC endpoint according to its card: a v1.0 `supportedInterfaces`
/// entry with binding `JSONRPC`, else the v0.3 top-level `url` when its preferred transport is
/// JSON-RPC (or unnamed), else an `additionalInterfaces` entry, else `base` itself.
pub fn jsonrpc_url(card: &Value, base: &str) -> String {
    let listed = |key: &str, binding: &str| {
        card.get(key)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .find(|i| is_jsonrpc(i.get(binding)))
            .and_then(|i| i.get("url"))
            .and_then(Value::as_str)
            .map(String::from)
    };
    let top = card.get("url").and_then(Value::as_str).filter(|_| {
        card.get("preferredTransport").is_none() || is_jsonrpc(card.get("preferredTransport"))
    });
    listed("supportedInterfaces", "protocolBinding")
        .or_else(|| top.map(String::from))
        .or_else(|| listed("additionalInterfaces", "transport"))
        .unwrap_or_else(|| base.to_string())
}

/// Rewrites `card` to point at `gateway_url` (see the module documentation).
pub fn rewrite(card: &mut Map<String, Value>, gateway_url: &str) {
    let point = |list: &mut Value, binding: &str| {
        if let Value::Array(items) = list {
            items.retain(|i| is_jsonrpc(i.get(binding)));
            for i in items.iter_mut() {
                if let Some(obj) = i.as_object_mut() {
                    obj.insert("url".into(), Value::String(gateway_url.to_string()));
                }
            }
        }
    };
    if let Some(list) = card.get_mut("supportedInterfaces") {
        point(list, "protocolBinding");
    }
    if let Some(list) = card.get_mut("additionalInterfaces") {
        point(list, "transport");
    }
    if card.contains_key("url") {
        card.insert("url".into(), Value::String(gateway_url.to_string()));
        card.insert("preferredTransport".into(), Value::String(JSONRPC.into()));
    }
    card.remove("signatures");
    card.remove("supportsAuthenticatedExtendedCard");
    if let Some(Value::Object(caps)) = card.get_mut("capabilities") {
        caps.insert("pushNotifications".into(), Value::Bool(false));
        caps.remove("extendedAgentCard");
    }
}

#[cfg(test)]
mod tests;
