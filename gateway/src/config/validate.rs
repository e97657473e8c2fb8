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
}

mod sections;
