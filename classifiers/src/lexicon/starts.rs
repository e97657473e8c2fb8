//! Which text words may begin a pattern, and whether the automaton must run from them.
//!
//! A pattern whose head (the pattern after its leading space) opens with a word can only begin
//! at a text word equal to that word: case-insensitively, or exactly when every spelling with
//! that first word is exact (tickers, one-word aliases). A one-probe bitset over folded word
//! keys rejects almost every word; the rest are looked up in a table of first words, which says
//! what else is needed:
//! - a pattern that *is* the word (`quarter`, `shares`) is the match itself, no automaton;
//! - patterns that go on past the word (`the desk is long`) need the automaton only when the
//!   next word's first three bytes can continue one of them (a second bitset over pairs);
//! - patterns that end in separators (`ghp_` + token) always run the automaton.
//!
//! The patterns that open with a whole word are compared with the text directly ([`Cand`]: the
//! heads sharing a first word are stored side by side). Single-word prefix patterns (`acqui*`,
//! `AKIA` + token) are tested on the word's first three folded bytes and run the (small)
//! automaton, as do patterns that open with separators. Every answer here is "maybe": the
//! comparisons, the automaton and the spelling checks decide.

use super::keyset::{Bloom, KeyTable, SmallBloom};
use super::words::{fold_lanes, is_word, load, long_key, word_key, K};
use super::{Meta, Tail};
use std::collections::HashMap;

/// Bytes a folded word can hold.
const FOLDED_WORD_BYTES: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789$&";

#[inline(always)]
fn pair_key(first: u64, second: u64) -> u64 {
    first.wrapping_mul(K).rotate_left(23) ^ second
}

/// How a pattern is found from a word start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Route {
    /// Opens with a whole word: compared with the text where that word stands.
    Word,
    /// One word that the text's word may continue (`acqui*`): the automaton.
    Prefix,
    /// Opens with separators: the automaton, from separators before a word.
    Lead,
}

impl Route {
    /// `head` is the normalized pattern without its leading space, `metas` its spellings.
    pub(crate) fn of(head: &[u8], metas: &[Meta]) -> Route {
        match head.iter().position(|&b| b == b' ') {
            None if metas.iter().any(|m| m.tail != Tail::Boundary) => Route::Prefix,
            Some(0) => Route::Lead,
            _ => Route::Word,
        }
    }
}

/// A pattern that opens with a whole word: its id and its head, `heads[at..at + len]`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Cand {
    pub pid: u32,
    pub at: u32,
    pub len: u32,
}

/// Patterns that go on past their first word.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub(crate) enum Longer {
    /// None.
    #[default]
    No,
    /// Some; each has a second word, so the pair bitset can rule them out.
    Paired,
    /// Some end in separators right after the word: the automaton always runs.
    Always,
}

/// What a text word equal (folded) to a first word needs.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Entry {
    /// The pattern that is exactly this word, if any.
    pub single: Option<u32>,
    pub longer: Longer,
    /// Some pattern opens with separators and then this word: the lead walks run.
    pub lead: bool,
    /// Some pattern opening with this word has a case-insensitive spelling (else the word must
    /// be one of the exact spellings).
    folded: bool,
    /// `cands[lo..hi]`: the patterns opening with this word, shortest first.
    pub cands: (u32, u32),
    /// Bit `b & 63` set for the first byte `b` of each second word of a [`Longer::Paired`]
    /// pattern: most text words after a common first word ("the", "not") are ruled out here,
    /// in the entry's own cache line, before the pair bitset is read.
    pub pair_first: u64,
}

pub(crate) struct Starts {
    /// Folded first words.
    first: Bloom,
    /// Folded starts (up to three bytes) of the words that prefix patterns may begin.
    prefixes: SmallBloom,
    table: KeyTable<Entry>,
    /// Exact first words of patterns with an exact spelling.
    exact: KeyTable<()>,
    /// (folded first word, folded start of the second word).
    pairs: Bloom,
    /// The shortest word a prefix pattern can begin (`usize::MAX` without prefix patterns).
    min_prefix: usize,
    /// Bit `b & 63` set for each folded first byte `b` of a word a prefix pattern can begin
    /// (three instructions that spare most words the probe of `prefixes`).
    prefix_first: u64,
    /// Some prefix pattern opens with separators (`-acqui*`): a prefix also runs the lead walks.
    pub(crate) prefix_leads: bool,
    pub(crate) cands: Vec<Cand>,
    /// Normalized heads of the [`Route::Word`] patterns, grouped by first word.
    pub(crate) heads: Vec<u8>,
}

