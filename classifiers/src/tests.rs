use super::*;

#[test]
fn credentials_are_found_and_bare_prefixes_are_not() {
    let d = SecretDetector::new().unwrap();
    let text = "key: AKIAABCDEFGHIJKLMNOP and ghp_short";
    let found = d.find(text);
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].label, Label::Secret);
    assert_eq!(
        &text[found[0].span.start..found[0].span.end],
        "AKIAABCDEFGHIJKLMNOP"
    );
    assert_eq!(d.find("-----BEGIN RSA PRIVATE KEY-----\nMIIE").len(), 1);
    assert!(d.find("the AKIA prefix alone").is_empty());
}

#[test]
fn label_sets_serialize_as_sorted_names() {
    let set: LabelSet = [Label::Pii, Label::Mnpi, Label::Pii].into_iter().collect();
    assert_eq!(serde_json::to_string(&set).unwrap(), r#"["mnpi","pii"]"#);
    assert_eq!(set.len(), 2);
    assert_eq!(
        Label::from_name("merger_acquisition_target"),
        Some(Label::MergerAcquisitionTarget)
    );
}
