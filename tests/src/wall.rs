//! The information-barrier fixture shared by the barrier test files: a real slapd with a
//! research analyst (alice, in a nested group), a trader (bob) and a compliance officer
//! (carol); a watch list; the gateway with both users' keys and one Block barrier between
//! research and trading.
#![allow(
    clippy::panic,
    clippy::expect_used,
    clippy::unwrap_used,
    reason = "test fixture: failing loudly is the point"
)]

use reqwest::Method;
use serde_json::{json, Value};

use crate::harness::ldap::{base_ldif, group, group_dn, user, user_dn, ROOT_PW};
use crate::harness::{ConfigBuilder, Gateway, Ldap, Redis};
use crate::mock::MockServer;

pub const WATCHLIST: &str = r#"{"issuers": [{"name": "Halvorsen Biotech", "ticker": "HLVB", "aliases": ["Halvorsen"], "list": "restricted"}],
 "deal_code_names": [{"code_name": "Project Falcon", "target": "Halvorsen Biotech", "acquirer": "Tessaly Pharmaceuticals"}]}"#;

pub const MNPI_PROMPT: &str =
    "Halvorsen Biotech will miss its Q3 earnings guidance; the announcement is not public yet. Summarise.";

/// The entries of the directory: alice in Equity-Research, itself in Research-Analysts
/// (nested); bob in Trading-Desk; carol in Compliance-Officers.
pub fn directory_ldif() -> String {
    let mut ldif = String::new();
    for (uid, pw) in [
        ("alice", "alice-pw"),
        ("bob", "bob-pw"),
        ("carol", "carol-pw"),
    ] {
        ldif.push_str(&user(uid, pw));
    }
    ldif.push_str(&group("Equity-Research", &[user_dn("alice")]));
    ldif.push_str(&group("Research-Analysts", &[group_dn("Equity-Research")]));
    ldif.push_str(&group("Trading-Desk", &[user_dn("bob")]));
    ldif.push_str(&group("Compliance-Officers", &[user_dn("carol")]));
    base_ldif(&ldif)
}

pub fn directory() -> Ldap {
    Ldap::start(&directory_ldif())
}

pub struct Setup {
    pub gw: Gateway,
    pub mock: MockServer,
    pub ldap: Ldap,
    pub redis: Option<Redis>,
    pub _watchlist_dir: tempfile::TempDir,
    pub alice: String,
    pub bob: String,
    pub barrier_id: String,
}

/// What varies between setups.
#[derive(Default)]
pub struct Options<'a> {
    pub redis: Option<Redis>,
    /// More lines in `[ldap]`.
    pub ldap_extra: &'a str,
    /// More TOML after everything else (other tables).
    pub raw: &'a str,
    /// The `[ldap]` table instead of the plain `ldap://` one (TLS tests).
    pub ldap_toml: Option<String>,
    /// Environment for the gateway beside the bind password.
    pub env: Vec<(&'a str, String)>,
}

pub async fn setup(redis: Option<Redis>, ldap_extra: &str) -> Setup {
    setup_with(Options {
        redis,
        ldap_extra,
        ..Options::default()
    })
    .await
}

pub async fn setup_with(o: Options<'_>) -> Setup {
    setup_on(directory(), o).await
}

/// The gateway against `ldap` (a directory built from `directory_ldif`).
pub async fn setup_on(ldap: Ldap, o: Options<'_>) -> Setup {
    let mock = MockServer::start().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let wl = dir.path().join("watchlist.json");
    std::fs::write(&wl, WATCHLIST).unwrap();
    let ldap_toml = o
        .ldap_toml
        .unwrap_or_else(|| ldap.config_toml("LDAP_PW", o.ldap_extra));
    let mut cfg = ConfigBuilder::standard(&mock.base_v1())
        .routing("retry_base_ms = 10")
        .raw(&format!(
            "[classifiers]\nwatchlist = {:?}\n",
            wl.display().to_string()
        ))
        .raw(&ldap_toml)
        .raw(o.raw);
    if let Some(r) = &o.redis {
        cfg = cfg.store_redis(&r.url());
    }
    let mut env: Vec<(&str, &str)> = vec![("LDAP_PW", ROOT_PW)];
    env.extend(o.env.iter().map(|(k, v)| (*k, v.as_str())));
    let gw = Gateway::start(&cfg.build(), &env);
    let alice = gw.create_key("alice", &[]).await;
    let bob = gw.create_key("bob", &[]).await;
    let (status, b) = gw
        .admin(
            Method::POST,
            "/api/barriers",
            Some(&json!({
                "name": "Research / Trading wall",
                "side_a_groups": ["Research-Analysts", "MA-Advisory-*"],
                "side_b_groups": ["Trading-Desk", "Sales-Trading-*"],
                "restricted_content_labels": ["mnpi", "merger_acquisition_target"],
                "action": "Block",
                "severity": "high",
            })),
        )
        .await;
    assert_eq!(status, 201, "{b}");
    Setup {
        barrier_id: b["id"].as_str().unwrap().to_string(),
        gw,
        mock,
        ldap,
        redis: o.redis,
        _watchlist_dir: dir,
        alice,
        bob,
    }
}

impl Setup {
    /// Changes the barrier's action (`Block`, `Log`, `Alert`).
    pub async fn set_action(&self, action: &str) {
        let (st, b) = self
            .gw
            .admin(
                Method::PUT,
                &format!("/api/barriers/{}", self.barrier_id),
                Some(&json!({
                    "name": "Research / Trading wall",
                    "side_a_groups": ["Research-Analysts"],
                    "side_b_groups": ["Trading-Desk"],
                    "restricted_content_labels": ["mnpi"],
                    "action": action,
                    "severity": "critical",
                })),
            )
            .await;
        assert_eq!(st, 200, "{b}");
    }
}

pub fn chat(content: &str, stream: bool) -> Value {
    json!({"model": "gpt-test", "stream": stream, "messages": [{"role": "user", "content": content}]})
}

/// `GET /api/barriers/violations{query}`: the records.
pub async fn violations(gw: &Gateway, query: &str) -> Vec<Value> {
    let (status, v) = gw
        .admin(
            Method::GET,
            &format!("/api/barriers/violations{query}"),
            None,
        )
        .await;
    assert_eq!(status, 200, "{v}");
    v["data"].as_array().cloned().unwrap_or_default()
}
