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
mod tests {
    use super::*;
    use crate::audit::record::CallerInfo;

    fn record(n: u64) -> Record {
        Record {
            seq: 0,
            id: format!("01936f6e-0000-7000-8000-{n:012}"),
            ts: "2026-11-23T10:00:00.000000Z".into(),
            kind: "llm.call".into(),
            caller: CallerInfo {
                kind: "user".into(),
                id: "alice".into(),
                ..Default::default()
            },
            aida_credential_id: None,
            aida_scope_verified: None,
            request: None,
            response: None,
            usage: None,
            cost_usd: Some(0.001),
            latency_ms: Some(n),
            guardrails: None,
            policy: None,
            change: None,
            prev_hash: String::new(),
            hash: String::new(),
        }
    }

    /// Records `1..=n`, correctly chained from genesis.
    fn chain(n: u64) -> Vec<Record> {
        let mut out: Vec<Record> = Vec::new();
        for i in 1..=n {
            let mut rec = record(i);
            let prev = out.last().map_or(GENESIS.to_string(), |r| r.hash.clone());
            rec.chain_after(i - 1, &prev).unwrap();
            out.push(rec);
        }
        out
    }

    /// Re-chains `records[from..]` after `records[from - 1]` (or genesis), as a forger would.
    fn rechain(records: &mut [Record], from: usize) {
        for i in from..records.len() {
            let (prev_seq, prev_hash) = match i.checked_sub(1) {
                Some(p) => (records[p].seq, records[p].hash.clone()),
                None => (0, GENESIS.to_string()),
            };
            records[i].chain_after(prev_seq, &prev_hash).unwrap();
        }
    }

    fn checkpoint_of(records: &[Record], seq: u64) -> Checkpoint {
        let rec = records.iter().find(|r| r.seq == seq).unwrap();
        Checkpoint {
            origin: "parapet.example/audit".into(),
            seq,
            head_hash: rec.hash.clone(),
            extensions: vec![],
        }
    }

    /// Runs the verifier over `records` in batches of each size; all must agree.
    fn verify(
        start: Option<(u64, String)>,
        checkpoints: &[Checkpoint],
        records: &[Record],
    ) -> Report {
        let mut reports = [records.len().max(1), 300, 1].into_iter().map(|size| {
            let mut v = ChainVerifier::new(start.clone(), checkpoints.to_vec());
            for batch in records.chunks(size) {
                v.push_batch(batch);
            }
            v.finish()
        });
        let first = reports.next().unwrap();
        for other in reports {
            assert_eq!(other, first, "batch size changes nothing");
        }
        first
    }

    #[test]
    fn an_untouched_chain_of_a_thousand_records_verifies_with_its_checkpoints() {
        let records = chain(1000);
        let checkpoints: Vec<_> = [1000, 250, 1, 500]
            .iter()
            .map(|s| checkpoint_of(&records, *s))
            .collect();
        let report = verify(None, &checkpoints, &records);
        assert_eq!(
            report,
            Report {
                records_checked: 1000,
                first_seq: Some(1),
                last_seq: 1000,
                head_hash: records[999].hash.clone(),
                checkpoints_checked: 4,
                first_break: None,
            }
        );
    }

