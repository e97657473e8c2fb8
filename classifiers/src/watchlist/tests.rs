use super::*;

#[test]
fn design_example_loads_and_unknown_keys_are_ignored() {
    let json = br#"{"issuers": [{"name": "Halvorsen Biotech", "ticker": "HLVB", "aliases": ["Halvorsen"], "list": "restricted", "sector": "bio"}],
        "deal_code_names": [{"code_name": "Project Falcon", "target": "Halvorsen Biotech", "acquirer": "Tessaly Pharmaceuticals"}],
        "exported_at": "2025-01-01"}"#;
    let w = Watchlist::from_json(json).unwrap();
    assert_eq!(w.issuers[0].ticker.as_deref(), Some("HLVB"));
    assert_eq!(w.issuers[0].list, ListKind::Restricted);
    assert_eq!(
        w.deal_code_names[0].acquirer.as_deref(),
        Some("Tessaly Pharmaceuticals")
    );
    assert!(w.phrases.mnpi.iter().any(|p| p == "material non-public"));
}

#[test]
fn bad_values_name_their_field() {
    let cases: &[(&[u8], &str)] = &[
        (br#"{"issuers": [{"ticker": "X"}]}"#, "issuers[0].name"),
        (
            br#"{"issuers": [{"name": "A"}, {"name": "B", "ticker": "lower"}]}"#,
            "issuers[1].ticker",
        ),
        (
            br#"{"issuers": [{"name": "A", "list": "blue"}]}"#,
            "issuers[0].list",
        ),
        (
            br#"{"issuers": [{"name": "A", "aliases": ["ok", 3]}]}"#,
            "issuers[0].aliases[1]",
        ),
        (
            br#"{"deal_code_names": [{"target": "A"}]}"#,
            "deal_code_names[0].code_name",
        ),
        (br#"{"issuers": {}}"#, "issuers"),
        (
            br#"{"phrases": {"mnpi": ["inside info", "---"]}}"#,
            "phrases.mnpi[1]",
        ),
        (br#"{"issuers": [{"name": "(?)"}]}"#, "issuers[0].name"),
    ];
    for (json, field) in cases {
        let err = Watchlist::from_json(json).unwrap_err().to_string();
        assert!(err.starts_with(field), "{err} should name {field}");
    }
    assert!(matches!(
        Watchlist::from_json(b"{"),
        Err(WatchlistError::Json(_))
    ));
}

#[test]
fn phrase_additions_extend_the_defaults() {
    let w = Watchlist::from_json(br#"{"phrases": {"mnpi": ["red folder"]}}"#).unwrap();
    assert!(w.phrases.mnpi.iter().any(|p| p == "red folder"));
    assert!(w.phrases.mnpi.len() > 1);
}
