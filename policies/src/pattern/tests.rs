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

mod analysis {
    use proptest::prelude::*;

    use crate::pattern::{pattern_covers, pattern_matches, patterns_overlap};

    fn universe() -> Vec<String> {
        let segs = ["a", "b", "ab", "ba"];
        let mut out: Vec<String> = segs.iter().map(|s| (*s).to_owned()).collect();
        let mut layer = out.clone();
        for _ in 1..4 {
            layer = layer
                .iter()
                .flat_map(|p| segs.iter().map(move |s| format!("{p}.{s}")))
                .collect();
            out.extend(layer.iter().cloned());
        }
        out
    }

    fn pattern() -> impl Strategy<Value = String> {
        prop_oneof![
            1 => Just("*".to_owned()),
            8 => (prop::collection::vec(prop::sample::select(&["a", "b", "ab", "*", "a*", "*b", "*a*"][..]), 1..=3), any::<bool>())
                .prop_map(|(s, tail)| if tail { format!("{}.*", s.join(".")) } else { s.join(".") }),
        ]
    }

    #[test]
    fn coverage_and_overlap_examples() {
        assert!(pattern_covers("crm.*", "crm.contacts.read"));
        assert!(pattern_covers("crm.*", "crm.contacts.*"));
        assert!(pattern_covers("*", "crm.*"));
        assert!(pattern_covers("*.read", "crm.read"));
        assert!(pattern_covers("c*.read", "crm*.read"));
        assert!(!pattern_covers("crm.*", "crm"));
        assert!(!pattern_covers("crm.contacts.*", "crm.*"));
        assert!(!pattern_covers("crm.*.read", "crm.*"));
        assert!(patterns_overlap("crm.*.read", "crm.contacts.*"));
        assert!(!patterns_overlap("crm.*", "payments.*"));
        assert!(!patterns_overlap("a*x", "b*"));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(1000))]

        /// `covers` never claims coverage that a concrete action disproves.
        #[test]
        fn covers_is_sound(p in pattern(), q in pattern()) {
            if pattern_covers(&p, &q) {
                for a in universe() {
                    prop_assert!(!pattern_matches(&q, &a) || pattern_matches(&p, &a), "{} covers {} but not {}", p, q, a);
                }
            }
        }

        /// `overlap` finds every overlap a concrete action shows.
        #[test]
        fn overlap_is_complete(p in pattern(), q in pattern()) {
            if universe().iter().any(|a| pattern_matches(&p, a) && pattern_matches(&q, a)) {
                prop_assert!(patterns_overlap(&p, &q), "{} and {} overlap", p, q);
            }
        }
    }
}

/// The matcher agrees with the same pattern translated to an anchored regex.
mod oracle {
    use proptest::prelude::*;

    use crate::pattern::pattern_matches;

    fn to_regex(pattern: &str) -> regex::Regex {
        if pattern == "*" {
            return regex::Regex::new("^.*$").unwrap();
        }
        let segs: Vec<&str> = pattern.split('.').collect();
        let mut re = String::from("^");
        for (i, seg) in segs.iter().enumerate() {
            if i > 0 {
                re.push_str("\\.");
            }
            if i == segs.len() - 1 && *seg == "*" && segs.len() > 1 {
                re.push_str("[^.]*(\\.[^.]*)*");
            } else {
                let parts: Vec<String> = seg.split('*').map(regex::escape).collect();
                re.push_str(&parts.join("[^.]*"));
            }
        }
        re.push('$');
        regex::Regex::new(&re).unwrap()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(3000))]

        #[test]
        fn matcher_equals_regex_oracle(
            p in "[ab*]{1,4}(\\.[ab*]{1,4}){0,2}",
            v in "[ab]{0,4}(\\.[ab]{0,4}){0,3}",
        ) {
            prop_assert_eq!(pattern_matches(&p, &v), to_regex(&p).is_match(&v), "{} vs {}", p, v);
        }
    }
}

mod matcher {
    use proptest::prelude::*;

    use crate::pattern::{first_segment, pattern_matches, Matcher};

    #[test]
    fn matcher_shapes() {
        assert_eq!(Matcher::new("*"), Matcher::Any);
        assert_eq!(
            Matcher::new("crm.contacts.*"),
            Matcher::Prefix("crm.contacts.".into())
        );
        assert!(matches!(
            Matcher::new("crm*.*"),
            Matcher::Segments { tail: true, .. }
        ));
        assert!(matches!(
            Matcher::new("*.audit"),
            Matcher::Segments { tail: false, .. }
        ));
        assert_eq!(first_segment("crm.contacts.read"), "crm");
        assert_eq!(first_segment("crm"), "crm");
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(3000))]

        #[test]
        fn matcher_equals_pattern_matches(
            p in "[ab*]{1,3}(\\.[ab*]{1,3}){0,2}",
            v in "[ab]{0,3}(\\.[ab]{0,3}){0,3}",
        ) {
            prop_assert_eq!(Matcher::new(&p).matches(&v), pattern_matches(&p, &v), "{} vs {}", p, v);
        }
    }
}
