//! What a tool call or an A2A task needs from a credential, and the check of one payload (tool
//! arguments, a task's data part) against it: the scopes, then the amount found at the amount
//! path against the cap, then the account found at the account path against the allowlist.

use serde_json::Value;

use super::credential::{Credential, Scope};
use super::enforce::{Action, Denial};
use super::jsonpath::{self, JsonPath};
use super::Aida;

/// Scopes every payload needs, and where its amount and account are.
#[derive(Debug, Clone, Copy)]
pub struct Requirement<'a> {
    pub scopes: &'a [Scope],
    pub amount: Option<&'a JsonPath>,
    pub account: Option<&'a JsonPath>,
}

/// Why a payload was refused: a stable reason code and a sentence.
#[derive(Debug, Clone, PartialEq)]
pub struct Refusal {
    pub code: &'static str,
    pub message: String,
}

impl From<Denial> for Refusal {
    fn from(d: Denial) -> Self {
        Refusal {
            code: d.code(),
            message: d.to_string(),
        }
    }
}

impl Aida {
    /// Checks one payload in the enforcer's order: the credential itself, each scope, then
    /// the amount and the account. A requirement with an amount path refuses a payload without
    /// an amount there (`amount_missing`); with an account path and a credential limited to
    /// named accounts, one without an account there (`account_missing`): what cannot be
    /// checked is not allowed.
    pub fn check_payload(
        &self,
        cred: &Credential,
        req: &Requirement<'_>,
        payload: &Value,
    ) -> Result<(), Refusal> {
        self.check(cred, &Action::default())?;
        for scope in req.scopes {
            self.check(
                cred,
                &Action {
                    scope: Some(scope),
                    ..Action::default()
                },
            )?;
        }
        let amount = req.amount.and_then(|p| jsonpath::amount_at(p, payload));
        let account = req.account.and_then(|p| jsonpath::account_at(p, payload));
        if req.amount.is_some() && amount.is_none() {
            return Err(Refusal {
                code: "amount_missing",
                message: "no amount where the rule looks for one".into(),
            });
        }
        if req.account.is_some() && account.is_none() && !cred.allowed_account_ids.is_empty() {
            return Err(Refusal {
                code: "account_missing",
                message: "no account where the rule looks for one, and the credential is \
                          limited to named accounts"
                    .into(),
            });
        }
        self.check(
            cred,
            &Action {
                scope: None,
                amount_usd: amount,
                account_id: account.as_deref(),
            },
        )?;
        Ok(())
    }
}

#[cfg(test)]
mod tests;
