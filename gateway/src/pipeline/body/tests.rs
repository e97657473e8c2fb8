use super::*;

fn chat(json: &str) -> Result<ChatView, ApiError> {
    check_chat(&parse_object(json.as_bytes())?)
}

#[test]
fn bad_bodies_are_named() {
    let cases: &[(&[u8], &str, Option<&str>)] = &[
        (b"{not json", "invalid_json", None),
        (b"", "invalid_json", None),
        (b"[1,2]", "invalid_type", Some("body")),
        (
            b"{\"messages\":[{\"role\":\"user\"}]}",
            "missing_field",
            Some("model"),
        ),
        (b"{\"model\":\"m\"}", "missing_field", Some("messages")),
        (
            b"{\"model\":\"m\",\"messages\":\"hi\"}",
            "invalid_type",
            Some("messages"),
        ),
        (
            b"{\"model\":\"m\",\"messages\":[{\"role\":\"user\"}],\"stream\":\"yes\"}",
            "invalid_type",
            Some("stream"),
        ),
        (
            b"{\"model\":7,\"messages\":[]}",
            "invalid_type",
            Some("model"),
        ),
        (
            b"{\"model\":\"m\",\"messages\":[{\"content\":\"x\"}]}",
            "invalid_value",
            Some("messages[0].role"),
        ),
        (
            b"{\"model\":\"m\",\"messages\":[{\"role\":\"user\"}],\"n\":-1}",
            "invalid_type",
            Some("n"),
        ),
        (b"{\"model\":\"\xff\"}", "invalid_encoding", None),
    ];
    for (body, code, param) in cases {
        let err = parse_object(body).and_then(|m| check_chat(&m)).unwrap_err();
        assert_eq!(err.code(), *code, "{}", String::from_utf8_lossy(body));
        assert_eq!(
            err.body()["error"]["param"].as_str(),
            *param,
            "{}",
            String::from_utf8_lossy(body)
        );
    }
}

#[test]
fn a_streaming_request_with_usage_is_understood() {
    let v = chat(r#"{"model":"m","messages":[{"role":"user","content":"hi"}],"stream":true,"stream_options":{"include_usage":true},"x_custom":1}"#).unwrap();
    assert_eq!(
        v,
        ChatView {
            model: "m".into(),
            stream: true,
            client_wants_usage: true
        }
    );
}

#[test]
fn embeddings_need_model_and_input() {
    let m = parse_object(br#"{"model":"e","input":["a","b"]}"#).unwrap();
    assert_eq!(check_embeddings(&m).unwrap(), "e");
    let m = parse_object(br#"{"model":"e","input":5}"#).unwrap();
    assert_eq!(check_embeddings(&m).unwrap_err().code(), "invalid_type");
}