/// [`Starts`] while it is being filled.
struct Builder<'a> {
    first: Bloom,
    prefixes: Vec<u64>,
    table: HashMap<u64, Entry>,
    exact: HashMap<u64, ()>,
    pairs: Bloom,
    min_prefix: usize,
    prefix_leads: bool,
    cands: HashMap<u64, Vec<(u32, &'a [u8])>>,
}

impl<'a> Builder<'a> {
    /// Adds pattern `pid`: `head` is its normalized text without the leading space, `metas`
    /// its spellings.
    fn add(&mut self, pid: u32, head: &'a [u8], metas: &[Meta]) {
        let open = metas.iter().any(|m| m.tail != Tail::Boundary);
        match Route::of(head, metas) {
            Route::Prefix => {
                self.min_prefix = self.min_prefix.min(head.len());
                self.prefixes.extend(start_keys(head, false));
                return;
            }
            // Found by the lead walks, from the word after the separators.
            Route::Lead => {
                let word = head.trim_ascii_start();
                let len = word.iter().position(|&b| b == b' ').unwrap_or(word.len());
                if len == word.len() && open {
                    self.min_prefix = self.min_prefix.min(len);
                    self.prefixes.extend(start_keys(word, false));
                    self.prefix_leads = true;
                } else {
                    let key = word_key(word, 0, len, false);
                    self.first.insert(key);
                    let entry = self.table.entry(key).or_default();
                    entry.lead = true;
                    // The exact spelling opens with the separators: the walk checks it.
                    entry.folded = true;
                }
                return;
            }
            Route::Word => {}
        }
        let first_len = head.iter().position(|&b| b == b' ').unwrap_or(head.len());
        let key = word_key(head, 0, first_len, false);
        self.first.insert(key);
        self.cands.entry(key).or_default().push((pid, head));
        let entry = self.table.entry(key).or_default();
        for m in metas {
            match &m.exact {
                Some(e) => {
                    self.exact.insert(word_key(e, 0, first_len, false), ());
                }
                None => entry.folded = true,
            }
        }
        let rest = &head[first_len..];
        let Some(second_at) = rest.iter().position(|&b| b != b' ') else {
            if rest.is_empty() {
                entry.single = Some(pid);
            } else {
                entry.longer = Longer::Always;
            }
            return;
        };
        entry.longer = entry.longer.max(Longer::Paired);
        let second = &rest[second_at..];
        entry.pair_first |= 1 << (second[0] & 63);
        let second_len = second.iter().position(|&b| b == b' ');
        let complete = second_len.is_some() || !open;
        let second = &second[..second_len.unwrap_or(second.len())];
        for k in start_keys(second, complete) {
            self.pairs.insert(pair_key(key, k));
        }
    }
}

/// Every folded key of up to three bytes that a word starting with `word` can have: `word`
/// itself when `complete`, and when not, also every longer word it begins.
fn start_keys(word: &[u8], complete: bool) -> Vec<u64> {
    let head = &word[..word.len().min(3)];
    let key = |s: &[u8]| {
        s.iter()
            .enumerate()
            .fold(0u64, |x, (k, &b)| x | (u64::from(b) << (8 * k)))
    };
    let mut keys = vec![head.to_vec()];
    if !complete {
        let mut grow = keys.clone();
        while grow.first().is_some_and(|s| s.len() < 3) {
            grow = grow
                .into_iter()
                .flat_map(|s| {
                    FOLDED_WORD_BYTES.iter().map(move |&b| {
                        let mut t = s.clone();
                        t.push(b);
                        t
                    })
                })
                .collect();
            keys.extend(grow.iter().cloned());
        }
    }
    keys.iter().map(|s| key(s)).collect()
}

