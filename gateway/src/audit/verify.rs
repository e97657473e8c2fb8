//! Streaming verification of the audit chain and its signed checkpoints (DESIGN §7).
//!
//! Records arrive in storage order, batch by batch. Each batch's hashes are recomputed in
//! parallel (canonicalization dominates and is independent per record); the links (`seq`
//! increments by one, `prev_hash` equals the previous record's `hash`) and the checkpoints are
//! then checked in order. A chain alone does not stop a full rewrite with every later hash
//! recomputed; a signed checkpoint at or after the first rewritten record does.

use std::fmt;
use std::thread;

use serde::ser::SerializeStruct;
use serde::{Serialize, Serializer};

use super::checkpoint::Checkpoint;
use super::record::{Record, GENESIS};

/// Below this many records per worker thread, spawning costs more than it saves.
const MIN_RECORDS_PER_WORKER: usize = 256;

/// A record as the verifier sees it: its place in the chain and the hash its content gives.
pub trait Chained: Sync {
    fn seq(&self) -> u64;
    fn prev_hash(&self) -> &str;
    fn hash(&self) -> &str;
    /// `SHA-256(prev_hash || canonical record without hash)`, lowercase hex.
    fn content_hash(&self) -> Result<String, String>;
}

impl Chained for Record {
    fn seq(&self) -> u64 {
        self.seq
    }
    fn prev_hash(&self) -> &str {
        &self.prev_hash
    }
    fn hash(&self) -> &str {
        &self.hash
    }
    fn content_hash(&self) -> Result<String, String> {
        self.compute_hash().map_err(|e| e.to_string())
    }
}

/// Where and why the chain stops being trustworthy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Break {
    /// The first record that cannot be trusted (for a deleted tail, the first missing one).
    pub seq: u64,
    pub reason: BreakReason,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum BreakReason {
    /// The record at this place has another `seq` than the one after its predecessor.
    SeqGap { expected: u64, found: u64 },
    /// `prev_hash` is not the previous record's hash (`expected`).
    PrevHashMismatch { expected: String, found: String },
    /// The stored `hash` is not the hash of the record's content.
    HashMismatch { stored: String, computed: String },
    /// A signed checkpoint at this seq vouches for another hash.
    CheckpointMismatch {
        checkpoint_hash: String,
        record_hash: String,
    },
    /// A signed checkpoint vouches for records beyond the end of the log.
    MissingAfterCheckpoint { checkpoint_seq: u64, last_seq: u64 },
    /// The record cannot be put in canonical form, so its hash cannot be checked.
    Canonical { error: String },
}

/// The outcome of a verification, as the API and the CLI show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Report {
    /// Records that passed every check.
    pub records_checked: u64,
    pub first_seq: Option<u64>,
    /// The last record that passed (the start's seq, or 0, when none did).
    pub last_seq: u64,
    /// The hash of that record (the start's hash, or the genesis hash).
    pub head_hash: String,
    /// Checkpoints found to match the chain.
    pub checkpoints_checked: usize,
    pub first_break: Option<Break>,
}

pub struct ChainVerifier {
    /// The seq the next record must carry.
    next_seq: u64,
    /// The hash the next record's `prev_hash` must equal: the last good record's hash.
    head_hash: String,
    last_seq: u64,
    first_seq: Option<u64>,
    records_checked: u64,
    /// Checkpoints after the start, by seq; `next_checkpoint` is the first not yet reached.
    checkpoints: Vec<Checkpoint>,
    next_checkpoint: usize,
    checkpoints_checked: usize,
    first_break: Option<Break>,
    workers: usize,
}

