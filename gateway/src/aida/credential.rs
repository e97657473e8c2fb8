//! Agent credentials (AIDA): scopes, the credential record, its fingerprint, and issuance.
//!
//! Pure: no I/O, no clock reads. The caller passes `now`, the signing secret, the public id and
//! the bearer secret; this module only checks and computes.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Duration, Utc};
use hmac::{Hmac, Mac};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use sha2::{Digest, Sha256};

type HmacSha256 = Hmac<Sha256>;

/// Longest `principal_id`, `agent_id` or account id accepted at issue.
pub const MAX_ID_CHARS: usize = 256;
/// Longest lifetime of a credential, counted from its issue.
pub const MAX_LIFETIME_DAYS: i64 = 366;
/// Longest name after `custom:`.
pub const MAX_CUSTOM_SCOPE_CHARS: usize = 64;

/// What a credential lets an agent do. Scopes match exactly: none implies another.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Scope {
    ReadOnly,
    QueryAccountData,
    InitiateTransfers,
    InitiatePayments,
    ExecuteTrades,
    SubmitFilings,
    /// `custom:{name}`, the name 1-64 characters of `[a-z0-9_.-]`.
    Custom(String),
}

/// A scope string that is not one of the wire names.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScopeError {
    #[error(
        "unknown scope \"{0}\" (expected read_only, query_account_data, initiate_transfers, \
         initiate_payments, execute_trades, submit_filings or custom:{{name}})"
    )]
    Unknown(String),
    #[error("invalid custom scope \"{0}\": the name after custom: must be 1-64 characters of [a-z0-9_.-]")]
    CustomName(String),
}

const BUILTIN_SCOPES: [(&str, Scope); 6] = [
    ("read_only", Scope::ReadOnly),
    ("query_account_data", Scope::QueryAccountData),
    ("initiate_transfers", Scope::InitiateTransfers),
    ("initiate_payments", Scope::InitiatePayments),
    ("execute_trades", Scope::ExecuteTrades),
    ("submit_filings", Scope::SubmitFilings),
];

impl FromStr for Scope {
    type Err = ScopeError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if let Some((_, scope)) = BUILTIN_SCOPES.iter().find(|(name, _)| *name == s) {
            return Ok(scope.clone());
        }
        match s.strip_prefix("custom:") {
            Some(name) if custom_name_ok(name) => Ok(Scope::Custom(name.to_string())),
            Some(_) => Err(ScopeError::CustomName(excerpt(s))),
            None => Err(ScopeError::Unknown(excerpt(s))),
        }
    }
}

fn custom_name_ok(name: &str) -> bool {
    (1..=MAX_CUSTOM_SCOPE_CHARS).contains(&name.len())
        && name.bytes().all(|b| {
            b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'_' | b'.' | b'-')
        })
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Scope::ReadOnly => f.write_str("read_only"),
            Scope::QueryAccountData => f.write_str("query_account_data"),
            Scope::InitiateTransfers => f.write_str("initiate_transfers"),
            Scope::InitiatePayments => f.write_str("initiate_payments"),
            Scope::ExecuteTrades => f.write_str("execute_trades"),
            Scope::SubmitFilings => f.write_str("submit_filings"),
            Scope::Custom(name) => write!(f, "custom:{name}"),
        }
    }
}

impl Serialize for Scope {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Scope {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = String::deserialize(deserializer)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// An issued credential as stored. The bearer secret itself is never kept, only its SHA-256.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Credential {
    /// Public id (uuid v7), safe to log and to put in audit records. Not the bearer secret.
    pub id: String,
    /// Lowercase hex SHA-256 of the bearer secret (the seed's `cred_id`).
    pub cred_sha256: String,
    pub principal_id: String,
    pub agent_id: String,
    pub authorized_scopes: Vec<Scope>,
    /// Per-transaction cap in USD; `None` = no cap.
    pub max_transaction_usd: Option<f64>,
    /// Accounts the agent may act on; empty = all of the principal's.
    pub allowed_account_ids: Vec<String>,
    pub issued_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
    /// See [`fingerprint`].
    pub fingerprint: String,
}

/// The signed part of a credential: every field except `fingerprint` and `revoked_at`
/// (revocation is a later event, not a change of the grant). Serialized with the same serde
/// representation as [`Credential`], so an examiner can recompute the fingerprint from the
/// stored JSON: drop those two keys, canonicalize per RFC 8785, HMAC-SHA256.
#[derive(Serialize)]
struct Grant<'a> {
    id: &'a str,
    cred_sha256: &'a str,
    principal_id: &'a str,
    agent_id: &'a str,
    authorized_scopes: &'a [Scope],
    max_transaction_usd: Option<f64>,
    allowed_account_ids: &'a [String],
    issued_at: &'a DateTime<Utc>,
    expires_at: &'a DateTime<Utc>,
}

