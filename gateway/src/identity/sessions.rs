//! Admin sessions from `POST /api/login` (LDAP simple bind): a random bearer token, kept only
//! as its SHA-256, valid for `ldap.session_ttl_s` on this instance.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::{Caller, CallerKind};
use crate::secret::{random_token, sha256_hex};

pub const SESSION_PREFIX: &str = "pas-";

#[derive(Default)]
pub struct Sessions {
    by_hash: Mutex<HashMap<String, (Instant, Caller)>>,
}

impl Sessions {
    /// Opens a session for `user` with `groups`; returns its token.
    pub fn open(&self, user: &str, groups: Vec<String>, ttl: Duration) -> String {
        let token = random_token(SESSION_PREFIX);
        let caller = Caller {
            kind: CallerKind::User,
            id: user.to_string(),
            principal_id: Some(user.to_string()),
            groups,
            roles: vec!["admin".into()],
            key_id: None,
            team: None,
            models: vec![],
            credential: None,
            // A password bind is one factor.
            mfa_verified: Some(false),
        };
        let mut map = self
            .by_hash
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let now = Instant::now();
        map.retain(|_, (until, _)| *until > now);
        map.insert(sha256_hex(&token), (now + ttl, caller));
        token
    }

    pub fn get(&self, token: &str) -> Option<Caller> {
        if !token.starts_with(SESSION_PREFIX) {
            return None;
        }
        let map = self
            .by_hash
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        map.get(&sha256_hex(token))
            .filter(|(until, _)| *until > Instant::now())
            .map(|(_, c)| c.clone())
    }
}
