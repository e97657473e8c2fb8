//! JWT verification: HS256 with a shared secret, RS256/ES256 with a PEM key or a JWKS URL
//! (fetched, cached for `jwks_cache`, and re-fetched at most every 10 s for an unknown `kid`).

use std::sync::Arc;
use std::time::{Duration, Instant};

use arc_swap::ArcSwapOption;
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::Value;

use super::{Caller, CallerKind};
use crate::config::{JwtConfig, JwtKeySource};
use crate::error::ApiError;

const UNKNOWN_KID_REFETCH: Duration = Duration::from_secs(10);

pub struct JwtVerifier {
    cfg: JwtConfig,
    keys: Keys,
}

enum Keys {
    Hs256(DecodingKey),
    Pem { key: DecodingKey, alg: Algorithm },
    Jwks(Jwks),
}

struct Jwks {
    url: String,
    client: reqwest::Client,
    cached: ArcSwapOption<(JwkSet, Instant)>,
    ttl: Duration,
    refresh: tokio::sync::Mutex<()>,
}

impl JwtVerifier {
    pub fn new(cfg: JwtConfig) -> Result<Self, String> {
        let keys = match &cfg.keys {
            JwtKeySource::Hs256(s) => Keys::Hs256(DecodingKey::from_secret(s.expose().as_bytes())),
            JwtKeySource::Pem(pem) => match DecodingKey::from_rsa_pem(pem) {
                Ok(key) => Keys::Pem {
                    key,
                    alg: Algorithm::RS256,
                },
                Err(_) => match DecodingKey::from_ec_pem(pem) {
                    Ok(key) => Keys::Pem {
                        key,
                        alg: Algorithm::ES256,
                    },
                    Err(e) => {
                        return Err(format!(
                            "auth.jwt.public_key_file: not an RSA or EC public key: {e}"
                        ))
                    }
                },
            },
            JwtKeySource::Jwks(url) => Keys::Jwks(Jwks {
                url: url.clone(),
                client: reqwest::Client::builder()
                    .timeout(Duration::from_secs(5))
                    .build()
                    .map_err(|e| format!("auth.jwt.jwks_url: {e}"))?,
                cached: ArcSwapOption::empty(),
                ttl: cfg.jwks_cache,
                refresh: tokio::sync::Mutex::new(()),
            }),
        };
        Ok(JwtVerifier { cfg, keys })
    }

    /// Fetches the JWKS once at start so a wrong URL shows up in the log early.
    pub async fn warm_up(&self) -> Result<(), String> {
        if let Keys::Jwks(j) = &self.keys {
            j.fetch().await?;
        }
        Ok(())
    }

    pub async fn verify(&self, token: &str) -> Result<Caller, ApiError> {
        let header = jsonwebtoken::decode_header(token)
            .map_err(|e| ApiError::InvalidToken(e.to_string()))?;
        let (key, alg) = match &self.keys {
            Keys::Hs256(k) => (std::borrow::Cow::Borrowed(k), Algorithm::HS256),
            Keys::Pem { key, alg } => (std::borrow::Cow::Borrowed(key), *alg),
            Keys::Jwks(j) => {
                let key = j.key_for(header.kid.as_deref(), header.alg).await?;
                (std::borrow::Cow::Owned(key), header.alg)
            }
        };
        if !matches!(alg, Algorithm::HS256 | Algorithm::RS256 | Algorithm::ES256)
            || header.alg != alg
        {
            return Err(ApiError::InvalidToken(format!(
                "algorithm {:?} is not accepted",
                header.alg
            )));
        }
        let mut v = Validation::new(alg);
        v.leeway = self.cfg.leeway_s;
        v.validate_nbf = true;
        v.set_required_spec_claims(&["exp"]);
        match &self.cfg.issuer {
            Some(iss) => v.set_issuer(&[iss]),
            None => v.iss = None,
        }
        match &self.cfg.audience {
            Some(aud) => v.set_audience(&[aud]),
            None => v.validate_aud = false,
        }
        let data = jsonwebtoken::decode::<Value>(token, &key, &v).map_err(|e| match e.kind() {
            ErrorKind::ExpiredSignature => ApiError::TokenExpired,
            ErrorKind::ImmatureSignature => {
                ApiError::InvalidToken("token not valid yet (nbf)".into())
            }
            ErrorKind::InvalidAudience => ApiError::InvalidToken("wrong audience".into()),
            ErrorKind::InvalidIssuer => ApiError::InvalidToken("wrong issuer".into()),
            ErrorKind::InvalidSignature => ApiError::InvalidToken("bad signature".into()),
            ErrorKind::MissingRequiredClaim(c) => {
                ApiError::InvalidToken(format!("missing claim {c}"))
            }
            other => ApiError::InvalidToken(format!("{other:?}")),
        })?;
        self.caller(&data.claims)
    }

