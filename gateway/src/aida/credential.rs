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
mod tests {
    use super::*;
    use chrono::TimeZone;

    const SECRET: &[u8] = b"aida-test-signing-secret";

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0).unwrap()
    }

    fn request() -> NewCredential {
        NewCredential {
            principal_id: "user-42".into(),
            agent_id: "ap-bot".into(),
            authorized_scopes: vec!["initiate_payments".into(), "read_only".into()],
            max_transaction_usd: Some(10_000.0),
            allowed_account_ids: vec!["acct-1".into(), "acct-2".into()],
            expires_at: now() + Duration::days(30),
        }
    }

    fn issued() -> Credential {
        issue(request(), now(), SECRET, "0190-id".into(), "cred-bearer").unwrap()
    }

    #[test]
    fn scope_wire_names_round_trip() {
        let cases = [
            ("read_only", Scope::ReadOnly),
            ("query_account_data", Scope::QueryAccountData),
            ("initiate_transfers", Scope::InitiateTransfers),
            ("initiate_payments", Scope::InitiatePayments),
            ("execute_trades", Scope::ExecuteTrades),
            ("submit_filings", Scope::SubmitFilings),
            (
                "custom:kyc.refresh-v2_1",
                Scope::Custom("kyc.refresh-v2_1".into()),
            ),
        ];
        for (wire, scope) in cases {
            assert_eq!(wire.parse::<Scope>().as_ref(), Ok(&scope), "{wire}");
            assert_eq!(scope.to_string(), wire);
            let json = serde_json::to_string(&scope).unwrap();
            assert_eq!(json, format!("\"{wire}\""));
            assert_eq!(serde_json::from_str::<Scope>(&json).unwrap(), scope);
        }
    }

    #[test]
    fn bad_scope_strings_are_rejected_with_their_name() {
        let long = format!("custom:{}", "a".repeat(65));
        let cases: [(&str, &str); 8] = [
            ("ReadOnly", "unknown scope \"ReadOnly\""),
            ("read-only", "unknown scope \"read-only\""),
            ("", "unknown scope \"\""),
            ("admin", "unknown scope \"admin\""),
            ("custom:", "invalid custom scope \"custom:\""),
            ("custom:Upper", "invalid custom scope \"custom:Upper\""),
            (
                "custom:has space",
                "invalid custom scope \"custom:has space\"",
            ),
            (&long, "invalid custom scope \"custom:aaaa"),
        ];
        for (input, expected) in cases {
            let err = input.parse::<Scope>().unwrap_err().to_string();
            assert!(err.starts_with(expected), "{input:?} gave {err:?}");
        }
        let err = serde_json::from_str::<Scope>("\"sudo\"")
            .unwrap_err()
            .to_string();
        assert!(err.contains("unknown scope \"sudo\""), "{err}");
    }

    #[test]
    fn custom_scope_name_of_64_characters_is_accepted() {
        let name = "z".repeat(64);
        assert_eq!(
            format!("custom:{name}").parse::<Scope>(),
            Ok(Scope::Custom(name))
        );
    }

    #[test]
    fn issued_credential_carries_the_grant_and_a_valid_fingerprint() {
        let c = issued();
        assert_eq!(c.id, "0190-id");
        assert_eq!(c.cred_sha256, hex::encode(Sha256::digest(b"cred-bearer")));
        assert_ne!(c.cred_sha256, "cred-bearer");
        assert_eq!(
            c.authorized_scopes,
            vec![Scope::InitiatePayments, Scope::ReadOnly]
        );
        assert_eq!(c.issued_at, now());
        assert_eq!(c.revoked_at, None);
        assert_eq!(c.fingerprint.len(), 64);
        assert_eq!(c.fingerprint, fingerprint(&c, SECRET));
        assert!(fingerprint_ok(&c, SECRET));
        assert!(!fingerprint_ok(&c, b"another-secret"));
    }

    #[test]
    fn fingerprint_survives_a_json_round_trip() {
        let c = issued();
        let json = serde_json::to_string(&c).unwrap();
        let back: Credential = serde_json::from_str(&json).unwrap();
        assert_eq!(back, c);
        assert!(fingerprint_ok(&back, SECRET));
    }

    #[test]
    fn fingerprint_changes_with_every_granted_field_but_not_with_revocation() {
        type Edit = fn(&mut Credential);
        let changes: [(&str, Edit); 11] = [
            ("id", |c| c.id.push('x')),
            ("cred_sha256", |c| c.cred_sha256 = "00".repeat(32)),
            ("principal_id", |c| c.principal_id = "user-43".into()),
            ("agent_id", |c| c.agent_id = "other-bot".into()),
            ("authorized_scopes", |c| {
                c.authorized_scopes.push(Scope::ExecuteTrades)
            }),
            ("scope order", |c| c.authorized_scopes.reverse()),
            ("max_transaction_usd raised", |c| {
                c.max_transaction_usd = Some(10_001.0)
            }),
            ("max_transaction_usd removed", |c| {
                c.max_transaction_usd = None
            }),
            ("allowed_account_ids", |c| c.allowed_account_ids.clear()),
            ("issued_at", |c| c.issued_at += Duration::seconds(1)),
            ("expires_at", |c| c.expires_at += Duration::days(1)),
        ];
        let original = issued();
        for (name, edit) in changes {
            let mut c = original.clone();
            edit(&mut c);
            assert_ne!(fingerprint(&c, SECRET), original.fingerprint, "{name}");
            assert!(!fingerprint_ok(&c, SECRET), "{name}");
        }

        let mut revoked = original.clone();
        revoked.revoked_at = Some(now() + Duration::hours(1));
        assert_eq!(fingerprint(&revoked, SECRET), original.fingerprint);
        assert!(fingerprint_ok(&revoked, SECRET));
    }

    #[test]
    fn malformed_or_uncomputable_fingerprints_never_verify() {
        type Edit = fn(&mut Credential);
        let cases: [(&str, Edit); 6] = [
            ("empty", |c| c.fingerprint.clear()),
            ("not hex", |c| c.fingerprint = "zz".repeat(32)),
            ("truncated", |c| c.fingerprint.truncate(62)),
            ("one digit flipped", |c| {
                let last = if c.fingerprint.ends_with('0') {
                    "1"
                } else {
                    "0"
                };
                c.fingerprint.replace_range(63.., last);
            }),
            ("NaN cap", |c| c.max_transaction_usd = Some(f64::NAN)),
            ("infinite cap", |c| {
                c.max_transaction_usd = Some(f64::INFINITY)
            }),
        ];
        for (name, edit) in cases {
            let mut c = issued();
            edit(&mut c);
            assert!(!fingerprint_ok(&c, SECRET), "{name}");
        }
        for cap in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
            let mut c = issued();
            c.max_transaction_usd = Some(cap);
            assert_eq!(
                fingerprint(&c, SECRET),
                "",
                "a {cap} cap must not sign as no cap"
            );
        }
    }

    #[test]
    fn fingerprint_is_hmac_of_the_canonical_grant_without_fingerprint_and_revoked_at() {
        let c = issued();
        let mut value = serde_json::to_value(&c).unwrap();
        let map = value.as_object_mut().unwrap();
        map.remove("fingerprint");
        map.remove("revoked_at");
        let bytes = serde_json_canonicalizer::to_vec(&value).unwrap();
        let mut mac = <HmacSha256 as Mac>::new_from_slice(SECRET).unwrap();
        mac.update(&bytes);
        assert_eq!(c.fingerprint, hex::encode(mac.finalize().into_bytes()));
    }

    #[test]
    fn issue_rejects_bad_requests_naming_the_field() {
        type Edit = fn(&mut NewCredential);
        let cases: [(&str, Edit, &str, &str); 13] = [
            (
                "empty principal",
                |r| r.principal_id.clear(),
                "principal_id",
                "principal_id must not be empty",
            ),
            (
                "blank agent",
                |r| r.agent_id = "  ".into(),
                "agent_id",
                "agent_id must not be empty",
            ),
            (
                "long principal",
                |r| r.principal_id = "p".repeat(257),
                "principal_id",
                "principal_id must be at most 256 characters",
            ),
            (
                "no scopes",
                |r| r.authorized_scopes.clear(),
                "authorized_scopes",
                "authorized_scopes must name at least one scope",
            ),
            (
                "unknown scope",
                |r| r.authorized_scopes.push("wire_everything".into()),
                "authorized_scopes",
                "authorized_scopes[2]: unknown scope \"wire_everything\"",
            ),
            (
                "zero cap",
                |r| r.max_transaction_usd = Some(0.0),
                "max_transaction_usd",
                "max_transaction_usd must be a finite number greater than 0",
            ),
            (
                "negative cap",
                |r| r.max_transaction_usd = Some(-5.0),
                "max_transaction_usd",
                "max_transaction_usd must be",
            ),
            (
                "NaN cap",
                |r| r.max_transaction_usd = Some(f64::NAN),
                "max_transaction_usd",
                "max_transaction_usd must be",
            ),
            (
                "infinite cap",
                |r| r.max_transaction_usd = Some(f64::INFINITY),
                "max_transaction_usd",
                "max_transaction_usd must be",
            ),
            (
                "expiry now",
                |r| r.expires_at = now(),
                "expires_at",
                "expires_at must be in the future",
            ),
            (
                "expiry past",
                |r| r.expires_at = now() - Duration::days(1),
                "expires_at",
                "expires_at must be in the future",
            ),
            (
                "expiry past a year",
                |r| r.expires_at = now() + Duration::days(366) + Duration::seconds(1),
                "expires_at",
                "expires_at must be at most 366 days from now",
            ),
            (
                "empty account",
                |r| r.allowed_account_ids.push(String::new()),
                "allowed_account_ids",
                "allowed_account_ids[2] must be a non-empty string",
            ),
        ];
        for (name, edit, field, message) in cases {
            let mut req = request();
            edit(&mut req);
            let e = issue(req, now(), SECRET, "id".into(), "bearer").unwrap_err();
            assert_eq!(e.field(), field, "{name}");
            assert!(e.to_string().starts_with(message), "{name}: {e}");
        }
    }

    #[test]
    fn issue_accepts_the_edges_and_drops_duplicates() {
        let mut req = request();
        req.expires_at = now() + Duration::days(366);
        req.max_transaction_usd = None;
        req.authorized_scopes = vec!["read_only".into(), "read_only".into(), "custom:x".into()];
        req.allowed_account_ids = vec!["a".into(), "a".into()];
        req.principal_id = "p".repeat(256);
        let c = issue(req, now(), SECRET, "id".into(), "bearer").unwrap();
        assert_eq!(
            c.authorized_scopes,
            vec![Scope::ReadOnly, Scope::Custom("x".into())]
        );
        assert_eq!(c.allowed_account_ids, vec!["a".to_string()]);
        assert_eq!(c.max_transaction_usd, None);
        assert!(fingerprint_ok(&c, SECRET));
    }

    #[test]
    fn issue_request_rejects_unknown_fields() {
        let body = r#"{"principal_id":"u","agent_id":"a","authorized_scopes":["read_only"],
            "expires_at":"2026-04-01T00:00:00Z","revoked_at":null}"#;
        let err = serde_json::from_str::<NewCredential>(body)
            .unwrap_err()
            .to_string();
        assert!(err.contains("unknown field `revoked_at`"), "{err}");
    }
}
