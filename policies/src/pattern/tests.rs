use super::pattern_matches;

#[test]
fn patterns_match_per_segment() {
    let cases = [
        ("*", "anything.at.all", true),
        ("crm.*", "crm.contacts.read", true),
        ("crm.*", "crm", false),
        ("crm.*", "crmx.read", false),
        ("payments.*.issue", "payments.refund.issue", true),
        ("payments.*.issue", "payments.refund.void", false),
        ("payments.refund.issue", "payments.refund.issue", true),
        ("gpt-4o*", "gpt-4o-mini", true),
        ("gpt-4o*", "gpt-4", false),
        ("MA-Advisory-*", "MA-Advisory-West", true),
        ("*-desk", "trading-desk", true),
        ("a*b*c", "axxbyyc", true),
        ("a*b*c", "axxbyy", false),
        ("llm.chat.create", "llm.chat", false),
    ];
    for (p, v, want) in cases {
        assert_eq!(pattern_matches(p, v), want, "{p} vs {v}");
    }
}

proptest::proptest! {
    #[test]
    fn a_value_always_matches_itself(v in "[a-z*]{1,6}(\\.[a-z]{1,6}){0,3}") {
        let literal = v.replace('*', "x");
        proptest::prop_assert!(pattern_matches(&literal, &literal));
    }
}
