//! Every Redis key name Parapet uses, in one place.

pub const PREFIX: &str = "parapet:";

/// JSON `KeyRecord` by key hash.
pub fn key_by_hash(sha256: &str) -> String {
    format!("{PREFIX}key:{sha256}")
}

/// Hash of id -> key hash, for every key.
pub const KEY_IDS: &str = "parapet:keys";

/// Hash of key hash -> revocation time (RFC 3339); set once.
pub const KEYS_REVOKED: &str = "parapet:keys:revoked";

/// Written by `ping` to check that writes work.
pub const HEALTH: &str = "parapet:health";
