//! Every word list in one Aho-Corasick DFA, stepped byte by byte so the state carries across
//! chunks.
//!
//! Text bytes go through [`NORM`] before the automaton: letters, digits, `$` and `&` stay,
//! everything else (punctuation, whitespace, UTF-8 bytes) becomes a space. Each pattern is
//! normalized the same way and gets a leading space, so a match can only begin at a word start:
//! "ers" never fires inside "others", which keeps the slow path rare with 10,000 terms. The
//! automaton is ASCII case-insensitive; tickers and ambiguous words are then checked against
//! their exact spelling, and a match must end at a word boundary unless the pattern is a prefix
//! (`acqui*`) or a credential marker (followed by its token).

use crate::phrases;
use crate::text::Text;
use crate::watchlist::{ListKind, Watchlist};
use aho_corasick::automaton::Automaton;
use aho_corasick::automaton::StateID;
use aho_corasick::dfa::DFA;
use aho_corasick::nfa::contiguous;
use aho_corasick::{Anchored, MatchKind, StartKind};
use std::collections::{HashMap, HashSet};

pub(crate) static NORM: [u8; 256] = {
    let mut t = [b' '; 256];
    let mut i = 0;
    while i < 256 {
        let b = i as u8;
        if b.is_ascii_alphanumeric() || b == b'$' || b == b'&' {
            t[i] = b;
        }
        i += 1;
    }
    t
};

/// Longest credential token kept in a finding after its marker.
const SECRET_TAIL_CAP: usize = 200;

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
enum Tail {
    /// Must be followed by a non-word character.
    Boundary,
    /// Anything may follow (prefix pattern, key block header).
    Open,
    /// Followed by at least this many token characters, which join the finding.
    Secret(u8),
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Meta {
    kind: LexKind,
    /// Exact spelling the text must have (tickers, ambiguous words, markers).
    exact: Option<Box<[u8]>>,
    tail: Tail,
}

/// A lexicon match found by the automaton that awaits more text (boundary or token tail).
#[derive(Debug, Clone, Copy)]
struct Pending {
    meta: u32,
    start: usize,
    end: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct LexHit {
    pub start: usize,
    pub end: usize,
    pub kind: LexKind,
}

/// A DFA while its transition table stays small (fast, but 256 bytes per state); the compact
/// contiguous NFA for large watch lists (a 10,000-issuer list would need ~100 MiB as a DFA).
enum Machine {
    Dfa(DFA),
    Nfa(contiguous::NFA),
}

/// Pattern bytes up to which the DFA is used (about 16 MiB of transitions).
const DFA_MAX_PATTERN_BYTES: usize = 64 * 1024;

/// Index of a normalized, lower-cased byte in the trigram table (39 values).
static TRI: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut i = 0;
    while i < 256 {
        let b = NORM[i].to_ascii_lowercase();
        t[i] = match b {
            b'a'..=b'z' => b - b'a',
            b'0'..=b'9' => 26 + b - b'0',
            b'$' => 36,
            b'&' => 37,
            _ => 38,
        };
        i += 1;
    }
    t
};
const TRI_N: usize = 39;

fn tri_index(a: u8, b: u8, c: u8) -> usize {
    (usize::from(TRI[usize::from(a)]) * TRI_N + usize::from(TRI[usize::from(b)])) * TRI_N
        + usize::from(TRI[usize::from(c)])
}

/// Bits in the first-word filter (64 KiB).
const FIRST_BITS_LOG2: u32 = 19;

/// Hash of a word (bytes that [`NORM`] keeps). With `fold` the word is lower-cased: inside a
/// word that is `| 0x20` on every byte (digits, `$` and `&` already carry the bit).
#[inline(always)]
fn word_hash(w: &[u8], fold: bool) -> u64 {
    word_hash_at(w, 0, w.len(), fold)
}

/// Up to eight bytes of `bytes[at..at + n]` as a little-endian word, zero above them.
#[inline(always)]
fn load(bytes: &[u8], at: usize, n: usize) -> u64 {
    let x = if at + 8 <= bytes.len() {
        let mut x = [0u8; 8];
        x.copy_from_slice(&bytes[at..at + 8]);
        u64::from_le_bytes(x)
    } else {
        let mut x = 0u64;
        for (k, &b) in bytes[at..at + n].iter().enumerate() {
            x |= u64::from(b) << (8 * k);
        }
        x
    };
    if n >= 8 {
        x
    } else {
        x & ((1u64 << (8 * n)) - 1)
    }
}

/// [`word_hash`] of `bytes[at..at + len]`.
#[inline(always)]
fn word_hash_at(bytes: &[u8], at: usize, len: usize, fold: bool) -> u64 {
    const K: u64 = 0x9E37_79B9_7F4A_7C15;
    let lane = if fold { 0x2020_2020_2020_2020u64 } else { 0 };
    let mut h = (len as u64).wrapping_mul(K);
    let mut k = 0;
    while k < len {
        let n = (len - k).min(8);
        let lanes = if n >= 8 {
            lane
        } else {
            lane & ((1u64 << (8 * n)) - 1)
        };
        h = (h ^ (load(bytes, at + k, n) | lanes)).wrapping_mul(K);
        h = h.rotate_left(29);
        k += 8;
    }
    h ^= h >> 31;
    h.wrapping_mul(K) ^ (h >> 29)
}

/// Hasher for keys that are already hashes.
#[derive(Default)]
struct IdHasher(u64);

impl std::hash::Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 << 8) | u64::from(b);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

