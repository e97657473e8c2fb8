//! Configuration: `RawConfig` as written in TOML (unknown keys rejected) and the validated
//! `Config` the gateway runs with. Every error names the key and, where known, the file line.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::secret::Secret;

mod cost;
mod guard;
mod raw;
mod validate;

use raw::RawConfig;
pub use raw::{
    LogFormat, OnFailure, OnLdapUnavailable, ProviderKind, UnknownLdapUser, UnmappedTools,
};
use validate::Validator;

/// A configuration error: exit status 64 with this message.
#[derive(Debug, thiserror::Error)]
#[error("{location}{key}: {message}")]
pub struct ConfigError {
    pub location: String,
    pub key: String,
    pub message: String,
}

/// The validated configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// True when no config file was given: the zero-setup start.
    pub no_config: bool,
    pub server: ServerConfig,
    pub store: StoreConfig,
    pub routing: RoutingConfig,
    pub providers: Vec<ProviderConfig>,
    pub models: Vec<ModelConfig>,
    pub jwt: Option<JwtConfig>,
    pub audit: AuditConfig,
    pub webhooks: Vec<WebhookConfig>,
    pub aida: AidaConfig,
    /// `[[pricing]]` entries over the shipped table.
    pub pricing: crate::examination::pricing::Pricing,
    /// `[[limits]]`: budgets and rate limits.
    pub limits: crate::examination::limits::Limits,
    pub barriers: BarriersConfig,
    pub ldap: Option<LdapConfig>,
    pub policies: PoliciesConfig,
}

/// Classifiers and information barriers.
#[derive(Debug, Clone)]
pub struct BarriersConfig {
    /// The control room's watch list file, re-read when it changes.
    pub watchlist: Option<PathBuf>,
    /// How often the file and the store are checked for a new list or barrier changes.
    pub reload_interval: Duration,
    /// How long supervision records are kept; never less than 90 days.
    pub retention: Duration,
}

/// The minimum retention of supervision records (FINRA).
pub const MIN_SUPERVISION_DAYS: u64 = 90;

#[derive(Debug, Clone)]
pub struct LdapConfig {
    /// `ldap://` (with `starttls`, upgraded before binding), `ldaps://` or `ldapi://`.
    pub url: String,
    pub starttls: bool,
    /// TLS trusting only the roots of `ca_file`; `None` over TLS trusts the system's roots.
    pub tls: Option<std::sync::Arc<rustls::ClientConfig>>,
    pub bind_dn: Option<String>,
    pub bind_password: Option<Secret>,
    pub user_base: String,
    /// `{user}` is replaced by the escaped user name.
    pub user_filter: String,
    pub group_base: String,
    /// `{dn}` is replaced by the escaped member DN.
    pub group_filter: String,
    pub group_name_attr: String,
    pub max_nesting: u32,
    pub timeout: Duration,
    pub cache_ttl: Duration,
    pub negative_ttl: Duration,
    pub stale_max: Duration,
    pub cache_capacity: u64,
    pub on_unavailable: OnLdapUnavailable,
    pub unknown_user: UnknownLdapUser,
    /// Members of these groups (patterns) may log in to the admin API with `/api/login`.
    pub admin_groups: Vec<String>,
    pub session_ttl: Duration,
}

/// `[policies]`: the per-call check of model calls and A2A messages.
#[derive(Debug, Clone)]
pub struct PoliciesConfig {
    /// Check every model call and A2A message against the policies (default off, so a fresh
    /// install works; with no stored policy the shipped default set applies).
    pub enforce: bool,
    /// Record every decision of the decision API (default true). `false` is for measuring the
    /// API without the log, or where the calling service records decisions itself; model calls
    /// and approvals are recorded regardless.
    pub audit_decisions: bool,
    /// Request header carrying the caller's country (set by the TLS front or a geo-IP proxy),
    /// lower case; becomes `ctx.context.ip_country`.
    pub ip_country_header: Option<String>,
}

