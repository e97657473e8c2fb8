//! The AIDA scope enforcer: one credential, one action, one decision.
//!
//! Checks run in the seed's order and the first failure decides: revocation → expiry →
//! fingerprint → scope → transaction limit → account allowlist. Pure: `now` is passed in.

use std::cmp::Ordering;

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::credential::{excerpt, fingerprint_ok, Credential, Scope};

/// An amount taken from a tool call or A2A task. A present value that is not a number must
/// deny (fail closed), so it is carried rather than dropped.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum AmountArg<'a> {
    Number(f64),
    /// The offending text: the string itself, or the JSON kind (`null`, `true`, `object`, ...).
    Malformed(&'a str),
}

/// What the caller wants to do with the credential.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Action<'a> {
    /// `None`: only a valid credential is needed (a plain chat call).
    pub scope: Option<&'a Scope>,
    pub amount_usd: Option<AmountArg<'a>>,
    pub account_id: Option<&'a str>,
}

/// Why the enforcer said no. Serializes as `{"code": "...", ...fields}`.
#[derive(Debug, Clone, PartialEq, Serialize, thiserror::Error)]
#[serde(tag = "code")]
pub enum Denial {
    #[serde(rename = "credential_revoked")]
    #[error("agent credential has been revoked")]
    Revoked,
    #[serde(rename = "credential_expired")]
    #[error("agent credential has expired")]
    Expired,
    #[serde(rename = "fingerprint_mismatch")]
    #[error("agent credential failed its integrity check")]
    FingerprintMismatch,
    #[serde(rename = "scope_not_granted")]
    #[error("agent credential does not grant scope {scope}")]
    ScopeNotGranted { scope: String },
    #[serde(rename = "amount_over_limit")]
    #[error("amount {amount} USD exceeds the credential's per-transaction limit of {limit} USD")]
    AmountOverLimit { amount: f64, limit: f64 },
    #[serde(rename = "amount_malformed")]
    #[error("amount is not a valid non-negative number: {detail}")]
    AmountMalformed { detail: String },
    #[serde(rename = "account_not_allowed")]
    #[error("agent credential does not allow account {account}")]
    AccountNotAllowed { account: String },
}

impl Denial {
    /// Stable snake_case reason code, for error bodies, audit records and metrics.
    pub fn code(&self) -> &'static str {
        match self {
            Denial::Revoked => "credential_revoked",
            Denial::Expired => "credential_expired",
            Denial::FingerprintMismatch => "fingerprint_mismatch",
            Denial::ScopeNotGranted { .. } => "scope_not_granted",
            Denial::AmountOverLimit { .. } => "amount_over_limit",
            Denial::AmountMalformed { .. } => "amount_malformed",
            Denial::AccountNotAllowed { .. } => "account_not_allowed",
        }
    }
}

/// Decides whether `c` covers `action` at `now`. `Ok(())` is an allow; any error denies.
///
/// A credential with any `revoked_at` is revoked, whatever the time it names (fail closed).
/// It is expired from `expires_at` on. Scopes match exactly. An amount equal to the cap passes;
/// a negative, non-finite or non-numeric amount is malformed even without a cap. An empty
/// account allowlist allows every account.
pub fn enforce(
    c: &Credential,
    secret: &[u8],
    action: &Action<'_>,
    now: DateTime<Utc>,
) -> Result<(), Denial> {
    if c.revoked_at.is_some() {
        return Err(Denial::Revoked);
    }
    if now >= c.expires_at {
        return Err(Denial::Expired);
    }
    if !fingerprint_ok(c, secret) {
        return Err(Denial::FingerprintMismatch);
    }
    if let Some(scope) = action.scope {
        if !c.authorized_scopes.contains(scope) {
            return Err(Denial::ScopeNotGranted {
                scope: scope.to_string(),
            });
        }
    }
    if let Some(amount) = action.amount_usd {
        check_amount(amount, c.max_transaction_usd)?;
    }
    if let Some(account) = action.account_id {
        if !c.allowed_account_ids.is_empty() && !c.allowed_account_ids.iter().any(|a| a == account)
        {
            return Err(Denial::AccountNotAllowed {
                account: excerpt(account),
            });
        }
    }
    Ok(())
}

fn check_amount(amount: AmountArg<'_>, cap: Option<f64>) -> Result<(), Denial> {
    let amount = match amount {
        AmountArg::Number(x) if x.is_finite() && x >= 0.0 => x,
        AmountArg::Number(x) if x.is_finite() => {
            return Err(Denial::AmountMalformed {
                detail: format!("negative amount {x}"),
            })
        }
        AmountArg::Number(_) => {
            return Err(Denial::AmountMalformed {
                detail: "not a finite number".into(),
            })
        }
        AmountArg::Malformed(raw) => {
            return Err(Denial::AmountMalformed {
                detail: excerpt(raw),
            })
        }
    };
    let Some(limit) = cap else {
        return Ok(());
    };
    // A cap that does not compare (NaN) denies: the fingerprint already rejects it, this keeps
    // the limit check closed on its own.
    match amount.partial_cmp(&limit) {
        Some(Ordering::Less | Ordering::Equal) => Ok(()),
        Some(Ordering::Greater) | None => Err(Denial::AmountOverLimit { amount, limit }),
    }
}

#[cfg(test)]
mod tests;
