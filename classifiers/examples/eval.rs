//! Precision and recall per label on the evaluation set:
//! `cargo run --release -p parapet-classifiers --example eval [-- --misses]`, or the findings
//! for one text with `-- --text "..."`.

use parapet_classifiers::eval::{evaluate, parse_jsonl};
use parapet_classifiers::{Classifier, Watchlist};
use std::path::Path;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("eval");
    let list = Watchlist::from_json(&std::fs::read(dir.join("watchlist.json"))?)?;
    let classifier = Classifier::new(&list)?;
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--text") {
        let text = args.get(i + 1).map(String::as_str).unwrap_or_default();
        for f in classifier.classify(text).findings {
            println!(
                "{:?} {:?} {:?} {:?}",
                f.label,
                f.detector,
                f.severity,
                &text[f.span.start..f.span.end]
            );
        }
        return Ok(());
    }
    let mut examples = parse_jsonl(&std::fs::read_to_string(dir.join("corpus.jsonl"))?)?;
    examples.extend(parse_jsonl(&std::fs::read_to_string(
        dir.join("handwritten.jsonl"),
    )?)?);
    let report = evaluate(&classifier, &examples);
    println!("{} examples\n\n{report}", examples.len());
    if std::env::args().any(|a| a == "--misses") {
        for (id, want, got, text) in &report.misses {
            println!(
                "{id}: expected {:?} got {:?}: {text}",
                want.to_vec(),
                got.to_vec()
            );
        }
    }
    Ok(())
}