type HashSet64 = HashSet<u64, std::hash::BuildHasherDefault<IdHasher>>;

/// Which whole words can begin a pattern. A pattern whose first word is followed by more
/// pattern text (or by a word boundary) can only begin at a text word equal to that first
/// word: case-insensitively, or exactly when every spelling of it is exact (tickers, one-word
/// aliases). Single-word prefix patterns (`acqui*`, credential markers followed by their
/// token) fall back to a trigram test of their own.
struct FirstWords {
    /// Bit per hash of a lower-cased first word (any pattern).
    bits: Vec<u64>,
    /// Lower-cased first words of patterns with a case-insensitive spelling.
    folded: HashSet64,
    /// Exact first words of patterns with an exact spelling.
    exact: HashSet64,
    /// Trigrams the prefix patterns begin with.
    prefix: Vec<u64>,
    has_prefix: bool,
}

impl FirstWords {
    fn new() -> FirstWords {
        FirstWords {
            bits: vec![0; (1usize << FIRST_BITS_LOG2) / 64],
            folded: HashSet64::default(),
            exact: HashSet64::default(),
            prefix: vec![0u64; (TRI_N * TRI_N * TRI_N).div_ceil(64)],
            has_prefix: false,
        }
    }

    fn set_bit(&mut self, h: u64) {
        let b = (h >> (64 - FIRST_BITS_LOG2)) as usize;
        self.bits[b / 64] |= 1 << (b % 64);
    }

    /// `head` is the normalized pattern without its leading space; `metas` its spellings.
    fn add(&mut self, head: &[u8], metas: &[Meta]) {
        let Some(first_len) = head.iter().position(|&b| b == b' ').or_else(|| {
            // A single word: exact-word test unless some spelling is a prefix.
            if metas.iter().any(|m| m.tail != Tail::Boundary) {
                None
            } else {
                Some(head.len())
            }
        }) else {
            self.has_prefix = true;
            set_trigrams(&mut self.prefix, head);
            return;
        };
        if first_len == 0 {
            // Starts with several separators: never filtered (the automaton is past its
            // start state when the word comes).
            return;
        }
        let first = &head[..first_len];
        let h = word_hash(first, true);
        self.set_bit(h);
        for m in metas {
            match &m.exact {
                Some(e) => {
                    self.exact.insert(word_hash(&e[..first_len], false));
                }
                None => {
                    self.folded.insert(h);
                }
            }
        }
    }

    /// Whether a pattern may begin at the whole word `bytes[i..i + len]`.
    #[inline(always)]
    fn may_start(&self, len: usize, bytes: &[u8], i: usize) -> bool {
        let h = word_hash_at(bytes, i, len, true);
        let b = (h >> (64 - FIRST_BITS_LOG2)) as usize;
        if self.bits[b / 64] & (1 << (b % 64)) != 0
            && (self.folded.contains(&h)
                || self.exact.contains(&word_hash_at(bytes, i, len, false)))
        {
            return true;
        }
        self.may_prefix(bytes, i)
    }

