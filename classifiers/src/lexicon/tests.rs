use super::*;
use crate::watchlist::{Issuer, ListKind, Watchlist};
use proptest::prelude::*;
use std::sync::LazyLock;

/// The lexicon without its filter or its comparisons: one automaton over every pattern, walked
/// from every word start (and from the separators before it that lead patterns open with).
fn reference(lex: &Lexicon, text: &str) -> Vec<LexHit> {
    let t = Text {
        bytes: text.as_bytes(),
        base: 0,
        eof: true,
    };
    let bytes = text.as_bytes();
    let all = if std::ptr::eq(lex, &*SMALL) {
        &*SMALL_ALL
    } else {
        &*LARGE_ALL
    };
    let start = all.next_state(Anchored::Yes, all.start_state(Anchored::Yes).unwrap(), b' ');
    // Every match of a walk anchored at `head` (the text after the pattern's leading space).
    let walk = |head: usize, found: &mut Vec<(u32, usize)>| {
        let mut sid = start;
        for j in head..bytes.len() {
            sid = all.next_state(Anchored::Yes, sid, NORM[usize::from(bytes[j])]);
            if all.is_dead(sid) {
                return;
            }
            if !all.is_match(sid) {
                continue;
            }
            let word_next = j + 1 < bytes.len() && is_word(bytes[j + 1]);
            for k in 0..all.match_len(sid) {
                let pid = all.match_pattern(sid, k);
                // Matches inherited from shorter suffixes begin elsewhere.
                let anchored = all.pattern_len(pid) == j + 2 - head;
                if anchored && !(word_next && lex.patterns[pid.as_usize()].boundary_only) {
                    found.push((pid.as_u32(), j + 1));
                }
            }
        }
    };
    let mut st = lex.state();
    let mut out = Vec::new();
    for w in 0..bytes.len() {
        if !is_word(bytes[w]) || (w > 0 && is_word(bytes[w - 1])) {
            continue;
        }
        let mut found = Vec::new();
        walk(w, &mut found);
        for &k in &lex.lead {
            let k = usize::from(k);
            let seps = |from: usize| (from..w).all(|p| !is_word(bytes[p]));
            let origin_ok = if w > k {
                seps(w - k - 1)
            } else {
                w == k && seps(0)
            };
            if origin_ok {
                walk(w - k, &mut found);
            }
        }
        for &(pid, end) in &found {
            lex.on_match(pid, end, &t, &mut st, &mut out);
        }
    }
    out
}

fn filtered(lex: &Lexicon, text: &str) -> Vec<LexHit> {
    let t = Text {
        bytes: text.as_bytes(),
        base: 0,
        eof: true,
    };
    let mut st = lex.state();
    let mut out = Vec::new();
    lex.advance(&mut st, &t, &mut out);
    out
}

fn list() -> Watchlist {
    let mut list = Watchlist::from_json(
        br##"{
      "issuers": [
        {"name": "Halvorsen Biotech", "ticker": "HLVB", "aliases": ["Halvorsen"], "list": "restricted"},
        {"name": "Norrland Timber Inc.", "ticker": "NRLT", "aliases": ["NT"], "list": "watch"},
        {"name": "Target", "ticker": "ALL", "aliases": [], "list": "watch"},
        {"name": "Qua Systems", "ticker": "QUA", "aliases": [], "list": "watch"}
      ],
      "deal_code_names": [{"code_name": "Project Falcon", "target": "Halvorsen Biotech"}],
      "phrases": {"mnpi": ["--- embargo", "(draft", "#memo", "x*", "(pre*"]}
    }"##,
    )
    .expect("the test list is valid");
    list.phrases.deal.push("Ab*".into());
    // A phrase without a word is refused by the loader; the lexicon skips one given directly.
    list.phrases.mnpi.push("---".into());
    list
}

static SMALL: LazyLock<Lexicon> = LazyLock::new(|| Lexicon::new(&list()).unwrap());
static SMALL_ALL: LazyLock<contiguous::NFA> = LazyLock::new(|| one_automaton(&SMALL));
static LARGE_ALL: LazyLock<contiguous::NFA> = LazyLock::new(|| one_automaton(&LARGE));

/// One automaton over every pattern of `lex`.
fn one_automaton(lex: &Lexicon) -> contiguous::NFA {
    contiguous::NFA::builder()
        .ascii_case_insensitive(true)
        .build(&lex.norms)
        .unwrap()
}

