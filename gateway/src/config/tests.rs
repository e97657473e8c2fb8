use super::*;

fn parse(text: &str) -> Result<Config, ConfigError> {
    Config::parse(text, "parapet.toml", &|k| match k {
        "OPENAI_API_KEY" => Some("sk-test".into()),
        "JWT_SECRET" => Some("0123456789abcdef0123456789abcdef".into()),
        _ => None,
    })
}

#[test]
fn empty_config_gives_documented_defaults() {
    let c = parse("").unwrap();
    assert_eq!(c.server.proxy_listen.port(), 7777);
    assert_eq!(c.server.admin_listen.port(), 7778);
    assert!(matches!(c.store, StoreConfig::Embedded { .. }));
    assert!(Config::no_config().models.iter().any(|m| m.name == "echo"));
}

#[test]
fn unknown_key_is_rejected_with_its_line() {
    let err = parse("[server]\nproxy_listen = \"127.0.0.1:1\"\nbogus = 1\n")
        .unwrap_err()
        .to_string();
    assert!(err.contains("parapet.toml:3"), "{err}");
    assert!(err.contains("bogus"), "{err}");
}

#[test]
fn route_to_unknown_provider_names_the_key_and_line() {
    let text = "[[providers]]\nname = \"openai\"\nkind = \"openai\"\napi_key_env = \"OPENAI_API_KEY\"\n\n[[models]]\nname = \"m\"\nroutes = [{ provider = \"nope\", model = \"x\" }]\n";
    let err = parse(text).unwrap_err().to_string();
    assert!(err.contains("models[0].routes[0].provider"), "{err}");
    assert!(err.contains("parapet.toml:8"), "{err}");
}

#[test]
fn missing_provider_key_env_fails_closed() {
    let text =
        "[[providers]]\nname = \"o\"\nkind = \"openai\"\napi_key_env = \"NOT_SET_ANYWHERE\"\n";
    let err = parse(text).unwrap_err().to_string();
    assert!(
        err.contains("providers[0].api_key_env") && err.contains("NOT_SET_ANYWHERE"),
        "{err}"
    );
}

#[test]
fn jwt_needs_exactly_one_key_source() {
    let err = parse("[auth.jwt]\nissuer = \"x\"\n")
        .unwrap_err()
        .to_string();
    assert!(err.contains("auth.jwt"), "{err}");
    let ok = parse("[auth.jwt]\nhs256_secret_env = \"JWT_SECRET\"\n").unwrap();
    assert!(matches!(ok.jwt.unwrap().keys, JwtKeySource::Hs256(_)));
}

#[test]
fn fallback_must_name_another_model() {
    let text = "[[providers]]\nname = \"e\"\nkind = \"echo\"\n[[models]]\nname = \"a\"\nroutes = [{ provider = \"e\", model = \"x\" }]\nfallbacks = [\"zzz\"]\n";
    let err = parse(text).unwrap_err().to_string();
    assert!(err.contains("models[0].fallbacks[0]"), "{err}");
}

#[test]
fn wrong_type_is_reported_by_toml_with_line() {
    let err = parse("[routing]\nmax_retries = \"three\"\n")
        .unwrap_err()
        .to_string();
    assert!(err.contains("parapet.toml:2"), "{err}");
}

#[test]
fn the_shipped_deploy_config_is_valid() {
    let text = include_str!("../../../deploy/parapet.toml");
    let cfg = Config::parse(text, "deploy/parapet.toml", &|k| match k {
        "OPENAI_API_KEY" | "ANTHROPIC_API_KEY" => Some("set".into()),
        _ => None,
    })
    .unwrap();
    assert!(matches!(cfg.store, StoreConfig::Redis { .. }));
    assert_eq!(cfg.models.len(), 2);
}
