use chrono::Utc;
use parapet_classifiers::{Label, LabelSet};

use super::*;

fn input(action: BarrierAction) -> BarrierInput {
    BarrierInput {
        id: Some("research-trading".into()),
        name: "Research / Trading".into(),
        description: None,
        side_a_groups: vec!["Research-Analysts".into(), "MA-Advisory-*".into()],
        side_b_groups: vec!["Trading-Desk".into(), "Sales-Trading-*".into()],
        restricted_content_labels: vec!["mnpi".into(), "earnings_data".into()],
        action,
        severity: BarrierSeverity::High,
        bidirectional: false,
        enabled: true,
    }
}

fn groups(g: &[&str]) -> Vec<String> {
    g.iter().map(|s| s.to_string()).collect()
}

#[test]
fn group_patterns_are_case_insensitive_globs() {
    let cases = [
        ("Trading-Desk", "trading-desk", true),
        ("Sales-Trading-*", "Sales-Trading-EMEA", true),
        ("Sales-Trading-*", "Sales-Trading", false),
        ("*-Desk", "Rates-Desk", true),
        ("Trading-Desk", "Trading-Desk-2", false),
        ("*", "anything", true),
        ("MA-*-Advisory", "MA-EMEA-Advisory", true),
        ("MA-*-Advisory", "MA-EMEA-Advisor", false),
    ];
    for (p, g, want) in cases {
        assert_eq!(group_matches(p, g), want, "{p} vs {g}");
    }
}

#[test]
fn a_side_b_member_is_covered_and_a_side_a_member_only_when_bidirectional() {
    let mut b = input(BarrierAction::Block)
        .into_barrier(None, Utc::now())
        .unwrap();
    assert!(b.applies_to(&groups(&["Sales-Trading-NY"])));
    assert!(!b.applies_to(&groups(&["Research-Analysts"])));
    assert!(!b.applies_to(&[]));
    b.bidirectional = true;
    assert!(b.applies_to(&groups(&["Research-Analysts"])));
    b.enabled = false;
    assert!(!b.applies_to(&groups(&["Trading-Desk"])));
}

#[test]
fn unknown_labels_and_empty_sides_are_refused_naming_the_field() {
    let mut i = input(BarrierAction::Log);
    i.restricted_content_labels = vec!["gossip".into()];
    match i.into_barrier(None, Utc::now()) {
        Err(ApiError::InvalidValue { field, .. }) => assert_eq!(field, "restricted_content_labels"),
        other => panic!("{other:?}"),
    }
    let mut i = input(BarrierAction::Log);
    i.side_b_groups = vec![];
    match i.into_barrier(None, Utc::now()) {
        Err(ApiError::InvalidValue { field, .. }) => assert_eq!(field, "side_b_groups"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn replacing_keeps_the_id_and_creation_time() {
    let t0 = Utc::now() - chrono::Duration::days(1);
    let first = input(BarrierAction::Log).into_barrier(None, t0).unwrap();
    let mut next = input(BarrierAction::Block);
    next.id = None;
    let second = next.into_barrier(Some(&first), Utc::now()).unwrap();
    assert_eq!(second.id, first.id);
    assert_eq!(second.created_at, t0);
    assert_eq!(second.action, BarrierAction::Block);
}

#[test]
fn the_strictest_action_of_the_triggered_barriers_wins() {
    let log = std::sync::Arc::new(
        input(BarrierAction::Log)
            .into_barrier(None, Utc::now())
            .unwrap(),
    );
    let mut block_b = input(BarrierAction::Block)
        .into_barrier(None, Utc::now())
        .unwrap();
    block_b.restricted_content_labels = vec!["merger_acquisition_target".into()];
    let block = std::sync::Arc::new(block_b);
    let applicable: Vec<Applicable> = [log, block]
        .into_iter()
        .map(|b| Applicable {
            labels: b.labels(),
            barrier: b,
        })
        .collect();
    let mnpi: LabelSet = [Label::Mnpi, Label::Pii].into_iter().collect();
    let t = triggered(&applicable, mnpi);
    assert_eq!(t.len(), 1);
    assert_eq!(t[0].labels.to_vec(), vec![Label::Mnpi]);
    assert_eq!(strictest(&t), Some(BarrierAction::Log));
    let both: LabelSet = [Label::Mnpi, Label::MergerAcquisitionTarget]
        .into_iter()
        .collect();
    assert_eq!(
        strictest(&triggered(&applicable, both)),
        Some(BarrierAction::Block)
    );
    assert!(triggered(&applicable, LabelSet::default()).is_empty());
}

#[test]
fn actions_parse_as_the_seed_writes_them() {
    let a: BarrierAction = serde_json::from_str("\"Block\"").unwrap();
    assert_eq!(a, BarrierAction::Block);
    let a: BarrierAction = serde_json::from_str("\"alert\"").unwrap();
    assert_eq!(a, BarrierAction::Alert);
}
