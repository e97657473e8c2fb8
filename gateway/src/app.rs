//! Builds both routers. The middleware order is written here and nowhere else:
//! request id -> observe (metrics, log) -> authenticate (except `PUBLIC_ROUTES`) -> handler.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::{MatchedPath, Request, State};
use axum::http::HeaderValue;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::Router;
use metrics_exporter_prometheus::PrometheusHandle;
use parapet_classifiers::SecretDetector;
use serde_json::{Map, Value};

use crate::a2a::A2a;
use crate::aida::tools::ToolRules;
use crate::aida::Aida;
use crate::approvals::Approvals;
use crate::audit::call::CallDraft;
use crate::audit::Audit;
use crate::barriers::Guard;
use crate::config::Config;
use crate::error::ApiError;
use crate::examination::report::service::Reports;
use crate::examination::Examination;
use crate::identity::Identity;
use crate::policy::PolicyEngine;
use crate::providers::router::Router as ModelRouter;
use crate::routes;
use crate::store::Store;

/// The only routes that answer without identity, on either listener (route templates).
/// `/api/login` is where an administrator gets an identity (LDAP bind).
pub const PUBLIC_ROUTES: &[&str] = &[
    "/healthz",
    "/readyz",
    "/api/login",
    "/a2a/{agent_id}/.well-known/agent-card.json",
];

/// Admin routes a person may call with their own virtual key or JWT besides the admin token:
/// the decision API (agents' tools ask before acting) and approvals (approvers are people; the
/// admin token is a service identity and cannot approve).
pub const PERSON_ROUTES: &[&str] = &[
    "/api/v1/decisions/check",
    "/api/v1/decisions/batch",
    "/api/v1/approvals",
    "/api/v1/approvals/{id}",
    "/api/v1/approvals/{id}/approve",
    "/api/v1/approvals/{id}/deny",
];

fn is_person_route(req: &Request) -> bool {
    req.extensions()
        .get::<MatchedPath>()
        .is_some_and(|p| PERSON_ROUTES.contains(&p.as_str()))
}

/// Whether a request is for one of `PUBLIC_ROUTES`, by the route it matched.
fn is_public(req: &Request) -> bool {
    req.extensions()
        .get::<MatchedPath>()
        .is_some_and(|p| PUBLIC_ROUTES.contains(&p.as_str()))
}

pub struct AppState {
    pub cfg: Config,
    pub store: Arc<dyn Store>,
    pub identity: Identity,
    pub router: ModelRouter,
    pub metrics: Option<PrometheusHandle>,
    pub audit: Arc<Audit>,
    /// Agent credentials; `None` when AIDA is not enabled.
    pub aida: Option<Arc<Aida>>,
    pub tools: ToolRules,
    pub a2a: A2a,
    /// Classifier, barriers and supervision records.
    pub guard: Arc<Guard>,
    /// Policies, roles, bindings and grants, live.
    pub policy: Arc<PolicyEngine>,
    pub approvals: Arc<Approvals>,
    /// Pricing, inventory, spend, budgets and rate limits.
    pub exam: Arc<Examination>,
    /// Examination reports.
    pub reports: Reports,
    pub started_unix: i64,
    secrets: SecretDetector,
}

/// The request id (uuid v7) of a call, also sent back as `x-request-id`.
#[derive(Debug, Clone)]
pub struct RequestId(pub String);

impl AppState {
    #[expect(
        clippy::too_many_arguments,
        reason = "the services the app is built from, each made once at start"
    )]
    pub fn new(
        cfg: Config,
        store: Arc<dyn Store>,
        identity: Identity,
        router: ModelRouter,
        metrics: Option<PrometheusHandle>,
        audit: Arc<Audit>,
        aida: Option<Arc<Aida>>,
        guard: Arc<Guard>,
        policy: Arc<PolicyEngine>,
    ) -> Result<Self, String> {
        let tools = ToolRules::new(&cfg.aida);
        let secrets = SecretDetector::new().map_err(|e| format!("classifier: {e}"))?;
        let a2a = A2a::new(store.clone(), Duration::from_secs(5))?;
        let approvals = Arc::new(Approvals::new(policy.clone(), audit.clone()));
        approvals.spawn_sweeper();
        let exam = Arc::new(Examination::new(store.clone(), &cfg));
        let reports = Reports::new(
            store.clone(),
            audit.clone(),
            aida.is_some(),
            cfg.policies.enforce,
            guard.cfg().retention.as_secs() / 86_400,
        );
        Ok(AppState {
            cfg,
            store,
            identity,
            router,
            metrics,
            audit,
            aida,
            tools,
            a2a,
            guard,
            policy,
            approvals,
            exam,
            reports,
            started_unix: chrono::Utc::now().timestamp(),
            secrets,
        })
    }

    /// Counts prompts that carry credentials (`parapet_prompt_labels_total{label="secret"}`).
    pub fn label_prompt(&self, body: &Map<String, Value>) {
        let Some(messages) = body.get("messages").and_then(Value::as_array) else {
            return;
        };
        let found = messages
            .iter()
            .filter_map(|m| m.get("content"))
            .any(|c| match c {
                Value::String(s) => !self.secrets.find(s).is_empty(),
                Value::Array(parts) => parts
                    .iter()
                    .filter_map(|p| p.get("text").and_then(Value::as_str))
                    .any(|s| !self.secrets.find(s).is_empty()),
                _ => false,
            });
        if found {
            metrics::counter!("parapet_prompt_labels_total", "label" => "secret").increment(1);
        }
    }
}

