//! Scoring the classifier against a labelled corpus (`classifiers/eval/*.jsonl`): precision and
//! recall per label, and per template family (`kind`) the share of examples whose expected
//! labels were all found (for a negative family: the share left clean). Pure: the caller reads
//! the files.

use crate::{Classifier, Label, LabelSet};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::fmt;

#[derive(Debug, Clone)]
pub struct Example {
    pub id: String,
    pub text: String,
    pub labels: LabelSet,
    pub kind: String,
}

#[derive(Deserialize)]
struct RawExample {
    id: String,
    text: String,
    labels: Vec<String>,
    #[serde(default)]
    kind: Option<String>,
}

/// Parses JSONL lines `{"id", "text", "labels", "kind"?}`; the error names the line.
pub fn parse_jsonl(src: &str) -> Result<Vec<Example>, String> {
    let mut out = Vec::new();
    for (n, line) in src
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
    {
        let raw: RawExample =
            serde_json::from_str(line).map_err(|e| format!("line {}: {e}", n + 1))?;
        let mut labels = LabelSet::default();
        for l in &raw.labels {
            labels.insert(
                Label::from_name(l)
                    .ok_or_else(|| format!("line {}: unknown label {l:?}", n + 1))?,
            );
        }
        out.push(Example {
            id: raw.id,
            text: raw.text,
            labels,
            kind: raw.kind.unwrap_or_else(|| "unspecified".to_owned()),
        });
    }
    Ok(out)
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub tp: usize,
    pub fp: usize,
    pub fn_: usize,
}

impl Counts {
    /// 1.0 when nothing was predicted.
    pub fn precision(&self) -> f64 {
        if self.tp + self.fp == 0 {
            1.0
        } else {
            self.tp as f64 / (self.tp + self.fp) as f64
        }
    }
    /// 1.0 when nothing was expected.
    pub fn recall(&self) -> f64 {
        if self.tp + self.fn_ == 0 {
            1.0
        } else {
            self.tp as f64 / (self.tp + self.fn_) as f64
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct Report {
    pub labels: BTreeMap<Label, Counts>,
    /// Per kind: (examples, examples right).
    pub kinds: BTreeMap<String, (usize, usize)>,
    /// Examples whose labels differ: (id, expected, got, text).
    pub misses: Vec<(String, LabelSet, LabelSet, String)>,
}

impl Report {
    pub fn label(&self, l: Label) -> Counts {
        self.labels.get(&l).copied().unwrap_or_default()
    }
    /// Share of a kind's examples that were right; `None` for a kind not in the corpus.
    pub fn kind_rate(&self, kind: &str) -> Option<f64> {
        self.kinds
            .get(kind)
            .map(|(n, ok)| *ok as f64 / (*n).max(1) as f64)
    }
}

pub fn evaluate(c: &Classifier, examples: &[Example]) -> Report {
    let mut r = Report::default();
    for e in examples {
        let got = c.classify(&e.text).labels;
        for l in Label::ALL {
            let counts = r.labels.entry(l).or_default();
            match (e.labels.contains(l), got.contains(l)) {
                (true, true) => counts.tp += 1,
                (false, true) => counts.fp += 1,
                (true, false) => counts.fn_ += 1,
                (false, false) => {}
            }
        }
        let right = if e.labels.is_empty() {
            got.is_empty()
        } else {
            e.labels.iter().all(|l| got.contains(l))
        };
        let k = r.kinds.entry(e.kind.clone()).or_default();
        k.0 += 1;
        k.1 += usize::from(right);
        if got != e.labels {
            r.misses.push((e.id.clone(), e.labels, got, e.text.clone()));
        }
    }
    r
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{:<26} {:>9} {:>7} {:>5} {:>5} {:>5}",
            "label", "precision", "recall", "tp", "fp", "fn"
        )?;
        for (l, c) in &self.labels {
            writeln!(
                f,
                "{:<26} {:>9.3} {:>7.3} {:>5} {:>5} {:>5}",
                l.as_str(),
                c.precision(),
                c.recall(),
                c.tp,
                c.fp,
                c.fn_
            )?;
        }
        writeln!(f, "\n{:<26} {:>9} {:>7}", "kind", "examples", "right")?;
        for (k, (n, ok)) in &self.kinds {
            writeln!(f, "{k:<26} {n:>9} {:>7.3}", *ok as f64 / (*n).max(1) as f64)?;
        }
        Ok(())
    }
}