    /// Whether a single-word prefix pattern may begin at `bytes[i]`.
    #[inline(always)]
    fn may_prefix(&self, bytes: &[u8], i: usize) -> bool {
        if !self.has_prefix {
            return false;
        }
        if i + 3 > bytes.len() {
            return true;
        }
        let t = tri_index(bytes[i], bytes[i + 1], bytes[i + 2]);
        self.prefix[t / 64] & (1 << (t % 64)) != 0
    }
}

/// Marks the trigrams a pattern head (without its leading space) can begin with.
fn set_trigrams(starts: &mut [u64], head: &[u8]) {
    let any: Vec<u8> = (0u8..=255)
        .filter(|b| TRI[usize::from(*b)] != 0 || *b == b'a')
        .collect();
    let pick = |k: usize| -> Vec<u8> { head.get(k).map_or_else(|| any.clone(), |b| vec![*b]) };
    for &a in &pick(0) {
        for &b in &pick(1) {
            for &c in &pick(2) {
                let t = tri_index(a, b, c);
                starts[t / 64] |= 1 << (t % 64);
            }
        }
    }
}

pub(crate) struct Lexicon {
    machine: Machine,
    /// Whole-word start filter (used when the word is entirely in view).
    first: FirstWords,
    /// Numbers of separators that patterns open with (after their leading space).
    lead: Vec<u8>,
    /// Per automaton pattern, its length (with the leading space).
    pattern_lens: Vec<u32>,
    /// Per automaton pattern, the range of `metas` it stands for.
    ranges: Vec<(u32, u32)>,
    metas: Vec<Meta>,
    /// Longest pattern in text bytes (without the leading space).
    max_len: usize,
    /// State after the virtual space that precedes every stream.
    start: StateID,
}

pub(crate) struct LexState {
    /// Next offset to look for a word start from (a deferred word start, or inside a word or
    /// separator run).
    pos: usize,
    pending: Vec<Pending>,
    /// Matches of the word start being examined: (automaton pattern, end).
    found: Vec<(u32, usize)>,
}

#[derive(Default)]
struct PatternSet {
    by_norm: HashMap<Vec<u8>, Vec<Meta>>,
}

impl PatternSet {
    fn add(&mut self, raw: &str, kind: LexKind, exact: bool, tail: Tail) {
        let (raw, tail) = match raw.strip_suffix('*') {
            Some(stem) => (stem, Tail::Open),
            None => (raw, tail),
        };
        if raw.trim().is_empty() {
            return;
        }
        let mut norm = Vec::with_capacity(raw.len() + 1);
        norm.push(b' ');
        norm.extend(
            raw.bytes()
                .map(|b| NORM[usize::from(b)].to_ascii_lowercase()),
        );
        let meta = Meta {
            kind,
            exact: exact.then(|| raw.as_bytes().into()),
            tail,
        };
        let metas = self.by_norm.entry(norm).or_default();
        if !metas.contains(&meta) {
            metas.push(meta);
        }
    }

    /// A phrase or context word: exact when it is a short all-caps acronym (`EPS`, `SEC`).
    fn phrase(&mut self, raw: &str, kind: TermKind) {
        let acronym = raw.len() <= 4
            && raw
                .bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit());
        self.add(raw, LexKind::Term(kind), acronym, Tail::Boundary);
    }
}

const LEGAL_SUFFIXES: &[&str] = &[
    " Inc.",
    " Inc",
    " Corp.",
    " Corp",
    " Corporation",
    " plc",
    " PLC",
    " Ltd.",
    " Ltd",
    " LLC",
    " S.A.",
    " SA",
    " AG",
    " N.V.",
    " NV",
    " Co.",
    " Holdings",
    " Group",
];

