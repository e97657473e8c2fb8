//! Groups from the directory (ldap3 over rustls: `ldaps://`, or `ldap://` with `starttls`,
//! trusting `ca_file` or the system's roots): the user's entry by `user_filter`, then the groups that
//! list it as a member, then the groups that list those (nested, up to `max_nesting` levels).
//! Answers are cached (moka: TTL, bounded, short negative cache for unknown users, who are
//! refused unless `unknown_user = "no_groups"`). When the
//! directory is down, `on_unavailable = "stale"` serves the last answer up to `stale_max` old;
//! otherwise, or with nothing cached, the call is refused (503).

use std::collections::{BTreeSet, HashSet};
use std::sync::Arc;
use std::time::Instant;

use ldap3::{ldap_escape, LdapConnAsync, LdapConnSettings, Scope, SearchEntry};
use moka::future::Cache;

use crate::config::{LdapConfig, OnLdapUnavailable, UnknownLdapUser};
use crate::error::ApiError;

#[derive(Debug, thiserror::Error)]
pub enum LdapError {
    #[error("directory unreachable: {0}")]
    Unavailable(String),
    #[error("no such user")]
    NoSuchUser,
    #[error("bad credentials")]
    BadCredentials,
}

impl From<ldap3::LdapError> for LdapError {
    fn from(e: ldap3::LdapError) -> Self {
        LdapError::Unavailable(e.to_string())
    }
}

pub struct LdapGroups {
    cfg: LdapConfig,
    fresh: Cache<String, Arc<Vec<String>>>,
    /// Users the directory does not know, for `negative_ttl`.
    unknown: Cache<String, ()>,
    /// The last answer per user with its time, for `on_unavailable = "stale"`.
    stale: Cache<String, (Instant, Arc<Vec<String>>)>,
}

/// Inverse of the `{dn}`/`{user}` templates: fills one in, escaped for a filter.
fn fill(template: &str, key: &str, value: &str) -> String {
    template.replace(key, &ldap_escape(value))
}

impl LdapGroups {
    pub fn new(cfg: LdapConfig) -> Self {
        let fresh = Cache::builder()
            .max_capacity(cfg.cache_capacity)
            .time_to_live(cfg.cache_ttl)
            .build();
        let unknown = Cache::builder()
            .max_capacity(cfg.cache_capacity)
            .time_to_live(cfg.negative_ttl)
            .build();
        let stale = Cache::builder()
            .max_capacity(cfg.cache_capacity)
            .time_to_live(cfg.stale_max.max(cfg.cache_ttl))
            .build();
        LdapGroups {
            cfg,
            fresh,
            unknown,
            stale,
        }
    }

    pub fn cfg(&self) -> &LdapConfig {
        &self.cfg
    }

    /// The group names (CNs) of `user`, nested groups included. A user the directory does not
    /// know has no groups with `unknown_user = "no_groups"`; with `"deny"` (the default) that
    /// is `NotInDirectory`, naming them as `who` ("the caller 'x'", "the agent owner 'y'").
    pub async fn groups(&self, user: &str, who: &str) -> Result<Arc<Vec<String>>, ApiError> {
        match self.find_groups(user).await? {
            Some(g) => Ok(g),
            None if self.cfg.unknown_user == UnknownLdapUser::NoGroups => Ok(Arc::default()),
            None => {
                metrics::counter!("parapet_ldap_unknown_users_total").increment(1);
                Err(ApiError::NotInDirectory(who.to_string()))
            }
        }
    }

    /// The groups of `user`, or `None` when the directory does not know them.
    async fn find_groups(&self, user: &str) -> Result<Option<Arc<Vec<String>>>, ApiError> {
        if let Some(g) = self.fresh.get(user).await {
            return Ok(Some(g));
        }
        if self.unknown.get(user).await.is_some() {
            return Ok(None);
        }
        let lookup = tokio::time::timeout(self.cfg.timeout, self.lookup(user)).await;
        let lookup = lookup.unwrap_or_else(|_| Err(LdapError::Unavailable("timed out".into())));
        match lookup {
            Ok(groups) => {
                let groups = Arc::new(groups);
                self.fresh.insert(user.to_string(), groups.clone()).await;
                self.stale
                    .insert(user.to_string(), (Instant::now(), groups.clone()))
                    .await;
                Ok(Some(groups))
            }
            Err(LdapError::NoSuchUser) => {
                self.unknown.insert(user.to_string(), ()).await;
                Ok(None)
            }
            Err(e) => {
                metrics::counter!("parapet_ldap_failures_total").increment(1);
                if self.cfg.on_unavailable == OnLdapUnavailable::Stale {
                    if let Some((at, g)) = self.stale.get(user).await {
                        if at.elapsed() <= self.cfg.stale_max {
                            tracing::warn!(error = %e, user, "directory unavailable; serving cached groups");
                            return Ok(Some(g));
                        }
                    }
                }
                Err(ApiError::LdapUnavailable(e.to_string()))
            }
        }
    }