    #[test]
    fn each_kind_of_tampering_is_reported_at_the_first_record_it_breaks() {
        let original = chain(1000);
        let cp = |seq: u64| checkpoint_of(&original, seq);
        let hash = |seq: u64| original[seq as usize - 1].hash.clone();
        let recomputed = |seq: u64, edit: fn(&mut Record)| {
            let mut rec = original[seq as usize - 1].clone();
            edit(&mut rec);
            rec.compute_hash().unwrap()
        };
        type Case = (
            &'static str,
            Box<dyn Fn(&mut Vec<Record>)>,
            Vec<Checkpoint>,
            Option<Break>,
        );
        let cases: Vec<Case> = vec![
            (
                "a field edited in place",
                Box::new(|r| r[499].latency_ms = Some(1)),
                vec![],
                Some(Break {
                    seq: 500,
                    reason: BreakReason::HashMismatch {
                        stored: hash(500),
                        computed: recomputed(500, |r| r.latency_ms = Some(1)),
                    },
                }),
            ),
            (
                "a field edited early, another late",
                Box::new(|r| {
                    r[949].kind = "admin.key.create".into();
                    r[9].caller.id = "mallory".into();
                }),
                vec![],
                Some(Break {
                    seq: 10,
                    reason: BreakReason::HashMismatch {
                        stored: hash(10),
                        computed: recomputed(10, |r| r.caller.id = "mallory".into()),
                    },
                }),
            ),
            (
                "a record deleted",
                Box::new(|r| {
                    r.remove(299);
                }),
                vec![],
                Some(Break {
                    seq: 300,
                    reason: BreakReason::SeqGap {
                        expected: 300,
                        found: 301,
                    },
                }),
            ),
            (
                "two records swapped",
                Box::new(|r| r.swap(699, 700)),
                vec![],
                Some(Break {
                    seq: 700,
                    reason: BreakReason::SeqGap {
                        expected: 700,
                        found: 701,
                    },
                }),
            ),
            (
                "two records swapped and renumbered",
                Box::new(|r| {
                    r.swap(699, 700);
                    r[699].seq = 700;
                    r[700].seq = 701;
                }),
                vec![],
                Some(Break {
                    seq: 700,
                    reason: BreakReason::PrevHashMismatch {
                        expected: hash(699),
                        found: hash(700),
                    },
                }),
            ),
            (
                "a rewrite from seq 600 with every later hash recomputed and no checkpoint",
                Box::new(|r| {
                    r[599].caller.id = "mallory".into();
                    rechain(r, 599);
                }),
                vec![],
                None,
            ),
            (
                "the same rewrite, with a checkpoint before it only",
                Box::new(|r| {
                    r[599].caller.id = "mallory".into();
                    rechain(r, 599);
                }),
                vec![cp(599)],
                None,
            ),
            (
                "the same rewrite, with a checkpoint after it",
                Box::new(|r| {
                    r[599].caller.id = "mallory".into();
                    rechain(r, 599);
                }),
                vec![cp(599), cp(800), cp(1000)],
                Some(Break {
                    seq: 800,
                    reason: BreakReason::CheckpointMismatch {
                        checkpoint_hash: hash(800),
                        record_hash: String::new(), // the forged hash, filled in below
                    },
                }),
            ),
            (
                "the same rewrite, with a checkpoint at the rewritten record",
                Box::new(|r| {
                    r[599].caller.id = "mallory".into();
                    rechain(r, 599);
                }),
                vec![cp(600)],
                Some(Break {
                    seq: 600,
                    reason: BreakReason::CheckpointMismatch {
                        checkpoint_hash: hash(600),
                        record_hash: String::new(),
                    },
                }),
            ),
            (
                "the tail deleted behind a checkpoint",
                Box::new(|r| r.truncate(900)),
                vec![cp(500), cp(950)],
                Some(Break {
                    seq: 901,
                    reason: BreakReason::MissingAfterCheckpoint {
                        checkpoint_seq: 950,
                        last_seq: 900,
                    },
                }),
            ),
            (
                "the tail deleted after the last checkpoint",
                Box::new(|r| r.truncate(900)),
                vec![cp(500)],
                None,
            ),
            (
                "the log starting at seq 2",
                Box::new(|r| {
                    r.remove(0);
                }),
                vec![],
                Some(Break {
                    seq: 1,
                    reason: BreakReason::SeqGap {
                        expected: 1,
                        found: 2,
                    },
                }),
            ),
            (
                "the first record not chained from genesis",
                Box::new(|r| {
                    r[0].prev_hash = "1".repeat(64);
                    r[0].hash = r[0].compute_hash().unwrap();
                    rechain(r, 1);
                }),
                vec![],
                Some(Break {
                    seq: 1,
                    reason: BreakReason::PrevHashMismatch {
                        expected: GENESIS.into(),
                        found: "1".repeat(64),
                    },
                }),
            ),
        ];
        for (case, tamper, checkpoints, expected) in cases {
            let mut records = original.clone();
            tamper(&mut records);
            let report = verify(None, &checkpoints, &records);
            let mut expected = expected;
            if let Some(Break {
                seq,
                reason: BreakReason::CheckpointMismatch { record_hash, .. },
            }) = &mut expected
            {
                *record_hash = records[*seq as usize - 1].hash.clone();
            }
            assert_eq!(report.first_break, expected, "{case}");
            let checked = expected.as_ref().map_or(records.len() as u64, |b| {
                b.seq.min(records.len() as u64 + 1) - 1
            });
            assert_eq!(
                report.records_checked, checked,
                "{case}: records before the break count"
            );
            assert_eq!(report.last_seq, checked, "{case}");
        }
    }