pub fn proxy_router(state: Arc<AppState>) -> Router {
    let routes = Router::new()
        .route(
            "/v1/chat/completions",
            post(routes::proxy::chat_completions),
        )
        .route("/v1/embeddings", post(routes::proxy::embeddings))
        .route("/v1/models", get(routes::proxy::models))
        .route("/a2a/{agent_id}", post(routes::a2a::rpc))
        .route(
            "/a2a/{agent_id}/.well-known/agent-card.json",
            get(routes::a2a::card),
        )
        .route("/healthz", get(routes::health::healthz))
        .route("/readyz", get(routes::health::readyz))
        .fallback(not_found);
    layered(routes, state, Listener::Proxy)
}

pub fn admin_router(state: Arc<AppState>) -> Router {
    let routes = Router::new()
        .route(
            "/api/keys",
            post(routes::keys::create).get(routes::keys::list),
        )
        .route(
            "/api/keys/{id}",
            get(routes::keys::get).delete(routes::keys::revoke),
        )
        .route(
            "/api/aida/credentials",
            post(routes::aida::issue).get(routes::aida::list),
        )
        .route(
            "/api/aida/credentials/{id}",
            get(routes::aida::get).delete(routes::aida::revoke),
        )
        .route("/api/aida/verify", post(routes::aida::verify))
        .route(
            "/api/agents",
            post(routes::agents::create).get(routes::agents::list),
        )
        .route(
            "/api/agents/{id}",
            get(routes::agents::get)
                .put(routes::agents::replace)
                .delete(routes::agents::delete),
        )
        .route("/api/v1/decisions/check", post(routes::decisions::check))
        .route("/api/v1/decisions/batch", post(routes::decisions::batch))
        .route(
            "/api/v1/policies",
            post(routes::policies::create).get(routes::policies::list),
        )
        .route(
            "/api/v1/policies/{id}",
            get(routes::policies::get)
                .put(routes::policies::replace)
                .delete(routes::policies::delete),
        )
        .route(
            "/api/v1/policies/{id}/versions",
            get(routes::policies::versions),
        )
        .route("/api/v1/roles", get(routes::policies::roles))
        .route(
            "/api/v1/roles/{name}",
            get(routes::policies::role)
                .put(routes::policies::put_role)
                .delete(routes::policies::delete_role),
        )
        .route("/api/v1/role-bindings", get(routes::policies::bindings))
        .route(
            "/api/v1/role-bindings/{subject}",
            get(routes::policies::binding)
                .put(routes::policies::put_binding)
                .delete(routes::policies::delete_binding),
        )
        .route("/api/v1/approvals", get(routes::approvals::list))
        .route("/api/v1/approvals/{id}", get(routes::approvals::get))
        .route(
            "/api/v1/approvals/{id}/approve",
            post(routes::approvals::approve),
        )
        .route("/api/v1/approvals/{id}/deny", post(routes::approvals::deny))
        .route(
            "/api/v1/grants",
            post(routes::approvals::create_grant).get(routes::approvals::grants),
        )
        .route(
            "/api/v1/grants/{id}",
            get(routes::approvals::grant).delete(routes::approvals::revoke_grant),
        )
        .route(
            "/api/barriers",
            post(routes::barriers::create).get(routes::barriers::list),
        )
        .route(
            "/api/barriers/violations",
            get(routes::barriers::violations),
        )
        .route(
            "/api/barriers/violations/{id}/review",
            post(routes::barriers::review),
        )
        .route(
            "/api/barriers/attestation",
            get(routes::barriers::attestation),
        )
        .route(
            "/api/barriers/{id}",
            get(routes::barriers::get)
                .put(routes::barriers::replace)
                .delete(routes::barriers::delete),
        )
        .route("/api/watchlist", put(routes::classify::put_watchlist))
        .route("/api/classify", post(routes::classify::classify))
        .route("/api/login", post(routes::login::login))
        .route(
            "/api/examination/inventory",
            get(routes::examination::inventory),
        )
        .route(
            "/api/examination/inventory/{id}",
            get(routes::examination::entry).put(routes::examination::classify),
        )
        .route("/api/spend", get(routes::examination::spend))
        .route("/api/examination/report", post(routes::report::create))
        .route("/api/examination/report/{id}", get(routes::report::get))
        .route("/api/audit/events", get(routes::audit::events))
        .route("/api/audit/verify", get(routes::audit::verify))
        .route("/api/audit/export", get(routes::audit::export))
        .route("/api/audit/checkpoints", get(routes::audit::checkpoints))
        .route("/metrics", get(routes::health::metrics))
        .route("/healthz", get(routes::health::healthz))
        .route("/readyz", get(routes::health::readyz))
        .fallback(not_found);
    layered(routes, state, Listener::Admin)
}

