//! The hot loop: word starts found 64 bytes at a time, each word's folded key read from a
//! local copy of the block (in bounds by construction, so no check per word) and looked up in
//! the first-word filter; only a candidate is examined.

use super::words::{block_masks, folded_head, is_word, load, word_head, word_masks};
use super::{LexHit, LexState, Lexicon};
use crate::text::Text;

/// The bytes of a block and the eight after it, zero past the end of the text: a word
/// starting in the block has its first eight bytes here.
struct Window([u8; 72]);

impl Window {
    /// Fills the window with the block at `at` (in place: a window returned by value is
    /// copied once more).
    #[inline(always)]
    fn load(&mut self, bytes: &[u8], at: usize) {
        let b = &mut self.0;
        match bytes.get(at..).and_then(<[u8]>::first_chunk::<64>) {
            Some(block) => {
                b[..64].copy_from_slice(block);
                // Stale bytes past the end of the text are never read: a word ends before
                // them, and a key keeps only the bytes of its word.
                let more = (bytes.len() - at - 64).min(8);
                if more > 0 {
                    b[64..].copy_from_slice(&load(bytes, at + 64, more).to_le_bytes());
                }
            }
            None => {
                // The block mask reads all 64 bytes: zeros past the end.
                let rest = &bytes[at.min(bytes.len())..];
                b[..rest.len()].copy_from_slice(rest);
                b[rest.len()..].fill(0);
            }
        }
    }
}

impl Lexicon {
    /// A pattern begins at a word start (or, for a pattern that opens with separators, that
    /// many separators before one), so only word starts are examined: the whole word is looked
    /// up in the first-word filter, and only a candidate goes further ([`Lexicon::examine`]).
    /// A word cut by the end of the text waits for more text; it is finished from where the
    /// reading stopped.
    #[inline(always)]
    pub(super) fn run(&self, st: &mut LexState, text: &Text<'_>, out: &mut Vec<LexHit>) {
        let bytes = text.bytes;
        let base = text.base;
        let n = bytes.len();
        // A word reaching this offset may go on in the next chunk.
        let cut_at = if text.eof { usize::MAX } else { n };
        let mut blk = st.scanned - base;
        // Whether the byte before the block continues a word (then bit 0 starts nothing).
        let mut carry = u64::from(st.scanned > 0 && is_word(text.at(st.scanned - 1)));
        let mut win = Window([0; 72]);
        win.load(bytes, blk);
        let (mut m, mut trigger) = block_masks(&win.0[..64]);
        // Where the text read in this call starts: with no trigger seen, the identifiers may
        // skip it (see `LexState::quiet_from`).
        let from = st.scanned;
        st.quiet_from = usize::MAX;
        if st.pos < st.scanned {
            // The word the last text cut goes on from `blk`.
            let w = st.pos - base;
            let run = (!m).trailing_zeros() as usize;
            let mut e = blk + run;
            if run == 64 {
                while e < n && is_word(bytes[e]) {
                    e += 1;
                }
            }
            let len = e - w;
            if e >= cut_at && len <= self.max_len {
                st.scanned = base + n;
                if !trigger && n - blk <= 64 {
                    st.quiet_from = from;
                }
                return;
            }
            if self.starts.may_begin(folded_head(bytes, w, len), len)
                && !self.examine(w, e, text, st, out)
            {
                st.scanned = st.pos;
                return;
            }
        }
        while blk < n {
            let next = if blk + 64 < n {
                let (next, t) = word_masks(bytes, blk + 64);
                trigger |= t;
                next
            } else {
                0
            };
            let mut starts = m & !((m << 1) | carry);
            carry = m >> 63;
            while starts != 0 {
                let s = starts.trailing_zeros() as usize & 63;
                starts &= starts - 1;
                let w = blk + s;
                let run = (!(m >> s)).trailing_zeros() as usize;
                let mut e = w + run;
                if s + run == 64 {
                    let more = (!next).trailing_zeros() as usize;
                    e += more;
                    if more == 64 {
                        while e < n && is_word(bytes[e]) {
                            e += 1;
                        }
                    }
                }
                let len = e - w;
                if e >= cut_at && len <= self.max_len {
                    // The word may go on in the next chunk: it is finished from there.
                    st.pos = base + w;
                    st.scanned = base + n;
                    if !trigger {
                        st.quiet_from = from;
                    }
                    return;
                }
                if self.starts.may_begin(word_head(&win.0, s, len), len)
                    && !self.examine(w, e, text, st, out)
                {
                    // Examined again from scratch with more text.
                    st.pos = base + w;
                    st.scanned = st.pos;
                    return;
                }
            }
            m = next;
            blk += 64;
            if blk < n {
                win.load(bytes, blk);
            }
        }
        st.pos = base + n;
        st.scanned = st.pos;
        if !trigger {
            st.quiet_from = from;
        }
    }
}
