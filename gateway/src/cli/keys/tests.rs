use super::*;

#[test]
fn expiry_takes_rfc3339_or_a_duration() {
    let now = Utc::now();
    assert_eq!(parse_expiry("30d", now).unwrap(), now + Duration::days(30));
    assert_eq!(
        parse_expiry("90m", now).unwrap(),
        now + Duration::minutes(90)
    );
    assert!(parse_expiry("2030-01-01T00:00:00Z", now).is_ok());
    assert!(parse_expiry("soon", now).is_err());
    assert!(parse_expiry("3w", now).is_err());
}
