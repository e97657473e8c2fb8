//! Chat completions, embeddings and the model list, from a parsed body to a response.

use axum::body::Body;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Map, Value};

use super::body::{check_chat, check_embeddings};
use super::relay::Relay;
use super::tool_hold::ToolHold;
use crate::aida::credential::Credential;
use crate::aida::enforce::Action;
use crate::app::AppState;
use crate::audit::call::{sha256_hex, CallDraft};
use crate::audit::record::ResponseInfo;
use crate::barriers::stream::TextHold;
use crate::barriers::supervision::Direction;
use crate::barriers::{embeddings_text, prompt_text, Seen};
use crate::error::ApiError;
use crate::examination::settle::{header_value, CallCost};
use crate::examination::tokens;
use crate::identity::Caller;
use crate::policy::gate::{self, Call, CallHeaders};
use crate::providers::router::{CallSpec, Routed};
use crate::providers::{Endpoint, Reply};

/// The alias must exist and the caller may use it (unknown before forbidden, like OpenAI).
fn authorize_model(app: &AppState, caller: &Caller, model: &str) -> Result<(), ApiError> {
    if !app.router.has(model) {
        return Err(ApiError::ModelNotFound(model.to_string()));
    }
    if !caller.may_use_model(model) {
        return Err(ApiError::ModelNotAllowed(model.to_string()));
    }
    Ok(())
}

/// Budget and rate limits (DESIGN §3 step 5): reserves the call's estimated cost and tokens
/// for the caller's key, user and team, or refuses it. The draft carries the reservation to
/// its settlement (or its release, when the call fails or is dropped).
async fn reserve(
    app: &AppState,
    caller: &Caller,
    model: &str,
    body: &Map<String, Value>,
    draft: &mut CallDraft,
) -> Result<(), ApiError> {
    let prompt = tokens::prompt(body);
    let reservation = if app.exam.has_limits() {
        let models = app.router.models_of(model);
        app.exam
            .reserve(caller, &models, prompt, tokens::max_output(body))
            .await?
    } else {
        None
    };
    draft.cost = Some(CallCost::new(app.exam.clone(), reservation, prompt));
    Ok(())
}

/// An agent's credential must pass the enforcer (revocation, expiry, fingerprint) on every
/// call; the audit record carries the credential and whether it was verified.
fn check_credential<'c>(
    app: &AppState,
    caller: &'c Caller,
    draft: &mut CallDraft,
) -> Result<Option<&'c Credential>, ApiError> {
    let Some(cred) = caller.credential.as_deref() else {
        return Ok(None);
    };
    draft.record.aida_credential_id = Some(cred.id.clone());
    let aida = app.aida.as_ref().ok_or(ApiError::InvalidCredential)?;
    let verdict = aida.check(
        cred,
        &Action {
            scope: None,
            amount_usd: None,
            account_id: None,
        },
    );
    draft.record.aida_scope_verified = Some(verdict.is_ok());
    verdict?;
    Ok(Some(cred))
}

/// The policy check of a model call (`[policies] enforce`), about the model alias and its
/// providers, bound to the SHA-256 of the request body.
async fn check_policy(
    app: &AppState,
    caller: &Caller,
    headers: &CallHeaders,
    action: &'static str,
    model: &str,
    draft: &mut CallDraft,
) -> Result<(), ApiError> {
    if !app.cfg.policies.enforce {
        return Ok(());
    }
    let body_sha256 = draft.request().prompt_sha256.clone().unwrap_or_default();
    let route = draft.request().route.clone();
    let owners = app.router.owners(model);
    let mut attrs = Map::new();
    attrs.insert("provider".into(), json!(owners.first()));
    attrs.insert("providers".into(), json!(owners));
    let call = Call {
        action,
        resource_type: "model",
        resource_id: model,
        attrs,
        body_sha256: &body_sha256,
        route: &route,
    };
    gate::authorize(app, caller, headers, call, draft).await
}

pub async fn chat_completions(
    app: &AppState,
    caller: &Caller,
    headers: &CallHeaders,
    mut body: Map<String, Value>,
    draft: &mut CallDraft,
) -> Result<Routed, ApiError> {
    let view = check_chat(&body)?;
    draft.request().model_requested = Some(view.model.clone());
    draft.request().stream = view.stream;
    authorize_model(app, caller, &view.model)?;
    let cred = check_credential(app, caller, draft)?;
    check_policy(app, caller, headers, "llm.chat.create", &view.model, draft).await?;
    if let (Some(cred), Some(aida)) = (cred, &app.aida) {
        let removed = app.tools.filter_offered(aida, cred, &mut body);
        if !removed.is_empty() {
            tracing::info!(agent = %cred.agent_id, ?removed, "tools not covered by the credential were not offered");
        }
    }
    app.label_prompt(&body);
    check_prompt(
        app,
        caller,
        "/v1/chat/completions",
        prompt_text(&body),
        draft,
    )
    .await?;
    reserve(app, caller, &view.model, &body, draft).await?;
    if view.stream {
        // Ask for usage in the stream whatever the client asked; the relay strips it again.
        let opts = body.entry("stream_options").or_insert_with(|| json!({}));
        if let Value::Object(o) = opts {
            o.insert("include_usage".into(), Value::Bool(true));
        }
    }
    let spec = CallSpec {
        endpoint: Endpoint::Chat,
        stream: view.stream,
        client_wants_usage: view.client_wants_usage,
        model_label: &view.model,
    };
    let routed = app.router.send(&view.model, body, &spec).await?;
    draft.request().provider = Some(routed.provider.clone());
    draft.request().model_served = Some(routed.model_served.clone());
    Ok(routed)
}

