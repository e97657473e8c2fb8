//! The checks of the `[policies]`, `[aida]`, `[audit]` and `[auth.jwt]` sections.

use std::time::Duration;

use toml::Spanned;

use super::super::raw::*;
use super::super::*;
use super::Validator;

impl Validator<'_> {
    pub(super) fn policies(&self, p: RawPolicies) -> Result<PoliciesConfig, ConfigError> {
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

    pub(super) fn aida(&self, a: RawAida, tools: Vec<RawTool>) -> Result<AidaConfig, ConfigError> {
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

    pub(super) fn audit(&self, a: RawAudit, d: &AuditConfig) -> Result<AuditConfig, ConfigError> {
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

    pub(super) fn jwt(&self, j: RawJwt) -> Result<JwtConfig, ConfigError> {
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