#[derive(Clone, Copy)]
enum Listener {
    Proxy,
    Admin,
}

impl Listener {
    fn name(self) -> &'static str {
        match self {
            Listener::Proxy => "proxy",
            Listener::Admin => "admin",
        }
    }
}

/// The middleware order, outermost first: request id, observe, authenticate.
fn layered(routes: Router<Arc<AppState>>, state: Arc<AppState>, listener: Listener) -> Router {
    let routes = match listener {
        Listener::Proxy => routes.layer(middleware::from_fn_with_state(
            state.clone(),
            authenticate_proxy,
        )),
        Listener::Admin => routes.layer(middleware::from_fn_with_state(
            state.clone(),
            authenticate_admin,
        )),
    };
    routes
        .layer(middleware::from_fn(move |req, next| {
            observe(listener, req, next)
        }))
        .layer(middleware::from_fn(request_id))
        .with_state(state)
}

async fn request_id(mut req: Request, next: Next) -> Response {
    let id = uuid::Uuid::now_v7().to_string();
    req.extensions_mut().insert(RequestId(id.clone()));
    let mut resp = next.run(req).await;
    if let Ok(v) = HeaderValue::from_str(&id) {
        resp.headers_mut().insert("x-request-id", v);
    }
    resp
}

async fn observe(listener: Listener, req: Request, next: Next) -> Response {
    let start = Instant::now();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| "unmatched".into());
    let method = req.method().clone();
    let resp = next.run(req).await;
    let status = resp.status().as_u16();
    let elapsed = start.elapsed();
    metrics::counter!("parapet_requests_total", "listener" => listener.name(), "route" => route.clone(), "status" => status.to_string())
        .increment(1);
    metrics::histogram!("parapet_request_duration_seconds", "listener" => listener.name(), "route" => route.clone())
        .record(elapsed.as_secs_f64());
    tracing::debug!(listener = listener.name(), %method, route, status, elapsed_us = elapsed.as_micros() as u64, "request");
    resp
}

async fn authenticate_proxy(
    State(app): State<Arc<AppState>>,
    mut req: Request,
    next: Next,
) -> Response {
    if is_public(&req) {
        return next.run(req).await;
    }
    match app.identity.resolve(req.headers()).await {
        Ok(caller) => {
            req.extensions_mut().insert(caller);
            next.run(req).await
        }
        Err(e) => {
            // A refused call is a call too: it gets its record (or a 503 if none can be written).
            let path = req.uri().path();
            let kind = if path.starts_with("/a2a/") {
                "a2a.dispatch"
            } else {
                "llm.call"
            };
            let draft = CallDraft::of_kind(app.audit.clone(), None, path, kind);
            draft.commit_error(e).await.into_response()
        }
    }
}

async fn authenticate_admin(
    State(app): State<Arc<AppState>>,
    mut req: Request,
    next: Next,
) -> Response {
    if is_public(&req) {
        return next.run(req).await;
    }
    let resolved = match app.identity.resolve_admin(req.headers()).await {
        Err(ApiError::InvalidAdminToken) if is_person_route(&req) => {
            app.identity.resolve(req.headers()).await
        }
        other => other,
    };
    match resolved {
        Ok(caller) => {
            req.extensions_mut().insert(caller);
            next.run(req).await
        }
        Err(e) => e.into_response(),
    }
}

async fn not_found(req: Request) -> ApiError {
    ApiError::NotFound(format!(
        "no route for {} {}",
        req.method(),
        req.uri().path()
    ))
}
