use super::*;
use crate::aida::credential::{fingerprint, issue, NewCredential};
use chrono::{Duration, TimeZone};

const SECRET: &[u8] = b"aida-test-signing-secret";

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0).unwrap()
}

/// Payments and read-only, cap 10,000 USD, accounts acct-1 and acct-2, 30 days.
fn credential() -> Credential {
    let req = NewCredential {
        principal_id: "user-42".into(),
        agent_id: "ap-bot".into(),
        authorized_scopes: vec!["initiate_payments".into(), "read_only".into()],
        max_transaction_usd: Some(10_000.0),
        allowed_account_ids: vec!["acct-1".into(), "acct-2".into()],
        expires_at: t0() + Duration::days(30),
    };
    issue(req, t0(), SECRET, "cred-id-1".into(), "bearer").unwrap()
}

fn read_only_credential() -> Credential {
    let req = NewCredential {
        principal_id: "user-42".into(),
        agent_id: "report-bot".into(),
        authorized_scopes: vec!["read_only".into()],
        max_transaction_usd: None,
        allowed_account_ids: vec![],
        expires_at: t0() + Duration::days(30),
    };
    issue(req, t0(), SECRET, "cred-id-2".into(), "bearer-2").unwrap()
}

fn revoke(c: &mut Credential) {
    c.revoked_at = Some(t0() + Duration::hours(1));
}
fn expire(c: &mut Credential) {
    c.expires_at = t0() + Duration::hours(1);
}
fn tamper(c: &mut Credential) {
    c.fingerprint = fingerprint(c, b"some-other-secret");
}

const PAY: Scope = Scope::InitiatePayments;
const TRADE: Scope = Scope::ExecuteTrades;

fn pay(amount: f64, account: &str) -> Action<'_> {
    Action {
        scope: Some(&PAY),
        amount_usd: Some(AmountArg::Number(amount)),
        account_id: Some(account),
    }
}

#[test]
fn decisions_follow_the_seed_order() {
    type Edit = fn(&mut Credential);
    /// (name, change to the issued credential, action, now, expected reason code)
    type Case = (
        &'static str,
        Edit,
        Action<'static>,
        DateTime<Utc>,
        Result<(), &'static str>,
    );
    let later = t0() + Duration::days(1);
    let at_expiry = t0() + Duration::days(30);
    let cases: [Case; 24] = [
        (
            "valid credential allows a plain call",
            |_| {},
            Action::default(),
            later,
            Ok(()),
        ),
        (
            "valid credential allows a covered payment",
            |_| {},
            pay(500.0, "acct-1"),
            later,
            Ok(()),
        ),
        (
            "revoked credential is denied",
            revoke,
            Action::default(),
            later,
            Err("credential_revoked"),
        ),
        (
            "revocation is reported before expiry",
            |c| {
                revoke(c);
                expire(c)
            },
            pay(500.0, "acct-1"),
            later,
            Err("credential_revoked"),
        ),
        (
            "revocation is reported before a bad fingerprint",
            |c| {
                revoke(c);
                tamper(c)
            },
            Action::default(),
            later,
            Err("credential_revoked"),
        ),
        (
            "revocation stamped in the future still denies",
            revoke,
            Action::default(),
            t0(),
            Err("credential_revoked"),
        ),
        (
            "expired credential is denied",
            expire,
            Action::default(),
            later,
            Err("credential_expired"),
        ),
        (
            "credential is expired at exactly expires_at",
            |_| {},
            Action::default(),
            at_expiry,
            Err("credential_expired"),
        ),
        (
            "credential is valid one second before expires_at",
            |_| {},
            Action::default(),
            at_expiry - Duration::seconds(1),
            Ok(()),
        ),
        (
            "expiry is reported before a bad fingerprint",
            |c| {
                expire(c);
                tamper(c)
            },
            Action::default(),
            later,
            Err("credential_expired"),
        ),
        (
            "expired_credential_is_denied_before_scope_check",
            expire,
            Action {
                scope: Some(&TRADE),
                ..Action::default()
            },
            later,
            Err("credential_expired"),
        ),
        (
            "bad fingerprint is denied",
            tamper,
            Action::default(),
            later,
            Err("fingerprint_mismatch"),
        ),
        (
            "raising the cap after issue is a fingerprint mismatch",
            |c| c.max_transaction_usd = Some(1_000_000.0),
            pay(50_000.0, "acct-1"),
            later,
            Err("fingerprint_mismatch"),
        ),
        (
            "removing the cap after issue is a fingerprint mismatch",
            |c| c.max_transaction_usd = None,
            pay(50_000.0, "acct-1"),
            later,
            Err("fingerprint_mismatch"),
        ),
        (
            "adding a scope after issue is a fingerprint mismatch",
            |c| c.authorized_scopes.push(Scope::ExecuteTrades),
            Action {
                scope: Some(&TRADE),
                ..Action::default()
            },
            later,
            Err("fingerprint_mismatch"),
        ),
        (
            "extending expiry after issue is a fingerprint mismatch",
            |c| c.expires_at += Duration::days(365),
            Action::default(),
            later,
            Err("fingerprint_mismatch"),
        ),
        (
            "clearing the account allowlist is a fingerprint mismatch",
            |c| c.allowed_account_ids.clear(),
            pay(5.0, "acct-9"),
            later,
            Err("fingerprint_mismatch"),
        ),
        (
            "fingerprint is checked before scope",
            tamper,
            Action {
                scope: Some(&TRADE),
                ..Action::default()
            },
            later,
            Err("fingerprint_mismatch"),
        ),
        (
            "scope not granted is denied",
            |_| {},
            Action {
                scope: Some(&TRADE),
                ..Action::default()
            },
            later,
            Err("scope_not_granted"),
        ),
        (
            "scope is checked before the amount",
            |_| {},
            Action {
                scope: Some(&TRADE),
                amount_usd: Some(AmountArg::Number(1e9)),
                account_id: None,
            },
            later,
            Err("scope_not_granted"),
        ),
        (
            "amount over the cap is denied",
            |_| {},
            pay(10_001.0, "acct-1"),
            later,
            Err("amount_over_limit"),
        ),
        (
            "amount is checked before the account",
            |_| {},
            pay(10_001.0, "acct-9"),
            later,
            Err("amount_over_limit"),
        ),
        (
            "malformed amount is denied",
            |_| {},
            Action {
                scope: Some(&PAY),
                amount_usd: Some(AmountArg::Malformed("ten thousand")),
                account_id: None,
            },
            later,
            Err("amount_malformed"),
        ),
        (
            "account outside the allowlist is denied",
            |_| {},
            pay(5.0, "acct-9"),
            later,
            Err("account_not_allowed"),
        ),
    ];
    for (name, edit, action, now, expected) in cases {
        let mut c = credential();
        edit(&mut c);
        let got = enforce(&c, SECRET, &action, now).map_err(|d| d.code());
        assert_eq!(got, expected, "{name}");
    }
}