    async fn connect(&self) -> Result<ldap3::Ldap, LdapError> {
        let mut settings = LdapConnSettings::new()
            .set_conn_timeout(self.cfg.timeout)
            .set_starttls(self.cfg.starttls);
        if let Some(tls) = &self.cfg.tls {
            settings = settings.set_config(tls.clone());
        }
        let (conn, ldap) = LdapConnAsync::with_settings(settings, &self.cfg.url).await?;
        ldap3::drive!(conn);
        Ok(ldap)
    }

    /// Binds as the service account (or anonymously without `bind_dn`).
    async fn service(&self) -> Result<ldap3::Ldap, LdapError> {
        let mut ldap = self.connect().await?;
        if let Some(dn) = &self.cfg.bind_dn {
            let pw = self
                .cfg
                .bind_password
                .as_ref()
                .map(|s| s.expose().to_string())
                .unwrap_or_default();
            ldap.simple_bind(dn, &pw)
                .await?
                .success()
                .map_err(|e| LdapError::Unavailable(format!("service bind: {e}")))?;
        }
        Ok(ldap)
    }

    async fn user_dn(&self, ldap: &mut ldap3::Ldap, user: &str) -> Result<String, LdapError> {
        let filter = fill(&self.cfg.user_filter, "{user}", user);
        let (entries, _) = ldap
            .search(&self.cfg.user_base, Scope::Subtree, &filter, vec!["1.1"])
            .await?
            .success()?;
        let mut dns = entries.into_iter().map(|e| SearchEntry::construct(e).dn);
        match (dns.next(), dns.next()) {
            (Some(dn), None) => Ok(dn),
            (None, _) => Err(LdapError::NoSuchUser),
            // Two entries for one name: refuse rather than guess.
            (Some(_), Some(_)) => Err(LdapError::NoSuchUser),
        }
    }

    async fn lookup(&self, user: &str) -> Result<Vec<String>, LdapError> {
        let mut ldap = self.service().await?;
        let dn = self.user_dn(&mut ldap, user).await?;
        let groups = self.groups_of(&mut ldap, &dn).await;
        let _ = ldap.unbind().await;
        groups
    }

    /// Breadth-first over `member` links: the groups of `dn`, then of those groups.
    async fn groups_of(&self, ldap: &mut ldap3::Ldap, dn: &str) -> Result<Vec<String>, LdapError> {
        let attr = self.cfg.group_name_attr.as_str();
        let mut names = BTreeSet::new();
        let mut seen: HashSet<String> = HashSet::new();
        let mut level = vec![dn.to_string()];
        for _ in 0..=self.cfg.max_nesting {
            let mut next = Vec::new();
            for member in &level {
                let filter = fill(&self.cfg.group_filter, "{dn}", member);
                let (entries, _) = ldap
                    .search(&self.cfg.group_base, Scope::Subtree, &filter, vec![attr])
                    .await?
                    .success()?;
                for e in entries {
                    let e = SearchEntry::construct(e);
                    if !seen.insert(e.dn.to_lowercase()) {
                        continue;
                    }
                    if let Some(v) = e.attrs.get(attr).and_then(|v| v.first()) {
                        names.insert(v.clone());
                    }
                    next.push(e.dn);
                }
            }
            if next.is_empty() {
                break;
            }
            level = next;
        }
        Ok(names.into_iter().collect())
    }

    /// Simple bind as `user` with `password` (console/admin login); returns the user's groups.
    pub async fn authenticate(&self, user: &str, password: &str) -> Result<Vec<String>, ApiError> {
        // An empty password is an unauthenticated bind that "succeeds": never accept it.
        if user.is_empty() || password.is_empty() {
            return Err(ApiError::InvalidLogin);
        }
        let run = async {
            let mut svc = self.service().await?;
            let dn = self.user_dn(&mut svc, user).await?;
            let mut as_user = self.connect().await?;
            let bound = as_user.simple_bind(&dn, password).await?;
            let _ = as_user.unbind().await;
            if bound.rc != 0 {
                return Err(LdapError::BadCredentials);
            }
            let groups = self.groups_of(&mut svc, &dn).await;
            let _ = svc.unbind().await;
            groups
        };
        match tokio::time::timeout(self.cfg.timeout, run).await {
            Ok(Ok(groups)) => Ok(groups),
            Ok(Err(LdapError::NoSuchUser | LdapError::BadCredentials)) => {
                Err(ApiError::InvalidLogin)
            }
            Ok(Err(e)) => Err(ApiError::LdapUnavailable(e.to_string())),
            Err(_) => Err(ApiError::LdapUnavailable("timed out".into())),
        }
    }
}