/// Classifies a prompt's `text` against the caller's barriers: the verdict goes into the
/// call's record (`guardrails`), and a Block refuses the call.
async fn check_prompt(
    app: &AppState,
    caller: &Caller,
    route: &'static str,
    text: String,
    draft: &mut CallDraft,
) -> Result<(), ApiError> {
    let request_id = draft.record.id.clone();
    let seen = Seen {
        caller,
        direction: Direction::Prompt,
        route,
        request_id: Some(&request_id),
        recipient: None,
    };
    let verdict = app.guard.inspect(text, &seen).await?;
    draft.record.guardrails = Some(verdict.guardrails());
    match verdict.refusal() {
        Some(e) => Err(e),
        None => Ok(()),
    }
}

pub async fn embeddings(
    app: &AppState,
    caller: &Caller,
    headers: &CallHeaders,
    body: Map<String, Value>,
    draft: &mut CallDraft,
) -> Result<Routed, ApiError> {
    let model = check_embeddings(&body)?;
    draft.request().model_requested = Some(model.clone());
    authorize_model(app, caller, &model)?;
    check_credential(app, caller, draft)?;
    check_policy(app, caller, headers, "llm.embeddings.create", &model, draft).await?;
    // The input is a prompt like any other: classified, and checked against the barriers.
    let text = match embeddings_text(&body) {
        Some(t) => t,
        None if app.guard.applicable(&caller.groups).is_empty() => String::new(),
        None => {
            return Err(ApiError::invalid_type(
                "input",
                "text: token ids cannot be classified, and an information barrier applies to \
                 this caller",
            ))
        }
    };
    check_prompt(app, caller, "/v1/embeddings", text, draft).await?;
    reserve(app, caller, &model, &body, draft).await?;
    let spec = CallSpec {
        endpoint: Endpoint::Embeddings,
        stream: false,
        client_wants_usage: false,
        model_label: &model,
    };
    let routed = app.router.send(&model, body, &spec).await?;
    draft.request().provider = Some(routed.provider.clone());
    draft.request().model_served = Some(routed.model_served.clone());
    Ok(routed)
}

/// The cost of a complete (non-streaming) answer in USD; streams carry it in an SSE comment
/// before `data: [DONE]` (see `relay`).
pub const COST_HEADER: &str = "x-parapet-cost-usd";

pub fn models(app: &AppState, caller: &Caller) -> Response {
    let data: Vec<Value> = app
        .router
        .aliases()
        .filter(|m| caller.may_use_model(m))
        .map(|m| json!({"id": m, "object": "model", "created": app.started_unix, "owned_by": app.router.owners(m).join(",")}))
        .collect();
    axum::Json(json!({"object": "list", "data": data})).into_response()
}

/// Turns a routed answer into the response, committing its audit record before the last byte:
/// now for a complete body, before `[DONE]` for a stream.
pub async fn respond(
    routed: Routed,
    route: &'static str,
    mut draft: CallDraft,
    hold: Option<ToolHold>,
    text: Option<TextHold>,
) -> Result<Response, ApiError> {
    let Routed {
        reply,
        provider,
        model_served,
        alias_served,
    } = routed;
    let mut resp = match reply {
        Reply::Json {
            body,
            usage,
            finish_reason,
        } => {
            if usage.is_none() {
                if let Some(c) = draft.cost.as_mut() {
                    c.note_answer(&body);
                }
            }
            draft.set_usage(usage);
            let cost = draft.settle();
            let response = ResponseInfo {
                status: 200,
                finish_reason,
                response_sha256: Some(sha256_hex(&body)),
                ..ResponseInfo::default()
            };
            draft.commit(response).await?;
            let mut r = (StatusCode::OK, body).into_response();
            r.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            );
            if let Some(v) = cost.and_then(|c| HeaderValue::from_str(&header_value(c)).ok()) {
                r.headers_mut().insert(COST_HEADER, v);
            }
            r
        }
        Reply::Stream(events) => {
            let mut r = Response::new(Body::from_stream(
                Relay::new(events, route, provider.clone(), Some(draft), hold).with_text_hold(text),
            ));
            let h = r.headers_mut();
            h.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/event-stream"),
            );
            h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
            h.insert("x-accel-buffering", HeaderValue::from_static("no"));
            r
        }
    };
    let h = resp.headers_mut();
    for (name, value) in [
        ("x-parapet-provider", provider),
        ("x-parapet-model", model_served),
        ("x-parapet-alias", alias_served),
    ] {
        if let Ok(v) = HeaderValue::from_str(&value) {
            h.insert(name, v);
        }
    }
    Ok(resp)
}
