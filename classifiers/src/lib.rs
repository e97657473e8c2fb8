//! Content labels for prompts and responses (DESIGN §6). Pure: text in, findings out.
//!
//! This first piece carries the label vocabulary and the `secret` detector (credentials pasted
//! into prompts); the lexicon, check-digit and proximity detectors build on the same types.

use aho_corasick::AhoCorasick;
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
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

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub label: Label,
    /// Byte offsets into the classified text.
    pub start: usize,
    pub end: usize,
    pub detector: &'static str,
}

/// Markers that begin credentials: private key blocks and well-known token prefixes.
const SECRET_MARKERS: &[&str] = &[
    "-----BEGIN PRIVATE KEY-----",
    "-----BEGIN RSA PRIVATE KEY-----",
    "-----BEGIN EC PRIVATE KEY-----",
    "-----BEGIN OPENSSH PRIVATE KEY-----",
    "AKIA",
    "ghp_",
    "xoxb-",
    "sk-ant-",
    "sk-proj-",
];

/// Minimum token length after a marker for it to count (prefix alone is not a secret).
const MIN_TAIL: usize = 16;

pub struct SecretDetector {
    automaton: AhoCorasick,
}

impl SecretDetector {
    pub fn new() -> Result<Self, aho_corasick::BuildError> {
        Ok(SecretDetector {
            automaton: AhoCorasick::new(SECRET_MARKERS)?,
        })
    }

    pub fn find(&self, text: &str) -> Vec<Finding> {
        let bytes = text.as_bytes();
        let mut out = Vec::new();
        for m in self.automaton.find_iter(text) {
            let marker = SECRET_MARKERS[m.pattern().as_usize()];
            let end = if marker.starts_with("-----") {
                m.end()
            } else {
                let tail = bytes[m.end()..]
                    .iter()
                    .take_while(|b| b.is_ascii_alphanumeric() || **b == b'-' || **b == b'_')
                    .count();
                if tail < MIN_TAIL {
                    continue;
                }
                m.end() + tail
            };
            out.push(Finding {
                label: Label::Secret,
                start: m.start(),
                end,
                detector: "secret_marker",
            });
        }
        out
    }
}

#[cfg(test)]
mod tests;
