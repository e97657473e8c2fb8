//! Every Redis key name Parapet uses, in one place.

pub const PREFIX: &str = "parapet:";

/// A secret-indexed record's JSON by its hash (`ns`: `key`, `credential`).
pub fn record(ns: &str, sha256: &str) -> String {
    format!("{PREFIX}{ns}:{sha256}")
}

/// Hash of id -> secret hash, for every record of `ns`.
pub fn ids(ns: &str) -> String {
    format!("{PREFIX}{ns}s")
}

/// Hash of secret hash -> revocation time (RFC 3339); set once.
pub fn revoked(ns: &str) -> String {
    format!("{PREFIX}{ns}s:revoked")
}

/// Written by `ping` to check that writes work.
pub const HEALTH: &str = "parapet:health";

/// Redis Stream of audit records; entry id `{seq}-0`, field `r` = record JSON.
pub const AUDIT_STREAM: &str = "parapet:audit";

/// `"{seq} {hash}"` of the last audit record.
pub const AUDIT_HEAD: &str = "parapet:audit:head";

/// Hash of seq -> signed checkpoint note.
pub const AUDIT_CHECKPOINTS: &str = "parapet:audit:checkpoints";

/// Hash of id -> JSON document, one per collection (`agents`, ...).
pub fn docs(collection: &str) -> String {
    format!("{PREFIX}docs:{collection}")
}

/// Counter moved by every write to a document collection.
pub fn docs_generation(collection: &str) -> String {
    format!("{PREFIX}docs:{collection}:generation")
}

/// Hash of one budget / rate-limit counter (`counter`: `key:{id}`, `user:{id}`, `team:{name}`):
/// `p spent resv w req tok` (see `examination::limits`).
pub fn limit(counter: &str) -> String {
    format!("{PREFIX}limit:{counter}")
}

/// Hash of an inventory entry's totals: `requests tokens cost_nano first_seen last_seen`.
pub fn inventory_totals(id: &str) -> String {
    format!("{PREFIX}inventory:{id}")
}
