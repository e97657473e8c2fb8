use super::*;

pub fn sample(kind: &str) -> Record {
    Record {
        seq: 0,
        id: "01936f6e-0000-7000-8000-000000000000".into(),
        ts: "2026-11-23T10:00:00.000000Z".into(),
        kind: kind.into(),
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
        cost_usd: None,
        latency_ms: Some(3),
        guardrails: None,
        policy: None,
        change: None,
        prev_hash: String::new(),
        hash: String::new(),
    }
}

#[test]
fn chaining_sets_seq_prev_and_a_hash_over_canonical_json() {
    let mut a = sample("llm.call");
    a.chain_after(0, GENESIS).unwrap();
    assert_eq!(a.seq, 1);
    assert_eq!(a.hash.len(), 64);
    let mut b = sample("llm.call");
    b.chain_after(a.seq, &a.hash).unwrap();
    assert_eq!((b.seq, b.prev_hash.as_str()), (2, a.hash.as_str()));
    assert_ne!(
        a.hash, b.hash,
        "same content, different place, different hash"
    );
    // the hash does not cover itself, and any field change changes it
    let mut c = b.clone();
    c.hash = "x".into();
    assert_eq!(c.compute_hash().unwrap(), b.hash);
    c.latency_ms = Some(4);
    assert_ne!(c.compute_hash().unwrap(), b.hash);
}

fn any_json() -> impl proptest::strategy::Strategy<Value = Value> {
    use proptest::prelude::*;
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |x| x.is_finite())
            .prop_map(Value::from),
        ".*".prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            proptest::collection::btree_map(".{0,6}", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

proptest::proptest! {
    #[test]
    fn fast_canonical_form_equals_the_reference(
        id in ".*", kind in ".*", ts in ".*", prev in "[0-9a-f]{0,64}",
        caller_id in ".*", groups in proptest::collection::vec(".*", 0..3),
        key_id in proptest::option::of(".*"), cred in proptest::option::of(".*"),
        verified in proptest::option::of(proptest::bool::ANY),
        seq in proptest::num::u64::ANY, latency in proptest::option::of(proptest::num::u64::ANY),
        cost in proptest::option::of(proptest::num::f64::ANY),
        route in ".*", model in proptest::option::of(".*"), stream in proptest::bool::ANY,
        status in proptest::num::u16::ANY, error in proptest::option::of(".*"),
        with_request in proptest::bool::ANY, with_response in proptest::bool::ANY,
        with_usage in proptest::bool::ANY, tokens in proptest::num::u64::ANY,
        guardrails in proptest::option::of(any_json()), change in proptest::option::of(any_json()),
        agent in proptest::option::of(".*"), method in proptest::option::of(".*"),
        team in proptest::option::of(".*"),
    ) {
        let mut r = sample(&kind);
        r.id = id;
        r.ts = ts;
        r.prev_hash = prev;
        r.seq = seq;
        r.hash = "ignored".into();
        r.caller = CallerInfo { kind: kind.clone(), id: caller_id, principal_id: key_id.clone(), groups, key_id, team };
        r.aida_credential_id = cred;
        r.aida_scope_verified = verified;
        r.latency_ms = latency;
        r.cost_usd = cost;
        r.request = with_request.then(|| RequestInfo {
            route, model_requested: model.clone(), provider: model.clone(), model_served: None, stream,
            prompt_sha256: model, agent_id: agent.clone(), method, skill: agent,
        });
        r.response = with_response.then(|| ResponseInfo {
            status, finish_reason: error.clone(), response_sha256: None, error, client_disconnected: stream,
        });
        r.usage = with_usage.then_some(UsageInfo {
            prompt_tokens: tokens, completion_tokens: tokens / 3, cached_tokens: 0, usage_estimated: stream,
        });
        r.guardrails = guardrails;
        r.change = change;
        let fast = r.canonical().unwrap();
        let reference = r.canonical_reference().unwrap();
        proptest::prop_assert_eq!(String::from_utf8_lossy(&fast), String::from_utf8_lossy(&reference));
        // The stored form is the canonical form of the whole record, and reads back as it.
        let stored = r.canonical_stored().unwrap();
        let whole = serde_json_canonicalizer::to_vec(&serde_json::to_value(&r).unwrap()).unwrap();
        proptest::prop_assert_eq!(String::from_utf8_lossy(&stored), String::from_utf8_lossy(&whole));
        let back: Record = serde_json::from_slice(&stored).unwrap();
        proptest::prop_assert_eq!(back.canonical().unwrap(), fast);
        // Prepared ahead of the writer, then chained: the same seq, hash and stored bytes.
        let prepared = r.prepare().unwrap();
        let prev_seq = seq.saturating_sub(1);
        let mut chained = r.clone();
        chained.chain_after(prev_seq, &r.prev_hash).unwrap();
        let c = prepared.chain_after(prev_seq, &r.prev_hash);
        proptest::prop_assert_eq!(c.seq, chained.seq);
        proptest::prop_assert_eq!(&c.hash, &chained.hash);
        let want = chained.canonical_stored().unwrap();
        proptest::prop_assert_eq!(String::from_utf8_lossy(&c.stored), String::from_utf8_lossy(&want));
    }
}

#[test]
fn canonical_form_sorts_keys_and_drops_the_hash() {
    let mut a = sample("admin.key.create");
    a.hash = "abc".into();
    let text = String::from_utf8(a.canonical().unwrap()).unwrap();
    assert!(!text.contains("\"hash\""));
    let keys: Vec<usize> = [
        "\"aida_credential_id\"",
        "\"caller\"",
        "\"kind\"",
        "\"seq\"",
        "\"ts\"",
    ]
    .iter()
    .map(|k| text.find(k).unwrap())
    .collect();
    assert!(keys.windows(2).all(|w| w[0] < w[1]), "keys sorted: {text}");
}

#[test]
fn hand_written_free_form_values_equal_the_reference() {
    let mut r = sample("decision");
    r.policy = Some(serde_json::json!({
        "effect": "deny", "policy_id": "fin-crm-geo-fence", "reason_codes": ["policy_matched"],
        "reasons": ["policy `x` (\"quoted\", tab\t, é, \u{1}) matched: deny"],
        "subject": {"type": "agent", "id": "a", "on_behalf_of_user_id": null},
        "b": [1, -2, 9007199254740993u64, -9007199254740993i64, 1.5, 1e21, 0.1, true, {}, []],
        "Z": {"a": 1}, "_": 0, "aa": {"ключ": 1, "k": 2}
    }));
    r.change = Some(serde_json::json!({"before": null, "after": {"z": [], "a": "\u{2028}"}}));
    assert_eq!(
        String::from_utf8(r.canonical().unwrap()).unwrap(),
        String::from_utf8(r.canonical_reference().unwrap()).unwrap()
    );
}

#[test]
fn a_record_without_a_team_canonicalizes_as_before_the_field_existed() {
    let r = sample("llm.call");
    let text = String::from_utf8(r.canonical().unwrap()).unwrap();
    assert!(text.contains(r#""principal_id":null}"#), "{text}");
    let mut t = r.clone();
    t.caller.team = Some("payments".into());
    let text = String::from_utf8(t.canonical().unwrap()).unwrap();
    assert!(
        text.contains(r#""principal_id":null,"team":"payments"}"#),
        "{text}"
    );
    assert_eq!(t.canonical().unwrap(), t.canonical_reference().unwrap());
}
