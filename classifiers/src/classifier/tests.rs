use super::*;
use crate::{Label, Watchlist};
use proptest::prelude::*;

const WATCHLIST: &str = r#"{
  "issuers": [
    {"name": "Halvorsen Biotech", "ticker": "HLVB", "aliases": ["Halvorsen"], "list": "restricted"},
    {"name": "Norrland Timber Inc.", "ticker": "NRLT", "aliases": [], "list": "watch"},
    {"name": "Target", "ticker": "ALL", "aliases": [], "list": "watch"}
  ],
  "deal_code_names": [{"code_name": "Project Falcon", "target": "Halvorsen Biotech", "acquirer": "Tessaly Pharmaceuticals"}]
}"#;

static CLASSIFIER: std::sync::LazyLock<Classifier> = std::sync::LazyLock::new(|| {
    Classifier::new(&Watchlist::from_json(WATCHLIST.as_bytes()).unwrap()).unwrap()
});

fn classifier() -> &'static Classifier {
    &CLASSIFIER
}

fn labels(c: &Classifier, text: &str) -> Vec<Label> {
    c.classify(text).labels.to_vec()
}

#[test]
fn each_detector_fires_on_its_example() {
    use Label::*;
    let c = classifier();
    let cases: &[(&str, &[Label])] = &[
        (
            "Halvorsen's Q3 revenue will come in 40% above consensus.",
            &[Mnpi, EarningsData],
        ),
        (
            "Tessaly Pharmaceuticals plans a tender offer for HLVB next month",
            &[Mnpi, MergerAcquisitionTarget],
        ),
        (
            "Any update on Project Falcon?",
            &[Mnpi, MergerAcquisitionTarget],
        ),
        ("This is material non-public information.", &[Mnpi]),
        ("Card 4111 1111 1111 1111 exp 12/27", &[CustomerNpi, Pii]),
        (
            "Wire to GB82 WEST 1234 5698 7654 32 today",
            &[CustomerNpi, Pii],
        ),
        ("Her SSN is 536-22-8726.", &[Pii]),
        (
            "routing number 021000021, account 4455667788",
            &[CustomerNpi],
        ),
        (
            "We bought 5,000 more of US0378331005 this morning",
            &[TradingPosition],
        ),
        (
            "Add CUSIP 38259P508 to the 13F filing table",
            &[RegulatoryFiling],
        ),
        ("mail jane.doe@example.com or call (212) 555-0199", &[Pii]),
        ("The patient was diagnosed with type 2 diabetes", &[Phi]),
        (
            "we are long 2 million shares into the print",
            &[TradingPosition],
        ),
        ("The draft 10-K shows a loss", &[RegulatoryFiling]),
        ("token=ghp_abcdefghijklmnopqrstuvwxyz0123", &[Secret]),
        ("Is $ALL still on the list?", &[]),
    ];
    for (text, want) in cases {
        assert_eq!(labels(c, text), *want, "{text}");
    }
}

#[test]
fn look_alikes_do_not_fire() {
    let c = classifier();
    let negatives = [
        "Acme Corp reported Q3 revenue of $2.1bn, beating consensus, in its earnings release today.",
        "Card 4111 1111 1111 1112 was declined.",
        "SSN 666-12-3456 is not a valid number.",
        "IBAN GB82 WEST 1234 5698 7654 33 failed validation",
        "We ALL agreed that the target revenue is ambitious.",
        "Our revenue target for next year is ambitious.",
        "The routing logic handles 123456789 requests.",
        "Call me at 555-1234 later.",
        "Norrland forests are beautiful in summer.",
        "The others went home; UNHALVORSEN is not a name.",
    ];
    for text in negatives {
        assert!(
            c.classify(text).findings.is_empty(),
            "{text}: {:?}",
            c.classify(text).findings
        );
    }
}

#[test]
fn proximity_is_bounded_by_the_word_window() {
    let c = classifier();
    let filler = "and then we talked about the weather for a while before lunch came ";
    let near = "Norrland Timber earnings will disappoint";
    let far = format!("Norrland Timber {filler}{filler} earnings will disappoint");
    assert!(c.classify(near).labels.contains(Label::EarningsData));
    assert!(!c.classify(&far).labels.contains(Label::EarningsData));
    let legal_suffix_dropped = "Norrland Timber Inc. guidance cut is coming";
    assert!(c
        .classify(legal_suffix_dropped)
        .labels
        .contains(Label::EarningsData));
}

#[test]
fn spans_cover_the_issuer_and_its_terms_and_score_drops() {
    let c = classifier();
    let text = "FYI: revenue at Halvorsen Biotech missed badly";
    let r = c.classify(text);
    let earnings = r
        .findings
        .iter()
        .find(|f| f.label == Label::EarningsData)
        .unwrap();
    assert_eq!(
        &text[earnings.span.start..earnings.span.end],
        "revenue at Halvorsen Biotech missed"
    );
    assert!(r.compliance_score < 100);
    assert_eq!(c.classify("hello world").compliance_score, 100);
}

