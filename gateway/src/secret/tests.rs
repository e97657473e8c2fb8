use super::*;

#[test]
fn secret_debug_never_prints_the_value() {
    let s = Secret::new("sk-very-secret");
    assert_eq!(format!("{s:?}"), "***");
    assert!(s.matches("sk-very-secret"));
    assert!(!s.matches("sk-very-secreT"));
}

#[test]
fn random_tokens_differ_and_keep_their_prefix() {
    let a = random_token("pk-");
    let b = random_token("pk-");
    assert!(a.starts_with("pk-") && a.len() == 46);
    assert_ne!(a, b);
    assert_eq!(sha256_hex("abc").len(), 64);
}