    #[test]
    fn a_log_with_a_trimmed_prefix_verifies_from_the_checkpointed_start() {
        let original = chain(1000);
        let kept = &original[400..];
        let start = |seq: u64, hash: &str| Some((seq, hash.to_string()));
        let cps = [
            checkpoint_of(&original, 200),
            checkpoint_of(&original, 400),
            checkpoint_of(&original, 700),
        ];
        let h400 = original[399].hash.clone();
        type Start = Option<(u64, String)>;
        let cases: Vec<(&str, Start, Option<Break>)> = vec![
            ("the right start", start(400, &h400), None),
            (
                "a start hash that is not the trimmed record's",
                start(400, GENESIS),
                Some(Break {
                    seq: 400,
                    reason: BreakReason::CheckpointMismatch {
                        checkpoint_hash: h400.clone(),
                        record_hash: GENESIS.into(),
                    },
                }),
            ),
            (
                "a start one record too early",
                start(399, &original[398].hash),
                Some(Break {
                    seq: 400,
                    reason: BreakReason::SeqGap {
                        expected: 400,
                        found: 401,
                    },
                }),
            ),
            (
                "no start at all",
                None,
                Some(Break {
                    seq: 1,
                    reason: BreakReason::SeqGap {
                        expected: 1,
                        found: 401,
                    },
                }),
            ),
        ];
        for (case, start, expected) in cases {
            let report = verify(start, &cps, kept);
            assert_eq!(report.first_break, expected, "{case}");
            if expected.is_none() {
                assert_eq!(report.first_seq, Some(401), "{case}");
                assert_eq!(
                    (report.records_checked, report.last_seq),
                    (600, 1000),
                    "{case}"
                );
                assert_eq!(
                    report.checkpoints_checked, 2,
                    "{case}: the one at the start and at 700"
                );
            }
        }
        let mut v = ChainVerifier::new(start(400, "f".repeat(64).as_str()), vec![]);
        v.push_batch(kept);
        let broken = v.finish().first_break.unwrap();
        assert_eq!(broken.seq, 401);
        assert!(
            matches!(broken.reason, BreakReason::PrevHashMismatch { .. }),
            "{broken}"
        );
    }

    #[test]
    fn batches_after_a_break_change_nothing() {
        let mut records = chain(100);
        records[49].latency_ms = None;
        let mut v = ChainVerifier::new(None, vec![]);
        v.push_batch(&records[..60]);
        let before = v.first_break().cloned();
        v.push_batch(&records[60..]);
        assert_eq!(v.first_break().cloned(), before);
        let report = v.finish();
        assert_eq!((report.records_checked, report.last_seq), (49, 49));
        assert_eq!(report.head_hash, records[48].hash);
    }

    #[test]
    fn an_empty_log_verifies_unless_a_checkpoint_vouches_for_records() {
        let empty = ChainVerifier::new(None, vec![]).finish();
        assert_eq!(
            (empty.records_checked, empty.last_seq, empty.first_seq),
            (0, 0, None)
        );
        assert_eq!(
            (empty.head_hash.as_str(), empty.first_break),
            (GENESIS, None)
        );
        let records = chain(5);
        let emptied = ChainVerifier::new(None, vec![checkpoint_of(&records, 5)]).finish();
        assert_eq!(
            emptied.first_break,
            Some(Break {
                seq: 1,
                reason: BreakReason::MissingAfterCheckpoint {
                    checkpoint_seq: 5,
                    last_seq: 0
                }
            })
        );
    }

    #[test]
    fn a_break_reads_well_and_serializes_with_its_kind_and_message() {
        let b = Break {
            seq: 42,
            reason: BreakReason::HashMismatch {
                stored: "ab12".repeat(16),
                computed: "cd34".repeat(16),
            },
        };
        let message = "seq 42: record hash does not match its content (stored ab12ab12ab12.., computed cd34cd34cd34..)";
        assert_eq!(b.to_string(), message);
        assert_eq!(
            serde_json::to_value(&b).unwrap(),
            serde_json::json!({
                "seq": 42,
                "reason": {"kind": "hash_mismatch", "stored": "ab12".repeat(16), "computed": "cd34".repeat(16)},
                "message": message,
            })
        );
        let gap = Break {
            seq: 7,
            reason: BreakReason::SeqGap {
                expected: 7,
                found: 9,
            },
        };
        assert_eq!(
            serde_json::to_value(&gap).unwrap()["reason"],
            serde_json::json!({"kind": "seq_gap", "expected": 7, "found": 9})
        );
        let canonical = Break {
            seq: 3,
            reason: BreakReason::Canonical {
                error: "bad".into(),
            },
        };
        assert_eq!(
            serde_json::to_value(&canonical).unwrap()["reason"]["kind"],
            "canonical"
        );
    }
}
