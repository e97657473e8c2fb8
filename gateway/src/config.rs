//! Configuration: `RawConfig` as written in TOML (unknown keys rejected) and the validated
//! `Config` the gateway runs with. Every error names the key and, where known, the file line.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;
use toml::Spanned;

use crate::secret::Secret;

/// A configuration error: exit status 64 with this message.
#[derive(Debug, thiserror::Error)]
#[error("{location}{key}: {message}")]
pub struct ConfigError {
    pub location: String,
    pub key: String,
    pub message: String,
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    #[serde(default)]
    server: RawServer,
    #[serde(default)]
    store: RawStore,
    #[serde(default)]
    routing: RawRouting,
    #[serde(default)]
    providers: Vec<RawProvider>,
    #[serde(default)]
    models: Vec<RawModel>,
    #[serde(default)]
    auth: RawAuth,
    #[serde(default)]
    audit: RawAudit,
    #[serde(default)]
    webhooks: Vec<RawWebhook>,
    #[serde(default)]
    aida: RawAida,
    #[serde(default)]
    tools: Vec<RawTool>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawAida {
    enabled: Option<bool>,
    unmapped_tools: Option<UnmappedTools>,
}

/// What an agent may do with a tool that has no `[[tools]]` entry.
#[derive(Debug, Clone, Copy, Deserialize, Default, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum UnmappedTools {
    #[default]
    Deny,
    Allow,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTool {
    name: Spanned<String>,
    scope: Spanned<String>,
    amount: Option<Spanned<String>>,
    account: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawAudit {
    on_failure: Option<OnFailure>,
    checkpoint_every: Option<u64>,
    checkpoint_interval_s: Option<u64>,
    origin: Option<Spanned<String>>,
    retention_days: Option<u64>,
    witness_file: Option<String>,
    witness_url: Option<Spanned<String>>,
}

#[derive(Debug, Clone, Copy, Deserialize, Default, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum OnFailure {
    #[default]
    Closed,
    Open,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawWebhook {
    url: Spanned<String>,
    #[serde(default)]
    events: Vec<String>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawServer {
    proxy_listen: Option<Spanned<String>>,
    admin_listen: Option<Spanned<String>>,
    data_dir: Option<String>,
    max_body_bytes: Option<usize>,
    shutdown_grace_s: Option<u64>,
    log_format: Option<LogFormat>,
    demo_key: Option<bool>,
}

#[derive(Debug, Clone, Copy, Deserialize, Default, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    #[default]
    Text,
    Json,
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawStore {
    backend: Option<StoreBackend>,
    path: Option<String>,
    url: Option<Spanned<String>>,
}

#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
enum StoreBackend {
    Embedded,
    Redis,
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawRouting {
    max_retries: Option<u32>,
    retry_base_ms: Option<u64>,
    retry_max_ms: Option<u64>,
    breaker_failure_threshold: Option<u32>,
    breaker_cooldown_s: Option<u64>,
    request_timeout_s: Option<u64>,
    first_byte_timeout_s: Option<u64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawProvider {
    name: Spanned<String>,
    kind: ProviderKind,
    base_url: Option<Spanned<String>>,
    api_key_env: Option<Spanned<String>>,
    api_version: Option<String>,
    anthropic_version: Option<String>,
    request_timeout_s: Option<u64>,
    first_byte_timeout_s: Option<u64>,
}

#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum ProviderKind {
    Openai,
    Azure,
    Anthropic,
    Echo,
}

impl ProviderKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ProviderKind::Openai => "openai",
            ProviderKind::Azure => "azure",
            ProviderKind::Anthropic => "anthropic",
            ProviderKind::Echo => "echo",
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawModel {
    name: Spanned<String>,
    routes: Vec<RawRoute>,
    #[serde(default)]
    fallbacks: Vec<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRoute {
    provider: Spanned<String>,
    model: String,
    #[serde(default = "default_weight")]
    weight: Spanned<u32>,
}

fn default_weight() -> Spanned<u32> {
    Spanned::new(0..0, 1)
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawAuth {
    jwt: Option<RawJwt>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawJwt {
    issuer: Option<String>,
    audience: Option<String>,
    jwks_url: Option<Spanned<String>>,
    hs256_secret_env: Option<Spanned<String>>,
    public_key_file: Option<Spanned<String>>,
    #[serde(default = "default_groups_claim")]
    groups_claim: String,
    #[serde(default = "default_subject_claim")]
    subject_claim: String,
    leeway_s: Option<u64>,
    jwks_cache_s: Option<u64>,
}

fn default_groups_claim() -> String {
    "groups".into()
}

fn default_subject_claim() -> String {
    "sub".into()
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

struct Validator<'a> {
    text: &'a str,
    file: &'a str,
    env: EnvLookup<'a>,
}

impl Validator<'_> {
    fn err<T>(
        &self,
        span: Option<std::ops::Range<usize>>,
        key: impl Into<String>,
        msg: impl Into<String>,
    ) -> Result<T, ConfigError> {
        let line = span
            .filter(|s| s.end > 0)
            .map(|s| line_of(self.text, s.start));
        Err(ConfigError {
            location: location(self.file, line),
            key: key.into(),
            message: msg.into(),
        })
    }

    fn addr(
        &self,
        v: Option<Spanned<String>>,
        key: &str,
        default: &str,
    ) -> Result<SocketAddr, ConfigError> {
        let (text, span) = match &v {
            Some(s) => (s.get_ref().as_str(), Some(s.span())),
            None => (default, None),
        };
        text.parse().or_else(|_| {
            self.err(
                span,
                key,
                format!("'{text}' is not an address like 127.0.0.1:7777"),
            )
        })
    }

    fn env_secret(&self, v: &Spanned<String>, key: &str) -> Result<Secret, ConfigError> {
        let name = v.get_ref();
        match (self.env)(name) {
            Some(val) if !val.is_empty() => Ok(Secret::new(val)),
            _ => self.err(
                Some(v.span()),
                key,
                format!("environment variable {name} is not set"),
            ),
        }
    }

    fn url(&self, v: &Spanned<String>, key: &str) -> Result<String, ConfigError> {
        let u = v.get_ref().trim_end_matches('/');
        if !(u.starts_with("http://") || u.starts_with("https://")) || u.len() < 10 {
            return self.err(Some(v.span()), key, format!("'{u}' is not an http(s) URL"));
        }
        Ok(u.to_string())
    }

    fn validate(&self, raw: RawConfig) -> Result<Config, ConfigError> {
        let d = unreachable_default();
        let s = raw.server;
        let data_dir = PathBuf::from(s.data_dir.unwrap_or_else(|| "parapet-data".into()));
        let max_body_bytes = s.max_body_bytes.unwrap_or(d.server.max_body_bytes);
        if max_body_bytes < 1024 {
            return self.err(None, "server.max_body_bytes", "must be at least 1024");
        }
        let server = ServerConfig {
            proxy_listen: self.addr(s.proxy_listen, "server.proxy_listen", "127.0.0.1:7777")?,
            admin_listen: self.addr(s.admin_listen, "server.admin_listen", "127.0.0.1:7778")?,
            max_body_bytes,
            shutdown_grace: Duration::from_secs(s.shutdown_grace_s.unwrap_or(30)),
            log_format: s.log_format.unwrap_or_default(),
            demo_key: s.demo_key.unwrap_or(false),
            data_dir: data_dir.clone(),
        };

        let store = match raw.store.backend.unwrap_or(StoreBackend::Embedded) {
            StoreBackend::Embedded => {
                if raw.store.url.is_some() {
                    return self.err(
                        raw.store.url.map(|u| u.span()),
                        "store.url",
                        "only used with backend = \"redis\"",
                    );
                }
                let path = raw
                    .store
                    .path
                    .map(PathBuf::from)
                    .unwrap_or_else(|| data_dir.join("store.redb"));
                StoreConfig::Embedded { path }
            }
            StoreBackend::Redis => {
                let url = match ((self.env)("REDIS_URL"), raw.store.url) {
                    (Some(u), _) if !u.is_empty() => u,
                    (_, Some(u)) => {
                        if !u.get_ref().starts_with("redis://")
                            && !u.get_ref().starts_with("rediss://")
                        {
                            return self.err(
                                Some(u.span()),
                                "store.url",
                                "must start with redis:// or rediss://",
                            );
                        }
                        u.into_inner()
                    }
                    _ => {
                        return self.err(
                            None,
                            "store.url",
                            "required with backend = \"redis\" (or set REDIS_URL)",
                        )
                    }
                };
                StoreConfig::Redis { url }
            }
        };

        let r = raw.routing;
        let secs = |v: Option<u64>, dflt: Duration| v.map(Duration::from_secs).unwrap_or(dflt);
        let routing = RoutingConfig {
            max_retries: r.max_retries.unwrap_or(d.routing.max_retries),
            retry_base: r
                .retry_base_ms
                .map(Duration::from_millis)
                .unwrap_or(d.routing.retry_base),
            retry_max: r
                .retry_max_ms
                .map(Duration::from_millis)
                .unwrap_or(d.routing.retry_max),
            breaker_failure_threshold: r
                .breaker_failure_threshold
                .unwrap_or(d.routing.breaker_failure_threshold),
            breaker_cooldown: secs(r.breaker_cooldown_s, d.routing.breaker_cooldown),
            request_timeout: secs(r.request_timeout_s, d.routing.request_timeout),
            first_byte_timeout: secs(r.first_byte_timeout_s, d.routing.first_byte_timeout),
        };
        if routing.breaker_failure_threshold == 0 {
            return self.err(
                None,
                "routing.breaker_failure_threshold",
                "must be at least 1",
            );
        }
        if routing.request_timeout.is_zero() || routing.first_byte_timeout.is_zero() {
            return self.err(None, "routing", "timeouts must be at least 1 second");
        }

        let mut providers: Vec<ProviderConfig> = Vec::new();
        for (i, p) in raw.providers.into_iter().enumerate() {
            let key = |k: &str| format!("providers[{i}].{k}");
            let name = p.name.get_ref().clone();
            if name.is_empty() || providers.iter().any(|q| q.name == name) {
                return self.err(
                    Some(p.name.span()),
                    key("name"),
                    format!("'{name}' is empty or used twice"),
                );
            }
            let base_url = match (&p.base_url, p.kind) {
                (Some(u), _) => self.url(u, &key("base_url"))?,
                (None, ProviderKind::Echo) => String::new(),
                (None, ProviderKind::Openai) => "https://api.openai.com/v1".into(),
                (None, ProviderKind::Anthropic) => "https://api.anthropic.com/v1".into(),
                (None, ProviderKind::Azure) => {
                    return self.err(
                        Some(p.name.span()),
                        key("base_url"),
                        "required for azure (the deployment URL)",
                    )
                }
            };
            let api_key = match &p.api_key_env {
                Some(v) => Some(self.env_secret(v, &key("api_key_env"))?),
                None => None,
            };
            providers.push(ProviderConfig {
                name,
                kind: p.kind,
                base_url,
                api_key,
                api_version: p.api_version.unwrap_or_else(|| "2024-10-21".into()),
                anthropic_version: p.anthropic_version.unwrap_or_else(|| "2023-06-01".into()),
                request_timeout: secs(p.request_timeout_s, routing.request_timeout),
                first_byte_timeout: secs(p.first_byte_timeout_s, routing.first_byte_timeout),
            });
        }

        let names: Vec<String> = raw
            .models
            .iter()
            .map(|m| m.name.get_ref().clone())
            .collect();
        let mut models = Vec::new();
        for (i, m) in raw.models.into_iter().enumerate() {
            let name = m.name.get_ref().clone();
            if name.is_empty() || names.iter().filter(|n| **n == name).count() > 1 {
                return self.err(
                    Some(m.name.span()),
                    format!("models[{i}].name"),
                    format!("'{name}' is empty or used twice"),
                );
            }
            if m.routes.is_empty() {
                return self.err(
                    Some(m.name.span()),
                    format!("models[{i}].routes"),
                    "needs at least one route",
                );
            }
            let mut routes = Vec::new();
            for (j, r) in m.routes.into_iter().enumerate() {
                let pname = r.provider.get_ref();
                if !providers.iter().any(|p| &p.name == pname) {
                    let known: Vec<&str> = providers.iter().map(|p| p.name.as_str()).collect();
                    return self.err(
                        Some(r.provider.span()),
                        format!("models[{i}].routes[{j}].provider"),
                        format!("unknown provider '{pname}' (known: {})", known.join(", ")),
                    );
                }
                if *r.weight.get_ref() == 0 {
                    return self.err(
                        Some(r.weight.span()),
                        format!("models[{i}].routes[{j}].weight"),
                        "must be at least 1",
                    );
                }
                routes.push(RouteConfig {
                    provider: pname.clone(),
                    model: r.model,
                    weight: *r.weight.get_ref(),
                });
            }
            let mut fallbacks = Vec::new();
            for (j, f) in m.fallbacks.into_iter().enumerate() {
                if !names.contains(f.get_ref()) || *f.get_ref() == name {
                    return self.err(
                        Some(f.span()),
                        format!("models[{i}].fallbacks[{j}]"),
                        format!("'{}' is not another configured model", f.get_ref()),
                    );
                }
                fallbacks.push(f.into_inner());
            }
            models.push(ModelConfig {
                name,
                routes,
                fallbacks,
            });
        }

        let jwt = match raw.auth.jwt {
            None => None,
            Some(j) => Some(self.jwt(j)?),
        };

        let audit = self.audit(raw.audit, &d.audit)?;
        let mut webhooks = Vec::new();
        for (i, w) in raw.webhooks.into_iter().enumerate() {
            webhooks.push(WebhookConfig {
                url: self.url(&w.url, &format!("webhooks[{i}].url"))?,
                events: w.events,
            });
        }
        let aida = self.aida(raw.aida, raw.tools)?;
        Ok(Config {
            no_config: false,
            server,
            store,
            routing,
            providers,
            models,
            jwt,
            audit,
            webhooks,
            aida,
        })
    }

    fn aida(&self, a: RawAida, tools: Vec<RawTool>) -> Result<AidaConfig, ConfigError> {
        let secret = (self.env)("AIDA_SIGNING_SECRET").filter(|s| !s.is_empty());
        let enabled = a.enabled.unwrap_or(secret.is_some());
        if enabled && secret.is_none() {
            return self.err(
                None,
                "aida.enabled",
                "agent credentials need AIDA_SIGNING_SECRET in the environment",
            );
        }
        if secret.as_ref().is_some_and(|s| s.len() < 32) {
            return self.err(
                None,
                "aida",
                "AIDA_SIGNING_SECRET must be at least 32 bytes",
            );
        }
        let mut out: Vec<ToolConfig> = Vec::new();
        for (i, t) in tools.into_iter().enumerate() {
            let key = |k: &str| format!("tools[{i}].{k}");
            let name = t.name.get_ref().clone();
            if name.is_empty() || out.iter().any(|o| o.name == name) {
                return self.err(
                    Some(t.name.span()),
                    key("name"),
                    format!("'{name}' is empty or used twice"),
                );
            }
            let scope = match t.scope.get_ref().parse() {
                Ok(s) => s,
                Err(e) => return self.err(Some(t.scope.span()), key("scope"), format!("{e}")),
            };
            let path =
                |p: &Option<Spanned<String>>,
                 k: &str|
                 -> Result<Option<crate::aida::jsonpath::JsonPath>, ConfigError> {
                    match p {
                        None => Ok(None),
                        Some(p) => crate::aida::jsonpath::parse(p.get_ref())
                            .map(Some)
                            .or_else(|e| self.err(Some(p.span()), key(k), format!("{e}"))),
                    }
                };
            out.push(ToolConfig {
                name,
                scope,
                amount: path(&t.amount, "amount")?,
                account: path(&t.account, "account")?,
            });
        }
        Ok(AidaConfig {
            enabled,
            secret: secret.map(Secret::new),
            unmapped_tools: a.unmapped_tools.unwrap_or_default(),
            tools: out,
        })
    }

    fn audit(&self, a: RawAudit, d: &AuditConfig) -> Result<AuditConfig, ConfigError> {
        let every = a.checkpoint_every.unwrap_or(d.checkpoint_every);
        if every == 0 {
            return self.err(None, "audit.checkpoint_every", "must be at least 1");
        }
        let origin = match a.origin {
            Some(o) => {
                let v = o.get_ref();
                if v.is_empty() || v.contains(char::is_whitespace) || v.contains('+') {
                    return self.err(
                        Some(o.span()),
                        "audit.origin",
                        "must be non-empty, without spaces or '+'",
                    );
                }
                v.clone()
            }
            None => d.origin.clone(),
        };
        if a.retention_days == Some(0) {
            return self.err(
                None,
                "audit.retention_days",
                "must be at least 1 (or absent: keep everything)",
            );
        }
        Ok(AuditConfig {
            on_failure: a.on_failure.unwrap_or_default(),
            checkpoint_every: every,
            checkpoint_interval: Duration::from_secs(a.checkpoint_interval_s.unwrap_or(60).max(1)),
            origin,
            retention: a.retention_days.map(|d| Duration::from_secs(d * 86_400)),
            witness_file: a.witness_file.map(PathBuf::from),
            witness_url: a
                .witness_url
                .as_ref()
                .map(|u| self.url(u, "audit.witness_url"))
                .transpose()?,
        })
    }

    fn jwt(&self, j: RawJwt) -> Result<JwtConfig, ConfigError> {
        let sources = [
            j.jwks_url.is_some(),
            j.hs256_secret_env.is_some(),
            j.public_key_file.is_some(),
        ];
        if sources.iter().filter(|s| **s).count() != 1 {
            return self.err(
                None,
                "auth.jwt",
                "set exactly one of jwks_url, hs256_secret_env, public_key_file",
            );
        }
        let keys = if let Some(u) = &j.jwks_url {
            JwtKeySource::Jwks(self.url(u, "auth.jwt.jwks_url")?)
        } else if let Some(e) = &j.hs256_secret_env {
            let secret = self.env_secret(e, "auth.jwt.hs256_secret_env")?;
            if secret.expose().len() < 32 {
                return self.err(
                    Some(e.span()),
                    "auth.jwt.hs256_secret_env",
                    "the secret must be at least 32 bytes",
                );
            }
            JwtKeySource::Hs256(secret)
        } else if let Some(f) = &j.public_key_file {
            match std::fs::read(f.get_ref()) {
                Ok(pem) => JwtKeySource::Pem(pem),
                Err(e) => {
                    return self.err(
                        Some(f.span()),
                        "auth.jwt.public_key_file",
                        format!("cannot read {}: {e}", f.get_ref()),
                    )
                }
            }
        } else {
            return self.err(None, "auth.jwt", "no key source");
        };
        Ok(JwtConfig {
            issuer: j.issuer,
            audience: j.audience,
            keys,
            groups_claim: j.groups_claim,
            subject_claim: j.subject_claim,
            leeway_s: j.leeway_s.unwrap_or(30),
            jwks_cache: Duration::from_secs(j.jwks_cache_s.unwrap_or(600)),
        })
    }
}

#[cfg(test)]
mod tests;
