//! `ApiError` and its one mapping to an HTTP status and an OpenAI-shaped body.
//!
//! Every error a client can see is a variant here; `into_response` is the only place where a
//! status code and an error `type`/`code` are chosen. Messages never contain secrets.

use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;

#[derive(Debug, Clone, thiserror::Error)]
pub enum ApiError {
    #[error("request body is not valid JSON: {0}")]
    InvalidJson(String),
    #[error("request body is not valid UTF-8 (invalid byte at offset {0})")]
    InvalidEncoding(usize),
    #[error("missing required field '{0}'")]
    MissingField(&'static str),
    #[error("field '{field}' must be {expected}")]
    InvalidType {
        field: String,
        expected: &'static str,
    },
    #[error("invalid value for '{field}': {reason}")]
    InvalidValue { field: String, reason: String },
    #[error("request body is larger than the limit of {limit} bytes")]
    TooLarge { limit: usize },
    #[error("the model '{0}' does not exist")]
    ModelNotFound(String),
    #[error("{0}")]
    NotFound(String),
    #[error("this key may not use the model '{0}'")]
    ModelNotAllowed(String),
    #[error("no credentials: send 'Authorization: Bearer <key or token>'")]
    MissingCredentials,
    #[error("invalid API key")]
    InvalidApiKey,
    #[error("invalid token: {0}")]
    InvalidToken(String),
    #[error("token expired")]
    TokenExpired,
    #[error("invalid admin token")]
    InvalidAdminToken,
    #[error("unknown agent credential")]
    InvalidCredential,
    /// The enforcer refused; `code` is its reason code (`credential_revoked`, ...).
    #[error("agent credential refused: {message}")]
    CredentialDenied { code: &'static str, message: String },
    #[error("tool call '{tool}' refused: {message}")]
    ToolCallDenied {
        tool: String,
        reason: &'static str,
        message: String,
    },
    #[error("agent credentials are not enabled: set AIDA_SIGNING_SECRET")]
    AidaDisabled,
    #[error("upstream unavailable: {0}")]
    UpstreamUnavailable(String),
    #[error("upstream error: {0}")]
    UpstreamError(String),
    #[error("upstream timed out: {0}")]
    UpstreamTimeout(String),
    #[error("upstream rate limited: {message}")]
    UpstreamRateLimited {
        message: String,
        retry_after: Option<u64>,
    },
    /// A 4xx answer of the upstream that the client must see as it is.
    #[error("upstream answered {status}")]
    UpstreamPassthrough { status: u16, body: bytes::Bytes },
    /// The detail is logged, not sent: it is internal (addresses, driver messages).
    #[error("the store is unavailable; the call was refused")]
    StoreUnavailable(String),
    #[error("the audit log is unavailable; the call was not answered")]
    AuditUnavailable(String),
    #[error("blocked by information barrier '{barrier}': restricted content ({labels})")]
    InformationBarrier { barrier: String, labels: String },
    #[error("a supervision record may not be reviewed by the user who triggered it")]
    SelfReview,
    #[error("the directory (LDAP) is unavailable; the call was refused")]
    LdapUnavailable(String),
    /// The directory does not know a user whose groups are needed (`ldap.unknown_user = "deny"`).
    #[error("{0} is not in the directory, so which side of an information barrier it stands on is unknown; the call was refused")]
    NotInDirectory(String),
    #[error("invalid username or password")]
    InvalidLogin,
    #[error("budget exceeded for {counter}; try again in {retry_after} s")]
    BudgetExceeded { counter: String, retry_after: u64 },
    #[error("rate limit reached for {counter}; try again in {retry_after} s")]
    RateLimited { counter: String, retry_after: u64 },
    #[error("{0}")]
    Conflict(String),
    /// A policy, role or policy set that would not load (the `PolicyError` display).
    #[error("{0}")]
    InvalidPolicy(String),
    /// A policy denied the call.
    #[error("denied by policy: {0}")]
    PolicyDenied(String),
    /// A policy requires a person's approval; the body carries `approval_id`.
    #[error("{message}")]
    ApprovalRequired {
        approval_id: String,
        message: String,
    },
    /// An `X-Parapet-Approval` that cannot be used for this call.
    #[error("{0}")]
    ApprovalInvalid(String),
    /// Refused for a reason named by `code` (approvers and other permission checks).
    #[error("{message}")]
    Forbidden { code: &'static str, message: String },
    #[error("internal error: {0}")]
    Internal(String),
}

impl ApiError {
    pub fn invalid_type(field: impl Into<String>, expected: &'static str) -> Self {
        ApiError::InvalidType {
            field: field.into(),
            expected,
        }
    }

    /// (status, OpenAI error `type`, `code`, `param`)
    fn parts(&self) -> (StatusCode, &'static str, &'static str, Option<String>) {
        use ApiError::*;
        const BAD: &str = "invalid_request_error";
        const AUTH: &str = "authentication_error";
        const API: &str = "api_error";
        match self {
            InvalidJson(_) => (StatusCode::BAD_REQUEST, BAD, "invalid_json", None),
            InvalidEncoding(_) => (StatusCode::BAD_REQUEST, BAD, "invalid_encoding", None),
            MissingField(f) => (
                StatusCode::BAD_REQUEST,
                BAD,
                "missing_field",
                Some((*f).into()),
            ),
            InvalidType { field, .. } => (
                StatusCode::BAD_REQUEST,
                BAD,
                "invalid_type",
                Some(field.clone()),
            ),
            InvalidValue { field, .. } => (
                StatusCode::BAD_REQUEST,
                BAD,
                "invalid_value",
                Some(field.clone()),
            ),
            TooLarge { .. } => (
                StatusCode::PAYLOAD_TOO_LARGE,
                BAD,
                "request_too_large",
                None,
            ),
            ModelNotFound(_) => (
                StatusCode::NOT_FOUND,
                BAD,
                "model_not_found",
                Some("model".into()),
            ),
            NotFound(_) => (StatusCode::NOT_FOUND, BAD, "not_found", None),
            ModelNotAllowed(_) => (
                StatusCode::FORBIDDEN,
                "permission_error",
                "model_not_allowed",
                Some("model".into()),
            ),
            MissingCredentials => (StatusCode::UNAUTHORIZED, AUTH, "missing_credentials", None),
            InvalidApiKey => (StatusCode::UNAUTHORIZED, AUTH, "invalid_api_key", None),
            InvalidToken(_) => (StatusCode::UNAUTHORIZED, AUTH, "invalid_token", None),
            TokenExpired => (StatusCode::UNAUTHORIZED, AUTH, "token_expired", None),
            InvalidAdminToken => (StatusCode::UNAUTHORIZED, AUTH, "invalid_admin_token", None),
            InvalidCredential => (StatusCode::UNAUTHORIZED, AUTH, "invalid_credential", None),
            CredentialDenied { code, .. } => {
                (StatusCode::FORBIDDEN, "permission_error", code, None)
            }
            ToolCallDenied { .. } => (
                StatusCode::FORBIDDEN,
                "permission_error",
                "tool_call_denied",
                None,
            ),
            AidaDisabled => (StatusCode::NOT_FOUND, BAD, "aida_disabled", None),
            UpstreamUnavailable(_) => (StatusCode::BAD_GATEWAY, API, "upstream_unavailable", None),
            UpstreamError(_) => (StatusCode::BAD_GATEWAY, API, "upstream_error", None),
            UpstreamTimeout(_) => (StatusCode::GATEWAY_TIMEOUT, API, "upstream_timeout", None),
            UpstreamRateLimited { .. } => (
                StatusCode::TOO_MANY_REQUESTS,
                "rate_limit_error",
                "upstream_rate_limited",
                None,
            ),
            UpstreamPassthrough { status, .. } => (
                StatusCode::from_u16(*status).unwrap_or(StatusCode::BAD_GATEWAY),
                API,
                "upstream_error",
                None,
            ),
            StoreUnavailable(_) => (
                StatusCode::SERVICE_UNAVAILABLE,
                API,
                "store_unavailable",
                None,
            ),
            AuditUnavailable(_) => (
                StatusCode::SERVICE_UNAVAILABLE,
                API,
                "audit_unavailable",
                None,
            ),
            InformationBarrier { .. } => (
                StatusCode::FORBIDDEN,
                "permission_error",
                "information_barrier",
                None,
            ),
            SelfReview => (
                StatusCode::FORBIDDEN,
                "permission_error",
                "self_review",
                Some("reviewer".into()),
            ),
            LdapUnavailable(_) => (
                StatusCode::SERVICE_UNAVAILABLE,
                API,
                "ldap_unavailable",
                None,
            ),
            NotInDirectory(_) => (
                StatusCode::FORBIDDEN,
                "permission_error",
                "not_in_directory",
                None,
            ),
            InvalidLogin => (StatusCode::UNAUTHORIZED, AUTH, "invalid_login", None),
            BudgetExceeded { .. } => (
                StatusCode::TOO_MANY_REQUESTS,
                "rate_limit_error",
                "budget_exceeded",
                None,
            ),
            RateLimited { .. } => (
                StatusCode::TOO_MANY_REQUESTS,
                "rate_limit_error",
                "rate_limited",
                None,
            ),
            Conflict(_) => (StatusCode::CONFLICT, BAD, "conflict", None),
            InvalidPolicy(_) => (
                StatusCode::UNPROCESSABLE_ENTITY,
                BAD,
                "invalid_policy",
                None,
            ),
            PolicyDenied(_) => (
                StatusCode::FORBIDDEN,
                "permission_error",
                "policy_denied",
                None,
            ),
            ApprovalRequired { .. } => (
                StatusCode::FORBIDDEN,
                "permission_error",
                "approval_required",
                None,
            ),
            ApprovalInvalid(_) => (
                StatusCode::FORBIDDEN,
                "permission_error",
                "approval_invalid",
                None,
            ),
            Forbidden { code, .. } => (StatusCode::FORBIDDEN, "permission_error", code, None),
            Internal(_) => (
                StatusCode::INTERNAL_SERVER_ERROR,
                API,
                "internal_error",
                None,
            ),
        }
    }

    pub fn status(&self) -> StatusCode {
        self.parts().0
    }

    pub fn code(&self) -> &'static str {
        self.parts().2
    }

    /// The OpenAI-shaped error body.
    pub fn body(&self) -> serde_json::Value {
        let (_, kind, code, param) = self.parts();
        let mut body = json!({"error": {"message": self.to_string(), "type": kind, "code": code, "param": param}});
        if let (ApiError::ApprovalRequired { approval_id, .. }, Some(err)) =
            (self, body.get_mut("error").and_then(|e| e.as_object_mut()))
        {
            err.insert("approval_id".into(), json!(approval_id));
        }
        body
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if let ApiError::StoreUnavailable(detail)
        | ApiError::AuditUnavailable(detail)
        | ApiError::LdapUnavailable(detail) = &self
        {
            tracing::error!(code = self.code(), %detail, "refusing the call: a dependency is unavailable");
        }
        if let ApiError::UpstreamPassthrough { status, body } = self {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_GATEWAY);
            let mut resp = (status, body).into_response();
            resp.headers_mut()
                .insert("content-type", HeaderValue::from_static("application/json"));
            return resp;
        }
        let status = self.status();
        let mut resp = (status, axum::Json(self.body())).into_response();
        let retry_after = match &self {
            ApiError::UpstreamRateLimited {
                retry_after: Some(s),
                ..
            }
            | ApiError::BudgetExceeded { retry_after: s, .. }
            | ApiError::RateLimited { retry_after: s, .. } => Some(*s),
            _ => None,
        };
        if let Some(s) = retry_after {
            if let Ok(v) = HeaderValue::from_str(&s.to_string()) {
                resp.headers_mut().insert("retry-after", v);
            }
        }
        resp
    }
}

#[cfg(test)]
mod tests;
