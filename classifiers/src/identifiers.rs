//! Identifiers with check digits, proposed only where a digit or `@` appears.
//!
//! For a trigger byte the candidate starts are the beginning of its token (letters, digits and
//! `._%+-`, at most 64 bytes back), each position after a `._%+-` inside it, and an opening
//! parenthesis just before it. From each start an anchored multi-pattern DFA (regex-automata,
//! every pattern of bounded length) runs until it dies; of the ends it reports, the longest that
//! is followed by a boundary and passes its validator wins. The first start with a winner gives
//! the hit and scanning resumes after it. Every decision reads a bounded stretch of text, and
//! is put off while that stretch is not all there, so chunking cannot change the outcome.

mod bytes;

use crate::text::Text;
use crate::validators;
pub(crate) use bytes::is_token;
use bytes::{find_trigger, token_run};
use regex_automata::dfa::{dense, Automaton, StartKind};
use regex_automata::util::primitives::StateID;
use regex_automata::util::start;
use regex_automata::{Anchored, MatchKind};

const BACK_LIMIT: usize = 64;

/// What an identifier hit may be; the rule stage picks labels from these and the context words
/// around it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub(crate) struct IdFlags(pub u16);

impl IdFlags {
    pub const CARD: u16 = 1;
    pub const SSN: u16 = 1 << 1;
    pub const IBAN: u16 = 1 << 2;
    pub const ISIN: u16 = 1 << 3;
    /// CUSIP with at least one letter (distinctive on its own).
    pub const CUSIP: u16 = 1 << 4;
    /// Nine digits with a valid CUSIP check digit (needs a context word).
    pub const CUSIP_NUM: u16 = 1 << 5;
    pub const ABA: u16 = 1 << 6;
    pub const SSN_BARE: u16 = 1 << 7;
    pub const ACCOUNT: u16 = 1 << 8;
    pub const EMAIL: u16 = 1 << 9;
    pub const PHONE: u16 = 1 << 10;

