//! The stream engine shared by one-shot classification and the [`Scanner`].

use crate::identifiers::{is_token, IdHit, IdState};
use crate::lexicon::{LexHit, LexState};
use crate::rules::RuleState;
use crate::text::Text;
use crate::{Classifier, Finding};
use std::ops::Deref;

pub(crate) struct Engine {
    lex: LexState,
    ids: IdState,
    rules: RuleState,
    lex_hits: Vec<LexHit>,
    id_hits: Vec<IdHit>,
    committed: usize,
}

impl Engine {
    pub(crate) fn new(c: &Classifier) -> Engine {
        Engine {
            lex: c.lexicon.state(),
            ids: c.identifiers.state(),
            rules: RuleState::new(c.lexicon.max_len()),
            lex_hits: Vec::new(),
            id_hits: Vec::new(),
            committed: 0,
        }
    }

    /// Reads the text the engine has not seen yet and appends the findings now decided.
    #[inline]
    pub(crate) fn step(&mut self, c: &Classifier, text: &Text<'_>, out: &mut Vec<Finding>) {
        c.lexicon.advance(&mut self.lex, text, &mut self.lex_hits);
        let lex_known = c.lexicon.known_before(&self.lex, text);
        // Where the lexicon stopped (the start of a word the end of the text cuts, or the
        // end), the byte before is not a word byte. When it is not an identifier token byte
        // either and lies above `lex_known`, no token ending the text reaches down to
        // `lex_known`: the identifiers' bound is at least that, and they need not count their
        // trailing token to say so (`IdMatcher::trailing_bound`).
        let stop = c.lexicon.stopped_at(&self.lex);
        let before = stop.wrapping_sub(text.base + 1);
        let enough = (stop > text.base
            && stop - 1 > lex_known
            && text.bytes.get(before).is_some_and(|&b| !is_token(b)))
        .then_some(lex_known);
        let quiet_from = c.lexicon.quiet_from(&self.lex);
        c.identifiers
            .advance(&mut self.ids, text, quiet_from, enough, &mut self.id_hits);
        for h in &self.lex_hits {
            self.rules.ingest((*h).into(), out);
        }
        self.lex_hits.clear();
        for h in &self.id_hits {
            self.rules.ingest((*h).into(), out);
        }
        self.id_hits.clear();
        let known = lex_known.min(c.identifiers.known_before(&self.ids));
        let mut committed = self
            .rules
            .settle(known, &c.config, text, out)
            .min(text.end());
        // Release whole characters only.
        if let Some(&b) = text.bytes.get(committed.wrapping_sub(text.base)) {
            if b & 0xC0 == 0x80 {
                while committed > text.base && (text.at(committed) & 0xC0) == 0x80 {
                    committed -= 1;
                }
            }
        }
        self.committed = self.committed.max(committed);
    }

    pub(crate) fn committed(&self) -> usize {
        self.committed
    }

    /// Lowest stream offset any state still reads (a few bytes of slack for the character
    /// before a match).
    fn needs_from(&self, c: &Classifier) -> usize {
        c.lexicon
            .needs_from(&self.lex)
            .min(c.identifiers.needs_from(&self.ids))
            .min(self.rules.needs_from())
            .min(self.committed)
            .saturating_sub(8)
    }
}

/// Classifies a stream cut into chunks. The findings over the whole stream are those
/// [`Classifier::classify`] gives for the concatenated text, however it was cut; spans are
/// offsets into the whole stream.
///
/// [`Scanner::committed`] is the offset below which no finding can start any more: text up to
/// it can be released, the rest held. The hold-back is bounded by the longest lexicon pattern,
/// the identifier look-back (64 bytes) and the proximity window (`proximity_bytes` on either
/// side of an anchor), never the whole answer.
pub struct Scanner<C: Deref<Target = Classifier>> {
    classifier: C,
    buf: Vec<u8>,
    base: usize,
    engine: Engine,
    finished: bool,
}

/// Drop consumed text once this much has piled up before what the engine still reads.
const TRIM_AT: usize = 4096;

impl<C: Deref<Target = Classifier>> Scanner<C> {
    /// A scanner over `classifier`: a `&Classifier`, or an `Arc<Classifier>` when the scanner
    /// must outlive the borrow (a streamed answer across awaits).
    pub fn new(classifier: C) -> Self {
        let engine = Engine::new(&classifier);
        Scanner {
            classifier,
            buf: Vec::new(),
            base: 0,
            engine,
            finished: false,
        }
    }

    /// Adds the next piece of the stream; returns the findings decided by it (spans absolute).
    /// Feeding after [`Scanner::finish`] does nothing.
    pub fn feed(&mut self, chunk: &str) -> Vec<Finding> {
        if self.finished {
            return Vec::new();
        }
        self.buf.extend_from_slice(chunk.as_bytes());
        self.run(false)
    }

    /// Ends the stream; returns the findings that were waiting for more text.
    pub fn finish(&mut self) -> Vec<Finding> {
        if self.finished {
            return Vec::new();
        }
        self.finished = true;
        self.run(true)
    }

    /// The stream offset below which no finding can start any more (on a character boundary;
    /// never decreases). After [`Scanner::finish`] it is the stream's length.
    pub fn committed(&self) -> usize {
        self.engine.committed()
    }

    /// Bytes fed so far.
    pub fn len(&self) -> usize {
        self.base + self.buf.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn run(&mut self, eof: bool) -> Vec<Finding> {
        let mut out = Vec::new();
        let text = Text {
            bytes: &self.buf,
            base: self.base,
            eof,
        };
        self.engine.step(&self.classifier, &text, &mut out);
        // Trimmed once twice TRIM_AT is held (the bound is not computed before): at most that
        // much is kept beyond what the engine still reads.
        if self.buf.len() >= 2 * TRIM_AT {
            let keep = self.engine.needs_from(&self.classifier).max(self.base);
            if keep - self.base >= TRIM_AT {
                self.buf.drain(..keep - self.base);
                self.base = keep;
            }
        }
        out
    }
}
