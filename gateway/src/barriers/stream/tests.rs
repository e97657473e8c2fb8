use super::events::*;
use super::*;

fn deltas(events: &[u8]) -> Vec<(Channel, String)> {
    let mut out = Vec::new();
    events::deltas(events, &mut |c, t| out.push((c, t.to_string())));
    out
}

fn texts(pieces: Vec<(Channel, String)>) -> Vec<(String, String)> {
    (pieces.into_iter())
        .map(|(c, t)| {
            let c = match c {
                Channel::Chat {
                    choice,
                    field: TOOL,
                    tool,
                } => format!("{choice}/tool/{tool}"),
                Channel::Chat { choice, field, .. } if usize::from(field) < MESSAGE_TEXTS.len() => {
                    format!("{choice}/{}", MESSAGE_TEXTS[usize::from(field)])
                }
                Channel::Chat {
                    choice,
                    field: FINISHED,
                    ..
                } => format!("{choice}/finished"),
                Channel::Chat { choice, .. } => format!("{choice}/function"),
                Channel::Named(n) => n,
                Channel::Raw => RAW.to_string(),
            };
            (c, t)
        })
        .collect()
}

const RAW: &str = "raw";

fn pair(channel: &str, text: &str) -> (String, String) {
    (channel.to_string(), text.to_string())
}

#[test]
fn deltas_reads_the_content_of_every_event_and_skips_the_rest() {
    let events = concat!(
        "data: {\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"}}]}\n\n",
        "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Halvorsen \"}}]}\n\n",
        "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"beats\"}}]}\n\n",
        "data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n",
        "data: [DONE]\n\n",
    );
    assert_eq!(
        texts(deltas(events.as_bytes())),
        vec![
            pair("0/content", "Halvorsen "),
            pair("0/content", "beats"),
            // The choice finished: its texts end here.
            pair("0/finished", ""),
        ]
    );
}

#[test]
fn every_choice_and_every_text_field_is_a_channel_of_its_own() {
    let events = concat!(
        "data: {\"choices\":[{\"index\":1,\"delta\":{\"content\":\"Halv\"}},{\"index\":0,\"delta\":{\"refusal\":\"No\"}}]}\n\n",
        "data: {\"choices\":[{\"index\":0,\"delta\":{\"reasoning_content\":\"think\",",
        "\"tool_calls\":[{\"index\":2,\"function\":{\"arguments\":\"{\\\"a\\\"\"}}]}}]}\n\n",
        "data: {\"choices\":[{\"index\":0,\"delta\":{\"function_call\":{\"arguments\":\"x\"}}}]}\n\n",
    );
    assert_eq!(
        texts(deltas(events.as_bytes())),
        vec![
            pair("1/content", "Halv"),
            pair("0/refusal", "No"),
            pair("0/reasoning_content", "think"),
            pair("0/tool/2", "{\"a\""),
            pair("0/function", "x"),
        ]
    );
}

#[test]
fn a_key_written_another_way_is_read_all_the_same() {
    // Whitespace before the colon, and the key escaped: both are the `content` a client reads.
    let events = concat!(
        "data: {\"choices\":[{\"delta\":{\"content\" : \"Halvorsen \"}}]}\n\n",
        "data: {\"choices\":[{\"delta\":{\"\\u0063ontent\":\"Biotech\"}}]}\n\n",
    );
    assert_eq!(
        texts(deltas(events.as_bytes())),
        vec![
            pair("0/content", "Halvorsen "),
            pair("0/content", "Biotech")
        ]
    );
}

#[test]
fn bytes_that_are_not_utf8_or_json_are_read_as_they_stand() {
    let events = b"data: {\"choices\":[{\"delta\":{\"content\":\"Halv\xffrsen\"}}]}\n\ndata: Halvorsen misses\n\n: comment\ndata: [DONE]\n\n";
    assert_eq!(
        texts(deltas(events)),
        vec![
            pair("0/content", "Halv\u{fffd}rsen"),
            pair(RAW, "Halvorsen misses\n"),
        ]
    );
    assert!(deltas(b"\xff\xfe").is_empty(), "no data field, no text");
    // JSON that is not a chat chunk (an error event) is read as it stands.
    assert_eq!(
        texts(deltas(b"data: {\"error\":{\"message\":\"Halvorsen\"}}\n\n")),
        vec![pair(RAW, "{\"error\":{\"message\":\"Halvorsen\"}}\n")]
    );
    // `reasoning` (as some servers spell `reasoning_content`) is a text of its own.
    assert_eq!(
        deltas(b"data: {\"choices\":[{\"delta\":{\"reasoning\":\"Halv\"}}]}\n\n"),
        vec![(
            Channel::Chat {
                choice: 0,
                field: 6,
                tool: 0
            },
            "Halv".to_string()
        )]
    );
    // JSON of another shape, or with a text field twice, is read as it stands.
    let odd = concat!(
        "data: {\"choices\":[{\"delta\":{\"content\":[\"Halvorsen\"]}}]}\n\n",
        "data: {\"choices\":[{\"delta\":{\"content\":\"a\",\"content\":\"b\"}}]}\n\n",
    );
    assert_eq!(
        texts(deltas(odd.as_bytes())),
        vec![
            pair(
                RAW,
                "{\"choices\":[{\"delta\":{\"content\":[\"Halvorsen\"]}}]}\n"
            ),
            pair(
                RAW,
                "{\"choices\":[{\"delta\":{\"content\":\"a\",\"content\":\"b\"}}]}\n"
            ),
        ]
    );
}

#[test]
fn the_data_lines_of_one_event_are_one_field() {
    let events = "event: x\r\ndata: {\"choices\":[{\"delta\":\r\ndata: {\"content\":\"one\"}}]}\r\n\r\ndata:{\"choices\":[{\"delta\":{\"content\":\"two\"}}]}";
    assert_eq!(
        texts(deltas(events.as_bytes())),
        vec![pair("0/content", "one"), pair("0/content", "two")]
    );
}