/// RFC 8785 bytes of the grant. Fails for a non-finite cap, which [`issue`] never produces.
fn grant_bytes(c: &Credential) -> Result<Vec<u8>, CredentialError> {
    // serde_json writes a non-finite float as `null`, which would sign NaN as "no cap".
    if c.max_transaction_usd.is_some_and(|cap| !cap.is_finite()) {
        return Err(CredentialError::Cap);
    }
    let grant = Grant {
        id: &c.id,
        cred_sha256: &c.cred_sha256,
        principal_id: &c.principal_id,
        agent_id: &c.agent_id,
        authorized_scopes: &c.authorized_scopes,
        max_transaction_usd: c.max_transaction_usd,
        allowed_account_ids: &c.allowed_account_ids,
        issued_at: &c.issued_at,
        expires_at: &c.expires_at,
    };
    serde_json_canonicalizer::to_vec(&grant).map_err(|e| CredentialError::Canonical(e.to_string()))
}

fn grant_mac(c: &Credential, secret: &[u8]) -> Result<HmacSha256, CredentialError> {
    let bytes = grant_bytes(c)?;
    // HMAC takes keys of any length, so this cannot fail; the error is mapped, not unwrapped.
    let mut mac = <HmacSha256 as Mac>::new_from_slice(secret)
        .map_err(|e| CredentialError::Canonical(e.to_string()))?;
    mac.update(&bytes);
    Ok(mac)
}

/// HMAC-SHA256 (lowercase hex) of the credential's canonical grant under `secret`.
///
/// Returns an empty string when the grant cannot be canonicalized (a non-finite
/// `max_transaction_usd`, which [`issue`] rejects); [`fingerprint_ok`] never accepts it.
pub fn fingerprint(c: &Credential, secret: &[u8]) -> String {
    grant_mac(c, secret)
        .map(|mac| hex::encode(mac.finalize().into_bytes()))
        .unwrap_or_default()
}

/// Whether `c.fingerprint` is the HMAC of its grant under `secret`, compared in constant time.
pub fn fingerprint_ok(c: &Credential, secret: &[u8]) -> bool {
    let Ok(presented) = hex::decode(&c.fingerprint) else {
        return false;
    };
    match grant_mac(c, secret) {
        Ok(mac) => mac.verify_slice(&presented).is_ok(),
        Err(_) => false,
    }
}

/// A request to issue a credential (the body of `POST /api/aida/credentials`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewCredential {
    pub principal_id: String,
    pub agent_id: String,
    pub authorized_scopes: Vec<String>,
    #[serde(default)]
    pub max_transaction_usd: Option<f64>,
    #[serde(default)]
    pub allowed_account_ids: Vec<String>,
    pub expires_at: DateTime<Utc>,
}

