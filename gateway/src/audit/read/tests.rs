use super::*;
use crate::audit::record::{CallerInfo, GENESIS};

fn record_with_nested_hash() -> Record {
    let mut r = Record::new(
        "admin.key.create",
        CallerInfo {
            kind: "service".into(),
            id: "admin".into(),
            ..Default::default()
        },
    );
    r.change = Some(
        serde_json::json!({"after": {"hash": "not-the-one", "x": ",\"hash\":\""}, "before": null}),
    );
    r.chain_after(0, GENESIS).unwrap();
    r
}

#[test]
fn the_stored_form_verifies_without_full_parsing_and_nested_hash_keys_do_not_confuse_it() {
    let r = record_with_nested_hash();
    let stored = r.canonical_stored().unwrap();
    let range = top_level_hash(&stored).unwrap();
    assert_eq!(&stored[range.clone()][..9], b",\"hash\":\"");
    let mut without = stored[..range.start].to_vec();
    without.extend_from_slice(&stored[range.end..]);
    assert_eq!(
        without,
        r.canonical().unwrap(),
        "the stored bytes minus the hash are the hashed content"
    );
    let s = StoredRecord::parse(r.seq, stored).unwrap();
    assert_eq!(s.content_hash().unwrap(), r.hash);
}

#[test]
fn an_edited_stored_record_gives_another_hash_and_a_non_canonical_one_falls_back() {
    let r = record_with_nested_hash();
    let edited = String::from_utf8(r.canonical_stored().unwrap())
        .unwrap()
        .replace("admin.key.create", "admin.key.revoke");
    let s = StoredRecord::parse(r.seq, edited.into_bytes()).unwrap();
    assert_ne!(s.content_hash().unwrap(), r.hash);
    // Serde's own field order (not canonical): the slow path still computes the right hash.
    let s = StoredRecord::parse(r.seq, serde_json::to_vec(&r).unwrap()).unwrap();
    assert_eq!(s.content_hash().unwrap(), r.hash);
}