impl ChainVerifier {
    /// `start`: `None` = from genesis (the first record must be seq 1 with `prev_hash`
    /// [`GENESIS`]); `Some((seq, hash))` = after a trimmed prefix vouched for by a signed
    /// checkpoint: the next record must be `seq + 1` with `prev_hash = hash`.
    ///
    /// `checkpoints`: already signature-checked checkpoints, in any order; the record at each
    /// one's seq must carry its `head_hash`. Checkpoints before the start cover trimmed records
    /// and are skipped; one at the start itself is compared with the start hash.
    pub fn new(start: Option<(u64, String)>, mut checkpoints: Vec<Checkpoint>) -> Self {
        let (start_seq, start_hash) = start.unwrap_or_else(|| (0, GENESIS.to_string()));
        checkpoints.sort_by_key(|c| c.seq);
        checkpoints.retain(|c| c.seq >= start_seq);
        let at_start = checkpoints
            .iter()
            .take_while(|c| c.seq == start_seq)
            .count();
        let mut first_break = None;
        let mut checkpoints_checked = 0;
        for cp in checkpoints.drain(..at_start) {
            if cp.head_hash == start_hash {
                checkpoints_checked += 1;
            } else if first_break.is_none() {
                first_break = Some(Break {
                    seq: start_seq,
                    reason: BreakReason::CheckpointMismatch {
                        checkpoint_hash: cp.head_hash,
                        record_hash: start_hash.clone(),
                    },
                });
            }
        }
        let workers = thread::available_parallelism().map_or(1, |n| n.get());
        ChainVerifier {
            next_seq: start_seq.saturating_add(1),
            head_hash: start_hash,
            last_seq: start_seq,
            first_seq: None,
            records_checked: 0,
            checkpoints,
            next_checkpoint: 0,
            checkpoints_checked,
            first_break,
            workers,
        }
    }

    /// Checks the next consecutive records, as read from storage. Stops at the first break;
    /// once there is one, further calls do nothing.
    pub fn push_batch<R: Chained>(&mut self, records: &[R]) {
        if self.first_break.is_some() || records.is_empty() {
            return;
        }
        let (bad_hash_at, mut bad_hash) = match self.first_bad_hash(records) {
            Some((index, reason)) => (index, Some(reason)),
            None => (records.len(), None),
        };
        let mut last_good = None;
        let mut found_break = None;
        for (index, rec) in records.iter().enumerate() {
            let expected_prev = match index.checked_sub(1) {
                Some(before) => records[before].hash(),
                None => self.head_hash.as_str(),
            };
            let reason = if rec.seq() != self.next_seq {
                Some(BreakReason::SeqGap {
                    expected: self.next_seq,
                    found: rec.seq(),
                })
            } else if rec.prev_hash() != expected_prev {
                Some(BreakReason::PrevHashMismatch {
                    expected: expected_prev.to_string(),
                    found: rec.prev_hash().to_string(),
                })
            } else if index == bad_hash_at {
                bad_hash.take()
            } else {
                self.pass_checkpoints(rec)
            };
            if let Some(reason) = reason {
                found_break = Some(Break {
                    seq: self.next_seq,
                    reason,
                });
                break;
            }
            self.records_checked += 1;
            self.first_seq.get_or_insert(rec.seq());
            self.last_seq = rec.seq();
            self.next_seq = rec.seq().saturating_add(1);
            last_good = Some(index);
        }
        if let Some(index) = last_good {
            records[index].hash().clone_into(&mut self.head_hash);
        }
        self.first_break = found_break;
    }

    /// Compares `rec` with the checkpoints at its seq; the mismatch if one does not match.
    fn pass_checkpoints<R: Chained>(&mut self, rec: &R) -> Option<BreakReason> {
        while let Some(cp) = self.checkpoints.get(self.next_checkpoint) {
            if cp.seq != rec.seq() {
                break;
            }
            if cp.head_hash != rec.hash() {
                return Some(BreakReason::CheckpointMismatch {
                    checkpoint_hash: cp.head_hash.clone(),
                    record_hash: rec.hash().to_string(),
                });
            }
            self.next_checkpoint += 1;
            self.checkpoints_checked += 1;
        }
        None
    }

    /// The first record in `records` whose stored hash is not its content's hash, hashing
    /// chunks on up to `workers` threads.
    fn first_bad_hash<R: Chained>(&self, records: &[R]) -> Option<(usize, BreakReason)> {
        let workers = self.workers.min(records.len() / MIN_RECORDS_PER_WORKER);
        if workers <= 1 {
            return first_bad_hash_in(records, 0);
        }
        let chunk = records.len().div_ceil(workers);
        thread::scope(|scope| {
            let mut parts = records.chunks(chunk).enumerate();
            let (_, own) = parts.next()?;
            let others: Vec<_> = parts
                .map(|(n, part)| {
                    let offset = n * chunk;
                    (offset, scope.spawn(move || first_bad_hash_in(part, offset)))
                })
                .collect();
            let mut first = first_bad_hash_in(own, 0);
            for (offset, handle) in others {
                let found = handle.join().unwrap_or_else(|_| {
                    let error = "the hashing thread failed".to_string();
                    Some((offset, BreakReason::Canonical { error }))
                });
                first = first.or(found);
            }
            first
        })
    }

