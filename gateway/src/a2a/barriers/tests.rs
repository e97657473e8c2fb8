use super::*;

#[test]
fn the_texts_of_a_stream_come_from_every_event_one_per_line() {
    let events = concat!(
        "data: {\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"artifactUpdate\":{\"artifact\":{\"parts\":[{\"text\":\"Halvorsen\"}]}}}}\n\n",
        "event: x\ndata: {\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"artifactUpdate\":{\"artifact\":{\"parts\":[{\"text\":\"Biotech\"}]}}}}\n\n",
        "data: not json\n\n",
    );
    assert_eq!(
        event_texts(events.as_bytes()),
        vec!["Halvorsen\n", "Biotech\n"]
    );
    assert!(event_texts(b"\xff").is_empty());
}

#[test]
fn refusals_are_200_with_the_refused_code_and_outages_503() {
    let blocked = ApiError::InformationBarrier {
        barrier: "wall".into(),
        labels: "mnpi".into(),
    };
    let (status, e) = refusal_of(&blocked);
    assert_eq!(
        (status, e.code, e.reason),
        (StatusCode::OK, code::REFUSED, "information_barrier")
    );
    let (status, e) = refusal_of(&ApiError::StoreUnavailable("down".into()));
    assert_eq!(
        (status, e.code),
        (StatusCode::SERVICE_UNAVAILABLE, code::AUDIT_UNAVAILABLE)
    );
}
