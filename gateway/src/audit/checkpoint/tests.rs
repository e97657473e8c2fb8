use ed25519_dalek::Signature;

use super::*;

const ORIGIN: &str = "parapet.example/audit";
const HASH: &str = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";

fn seed_text(byte: u8) -> String {
    STANDARD.encode([byte; 32])
}

fn signer(byte: u8) -> CheckpointSigner {
    CheckpointSigner::from_key_text(ORIGIN, &seed_text(byte)).unwrap()
}

fn verifier_for(signer: &CheckpointSigner) -> CheckpointVerifier {
    CheckpointVerifier::from_verifier_key(&signer.verifier_key()).unwrap()
}

fn checkpoint(seq: u64, extensions: &[&str]) -> Checkpoint {
    Checkpoint {
        origin: ORIGIN.into(),
        seq,
        head_hash: HASH.into(),
        extensions: extensions.iter().map(|e| e.to_string()).collect(),
    }
}

#[test]
fn a_signed_checkpoint_opens_to_the_same_checkpoint() {
    let signer = signer(7);
    let verifier = verifier_for(&signer);
    for cp in [
        checkpoint(0, &[]),
        checkpoint(1, &[]),
        checkpoint(1_000_000, &["trimmed-through 1000"]),
        checkpoint(
            u64::MAX,
            &["trimmed-through 1000", "time 2026-11-23T10:00:00Z"],
        ),
    ] {
        let note = signer.sign(&cp).unwrap();
        assert_eq!(verifier.open(&note).unwrap(), cp, "{note}");
    }
}

#[test]
fn the_note_is_the_checkpoint_body_a_blank_line_and_one_em_dash_signature_line() {
    let signer = signer(7);
    let note = signer
        .sign(&checkpoint(42, &["time 2026-11-23T10:00:00Z"]))
        .unwrap();
    let body = format!(
        "{ORIGIN}\n42\n{}\ntime 2026-11-23T10:00:00Z\n",
        STANDARD.encode(hex::decode(HASH).unwrap())
    );
    let line = note.strip_prefix(&format!("{body}\n")).unwrap();
    let encoded = line
        .strip_prefix(&format!("\u{2014} {ORIGIN} "))
        .unwrap()
        .strip_suffix('\n')
        .unwrap();
    let raw = STANDARD.decode(encoded).unwrap();
    assert_eq!(raw.len(), 68, "key id then a 64-byte signature");
    assert_eq!(hex::encode(&raw[..4]), verifier_for(&signer).key_id());
    let sig = Signature::from_slice(&raw[4..]).unwrap();
    signer
        .key
        .verifying_key()
        .verify_strict(body.as_bytes(), &sig)
        .unwrap();
}

#[test]
fn key_id_and_verifier_key_follow_the_signed_note_spec() {
    let signer = signer(9);
    let public = SigningKey::from_bytes(&[9u8; 32])
        .verifying_key()
        .to_bytes();
    let mut preimage = ORIGIN.as_bytes().to_vec();
    preimage.push(0x0a);
    preimage.push(0x01);
    preimage.extend_from_slice(&public);
    let expected_id = hex::encode(&Sha256::digest(&preimage)[..4]);
    let mut encoded_key = vec![0x01];
    encoded_key.extend_from_slice(&public);
    assert_eq!(
        signer.verifier_key(),
        format!("{ORIGIN}+{expected_id}+{}", STANDARD.encode(&encoded_key))
    );
    let mut encoded_seed = vec![0x01];
    encoded_seed.extend_from_slice(&[9u8; 32]);
    assert_eq!(
        signer.private_key_text(),
        format!(
            "PRIVATE+KEY+{ORIGIN}+{expected_id}+{}",
            STANDARD.encode(&encoded_seed)
        )
    );
}

