use super::*;

fn run(events: &[&str], wants: bool) -> Vec<StreamItem> {
    let mut t = Passthrough {
        client_wants_usage: wants,
    };
    let mut out = VecDeque::new();
    for e in events {
        t.on_event(Bytes::from(e.to_string()), &mut out).unwrap();
    }
    out.into_iter().collect()
}

const CHUNK: &str =
    "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"hi\"}}],\"usage\":null}\n\n";
const USAGE: &str =
    "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":5,\"completion_tokens\":2}}\n\n";
const DONE: &str = "data: [DONE]\n\n";

#[test]
fn usage_chunk_is_kept_for_accounting_and_stripped_when_not_asked_for() {
    let items = run(&[CHUNK, USAGE, DONE], false);
    assert_eq!(items.len(), 3);
    assert_eq!(items[0], StreamItem::Data(Bytes::from(CHUNK)));
    assert!(
        matches!(items[1], StreamItem::Usage(u) if u.prompt_tokens == 5 && u.completion_tokens == 2)
    );
    assert_eq!(items[2], StreamItem::Done);
}

#[test]
fn usage_chunk_reaches_a_client_that_asked_for_it() {
    let items = run(&[CHUNK, USAGE, DONE], true);
    assert_eq!(items.len(), 4);
    assert_eq!(items[2], StreamItem::Data(Bytes::from(USAGE)));
}

#[test]
fn non_streaming_usage_is_read() {
    let u = facts_of(br#"{"id":"x","usage":{"prompt_tokens":3,"completion_tokens":4,"prompt_tokens_details":{"cached_tokens":1}}}"#).0;
    assert_eq!(
        u.map(|u| (u.prompt_tokens, u.completion_tokens, u.cached_tokens)),
        Some((3, 4, 1))
    );
}
