use super::*;
use serde_json::json;

fn obj(v: serde_json::Value) -> Map<String, Value> {
    v.as_object().cloned().unwrap()
}

#[test]
fn a_prompt_is_four_bytes_a_token_plus_four_a_message() {
    let body = obj(json!({"messages": [
        {"role": "system", "content": "12345678"},
        {"role": "user", "content": [{"type": "text", "text": "123"}]},
    ]}));
    assert_eq!(prompt(&body), (4 + 2) + (4 + 1));
}

#[test]
fn embeddings_inputs_count_strings_and_token_arrays() {
    assert_eq!(prompt(&obj(json!({"input": "12345"}))), 2);
    assert_eq!(prompt(&obj(json!({"input": ["1234", [1, 2, 3]]}))), 1 + 3);
}

#[test]
fn max_output_takes_the_request_limit_or_the_default() {
    assert_eq!(
        max_output(&obj(json!({"messages": [], "max_tokens": 7}))),
        7
    );
    assert_eq!(
        max_output(&obj(
            json!({"messages": [], "max_completion_tokens": 9, "max_tokens": 7})
        )),
        9
    );
    assert_eq!(
        max_output(&obj(json!({"messages": []}))),
        DEFAULT_MAX_OUTPUT
    );
    assert_eq!(max_output(&obj(json!({"input": "x"}))), 0);
}

#[test]
fn answer_and_stream_estimates_read_the_content() {
    let body = json!({"choices": [{"message": {"role": "assistant", "content": "12345678"}}]});
    assert_eq!(answer(body.to_string().as_bytes()), 2);
    let ev = br#"data: {"choices":[{"delta":{"content":"ab\"cd"}}]}"#;
    assert_eq!(streamed_content_bytes(ev), 6);
    assert_eq!(streamed_content_bytes(b"data: {\"choices\":[]}"), 0);
}