#[test]
fn the_go_sumdb_note_example_signs_and_opens_byte_for_byte() {
    // The example in the documentation of golang.org/x/mod/sumdb/note.
    let skey = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz";
    let vkey = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
    let text = "If you think cryptography is the answer to your problem,\n\
                then you don't know what your problem is.\n";
    let note = format!(
        "{text}\n\u{2014} PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"
    );
    let signer = CheckpointSigner::from_key_text("PeterNeumann", skey).unwrap();
    assert_eq!(signer.verifier_key(), vkey);
    assert_eq!(signer.private_key_text(), skey);
    assert_eq!(signer.sign_text(text), note);
    let verifier = CheckpointVerifier::from_verifier_key(vkey).unwrap();
    assert_eq!(verifier.verified_text(&note).unwrap(), text);
}

#[test]
fn both_forms_of_private_key_text_load_the_same_key() {
    let (generated, text) = CheckpointSigner::generate(ORIGIN);
    let seed = STANDARD.encode(generated.key.as_bytes());
    for (case, input) in [
        ("private key text", text.clone()),
        ("private key text with a final newline", format!("{text}\n")),
        ("bare base64 seed", seed.clone()),
        (
            "bare base64 seed with surrounding spaces",
            format!("  {seed}\n"),
        ),
    ] {
        let loaded = CheckpointSigner::from_key_text(ORIGIN, &input)
            .unwrap_or_else(|e| panic!("{case}: {e}"));
        assert_eq!(loaded.verifier_key(), generated.verifier_key(), "{case}");
    }
}

#[test]
fn unusable_private_key_text_is_refused_with_the_reason() {
    let good = signer(3).private_key_text();
    let other_origin = CheckpointSigner::from_key_text("other.example", &seed_text(3))
        .unwrap()
        .private_key_text();
    let (_, key_part) = good.rsplit_once('+').unwrap();
    let cases: Vec<(&str, String, &str)> = vec![
        ("key for another origin", other_origin, "\"other.example\""),
        (
            "edited key id",
            good.replace(&verifier_id(3), "00000000"),
            "key id 00000000",
        ),
        (
            "short key id",
            format!("PRIVATE+KEY+{ORIGIN}+abc+{key_part}"),
            "8 hex digits",
        ),
        (
            "missing key",
            format!("PRIVATE+KEY+{ORIGIN}+{}", verifier_id(3)),
            "key is missing",
        ),
        (
            "unknown algorithm",
            format!(
                "PRIVATE+KEY+{ORIGIN}+{}+{}",
                verifier_id(3),
                STANDARD.encode([2u8; 33])
            ),
            "algorithm 2",
        ),
        (
            "short seed",
            format!(
                "PRIVATE+KEY+{ORIGIN}+{}+{}",
                verifier_id(3),
                STANDARD.encode([1u8; 20])
            ),
            "not 32 bytes",
        ),
        (
            "bare seed of 31 bytes",
            STANDARD.encode([1u8; 31]),
            "neither",
        ),
        ("not base64", "not a key".into(), "neither"),
        ("empty", String::new(), "neither"),
    ];
    for (case, text, needle) in cases {
        let err = CheckpointSigner::from_key_text(ORIGIN, &text)
            .unwrap_err()
            .to_string();
        assert!(err.contains(needle), "{case}: {err}");
        assert!(
            !err.contains(key_part),
            "{case}: the error must not echo the key"
        );
    }
    let err = CheckpointSigner::from_key_text("bad origin", &seed_text(1)).unwrap_err();
    assert!(matches!(err, CheckpointError::InvalidName { .. }), "{err}");
}

fn verifier_id(byte: u8) -> String {
    verifier_for(&signer(byte)).key_id()
}

#[test]
fn the_error_for_a_key_of_another_origin_names_both() {
    let text = CheckpointSigner::from_key_text("other.example", &seed_text(3))
        .unwrap()
        .private_key_text();
    let err = CheckpointSigner::from_key_text(ORIGIN, &text)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("\"other.example\"") && err.contains(ORIGIN),
        "{err}"
    );
}

