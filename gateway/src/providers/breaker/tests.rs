use super::*;

#[test]
fn opens_after_threshold_and_half_opens_after_cooldown() {
    let b = Breaker::new(3, Duration::from_secs(10));
    let t0 = Instant::now();
    assert!(!b.failure(t0));
    assert!(!b.failure(t0));
    assert!(b.available(t0));
    assert!(b.failure(t0));
    assert!(!b.available(t0 + Duration::from_secs(9)));
    assert!(b.available(t0 + Duration::from_secs(10)));
    // one failure in half-open state reopens at once
    assert!(b.failure(t0 + Duration::from_secs(11)));
    assert!(!b.available(t0 + Duration::from_secs(12)));
    b.success();
    assert!(b.available(t0 + Duration::from_secs(12)));
}
