//! Information barriers on A2A traffic (DESIGN §9: barriers on the parts both ways).
//!
//! Which side is whose. A message goes from the caller to the agent, and through the agent to
//! the agent's owner; an answer comes back to the caller. So:
//! - a message is checked against the barriers that apply to the caller, exactly like a chat
//!   prompt (a caller on a receiving side may not pass restricted content through the gateway
//!   at all), and against those that apply to the agent's owner (`AgentProfile.owner`, groups
//!   from the directory): an analyst's MNPI sent to an agent the trading desk owns crosses the
//!   wall although the analyst may hold it. The supervision record names the owner.
//! - an answer (a complete body, or each event of a stream) is checked against the caller's
//!   barriers, like a chat answer; for every method, since a task read returns its artifacts.
//!
//! What is classified: text parts, and the string values inside data parts (`rpc`). A Block
//! refuses with the JSON-RPC error of every A2A refusal (-32040, reason `information_barrier`);
//! Log and Alert pass and are recorded; any error while recording refuses.

use std::sync::Arc;

use axum::http::StatusCode;
use serde_json::Value;

use super::registry::AgentProfile;
use super::rpc::{self, code, RpcError};
use crate::app::AppState;
use crate::audit::call::CallDraft;
use crate::barriers::stream::{self, Channel, TextHold};
use crate::barriers::supervision::{Direction, Recipient};
use crate::barriers::{merge_response, Seen};
use crate::error::ApiError;
use crate::identity::Caller;

/// An error of a check before or after forwarding, as an A2A refusal: what Parapet refused is
/// HTTP 200 with -32040; an unavailable dependency (store, audit, directory) is 503 with -32042.
pub fn refusal_of(e: &ApiError) -> (StatusCode, RpcError) {
    let (status, code) = match e.status() {
        StatusCode::FORBIDDEN => (StatusCode::OK, code::REFUSED),
        StatusCode::SERVICE_UNAVAILABLE => {
            (StatusCode::SERVICE_UNAVAILABLE, code::AUDIT_UNAVAILABLE)
        }
        other => (other, code::AGENT_UNAVAILABLE),
    };
    (status, RpcError::new(code, e.code(), e.to_string()))
}

/// The agent's owner as a receiving side: their directory groups. `None` when no barrier is
/// defined, no directory is configured or the profile names no owner.
async fn owner(app: &AppState, profile: &AgentProfile) -> Result<Option<Recipient>, ApiError> {
    let (Some(ldap), false) = (app.identity.ldap(), app.guard.is_empty()) else {
        return Ok(None);
    };
    if profile.owner.is_empty() {
        return Ok(None);
    }
    let who = format!("the owner '{}' of agent '{}'", profile.owner, profile.id);
    let groups = ldap.groups(&profile.owner, &who).await?;
    Ok(Some(Recipient {
        id: profile.owner.clone(),
        groups: groups.to_vec(),
    }))
}

/// Checks an outgoing message (`params.message`) for the caller and the agent's owner; the
/// verdict goes into the record's `guardrails`.
pub async fn check_message(
    app: &AppState,
    caller: &Caller,
    profile: &AgentProfile,
    params: &Value,
    draft: &mut CallDraft,
) -> Result<(), ApiError> {
    let recipient = owner(app, profile).await?;
    let text = rpc::message_texts(params).join("\n");
    let request_id = draft.record.id.clone();
    let route = draft.request().route.clone();
    let seen = Seen {
        caller,
        direction: Direction::Prompt,
        route: &route,
        request_id: Some(&request_id),
        recipient: recipient.as_ref(),
    };
    let verdict = app.guard.inspect(text, &seen).await?;
    draft.record.guardrails = Some(verdict.guardrails());
    match verdict.refusal() {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

/// Checks a complete answer for the caller (nothing to do when no barrier applies to them).
pub async fn check_answer(
    app: &AppState,
    caller: &Caller,
    answer: Option<&Value>,
    draft: &mut CallDraft,
) -> Result<(), ApiError> {
    let Some(answer) = answer else {
        return Ok(());
    };
    if app.guard.applicable(&caller.groups).is_empty() {
        return Ok(());
    }
    let text = rpc::answer_texts(answer).join("\n");
    let request_id = draft.record.id.clone();
    let route = draft.request().route.clone();
    let seen = Seen {
        caller,
        direction: Direction::Response,
        route: &route,
        request_id: Some(&request_id),
        recipient: None,
    };
    let verdict = app.guard.inspect(text, &seen).await?;
    draft.record.guardrails = Some(merge_response(draft.record.guardrails.take(), &verdict));
    match verdict.refusal() {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

/// The hold of a streamed answer for the caller, or `None` when no barrier applies to them.
pub fn stream_hold(
    app: &Arc<AppState>,
    caller: &Caller,
    draft: &mut CallDraft,
) -> Option<TextHold> {
    let request_id = draft.record.id.clone();
    let route = draft.request().route.clone();
    TextHold::with_texts(&app.guard, caller, &route, Some(request_id), event_texts)
}

/// The texts of every A2A event in `events` (whole SSE events). An artifact update is read on
/// the channel of its artifact: with `append`, its first part continues the artifact's text (an
/// agent streaming tokens may cut a word between two updates); otherwise, and for its other
/// parts, the text starts a new line. Every other text (status messages, messages, tasks) is
/// read twice: as a line of its own, so the words of two parts never run together, and as the
/// continuation of the one before, since an agent may stream tokens as one status message
/// each and cut a word between two.
fn event_texts(events: &[u8], each: &mut dyn FnMut(Channel, &str)) {
    stream::events::event_data(events, |data| {
        stream::events::read_event(data, each, result_texts);
    })
}

/// The texts of one event (`event_texts`); false when it is not JSON.
fn result_texts(data: &[u8], each: &mut dyn FnMut(Channel, &str)) -> bool {
    let Ok(v) = serde_json::from_slice::<Value>(data) else {
        return false;
    };
    let Some((update, artifact, id)) = artifact_update(&v) else {
        for t in rpc::answer_texts(&v).into_iter().filter(|t| !t.is_empty()) {
            each(Channel::Named(String::new()), &format!("{t}\n"));
            each(Channel::Named("joined".into()), t);
        }
        return true;
    };
    let append = update.get("append").and_then(Value::as_bool) == Some(true);
    let channel = || Channel::Named(format!("artifact/{id}"));
    for (i, t) in rpc::texts_in(artifact).into_iter().enumerate() {
        let newline = if i == 0 && append { "" } else { "\n" };
        each(channel(), &format!("{newline}{t}"));
    }
    // The artifact's last chunk: its text ends here.
    if update.get("lastChunk").and_then(Value::as_bool) == Some(true) {
        each(channel(), "");
    }
    true
}

/// An artifact update event's update, artifact and artifact id: `result.artifactUpdate` in
/// v1.0, `result` with `kind: "artifact-update"` in v0.3.
fn artifact_update(event: &Value) -> Option<(&Value, &Value, &str)> {
    let result = event.get("result")?;
    let update = match result.get("artifactUpdate") {
        Some(u) => u,
        None if result.get("kind").and_then(Value::as_str) == Some("artifact-update") => result,
        None => return None,
    };
    let artifact = update.get("artifact")?;
    let id = artifact.get("artifactId").and_then(Value::as_str)?;
    Some((update, artifact, id))
}

#[cfg(test)]
mod tests;
