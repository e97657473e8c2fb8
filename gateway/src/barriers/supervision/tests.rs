use chrono::{Duration, TimeZone, Utc};

use super::*;

fn v(
    id: &str,
    user: &str,
    action: BarrierAction,
    severity: BarrierSeverity,
    day: u32,
) -> Violation {
    Violation {
        id: id.into(),
        at: Utc.with_ymd_and_hms(2026, 1, day, 12, 0, 0).unwrap(),
        barrier_id: if day % 2 == 0 { "b-even" } else { "b-odd" }.into(),
        barrier_name: "wall".into(),
        user: user.into(),
        groups: vec!["Trading-Desk".into()],
        labels: vec!["mnpi".into()],
        action,
        severity,
        direction: Direction::Prompt,
        excerpt: "x".into(),
        route: "/v1/chat/completions".into(),
        request_id: None,
        reviewed: false,
        reviewed_by: None,
        reviewed_at: None,
        review_note: None,
        audit_seq: Some(1),
        recipient: None,
    }
}

#[test]
fn the_excerpt_keeps_the_first_200_characters_not_bytes() {
    let text = "é".repeat(300);
    assert_eq!(excerpt(&text).chars().count(), EXCERPT_CHARS);
    assert_eq!(excerpt("short"), "short");
}

#[test]
fn nobody_reviews_their_own_violation_and_a_review_is_final() {
    let mut x = v("1", "bob", BarrierAction::Block, BarrierSeverity::High, 1);
    assert_eq!(
        review(&mut x, "BOB", None, Utc::now()),
        Err(ReviewRefusal::SelfReview)
    );
    assert_eq!(
        review(&mut x, " ", None, Utc::now()),
        Err(ReviewRefusal::NoReviewer)
    );
    assert!(!x.reviewed);
    review(&mut x, "carol", Some("spoke to bob".into()), Utc::now()).unwrap();
    assert!(x.reviewed);
    assert_eq!(x.reviewed_by.as_deref(), Some("carol"));
    assert_eq!(
        review(&mut x, "dave", None, Utc::now()),
        Err(ReviewRefusal::AlreadyReviewed)
    );
}

#[test]
fn filters_combine_and_the_newest_come_first() {
    let all = vec![
        v("1", "bob", BarrierAction::Block, BarrierSeverity::High, 1),
        v("2", "bob", BarrierAction::Log, BarrierSeverity::Low, 2),
        v(
            "3",
            "eve",
            BarrierAction::Block,
            BarrierSeverity::Critical,
            3,
        ),
    ];
    let f = ViolationFilter {
        user: Some("bob".into()),
        ..Default::default()
    };
    let ids: Vec<String> = select(all.clone(), &f).into_iter().map(|v| v.id).collect();
    assert_eq!(ids, ["2", "1"]);
    let f = ViolationFilter {
        action: Some(BarrierAction::Block),
        from: Some(Utc.with_ymd_and_hms(2026, 1, 2, 0, 0, 0).unwrap()),
        ..Default::default()
    };
    let ids: Vec<String> = select(all.clone(), &f).into_iter().map(|v| v.id).collect();
    assert_eq!(ids, ["3"]);
    let f = ViolationFilter {
        barrier: Some("b-odd".into()),
        reviewed: Some(false),
        ..Default::default()
    };
    assert_eq!(select(all, &f).len(), 2);
}

#[test]
fn the_attestation_counts_actions_reviews_severities_and_barriers_in_the_period() {
    let mut reviewed = v("2", "bob", BarrierAction::Log, BarrierSeverity::Low, 2);
    reviewed.reviewed = true;
    let all = vec![
        v("1", "bob", BarrierAction::Block, BarrierSeverity::High, 1),
        reviewed,
        v(
            "3",
            "eve",
            BarrierAction::Alert,
            BarrierSeverity::Critical,
            3,
        ),
        v(
            "4",
            "eve",
            BarrierAction::Block,
            BarrierSeverity::Critical,
            20,
        ),
    ];
    let from = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
    let a = attestation(
        &all,
        Some(from),
        Some(from + Duration::days(10)),
        Utc::now(),
    );
    assert_eq!(a["total_violations"], 3);
    assert_eq!(a["blocked"], 1);
    assert_eq!(a["logged"], 1);
    assert_eq!(a["alerted"], 1);
    assert_eq!(a["reviewed"], 1);
    assert_eq!(a["pending_review"], 2);
    assert_eq!(a["critical"], 1);
    assert_eq!(a["high"], 1);
    assert_eq!(a["by_barrier"].as_array().unwrap().len(), 2);
    assert_eq!(a["controls_functioning"], false);
}
