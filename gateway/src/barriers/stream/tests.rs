use super::*;

#[test]
fn deltas_reads_the_content_of_every_event_and_skips_the_rest() {
    let events = concat!(
        "data: {\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"}}]}\n\n",
        "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Halvorsen \"}}]}\n\n",
        "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"beats\"}}]}\n\n",
        "data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n",
        "data: [DONE]\n\n",
    );
    assert_eq!(deltas(events.as_bytes()), vec!["Halvorsen ", "beats"]);
    assert!(memchr_content(events.as_bytes()));
    assert!(!memchr_content(b"data: {\"choices\":[]}\n\n"));
    assert!(deltas(b"\xff\xfe").is_empty());
}
