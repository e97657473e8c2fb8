//! What an automaton match becomes: the character before it, then per spelling group the exact
//! spelling and the tail (word boundary, open, credential token), each group decided once for
//! every kind it stands for.

use super::words::NORM;
use super::{LexHit, LexState, Lexicon, Pending, Tail};
use crate::text::Text;

/// Longest credential token kept in a finding after its marker.
const SECRET_TAIL_CAP: usize = 200;

pub(super) enum Decision {
    Wait,
    /// A hit ending here.
    Hit(usize),
    Reject,
}

impl Lexicon {
    pub(super) fn on_match(
        &self,
        pid: u32,
        end: usize,
        text: &Text<'_>,
        st: &mut LexState,
        out: &mut Vec<LexHit>,
    ) {
        let info = self.patterns[pid as usize];
        let start = end + 1 - (info.len as usize);
        if start > 0
            && text.at(start - 1) >= 0x80
            && text.char_before(start).is_some_and(char::is_alphanumeric)
        {
            return;
        }
        for g in info.groups.0..info.groups.1 {
            match self.decide(g, start, end, text) {
                Decision::Wait => st.pending.push(Pending {
                    group: g,
                    start,
                    end,
                }),
                Decision::Hit(end) => self.emit(g, start, end, out),
                Decision::Reject => {}
            }
        }
    }

    pub(super) fn emit(&self, g: u32, start: usize, end: usize, out: &mut Vec<LexHit>) {
        let (lo, hi) = self.groups[g as usize].kinds;
        for &kind in &self.kinds[lo as usize..hi as usize] {
            out.push(LexHit { start, end, kind });
        }
    }

    pub(super) fn decide(&self, g: u32, start: usize, end: usize, text: &Text<'_>) -> Decision {
        let group = &self.groups[g as usize];
        if group.tail == Tail::Boundary && end < text.end() {
            let b = text.at(end);
            if b < 0x80 && NORM[usize::from(b)] != b' ' {
                return Decision::Reject;
            }
        }
        if let Some((at, len)) = group.exact {
            let exact = &self.spellings[at as usize..(at + len) as usize];
            if text.slice(start, end) != exact {
                return Decision::Reject;
            }
        }
        match group.tail {
            Tail::Open => Decision::Hit(end),
            Tail::Boundary => {
                if end == text.end() {
                    return if text.eof {
                        Decision::Hit(end)
                    } else {
                        Decision::Wait
                    };
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
                    Decision::Hit(end)
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
                    Decision::Hit(end + tail)
                } else {
                    Decision::Reject
                }
            }
        }
    }
}
