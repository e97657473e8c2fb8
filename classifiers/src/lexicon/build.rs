//! Compiling the watch list and phrase lists into the lexicon: every spelling normalized into
//! one automaton pattern, the metadata each pattern stands for, and the first-word filter.

use super::starts::{Route, Starts};
use super::words::NORM;
use super::{Group, LexKind, Lexicon, Machine, Meta, PatternInfo, Tail, TermKind};
use crate::phrases;
use crate::watchlist::{ListKind, Watchlist};
use aho_corasick::automaton::Automaton;
use aho_corasick::dfa::DFA;
use aho_corasick::nfa::contiguous;
use aho_corasick::{Anchored, MatchKind, StartKind};
use std::collections::{HashMap, HashSet};

/// Pattern bytes up to which the DFA is used (about 16 MiB of transitions).
const DFA_MAX_PATTERN_BYTES: usize = 64 * 1024;

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
        // A pattern needs a word: one of separators only would match any punctuation.
        if !raw.bytes().any(|b| NORM[usize::from(b)] != b' ') {
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
        let starts = Starts::new(
            patterns
                .iter()
                .zip(&ranges)
                .enumerate()
                .map(|(pid, (p, &(lo, hi)))| {
                    (pid as u32, &p[1..], &metas[lo as usize..hi as usize])
                }),
        );
        let mut lead = Vec::new();
        for p in &patterns {
            let k = p[1..].iter().take_while(|&&b| b == b' ').count();
            if k > 0 && !lead.contains(&(k as u8)) {
                lead.push(k as u8);
            }
        }
        let mut infos = Vec::with_capacity(patterns.len());
        let mut groups: Vec<Group> = Vec::new();
        let mut kinds = Vec::new();
        let mut spellings = Vec::new();
        for (p, &(lo, hi)) in patterns.iter().zip(&ranges) {
            let ms = &metas[lo as usize..hi as usize];
            let first = groups.len() as u32;
            let mut seen: Vec<(Option<&[u8]>, Tail)> = Vec::new();
            for m in ms {
                let key = (m.exact.as_deref(), m.tail);
                if seen.contains(&key) {
                    continue;
                }
                seen.push(key);
                let from = kinds.len() as u32;
                kinds.extend(
                    ms.iter()
                        .filter(|o| (o.exact.as_deref(), o.tail) == key)
                        .map(|o| o.kind),
                );
                let exact = m.exact.as_deref().map(|e| {
                    let at = spellings.len() as u32;
                    spellings.extend_from_slice(e);
                    (at, e.len() as u32)
                });
                groups.push(Group {
                    exact,
                    tail: m.tail,
                    kinds: (from, kinds.len() as u32),
                });
            }
            infos.push(PatternInfo {
                len: p.len() as u32,
                boundary_only: ms.iter().all(|m| m.tail == Tail::Boundary),
                groups: (first, groups.len() as u32),
            });
        }
        // Only prefix and lead patterns need the automaton; the rest are compared.
        let auto_pids: Vec<u32> = (0..patterns.len() as u32)
            .filter(|&pid| {
                let (lo, hi) = ranges[pid as usize];
                let metas = &metas[lo as usize..hi as usize];
                Route::of(&patterns[pid as usize][1..], metas) != Route::Word
            })
            .collect();
        let auto: Vec<&[u8]> = auto_pids
            .iter()
            .map(|&pid| patterns[pid as usize].as_slice())
            .collect();
        let pattern_bytes: usize = auto.iter().map(|p| p.len()).sum();
        let (machine, start) = if pattern_bytes <= DFA_MAX_PATTERN_BYTES {
            let dfa = DFA::builder()
                .match_kind(MatchKind::Standard)
                .start_kind(StartKind::Anchored)
                .ascii_case_insensitive(true)
                .prefilter(false)
                .byte_classes(true)
                .build(&auto)?;
            let start = dfa.next_state(Anchored::Yes, dfa.start_state(Anchored::Yes)?, b' ');
            (Machine::Dfa(dfa), start)
        } else {
            let nfa = contiguous::NFA::builder()
                .match_kind(MatchKind::Standard)
                .ascii_case_insensitive(true)
                .prefilter(false)
                .byte_classes(true)
                .build(&auto)?;
            let start = nfa.next_state(Anchored::Yes, nfa.start_state(Anchored::Yes)?, b' ');
            (Machine::Nfa(nfa), start)
        };
        Ok(Lexicon {
            machine,
            auto_pids,
            starts,
            lead_span: lead.iter().max().map_or(0, |&k| usize::from(k) + 1),
            lead,
            patterns: infos,
            groups,
            kinds,
            spellings,
            max_len,
            start,
            #[cfg(test)]
            norms: patterns,
        })
    }
}