#[test]
fn unusable_verifier_keys_are_refused() {
    let good = signer(4).verifier_key();
    let id = verifier_id(4);
    let cases: Vec<(&str, String, &str)> = vec![
        (
            "edited key id",
            good.replace(&id, "0badf00d"),
            "key id 0badf00d",
        ),
        (
            "uppercase but otherwise right key id is fine",
            good.replace(&id, &id.to_uppercase()),
            "",
        ),
        ("missing key", format!("{ORIGIN}+{id}"), "key is missing"),
        (
            "missing everything",
            ORIGIN.to_string(),
            "key id is missing",
        ),
        (
            "empty name",
            good.replacen(ORIGIN, "", 1),
            "cannot be a checkpoint origin",
        ),
        (
            "unknown algorithm",
            format!("{ORIGIN}+{id}+{}", STANDARD.encode([2u8; 33])),
            "algorithm 2",
        ),
        (
            "bad base64",
            format!("{ORIGIN}+{id}+@@@@"),
            "not valid base64",
        ),
    ];
    for (case, text, needle) in cases {
        let result = CheckpointVerifier::from_verifier_key(&text);
        if needle.is_empty() {
            assert!(result.is_ok(), "{case}: {result:?}");
            continue;
        }
        let err = result.unwrap_err().to_string();
        assert!(err.contains(needle), "{case}: {err}");
    }
}

#[test]
fn checkpoints_that_cannot_be_written_as_a_note_are_not_signed() {
    let signer = signer(5);
    let with = |f: &dyn Fn(&mut Checkpoint)| {
        let mut cp = checkpoint(10, &[]);
        f(&mut cp);
        cp
    };
    let cases: Vec<(&str, Checkpoint, &str)> = vec![
        (
            "another origin",
            with(&|cp| cp.origin = "other.example".into()),
            "\"other.example\"",
        ),
        (
            "origin with a space",
            with(&|cp| cp.origin = "a b".into()),
            "cannot be a checkpoint origin",
        ),
        (
            "origin with a plus",
            with(&|cp| cp.origin = "a+b".into()),
            "cannot be a checkpoint origin",
        ),
        (
            "empty origin",
            with(&|cp| cp.origin.clear()),
            "cannot be a checkpoint origin",
        ),
        (
            "uppercase hash",
            with(&|cp| cp.head_hash = HASH.to_uppercase()),
            "64 lowercase hex",
        ),
        (
            "short hash",
            with(&|cp| cp.head_hash.truncate(10)),
            "64 lowercase hex",
        ),
        (
            "extension with a newline",
            with(&|cp| cp.extensions = vec!["a\nb".into()]),
            "newline",
        ),
        (
            "empty extension",
            with(&|cp| cp.extensions = vec![String::new()]),
            "empty",
        ),
    ];
    for (case, cp, needle) in cases {
        let err = signer.sign(&cp).unwrap_err().to_string();
        assert!(err.contains(needle), "{case}: {err}");
    }
}

#[test]
fn altered_or_wrongly_signed_notes_are_rejected() {
    let signer = signer(6);
    let verifier = verifier_for(&signer);
    let note = signer.sign(&checkpoint(10, &[])).unwrap();
    let other_key = CheckpointSigner::from_key_text(ORIGIN, &seed_text(99)).unwrap();
    let witness = CheckpointSigner::from_key_text("witness.example", &seed_text(8)).unwrap();
    let body = checkpoint(10, &[]).body().unwrap();
    let sig_line = note.strip_prefix(&format!("{body}\n")).unwrap();
    let witness_line = witness
        .sign_text(&body)
        .rsplit_once("\n\n")
        .unwrap()
        .1
        .to_string();
    let mut corrupted = STANDARD
        .decode(sig_line.trim_end().rsplit_once(' ').unwrap().1)
        .unwrap();
    corrupted[10] ^= 1;
    let corrupted_line = format!("\u{2014} {ORIGIN} {}\n", STANDARD.encode(&corrupted));
    let cases: Vec<(&str, String, &str)> = vec![
        (
            "a changed record count",
            note.replacen("\n10\n", "\n11\n", 1),
            "does not verify",
        ),
        (
            "a changed head hash",
            note.replacen("n4bQ", "n4bR", 1),
            "does not verify",
        ),
        (
            "an added extension line",
            note.replacen("\n\n", "\nx\n\n", 1),
            "does not verify",
        ),
        (
            "a bit flipped in the signature",
            format!("{body}\n{corrupted_line}"),
            "does not verify",
        ),
        (
            "a bad known-key signature before a good one",
            format!("{body}\n{corrupted_line}{sig_line}"),
            "does not verify",
        ),
        (
            "a signature by another key of the same name",
            other_key.sign(&checkpoint(10, &[])).unwrap(),
            "different key",
        ),
        (
            "only an unknown key's signature",
            format!("{body}\n{witness_line}"),
            "no signature by the trusted key",
        ),
        (
            "no blank line",
            note.replacen("\n\n", "\n", 1),
            "no blank line",
        ),
        (
            "a hyphen for the em dash",
            note.replacen('\u{2014}', "-", 1),
            "em dash",
        ),
        (
            "a missing final newline",
            note.trim_end().to_string(),
            "do not end with a newline",
        ),
        (
            "a signature that is not base64",
            format!("{body}\n\u{2014} {ORIGIN} !!!\n"),
            "base64 signature",
        ),
        (
            "a signature of four bytes",
            format!("{body}\n\u{2014} {ORIGIN} AAAAAA==\n"),
            "base64 signature",
        ),
        (
            "a signature line without a key name",
            format!("{body}\n\u{2014}  AAAAAA==\n"),
            "invalid key name",
        ),
        (
            "a control character",
            note.replacen(ORIGIN, "parapet.example/\taudit", 1),
            "control character",
        ),
    ];
    for (case, text, needle) in cases {
        let err = verifier.open(&text).unwrap_err().to_string();
        assert!(err.contains(needle), "{case}: {err}\n{text}");
    }
}

