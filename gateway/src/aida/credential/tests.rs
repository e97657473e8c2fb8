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