impl Starts {
    /// From the automaton's patterns: (pattern id, normalized text without the leading space,
    /// spellings).
    pub(crate) fn new<'a>(patterns: impl Iterator<Item = (u32, &'a [u8], &'a [Meta])>) -> Starts {
        let mut b = Builder {
            first: Bloom::new(),
            prefixes: Vec::new(),
            table: HashMap::new(),
            exact: HashMap::new(),
            pairs: Bloom::new(),
            min_prefix: usize::MAX,
            prefix_leads: false,
            cands: HashMap::new(),
        };
        for (pid, head, metas) in patterns {
            b.add(pid, head, metas);
        }
        let mut by_word: Vec<_> = b.cands.into_iter().collect();
        by_word.sort_unstable_by_key(|(key, _)| *key);
        let (mut cands, mut heads) = (Vec::new(), Vec::new());
        for (key, mut list) in by_word {
            list.sort_by_key(|(_, head)| head.len());
            let lo = cands.len() as u32;
            for (pid, head) in list {
                cands.push(Cand {
                    pid,
                    at: heads.len() as u32,
                    len: head.len() as u32,
                });
                heads.extend_from_slice(head);
            }
            if let Some(entry) = b.table.get_mut(&key) {
                entry.cands = (lo, cands.len() as u32);
            }
        }
        Starts {
            first: b.first,
            prefix_first: b
                .prefixes
                .iter()
                .fold(0, |bits, key| bits | (1 << (key & 63))),
            prefixes: SmallBloom::new(&b.prefixes),
            table: KeyTable::new(b.table.into_iter()),
            exact: KeyTable::new(b.exact.into_iter()),
            pairs: b.pairs,
            min_prefix: b.min_prefix,
            prefix_leads: b.prefix_leads,
            cands,
            heads,
        }
    }

    pub(crate) fn memory_usage(&self) -> usize {
        self.first.memory_usage()
            + self.prefixes.memory_usage()
            + self.pairs.memory_usage()
            + self.table.memory_usage()
            + self.exact.memory_usage()
            + std::mem::size_of_val(&*self.cands)
            + self.heads.len()
    }

    /// The patterns of an [`Entry`], shortest first.
    #[inline(always)]
    pub(crate) fn cands(&self, entry: &Entry) -> &[Cand] {
        &self.cands[entry.cands.0 as usize..entry.cands.1 as usize]
    }

    /// The quick test: false when no pattern can begin at a word of `len` bytes whose
    /// [`folded_head`] is `head` (one bit of a bitset; for a word long enough to hold a prefix
    /// pattern and with a first byte that one opens with, one more in a small set).
    #[inline(always)]
    pub(crate) fn may_begin(&self, head: u64, len: usize) -> bool {
        let key = if len <= 8 { head } else { long_key(head, len) };
        self.first.may_contain(key)
            || (len >= self.min_prefix
                && (self.prefix_first >> (head & 63)) & 1 == 1
                && self.prefixes.may_contain(head & 0xFF_FFFF))
    }

    /// The entry of the whole word `bytes[at..at + len]` with its folded key, if a pattern may
    /// begin with it.
    #[inline(always)]
    pub(crate) fn entry(&self, bytes: &[u8], at: usize, len: usize) -> Option<(u64, Entry)> {
        let folded = word_key(bytes, at, len, true);
        let entry = self.table.get(folded)?;
        if entry.folded || self.exact.get(word_key(bytes, at, len, false)).is_some() {
            Some((folded, entry))
        } else {
            None
        }
    }

    /// Whether a pattern going on past the word with folded key `first`, which ends at `end`,
    /// may continue with the text that follows.
    #[inline(always)]
    pub(crate) fn may_pair(
        &self,
        first: u64,
        entry: &Entry,
        bytes: &[u8],
        end: usize,
        eof: bool,
    ) -> bool {
        let n = bytes.len();
        let mut j = end;
        while j < n && !is_word(bytes[j]) {
            j += 1;
        }
        if j == n {
            // The next word is not in view (or there is none): the automaton decides.
            return true;
        }
        if (entry.pair_first >> ((bytes[j] | 0x20) & 63)) & 1 == 0 {
            return false;
        }
        let mut k = j;
        while k < n && k < j + 3 && is_word(bytes[k]) {
            k += 1;
        }
        if k == n && k < j + 3 && !eof {
            return true;
        }
        let second = load(bytes, j, k - j) | fold_lanes(k - j);
        self.pairs.may_contain(pair_key(first, second))
    }

    /// Whether a single-word prefix pattern may begin at the word `bytes[at..at + len]`.
    #[inline(always)]
    pub(crate) fn may_prefix(&self, bytes: &[u8], at: usize, len: usize) -> bool {
        if len < self.min_prefix || (self.prefix_first >> ((bytes[at] | 0x20) & 63)) & 1 == 0 {
            return false;
        }
        let n = len.min(3);
        self.prefixes
            .may_contain(load(bytes, at, n) | fold_lanes(n))
    }
}