#[derive(Debug, thiserror::Error)]
pub enum LexiconError {
    #[error("building the lexicon automaton: {0}")]
    Build(#[from] aho_corasick::BuildError),
    #[error("starting the lexicon automaton: {0}")]
    Start(#[from] aho_corasick::MatchError),
}

impl Lexicon {
    pub(crate) fn new(list: &Watchlist) -> Result<Lexicon, LexiconError> {
        let common: HashSet<&str> = phrases::COMMON_WORDS.split_ascii_whitespace().collect();
        let is_common = |w: &str| common.contains(w.to_ascii_uppercase().as_str());
        let mut set = PatternSet::default();

        // A one-word name or alias could be an ordinary word ("Target", "Shell"): it matches
        // only as written or in capitals. Longer names match in any case.
        let add_name = |set: &mut PatternSet, name: &str, kind: LexKind| {
            let one_word = !name.contains(char::is_whitespace);
            set.add(name, kind, one_word, Tail::Boundary);
            if one_word {
                set.add(&name.to_uppercase(), kind, true, Tail::Boundary);
            }
            for suffix in LEGAL_SUFFIXES {
                if let Some(stem) = name.strip_suffix(suffix) {
                    if stem.contains(char::is_whitespace) || (!is_common(stem) && stem.len() > 3) {
                        set.add(stem, kind, false, Tail::Boundary);
                    }
                }
            }
        };

        let mut issuer_names: HashSet<String> = HashSet::new();
        for (i, issuer) in list.issuers.iter().enumerate() {
            let kind = LexKind::Issuer {
                idx: i as u32,
                restricted: issuer.list == ListKind::Restricted,
            };
            issuer_names.insert(issuer.name.to_lowercase());
            add_name(&mut set, &issuer.name, kind);
            for alias in &issuer.aliases {
                add_name(&mut set, alias, kind);
            }
            if let Some(t) = &issuer.ticker {
                // Exact capitals; a ticker that is also a word (or one letter) only as a
                // cashtag or after an exchange name.
                set.add(&format!("${t}"), kind, true, Tail::Boundary);
                if t.len() > 1 && !is_common(t) {
                    set.add(t, kind, true, Tail::Boundary);
                } else {
                    for exchange in ["NYSE", "NASDAQ", "Nasdaq", "LSE", "TSX"] {
                        set.add(&format!("{exchange}: {t}"), kind, true, Tail::Boundary);
                        set.add(&format!("{exchange}:{t}"), kind, true, Tail::Boundary);
                    }
                }
            }
        }
        // Deal parties are on the watch list by definition, even when the export omits them.
        let mut extra = list.issuers.len() as u32;
        for (d, deal) in list.deal_code_names.iter().enumerate() {
            let one_word = !deal.code_name.contains(char::is_whitespace);
            set.add(
                &deal.code_name,
                LexKind::CodeName { deal: d as u32 },
                one_word,
                Tail::Boundary,
            );
            for party in [&deal.target, &deal.acquirer].into_iter().flatten() {
                if issuer_names.insert(party.to_lowercase()) {
                    add_name(
                        &mut set,
                        party,
                        LexKind::Issuer {
                            idx: extra,
                            restricted: false,
                        },
                    );
                    extra += 1;
                }
            }
        }

        let p = &list.phrases;
        for (items, kind) in [
            (&p.mnpi, TermKind::Mnpi),
            (&p.earnings, TermKind::Earnings),
            (&p.deal, TermKind::Deal),
            (&p.trading_position, TermKind::Trading),
            (&p.regulatory_filing, TermKind::Filing),
            (&p.phi, TermKind::Phi),
        ] {
            for phrase in items {
                set.phrase(phrase, kind);
            }
        }
        for (items, kind) in [
            (phrases::CTX_ACCOUNT, TermKind::CtxAccount),
            (phrases::CTX_ROUTING, TermKind::CtxRouting),
            (phrases::CTX_SSN, TermKind::CtxSsn),
            (phrases::CTX_SECURITY, TermKind::CtxSecurity),
            (phrases::CTX_CUSIP, TermKind::CtxCusip),
            (phrases::CTX_FILING, TermKind::CtxFiling),
        ] {
            for phrase in items {
                set.phrase(phrase, kind);
            }
        }
        for (marker, min_tail) in phrases::SECRET_MARKERS {
            let tail = if *min_tail == 0 {
                Tail::Open
            } else {
                Tail::Secret(*min_tail as u8)
            };
            set.add(marker, LexKind::Secret, true, tail);
        }

        let mut entries: Vec<(Vec<u8>, Vec<Meta>)> = set.by_norm.into_iter().collect();
        entries.sort_by(|a, b| a.0.cmp(&b.0));
        let mut ranges = Vec::with_capacity(entries.len());
        let mut metas = Vec::new();
        let mut patterns = Vec::with_capacity(entries.len());
        let mut max_len = 0;
        for (norm, ms) in entries {
            ranges.push((metas.len() as u32, (metas.len() + ms.len()) as u32));
            metas.extend(ms);
            max_len = max_len.max(norm.len() - 1);
            patterns.push(norm);
        }
        let mut first = FirstWords::new();
        let mut lead = Vec::new();
        for (p, &(lo, hi)) in patterns.iter().zip(&ranges) {
            first.add(&p[1..], &metas[lo as usize..hi as usize]);
            let k = p[1..].iter().take_while(|&&b| b == b' ').count();
            if k > 0 && !lead.contains(&(k as u8)) {
                lead.push(k as u8);
            }
        }
        let pattern_lens = patterns.iter().map(|p| p.len() as u32).collect();
        let pattern_bytes: usize = patterns.iter().map(Vec::len).sum();
        let (machine, start) = if pattern_bytes <= DFA_MAX_PATTERN_BYTES {
            let dfa = DFA::builder()
                .match_kind(MatchKind::Standard)
                .start_kind(StartKind::Anchored)
                .ascii_case_insensitive(true)
                .prefilter(false)
                .byte_classes(true)
                .build(&patterns)?;
            let start = dfa.next_state(Anchored::Yes, dfa.start_state(Anchored::Yes)?, b' ');
            (Machine::Dfa(dfa), start)
        } else {
            let nfa = contiguous::NFA::builder()
                .match_kind(MatchKind::Standard)
                .ascii_case_insensitive(true)
                .prefilter(false)
                .byte_classes(true)
                .build(&patterns)?;
            let start = nfa.next_state(Anchored::Yes, nfa.start_state(Anchored::Yes)?, b' ');
            (Machine::Nfa(nfa), start)
        };
        Ok(Lexicon {
            machine,
            first,
            lead,
            pattern_lens,
            ranges,
            metas,
            max_len,
            start,
        })
    }

    pub(crate) fn state(&self) -> LexState {
        LexState {
            pos: 0,
            pending: Vec::new(),
            found: Vec::new(),
        }
    }

    pub(crate) fn memory_usage(&self) -> usize {
        match &self.machine {
            Machine::Dfa(a) => a.memory_usage(),
            Machine::Nfa(a) => a.memory_usage(),
        }
    }

    /// Longest pattern, in text bytes.
    pub(crate) fn max_len(&self) -> usize {
        self.max_len
    }

    /// Feeds the bytes the state has not seen; appends the matches that are decided.
    pub(crate) fn advance(&self, st: &mut LexState, text: &Text<'_>, out: &mut Vec<LexHit>) {
        if !st.pending.is_empty() {
            let mut pending = std::mem::take(&mut st.pending);
            pending.retain(|p| match self.decide(p.meta, p.start, p.end, text) {
                Decision::Wait => true,
                Decision::Hit(h) => {
                    out.push(h);
                    false
                }
                Decision::Reject => false,
            });
            st.pending = pending;
        }
        match &self.machine {
            Machine::Dfa(a) => self.run(a, st, text, out),
            Machine::Nfa(a) => self.run(a, st, text, out),
        }
    }

    /// The hot loop. A pattern begins at a word start (or, for a pattern that opens with
    /// separators, that many separators before one), so only word starts are examined: the
    /// whole word is looked up in [`FirstWords`], and only a candidate runs the automaton,
    /// anchored there, until it dies. A word start whose word or run is cut by the end of the
    /// text waits for more text (it is examined again from scratch).
    #[inline(always)]
    fn run<A: Automaton>(&self, a: &A, st: &mut LexState, text: &Text<'_>, out: &mut Vec<LexHit>) {
        let sep = |b: u8| NORM[usize::from(b)] == b' ';
        let bytes = text.bytes;
        let base = text.base;
        let n = bytes.len();
        let mut i = st.pos - base;
        let mut at_start = st.pos == 0 || sep(text.at(st.pos - 1));
        while i < n {
            if !at_start || sep(bytes[i]) {
                while i < n && !sep(bytes[i]) {
                    i += 1;
                }
                while i < n && sep(bytes[i]) {
                    i += 1;
                }
                if i == n {
                    break;
                }
            }
            at_start = false;
            let w = i;
            let rest = &bytes[w..];
            let lim = rest.len().min(self.max_len + 1);
            let word = rest[..lim].iter().position(|&b| sep(b));
            let (candidate, next) = match word {
                Some(k) => (self.first.may_start(k, bytes, w), w + k),
                None if rest.len() > self.max_len => {
                    // Longer than any pattern's first word: only a prefix pattern can begin.
                    (self.first.may_prefix(bytes, w), w + 1)
                }
                None if text.eof => (self.first.may_start(rest.len(), bytes, w), n),
                None => {
                    st.pos = base + w;
                    return;
                }
            };
            st.found.clear();
            if candidate && !self.walk(a, base + w, text, st) {
                st.pos = base + w;
                return;
            }
            for &k in &self.lead {
                let k = k as usize;
                let abs = base + w;
                let origin_ok = if abs > k {
                    abs - k > base && (abs - k - 1..abs).all(|p| sep(text.at(p)))
                } else {
                    abs == k && base == 0 && (0..abs).all(|p| sep(text.at(p)))
                };
                if origin_ok && !self.walk(a, abs - k, text, st) {
                    st.pos = base + w;
                    return;
                }
            }
            if !st.found.is_empty() {
                let found = std::mem::take(&mut st.found);
                for &(pid, end) in &found {
                    self.on_match(pid, end, text, st, out);
                }
                st.found = found;
            }
            i = next;
        }
        st.pos = base + i;
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
                    for k in 0..a.match_len(sid) {
                        let pid = a.match_pattern(sid, k);
                        if j + 1 == head + a.pattern_len(pid) {
                            st.found.push((pid.as_u32(), j));
                        }
                    }
                }
            }
        }
    }

    fn on_match(
        &self,
        pid: u32,
        end: usize,
        text: &Text<'_>,
        st: &mut LexState,
        out: &mut Vec<LexHit>,
    ) {
        let (lo, hi) = self.ranges[pid as usize];
        let start = end + 1 - (self.pattern_lens[pid as usize] as usize);
        if start > 0
            && text.at(start - 1) >= 0x80
            && text.char_before(start).is_some_and(char::is_alphanumeric)
        {
            return;
        }
        for m in lo..hi {
            match self.decide(m, start, end, text) {
                Decision::Wait => st.pending.push(Pending {
                    meta: m,
                    start,
                    end,
                }),
                Decision::Hit(h) => out.push(h),
                Decision::Reject => {}
            }
        }
    }

    fn decide(&self, m: u32, start: usize, end: usize, text: &Text<'_>) -> Decision {
        let meta = &self.metas[m as usize];
        if meta.tail == Tail::Boundary && end < text.end() {
            let b = text.at(end);
            if b < 0x80 && NORM[usize::from(b)] != b' ' {
                return Decision::Reject;
            }
        }
        if let Some(exact) = &meta.exact {
            let got = text.slice(start, end);
            if got.len() != exact.len() || got.iter().zip(exact.iter()).any(|(a, b)| a != b) {
                return Decision::Reject;
            }
        }
        let hit = |end| {
            Decision::Hit(LexHit {
                start,
                end,
                kind: meta.kind,
            })
        };
        match meta.tail {
            Tail::Open => hit(end),
            Tail::Boundary => {
                if end == text.end() {
                    return if text.eof { hit(end) } else { Decision::Wait };
                }
                let b = text.at(end);
                let word = if b < 0x80 {
                    NORM[usize::from(b)] != b' '
                } else {
                    text.char_at(end).is_some_and(char::is_alphanumeric)
                };
                if word {
                    Decision::Reject
                } else {
                    hit(end)
                }
            }
            Tail::Secret(min) => {
                let avail = text.slice(end, text.end());
                let tail = avail
                    .iter()
                    .take(SECRET_TAIL_CAP)
                    .take_while(|b| b.is_ascii_alphanumeric() || **b == b'-' || **b == b'_')
                    .count();
                if tail == avail.len() && tail < SECRET_TAIL_CAP && !text.eof {
                    Decision::Wait
                } else if tail >= usize::from(min) {
                    hit(end + tail)
                } else {
                    Decision::Reject
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

enum Decision {
    Wait,
    Hit(LexHit),
    Reject,
}
