//! `/v1/*`: the OpenAI-compatible API. Each handler opens the call's audit draft, runs the
//! pipeline, and commits the record before answering (success or failure alike).

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::response::{IntoResponse, Response};
use axum::Extension;

use super::json_body;
use crate::app::AppState;
use crate::audit::call::{sha256_hex, CallDraft};
use crate::barriers::stream::TextHold;
use crate::barriers::supervision::Direction;
use crate::barriers::{answer_text, merge_response, Seen};
use crate::error::ApiError;
use crate::identity::Caller;
use crate::pipeline::chat;
use crate::pipeline::tool_hold::{CallCheck, ToolHold};
use crate::policy::gate::CallHeaders;
use crate::providers::router::Routed;
use crate::providers::Reply;

pub async fn chat_completions(
    State(app): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
    req: Request,
) -> Response {
    const ROUTE: &str = "/v1/chat/completions";
    let mut draft = CallDraft::new(app.audit.clone(), Some(&caller), ROUTE);
    let headers = CallHeaders::read(req.headers(), &app.cfg.policies);
    let routed = async {
        let (body, raw) = json_body(req, app.cfg.server.max_body_bytes).await?;
        draft.request().prompt_sha256 = Some(sha256_hex(&raw));
        chat::chat_completions(&app, &caller, &headers, body, &mut draft).await
    }
    .await;
    finish(&app, &caller, routed, ROUTE, draft).await
}

pub async fn embeddings(
    State(app): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
    req: Request,
) -> Response {
    const ROUTE: &str = "/v1/embeddings";
    let mut draft = CallDraft::new(app.audit.clone(), Some(&caller), ROUTE);
    let headers = CallHeaders::read(req.headers(), &app.cfg.policies);
    let routed = async {
        let (body, raw) = json_body(req, app.cfg.server.max_body_bytes).await?;
        draft.request().prompt_sha256 = Some(sha256_hex(&raw));
        chat::embeddings(&app, &caller, &headers, body, &mut draft).await
    }
    .await;
    finish(&app, &caller, routed, ROUTE, draft).await
}

/// Commits the record and answers; for an agent, the tool calls of a complete answer are
/// checked against its credential first, and a refused one ends the call with 403.
async fn finish(
    app: &Arc<AppState>,
    caller: &Caller,
    routed: Result<Routed, ApiError>,
    route: &'static str,
    mut draft: CallDraft,
) -> Response {
    let routed = match routed {
        Ok(r) => check_answer(app, caller, route, r, &mut draft).await,
        Err(e) => Err(e),
    };
    let routed = routed.and_then(|r| {
        if let (Some(cred), Some(aida), Reply::Json { body, .. }) =
            (caller.credential.as_deref(), &app.aida, &r.reply)
        {
            app.tools.check_answer(aida, cred, body)?;
        }
        Ok(r)
    });
    // Streamed tool calls of an agent are held until complete and checked the same way.
    let hold = match (&caller.credential, &app.aida) {
        (Some(cred), Some(_)) => {
            let (app, cred) = (app.clone(), cred.clone());
            let check: CallCheck = Box::new(move |name: &str, args: &str| match &app.aida {
                Some(aida) => app.tools.check_call(aida, &cred, name, args),
                None => Err(ApiError::InvalidCredential),
            });
            Some(ToolHold::new(check))
        }
        _ => None,
    };
    let text = match &routed {
        Ok(Routed {
            reply: Reply::Stream(_),
            ..
        }) if route == "/v1/chat/completions" => {
            TextHold::for_caller(&app.guard, caller, route, Some(draft.record.id.clone()))
        }
        _ => None,
    };
    match routed {
        Ok(r) => match chat::respond(r, route, draft, hold, text).await {
            Ok(resp) => resp,
            Err(e) => e.into_response(),
        },
        Err(e) => draft.commit_error(e).await.into_response(),
    }
}

/// A complete chat answer for a caller behind a barrier: classified, recorded, refused on Block.
async fn check_answer(
    app: &AppState,
    caller: &Caller,
    route: &'static str,
    r: Routed,
    draft: &mut CallDraft,
) -> Result<Routed, ApiError> {
    let Reply::Json { body, .. } = &r.reply else {
        return Ok(r);
    };
    if route != "/v1/chat/completions" || app.guard.applicable(&caller.groups).is_empty() {
        return Ok(r);
    }
    let request_id = draft.record.id.clone();
    let seen = Seen {
        caller,
        direction: Direction::Response,
        route,
        request_id: Some(&request_id),
        recipient: None,
    };
    let verdict = app.guard.inspect(answer_text(body), &seen).await?;
    draft.record.guardrails = Some(merge_response(draft.record.guardrails.take(), &verdict));
    match verdict.refusal() {
        Some(e) => Err(e),
        None => Ok(r),
    }
}

pub async fn models(
    State(app): State<Arc<AppState>>,
    Extension(caller): Extension<Caller>,
) -> Response {
    chat::models(&app, &caller)
}
