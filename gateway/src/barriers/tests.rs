use serde_json::json;

use super::*;

#[test]
fn the_prompt_text_has_string_contents_and_text_parts_one_per_line() {
    let body = json!({"messages": [
        {"role": "system", "content": "be brief"},
        {"role": "user", "content": [{"type": "text", "text": "Project Falcon"}, {"type": "image_url", "image_url": {"url": "x"}}]},
        {"role": "assistant", "content": null},
    ]});
    let Value::Object(m) = body else {
        unreachable!()
    };
    assert_eq!(prompt_text(&m), "be brief\nProject Falcon");
}

#[test]
fn the_prompt_text_reads_every_text_put_before_the_model() {
    let body = json!({
        "messages": [
            {"role": "assistant", "content": null, "refusal": "r",
             "tool_calls": [{"id": "c", "type": "function", "function": {"name": "f", "arguments": "{\"a\":1}"}}],
             "function_call": {"name": "g", "arguments": "legacy"}},
            {"role": "user", "content": [{"type": "image_url", "image_url": {"url": "data:x"}}]},
        ],
        "tools": [{"type": "function", "function": {"name": "f", "description": "tool doc",
            "parameters": {"type": "object", "properties": {"x": {"description": "param doc"}}}}}],
        "functions": [{"name": "g", "description": "legacy doc"}],
        "prediction": {"type": "content", "content": "predicted"},
        "response_format": {"type": "json_schema", "json_schema": {"name": "s", "schema": {"description": "schema doc"}}},
    });
    let Value::Object(m) = body else {
        unreachable!()
    };
    assert_eq!(
        prompt_text(&m),
        "r\n{\"a\":1}\nlegacy\ntool doc\nobject\nparam doc\nlegacy doc\npredicted\ns\nschema doc"
    );
}

#[test]
fn the_embeddings_text_is_its_input_and_token_ids_are_not_text() {
    let text = |v: Value| {
        let Value::Object(m) = v else { unreachable!() };
        embeddings_text(&m)
    };
    assert_eq!(text(json!({"input": "one"})).as_deref(), Some("one"));
    assert_eq!(
        text(json!({"input": ["one", "two"]})).as_deref(),
        Some("one\ntwo")
    );
    assert_eq!(text(json!({"input": [1, 2, 3]})), None);
    assert_eq!(text(json!({"input": [[1, 2]]})), None);
}

#[test]
fn the_answer_text_joins_every_text_of_every_choice() {
    let body = json!({"choices": [
        {"message": {"role": "assistant", "content": "one"}},
        {"message": {"role": "assistant", "content": "two", "refusal": "no",
            "tool_calls": [{"function": {"name": "f", "arguments": "{\"a\":1}"}}]}},
    ]});
    assert_eq!(
        answer_text(body.to_string().as_bytes()),
        "one\ntwo\nno\n{\"a\":1}"
    );
    // What is not JSON reaches the client all the same, so it is read as it stands.
    assert_eq!(answer_text(b"not \xffjson"), "not \u{fffd}json");
}

#[test]
fn a_response_verdict_keeps_the_prompt_labels_and_raises_the_action() {
    let prompt =
        json!({"labels": ["pii"], "barriers": [], "action": "Log", "compliance_score": 90});
    let verdict = Verdict {
        classification: Classification::from_findings(Vec::new()),
        triggers: Vec::new(),
        action: Some(BarrierAction::Block),
    };
    let g = merge_response(Some(prompt), &verdict);
    assert_eq!(g["labels"], json!(["pii"]));
    assert_eq!(g["action"], "Block");
    assert_eq!(g["response_labels"], json!([]));
    let g = merge_response(
        None,
        &Verdict {
            action: None,
            ..verdict
        },
    );
    assert_eq!(g["action"], Value::Null);
}