/// Enough issuers that the automaton is the contiguous NFA rather than the DFA.
static LARGE: LazyLock<Lexicon> = LazyLock::new(|| {
    let mut list = list();
    let syllables = [
        "hal", "vor", "sen", "qua", "the", "dal", "mar", "ab", "x", "rt",
    ];
    let word = |i: usize| {
        let w: String = [i % 10, i / 10 % 10, i / 100 % 10]
            .iter()
            .map(|&k| syllables[k])
            .collect();
        format!("{}{}", w[..1].to_uppercase(), &w[1..])
    };
    for i in 0..4000usize {
        list.issuers.push(Issuer {
            name: format!("{} {} Holdings", word(i), word(i / 7 + 3)),
            ticker: Some(format!("{}{}", word(i / 10)[..3].to_uppercase(), i / 1000)),
            aliases: vec![word(i)],
            list: ListKind::Watch,
        });
    }
    Lexicon::new(&list).unwrap()
});

#[test]
fn names_are_compared_and_only_prefix_and_lead_patterns_reach_the_automaton() {
    for lex in [&*SMALL, &*LARGE] {
        assert!(matches!(lex.machine, Machine::Dfa(_)));
        assert!(!lex.lead.is_empty());
        assert!(lex.auto_pids.len() < 40, "{}", lex.auto_pids.len());
    }
    assert!(LARGE.norms.len() > 5_000, "{}", LARGE.norms.len());
}

const VOCAB: &[&str] = &[
    "Halvorsen",
    "HALVORSEN",
    "halvorsen",
    "Halvorsenß",
    "HLVB",
    "hlvb",
    "$HLVB",
    "Hlvb",
    "Biotech",
    "Norrland",
    "timber",
    "NT",
    "nt",
    "Target",
    "target",
    "TARGET",
    "ALL",
    "all",
    "NYSE",
    "Qua",
    "QUA",
    "qua",
    "quarter",
    "Quarterly",
    "results",
    "Systems",
    "Project",
    "falcon",
    "acquisition",
    "Acquired",
    "acqui",
    "ab",
    "Ab",
    "abc",
    "a",
    "c",
    "the",
    "desk",
    "is",
    "long",
    "we",
    "are",
    "AKIAABCDEFGHIJKLMNOP",
    "AKIA",
    "akia",
    "sk",
    "ant",
    "ghp_abcdefghijklmnopqrstuvwxyz",
    "BEGIN",
    "PRIVATE",
    "KEY",
    "embargo",
    "draft",
    "memo",
    "pre",
    "Prefix",
    "x",
    "xylophone",
    "10",
    "K",
    "13F",
    "P",
    "L",
    "é",
    "—",
    "Hal",
    "Halvor",
    "Vorsen",
    "Supercalifragilisticexpialidociousandthensomemorelettersbeyondeverypattern",
    "Theholtab",
    "Habrt",
    "Xx",
    "Qua9",
    "HA3",
    "Vorqua",
];
const SEPS: &[&str] = &[
    " (", " -----", "\n--- ", " ", "", "  ", "\n", ", ", "-", "/", ": ", ":", "(", ") ", "-----",
    "'",
];

fn text_strategy() -> impl Strategy<Value = String> {
    proptest::collection::vec((0..VOCAB.len(), 0..SEPS.len()), 0..40).prop_map(|ps| {
        ps.into_iter()
            .map(|(w, s)| format!("{}{}", VOCAB[w], SEPS[s]))
            .collect()
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 600, ..ProptestConfig::default() })]

    #[test]
    fn the_filter_never_hides_a_match(text in text_strategy()) {
        for lex in [&*SMALL, &*LARGE] {
            prop_assert_eq!(filtered(lex, &text), reference(lex, &text));
        }
    }
}

#[test]
fn filtered_scan_equals_the_reference_on_long_texts() {
    let mut text = String::new();
    for i in 0..3000 {
        text.push_str(VOCAB[(i * 31 + i / 7) % VOCAB.len()]);
        text.push_str(SEPS[(i * 17 + i / 3) % SEPS.len()]);
    }
    for lex in [&*SMALL, &*LARGE] {
        let got = filtered(lex, &text);
        assert!(got.len() > 100);
        assert_eq!(got, reference(lex, &text));
    }
}
