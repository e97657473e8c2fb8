use super::*;

#[test]
fn every_client_error_names_its_code_and_param() {
    let cases: Vec<(ApiError, u16, &str, Option<&str>)> = vec![
        (ApiError::InvalidJson("x".into()), 400, "invalid_json", None),
        (
            ApiError::MissingField("model"),
            400,
            "missing_field",
            Some("model"),
        ),
        (
            ApiError::invalid_type("messages", "an array"),
            400,
            "invalid_type",
            Some("messages"),
        ),
        (
            ApiError::TooLarge { limit: 10 },
            413,
            "request_too_large",
            None,
        ),
        (
            ApiError::ModelNotFound("m".into()),
            404,
            "model_not_found",
            Some("model"),
        ),
        (ApiError::InvalidApiKey, 401, "invalid_api_key", None),
        (ApiError::TokenExpired, 401, "token_expired", None),
        (
            ApiError::UpstreamTimeout("t".into()),
            504,
            "upstream_timeout",
            None,
        ),
        (
            ApiError::StoreUnavailable("s".into()),
            503,
            "store_unavailable",
            None,
        ),
    ];
    for (err, status, code, param) in cases {
        let body = err.body();
        assert_eq!(err.status().as_u16(), status, "{err}");
        assert_eq!(body["error"]["code"], code);
        assert_eq!(body["error"]["param"].as_str(), param);
        assert!(!body["error"]["message"].as_str().unwrap_or("").is_empty());
    }
}