/// Why a credential could not be issued. Every variant names its field ([`CredentialError::field`]).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CredentialError {
    #[error("{field} must not be empty")]
    Empty { field: &'static str },
    #[error("{field} must be at most {max} characters")]
    TooLong { field: &'static str, max: usize },
    #[error("authorized_scopes must name at least one scope")]
    NoScopes,
    #[error("authorized_scopes[{index}]: {source}")]
    Scope { index: usize, source: ScopeError },
    #[error("max_transaction_usd must be a finite number greater than 0")]
    Cap,
    #[error("expires_at must be in the future")]
    ExpiryNotFuture,
    #[error("expires_at must be at most {MAX_LIFETIME_DAYS} days from now")]
    ExpiryTooFar,
    #[error("allowed_account_ids[{index}] must be a non-empty string of at most {MAX_ID_CHARS} characters")]
    AccountId { index: usize },
    #[error("credential cannot be canonicalized: {0}")]
    Canonical(String),
}

impl CredentialError {
    /// The request field at fault, for the `param` of a 400 body.
    pub fn field(&self) -> &'static str {
        match self {
            CredentialError::Empty { field } | CredentialError::TooLong { field, .. } => field,
            CredentialError::NoScopes | CredentialError::Scope { .. } => "authorized_scopes",
            CredentialError::Cap => "max_transaction_usd",
            CredentialError::ExpiryNotFuture | CredentialError::ExpiryTooFar => "expires_at",
            CredentialError::AccountId { .. } => "allowed_account_ids",
            CredentialError::Canonical(_) => "credential",
        }
    }
}

fn check_id(field: &'static str, value: &str) -> Result<(), CredentialError> {
    if value.trim().is_empty() {
        Err(CredentialError::Empty { field })
    } else if value.chars().count() > MAX_ID_CHARS {
        Err(CredentialError::TooLong {
            field,
            max: MAX_ID_CHARS,
        })
    } else {
        Ok(())
    }
}

/// Checks `req` and builds the credential: `issued_at = now`, `cred_sha256 = SHA-256(bearer)`,
/// fingerprint under `secret`. Duplicate scopes and account ids are dropped (first one kept).
/// `id` is the public id the caller generated (uuid v7); `bearer` the secret shown once.
pub fn issue(
    req: NewCredential,
    now: DateTime<Utc>,
    secret: &[u8],
    id: String,
    bearer: &str,
) -> Result<Credential, CredentialError> {
    check_id("id", &id)?;
    if bearer.is_empty() {
        return Err(CredentialError::Empty { field: "cred_id" });
    }
    check_id("principal_id", &req.principal_id)?;
    check_id("agent_id", &req.agent_id)?;

    if req.authorized_scopes.is_empty() {
        return Err(CredentialError::NoScopes);
    }
    let mut scopes: Vec<Scope> = Vec::with_capacity(req.authorized_scopes.len());
    for (index, raw) in req.authorized_scopes.iter().enumerate() {
        let scope: Scope = raw
            .parse()
            .map_err(|source| CredentialError::Scope { index, source })?;
        if !scopes.contains(&scope) {
            scopes.push(scope);
        }
    }

    if let Some(cap) = req.max_transaction_usd {
        if !(cap.is_finite() && cap > 0.0) {
            return Err(CredentialError::Cap);
        }
    }

    if req.expires_at <= now {
        return Err(CredentialError::ExpiryNotFuture);
    }
    if req.expires_at - now > Duration::days(MAX_LIFETIME_DAYS) {
        return Err(CredentialError::ExpiryTooFar);
    }

    let mut accounts: Vec<String> = Vec::with_capacity(req.allowed_account_ids.len());
    for (index, account) in req.allowed_account_ids.into_iter().enumerate() {
        if account.trim().is_empty() || account.chars().count() > MAX_ID_CHARS {
            return Err(CredentialError::AccountId { index });
        }
        if !accounts.contains(&account) {
            accounts.push(account);
        }
    }

    let mut credential = Credential {
        id,
        cred_sha256: hex::encode(Sha256::digest(bearer.as_bytes())),
        principal_id: req.principal_id,
        agent_id: req.agent_id,
        authorized_scopes: scopes,
        max_transaction_usd: req.max_transaction_usd,
        allowed_account_ids: accounts,
        issued_at: now,
        expires_at: req.expires_at,
        revoked_at: None,
        fingerprint: String::new(),
    };
    let mac = grant_mac(&credential, secret)?;
    credential.fingerprint = hex::encode(mac.finalize().into_bytes());
    Ok(credential)
}

/// At most 64 characters of untrusted input, for error and denial messages.
pub(crate) fn excerpt(s: &str) -> String {
    const MAX: usize = 64;
    match s.char_indices().nth(MAX) {
        Some((cut, _)) => format!("{}...", &s[..cut]),
        None => s.to_string(),
    }
}

#[cfg(test)]
mod tests;
