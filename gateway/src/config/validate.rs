//! `RawConfig` -> `Config`: every check, each error naming the key and, where known, the line.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use toml::Spanned;

use super::raw::*;
use super::*;
use crate::secret::Secret;

pub(super) struct Validator<'a> {
    pub(super) text: &'a str,
    pub(super) file: &'a str,
    pub(super) env: EnvLookup<'a>,
}

impl Validator<'_> {
    pub(super) fn err<T>(
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

    pub(super) fn env_secret(&self, v: &Spanned<String>, key: &str) -> Result<Secret, ConfigError> {
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

    pub(super) fn validate(&self, raw: RawConfig) -> Result<Config, ConfigError> {
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
            public_url: s
                .public_url
                .as_ref()
                .map(|u| self.url(u, "server.public_url"))
                .transpose()?,
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
        let pricing = self.pricing(raw.pricing)?;
        let limits = self.limits(raw.limits)?;
        let barriers = self.barriers(raw.classifiers, raw.barriers, &d.barriers)?;
        let ldap = raw.ldap.map(|l| self.ldap(l)).transpose()?;
        let policies = self.policies(raw.policies)?;
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
            pricing,
            limits,
            barriers,
            ldap,
            policies,
        })
    }

    fn policies(&self, p: RawPolicies) -> Result<PoliciesConfig, ConfigError> {
        let ip_country_header = match p.ip_country_header {
            Some(h) => {
                let name = h.get_ref().trim().to_ascii_lowercase();
                if axum::http::HeaderName::from_bytes(name.as_bytes()).is_err() || name.is_empty() {
                    return self.err(
                        Some(h.span()),
                        "policies.ip_country_header",
                        format!("'{name}' is not an HTTP header name"),
                    );
                }
                Some(name)
            }
            None => None,
        };
        Ok(PoliciesConfig {
            enforce: p.enforce.unwrap_or(false),
            audit_decisions: p.audit_decisions.unwrap_or(true),
            ip_country_header,
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
            mfa_claim: j.mfa_claim,
            leeway_s: j.leeway_s.unwrap_or(30),
            jwks_cache: Duration::from_secs(j.jwks_cache_s.unwrap_or(600)),
        })
    }
}
