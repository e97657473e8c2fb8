//! Who may call: JWTs (HS256 secret, RS256 and ES256 from a JWKS), virtual keys revoked across
//! instances sharing one Redis, and the `parapet keys` CLI.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests"
)]

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum::routing::get;
use base64::Engine as _;
use jsonwebtoken::{encode, Algorithm, EncodingKey, Header};
use parapet_tests::errors::Seen;
use parapet_tests::harness::{ConfigBuilder, Gateway, Redis};
use parapet_tests::server::BackgroundServer;
use serde_json::{json, Value};

const ISSUER: &str = "https://idp.test/";
const AUDIENCE: &str = "parapet";
const SECRET: &str = "test-hs256-secret-that-is-long-enough-0123456789";

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

fn claims(overrides: Value) -> Value {
    let mut c = json!({"sub": "jwt-user", "iss": ISSUER, "aud": AUDIENCE, "iat": now(), "exp": now() + 600, "groups": ["analysts"]});
    for (k, v) in overrides.as_object().unwrap() {
        c[k] = v.clone();
    }
    c
}

fn hs256(claims: &Value, secret: &str) -> String {
    encode(
        &Header::new(Algorithm::HS256),
        claims,
        &EncodingKey::from_secret(secret.as_bytes()),
    )
    .unwrap()
}

fn echo_chat() -> Value {
    json!({"model": "echo", "messages": [{"role": "user", "content": "who am i"}]})
}

fn jwt_config(jwt_lines: &str) -> String {
    ConfigBuilder::new()
        .provider_echo()
        .model("echo", "echo", "echo", &[])
        .raw(&format!("[auth.jwt]\nissuer = {ISSUER:?}\naudience = {AUDIENCE:?}\ngroups_claim = \"groups\"\nleeway_s = 0\n{jwt_lines}\n"))
        .build()
}