    fn caller(&self, claims: &Value) -> Result<Caller, ApiError> {
        let sub = claims
            .get(&self.cfg.subject_claim)
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .ok_or_else(|| {
                ApiError::InvalidToken(format!("missing claim {}", self.cfg.subject_claim))
            })?;
        let groups = match claims.get(&self.cfg.groups_claim) {
            Some(Value::Array(items)) => items
                .iter()
                .filter_map(Value::as_str)
                .map(String::from)
                .collect(),
            Some(Value::String(s)) => s
                .split([' ', ','])
                .filter(|g| !g.is_empty())
                .map(String::from)
                .collect(),
            _ => vec![],
        };
        // OIDC `amr` lists the methods used (`["pwd", "mfa"]`); a boolean claim says it directly.
        let mfa_verified = match claims.get(&self.cfg.mfa_claim) {
            Some(Value::Bool(b)) => Some(*b),
            Some(Value::Array(methods)) => Some(methods.iter().any(|m| m == "mfa")),
            _ => None,
        };
        Ok(Caller {
            kind: CallerKind::User,
            id: sub.to_string(),
            principal_id: Some(sub.to_string()),
            groups,
            roles: vec![],
            key_id: None,
            team: None,
            models: vec![],
            credential: None,
            mfa_verified,
        })
    }
}

impl Jwks {
    async fn fetch(&self) -> Result<Arc<(JwkSet, Instant)>, String> {
        let resp = self
            .client
            .get(&self.url)
            .send()
            .await
            .map_err(|e| format!("JWKS fetch failed: {e}"))?;
        if !resp.status().is_success() {
            return Err(format!("JWKS fetch answered {}", resp.status()));
        }
        let set: JwkSet = resp
            .json()
            .await
            .map_err(|e| format!("JWKS is not valid: {e}"))?;
        let entry = Arc::new((set, Instant::now()));
        self.cached.store(Some(entry.clone()));
        Ok(entry)
    }

    fn find(set: &JwkSet, kid: Option<&str>, alg: Algorithm) -> Option<DecodingKey> {
        let jwk = match kid {
            Some(kid) => set.find(kid)?,
            None if set.keys.len() == 1 => set.keys.first()?,
            None => return None,
        };
        if let Some(key_alg) = jwk.common.key_algorithm {
            if format!("{key_alg:?}") != format!("{alg:?}") {
                return None;
            }
        }
        DecodingKey::from_jwk(jwk).ok()
    }

    async fn key_for(&self, kid: Option<&str>, alg: Algorithm) -> Result<DecodingKey, ApiError> {
        let ttl_ok = |e: &Arc<(JwkSet, Instant)>, ttl: Duration| e.1.elapsed() < ttl;
        if let Some(entry) = self.cached.load_full() {
            if let Some(k) = Self::find(&entry.0, kid, alg) {
                if ttl_ok(&entry, self.ttl) {
                    return Ok(k);
                }
            } else if ttl_ok(&entry, UNKNOWN_KID_REFETCH) {
                return Err(ApiError::InvalidToken("unknown key id".into()));
            }
        }
        let _guard = self.refresh.lock().await;
        let entry = match self.cached.load_full() {
            Some(e) if e.1.elapsed() < Duration::from_millis(100) => e,
            _ => self.fetch().await.map_err(|e| {
                tracing::warn!(error = %e, "JWKS unavailable");
                ApiError::InvalidToken("signing keys unavailable".into())
            })?,
        };
        Self::find(&entry.0, kid, alg)
            .ok_or_else(|| ApiError::InvalidToken("unknown key id".into()))
    }
}
