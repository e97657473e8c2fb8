use super::*;

fn ev(v: Value) -> Bytes {
    Bytes::from(format!("data: {v}\n\n"))
}

fn call_delta(args: &str, name: Option<&str>) -> Bytes {
    let mut f = serde_json::json!({"arguments": args});
    if let Some(n) = name {
        f["name"] = n.into();
    }
    ev(
        serde_json::json!({"choices": [{"index": 0, "delta": {"tool_calls": [{"index": 0, "function": f}]}, "finish_reason": null}]}),
    )
}

fn finish() -> Bytes {
    ev(serde_json::json!({"choices": [{"index": 0, "delta": {}, "finish_reason": "tool_calls"}]}))
}

fn hold_with_cap(cap: f64) -> ToolHold {
    ToolHold::new(Box::new(move |name, args| {
        let v: Value =
            serde_json::from_str(args).map_err(|e| ApiError::InvalidJson(e.to_string()))?;
        match v["amount_usd"].as_f64() {
            Some(a) if a <= cap => Ok(()),
            _ => Err(ApiError::ToolCallDenied {
                tool: name.into(),
                reason: "amount_over_limit",
                message: "over".into(),
            }),
        }
    }))
}

#[test]
fn text_passes_and_a_call_split_over_chunks_is_released_whole_when_allowed() {
    let mut h = hold_with_cap(100.0);
    let text = ev(
        serde_json::json!({"choices": [{"index": 0, "delta": {"content": "ok"}, "finish_reason": null}]}),
    );
    assert!(matches!(h.feed(text.clone()), Hold::Send(b) if b == text));
    assert!(matches!(
        h.feed(call_delta("{\"amount", Some("wire_transfer"))),
        Hold::Held
    ));
    assert!(matches!(h.feed(call_delta("_usd\": 99", None)), Hold::Held));
    assert!(matches!(h.feed(call_delta("}", None)), Hold::Held));
    match h.feed(finish()) {
        Hold::Send(b) => {
            let s = String::from_utf8_lossy(&b).to_string();
            assert_eq!(
                s.matches("data: ").count(),
                4,
                "all held events at once, in order: {s}"
            );
        }
        _ => panic!("allowed call must be released"),
    }
}

#[test]
fn an_unreadable_event_with_tool_calls_is_refused_not_passed() {
    let mut h = hold_with_cap(100.0);
    let broken =
        Bytes::from_static(b"data: {\"choices\":[{\"delta\":{\"tool_calls\":[{\"index\":0,\n\n");
    assert!(matches!(
        h.feed(broken),
        Hold::Deny(ApiError::ToolCallDenied { .. })
    ));
}

#[test]
fn a_refused_call_is_never_released() {
    let mut h = hold_with_cap(100.0);
    assert!(matches!(
        h.feed(call_delta("{\"amount_usd\": 101}", Some("wire_transfer"))),
        Hold::Held
    ));
    assert!(matches!(
        h.feed(finish()),
        Hold::Deny(ApiError::ToolCallDenied { .. })
    ));
}

#[test]
fn a_stream_that_ends_without_finish_reason_is_still_checked() {
    let mut h = hold_with_cap(100.0);
    assert!(matches!(
        h.feed(call_delta("{\"amount_usd\": 500}", Some("wire_transfer"))),
        Hold::Held
    ));
    assert!(matches!(h.finish(), Hold::Deny(_)));
}

#[test]
fn a_legacy_function_call_and_an_escaped_key_are_held_and_checked() {
    let mut h = hold_with_cap(100.0);
    let legacy = ev(
        serde_json::json!({"choices": [{"index": 0, "delta": {"function_call": {"name": "wire_transfer", "arguments": "{\"amount_usd\": 500}"}}}]}),
    );
    assert!(matches!(h.feed(legacy), Hold::Held));
    assert!(matches!(h.feed(finish()), Hold::Deny(_)));

    // `tool_calls` spelled with an escape is read as a client reads it.
    let mut h = hold_with_cap(100.0);
    let escaped = Bytes::from_static(
        b"data: {\"choices\":[{\"index\":0,\"delta\":{\"\\u0074ool_calls\":[{\"index\":0,\"function\":{\"name\":\"wire_transfer\",\"arguments\":\"{\\\"amount_usd\\\": 500}\"}}]}}]}\n\n",
    );
    assert!(matches!(h.feed(escaped), Hold::Held));
    assert!(matches!(h.finish(), Hold::Deny(_)));
}

#[test]
fn the_calls_of_two_choices_are_checked_apart() {
    // Choice 1's call 0 must not be read as the rest of choice 0's call 0.
    let mut h = hold_with_cap(100.0);
    let two = |choice: u64, args: &str| {
        ev(
            serde_json::json!({"choices": [{"index": choice, "delta": {"tool_calls": [{"index": 0, "function": {"name": "wire_transfer", "arguments": args}}]}}]}),
        )
    };
    assert!(matches!(h.feed(two(0, "{\"amount_usd\": 5}")), Hold::Held));
    assert!(matches!(
        h.feed(two(1, "{\"amount_usd\": 500}")),
        Hold::Held
    ));
    assert!(matches!(h.finish(), Hold::Deny(_)));
    let mut h = hold_with_cap(100.0);
    assert!(matches!(h.feed(two(0, "{\"amount_usd\": 5}")), Hold::Held));
    assert!(matches!(h.feed(two(1, "{\"amount_usd\": 6}")), Hold::Held));
    assert!(matches!(h.finish(), Hold::Send(_)));
}

#[test]
fn a_choice_that_finishes_does_not_check_another_choice_s_unfinished_call() {
    let mut h = hold_with_cap(100.0);
    let call = |args: &str, name: Option<&str>| {
        let mut f = serde_json::json!({"arguments": args});
        if let Some(n) = name {
            f["name"] = n.into();
        }
        ev(
            serde_json::json!({"choices": [{"index": 0, "delta": {"tool_calls": [{"index": 0, "function": f}]}}]}),
        )
    };
    let done = |choice: u64| {
        ev(
            serde_json::json!({"choices": [{"index": choice, "delta": {}, "finish_reason": "stop"}]}),
        )
    };
    assert!(matches!(
        h.feed(call("{\"amount_usd\"", Some("wire_"))),
        Hold::Held
    ));
    // Choice 1 finishes: choice 0's call is half there, so nothing is checked or sent yet.
    assert!(matches!(h.feed(done(1)), Hold::Held));
    assert!(matches!(h.feed(call(": 5}", Some("transfer"))), Hold::Held));
    match h.feed(done(0)) {
        Hold::Send(b) => assert!(String::from_utf8_lossy(&b).contains(": 5}")),
        _ => panic!("the whole call, checked once complete, is released"),
    }
}

#[test]
fn a_null_function_call_is_no_call() {
    let mut h = hold_with_cap(100.0);
    let text = ev(
        serde_json::json!({"choices": [{"index": 0, "delta": {"content": "hi", "function_call": null}}]}),
    );
    assert!(matches!(h.feed(text), Hold::Send(_)));
}
