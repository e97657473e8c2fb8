//! The patterns that open with a whole word, compared with the text where that word stands:
//! what a walk of one automaton over every pattern found, without its states. The heads that
//! share a first word lie side by side, so a comparison reads a line or two that the first-word
//! table points at, where a walk of the large automaton missed the cache about once a byte.

use super::starts::Cand;
use super::words::{folded_eq, is_word};
use super::{LexState, Lexicon};
use crate::text::Text;

impl Lexicon {
    /// Compares the text from `head` (a word start) with the patterns `cands`, and notes the
    /// matches as a walk from there would: a match must end at a word boundary unless one of
    /// its spellings is open. False when the text ran out while a pattern could still match.
    #[inline(always)]
    pub(super) fn compare(
        &self,
        cands: &[Cand],
        head: usize,
        text: &Text<'_>,
        st: &mut LexState,
    ) -> bool {
        let end = text.end();
        let avail = end - head;
        for c in cands {
            let len = c.len as usize;
            let at = c.at as usize;
            let pattern = &self.starts.heads[at..at + len];
            if len >= avail {
                // A match would reach the end of the text: wait while it still may.
                if !text.eof && folded_eq(text.slice(head, end), pattern, avail) {
                    return false;
                }
                if len > avail {
                    continue;
                }
            }
            if !folded_eq(text.slice(head, head + len), pattern, len) {
                continue;
            }
            let m = head + len;
            if m < end && is_word(text.at(m)) && self.patterns[c.pid as usize].boundary_only {
                continue;
            }
            st.found.push((c.pid, m));
        }
        true
    }
}