impl Default for PoliciesConfig {
    fn default() -> Self {
        PoliciesConfig {
            enforce: false,
            audit_decisions: true,
            ip_country_header: None,
        }
    }
}

#[derive(Debug, Clone)]
pub struct AidaConfig {
    /// On when `[aida] enabled = true`, or when AIDA_SIGNING_SECRET is set.
    pub enabled: bool,
    pub secret: Option<Secret>,
    pub unmapped_tools: UnmappedTools,
    pub tools: Vec<ToolConfig>,
}

/// What a tool call needs from an agent credential.
#[derive(Debug, Clone)]
pub struct ToolConfig {
    pub name: String,
    pub scope: crate::aida::credential::Scope,
    pub amount: Option<crate::aida::jsonpath::JsonPath>,
    pub account: Option<crate::aida::jsonpath::JsonPath>,
}

#[derive(Debug, Clone)]
pub struct AuditConfig {
    pub on_failure: OnFailure,
    pub checkpoint_every: u64,
    pub checkpoint_interval: Duration,
    /// The checkpoint origin line and signing key name.
    pub origin: String,
    /// Records older than this are trimmed (whole prefixes), leaving a signed checkpoint.
    pub retention: Option<Duration>,
    pub witness_file: Option<PathBuf>,
    pub witness_url: Option<String>,
}

#[derive(Debug, Clone)]
pub struct WebhookConfig {
    pub url: String,
    /// Event names this hook receives; empty means all.
    pub events: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct ServerConfig {
    pub proxy_listen: SocketAddr,
    pub admin_listen: SocketAddr,
    pub data_dir: PathBuf,
    pub max_body_bytes: usize,
    pub shutdown_grace: Duration,
    pub log_format: LogFormat,
    pub demo_key: bool,
    /// The proxy listener's address as clients see it (`https://gw.bank.example`), used in the
    /// A2A agent cards Parapet serves; without it, `http://` + the request's `Host`.
    pub public_url: Option<String>,
}

#[derive(Debug, Clone)]
pub enum StoreConfig {
    Embedded { path: PathBuf },
    Redis { url: String },
}

#[derive(Debug, Clone)]
pub struct RoutingConfig {
    pub max_retries: u32,
    pub retry_base: Duration,
    pub retry_max: Duration,
    pub breaker_failure_threshold: u32,
    pub breaker_cooldown: Duration,
    pub request_timeout: Duration,
    pub first_byte_timeout: Duration,
}

#[derive(Debug, Clone)]
pub struct ProviderConfig {
    pub name: String,
    pub kind: ProviderKind,
    /// Without a trailing slash.
    pub base_url: String,
    pub api_key: Option<Secret>,
    pub api_version: String,
    pub anthropic_version: String,
    pub request_timeout: Duration,
    pub first_byte_timeout: Duration,
}

#[derive(Debug, Clone)]
pub struct ModelConfig {
    pub name: String,
    pub routes: Vec<RouteConfig>,
    pub fallbacks: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct RouteConfig {
    pub provider: String,
    pub model: String,
    pub weight: u32,
}

#[derive(Debug, Clone)]
pub struct JwtConfig {
    pub issuer: Option<String>,
    pub audience: Option<String>,
    pub keys: JwtKeySource,
    pub groups_claim: String,
    pub subject_claim: String,
    /// Claim that says whether the person used MFA: a boolean, or OIDC `amr` (an array that
    /// contains "mfa").
    pub mfa_claim: String,
    pub leeway_s: u64,
    pub jwks_cache: Duration,
}

#[derive(Debug, Clone)]
pub enum JwtKeySource {
    Hs256(Secret),
    Jwks(String),
    /// PEM public key (RSA or EC P-256) read at start.
    Pem(Vec<u8>),
}

/// Reads `env` through a function so tests can give their own environment.
pub type EnvLookup<'a> = &'a dyn Fn(&str) -> Option<String>;

impl Config {
    /// The zero-setup configuration: embedded store in `./parapet-data`, the `echo` model.
    pub fn no_config() -> Config {
        let mut cfg = match Self::parse("", "(defaults)", &|_| None) {
            Ok(c) => c,
            Err(_) => unreachable_default(),
        };
        cfg.no_config = true;
        cfg.server.demo_key = true;
        cfg.providers.push(ProviderConfig {
            name: "echo".into(),
            kind: ProviderKind::Echo,
            base_url: String::new(),
            api_key: None,
            api_version: String::new(),
            anthropic_version: String::new(),
            request_timeout: cfg.routing.request_timeout,
            first_byte_timeout: cfg.routing.first_byte_timeout,
        });
        cfg.models.push(ModelConfig {
            name: "echo".into(),
            routes: vec![RouteConfig {
                provider: "echo".into(),
                model: "echo".into(),
                weight: 1,
            }],
            fallbacks: vec![],
        });
        cfg
    }

    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|e| ConfigError {
            location: String::new(),
            key: path.display().to_string(),
            message: format!("cannot read config file: {e}"),
        })?;
        Self::parse(&text, &path.display().to_string(), &|k| {
            std::env::var(k).ok()
        })
    }

