use super::*;

#[test]
fn bearer_is_read_from_authorization_or_api_key() {
    let mut h = HeaderMap::new();
    assert_eq!(bearer(&h), None);
    h.insert("api-key", "pk-abc".parse().unwrap());
    assert_eq!(bearer(&h), Some("pk-abc"));
    h.insert("authorization", "Bearer  tok ".parse().unwrap());
    assert_eq!(bearer(&h), Some("tok"));
    h.insert("authorization", "Basic xyz".parse().unwrap());
    assert_eq!(bearer(&h), None);
}

#[test]
fn model_allowlist_uses_segment_wildcards() {
    let mut c = Caller::admin();
    assert!(c.may_use_model("anything"));
    c.models = vec!["gpt-4o*".into(), "echo".into()];
    assert!(c.may_use_model("echo"));
    assert!(c.may_use_model("gpt-4o-mini"));
    assert!(!c.may_use_model("claude"));
}
