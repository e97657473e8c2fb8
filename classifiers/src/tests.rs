use super::*;

#[test]
fn credentials_are_found_and_bare_prefixes_are_not() {
    let d = SecretDetector::new().unwrap();
    let found = d.find("key: AKIAABCDEFGHIJKLMNOP and ghp_short");
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].label, Label::Secret);
    assert_eq!(
        &"key: AKIAABCDEFGHIJKLMNOP"[found[0].start..found[0].end],
        "AKIAABCDEFGHIJKLMNOP"
    );
    assert_eq!(d.find("-----BEGIN RSA PRIVATE KEY-----\nMIIE").len(), 1);
    assert!(d.find("the AKIA prefix alone").is_empty());
}
