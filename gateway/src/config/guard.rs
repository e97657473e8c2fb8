//! Validation of `[classifiers]`, `[barriers]` and `[ldap]`.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::CertificateDer;
use rustls::{ClientConfig, RootCertStore};

use super::raw::{RawBarriers, RawClassifiers, RawLdap};
use super::validate::Validator;
use super::{BarriersConfig, ConfigError, LdapConfig, MIN_SUPERVISION_DAYS};

impl Validator<'_> {
    pub(super) fn barriers(
        &self,
        c: RawClassifiers,
        b: RawBarriers,
        d: &BarriersConfig,
    ) -> Result<BarriersConfig, ConfigError> {
        let retention = match b.retention_days {
            None => d.retention,
            Some(days) if *days.get_ref() < MIN_SUPERVISION_DAYS => {
                return self.err(
                    Some(days.span()),
                    "barriers.retention_days",
                    format!("supervision records are kept at least {MIN_SUPERVISION_DAYS} days"),
                )
            }
            Some(days) => Duration::from_secs(days.get_ref().saturating_mul(86_400)),
        };
        let reload_interval = match b.reload_interval_s {
            None => d.reload_interval,
            Some(s) if *s.get_ref() == 0 || *s.get_ref() > 3600 => {
                return self.err(
                    Some(s.span()),
                    "barriers.reload_interval_s",
                    "must be between 1 and 3600",
                )
            }
            Some(s) => Duration::from_secs(*s.get_ref()),
        };
        Ok(BarriersConfig {
            watchlist: c.watchlist.map(PathBuf::from),
            reload_interval,
            retention,
        })
    }

    pub(super) fn ldap(&self, l: RawLdap) -> Result<LdapConfig, ConfigError> {
        let url = l.url.get_ref().clone();
        let scheme = url.split_once("://").map_or("", |(s, _)| s);
        if !matches!(scheme, "ldap" | "ldaps" | "ldapi") {
            return self.err(
                Some(l.url.span()),
                "ldap.url",
                format!("'{url}' is not an ldap://, ldaps:// or ldapi:// URL"),
            );
        }
        let starttls = match l.starttls {
            Some(s) if *s.get_ref() && scheme != "ldap" => {
                return self.err(
                    Some(s.span()),
                    "ldap.starttls",
                    "StartTLS upgrades an ldap:// connection (ldaps:// is TLS from the start)",
                )
            }
            Some(s) => *s.get_ref(),
            None => false,
        };
        let tls = match l.ca_file {
            Some(f) if !(starttls || scheme == "ldaps") => {
                return self.err(
                    Some(f.span()),
                    "ldap.ca_file",
                    "is only used over TLS: an ldaps:// url or starttls = true",
                )
            }
            Some(f) => {
                let config = tls_trusting(f.get_ref())
                    .or_else(|m| self.err(Some(f.span()), "ldap.ca_file", m))?;
                Some(config)
            }
            None => None,
        };
        let bind_password = l
            .bind_password_env
            .as_ref()
            .map(|v| self.env_secret(v, "ldap.bind_password_env"))
            .transpose()?;
        let placeholder = |v: Option<toml::Spanned<String>>,
                           key: &str,
                           default: &str,
                           needs: &str|
         -> Result<String, ConfigError> {
            match v {
                None => Ok(default.to_string()),
                Some(s) if s.get_ref().contains(needs) => Ok(s.get_ref().clone()),
                Some(s) => self.err(Some(s.span()), key, format!("must contain {needs}")),
            }
        };
        let user_filter = placeholder(l.user_filter, "ldap.user_filter", "(uid={user})", "{user}")?;
        let group_filter = placeholder(
            l.group_filter,
            "ldap.group_filter",
            "(|(&(objectClass=groupOfNames)(member={dn}))(&(objectClass=groupOfUniqueNames)(uniqueMember={dn})))",
            "{dn}",
        )?;
        Ok(LdapConfig {
            url,
            starttls,
            tls,
            bind_dn: l.bind_dn,
            bind_password,
            group_base: l.group_base.unwrap_or_else(|| l.user_base.clone()),
            user_base: l.user_base,
            user_filter,
            group_filter,
            group_name_attr: l.group_name_attr.unwrap_or_else(|| "cn".into()),
            max_nesting: l.max_nesting.unwrap_or(8).min(32),
            timeout: Duration::from_millis(l.timeout_ms.unwrap_or(2000).max(10)),
            cache_ttl: Duration::from_secs(l.cache_ttl_s.unwrap_or(300)),
            negative_ttl: Duration::from_secs(l.negative_ttl_s.unwrap_or(60)),
            stale_max: Duration::from_secs(l.stale_max_s.unwrap_or(3600)),
            cache_capacity: l.cache_capacity.unwrap_or(100_000),
            on_unavailable: l.on_unavailable.unwrap_or_default(),
            unknown_user: l.unknown_user.unwrap_or_default(),
            admin_groups: l.admin_groups,
            session_ttl: Duration::from_secs(l.session_ttl_s.unwrap_or(900).clamp(60, 86_400)),
        })
    }
}

/// A TLS client configuration that trusts exactly the certificates of the PEM file at `path`
/// (rustls with ring, the provider reqwest uses too).
fn tls_trusting(path: &str) -> Result<Arc<ClientConfig>, String> {
    let pem = std::fs::read(path).map_err(|e| format!("cannot read '{path}': {e}"))?;
    let mut roots = RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(&pem) {
        let cert = cert.map_err(|e| format!("'{path}' is not PEM: {e}"))?;
        roots
            .add(cert)
            .map_err(|e| format!("'{path}' holds a certificate rustls cannot use: {e}"))?;
    }
    if roots.is_empty() {
        return Err(format!("'{path}' holds no PEM certificate"));
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS configuration: {e}"))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(Arc::new(config))
}

#[cfg(test)]
mod tests;
