//! The evaluation set's targets: recall ≥ 0.95 on validated identifiers, ≥ 0.85 on the MNPI
//! labels, precision ≥ 0.9 on every label.

use parapet_classifiers::eval::{evaluate, parse_jsonl};
use parapet_classifiers::{Classifier, Label, Watchlist};

#[test]
fn evaluation_set_meets_the_targets() {
    let list = Watchlist::from_json(include_bytes!("../eval/watchlist.json")).unwrap();
    let classifier = Classifier::new(&list).unwrap();
    let mut examples = parse_jsonl(include_str!("../eval/corpus.jsonl")).unwrap();
    examples.extend(parse_jsonl(include_str!("../eval/handwritten.jsonl")).unwrap());
    assert!(examples.len() >= 1000);
    let report = evaluate(&classifier, &examples);
    println!("{report}");

    for kind in [
        "card",
        "ssn",
        "iban",
        "aba",
        "cusip_trading",
        "cusip_filing",
        "isin_trading",
        "isin_filing",
    ] {
        let rate = report.kind_rate(kind).unwrap();
        assert!(rate >= 0.95, "recall on {kind} identifiers is {rate:.3}");
    }
    for label in [
        Label::Mnpi,
        Label::EarningsData,
        Label::MergerAcquisitionTarget,
    ] {
        let recall = report.label(label).recall();
        assert!(
            recall >= 0.85,
            "recall on {} is {recall:.3}",
            label.as_str()
        );
    }
    for label in Label::ALL {
        let precision = report.label(label).precision();
        assert!(
            precision >= 0.9,
            "precision on {} is {precision:.3}",
            label.as_str()
        );
    }
}
