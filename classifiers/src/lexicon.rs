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
use aho_corasick::{Anchored, MatchKind};
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

pub(crate) struct Lexicon {
    machine: Machine,
    /// Bit per trigram that some pattern begins with (after its leading space): a word start
    /// whose first three bytes are not in it cannot begin a match.
    starts: Vec<u64>,
    /// Per automaton pattern, the range of `metas` it stands for.
    ranges: Vec<(u32, u32)>,
    metas: Vec<Meta>,
    /// Longest pattern in text bytes (without the leading space).
    max_len: usize,
    /// State after the virtual space that precedes every stream.
    start: StateID,
}

pub(crate) struct LexState {
    sid: StateID,
    pos: usize,
    pending: Vec<Pending>,
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
        let mut starts = vec![0u64; (TRI_N * TRI_N * TRI_N).div_ceil(64)];
        for p in &patterns {
            let head = &p[1..];
            let any: Vec<u8> = (0u8..=255)
                .filter(|b| TRI[usize::from(*b)] != 0 || *b == b'a')
                .collect();
            let pick =
                |k: usize| -> Vec<u8> { head.get(k).map_or_else(|| any.clone(), |b| vec![*b]) };
            for &a in &pick(0) {
                for &b in &pick(1) {
                    for &c in &pick(2) {
                        let t = tri_index(a, b, c);
                        starts[t / 64] |= 1 << (t % 64);
                    }
                }
            }
        }
        let pattern_bytes: usize = patterns.iter().map(Vec::len).sum();
        let (machine, start) = if pattern_bytes <= DFA_MAX_PATTERN_BYTES {
            let dfa = DFA::builder()
                .match_kind(MatchKind::Standard)
                .ascii_case_insensitive(true)
                .prefilter(false)
                .byte_classes(true)
                .build(&patterns)?;
            let start = dfa.next_state(Anchored::No, dfa.start_state(Anchored::No)?, b' ');
            (Machine::Dfa(dfa), start)
        } else {
            let nfa = contiguous::NFA::builder()
                .match_kind(MatchKind::Standard)
                .ascii_case_insensitive(true)
                .prefilter(false)
                .byte_classes(true)
                .build(&patterns)?;
            let start = nfa.next_state(Anchored::No, nfa.start_state(Anchored::No)?, b' ');
            (Machine::Nfa(nfa), start)
        };
        Ok(Lexicon {
            machine,
            starts,
            ranges,
            metas,
            max_len,
            start,
        })
    }

    pub(crate) fn state(&self) -> LexState {
        LexState {
            sid: self.start,
            pos: 0,
            pending: Vec::new(),
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
        st.pos = text.end();
    }

    /// The hot loop. Every pattern begins with a space, so while the automaton sits in its
    /// root state (no partial match) nothing can start before the next separator: skip to it.
    #[inline(always)]
    fn run<A: Automaton>(&self, a: &A, st: &mut LexState, text: &Text<'_>, out: &mut Vec<LexHit>) {
        let Ok(root) = a.start_state(Anchored::No) else {
            return;
        };
        let bytes = text.bytes;
        let mut sid = st.sid;
        let mut i = st.pos - text.base;
        while i < bytes.len() {
            if sid == self.start && i + 3 <= bytes.len() && NORM[usize::from(bytes[i])] != b' ' {
                // Only the separator before `i` is matched: a match must begin at `i` or after
                // the next separator.
                let t = tri_index(bytes[i], bytes[i + 1], bytes[i + 2]);
                if self.starts[t / 64] & (1 << (t % 64)) == 0 {
                    sid = root;
                    i += 1;
                }
            }
            if sid == root {
                match bytes[i..]
                    .iter()
                    .position(|&b| NORM[usize::from(b)] == b' ')
                {
                    Some(k) => i += k,
                    None => break,
                }
            }
            sid = a.next_state(Anchored::No, sid, NORM[usize::from(bytes[i])]);
            i += 1;
            if a.is_special(sid) && a.is_match(sid) {
                self.on_match(a, sid, text.base + i, text, st, out);
            }
        }
        st.sid = sid;
    }

    fn on_match<A: Automaton>(
        &self,
        a: &A,
        sid: StateID,
        end: usize,
        text: &Text<'_>,
        st: &mut LexState,
        out: &mut Vec<LexHit>,
    ) {
        for k in 0..a.match_len(sid) {
            let pid = a.match_pattern(sid, k);
            let start = end + 1 - a.pattern_len(pid);
            if start > 0
                && text.at(start - 1) >= 0x80
                && text.char_before(start).is_some_and(char::is_alphanumeric)
            {
                continue;
            }
            let (lo, hi) = self.ranges[pid.as_usize()];
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
    }

    fn decide(&self, m: u32, start: usize, end: usize, text: &Text<'_>) -> Decision {
        let meta = &self.metas[m as usize];
        if let Some(exact) = &meta.exact {
            if text.slice(start, end) != &exact[..] {
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