    /// The break found so far, if any.
    pub fn first_break(&self) -> Option<&Break> {
        self.first_break.as_ref()
    }

    /// Ends verification. Without an earlier break, a checkpoint beyond the last record means
    /// records were deleted from the end.
    pub fn finish(self) -> Report {
        let first_break = self.first_break.or_else(|| {
            let cp = self.checkpoints.get(self.next_checkpoint)?;
            Some(Break {
                seq: self.last_seq.saturating_add(1),
                reason: BreakReason::MissingAfterCheckpoint {
                    checkpoint_seq: cp.seq,
                    last_seq: self.last_seq,
                },
            })
        });
        Report {
            records_checked: self.records_checked,
            first_seq: self.first_seq,
            last_seq: self.last_seq,
            head_hash: self.head_hash,
            checkpoints_checked: self.checkpoints_checked,
            first_break,
        }
    }
}

/// The first record of `part` (index counted from `offset`) whose hash does not check out.
/// The hash is `record::chain_hash` computed into a stack buffer, so that the only allocation
/// per record is canonicalization's (the chain tests tie the two together).
fn first_bad_hash_in<R: Chained>(part: &[R], offset: usize) -> Option<(usize, BreakReason)> {
    for (index, rec) in part.iter().enumerate() {
        match rec.content_hash() {
            Err(error) => return Some((offset + index, BreakReason::Canonical { error })),
            Ok(computed) if computed != rec.hash() => {
                let reason = BreakReason::HashMismatch {
                    stored: rec.hash().to_string(),
                    computed,
                };
                return Some((offset + index, reason));
            }
            Ok(_) => {}
        }
    }
    None
}

impl fmt::Display for Break {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "seq {}: ", self.seq)?;
        match &self.reason {
            BreakReason::SeqGap { expected, found } => write!(
                f,
                "expected record {expected} next but found record {found} \
                 (records missing, duplicated or out of order)"
            ),
            BreakReason::PrevHashMismatch { expected, found } => write!(
                f,
                "record does not link to the one before it (prev_hash {}, previous hash {})",
                Short(found),
                Short(expected)
            ),
            BreakReason::HashMismatch { stored, computed } => write!(
                f,
                "record hash does not match its content (stored {}, computed {})",
                Short(stored),
                Short(computed)
            ),
            BreakReason::CheckpointMismatch {
                checkpoint_hash,
                record_hash,
            } => write!(
                f,
                "record hash differs from the signed checkpoint (checkpoint {}, record {}): \
                 history was rewritten at or before this record",
                Short(checkpoint_hash),
                Short(record_hash)
            ),
            BreakReason::MissingAfterCheckpoint {
                checkpoint_seq,
                last_seq,
            } => write!(
                f,
                "a signed checkpoint vouches for records through seq {checkpoint_seq} but the \
                 log ends at seq {last_seq}: records were deleted from the end"
            ),
            BreakReason::Canonical { error } => {
                write!(f, "record cannot be checked: {error}")
            }
        }
    }
}

/// A hash shortened for messages; the JSON keeps it whole.
struct Short<'a>(&'a str);

impl fmt::Display for Short<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0.get(..12) {
            Some(head) if self.0.len() > 12 => write!(f, "{head}.."),
            _ => write!(f, "{:?}", self.0),
        }
    }
}

/// `{seq, reason: {kind, ...}, message}`: the reason for programs, the message for people.
impl Serialize for Break {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut s = serializer.serialize_struct("Break", 3)?;
        s.serialize_field("seq", &self.seq)?;
        s.serialize_field("reason", &self.reason)?;
        s.serialize_field("message", &self.to_string())?;
        s.end()
    }
}

#[cfg(test)]
mod tests;
