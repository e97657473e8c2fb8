//! A record canonicalised before it reaches the chain writer. The writer is one task per
//! instance and every record goes through it, so all it does per record is what needs the
//! previous hash: splice `prev_hash` and `seq` into bytes the caller's task already wrote, hash
//! them, and splice in `hash` for the stored form. The bytes are exactly those of
//! `Record::canonical` and `Record::canonical_stored` (property-tested).

use sha2::{Digest, Sha256};

use super::canon::Canon;

/// Where the chain members go in the unchained canonical bytes (each is written with its
/// leading comma: none of them is the first key of the record).
#[derive(Debug, Default, Clone, Copy)]
pub(super) struct Offsets {
    pub(super) hash: usize,
    pub(super) prev_hash: usize,
    pub(super) seq: usize,
}

/// Canonical bytes of a record without `hash`, `prev_hash` and `seq` (see `Record::prepare`).
#[derive(Debug, Clone)]
pub struct Prepared {
    bytes: Vec<u8>,
    at: Offsets,
}

/// A prepared record placed in the chain.
#[derive(Debug, Clone)]
pub struct Chained {
    pub seq: u64,
    pub hash: String,
    /// The stored form (`Record::canonical_stored`).
    pub stored: Vec<u8>,
}

fn member(key: &str, write: impl FnOnce(&mut Canon)) -> Vec<u8> {
    let mut w = Canon::with_capacity(key.len() + 80);
    w.buf.push(b',');
    w.key(key);
    write(&mut w);
    w.buf
}

impl Prepared {
    pub(super) fn new(bytes: Vec<u8>, at: Offsets) -> Prepared {
        Prepared { bytes, at }
    }

    /// Places the record after `(prev_seq, prev_hash)`: its seq, its hash and its stored bytes.
    pub fn chain_after(&self, prev_seq: u64, prev_hash: &str) -> Chained {
        let seq = prev_seq + 1;
        let prev = member("prev_hash", |w| w.str(prev_hash));
        let seq_part = member("seq", |w| w.u64(seq));
        let (b, at) = (&self.bytes, self.at);
        let mut h = Sha256::new();
        h.update(prev_hash.as_bytes());
        h.update(&b[..at.prev_hash]);
        h.update(&prev);
        h.update(&b[at.prev_hash..at.seq]);
        h.update(&seq_part);
        h.update(&b[at.seq..]);
        let hash = hex::encode(h.finalize());
        let hash_part = member("hash", |w| w.str(&hash));
        let mut stored =
            Vec::with_capacity(b.len() + prev.len() + seq_part.len() + hash_part.len());
        stored.extend_from_slice(&b[..at.hash]);
        stored.extend_from_slice(&hash_part);
        stored.extend_from_slice(&b[at.hash..at.prev_hash]);
        stored.extend_from_slice(&prev);
        stored.extend_from_slice(&b[at.prev_hash..at.seq]);
        stored.extend_from_slice(&seq_part);
        stored.extend_from_slice(&b[at.seq..]);
        Chained { seq, hash, stored }
    }
}