#[test]
fn multibyte_text_and_curly_quotes_keep_boundaries() {
    let c = classifier();
    assert!(c
        .classify("“Halvorsen” — earnings beat, not yet public")
        .labels
        .contains(Label::EarningsData));
    assert!(c
        .classify("Ünïcode Halvorsenß earnings")
        .findings
        .iter()
        .all(|f| f.label != Label::EarningsData));
}

const VOCAB: &[&str] = &[
    "Halvorsen",
    "Halvorsen Biotech",
    "HLVB",
    "$HLVB",
    "Norrland Timber",
    "Project Falcon",
    "earnings",
    "revenue",
    "Q3",
    "merger",
    "acquisition",
    "tender offer",
    "not yet public",
    "account",
    "routing",
    "SSN",
    "CUSIP",
    "13F",
    "4111 1111 1111 1111",
    "4111111111111111",
    "536-22-8726",
    "536228726",
    "021000021",
    "GB82 WEST 1234 5698 7654 32",
    "US0378331005",
    "38259P508",
    "037833100",
    "jane.doe@example.com",
    "(212) 555-0199",
    "+44 20 7946 0958",
    "ghp_abcdefghijklmnopqrstuvwxyz",
    "-----BEGIN PRIVATE KEY-----",
    "diagnosed with",
    "we are long",
    "draft 10-K",
    "the",
    "a",
    "of",
    "weather",
    "lunch",
    "report",
    "ALL",
    "Target",
    "é",
    "—",
    "“",
    "”",
    "12",
    "2024",
    "4455667788",
    "12345678901234567890",
    "x",
    "acquired",
    ".",
    ",",
    "(",
    ")",
    "-",
    "@",
    "+",
    "1",
];

fn text_strategy() -> impl Strategy<Value = String> {
    let piece = (
        0..VOCAB.len(),
        prop_oneof![Just(" "), Just(""), Just("\n"), Just(", "), Just("-")],
    );
    proptest::collection::vec(piece, 0..60).prop_map(|ps| {
        ps.into_iter()
            .map(|(i, sep)| format!("{}{sep}", VOCAB[i]))
            .collect()
    })
}

fn char_cuts(text: &str, cuts: &[usize]) -> Vec<usize> {
    let mut points: Vec<usize> = cuts
        .iter()
        .map(|c| {
            let mut p = c % (text.len() + 1);
            while !text.is_char_boundary(p) {
                p -= 1;
            }
            p
        })
        .collect();
    points.push(0);
    points.push(text.len());
    points.sort_unstable();
    points.dedup();
    points
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn chunking_does_not_change_findings_and_committed_is_safe(
        text in text_strategy(),
        cuts in proptest::collection::vec(any::<usize>(), 0..12),
    ) {
        let c = classifier();
        let whole = c.classify(&text).findings;
        let mut scanner = c.scanner();
        let mut streamed = Vec::new();
        let mut last_committed = 0;
        let points = char_cuts(&text, &cuts);
        for w in points.windows(2) {
            let found = scanner.feed(&text[w[0]..w[1]]);
            for f in &found {
                prop_assert!(f.span.start >= last_committed, "finding {:?} starts below committed {}", f, last_committed);
            }
            streamed.extend(found);
            let now = scanner.committed();
            prop_assert!(now >= last_committed);
            prop_assert!(now <= w[1]);
            prop_assert!(text.is_char_boundary(now));
            last_committed = now;
        }
        let tail = scanner.finish();
        for f in &tail {
            prop_assert!(f.span.start >= last_committed, "finding {:?} starts below committed {}", f, last_committed);
        }
        streamed.extend(tail);
        prop_assert_eq!(scanner.committed(), text.len());
        let streamed = Classification::from_findings(streamed).findings;
        prop_assert_eq!(streamed, whole);
    }
}

#[test]
fn byte_at_a_time_equals_one_shot_on_a_long_text() {
    let c = classifier();
    let mut text = String::new();
    for i in 0..200 {
        text.push_str(VOCAB[(i * 7) % VOCAB.len()]);
        text.push(' ');
    }
    let whole = c.classify(&text).findings;
    let mut s = c.scanner();
    let mut got = Vec::new();
    for (i, ch) in text.char_indices() {
        got.extend(s.feed(&text[i..i + ch.len_utf8()]));
        assert!(
            s.len() - s.committed() <= 1024,
            "hold-back {} at {}",
            s.len() - s.committed(),
            i
        );
    }
    got.extend(s.finish());
    assert_eq!(Classification::from_findings(got).findings, whole);
}

#[test]
fn classifier_is_send_and_sync() {
    fn check<T: Send + Sync>() {}
    check::<Classifier>();
    check::<crate::Scanner<std::sync::Arc<Classifier>>>();
}
