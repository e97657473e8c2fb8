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

/// Redis Stream of audit records; entry id `{seq}-0`, field `r` = record JSON.
pub const AUDIT_STREAM: &str = "parapet:audit";

/// `"{seq} {hash}"` of the last audit record.
pub const AUDIT_HEAD: &str = "parapet:audit:head";

/// Hash of seq -> signed checkpoint note.
pub const AUDIT_CHECKPOINTS: &str = "parapet:audit:checkpoints";
