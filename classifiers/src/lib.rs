//! Content labels for prompts and responses (DESIGN §6). Pure: text in, findings out; no I/O,
//! no clock, no async.
//!
//! A [`Classifier`] is compiled once from a [`Watchlist`] (issuers, tickers, aliases, deal code
//! names, phrase lists) and is `Send + Sync`, so the gateway keeps it in an `Arc` and swaps it
//! when the control room's list changes. [`Classifier::classify`] labels a whole text;
//! [`Scanner`] does the same over a stream cut into chunks, with the same findings whatever the
//! cuts, and says how far the text can be released ([`Scanner::committed`]).
//!
//! Three layers feed one rule stage:
//! - `lexicon`: every word list (case-insensitive, word boundaries built into the patterns),
//!   matched only from the word starts that a first-word filter lets through (a Bloom probe per
//!   word, a table of first words, a filter on the next word): the patterns opening with that
//!   word are compared with the text, and a small Aho-Corasick automaton covers the prefix
//!   patterns (`acqui*`) and those that open with separators;
//! - `identifiers`: only where a digit or `@` appears, an anchored regex DFA proposes cards,
//!   SSNs, IBANs, ISINs, CUSIPs, routing and account numbers, e-mails and phones, and the
//!   check-digit validators of `validators` keep the well-formed ones;
//! - `rules`: proximity (a watch-list issuer within N words of an earnings or deal term),
//!   context words for ambiguous digit runs, and the label, severity and confidence of each
//!   finding.

use serde::{Serialize, Serializer};

mod classifier;
mod engine;
pub mod eval;
mod identifiers;
mod lexicon;
pub mod phrases;
mod rules;
mod text;
pub mod validators;
mod watchlist;

pub use classifier::{compliance_score, BuildError, Classification, Classifier, ClassifierConfig};
pub use engine::Scanner;
pub use watchlist::{DealCodeName, Issuer, ListKind, PhraseLists, Watchlist, WatchlistError};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Label {
    Mnpi,
    EarningsData,
    MergerAcquisitionTarget,
    CustomerNpi,
    TradingPosition,
    RegulatoryFiling,
    Pii,
    Phi,
    Secret,
}

impl Label {
    pub const ALL: [Label; 9] = [
        Label::Mnpi,
        Label::EarningsData,
        Label::MergerAcquisitionTarget,
        Label::CustomerNpi,
        Label::TradingPosition,
        Label::RegulatoryFiling,
        Label::Pii,
        Label::Phi,
        Label::Secret,
    ];

    /// The wire name (`"merger_acquisition_target"`).
    pub fn as_str(self) -> &'static str {
        match self {
            Label::Mnpi => "mnpi",
            Label::EarningsData => "earnings_data",
            Label::MergerAcquisitionTarget => "merger_acquisition_target",
            Label::CustomerNpi => "customer_npi",
            Label::TradingPosition => "trading_position",
            Label::RegulatoryFiling => "regulatory_filing",
            Label::Pii => "pii",
            Label::Phi => "phi",
            Label::Secret => "secret",
        }
    }

    /// Parses a wire name.
    pub fn from_name(name: &str) -> Option<Label> {
        Label::ALL.into_iter().find(|l| l.as_str() == name)
    }
}

/// A set of labels (a bitset); iterates and serializes in [`Label`] order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct LabelSet(u16);

impl LabelSet {
    pub fn insert(&mut self, label: Label) {
        self.0 |= 1 << label as u16;
    }
    pub fn contains(self, label: Label) -> bool {
        self.0 & (1 << label as u16) != 0
    }
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }
    pub fn len(self) -> usize {
        self.0.count_ones() as usize
    }
    /// True when the two sets share a label (a barrier's restricted labels vs. a text's).
    pub fn intersects(self, other: LabelSet) -> bool {
        self.0 & other.0 != 0
    }
    pub fn iter(self) -> impl Iterator<Item = Label> {
        Label::ALL.into_iter().filter(move |l| self.contains(*l))
    }
    pub fn to_vec(self) -> Vec<Label> {
        self.iter().collect()
    }
}

impl FromIterator<Label> for LabelSet {
    fn from_iter<I: IntoIterator<Item = Label>>(iter: I) -> Self {
        let mut set = LabelSet::default();
        for l in iter {
            set.insert(l);
        }
        set
    }
}

impl Serialize for LabelSet {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.iter())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Low,
    Medium,
    High,
    Critical,
}

/// Byte offsets `[start, end)`: into the classified text, or into the whole stream for a
/// [`Scanner`]. Both ends fall on character boundaries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct Span {
    pub start: usize,
    pub end: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    pub label: Label,
    pub severity: Severity,
    /// 0..=1: how likely the span really carries the label.
    pub confidence: f32,
    pub span: Span,
    /// Which detector fired (`card_luhn`, `watchlist_earnings`, ...).
    pub detector: &'static str,
}

impl Finding {
    /// Sort and identity key: span, label, detector.
    pub fn key(&self) -> (Span, Label, &'static str) {
        (self.span, self.label, self.detector)
    }
}

/// Only the `secret` findings, with no watch list: the first API, kept for callers that have not
/// moved to [`Classifier`].
pub struct SecretDetector {
    classifier: Classifier,
}

impl SecretDetector {
    pub fn new() -> Result<Self, BuildError> {
        Ok(SecretDetector {
            classifier: Classifier::new(&Watchlist::default())?,
        })
    }

    pub fn find(&self, text: &str) -> Vec<Finding> {
        let mut found = self.classifier.classify(text).findings;
        found.retain(|f| f.label == Label::Secret);
        found
    }
}

#[cfg(test)]
mod tests;
