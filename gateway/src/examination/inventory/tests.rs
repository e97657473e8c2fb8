use super::*;

#[test]
fn entry_ids_are_path_safe_and_distinct() {
    assert_eq!(entry_id("openai", "gpt-4o"), "openai.gpt-4o");
    let a = entry_id("together", "meta-llama/Llama-3");
    let b = entry_id("together", "meta-llama_Llama-3");
    assert!(a.starts_with("together.meta-llama_Llama-3-"), "{a}");
    assert_ne!(a, b);
}

#[test]
fn an_update_replaces_what_it_names_and_null_clears() {
    let c = Classification::discovered("openai", "gpt-4o");
    assert_eq!(c.risk_tier, RiskTier::Unclassified);
    let u: InventoryUpdate = serde_json::from_value(serde_json::json!({
        "risk_tier": "Tier1", "data_sensitivity": "MNPI",
        "applicable_frameworks": ["SR117", "EuAiAct", "BaselIV"],
        "validation_due": "2027-01-31", "owner": "mrm@bank"
    }))
    .unwrap();
    let c = c.updated(u);
    assert_eq!(c.risk_tier, RiskTier::Tier1);
    assert_eq!(c.data_sensitivity, Some(DataSensitivity::Mnpi));
    assert_eq!(c.applicable_frameworks.len(), 3);
    assert_eq!(c.validation_status, ValidationStatus::NotStarted);
    let u: InventoryUpdate = serde_json::from_value(serde_json::json!({"owner": null})).unwrap();
    let c = c.updated(u);
    assert_eq!(c.owner, None);
    assert_eq!(c.risk_tier, RiskTier::Tier1, "absent fields stay");
}

#[test]
fn values_outside_the_enums_and_unknown_fields_are_rejected() {
    for bad in [
        serde_json::json!({"risk_tier": "Tier4"}),
        serde_json::json!({"validation_status": "Done"}),
        serde_json::json!({"applicable_frameworks": ["SOX"]}),
        serde_json::json!({"validation_due": "tomorrow"}),
        serde_json::json!({"total_requests": 0}),
    ] {
        assert!(
            serde_json::from_value::<InventoryUpdate>(bad.clone()).is_err(),
            "{bad}"
        );
    }
}
