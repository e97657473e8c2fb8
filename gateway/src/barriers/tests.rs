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
