use serde_json::json;

use super::*;

#[test]
fn both_protocol_versions_name_the_forwarded_methods() {
    for (name, kind, streaming) in [
        ("SendMessage", Kind::Send, false),
        ("message/send", Kind::Send, false),
        ("SendStreamingMessage", Kind::Send, true),
        ("message/stream", Kind::Send, true),
        ("GetTask", Kind::Task, false),
        ("tasks/get", Kind::Task, false),
        ("ListTasks", Kind::Task, false),
        ("CancelTask", Kind::Task, false),
        ("tasks/cancel", Kind::Task, false),
        ("SubscribeToTask", Kind::Task, true),
    ] {
        assert_eq!(method(name), Some(Method { kind, streaming }), "{name}");
    }
    for refused in [
        "CreateTaskPushNotificationConfig",
        "tasks/pushNotificationConfig/set",
        "GetExtendedAgentCard",
        "sendmessage",
        "",
    ] {
        assert_eq!(method(refused), None, "{refused}");
    }
}

#[test]
fn envelopes_are_checked_and_keep_their_id_for_the_error() {
    let ok = parse(br#"{"jsonrpc":"2.0","id":7,"method":"SendMessage","params":{}}"#).unwrap();
    assert_eq!((ok.id, ok.method.as_str()), (json!(7), "SendMessage"));
    let cases: [(&[u8], Value, i64); 6] = [
        (b"{nope", Value::Null, code::PARSE_ERROR),
        (b"[]", Value::Null, code::INVALID_REQUEST),
        (
            br#"{"jsonrpc":"1.0","id":"a","method":"x"}"#,
            json!("a"),
            code::INVALID_REQUEST,
        ),
        (
            br#"{"jsonrpc":"2.0","id":"a","method":3}"#,
            json!("a"),
            code::INVALID_REQUEST,
        ),
        (
            br#"{"jsonrpc":"2.0","id":{},"method":"x"}"#,
            Value::Null,
            code::INVALID_REQUEST,
        ),
        (
            br#"{"jsonrpc":"2.0","id":1,"method":"x","params":[1]}"#,
            json!(1),
            code::INVALID_REQUEST,
        ),
    ];
    for (body, id, want) in cases {
        let (got_id, err) = parse(body).unwrap_err();
        assert_eq!(
            (got_id, err.code),
            (id, want),
            "{}",
            String::from_utf8_lossy(body)
        );
    }
}

#[test]
fn skill_and_parts_are_read_from_either_version() {
    let v1 = json!({"message": {"role": "ROLE_USER", "metadata": {"skill": "wire_transfer"}, "parts": [
        {"text": "pay them"}, {"data": {"amount_usd": 9999.0}}]}});
    let v03 = json!({"metadata": {"skill": "wire_transfer"}, "message": {"role": "user", "parts": [
        {"kind": "text", "text": "pay them"}, {"kind": "data", "data": {"amount_usd": 9999}}]}});
    for p in [&v1, &v03] {
        assert_eq!(skill_hint(p), Ok(Some("wire_transfer")));
        assert_eq!(text_parts(p), vec!["pay them"]);
        assert_eq!(data_parts(p).len(), 1);
    }
    assert_eq!(skill_hint(&json!({"message": {}})), Ok(None));
    assert!(skill_hint(&json!({"metadata": {"skill": 3}})).is_err());
}

#[test]
fn a_stream_ends_at_a_final_state_a_message_or_an_error() {
    let status = |state: &str| json!({"jsonrpc": "2.0", "id": 1, "result": {"statusUpdate": {"status": {"state": state}}}});
    assert!(!is_final_event(&status("TASK_STATE_WORKING")));
    assert!(is_final_event(&status("TASK_STATE_COMPLETED")));
    assert!(is_final_event(&status("TASK_STATE_INPUT_REQUIRED")));
    assert!(!is_final_event(
        &json!({"result": {"task": {"status": {"state": "TASK_STATE_SUBMITTED"}}}})
    ));
    assert!(is_final_event(
        &json!({"result": {"message": {"parts": []}}})
    ));
    assert!(is_final_event(
        &json!({"result": {"kind": "status-update", "final": true, "status": {"state": "working"}}})
    ));
    assert!(is_final_event(
        &json!({"result": {"kind": "task", "status": {"state": "failed"}}})
    ));
    assert!(is_final_event(&json!({"error": {"code": -32001}})));
    assert!(!is_final_event(
        &json!({"result": {"artifactUpdate": {"artifact": {}}}})
    ));
    assert_eq!(
        task_state(&status("TASK_STATE_AUTH_REQUIRED")).as_deref(),
        Some("auth-required")
    );
}

#[test]
fn errors_lead_with_their_reason() {
    let body = RpcError::new(code::REFUSED, "scope_not_granted", "no").body(&json!("r1"));
    assert_eq!(body["error"]["message"], "scope_not_granted: no");
    assert_eq!(body["error"]["data"]["reason"], "scope_not_granted");
    assert_eq!(body["id"], "r1");
}

#[test]
fn a_message_is_classified_by_its_text_and_the_strings_in_its_data() {
    let params = json!({"message": {"parts": [
        {"text": "please review"},
        {"kind": "data", "data": {"note": "Project Falcon", "amount_usd": 12.0, "tags": ["urgent"]}},
        {"url": "https://example.com/x"}
    ]}});
    assert_eq!(
        message_texts(&params),
        vec!["please review", "Project Falcon", "urgent"]
    );
    assert!(message_texts(&json!({})).is_empty());
}

#[test]
fn an_answer_is_classified_by_what_the_agent_says_not_by_the_history_it_repeats() {
    // v1.0: a task with the user's message in its history, an artifact and a status message.
    let task = json!({"jsonrpc": "2.0", "id": 1, "result": {"task": {
        "id": "t", "history": [{"role": "ROLE_USER", "parts": [{"text": "my question"}]}],
        "artifacts": [{"parts": [{"text": "the answer"}, {"data": {"figure": "42 a share"}}]}],
        "status": {"state": "TASK_STATE_COMPLETED",
                   "message": {"role": "ROLE_AGENT", "parts": [{"text": "done"}]}}}}});
    let mut texts = answer_texts(&task);
    texts.sort_unstable();
    assert_eq!(texts, vec!["42 a share", "done", "the answer"]);
    // v0.3 stream events: an artifact update, a status update, a message.
    let artifact = json!({"result": {"kind": "artifact-update",
        "artifact": {"parts": [{"kind": "text", "text": "chunk"}]}}});
    assert_eq!(answer_texts(&artifact), vec!["chunk"]);
    let message = json!({"result": {"kind": "message", "role": "agent",
        "parts": [{"kind": "text", "text": "hello"}]}});
    assert_eq!(answer_texts(&message), vec!["hello"]);
    let user = json!({"result": {"kind": "message", "role": "user", "parts": [{"text": "mine"}]}});
    assert!(answer_texts(&user).is_empty());
    assert!(answer_texts(&json!({"error": {"message": "x"}})).is_empty());
}
