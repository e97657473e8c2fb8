//! From hits to findings: standalone labels, proximity between watch-list issuers (or MNPI
//! phrases) and earnings or deal terms, and context words around ambiguous identifiers.
//!
//! An anchor (issuer, MNPI phrase, identifier) is decided once every hit that could fall in its
//! window has been reported, i.e. when the layers' common horizon `known` passes
//! `anchor.end + proximity_bytes`. Partners are kept while an anchor still to come could reach
//! them. Findings of a proximity rule span the anchor and all its partners, so the text they
//! cover is held back until the decision.

use crate::identifiers::{IdFlags, IdHit};
use crate::lexicon::{LexHit, LexKind, TermKind};
use crate::text::Text;
use crate::{ClassifierConfig, Finding, Label, Severity, Span};

mod decide;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum HitKind {
    Lex(LexKind),
    Id(IdFlags),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Hit {
    pub start: usize,
    pub end: usize,
    pub kind: HitKind,
}

impl From<LexHit> for Hit {
    fn from(h: LexHit) -> Hit {
        Hit {
            start: h.start,
            end: h.end,
            kind: HitKind::Lex(h.kind),
        }
    }
}

impl From<IdHit> for Hit {
    fn from(h: IdHit) -> Hit {
        Hit {
            start: h.start,
            end: h.end,
            kind: HitKind::Id(h.flags),
        }
    }
}

impl Hit {
    fn term(&self) -> Option<TermKind> {
        match self.kind {
            HitKind::Lex(LexKind::Term(t)) => Some(t),
            _ => None,
        }
    }
    fn issuer(&self) -> Option<u32> {
        match self.kind {
            HitKind::Lex(LexKind::Issuer { idx, .. }) => Some(idx),
            _ => None,
        }
    }
    /// Partners whose text joins the finding of the anchor they pair with.
    fn extends_span(&self) -> bool {
        self.term().is_some_and(extends_span)
    }
}

/// The partners of issuers and MNPI phrases, whose text joins the finding.
fn extends_span(t: TermKind) -> bool {
    matches!(t, TermKind::Earnings | TermKind::Deal)
}

/// The context words of identifiers.
fn is_context(t: TermKind) -> bool {
    matches!(
        t,
        TermKind::CtxAccount
            | TermKind::CtxRouting
            | TermKind::CtxSsn
            | TermKind::CtxSecurity
            | TermKind::CtxCusip
            | TermKind::CtxFiling
    )
}

pub(crate) struct RuleState {
    pending: Vec<Hit>,
    /// Partners and issuer mentions, sorted by start.
    retained: Vec<Hit>,
    near: Vec<Hit>,
    /// Anchors being decided (kept for its allocation).
    ready: Vec<Hit>,
    /// Longest lexicon hit: a partner ending near an anchor starts at most this much earlier.
    max_len: usize,
}

fn finding(
    label: Label,
    severity: Severity,
    confidence: f32,
    start: usize,
    end: usize,
    detector: &'static str,
) -> Finding {
    Finding {
        label,
        severity,
        confidence,
        span: Span { start, end },
        detector,
    }
}

impl RuleState {
    pub(crate) fn new(max_len: usize) -> RuleState {
        RuleState {
            pending: Vec::new(),
            retained: Vec::new(),
            near: Vec::new(),
            ready: Vec::new(),
            max_len,
        }
    }

    fn retain_hit(&mut self, hit: Hit) {
        // Hits mostly come in order: then it is a push.
        if self.retained.last().is_none_or(|h| h.start <= hit.start) {
            self.retained.push(hit);
            return;
        }
        let at = self.retained.partition_point(|h| h.start <= hit.start);
        self.retained.insert(at, hit);
    }

    /// Retained hits that may lie within `gap` of `[start, end)`. Anchors are decided in start
    /// order, so the window's low end only moves forward: `cursor` keeps it between calls
    /// (walking a few hits instead of two binary searches over every retained hit).
    fn window(&self, cursor: &mut usize, start: usize, end: usize, gap: usize) -> &[Hit] {
        let lo = start.saturating_sub(gap + self.max_len);
        let hi = end.saturating_add(gap);
        let mut from = (*cursor).min(self.retained.len());
        while from < self.retained.len() && self.retained[from].start < lo {
            from += 1;
        }
        *cursor = from;
        let rest = &self.retained[from..];
        let to = rest.iter().position(|h| h.start > hi).unwrap_or(rest.len());
        &rest[..to]
    }

