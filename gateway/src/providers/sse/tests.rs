use super::*;

#[test]
fn events_end_at_blank_lines_in_either_newline_style() {
    assert_eq!(event_end(b"data: a\n\ndata: b"), Some(9));
    assert_eq!(event_end(b"data: a\r\n\r\nx"), Some(11));
    assert_eq!(event_end(b"data: a\n"), None);
}

#[test]
fn event_name_and_multiline_data_are_read() {
    let (ev, data) = parse_event(b"event: message_start\ndata: {\"a\":\ndata: 1}\n\n");
    assert_eq!(ev, Some("message_start"));
    assert_eq!(data, "{\"a\":\n1}");
}
