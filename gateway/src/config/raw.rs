//! The configuration as written in TOML: every table and key, unknown keys rejected. `Spanned`
//! fields remember where they stood so validation errors can name the line.

use serde::Deserialize;
use toml::Spanned;

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawConfig {
    #[serde(default)]
    pub(super) server: RawServer,
    #[serde(default)]
    pub(super) store: RawStore,
    #[serde(default)]
    pub(super) routing: RawRouting,
    #[serde(default)]
    pub(super) providers: Vec<RawProvider>,
    #[serde(default)]
    pub(super) models: Vec<RawModel>,
    #[serde(default)]
    pub(super) auth: RawAuth,
    #[serde(default)]
    pub(super) audit: RawAudit,
    #[serde(default)]
    pub(super) webhooks: Vec<RawWebhook>,
    #[serde(default)]
    pub(super) aida: RawAida,
    #[serde(default)]
    pub(super) tools: Vec<RawTool>,
    #[serde(default)]
    pub(super) policies: RawPolicies,
    #[serde(default)]
    pub(super) pricing: Vec<RawPrice>,
    #[serde(default)]
    pub(super) limits: Vec<RawLimit>,
    #[serde(default)]
    pub(super) classifiers: RawClassifiers,
    #[serde(default)]
    pub(super) barriers: RawBarriers,
    pub(super) ldap: Option<RawLdap>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawClassifiers {
    pub(super) watchlist: Option<String>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawBarriers {
    pub(super) retention_days: Option<Spanned<u64>>,
    pub(super) reload_interval_s: Option<Spanned<u64>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawLdap {
    pub(super) url: Spanned<String>,
    pub(super) starttls: Option<Spanned<bool>>,
    pub(super) ca_file: Option<Spanned<String>>,
    pub(super) bind_dn: Option<String>,
    pub(super) bind_password_env: Option<Spanned<String>>,
    pub(super) user_base: String,
    pub(super) user_filter: Option<Spanned<String>>,
    pub(super) group_base: Option<String>,
    pub(super) group_filter: Option<Spanned<String>>,
    pub(super) group_name_attr: Option<String>,
    pub(super) max_nesting: Option<u32>,
    pub(super) timeout_ms: Option<u64>,
    pub(super) cache_ttl_s: Option<u64>,
    pub(super) negative_ttl_s: Option<u64>,
    pub(super) stale_max_s: Option<u64>,
    pub(super) cache_capacity: Option<u64>,
    pub(super) on_unavailable: Option<OnLdapUnavailable>,
    pub(super) unknown_user: Option<UnknownLdapUser>,
    #[serde(default)]
    pub(super) admin_groups: Vec<String>,
    pub(super) session_ttl_s: Option<u64>,
}

/// When the directory cannot be reached: use groups cached up to `stale_max_s`, or refuse.
#[derive(Debug, Clone, Copy, Deserialize, Default, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum OnLdapUnavailable {
    #[default]
    Stale,
    Closed,
}

/// A user the directory does not know: refuse the call (the default: which side of a barrier
/// they stand on cannot be told), or let it go on with no directory groups.
#[derive(Debug, Clone, Copy, Deserialize, Default, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum UnknownLdapUser {
    #[default]
    Deny,
    NoGroups,
}

/// `[[pricing]]`: USD per million tokens for a model (`model` exact, or a prefix ending `*`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawPrice {
    pub(super) model: Spanned<String>,
    pub(super) input: Spanned<f64>,
    pub(super) cached_input: Option<Spanned<f64>>,
    pub(super) output: Spanned<f64>,
}

