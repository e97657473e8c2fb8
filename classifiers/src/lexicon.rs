//! Every word list, matched from the words that may begin a pattern, with the scan's state kept
//! across chunks.
//!
//! Text bytes are read as [`NORM`] makes them: letters, digits, `$` and `&` stay, everything
//! else (punctuation, whitespace, UTF-8 bytes) becomes a space. Each pattern is normalized the
//! same way and gets a leading space, so a match can only begin at a word start: "ers" never
//! fires inside "others". Word starts are found 64 bytes at a time and each word is looked up in
//! the first-word filter (`starts`); only a candidate goes further. Patterns that open with a
//! whole word (names, tickers, most phrases) are compared with the text directly (`compare`);
//! the few that a longer word may begin (`acqui*`) or that open with separators run a small
//! Aho-Corasick automaton. Matching is ASCII case-insensitive; tickers and ambiguous words are
//! then checked against their exact spelling, and a match must end at a word boundary unless
//! the pattern is a prefix (`acqui*`) or a credential marker (followed by its token).

mod build;
mod compare;
mod keyset;
mod matches;
mod scan;
mod starts;
mod words;

use crate::text::Text;
use aho_corasick::automaton::Automaton;
use aho_corasick::automaton::StateID;
use aho_corasick::dfa::DFA;
use aho_corasick::nfa::contiguous;
use aho_corasick::Anchored;
pub use build::LexiconError;
use matches::Decision;
use starts::{Longer, Starts};
use words::{is_word, NORM};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum TermKind {
    Mnpi,
    Earnings,
    Deal,
    Trading,
    Filing,
    Phi,
    CtxAccount,
    CtxRouting,
    CtxSsn,
    CtxSecurity,
    CtxCusip,
    CtxFiling,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum LexKind {
    Issuer { idx: u32, restricted: bool },
    CodeName { deal: u32 },
    Term(TermKind),
    Secret,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Tail {
    /// Must be followed by a non-word character.
    Boundary,
    /// Anything may follow (prefix pattern, key block header).
    Open,
    /// Followed by at least this many token characters, which join the finding.
    Secret(u8),
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct Meta {
    pub(crate) kind: LexKind,
    /// Exact spelling the text must have (tickers, ambiguous words, markers).
    pub(crate) exact: Option<Box<[u8]>>,
    pub(crate) tail: Tail,
}

/// Spellings of one automaton pattern that share their exact spelling and tail, decided once
/// for all the kinds they stand for.
#[derive(Debug, Clone, Copy)]
struct Group {
    /// `spellings[at..at + len]`, when the text must be spelled so.
    exact: Option<(u32, u32)>,
    tail: Tail,
    /// `kinds[lo..hi]`.
    kinds: (u32, u32),
}

/// What a match of one automaton pattern stands for.
#[derive(Debug, Clone, Copy)]
struct PatternInfo {
    /// Length with the leading space.
    len: u32,
    /// Every group must end at a word boundary.
    boundary_only: bool,
    /// `groups[lo..hi]`.
    groups: (u32, u32),
}

/// A lexicon match found by the automaton that awaits more text (boundary or token tail).
#[derive(Debug, Clone, Copy)]
struct Pending {
    group: u32,
    start: usize,
    end: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct LexHit {
    pub start: usize,
    pub end: usize,
    pub kind: LexKind,
}

/// The automaton of the prefix and lead patterns: a DFA while its transition table stays small
/// (fast, but 256 bytes per state), the compact contiguous NFA beyond (a list of thousands of
/// prefix patterns).
enum Machine {
    Dfa(DFA),
    Nfa(contiguous::NFA),
}

pub(crate) struct Lexicon {
    machine: Machine,
    /// Pattern id (index of `patterns`) of each automaton pattern.
    auto_pids: Vec<u32>,
    /// Which words may begin a pattern.
    starts: Starts,
    /// Numbers of separators that patterns open with (after their leading space).
    lead: Vec<u8>,
    /// One more than the longest opening run of separators (0 without such patterns).
    lead_span: usize,
    patterns: Vec<PatternInfo>,
    groups: Vec<Group>,
    kinds: Vec<LexKind>,
    /// Exact spellings, one after the other (kept together: they are read on every match).
    spellings: Vec<u8>,
    /// Longest pattern in text bytes (without the leading space).
    max_len: usize,
    /// State after the virtual space that precedes every stream.
    start: StateID,
    /// Every normalized pattern (with its leading space), for the unfiltered reference.
    #[cfg(test)]
    norms: Vec<Vec<u8>>,
}

pub(crate) struct LexState {
    /// Next offset to look for a word start from (a deferred word start, or inside a word or
    /// separator run).
    pos: usize,
    /// Offset up to which the text has been read: when above `pos`, `[pos, scanned)` is one
    /// word that the end of the text cut, to be finished from here without reading it again.
    scanned: usize,
    /// After a call that read to the end of the text: the offset it started reading from, when
    /// no digit or `@` stands between there and the end (else `usize::MAX`).
    quiet_from: usize,
    pending: Vec<Pending>,
    /// Matches of the word start being examined: (automaton pattern, end).
    found: Vec<(u32, usize)>,
}

impl Lexicon {
    pub(crate) fn state(&self) -> LexState {
        LexState {
            pos: 0,
            scanned: 0,
            quiet_from: usize::MAX,
            pending: Vec::new(),
            found: Vec::new(),
        }
    }

    pub(crate) fn memory_usage(&self) -> usize {
        let machine = match &self.machine {
            Machine::Dfa(a) => a.memory_usage(),
            Machine::Nfa(a) => a.memory_usage(),
        };
        machine + self.starts.memory_usage()
    }

    /// Longest pattern, in text bytes.
    pub(crate) fn max_len(&self) -> usize {
        self.max_len
    }

    /// Feeds the bytes the state has not seen; appends the matches that are decided.
    #[inline]
    pub(crate) fn advance(&self, st: &mut LexState, text: &Text<'_>, out: &mut Vec<LexHit>) {
        if !st.pending.is_empty() {
            let mut pending = std::mem::take(&mut st.pending);
            pending.retain(|p| match self.decide(p.group, p.start, p.end, text) {
                Decision::Wait => true,
                Decision::Hit(end) => {
                    self.emit(p.group, p.start, end, out);
                    false
                }
                Decision::Reject => false,
            });
            st.pending = pending;
        }
        self.run(st, text, out);
    }

    /// [`Lexicon::examine_with`] the automaton this lexicon was built with.
    #[inline(never)]
    fn examine(
        &self,
        w: usize,
        e: usize,
        text: &Text<'_>,
        st: &mut LexState,
        out: &mut Vec<LexHit>,
    ) -> bool {
        match &self.machine {
            Machine::Dfa(a) => self.examine_with(a, w, e, text, st, out),
            Machine::Nfa(a) => self.examine_with(a, w, e, text, st, out),
        }
    }

    /// The word `bytes[w..e]` that passed the quick test: compares the patterns that open with
    /// the word, walks the automaton where a prefix or lead pattern may begin, and reports the
    /// matches. False when the text ran out before that was decided.
    #[inline(always)]
    fn examine_with<A: Automaton>(
        &self,
        a: &A,
        w: usize,
        e: usize,
        text: &Text<'_>,
        st: &mut LexState,
        out: &mut Vec<LexHit>,
    ) -> bool {
        let bytes = text.bytes;
        let len = e - w;
        let (entry, prefix) = if len > self.max_len {
            // Longer than any pattern's first word: only a prefix pattern can begin.
            (None, self.starts.may_prefix(bytes, w, len))
        } else {
            (
                self.starts.entry(bytes, w, len),
                self.starts.may_prefix(bytes, w, len),
            )
        };
        st.found.clear();
        if prefix && !self.walk(a, text.base + w, text, st) {
            return false;
        }
        let lead = entry.is_some_and(|(_, en)| en.lead) || (prefix && self.starts.prefix_leads);
        if let Some((key, en)) = entry {
            // A key names one word only up to eight bytes; a longer word that has a
            // single-word entry is compared.
            let compare = (en.single.is_some() && len > 8)
                || match en.longer {
                    Longer::No => false,
                    Longer::Paired => self.starts.may_pair(key, &en, bytes, e, text.eof),
                    Longer::Always => true,
                };
            if compare {
                if !self.compare(self.starts.cands(&en), text.base + w, text, st) {
                    return false;
                }
            } else if let Some(pid) = en.single {
                // The pattern is the whole word.
                st.found.push((pid, text.base + e));
            }
        }
        if lead && !self.lead_walks(a, w, text, st) {
            return false;
        }
        if !st.found.is_empty() {
            let found = std::mem::take(&mut st.found);
            for &(pid, end) in &found {
                self.on_match(pid, end, text, st, out);
            }
            st.found = found;
        }
        true
    }

    /// Walks of the patterns that open with `k` separators, from `k` separators before the word
    /// start `w` (an index into `text.bytes`). False when the text ran out first.
    #[inline(never)]
    fn lead_walks<A: Automaton>(
        &self,
        a: &A,
        w: usize,
        text: &Text<'_>,
        st: &mut LexState,
    ) -> bool {
        // Separators just before the word, counted up to `lead_span`.
        let mut gap = 0;
        while gap < self.lead_span && gap < w && !is_word(text.bytes[w - gap - 1]) {
            gap += 1;
        }
        let abs = text.base + w;
        for &k in &self.lead {
            let k = usize::from(k);
            let origin_ok = if abs > k {
                gap > k
            } else {
                abs == k && text.base == 0 && gap == k
            };
            if origin_ok && !self.walk(a, abs - k, text, st) {
                return false;
            }
        }
        true
    }

    /// Runs the automaton anchored at `head` (the pattern text after its leading space) until
    /// it dies, noting the matches that begin there. False when the text ran out first.
    #[inline(always)]
    fn walk<A: Automaton>(&self, a: &A, head: usize, text: &Text<'_>, st: &mut LexState) -> bool {
        let mut sid = self.start;
        let end = text.end();
        let mut j = head;
        loop {
            if j == end {
                return text.eof;
            }
            sid = a.next_state(Anchored::Yes, sid, NORM[usize::from(text.at(j))]);
            j += 1;
            if a.is_special(sid) {
                if a.is_dead(sid) {
                    return true;
                }
                if a.is_match(sid) {
                    // A word byte next rejects every pattern that must end at a boundary.
                    let word_next = j < end && is_word(text.at(j));
                    for k in 0..a.match_len(sid) {
                        let id = a.match_pattern(sid, k);
                        let pid = self.auto_pids[id.as_usize()];
                        if word_next && self.patterns[pid as usize].boundary_only {
                            continue;
                        }
                        if j + 1 == head + a.pattern_len(id) {
                            st.found.push((pid, j));
                        }
                    }
                }
            }
        }
    }

    /// Every lexicon hit starting before this offset has been reported.
    pub(crate) fn known_before(&self, st: &LexState, text: &Text<'_>) -> usize {
        if text.eof {
            return usize::MAX;
        }
        let horizon = (st.pos + 1).saturating_sub(self.max_len);
        st.pending.iter().map(|p| p.start).fold(horizon, usize::min)
    }

    /// Where the lexicon stopped reading: the start of a word the end of the text cuts, else
    /// the end of the text. The byte before it, if any, is not a word byte.
    pub(crate) fn stopped_at(&self, st: &LexState) -> usize {
        st.pos
    }

    /// An offset from which the text holds no digit or `@` (where an identifier could be), if
    /// the last call read it all.
    pub(crate) fn quiet_from(&self, st: &LexState) -> usize {
        st.quiet_from
    }

    /// Lowest offset the state still needs to read (for trimming the stream buffer).
    pub(crate) fn needs_from(&self, st: &LexState) -> usize {
        let pend = st
            .pending
            .iter()
            .map(|p| p.start)
            .min()
            .unwrap_or(usize::MAX);
        st.pos
            .saturating_sub(self.max_len + 8)
            .min(pend.saturating_sub(8))
    }
}

#[cfg(test)]
mod tests;