#[tokio::test]
async fn hs256_tokens_are_checked_for_signature_issuer_audience_expiry_and_not_before() {
    let gw = Gateway::start(
        &jwt_config("hs256_secret_env = \"JWT_SECRET\""),
        &[("JWT_SECRET", SECRET)],
    );
    let good = hs256(&claims(json!({})), SECRET);
    let seen = Seen::read(gw.chat(&good, &echo_chat()).await).await;
    assert_eq!(seen.status, 200, "a valid token is accepted: {}", seen.text);

    let cases = [
        (
            "wrong audience",
            hs256(&claims(json!({"aud": "someone-else"})), SECRET),
            "invalid_token",
        ),
        (
            "wrong issuer",
            hs256(&claims(json!({"iss": "https://evil.test/"})), SECRET),
            "invalid_token",
        ),
        (
            "wrong signature",
            hs256(&claims(json!({})), "another-secret-another-secret-0123"),
            "invalid_token",
        ),
        (
            "not valid before an hour from now",
            hs256(&claims(json!({"nbf": now() + 3600})), SECRET),
            "invalid_token",
        ),
        (
            "expired a minute ago",
            hs256(&claims(json!({"exp": now() - 60})), SECRET),
            "token_expired",
        ),
        (
            "not a JWT at all",
            "eyJhbGciOi.garbage.token".to_owned(),
            "invalid_token",
        ),
    ];
    let mut failures = Vec::new();
    for (name, token, code) in cases {
        let seen = Seen::read(gw.chat(&token, &echo_chat()).await).await;
        if let Err(e) = std::panic::catch_unwind(|| {
            seen.assert_error(401, "authentication_error", code, None);
            assert!(!seen.text.contains(&token), "error body echoes the token");
        }) {
            failures.push(format!(
                "{name}: {}",
                e.downcast_ref::<String>().cloned().unwrap_or_default()
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} case(s) wrong:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

// ---------------------------------------------------------------- RS256 / ES256 through a JWKS

fn openssl(dir: &Path, args: &[&str]) -> Vec<u8> {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("run openssl (apt-get install openssl)");
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

fn b64url(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

/// A new RSA key: (private PEM, JWK).
fn rsa_key(dir: &Path, name: &str, kid: &str) -> (Vec<u8>, Value) {
    let file = format!("{name}.pem");
    openssl(
        dir,
        &[
            "genpkey",
            "-algorithm",
            "RSA",
            "-pkeyopt",
            "rsa_keygen_bits:2048",
            "-out",
            &file,
        ],
    );
    let modulus =
        String::from_utf8(openssl(dir, &["rsa", "-in", &file, "-noout", "-modulus"])).unwrap();
    let n = unhex(modulus.trim().trim_start_matches("Modulus="));
    let jwk = json!({"kty": "RSA", "kid": kid, "use": "sig", "alg": "RS256", "n": b64url(&n), "e": "AQAB"});
    (std::fs::read(dir.join(file)).unwrap(), jwk)
}

/// A new P-256 key: (private PKCS#8 PEM, JWK).
fn ec_key(dir: &Path, name: &str, kid: &str) -> (Vec<u8>, Value) {
    let file = format!("{name}.pem");
    openssl(
        dir,
        &[
            "genpkey",
            "-algorithm",
            "EC",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-out",
            &file,
        ],
    );
    let der = openssl(dir, &["pkey", "-in", &file, "-pubout", "-outform", "DER"]);
    let point = &der[der.len() - 65..];
    assert_eq!(point[0], 4, "uncompressed EC point");
    let jwk = json!({"kty": "EC", "kid": kid, "use": "sig", "alg": "ES256", "crv": "P-256", "x": b64url(&point[1..33]), "y": b64url(&point[33..])});
    (std::fs::read(dir.join(file)).unwrap(), jwk)
}

fn signed(alg: Algorithm, kid: &str, key: &EncodingKey, claims: &Value) -> String {
    let mut h = Header::new(alg);
    h.kid = Some(kid.to_owned());
    encode(&h, claims, key).unwrap()
}

#[tokio::test]
async fn rs256_and_es256_tokens_are_verified_against_the_jwks() {
    let dir = tempfile::tempdir().unwrap();
    let (rsa_pem, rsa_jwk) = rsa_key(dir.path(), "rsa", "rsa-1");
    let (ec_pem, ec_jwk) = ec_key(dir.path(), "ec", "ec-1");
    let (other_rsa_pem, _) = rsa_key(dir.path(), "rsa-other", "rsa-other");
    let jwks = json!({"keys": [rsa_jwk, ec_jwk]});
    let idp = BackgroundServer::start(
        "127.0.0.1:0",
        axum::Router::new().route("/jwks.json", get(move || async move { axum::Json(jwks) })),
    )
    .unwrap();
    let gw = Gateway::start(
        &jwt_config(&format!("jwks_url = \"{}/jwks.json\"", idp.url())),
        &[],
    );

    let rsa = EncodingKey::from_rsa_pem(&rsa_pem).unwrap();
    let ec = EncodingKey::from_ec_pem(&ec_pem).unwrap();
    let other = EncodingKey::from_rsa_pem(&other_rsa_pem).unwrap();
    let accepted = [
        (
            "RS256",
            signed(Algorithm::RS256, "rsa-1", &rsa, &claims(json!({}))),
        ),
        (
            "ES256",
            signed(Algorithm::ES256, "ec-1", &ec, &claims(json!({}))),
        ),
    ];
    for (name, token) in accepted {
        let seen = Seen::read(gw.chat(&token, &echo_chat()).await).await;
        assert_eq!(
            seen.status, 200,
            "{name} token signed by a JWKS key is accepted: {}",
            seen.text
        );
    }
    let refused = [
        (
            "RS256 signed by a key not in the JWKS, claiming its kid",
            signed(Algorithm::RS256, "rsa-1", &other, &claims(json!({}))),
            "invalid_token",
        ),
        (
            "RS256 with an unknown kid",
            signed(Algorithm::RS256, "nobody", &other, &claims(json!({}))),
            "invalid_token",
        ),
        (
            "ES256 with the wrong audience",
            signed(
                Algorithm::ES256,
                "ec-1",
                &ec,
                &claims(json!({"aud": "other"})),
            ),
            "invalid_token",
        ),
        (
            "RS256 expired",
            signed(
                Algorithm::RS256,
                "rsa-1",
                &rsa,
                &claims(json!({"exp": now() - 60})),
            ),
            "token_expired",
        ),
    ];
    for (name, token, code) in refused {
        let seen = Seen::read(gw.chat(&token, &echo_chat()).await).await;
        assert_eq!(seen.status, 401, "{name}: {}", seen.text);
        seen.assert_error(401, "authentication_error", code, None);
    }
}

// ---------------------------------------------------------------- keys across instances

#[tokio::test]
async fn a_key_revoked_on_one_instance_is_refused_by_the_other_within_a_second() {
    let redis = Redis::start();
    let cfg = ConfigBuilder::new()
        .store_redis(&redis.url())
        .provider_echo()
        .model("echo", "echo", "echo", &[])
        .build();
    let env = [(
        "PARAPET_ADMIN_TOKEN",
        "admin-token-shared-by-both-instances",
    )];
    let a = Gateway::start(&cfg, &env);
    let b = Gateway::start(&cfg, &env);
    let rec = a.create_key_with(&json!({"owner": "frank"})).await;
    let key = rec["key"].as_str().unwrap().to_owned();
    let id = rec["id"].as_str().unwrap().to_owned();
    for gw in [&a, &b] {
        let seen = Seen::read(gw.chat(&key, &echo_chat()).await).await;
        assert_eq!(
            seen.status, 200,
            "key made on A works on both (and is now cached): {}",
            seen.text
        );
    }
    assert_eq!(a.revoke_key(&id).await / 100, 2, "revoke on A");
    let revoked_at = Instant::now();
    loop {
        let sent = revoked_at.elapsed();
        let status = b.chat(&key, &echo_chat()).await.status().as_u16();
        if status == 401 {
            assert!(
                sent <= Duration::from_secs(1),
                "B refused the key only {sent:?} after the revocation"
            );
            break;
        }
        assert_eq!(status, 200, "unexpected status from B");
        assert!(
            sent <= Duration::from_secs(3),
            "B still accepts the key {sent:?} after it was revoked on A"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let listed: Value = Seen::read(
        b.client()
            .get(format!("{}/api/keys/{id}", b.admin_url()))
            .bearer_auth(b.admin_token())
            .send()
            .await
            .unwrap(),
    )
    .await
    .json;
    assert!(
        listed["revoked_at"].is_string(),
        "B's admin API shows the revocation: {listed}"
    );
}

// ---------------------------------------------------------------- the keys CLI

fn stdout_of(out: &std::process::Output, what: &str) -> String {
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{what} failed ({}):\nstdout: {text}\nstderr: {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    text
}

#[tokio::test]
async fn keys_can_be_created_listed_and_revoked_with_the_cli() {
    let cfg = ConfigBuilder::new()
        .provider_echo()
        .model("echo", "echo", "echo", &[])
        .build();
    let gw = Gateway::start(&cfg, &[]);
    let admin = [
        "--admin-url",
        gw.admin_url(),
        "--admin-token",
        gw.admin_token(),
    ];

    let created = stdout_of(
        &gw.cli(
            &[
                &["keys", "create", "--owner", "cli-user", "--models", "echo"][..],
                &admin,
            ]
            .concat(),
            &[],
        ),
        "keys create",
    );
    let key = created
        .split(|c: char| c.is_whitespace() || c == '"' || c == ',')
        .find(|w| w.starts_with("pk-"))
        .unwrap_or_else(|| panic!("keys create printed no pk- key: {created}"))
        .to_owned();
    let seen = Seen::read(gw.chat(&key, &echo_chat()).await).await;
    assert_eq!(seen.status, 200, "the CLI-made key works: {}", seen.text);

    let all = Seen::read(
        gw.client()
            .get(format!("{}/api/keys", gw.admin_url()))
            .bearer_auth(gw.admin_token())
            .send()
            .await
            .unwrap(),
    )
    .await;
    let record = all.json["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["owner"] == "cli-user")
        .unwrap_or_else(|| panic!("no cli-user key in {}", all.text))
        .clone();
    assert_eq!(record["models"], json!(["echo"]));
    assert!(
        !all.text.contains(&key),
        "GET /api/keys must not show the secret: {}",
        all.text
    );
    let id = record["id"].as_str().unwrap().to_owned();

    let listed = stdout_of(
        &gw.cli(&[&["keys", "list"][..], &admin].concat(), &[]),
        "keys list",
    );
    assert!(
        listed.contains(&id),
        "keys list shows the key id {id}: {listed}"
    );
    assert!(!listed.contains(&key), "keys list must not show the secret");

    stdout_of(
        &gw.cli(&[&["keys", "revoke", &id][..], &admin].concat(), &[]),
        "keys revoke",
    );
    let seen = Seen::read(gw.chat(&key, &echo_chat()).await).await;
    seen.assert_error(401, "authentication_error", "invalid_api_key", None);
}

#[tokio::test]
async fn the_admin_api_refuses_callers_without_the_admin_token() {
    let cfg = ConfigBuilder::new()
        .provider_echo()
        .model("echo", "echo", "echo", &[])
        .build();
    let gw = Gateway::start(&cfg, &[]);
    let key = gw.create_key("grace", &[]).await;
    let url = format!("{}/api/keys", gw.admin_url());
    let body = json!({"owner": "mallory"});
    let attempts = [
        ("no token", None),
        ("a wrong token", Some("not-the-admin-token")),
        ("a virtual key", Some(key.as_str())),
    ];
    for (name, token) in attempts {
        let mut list = gw.client().get(&url);
        let mut create = gw.client().post(&url).json(&body);
        if let Some(t) = token {
            list = list.bearer_auth(t);
            create = create.bearer_auth(t);
        }
        let listed = Seen::read(list.send().await.unwrap()).await;
        assert_eq!(
            listed.status, 401,
            "GET /api/keys with {name}: {}",
            listed.text
        );
        assert!(
            !listed.text.contains("grace"),
            "GET /api/keys with {name} leaks records"
        );
        let created = Seen::read(create.send().await.unwrap()).await;
        assert_eq!(
            created.status, 401,
            "POST /api/keys with {name}: {}",
            created.text
        );
    }
    let all = Seen::read(
        gw.client()
            .get(&url)
            .bearer_auth(gw.admin_token())
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert!(
        !all.text.contains("mallory"),
        "a refused POST must not have created a key: {}",
        all.text
    );
}
