//! `parapet classify [--watchlist FILE]`: JSONL `{"id", "text"}` on stdin, one
//! `{"id", "labels", "findings", "compliance_score"}` per line on stdout. No gateway needed.

use std::io::{BufRead, BufWriter, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use parapet_classifiers::{Classifier, Watchlist};
use serde_json::{json, Value};

fn fail(msg: impl std::fmt::Display) -> ExitCode {
    eprintln!("parapet classify: {msg}");
    ExitCode::FAILURE
}

pub fn run(watchlist: Option<PathBuf>) -> ExitCode {
    let list = match &watchlist {
        None => Watchlist::default(),
        Some(p) => match std::fs::read(p) {
            Err(e) => return fail(format!("{}: {e}", p.display())),
            Ok(b) => match Watchlist::from_json(&b) {
                Ok(l) => l,
                Err(e) => return fail(format!("{}: {e}", p.display())),
            },
        },
    };
    let classifier = match Classifier::new(&list) {
        Ok(c) => c,
        Err(e) => return fail(e),
    };
    let stdin = std::io::stdin().lock();
    let mut out = BufWriter::new(std::io::stdout().lock());
    for (n, line) in stdin.lines().enumerate() {
        let line = match line {
            Ok(l) => l,
            Err(e) => return fail(format!("line {}: {e}", n + 1)),
        };
        if line.trim().is_empty() {
            continue;
        }
        let v: Value = match serde_json::from_str(&line) {
            Ok(v) => v,
            Err(e) => return fail(format!("line {}: not JSON: {e}", n + 1)),
        };
        let Some(text) = v.get("text").and_then(Value::as_str) else {
            return fail(format!("line {}: needs a string \"text\"", n + 1));
        };
        let c = classifier.classify(text);
        let row = json!({
            "id": v.get("id").cloned().unwrap_or(Value::Null),
            "labels": c.labels,
            "findings": c.findings,
            "compliance_score": c.compliance_score,
        });
        if writeln!(out, "{row}").is_err() {
            // The reader went away (`| head`): not an error.
            return ExitCode::SUCCESS;
        }
    }
    match out.flush() {
        Ok(()) => ExitCode::SUCCESS,
        Err(_) => ExitCode::SUCCESS,
    }
}
