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
fn verify(start: Option<(u64, String)>, checkpoints: &[Checkpoint], records: &[Record]) -> Report {
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