#[test]
fn ten_thousand_cap_passes_up_to_and_including_the_cap() {
    let cases: [(f64, Result<(), &str>); 7] = [
        (0.0, Ok(())),
        (9_999.0, Ok(())),
        (9_999.99, Ok(())),
        (10_000.0, Ok(())),
        (10_000.01, Err("amount_over_limit")),
        (10_001.0, Err("amount_over_limit")),
        (f64::MAX, Err("amount_over_limit")),
    ];
    let c = credential();
    for (amount, expected) in cases {
        let got = enforce(&c, SECRET, &pay(amount, "acct-2"), t0()).map_err(|d| d.code());
        assert_eq!(got, expected, "{amount}");
    }
}

#[test]
fn amounts_that_are_not_non_negative_numbers_are_malformed_even_without_a_cap() {
    let cases: [(AmountArg<'static>, &str); 6] = [
        (AmountArg::Number(-0.01), "negative amount -0.01"),
        (AmountArg::Number(f64::NAN), "not a finite number"),
        (AmountArg::Number(f64::INFINITY), "not a finite number"),
        (AmountArg::Number(f64::NEG_INFINITY), "not a finite number"),
        (AmountArg::Malformed("9,999.00"), "9,999.00"),
        (AmountArg::Malformed("null"), "null"),
    ];
    for c in [credential(), read_only_credential()] {
        let scope = c.authorized_scopes[0].clone();
        for (amount, detail) in cases {
            let action = Action {
                scope: Some(&scope),
                amount_usd: Some(amount),
                account_id: None,
            };
            let got = enforce(&c, SECRET, &action, t0());
            assert_eq!(
                got,
                Err(Denial::AmountMalformed {
                    detail: detail.into()
                }),
                "{amount:?}"
            );
        }
    }
}

#[test]
fn no_cap_allows_any_valid_amount() {
    let c = read_only_credential();
    let action = Action {
        scope: Some(&Scope::ReadOnly),
        amount_usd: Some(AmountArg::Number(1e12)),
        account_id: Some("any-account"),
    };
    assert_eq!(enforce(&c, SECRET, &action, t0()), Ok(()));
}

#[test]
fn read_only_never_passes_a_payment() {
    let c = read_only_credential();
    let cases: [Action<'static>; 3] = [
        Action {
            scope: Some(&PAY),
            ..Action::default()
        },
        Action {
            scope: Some(&PAY),
            amount_usd: Some(AmountArg::Number(0.0)),
            account_id: None,
        },
        Action {
            scope: Some(&PAY),
            amount_usd: Some(AmountArg::Number(1.0)),
            account_id: Some("acct-1"),
        },
    ];
    for action in cases {
        assert_eq!(
            enforce(&c, SECRET, &action, t0()),
            Err(Denial::ScopeNotGranted {
                scope: "initiate_payments".into()
            })
        );
    }
}

#[test]
fn scopes_match_exactly_including_custom_names() {
    let mut c = read_only_credential();
    c.authorized_scopes = vec![Scope::Custom("kyc".into())];
    c.fingerprint = fingerprint(&c, SECRET);
    let cases: [(Scope, bool); 4] = [
        (Scope::Custom("kyc".into()), true),
        (Scope::Custom("kyc2".into()), false),
        (Scope::ReadOnly, false),
        (Scope::QueryAccountData, false),
    ];
    for (scope, allowed) in cases {
        let action = Action {
            scope: Some(&scope),
            ..Action::default()
        };
        assert_eq!(
            enforce(&c, SECRET, &action, t0()).is_ok(),
            allowed,
            "{scope}"
        );
    }
}

#[test]
fn empty_allowlist_allows_every_account() {
    let c = read_only_credential();
    for account in ["acct-1", "acct-9", ""] {
        let action = Action {
            account_id: Some(account),
            ..Action::default()
        };
        assert_eq!(enforce(&c, SECRET, &action, t0()), Ok(()), "{account}");
    }
}

#[test]
fn allowlist_matches_account_ids_exactly() {
    let c = credential();
    let cases: [(&str, bool); 5] = [
        ("acct-1", true),
        ("acct-2", true),
        ("ACCT-1", false),
        ("acct-1 ", false),
        ("", false),
    ];
    for (account, allowed) in cases {
        let action = Action {
            account_id: Some(account),
            ..Action::default()
        };
        assert_eq!(
            enforce(&c, SECRET, &action, t0()).is_ok(),
            allowed,
            "{account:?}"
        );
    }
}

#[test]
fn denials_carry_stable_codes_messages_and_json() {
    let cases: [(Denial, &str, &str, serde_json::Value); 7] = [
        (
            Denial::Revoked,
            "credential_revoked",
            "agent credential has been revoked",
            serde_json::json!({"code": "credential_revoked"}),
        ),
        (
            Denial::Expired,
            "credential_expired",
            "agent credential has expired",
            serde_json::json!({"code": "credential_expired"}),
        ),
        (
            Denial::FingerprintMismatch,
            "fingerprint_mismatch",
            "agent credential failed its integrity check",
            serde_json::json!({"code": "fingerprint_mismatch"}),
        ),
        (
            Denial::ScopeNotGranted {
                scope: "execute_trades".into(),
            },
            "scope_not_granted",
            "agent credential does not grant scope execute_trades",
            serde_json::json!({"code": "scope_not_granted", "scope": "execute_trades"}),
        ),
        (
            Denial::AmountOverLimit {
                amount: 10_001.0,
                limit: 10_000.0,
            },
            "amount_over_limit",
            "amount 10001 USD exceeds the credential's per-transaction limit of 10000 USD",
            serde_json::json!({"code": "amount_over_limit", "amount": 10_001.0, "limit": 10_000.0}),
        ),
        (
            Denial::AmountMalformed {
                detail: "abc".into(),
            },
            "amount_malformed",
            "amount is not a valid non-negative number: abc",
            serde_json::json!({"code": "amount_malformed", "detail": "abc"}),
        ),
        (
            Denial::AccountNotAllowed {
                account: "acct-9".into(),
            },
            "account_not_allowed",
            "agent credential does not allow account acct-9",
            serde_json::json!({"code": "account_not_allowed", "account": "acct-9"}),
        ),
    ];
    for (denial, code, message, json) in cases {
        assert_eq!(denial.code(), code);
        assert_eq!(denial.to_string(), message);
        assert_eq!(serde_json::to_value(&denial).unwrap(), json);
    }
}

#[test]
fn long_untrusted_values_are_cut_in_denials() {
    let c = credential();
    let long = "x".repeat(500);
    let action = Action {
        account_id: Some(&long),
        ..Action::default()
    };
    let Err(Denial::AccountNotAllowed { account }) = enforce(&c, SECRET, &action, t0()) else {
        panic!("a foreign account must be denied");
    };
    assert_eq!(account, format!("{}...", "x".repeat(64)));
}