    /// Parses and validates a config text; `file` names it in errors.
    pub fn parse(text: &str, file: &str, env: EnvLookup<'_>) -> Result<Config, ConfigError> {
        let raw: RawConfig = toml::from_str(text).map_err(|e| {
            let line = e.span().map(|s| line_of(text, s.start));
            ConfigError {
                location: location(file, line),
                key: String::new(),
                message: e.message().trim().to_string(),
            }
        })?;
        Validator { text, file, env }.validate(raw)
    }
}

fn unreachable_default() -> Config {
    // The empty config always validates; this keeps `no_config` free of expect().
    Config {
        no_config: true,
        server: ServerConfig {
            proxy_listen: SocketAddr::from(([127, 0, 0, 1], 7777)),
            admin_listen: SocketAddr::from(([127, 0, 0, 1], 7778)),
            data_dir: PathBuf::from("parapet-data"),
            max_body_bytes: 4 << 20,
            shutdown_grace: Duration::from_secs(30),
            log_format: LogFormat::Text,
            demo_key: true,
            public_url: None,
        },
        store: StoreConfig::Embedded {
            path: PathBuf::from("parapet-data/store.redb"),
        },
        routing: RoutingConfig {
            max_retries: 2,
            retry_base: Duration::from_millis(50),
            retry_max: Duration::from_millis(2000),
            breaker_failure_threshold: 5,
            breaker_cooldown: Duration::from_secs(30),
            request_timeout: Duration::from_secs(120),
            first_byte_timeout: Duration::from_secs(30),
        },
        providers: vec![],
        models: vec![],
        jwt: None,
        audit: AuditConfig {
            on_failure: OnFailure::Closed,
            checkpoint_every: 1000,
            checkpoint_interval: Duration::from_secs(60),
            origin: "parapet".into(),
            retention: None,
            witness_file: None,
            witness_url: None,
        },
        webhooks: vec![],
        aida: AidaConfig {
            enabled: false,
            secret: None,
            unmapped_tools: UnmappedTools::Deny,
            tools: vec![],
        },
        pricing: crate::examination::pricing::Pricing::default(),
        limits: crate::examination::limits::Limits::default(),
        barriers: BarriersConfig {
            watchlist: None,
            reload_interval: Duration::from_secs(2),
            retention: Duration::from_secs(MIN_SUPERVISION_DAYS * 86_400),
        },
        ldap: None,
        policies: PoliciesConfig::default(),
    }
}

fn line_of(text: &str, offset: usize) -> usize {
    text.get(..offset)
        .map(|s| s.matches('\n').count() + 1)
        .unwrap_or(1)
}

fn location(file: &str, line: Option<usize>) -> String {
    match line {
        Some(l) => format!("{file}:{l}: "),
        None => format!("{file}: "),
    }
}

#[cfg(test)]
mod tests;
