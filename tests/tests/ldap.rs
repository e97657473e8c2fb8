//! The directory client against a real slapd: outages (stale groups or refusal), users the
//! directory does not know (refused by default, or served without groups when configured), the
//! TLS transports, and `/api/login` sessions (in the store, valid on every instance).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests"
)]

use parapet_tests::harness::ldap::ROOT_PW;
use parapet_tests::harness::{ConfigBuilder, Gateway, Ldap, Redis};
use parapet_tests::wall::{
    chat, directory_ldif, setup, setup_on, setup_with, violations, Options, MNPI_PROMPT,
};
use serde_json::{json, Value};

/// The gateway against a TLS-enabled slapd; `url` and `ca` pick the transport and the trust.
async fn over_tls(ldaps: bool, wrong_ca: bool) -> parapet_tests::wall::Setup {
    let ldap = Ldap::start_tls(&directory_ldif());
    let certs = ldap.certs();
    let ca = if wrong_ca { &certs.wrong_ca } else { &certs.ca };
    let ca_line = format!("ca_file = {:?}\ncache_ttl_s = 0", ca.display().to_string());
    let toml = if ldaps {
        ldap.config_toml_at(&ldap.ldaps_url(), "LDAP_PW", &ca_line)
    } else {
        ldap.config_toml_at(
            &ldap.url(),
            "LDAP_PW",
            &format!("starttls = true\n{ca_line}"),
        )
    };
    setup_on(
        ldap,
        Options {
            ldap_toml: Some(toml),
            ..Options::default()
        },
    )
    .await
}

#[tokio::test]
async fn a_user_the_directory_does_not_know_is_refused_by_default() {
    let s = setup(None, "").await;
    let dave = s.gw.create_key("dave", &[]).await;
    let r = s.gw.chat(&dave, &chat("hello", false)).await;
    assert_eq!(r.status(), 403);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"]["code"], "not_in_directory", "{body}");
    assert!(s.mock.requests().is_empty(), "nothing was forwarded");
    // Known users are served as before.
    let r = s.gw.chat(&s.alice, &chat("hello", false)).await;
    assert_eq!(r.status(), 200);
}

#[tokio::test]
async fn with_no_groups_an_unknown_user_is_served_outside_every_barrier() {
    let s = setup(None, "unknown_user = \"no_groups\"").await;
    let dave = s.gw.create_key("dave", &[]).await;
    let r = s.gw.chat(&dave, &chat(MNPI_PROMPT, false)).await;
    assert_eq!(r.status(), 200, "no groups: on no side of the wall");
    let r = s.gw.chat(&s.bob, &chat(MNPI_PROMPT, false)).await;
    assert_eq!(r.status(), 403, "bob is still behind it");
}

#[tokio::test]
async fn groups_resolve_over_ldaps_and_starttls_with_the_configured_ca() {
    for ldaps in [true, false] {
        let s = over_tls(ldaps, false).await;
        let r = s.gw.chat(&s.bob, &chat(MNPI_PROMPT, false)).await;
        assert_eq!(r.status(), 403, "ldaps={ldaps}: bob's groups came over TLS");
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["error"]["code"], "information_barrier");
        let r = s.gw.chat(&s.alice, &chat(MNPI_PROMPT, false)).await;
        assert_eq!(r.status(), 200, "ldaps={ldaps}");
    }
}

#[tokio::test]
async fn a_directory_whose_certificate_the_ca_did_not_sign_refuses_every_call() {
    for ldaps in [true, false] {
        let s = over_tls(ldaps, true).await;
        let r = s.gw.chat(&s.alice, &chat("hello", false)).await;
        assert_eq!(r.status(), 503, "ldaps={ldaps}: fail closed");
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["error"]["code"], "ldap_unavailable", "{body}");
        assert!(s.mock.requests().is_empty());
        let log = s.gw.stderr();
        assert!(
            log.contains("UnknownIssuer") || log.contains("invalid peer certificate"),
            "the log says why: {log}"
        );
    }
}

