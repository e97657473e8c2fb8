use super::*;

#[test]
fn a_secret_is_generated_once_and_read_back() {
    let dir = tempfile::tempdir().unwrap();
    let (a, created) = load_or_create(dir.path(), "admin-token", || "first".into()).unwrap();
    assert!(created);
    let (b, created) = load_or_create(dir.path(), "admin-token", || "second".into()).unwrap();
    assert_eq!((a.as_str(), b.as_str(), created), ("first", "first", false));
}
