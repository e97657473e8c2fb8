//! The compiled classifier and one-shot classification.

use crate::engine::{Engine, Scanner};
use crate::identifiers::{IdMatcher, IdentifierError};
use crate::lexicon::{Lexicon, LexiconError};
use crate::text::Text;
use crate::{Finding, Label, LabelSet, Severity, Watchlist};
use serde::Serialize;
use std::sync::Arc;

/// Bytes of a text that one-shot classification hands the engine at a time: small enough that
/// hits and kept partners stay in the first-level cache and that most slices of prose have no
/// digit or `@` (the identifiers then skip them), large enough that the per-slice work is a
/// few percent (1 KiB measured best against 512 B, 2, 4 and 16 KiB).
const ONE_SHOT_STEP: usize = 1 << 10;

/// Tunables of the rule stage.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClassifierConfig {
    /// An issuer (or MNPI phrase) and an earnings or deal term pair up when at most this many
    /// words stand between them; the same window finds context words of identifiers.
    pub proximity_words: usize,
    /// ... and at most this many bytes (bounds the stream hold-back).
    pub proximity_bytes: usize,
}

impl Default for ClassifierConfig {
    fn default() -> Self {
        ClassifierConfig {
            proximity_words: 12,
            proximity_bytes: 160,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    #[error(transparent)]
    Lexicon(#[from] LexiconError),
    #[error(transparent)]
    Identifiers(#[from] IdentifierError),
    #[error("proximity_words and proximity_bytes must be at least 1")]
    Config,
}

/// Everything compiled once from a watch list; immutable, `Send + Sync`.
pub struct Classifier {
    pub(crate) lexicon: Lexicon,
    pub(crate) identifiers: IdMatcher,
    pub(crate) config: ClassifierConfig,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Classification {
    /// Sorted by span, then label, then detector.
    pub findings: Vec<Finding>,
    pub labels: LabelSet,
    /// 100 = nothing found. For each label, the strongest finding costs
    /// `weight(severity) × confidence` with weights low 5, medium 15, high 30, critical 50;
    /// the score is 100 minus the sum, rounded, floored at 0.
    pub compliance_score: u8,
}

fn weight(s: Severity) -> f32 {
    match s {
        Severity::Low => 5.0,
        Severity::Medium => 15.0,
        Severity::High => 30.0,
        Severity::Critical => 50.0,
    }
}

/// The score of [`Classification::compliance_score`] for any set of findings.
pub fn compliance_score(findings: &[Finding]) -> u8 {
    let mut worst = [0f32; Label::ALL.len()];
    for f in findings {
        let w = weight(f.severity) * f.confidence.clamp(0.0, 1.0);
        let slot = &mut worst[f.label as usize];
        *slot = slot.max(w);
    }
    let penalty: f32 = worst.iter().sum();
    (100.0 - penalty).round().clamp(0.0, 100.0) as u8
}

impl Classifier {
    pub fn new(list: &Watchlist) -> Result<Classifier, BuildError> {
        Classifier::with_config(list, ClassifierConfig::default())
    }

    pub fn with_config(
        list: &Watchlist,
        config: ClassifierConfig,
    ) -> Result<Classifier, BuildError> {
        if config.proximity_words == 0 || config.proximity_bytes == 0 {
            return Err(BuildError::Config);
        }
        Ok(Classifier {
            lexicon: Lexicon::new(list)?,
            identifiers: IdMatcher::new()?,
            config,
        })
    }

    pub fn config(&self) -> ClassifierConfig {
        self.config
    }

    /// Heap bytes held by the compiled automata.
    pub fn memory_usage(&self) -> usize {
        self.lexicon.memory_usage() + self.identifiers.memory_usage()
    }

    /// Labels a whole text.
    pub fn classify(&self, text: &str) -> Classification {
        let mut findings = Vec::new();
        let mut engine = Engine::new(self);
        // The engine reads the text a slice at a time, as a scanner would be fed it without
        // the copying: its hits and kept partners then stay a few cache lines long instead of
        // growing with the text.
        let bytes = text.as_bytes();
        let mut end = 0;
        while end < bytes.len() {
            end = (end + ONE_SHOT_STEP).min(bytes.len());
            while !text.is_char_boundary(end) {
                end += 1;
            }
            let view = Text {
                bytes: &bytes[..end],
                base: 0,
                eof: end == bytes.len(),
            };
            engine.step(self, &view, &mut findings);
        }
        if bytes.is_empty() {
            let view = Text {
                bytes,
                base: 0,
                eof: true,
            };
            engine.step(self, &view, &mut findings);
        }
        Classification::from_findings(findings)
    }

    /// A streaming scanner borrowing this classifier.
    pub fn scanner(&self) -> Scanner<&Classifier> {
        Scanner::new(self)
    }

    /// A streaming scanner holding its own reference (for a stream that spans awaits).
    pub fn scanner_arc(self: &Arc<Self>) -> Scanner<Arc<Classifier>> {
        Scanner::new(Arc::clone(self))
    }
}

impl Classification {
    /// Sorts the findings and derives labels and score (also for findings gathered from a
    /// [`Scanner`]).
    pub fn from_findings(mut findings: Vec<Finding>) -> Classification {
        // Two anchors can yield the same span and label (an issuer and its neighbour sharing
        // the same terms); the stronger one is kept.
        findings.sort_by(|a, b| {
            a.key()
                .cmp(&b.key())
                .then(b.severity.cmp(&a.severity))
                .then(b.confidence.total_cmp(&a.confidence))
        });
        findings.dedup_by(|later, first| later.key() == first.key());
        let labels = findings.iter().map(|f| f.label).collect();
        let compliance_score = compliance_score(&findings);
        Classification {
            findings,
            labels,
            compliance_score,
        }
    }
}

#[cfg(test)]
mod tests;
