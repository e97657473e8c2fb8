use super::*;

fn texts(events: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    event_texts(events.as_bytes(), &mut |c, t| {
        let c = match c {
            Channel::Named(n) => n,
            Channel::Raw => "raw".to_string(),
            c => format!("{c:?}"),
        };
        out.push((c, t.to_string()));
    });
    out
}

fn pair(channel: &str, text: &str) -> (String, String) {
    (channel.to_string(), text.to_string())
}

#[test]
fn the_texts_of_a_stream_come_from_every_event_one_per_line() {
    let events = concat!(
        "data: {\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"status\":{\"message\":{\"parts\":[{\"text\":\"Halvorsen\"}]}}}}\n\n",
        "event: x\ndata: {\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"kind\":\"message\",\"parts\":[{\"text\":\"Biotech\"}]}}\n\n",
        "data: not json\n\n",
    );
    assert_eq!(
        texts(events),
        vec![
            pair("", "Halvorsen\n"),
            pair("joined", "Halvorsen"),
            pair("", "Biotech\n"),
            pair("joined", "Biotech"),
            pair("raw", "not json\n")
        ]
    );
    assert!(texts("\u{fffd}").is_empty());
}

#[test]
fn an_appended_artifact_continues_its_text_and_a_new_one_starts_a_line() {
    let events = concat!(
        "data: {\"result\":{\"artifactUpdate\":{\"artifact\":{\"artifactId\":\"a\",\"parts\":[{\"text\":\"Halv\"}]}}}}\n\n",
        "data: {\"result\":{\"artifactUpdate\":{\"append\":true,\"artifact\":{\"artifactId\":\"a\",\"parts\":[{\"text\":\"orsen\"},{\"text\":\"Biotech\"}]}}}}\n\n",
        "data: {\"result\":{\"kind\":\"artifact-update\",\"append\":true,\"artifact\":{\"artifactId\":\"b\",\"parts\":[{\"data\":{\"k\":\"v\"}}]}}}\n\n",
    );
    assert_eq!(
        texts(events),
        vec![
            pair("artifact/a", "\nHalv"),
            pair("artifact/a", "orsen"),
            pair("artifact/a", "\nBiotech"),
            pair("artifact/b", "v"),
        ]
    );
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