/// `[[limits]]`: a budget and rate limits for a key, user or team (`id = "*"`: each of them).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawLimit {
    pub(super) subject: Spanned<String>,
    pub(super) id: Spanned<String>,
    pub(super) budget_usd: Option<Spanned<f64>>,
    pub(super) period: Option<Spanned<String>>,
    pub(super) rpm: Option<u64>,
    pub(super) tpm: Option<u64>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawPolicies {
    pub(super) enforce: Option<bool>,
    pub(super) audit_decisions: Option<bool>,
    pub(super) ip_country_header: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawAida {
    pub(super) enabled: Option<bool>,
    pub(super) unmapped_tools: Option<UnmappedTools>,
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
pub(super) struct RawTool {
    pub(super) name: Spanned<String>,
    pub(super) scope: Spanned<String>,
    pub(super) amount: Option<Spanned<String>>,
    pub(super) account: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawAudit {
    pub(super) on_failure: Option<OnFailure>,
    pub(super) checkpoint_every: Option<u64>,
    pub(super) checkpoint_interval_s: Option<u64>,
    pub(super) origin: Option<Spanned<String>>,
    pub(super) retention_days: Option<u64>,
    pub(super) witness_file: Option<String>,
    pub(super) witness_url: Option<Spanned<String>>,
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
pub(super) struct RawWebhook {
    pub(super) url: Spanned<String>,
    #[serde(default)]
    pub(super) events: Vec<String>,
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawServer {
    pub(super) proxy_listen: Option<Spanned<String>>,
    pub(super) admin_listen: Option<Spanned<String>>,
    pub(super) data_dir: Option<String>,
    pub(super) max_body_bytes: Option<usize>,
    pub(super) shutdown_grace_s: Option<u64>,
    pub(super) log_format: Option<LogFormat>,
    pub(super) demo_key: Option<bool>,
    pub(super) public_url: Option<Spanned<String>>,
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
pub(super) struct RawStore {
    pub(super) backend: Option<StoreBackend>,
    pub(super) path: Option<String>,
    pub(super) url: Option<Spanned<String>>,
}

#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub(super) enum StoreBackend {
    Embedded,
    Redis,
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawRouting {
    pub(super) max_retries: Option<u32>,
    pub(super) retry_base_ms: Option<u64>,
    pub(super) retry_max_ms: Option<u64>,
    pub(super) breaker_failure_threshold: Option<u32>,
    pub(super) breaker_cooldown_s: Option<u64>,
    pub(super) request_timeout_s: Option<u64>,
    pub(super) first_byte_timeout_s: Option<u64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawProvider {
    pub(super) name: Spanned<String>,
    pub(super) kind: ProviderKind,
    pub(super) base_url: Option<Spanned<String>>,
    pub(super) api_key_env: Option<Spanned<String>>,
    pub(super) api_version: Option<String>,
    pub(super) anthropic_version: Option<String>,
    pub(super) request_timeout_s: Option<u64>,
    pub(super) first_byte_timeout_s: Option<u64>,
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
pub(super) struct RawModel {
    pub(super) name: Spanned<String>,
    pub(super) routes: Vec<RawRoute>,
    #[serde(default)]
    pub(super) fallbacks: Vec<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawRoute {
    pub(super) provider: Spanned<String>,
    pub(super) model: String,
    #[serde(default = "default_weight")]
    pub(super) weight: Spanned<u32>,
}

pub(super) fn default_weight() -> Spanned<u32> {
    Spanned::new(0..0, 1)
}

#[derive(Debug, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawAuth {
    pub(super) jwt: Option<RawJwt>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawJwt {
    pub(super) issuer: Option<String>,
    pub(super) audience: Option<String>,
    pub(super) jwks_url: Option<Spanned<String>>,
    pub(super) hs256_secret_env: Option<Spanned<String>>,
    pub(super) public_key_file: Option<Spanned<String>>,
    #[serde(default = "default_groups_claim")]
    pub(super) groups_claim: String,
    #[serde(default = "default_subject_claim")]
    pub(super) subject_claim: String,
    #[serde(default = "default_mfa_claim")]
    pub(super) mfa_claim: String,
    pub(super) leeway_s: Option<u64>,
    pub(super) jwks_cache_s: Option<u64>,
}

pub(super) fn default_groups_claim() -> String {
    "groups".into()
}

pub(super) fn default_mfa_claim() -> String {
    "amr".into()
}

pub(super) fn default_subject_claim() -> String {
    "sub".into()
}