#[tokio::test]
async fn a_login_session_opened_on_one_instance_works_on_another() {
    let redis = Redis::start();
    let url = redis.url();
    let admins = "admin_groups = [\"Compliance-*\"]";
    let s = setup_with(Options {
        redis: Some(redis),
        ldap_extra: admins,
        ..Options::default()
    })
    .await;
    let gw2 = Gateway::start(
        &ConfigBuilder::standard(&s.mock.base_v1())
            .store_redis(&url)
            .raw(&s.ldap.config_toml("LDAP_PW", admins))
            .build(),
        &[("LDAP_PW", ROOT_PW)],
    );
    let r = s.gw.chat(&s.bob, &chat(MNPI_PROMPT, false)).await;
    assert_eq!(r.status(), 403);

    let r =
        s.gw.client()
            .post(format!("{}/api/login", s.gw.admin_url()))
            .json(&json!({"username": "carol", "password": "carol-pw"}))
            .send()
            .await
            .unwrap();
    assert_eq!(r.status(), 200);
    let token = r.json::<Value>().await.unwrap()["token"]
        .as_str()
        .unwrap()
        .to_string();

    // Reviewed through the other instance, as carol.
    let id = violations(&s.gw, "").await[0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let r = gw2
        .client()
        .post(format!(
            "{}/api/barriers/violations/{id}/review",
            gw2.admin_url()
        ))
        .bearer_auth(&token)
        .json(&json!({"note": "seen"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap_or_default());
    assert_eq!(r.json::<Value>().await.unwrap()["reviewed_by"], "carol");

    // A made-up session token is refused on both.
    for gw in [&s.gw, &gw2] {
        let r = gw
            .client()
            .get(format!("{}/api/barriers", gw.admin_url()))
            .bearer_auth("pas-not-a-session")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 401);
    }
}

#[tokio::test]
async fn groups_survive_a_directory_outage_when_stale_is_allowed_and_unknown_users_are_refused() {
    let mut s = setup(None, "cache_ttl_s = 0\non_unavailable = \"stale\"").await;
    let r = s.gw.chat(&s.bob, &chat(MNPI_PROMPT, false)).await;
    assert_eq!(r.status(), 403);
    s.ldap.stop();
    // bob's groups come from the stale cache: still blocked, not let through.
    let r = s.gw.chat(&s.bob, &chat(MNPI_PROMPT, false)).await;
    assert_eq!(r.status(), 403, "{}", r.text().await.unwrap_or_default());
    // Nobody cached for a new user: refused, 503.
    let dave = s.gw.create_key("dave", &[]).await;
    let r = s.gw.chat(&dave, &chat("hello", false)).await;
    assert_eq!(r.status(), 503);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"]["code"], "ldap_unavailable");
    s.ldap.restart();
    let r = s.gw.chat(&dave, &chat("hello", false)).await;
    assert_eq!(
        r.status(),
        403,
        "unknown to the directory: refused by default"
    );
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"]["code"], "not_in_directory");
}

#[tokio::test]
async fn a_closed_directory_policy_refuses_when_ldap_is_down() {
    let mut s = setup(None, "cache_ttl_s = 0\non_unavailable = \"closed\"").await;
    let r = s.gw.chat(&s.alice, &chat("hello", false)).await;
    assert_eq!(r.status(), 200);
    s.ldap.stop();
    let r = s.gw.chat(&s.alice, &chat("hello", false)).await;
    assert_eq!(r.status(), 503);
}

#[tokio::test]
async fn a_compliance_officer_logs_in_with_ldap_and_reviews_as_themself() {
    let s = setup(None, "admin_groups = [\"Compliance-*\"]").await;
    let r = s.gw.chat(&s.bob, &chat(MNPI_PROMPT, false)).await;
    assert_eq!(r.status(), 403);
    let login = |u: &str, p: &str| {
        let (c, url) = (
            s.gw.client().clone(),
            format!("{}/api/login", s.gw.admin_url()),
        );
        let body = json!({"username": u, "password": p});
        async move { c.post(url).json(&body).send().await.unwrap() }
    };
    assert_eq!(login("carol", "wrong").await.status(), 401);
    assert_eq!(
        login("carol", "").await.status(),
        401,
        "no unauthenticated bind"
    );
    assert_eq!(
        login("bob", "bob-pw").await.status(),
        401,
        "not a compliance officer"
    );
    let r = login("carol", "carol-pw").await;
    assert_eq!(r.status(), 200);
    let session: Value = r.json().await.unwrap();
    let token = session["token"].as_str().unwrap().to_string();
    let v = violations(&s.gw, "").await;
    let id = v[0]["id"].as_str().unwrap();
    let r =
        s.gw.client()
            .post(format!(
                "{}/api/barriers/violations/{id}/review",
                s.gw.admin_url()
            ))
            .bearer_auth(&token)
            .json(&json!({"reviewer": "someone-else"}))
            .send()
            .await
            .unwrap();
    assert_eq!(r.status(), 200);
    let body: Value = r.json().await.unwrap();
    assert_eq!(
        body["reviewed_by"], "carol",
        "a session reviews as its own user"
    );
}