#[test]
fn unknown_witness_signatures_next_to_the_trusted_one_are_ignored() {
    let signer = signer(6);
    let witness = CheckpointSigner::from_key_text("witness.example", &seed_text(8)).unwrap();
    let cp = checkpoint(10, &[]);
    let note = signer.sign(&cp).unwrap();
    let witness_line = witness
        .sign_text(&cp.body().unwrap())
        .rsplit_once("\n\n")
        .unwrap()
        .1
        .to_string();
    for text in [
        format!("{note}{witness_line}"),
        note.replacen("\n\n", &format!("\n\n{witness_line}"), 1),
    ] {
        assert_eq!(verifier_for(&signer).open(&text).unwrap(), cp, "{text}");
    }
}

#[test]
fn a_correctly_signed_text_that_is_not_a_checkpoint_of_this_origin_is_rejected() {
    let signer = signer(6);
    let verifier = verifier_for(&signer);
    let hash64 = STANDARD.encode([0u8; 32]);
    let cases: Vec<(&str, String, &str)> = vec![
        ("two lines only", format!("{ORIGIN}\n10\n"), "line 3"),
        (
            "a signed count",
            format!("{ORIGIN}\n+10\n{hash64}\n"),
            "plain decimal",
        ),
        (
            "a count with a leading zero",
            format!("{ORIGIN}\n010\n{hash64}\n"),
            "plain decimal",
        ),
        (
            "a count too large",
            format!("{ORIGIN}\n18446744073709551616\n{hash64}\n"),
            "plain decimal",
        ),
        (
            "a short hash",
            format!("{ORIGIN}\n10\n{}\n", STANDARD.encode([0u8; 31])),
            "32-byte hash",
        ),
        (
            "an empty extension",
            format!("{ORIGIN}\n10\n{hash64}\n\nx\n"),
            "empty line",
        ),
        (
            "another origin",
            format!("other.example\n10\n{hash64}\n"),
            "\"other.example\"",
        ),
    ];
    for (case, body, needle) in cases {
        let err = verifier
            .open(&signer.sign_text(&body))
            .unwrap_err()
            .to_string();
        assert!(err.contains(needle), "{case}: {err}");
    }
}

#[test]
fn a_signer_never_prints_its_key() {
    let (signer, text) = CheckpointSigner::generate(ORIGIN);
    let debug = format!("{signer:?}");
    // PRIVATE+KEY+<name>+<keyid>+<base64>, where the base64 itself may contain '+'.
    let secret = text.splitn(5, '+').nth(4).unwrap();
    assert!(!debug.contains(secret) && debug.contains("***"), "{debug}");
}
