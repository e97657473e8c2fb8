#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::*;

fn req(v: Value) -> Map<String, Value> {
    v.as_object().unwrap().clone()
}

fn user(text: &str) -> Value {
    json!({"role": "user", "content": text})
}

/// Each key of `expected` must equal the same key of `actual`; a `null` means "absent".
fn assert_subset(name: &str, actual: &Value, expected: &Value) {
    for (key, want) in expected.as_object().unwrap() {
        match (actual.get(key), want) {
            (None, Value::Null) => {}
            (got, _) => assert_eq!(got, Some(want), "{name}: field {key} in {actual:#}"),
        }
    }
}

#[test]
fn request_fields_map_to_anthropic() {
    let cases: Vec<(&str, Value, Value)> = vec![
        (
            "upstream_model_replaces_model_and_max_tokens_defaults_to_4096",
            json!({"model": "claude", "messages": [user("hi")]}),
            json!({
                "model": "claude-sonnet-4-5",
                "max_tokens": 4096,
                "messages": [{"role": "user", "content": [{"type": "text", "text": "hi"}]}],
                "system": null, "tools": null, "tool_choice": null, "stream": null,
            }),
        ),
        (
            "system_and_developer_messages_join_into_top_level_system",
            json!({"messages": [
                {"role": "system", "content": "Be brief."},
                {"role": "developer", "content": [{"type": "text", "text": "Answer in French."}]},
                user("hi"),
            ]}),
            json!({
                "system": "Be brief.\n\nAnswer in French.",
                "messages": [{"role": "user", "content": [{"type": "text", "text": "hi"}]}],
            }),
        ),
        (
            "max_completion_tokens_wins_over_max_tokens",
            json!({"messages": [user("hi")], "max_tokens": 10, "max_completion_tokens": 20}),
            json!({"max_tokens": 20}),
        ),
        (
            "max_tokens_is_copied",
            json!({"messages": [user("hi")], "max_tokens": 10}),
            json!({"max_tokens": 10}),
        ),
        (
            "sampling_fields_stream_and_user_are_carried_over",
            json!({"messages": [user("hi")], "temperature": 0.2, "top_p": 0.9,
                   "stream": true, "user": "u-42"}),
            json!({"temperature": 0.2, "top_p": 0.9, "stream": true,
                   "metadata": {"user_id": "u-42"}}),
        ),
        (
            "stop_string_becomes_one_stop_sequence",
            json!({"messages": [user("hi")], "stop": "END"}),
            json!({"stop_sequences": ["END"]}),
        ),
        (
            "stop_array_becomes_stop_sequences",
            json!({"messages": [user("hi")], "stop": ["a", "b"]}),
            json!({"stop_sequences": ["a", "b"]}),
        ),
        (
            "fields_without_anthropic_equivalent_are_dropped",
            json!({"messages": [user("hi")], "n": 1, "logprobs": true, "seed": 7,
                   "response_format": {"type": "json_object"}, "stream_options": {"include_usage": true},
                   "presence_penalty": 0.5}),
            json!({"n": null, "logprobs": null, "seed": null, "response_format": null,
                   "stream_options": null, "presence_penalty": null}),
        ),
        (
            "image_data_url_becomes_a_base64_source",
            json!({"messages": [{"role": "user", "content": [
                {"type": "text", "text": "what is this?"},
                {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo="}},
            ]}]}),
            json!({"messages": [{"role": "user", "content": [
                {"type": "text", "text": "what is this?"},
                {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "iVBORw0KGgo="}},
            ]}]}),
        ),
        (
            "image_http_url_becomes_a_url_source",
            json!({"messages": [{"role": "user", "content": [
                {"type": "image_url", "image_url": {"url": "https://example.com/cat.jpg", "detail": "high"}},
            ]}]}),
            json!({"messages": [{"role": "user", "content": [
                {"type": "image", "source": {"type": "url", "url": "https://example.com/cat.jpg"}},
            ]}]}),
        ),
        (
            "assistant_tool_calls_become_tool_use_blocks_with_parsed_input",
            json!({"messages": [
                user("weather in Paris?"),
                {"role": "assistant", "content": "Let me check.", "tool_calls": [
                    {"id": "toolu_1", "type": "function",
                     "function": {"name": "get_weather", "arguments": "{\"city\":\"Paris\"}"}},
                    {"id": "toolu_2", "type": "function", "function": {"name": "now", "arguments": ""}},
                ]},
            ]}),
            json!({"messages": [
                {"role": "user", "content": [{"type": "text", "text": "weather in Paris?"}]},
                {"role": "assistant", "content": [
                    {"type": "text", "text": "Let me check."},
                    {"type": "tool_use", "id": "toolu_1", "name": "get_weather", "input": {"city": "Paris"}},
                    {"type": "tool_use", "id": "toolu_2", "name": "now", "input": {}},
                ]},
            ]}),
        ),
        (
            "tool_result_messages_merge_into_one_user_turn",
            json!({"messages": [
                user("weather and time?"),
                {"role": "assistant", "content": null, "tool_calls": [
                    {"id": "t1", "type": "function", "function": {"name": "w", "arguments": "{}"}},
                    {"id": "t2", "type": "function", "function": {"name": "t", "arguments": "{}"}},
                ]},
                {"role": "tool", "tool_call_id": "t1", "content": "sunny"},
                {"role": "tool", "tool_call_id": "t2", "content": [{"type": "text", "text": "noon"}]},
                user("thanks, summarise"),
            ]}),
            json!({"messages": [
                {"role": "user", "content": [{"type": "text", "text": "weather and time?"}]},
                {"role": "assistant", "content": [
                    {"type": "tool_use", "id": "t1", "name": "w", "input": {}},
                    {"type": "tool_use", "id": "t2", "name": "t", "input": {}},
                ]},
                {"role": "user", "content": [
                    {"type": "tool_result", "tool_use_id": "t1", "content": "sunny"},
                    {"type": "tool_result", "tool_use_id": "t2", "content": [{"type": "text", "text": "noon"}]},
                    {"type": "text", "text": "thanks, summarise"},
                ]},
            ]}),
        ),
        (
            "empty_assistant_turns_are_dropped",
            json!({"messages": [user("a"), {"role": "assistant", "content": ""}, user("b")]}),
            json!({"messages": [{"role": "user", "content": [
                {"type": "text", "text": "a"}, {"type": "text", "text": "b"},
            ]}]}),
        ),
        (
            "function_tools_become_input_schema_definitions",
            json!({"messages": [user("hi")], "tools": [
                {"type": "function", "function": {"name": "get_weather", "description": "Weather by city",
                 "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}, "strict": true}},
                {"type": "function", "function": {"name": "now"}},
            ]}),
            json!({"tools": [
                {"name": "get_weather", "description": "Weather by city",
                 "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}}},
                {"name": "now", "input_schema": {"type": "object", "properties": {}}},
            ], "tool_choice": null}),
        ),
        (
            "tool_choice_auto_stays_auto",
            json!({"messages": [user("hi")], "tools": [{"type": "function", "function": {"name": "f"}}],
                   "tool_choice": "auto"}),
            json!({"tool_choice": {"type": "auto"}}),
        ),
        (
            "tool_choice_none_stays_none",
            json!({"messages": [user("hi")], "tools": [{"type": "function", "function": {"name": "f"}}],
                   "tool_choice": "none"}),
            json!({"tool_choice": {"type": "none"}}),
        ),
        (
            "tool_choice_required_becomes_any",
            json!({"messages": [user("hi")], "tools": [{"type": "function", "function": {"name": "f"}}],
                   "tool_choice": "required"}),
            json!({"tool_choice": {"type": "any"}}),
        ),
        (
            "tool_choice_naming_a_function_becomes_a_tool_choice",
            json!({"messages": [user("hi")], "tools": [{"type": "function", "function": {"name": "f"}}],
                   "tool_choice": {"type": "function", "function": {"name": "f"}}}),
            json!({"tool_choice": {"type": "tool", "name": "f"}}),
        ),
        (
            "parallel_tool_calls_false_disables_parallel_tool_use",
            json!({"messages": [user("hi")], "tools": [{"type": "function", "function": {"name": "f"}}],
                   "parallel_tool_calls": false}),
            json!({"tool_choice": {"type": "auto", "disable_parallel_tool_use": true}}),
        ),
        (
            "tool_choice_without_tools_is_dropped",
            json!({"messages": [user("hi")], "tool_choice": "none"}),
            json!({"tool_choice": null, "tools": null}),
        ),
    ];
    for (name, request, expected) in cases {
        let body = chat_to_messages(&req(request), "claude-sonnet-4-5")
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_subset(name, &body, &expected);
    }
}

#[test]
fn requests_anthropic_cannot_serve_are_rejected_naming_the_field() {
    let cases: Vec<(&str, Value, &str)> = vec![
        (
            "more_than_one_choice_is_rejected",
            json!({"messages": [user("hi")], "n": 2}),
            "n: Anthropic returns a single choice",
        ),
        (
            "tool_call_arguments_that_are_not_json_are_rejected",
            json!({"messages": [user("hi"), {"role": "assistant", "tool_calls": [
                {"id": "t", "type": "function", "function": {"name": "f", "arguments": "{oops"}}]}]}),
            "messages[1]: tool_calls[0]: function.arguments is not valid JSON",
        ),
        (
            "tool_call_arguments_that_are_not_an_object_are_rejected",
            json!({"messages": [{"role": "assistant", "tool_calls": [
                {"id": "t", "type": "function", "function": {"name": "f", "arguments": "[1]"}}]}]}),
            "messages[0]: tool_calls[0]: function.arguments must encode a JSON object",
        ),
        (
            "tool_message_without_tool_call_id_is_rejected",
            json!({"messages": [user("hi"), {"role": "tool", "content": "x"}]}),
            "messages[1]: tool message needs a string tool_call_id",
        ),
        (
            "unknown_role_is_rejected",
            json!({"messages": [{"role": "function", "name": "f", "content": "x"}]}),
            "messages[0]: role \"function\" is not supported",
        ),
        (
            "audio_parts_are_rejected",
            json!({"messages": [{"role": "user", "content": [
                {"type": "input_audio", "input_audio": {"data": "", "format": "wav"}}]}]}),
            "messages[0]: content[0]: part type \"input_audio\" is not supported",
        ),
        (
            "image_urls_other_than_http_or_data_are_rejected",
            json!({"messages": [{"role": "user", "content": [
                {"type": "image_url", "image_url": {"url": "ftp://x/y.png"}}]}]}),
            "messages[0]: content[0]: image_url.url must be an http(s) or base64 data URL",
        ),
        (
            "system_images_are_rejected",
            json!({"messages": [{"role": "system", "content": [
                {"type": "image_url", "image_url": "https://x/y.png"}]}, user("hi")]}),
            "messages[0]: system content may only hold text",
        ),
        (
            "a_conversation_of_only_system_messages_is_rejected",
            json!({"messages": [{"role": "system", "content": "x"}]}),
            "messages: needs at least one user or assistant message",
        ),
        (
            "non_function_tools_are_rejected",
            json!({"messages": [user("hi")], "tools": [{"type": "web_search"}]}),
            "tools[0]: only tools of type \"function\"",
        ),
        (
            "unknown_tool_choice_is_rejected",
            json!({"messages": [user("hi")], "tools": [{"type": "function", "function": {"name": "f"}}],
                   "tool_choice": "sometimes"}),
            "tool_choice: must be",
        ),
        (
            "zero_max_tokens_is_rejected",
            json!({"messages": [user("hi")], "max_tokens": 0}),
            "max_tokens: must be a positive integer",
        ),
        (
            "numeric_stop_is_rejected",
            json!({"messages": [user("hi")], "stop": 5}),
            "stop: must be a string or an array of strings",
        ),
    ];
    for (name, request, expected) in cases {
        match chat_to_messages(&req(request), "m") {
            Ok(body) => panic!("{name}: expected an error, got {body}"),
            Err(e) => assert!(e.to_string().starts_with(expected), "{name}: got {e}"),
        }
    }
}

fn anthropic_message(content: Value, stop_reason: &str, usage: Value) -> Value {
    json!({"id": "msg_01", "type": "message", "role": "assistant", "model": "claude-sonnet-4-5",
           "content": content, "stop_reason": stop_reason, "stop_sequence": null, "usage": usage})
}

#[test]
fn responses_map_to_chat_completions() {
    let usage = json!({"input_tokens": 10, "output_tokens": 5});
    let cases: Vec<(&str, Value, Value)> = vec![
        (
            "text_blocks_join_into_content",
            anthropic_message(
                json!([{"type": "text", "text": "Hello, "}, {"type": "text", "text": "world."}]),
                "end_turn",
                usage.clone(),
            ),
            json!({"message": {"role": "assistant", "content": "Hello, world."},
                   "finish_reason": "stop", "index": 0, "logprobs": null}),
        ),
        (
            "tool_use_blocks_become_tool_calls_with_json_arguments",
            anthropic_message(
                json!([
                    {"type": "thinking", "thinking": "hmm", "signature": "s"},
                    {"type": "tool_use", "id": "toolu_1", "name": "get_weather", "input": {"city": "Paris"}},
                ]),
                "tool_use",
                usage.clone(),
            ),
            json!({"message": {"role": "assistant", "content": null, "tool_calls": [
                {"id": "toolu_1", "type": "function",
                 "function": {"name": "get_weather", "arguments": "{\"city\":\"Paris\"}"}}]},
                "finish_reason": "tool_calls"}),
        ),
    ];
    for (name, resp, expected_choice) in cases {
        let (body, _) = messages_to_chat(&resp, "gpt-label", 1_700_000_000).unwrap();
        assert_eq!(body["id"], "chatcmpl-msg_01", "{name}");
        assert_eq!(body["object"], "chat.completion", "{name}");
        assert_eq!(body["created"], 1_700_000_000, "{name}");
        assert_eq!(body["model"], "gpt-label", "{name}");
        assert_subset(name, &body["choices"][0], &expected_choice);
    }
}

#[test]
fn stop_reasons_map_to_finish_reasons() {
    let cases = [
        ("end_turn_is_stop", "end_turn", "stop"),
        ("stop_sequence_is_stop", "stop_sequence", "stop"),
        ("max_tokens_is_length", "max_tokens", "length"),
        ("tool_use_is_tool_calls", "tool_use", "tool_calls"),
        ("refusal_is_content_filter", "refusal", "content_filter"),
    ];
    for (name, stop_reason, finish) in cases {
        let resp = anthropic_message(
            json!([{"type": "text", "text": "x"}]),
            stop_reason,
            json!({}),
        );
        let (body, _) = messages_to_chat(&resp, "m", 0).unwrap();
        assert_eq!(body["choices"][0]["finish_reason"], finish, "{name}");

        let mut stream = StreamTranslator::new("m", 0, false);
        stream
            .on_event(
                None,
                r#"{"type":"message_start","message":{"id":"msg_1","usage":{}}}"#,
            )
            .unwrap();
        let data = json!({"type": "message_delta", "delta": {"stop_reason": stop_reason}, "usage": {"output_tokens": 1}});
        let chunks = stream
            .on_event(Some("message_delta"), &data.to_string())
            .unwrap();
        assert_eq!(chunks.len(), 1, "{name}");
        assert_eq!(
            chunks[0]["choices"][0]["finish_reason"], finish,
            "{name} (stream)"
        );
        assert_eq!(
            chunks[0]["choices"][0]["delta"],
            json!({}),
            "{name} (stream)"
        );
    }
}

#[test]
fn cache_tokens_count_as_prompt_tokens_and_reads_as_cached() {
    let resp = anthropic_message(
        json!([{"type": "text", "text": "x"}]),
        "end_turn",
        json!({"input_tokens": 12, "cache_creation_input_tokens": 100, "cache_read_input_tokens": 2000,
               "output_tokens": 40}),
    );
    let (body, usage) = messages_to_chat(&resp, "m", 0).unwrap();
    let want = Usage {
        prompt_tokens: 2112,
        completion_tokens: 40,
        cached_tokens: 2000,
        estimated: false,
    };
    assert_eq!(usage, want);
    assert_eq!(
        body["usage"],
        json!({"prompt_tokens": 2112, "completion_tokens": 40, "total_tokens": 2152,
               "prompt_tokens_details": {"cached_tokens": 2000}})
    );
    assert_eq!(
        Usage::from_openai(&body["usage"]),
        Some(Usage {
            estimated: false,
            ..want
        })
    );
}

#[test]
fn malformed_responses_are_upstream_errors() {
    let cases = [
        (
            "a_response_without_content_is_rejected",
            json!({"id": "msg_1", "type": "message"}),
        ),
        ("a_response_without_id_is_rejected", json!({"content": []})),
        (
            "a_tool_use_without_name_is_rejected",
            json!({"id": "m", "content": [{"type": "tool_use", "id": "t"}]}),
        ),
    ];
    for (name, resp) in cases {
        let err = messages_to_chat(&resp, "m", 0).unwrap_err();
        assert!(
            matches!(err, TranslateError::BadUpstream(_)),
            "{name}: {err:?}"
        );
    }
}

#[test]
fn anthropic_error_types_map_to_openai_error_types() {
    let cases = [
        (
            "invalid_request_stays_invalid_request",
            "invalid_request_error",
            "invalid_request_error",
        ),
        (
            "request_too_large_is_invalid_request",
            "request_too_large",
            "invalid_request_error",
        ),
        (
            "authentication_error_keeps_its_name",
            "authentication_error",
            "authentication_error",
        ),
        (
            "permission_error_keeps_its_name",
            "permission_error",
            "permission_error",
        ),
        (
            "not_found_error_keeps_its_name",
            "not_found_error",
            "not_found_error",
        ),
        (
            "rate_limit_error_keeps_its_name",
            "rate_limit_error",
            "rate_limit_error",
        ),
        (
            "overloaded_is_server_error",
            "overloaded_error",
            "server_error",
        ),
        ("api_error_is_server_error", "api_error", "server_error"),
    ];
    for (name, anthropic, openai) in cases {
        let body = json!({"type": "error", "error": {"type": anthropic, "message": "boom"}});
        assert_eq!(
            error_message(&body),
            Some((openai.to_owned(), "boom".to_owned())),
            "{name}"
        );
    }
    assert_eq!(error_message(&json!({"detail": "not anthropic"})), None);
    assert_eq!(
        error_message(&json!({"error": {"type": "api_error"}})),
        None
    );
}

/// A recorded-shape Anthropic stream: text, then a tool_use whose JSON arrives in pieces.
fn transcript() -> Vec<(&'static str, String)> {
    let events = [
        (
            "message_start",
            json!({"type": "message_start", "message": {
            "id": "msg_abc", "type": "message", "role": "assistant", "content": [], "model": "claude-sonnet-4-5",
            "stop_reason": null, "stop_sequence": null,
            "usage": {"input_tokens": 25, "cache_read_input_tokens": 100, "cache_creation_input_tokens": 0,
                      "output_tokens": 1}}}),
        ),
        (
            "content_block_start",
            json!({"type": "content_block_start", "index": 0,
            "content_block": {"type": "text", "text": ""}}),
        ),
        ("ping", json!({"type": "ping"})),
        (
            "content_block_delta",
            json!({"type": "content_block_delta", "index": 0,
            "delta": {"type": "text_delta", "text": "Checking "}}),
        ),
        (
            "content_block_delta",
            json!({"type": "content_block_delta", "index": 0,
            "delta": {"type": "text_delta", "text": "the weather."}}),
        ),
        (
            "content_block_stop",
            json!({"type": "content_block_stop", "index": 0}),
        ),
        (
            "content_block_start",
            json!({"type": "content_block_start", "index": 1,
            "content_block": {"type": "tool_use", "id": "toolu_9", "name": "get_weather", "input": {}}}),
        ),
        (
            "content_block_delta",
            json!({"type": "content_block_delta", "index": 1,
            "delta": {"type": "input_json_delta", "partial_json": ""}}),
        ),
        (
            "content_block_delta",
            json!({"type": "content_block_delta", "index": 1,
            "delta": {"type": "input_json_delta", "partial_json": "{\"city\": \"Pa"}}),
        ),
        (
            "content_block_delta",
            json!({"type": "content_block_delta", "index": 1,
            "delta": {"type": "input_json_delta", "partial_json": "ris\", \"units\": [\"c\""}}),
        ),
        (
            "content_block_delta",
            json!({"type": "content_block_delta", "index": 1,
            "delta": {"type": "input_json_delta", "partial_json": ", \"k\"]}"}}),
        ),
        (
            "content_block_stop",
            json!({"type": "content_block_stop", "index": 1}),
        ),
        (
            "message_delta",
            json!({"type": "message_delta",
            "delta": {"stop_reason": "tool_use", "stop_sequence": null}, "usage": {"output_tokens": 57}}),
        ),
        ("message_stop", json!({"type": "message_stop"})),
    ];
    events
        .into_iter()
        .map(|(name, data)| (name, data.to_string()))
        .collect()
}

#[test]
fn a_full_stream_with_text_and_a_tool_call_translates_to_openai_chunks() {
    let mut stream = StreamTranslator::new("gpt-label", 1_700_000_000, true);
    let mut chunks = Vec::new();
    for (event, data) in transcript() {
        assert!(!stream.finished(), "finished before message_stop");
        chunks.extend(stream.on_event(Some(event), &data).unwrap());
    }
    assert!(stream.finished());

    for chunk in &chunks {
        assert_eq!(chunk["id"], "chatcmpl-msg_abc");
        assert_eq!(chunk["object"], "chat.completion.chunk");
        assert_eq!(chunk["created"], 1_700_000_000);
        assert_eq!(chunk["model"], "gpt-label");
    }
    let (last, body) = chunks.split_last().unwrap();
    for chunk in body {
        assert_eq!(chunk["usage"], Value::Null);
        assert_eq!(chunk["choices"][0]["index"], 0);
        assert_eq!(chunk["choices"][0]["logprobs"], Value::Null);
    }
    let deltas: Vec<&Value> = body.iter().map(|c| &c["choices"][0]["delta"]).collect();
    assert_eq!(deltas[0], &json!({"role": "assistant", "content": ""}));

    let text: String = deltas
        .iter()
        .filter_map(|d| d["content"].as_str())
        .collect();
    assert_eq!(text, "Checking the weather.");

    let calls: Vec<&Value> = deltas
        .iter()
        .filter_map(|d| d.get("tool_calls"))
        .map(|t| &t[0])
        .collect();
    assert_eq!(
        calls[0],
        &json!({"index": 0, "id": "toolu_9", "type": "function",
                                 "function": {"name": "get_weather", "arguments": ""}})
    );
    assert_eq!(
        calls.len(),
        4,
        "one start and three non-empty argument pieces"
    );
    assert!(calls.iter().all(|c| c["index"] == 0));
    let arguments: String = calls
        .iter()
        .filter_map(|c| c["function"]["arguments"].as_str())
        .collect();
    let parsed: Value = serde_json::from_str(&arguments).unwrap();
    assert_eq!(parsed, json!({"city": "Paris", "units": ["c", "k"]}));

    let finishes: Vec<&Value> = body
        .iter()
        .map(|c| &c["choices"][0]["finish_reason"])
        .collect();
    assert!(finishes[..finishes.len() - 1].iter().all(|f| f.is_null()));
    assert_eq!(finishes.last().unwrap(), &&json!("tool_calls"));

    assert_eq!(last["choices"], json!([]));
    assert_eq!(
        last["usage"],
        json!({"prompt_tokens": 125, "completion_tokens": 57, "total_tokens": 182,
               "prompt_tokens_details": {"cached_tokens": 100}})
    );
    let want = Usage {
        prompt_tokens: 125,
        completion_tokens: 57,
        cached_tokens: 100,
        estimated: false,
    };
    assert_eq!(stream.usage(), want);
}

#[test]
fn without_include_usage_no_usage_chunk_or_field_is_sent() {
    let mut stream = StreamTranslator::new("m", 0, false);
    let mut chunks = Vec::new();
    for (event, data) in transcript() {
        chunks.extend(stream.on_event(Some(event), &data).unwrap());
    }
    assert!(chunks
        .iter()
        .all(|c| c.get("usage").is_none() && c["choices"].as_array().unwrap().len() == 1));
    assert_eq!(
        stream.usage().completion_tokens,
        57,
        "usage is still tracked for billing"
    );
}

#[test]
fn second_tool_block_gets_the_next_tool_call_index() {
    let mut stream = StreamTranslator::new("m", 0, false);
    let start = r#"{"type":"message_start","message":{"id":"msg_1","usage":{"input_tokens":3}}}"#;
    stream.on_event(None, start).unwrap();
    for (block, id) in [(0, "t_a"), (1, "t_b")] {
        let data = json!({"type": "content_block_start", "index": block,
                          "content_block": {"type": "tool_use", "id": id, "name": "f", "input": {}}});
        let chunks = stream.on_event(None, &data.to_string()).unwrap();
        assert_eq!(
            chunks[0]["choices"][0]["delta"]["tool_calls"][0]["index"],
            block
        );
    }
    let data = json!({"type": "content_block_delta", "index": 1,
                      "delta": {"type": "input_json_delta", "partial_json": "{}"}});
    let chunks = stream.on_event(None, &data.to_string()).unwrap();
    assert_eq!(
        chunks[0]["choices"][0]["delta"]["tool_calls"][0]["index"],
        1
    );
}

#[test]
fn stream_events_that_carry_nothing_yield_no_chunks() {
    let mut stream = StreamTranslator::new("m", 0, true);
    let start = r#"{"type":"message_start","message":{"id":"msg_1","usage":{"input_tokens":3}}}"#;
    assert_eq!(
        stream.on_event(Some("message_start"), start).unwrap().len(),
        1
    );
    let cases = [
        ("ping_is_ignored", Some("ping"), r#"{"type": "ping"}"#),
        ("empty_data_is_ignored", None, ""),
        (
            "thinking_blocks_are_ignored",
            None,
            r#"{"type":"content_block_start","index":0,"content_block":{"type":"thinking","thinking":""}}"#,
        ),
        (
            "thinking_deltas_are_ignored",
            None,
            r#"{"type":"content_block_delta","index":0,"delta":{"type":"thinking_delta","thinking":"hm"}}"#,
        ),
        (
            "block_stop_is_ignored",
            Some("content_block_stop"),
            r#"{"type":"content_block_stop","index":0}"#,
        ),
        (
            "unknown_events_are_ignored",
            Some("future_event"),
            r#"{"type":"future_event"}"#,
        ),
    ];
    for (name, event, data) in cases {
        assert_eq!(
            stream.on_event(event, data).unwrap(),
            Vec::<Value>::new(),
            "{name}"
        );
    }
    assert_eq!(
        stream
            .on_event(None, r#"{"type":"message_stop"}"#)
            .unwrap()
            .len(),
        1
    );
    let late =
        r#"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"x"}}"#;
    assert!(
        stream.on_event(None, late).unwrap().is_empty(),
        "events after message_stop are dropped"
    );
}

#[test]
fn broken_streams_are_errors() {
    let started = || {
        let mut s = StreamTranslator::new("m", 0, false);
        s.on_event(None, r#"{"type":"message_start","message":{"id":"msg_1"}}"#)
            .unwrap();
        s
    };
    let cases: Vec<(&str, StreamTranslator, Option<&str>, &str, &str)> = vec![
        (
            "an_error_event_is_an_upstream_error_with_its_message",
            started(),
            Some("error"),
            r#"{"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}"#,
            "upstream error: Overloaded",
        ),
        (
            "content_before_message_start_is_rejected",
            StreamTranslator::new("m", 0, false),
            None,
            r#"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"x"}}"#,
            "upstream sent content_block_delta before message_start",
        ),
        (
            "json_delta_for_an_unknown_block_is_rejected",
            started(),
            None,
            r#"{"type":"content_block_delta","index":4,"delta":{"type":"input_json_delta","partial_json":"{"}}"#,
            "upstream sent an input_json_delta outside a tool_use block",
        ),
        (
            "non_json_data_is_rejected",
            started(),
            Some("message_delta"),
            "{not json",
            "upstream sent a stream event that is not JSON",
        ),
    ];
    for (name, mut stream, event, data, expected) in cases {
        let err = stream.on_event(event, data).unwrap_err();
        assert!(err.to_string().starts_with(expected), "{name}: got {err}");
    }
}