    /// Takes a hit in; standalone labels come out at once, anchors and partners are kept.
    pub(crate) fn ingest(&mut self, hit: Hit, out: &mut Vec<Finding>) {
        let (s, e) = (hit.start, hit.end);
        match hit.kind {
            HitKind::Lex(LexKind::Term(t)) => match t {
                TermKind::Mnpi => {
                    out.push(finding(
                        Label::Mnpi,
                        Severity::High,
                        0.8,
                        s,
                        e,
                        "mnpi_phrase",
                    ));
                    self.pending.push(hit);
                }
                TermKind::Trading => out.push(finding(
                    Label::TradingPosition,
                    Severity::Medium,
                    0.7,
                    s,
                    e,
                    "trading_phrase",
                )),
                TermKind::Filing => out.push(finding(
                    Label::RegulatoryFiling,
                    Severity::Medium,
                    0.7,
                    s,
                    e,
                    "filing_phrase",
                )),
                TermKind::Phi => out.push(finding(
                    Label::Phi,
                    Severity::Medium,
                    0.7,
                    s,
                    e,
                    "phi_phrase",
                )),
                _ => self.retain_hit(hit),
            },
            HitKind::Lex(LexKind::CodeName { .. }) => {
                out.push(finding(
                    Label::MergerAcquisitionTarget,
                    Severity::Critical,
                    0.9,
                    s,
                    e,
                    "deal_code_name",
                ));
                out.push(finding(
                    Label::Mnpi,
                    Severity::Critical,
                    0.85,
                    s,
                    e,
                    "deal_code_name",
                ));
            }
            HitKind::Lex(LexKind::Secret) => out.push(finding(
                Label::Secret,
                Severity::Critical,
                0.95,
                s,
                e,
                "secret_marker",
            )),
            HitKind::Lex(LexKind::Issuer { .. }) => {
                self.pending.push(hit);
                self.retain_hit(hit);
            }
            HitKind::Id(_) => self.pending.push(hit),
        }
    }

    /// Decides the anchors whose window is complete (every hit starting before `known` has
    /// been ingested) and returns the stream offset below which no finding can start any more.
    #[inline]
    pub(crate) fn settle(
        &mut self,
        known: usize,
        cfg: &ClassifierConfig,
        text: &Text<'_>,
        out: &mut Vec<Finding>,
    ) -> usize {
        let gap = cfg.proximity_bytes;
        let mut m = known;
        if !self.pending.is_empty() {
            if self
                .pending
                .iter()
                .any(|a| a.end.saturating_add(gap) < known)
            {
                self.decide_ready(known, cfg, text, out);
            }
            m = self.pending.iter().map(|h| h.start).fold(known, usize::min);
        }
        // Out of reach of every anchor to come. Sorted by start, a hit out of reach is
        // dropped from the front only: one kept past its reach is never paired (partners are
        // measured against the anchor), cannot cover a later anchor, and goes with the next
        // hit before it.
        let mut gone = 0;
        while gone < self.retained.len() && self.retained[gone].end.saturating_add(gap) < m {
            gone += 1;
        }
        if gone > 0 {
            self.retained.drain(..gone);
        }
        // The first partner (by start) that may still join a finding holds the text back.
        for p in &self.retained {
            if p.extends_span() && p.end.saturating_add(gap) >= m {
                return p.start.min(m);
            }
        }
        m
    }

    /// Decides, in start order, the anchors whose window ends before `known`. Out of line: a
    /// streamed chunk rarely completes one.
    #[inline(never)]
    fn decide_ready(
        &mut self,
        known: usize,
        cfg: &ClassifierConfig,
        text: &Text<'_>,
        out: &mut Vec<Finding>,
    ) {
        let gap = cfg.proximity_bytes;
        let mut ready = std::mem::take(&mut self.ready);
        self.pending.retain(|a| {
            let done = a.end.saturating_add(gap) < known;
            if done {
                ready.push(*a);
            }
            !done
        });
        // Mostly sorted already (lexicon hits, then identifier hits, each in order): the
        // stable sort merges those runs in linear time.
        ready.sort_by_key(|a| a.start);
        let mut cursor = 0;
        for a in ready.drain(..) {
            self.decide(a, cfg, text, &mut cursor, out);
        }
        self.ready = ready;
    }

    /// Lowest offset whose text a kept hit may still need.
    pub(crate) fn needs_from(&self) -> usize {
        // `retained` is sorted by start.
        let first = self.retained.first().map_or(usize::MAX, |h| h.start);
        self.pending.iter().map(|h| h.start).fold(first, usize::min)
    }
}
