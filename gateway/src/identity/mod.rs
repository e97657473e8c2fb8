//! Who is calling: virtual keys, JWTs and the admin token resolve to a `Caller`.

use std::sync::Arc;

use axum::http::HeaderMap;
use serde::Serialize;

use crate::aida::credential::Credential;
use crate::aida::Aida;
use crate::error::ApiError;
use crate::secret::Secret;
use crate::store::Store;

pub mod jwt;
pub mod keys;
pub mod ldap;
pub mod sessions;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum CallerKind {
    User,
    Agent,
    Service,
}

/// The resolved identity of a call (DESIGN §3 step 1).
#[derive(Debug, Clone, Serialize)]
pub struct Caller {
    pub kind: CallerKind,
    pub id: String,
    pub principal_id: Option<String>,
    pub groups: Vec<String>,
    pub roles: Vec<String>,
    pub key_id: Option<String>,
    pub team: Option<String>,
    /// Model alias patterns this caller may use; empty means all.
    pub models: Vec<String>,
    /// The agent credential presented with the call, if any.
    #[serde(skip)]
    pub credential: Option<Arc<Credential>>,
    /// Whether the person authenticated with MFA, from the JWT's `auth.jwt.mfa_claim`; `None`
    /// when unknown (virtual keys), which makes a policy comparison on it false.
    #[serde(skip)]
    pub mfa_verified: Option<bool>,
}

impl Caller {
    pub fn admin() -> Caller {
        Caller {
            kind: CallerKind::Service,
            id: "admin".into(),
            principal_id: None,
            groups: vec![],
            roles: vec!["admin".into()],
            key_id: None,
            team: None,
            models: vec![],
            credential: None,
            mfa_verified: None,
        }
    }

    /// Whether this caller may use the model alias `model`.
    pub fn may_use_model(&self, model: &str) -> bool {
        self.models.is_empty()
            || self
                .models
                .iter()
                .any(|p| parapet_policies::pattern_matches(p, model))
    }
}

/// Resolves identities for both listeners.
pub struct Identity {
    keys: keys::KeyResolver,
    jwt: Option<jwt::JwtVerifier>,
    admin_token: Secret,
    aida: Option<Arc<Aida>>,
    ldap: Option<Arc<ldap::LdapGroups>>,
    sessions: sessions::Sessions,
}

/// The header that carries an agent credential beside a key or a JWT.
pub const CREDENTIAL_HEADER: &str = "x-agent-credential";

impl Identity {
    pub fn new(
        store: Arc<dyn Store>,
        jwt: Option<jwt::JwtVerifier>,
        admin_token: Secret,
        aida: Option<Arc<Aida>>,
    ) -> Self {
        Identity {
            sessions: sessions::Sessions::new(store.clone()),
            keys: keys::KeyResolver::new(store),
            jwt,
            admin_token,
            aida,
            ldap: None,
        }
    }

    /// Groups from the directory for key owners, token subjects and agents' principals.
    pub fn with_ldap(mut self, ldap: Option<Arc<ldap::LdapGroups>>) -> Self {
        self.ldap = ldap;
        self
    }

    pub fn ldap(&self) -> Option<&Arc<ldap::LdapGroups>> {
        self.ldap.as_ref()
    }

    pub fn sessions(&self) -> &sessions::Sessions {
        &self.sessions
    }

    /// Adds the directory groups of the caller (of its principal, for an agent).
    async fn with_directory_groups(&self, mut caller: Caller) -> Result<Caller, ApiError> {
        let Some(ldap) = &self.ldap else {
            return Ok(caller);
        };
        let user = caller
            .principal_id
            .clone()
            .unwrap_or_else(|| caller.id.clone());
        if user.is_empty() {
            return Ok(caller);
        }
        let who = format!("the caller's user '{user}'");
        for g in ldap.groups(&user, &who).await?.iter() {
            if !caller
                .groups
                .iter()
                .any(|have| have.eq_ignore_ascii_case(g))
            {
                caller.groups.push(g.clone());
            }
        }
        Ok(caller)
    }

    /// The credential named by `bearer`; the caller becomes the agent acting for its principal.
    async fn as_agent(&self, base: Option<Caller>, bearer: &str) -> Result<Caller, ApiError> {
        let aida = self.aida.as_ref().ok_or(ApiError::InvalidCredential)?;
        let cred = aida.resolve(bearer).await?;
        let mut caller = base.unwrap_or(Caller {
            kind: CallerKind::Agent,
            id: String::new(),
            principal_id: None,
            groups: vec![],
            roles: vec![],
            key_id: None,
            team: None,
            models: vec![],
            credential: None,
            mfa_verified: None,
        });
        caller.kind = CallerKind::Agent;
        caller.id = cred.agent_id.clone();
        caller.principal_id = Some(cred.principal_id.clone());
        caller.credential = Some(cred);
        Ok(caller)
    }

    pub fn keys(&self) -> &keys::KeyResolver {
        &self.keys
    }

    /// A proxy caller: `Authorization: Bearer pk-...` (virtual key), `Bearer <JWT>`, or
    /// `Bearer ac-...` (an agent credential alone); `X-Agent-Credential: ac-...` beside a key
    /// or JWT makes the caller that agent.
    pub async fn resolve(&self, headers: &HeaderMap) -> Result<Caller, ApiError> {
        let caller = self.resolve_token(headers).await?;
        self.with_directory_groups(caller).await
    }

    async fn resolve_token(&self, headers: &HeaderMap) -> Result<Caller, ApiError> {
        let token = bearer(headers).ok_or(ApiError::MissingCredentials)?;
        if token.starts_with(crate::aida::CRED_PREFIX) {
            return self.as_agent(None, token).await;
        }
        let base = if token.starts_with(keys::KEY_PREFIX) {
            self.keys.resolve(token).await?
        } else {
            match &self.jwt {
                Some(v) if token.matches('.').count() == 2 => v.verify(token).await?,
                Some(_) => return Err(ApiError::InvalidToken("not a JWT".into())),
                None => return Err(ApiError::InvalidApiKey),
            }
        };
        match headers.get(CREDENTIAL_HEADER) {
            None => Ok(base),
            Some(v) => {
                let cred = v.to_str().map_err(|_| ApiError::InvalidCredential)?.trim();
                self.as_agent(Some(base), cred).await
            }
        }
    }

    /// The admin listener accepts the admin token and sessions from `/api/login` (from the
    /// store: a session works on every instance).
    pub async fn resolve_admin(&self, headers: &HeaderMap) -> Result<Caller, ApiError> {
        let token = bearer(headers).ok_or(ApiError::MissingCredentials)?;
        if self.admin_token.matches(token) {
            return Ok(Caller::admin());
        }
        match self.sessions.get(token, chrono::Utc::now()).await? {
            Some(c) => Ok(c),
            None => Err(ApiError::InvalidAdminToken),
        }
    }
}

/// The bearer token of `Authorization`, or of `api-key` (Azure clients send that).
fn bearer(headers: &HeaderMap) -> Option<&str> {
    if let Some(v) = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    {
        let v = v.trim();
        let rest = v
            .strip_prefix("Bearer ")
            .or_else(|| v.strip_prefix("bearer "))?;
        let rest = rest.trim();
        return (!rest.is_empty()).then_some(rest);
    }
    headers
        .get("api-key")
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

#[cfg(test)]
mod tests;