    pub fn has(self, f: u16) -> bool {
        self.0 & f != 0
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct IdHit {
    pub start: usize,
    pub end: usize,
    pub flags: IdFlags,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Pat {
    Card,
    Ssn,
    Digits,
    Iban,
    Isin,
    Cusip,
    Email,
    PhoneNanp,
    PhoneIntl,
}

const PATTERNS: &[(Pat, &str)] = &[
    (Pat::Card, r"[0-9](?:[ -]?[0-9]){12,18}"),
    (
        Pat::Ssn,
        r"[0-9]{3}-[0-9]{2}-[0-9]{4}|[0-9]{3} [0-9]{2} [0-9]{4}",
    ),
    (Pat::Digits, r"[0-9]{6,17}"),
    (Pat::Iban, r"[A-Z]{2}[0-9]{2}(?: ?[A-Z0-9]){11,30}"),
    (Pat::Isin, r"[A-Z]{2}[A-Z0-9]{9}[0-9]"),
    (Pat::Cusip, r"[0-9]{3}[A-Z0-9*@#]{5}[0-9]"),
    (
        Pat::Email,
        r"[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63}){1,4}",
    ),
    (
        Pat::PhoneNanp,
        r"(?:\+?1[ .-]?)?(?:\([2-9][0-9]{2}\) ?|[2-9][0-9]{2}[ .-])[2-9][0-9]{2}[ .-][0-9]{4}",
    ),
    (Pat::PhoneIntl, r"\+[1-9][0-9]{0,2}(?:[ .-][0-9]{2,5}){2,5}"),
];

pub(crate) struct IdMatcher {
    dfa: dense::DFA<Vec<u32>>,
    start: StateID,
}

/// Where the identifier layer stands in the stream.
pub(crate) struct IdState {
    /// Next offset to look for a trigger from.
    scan: usize,
    /// Candidate starts below this were tried already or lie inside an earlier hit.
    floor: usize,
    /// Lowest start a hit not yet reported can have.
    known: usize,
    ends: Vec<(u8, usize)>,
    starts: Vec<usize>,
}

#[derive(Debug, thiserror::Error)]
pub enum IdentifierError {
    #[error("building the identifier automaton: {0}")]
    Build(Box<dense::BuildError>),
    #[error("starting the identifier automaton: {0}")]
    Start(#[from] regex_automata::dfa::StartError),
}

#[inline]
fn is_sep(b: u8) -> bool {
    matches!(b, b'.' | b'_' | b'%' | b'+' | b'-')
}

enum Outcome {
    Wait,
    Hit(IdHit),
    Nothing,
}

impl IdMatcher {
    pub(crate) fn new() -> Result<IdMatcher, IdentifierError> {
        let sources: Vec<&str> = PATTERNS.iter().map(|(_, s)| *s).collect();
        let dfa = dense::Builder::new()
            .configure(
                dense::Config::new()
                    .match_kind(MatchKind::All)
                    .start_kind(StartKind::Anchored),
            )
            .syntax(
                regex_automata::util::syntax::Config::new()
                    .unicode(false)
                    .utf8(false),
            )
            .build_many(&sources)
            .map_err(|e| IdentifierError::Build(Box::new(e)))?;
        let start = dfa.start_state(&start::Config::new().anchored(Anchored::Yes))?;
        Ok(IdMatcher { dfa, start })
    }

    pub(crate) fn state(&self) -> IdState {
        IdState {
            scan: 0,
            floor: 0,
            known: 0,
            ends: Vec::new(),
            starts: Vec::new(),
        }
    }

    pub(crate) fn memory_usage(&self) -> usize {
        self.dfa.memory_usage()
    }

    /// Every identifier hit starting before this offset has been reported.
    pub(crate) fn known_before(&self, st: &IdState) -> usize {
        st.known
    }

    /// Lowest offset the state still needs to read.
    pub(crate) fn needs_from(&self, st: &IdState) -> usize {
        st.known.min(st.scan.saturating_sub(BACK_LIMIT + 8))
    }

    #[inline]
    /// `quiet_from`: no digit or `@` stands between this offset and the end of the text (the
    /// lexicon's pass saw none), so a scan starting there finds no trigger. `enough`: an offset
    /// below which the caller does not need [`IdMatcher::known_before`] to be exact, if that
    /// holds for it (see [`IdMatcher::trailing_bound`]).
    pub(crate) fn advance(
        &self,
        st: &mut IdState,
        text: &Text<'_>,
        quiet_from: usize,
        enough: Option<usize>,
        out: &mut Vec<IdHit>,
    ) {
        let end = text.end();
        loop {
            let rel = if st.scan >= quiet_from {
                None
            } else {
                find_trigger(&text.bytes[st.scan - text.base..])
            };
            let Some(rel) = rel else {
                st.scan = end;
                st.known = if text.eof {
                    usize::MAX
                } else {
                    self.trailing_bound(st, text, enough)
                };
                return;
            };
            if !self.at_trigger(st, text, st.scan + rel, out) {
                return;
            }
        }
    }

    /// Tries the candidate starts of the trigger at `p`, moving the scan past it (or past the
    /// hit it gives). False when a decision waits for more text. Out of line: most calls of
    /// [`IdMatcher::advance`] (a streamed chunk of prose) see no trigger at all.
    #[inline(never)]
    fn at_trigger(
        &self,
        st: &mut IdState,
        text: &Text<'_>,
        p: usize,
        out: &mut Vec<IdHit>,
    ) -> bool {
        self.candidate_starts(st, text, p);
        let mut decided = None;
        for i in 0..st.starts.len() {
            match self.try_at(st, st.starts[i], text) {
                Outcome::Wait => {
                    st.known = st.known.max(st.starts[0]);
                    return false;
                }
                Outcome::Hit(h) => {
                    decided = Some(h);
                    break;
                }
                Outcome::Nothing => {}
            }
        }
        match decided {
            Some(h) => {
                out.push(h);
                st.scan = h.end;
                st.floor = h.end;
            }
            None => {
                st.scan = p + 1;
                st.floor = st.floor.max(p + 1);
            }
        }
        true
    }

    /// Lowest start a future trigger (at or after the end of the text) could propose: the
    /// start of the token that ends the text (or the byte before it, for a `(`).
    ///
    /// With `enough = Some(k)`, the caller has seen a byte that is not a token byte after `k`
    /// (`k + 1 <= p < end`): no token ending the text reaches below `p + 1`, so the bound is at
    /// least `k`, and `k` is returned without counting (a streamed piece usually ends inside
    /// a word, and the count would walk it byte by byte on every piece).
    fn trailing_bound(&self, st: &IdState, text: &Text<'_>, enough: Option<usize>) -> usize {
        if let Some(k) = enough {
            return st.known.max(st.floor).max(k);
        }
        let end = text.end();
        let lim = st.floor.max(end.saturating_sub(BACK_LIMIT));
        let tail = if lim < end { text.slice(lim, end) } else { &[] };
        st.known
            .max(st.floor)
            .max((end - token_run(tail)).saturating_sub(1))
    }

    fn candidate_starts(&self, st: &mut IdState, text: &Text<'_>, p: usize) {
        st.starts.clear();
        let lim = st.floor.max(p.saturating_sub(BACK_LIMIT));
        let mut ts = p;
        while ts > lim && is_token(text.at(ts - 1)) {
            ts -= 1;
        }
        let token_start = ts == 0 || (ts > text.base && !is_token(text.at(ts - 1)));
        if token_start && ts > st.floor && text.at(ts - 1) == b'(' {
            st.starts.push(ts - 1);
        }
        if token_start && ts >= st.floor {
            st.starts.push(ts);
        }
        for q in ts + 1..=p {
            if q >= st.floor
                && is_sep(text.at(q - 1))
                && (q == p || text.at(q).is_ascii_alphanumeric())
            {
                st.starts.push(q);
            }
        }
    }

    fn try_at(&self, st: &mut IdState, c: usize, text: &Text<'_>) -> Outcome {
        let dfa = &self.dfa;
        let end = text.end();
        st.ends.clear();
        let mut sid = self.start;
        let mut i = c;
        loop {
            if i == end {
                if !text.eof {
                    return Outcome::Wait;
                }
                sid = dfa.next_eoi_state(sid);
                record(dfa, sid, i, &mut st.ends);
                break;
            }
            sid = dfa.next_state(sid, text.at(i));
            if dfa.is_special_state(sid) {
                if dfa.is_dead_state(sid) {
                    break;
                }
                record(dfa, sid, i, &mut st.ends);
            }
            i += 1;
        }
        // Longest end first; per pattern the first acceptable end is its answer.
        st.ends
            .sort_unstable_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        let mut best: Option<IdHit> = None;
        let mut done = [false; 9];
        for &(pi, e) in &st.ends {
            let pi = usize::from(pi);
            if done[pi] || best.is_some_and(|b| e < b.end) {
                continue;
            }
            match boundary_after(text, e) {
                None => return Outcome::Wait,
                Some(false) => continue,
                Some(true) => {}
            }
            let raw = text.slice(c, e);
            let flags = validate(PATTERNS[pi].0, raw);
            if flags == 0 {
                continue;
            }
            done[pi] = true;
            match &mut best {
                Some(b) => b.flags.0 |= flags,
                None => {
                    best = Some(IdHit {
                        start: c,
                        end: e,
                        flags: IdFlags(flags),
                    })
                }
            }
        }
        match best {
            Some(h) => Outcome::Hit(h),
            None => Outcome::Nothing,
        }
    }
}

fn record(dfa: &dense::DFA<Vec<u32>>, sid: StateID, end: usize, ends: &mut Vec<(u8, usize)>) {
    if dfa.is_match_state(sid) {
        for k in 0..dfa.match_len(sid) {
            ends.push((dfa.match_pattern(sid, k).as_usize() as u8, end));
        }
    }
}

/// `Some(true)` when an identifier may end at `e`: not followed by a letter, digit, `@`, or a
/// `-`/`.`/`/` that leads into another digit. `None` while the deciding bytes have not arrived.
fn boundary_after(text: &Text<'_>, e: usize) -> Option<bool> {
    let end = text.end();
    if e == end {
        return if text.eof { Some(true) } else { None };
    }
    let b = text.at(e);
    if b.is_ascii_alphanumeric() || b == b'@' || b == b'_' {
        return Some(false);
    }
    if b >= 0x80 {
        return Some(!text.char_at(e).is_some_and(char::is_alphanumeric));
    }
    if matches!(b, b'-' | b'.' | b'/') {
        if e + 1 == end {
            return if text.eof { Some(true) } else { None };
        }
        return Some(!text.at(e + 1).is_ascii_digit());
    }
    Some(true)
}

fn validate(pat: Pat, raw: &[u8]) -> u16 {
    match pat {
        Pat::Card if validators::card(raw) => IdFlags::CARD,
        Pat::Ssn if validators::us_ssn(raw) => IdFlags::SSN,
        Pat::Digits => {
            let mut f = 0;
            if (8..=17).contains(&raw.len()) {
                f |= IdFlags::ACCOUNT;
            }
            if raw.len() == 9 {
                if validators::aba_routing(raw) {
                    f |= IdFlags::ABA;
                }
                if validators::us_ssn(raw) {
                    f |= IdFlags::SSN_BARE;
                }
                if validators::cusip(raw) {
                    f |= IdFlags::CUSIP_NUM;
                }
            }
            f
        }
        Pat::Iban if validators::iban(raw) => IdFlags::IBAN,
        Pat::Isin if validators::isin(raw) => IdFlags::ISIN,
        Pat::Cusip if validators::cusip(raw) => {
            if raw.iter().any(u8::is_ascii_uppercase) {
                IdFlags::CUSIP
            } else {
                IdFlags::CUSIP_NUM
            }
        }
        Pat::Email if email_ok(raw) => IdFlags::EMAIL,
        Pat::PhoneNanp if matches!(validators::digit_count(raw), 10 | 11) => IdFlags::PHONE,
        Pat::PhoneIntl if (8..=15).contains(&validators::digit_count(raw)) => IdFlags::PHONE,
        _ => 0,
    }
}

fn email_ok(raw: &[u8]) -> bool {
    let Some(at) = raw.iter().position(|&b| b == b'@') else {
        return false;
    };
    let (local, domain) = (&raw[..at], &raw[at + 1..]);
    let tld = domain.rsplit(|&b| b == b'.').next().unwrap_or_default();
    !local.starts_with(b".")
        && !local.ends_with(b".")
        && tld.len() >= 2
        && tld.iter().all(u8::is_ascii_alphabetic)
        && !domain
            .split(|&b| b == b'.')
            .any(|l| l.is_empty() || l.starts_with(b"-") || l.ends_with(b"-"))
}

#[cfg(test)]
mod tests;
