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

    /// Retained hits that may lie within `gap` of `[start, end)`.
    fn around(&self, start: usize, end: usize, gap: usize) -> &[Hit] {
        let lo = start.saturating_sub(gap + self.max_len);
        let hi = end.saturating_add(gap);
        let from = self.retained.partition_point(|h| h.start < lo);
        let to = self.retained.partition_point(|h| h.start <= hi);
        &self.retained[from..to.max(from)]
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

    /// Decides the anchors whose window is complete: every hit starting before `known` has
    /// been ingested.
    pub(crate) fn finalize(
        &mut self,
        known: usize,
        cfg: &ClassifierConfig,
        text: &Text<'_>,
        out: &mut Vec<Finding>,
    ) {
        let gap = cfg.proximity_bytes;
        let mut i = 0;
        while i < self.pending.len() {
            let a = self.pending[i];
            if a.end.saturating_add(gap) < known {
                self.pending.swap_remove(i);
                self.decide(a, cfg, text, out);
            } else {
                i += 1;
            }
        }
        let m = self.pending.iter().map(|h| h.start).fold(known, usize::min);
        self.retained.retain(|p| p.end.saturating_add(gap) >= m);
    }

    /// The stream offset below which no finding can start any more.
    pub(crate) fn committed(&self, known: usize, gap: usize) -> usize {
        let m = self.pending.iter().map(|h| h.start).fold(known, usize::min);
        self.retained
            .iter()
            .filter(|p| p.extends_span() && p.end.saturating_add(gap) >= m)
            .map(|p| p.start)
            .fold(m, usize::min)
    }

    /// Lowest offset whose text a kept hit may still need.
    pub(crate) fn needs_from(&self) -> usize {
        self.pending
            .iter()
            .chain(&self.retained)
            .map(|h| h.start)
            .min()
            .unwrap_or(usize::MAX)
    }

    /// The partners of `a` among the terms that `wanted` (the rule of the anchor reads only
    /// those).
    fn collect_near(
        &mut self,
        a: &Hit,
        cfg: &ClassifierConfig,
        text: &Text<'_>,
        wanted: fn(TermKind) -> bool,
    ) {
        let mut near = std::mem::take(&mut self.near);
        near.clear();
        for p in self.around(a.start, a.end, cfg.proximity_bytes) {
            // Only terms are partners (issuer mentions are kept for the shadowing test).
            if !p.term().is_some_and(wanted) {
                continue;
            }
            let close = if p.start >= a.end {
                p.start - a.end <= cfg.proximity_bytes
                    && text.words_between(a.end, p.start) <= cfg.proximity_words
            } else if p.end <= a.start {
                a.start - p.end <= cfg.proximity_bytes
                    && text.words_between(p.end, a.start) <= cfg.proximity_words
            } else {
                false
            };
            if close {
                near.push(*p);
            }
        }
        self.near = near;
    }

    fn near_has(&self, t: TermKind) -> bool {
        self.near.iter().any(|p| p.term() == Some(t))
    }

    /// Span of the anchor joined with its partners of kind `t`, if it has any.
    fn joined(&self, a: &Hit, t: TermKind) -> Option<(usize, usize)> {
        let mut span: Option<(usize, usize)> = None;
        for p in self.near.iter().filter(|p| p.term() == Some(t)) {
            let (s, e) = span.unwrap_or((a.start, a.end));
            span = Some((s.min(p.start), e.max(p.end)));
        }
        span
    }

    fn decide(&mut self, a: Hit, cfg: &ClassifierConfig, text: &Text<'_>, out: &mut Vec<Finding>) {
        match a.kind {
            HitKind::Lex(LexKind::Issuer { idx, restricted }) => {
                // One decision per mention: a longer issuer match covering this one wins, and
                // of identical spans the lowest issuer index speaks.
                let shadowed = self.around(a.start, a.end, 0).iter().any(|c| {
                    c.issuer().is_some_and(|ci| {
                        c.start <= a.start
                            && c.end >= a.end
                            && ((c.start, c.end) != (a.start, a.end) || ci < idx)
                    })
                });
                if shadowed {
                    return;
                }
                self.collect_near(&a, cfg, text, extends_span);
                let high = if restricted {
                    Severity::Critical
                } else {
                    Severity::High
                };
                if let Some((s, e)) = self.joined(&a, TermKind::Earnings) {
                    out.push(finding(
                        Label::EarningsData,
                        high,
                        0.8,
                        s,
                        e,
                        "watchlist_earnings",
                    ));
                    out.push(finding(Label::Mnpi, high, 0.75, s, e, "watchlist_earnings"));
                }
                if let Some((s, e)) = self.joined(&a, TermKind::Deal) {
                    out.push(finding(
                        Label::MergerAcquisitionTarget,
                        high,
                        0.8,
                        s,
                        e,
                        "watchlist_deal",
                    ));
                    out.push(finding(Label::Mnpi, high, 0.75, s, e, "watchlist_deal"));
                }
                if restricted {
                    out.push(finding(
                        Label::Mnpi,
                        Severity::Low,
                        0.5,
                        a.start,
                        a.end,
                        "restricted_list",
                    ));
                }
            }
            HitKind::Lex(LexKind::Term(TermKind::Mnpi)) => {
                self.collect_near(&a, cfg, text, extends_span);
                if let Some((s, e)) = self.joined(&a, TermKind::Earnings) {
                    out.push(finding(
                        Label::EarningsData,
                        Severity::Medium,
                        0.65,
                        s,
                        e,
                        "mnpi_phrase_earnings",
                    ));
                }
                if let Some((s, e)) = self.joined(&a, TermKind::Deal) {
                    out.push(finding(
                        Label::MergerAcquisitionTarget,
                        Severity::Medium,
                        0.65,
                        s,
                        e,
                        "mnpi_phrase_deal",
                    ));
                }
            }
            HitKind::Id(flags) => {
                self.collect_near(&a, cfg, text, is_context);
                self.decide_identifier(a, flags, out);
            }
            HitKind::Lex(_) => {}
        }
    }

    fn decide_identifier(&self, a: Hit, f: IdFlags, out: &mut Vec<Finding>) {
        let (s, e) = (a.start, a.end);
        let mut push = |label, severity, confidence, detector| {
            out.push(finding(label, severity, confidence, s, e, detector))
        };
        if f.has(IdFlags::CARD) {
            push(Label::Pii, Severity::High, 0.95, "card_luhn");
            push(Label::CustomerNpi, Severity::High, 0.9, "card_luhn");
            return;
        }
        if f.has(IdFlags::IBAN) {
            push(Label::Pii, Severity::High, 0.95, "iban_mod97");
            push(Label::CustomerNpi, Severity::High, 0.9, "iban_mod97");
            return;
        }
        if f.has(IdFlags::SSN) {
            push(Label::Pii, Severity::High, 0.9, "us_ssn");
            return;
        }
        if f.has(IdFlags::EMAIL) {
            push(Label::Pii, Severity::Medium, 0.9, "email");
            return;
        }
        if f.has(IdFlags::PHONE) {
            push(Label::Pii, Severity::Medium, 0.7, "phone");
            return;
        }
        let filing = self.near_has(TermKind::CtxFiling);
        let security_label = if filing {
            Label::RegulatoryFiling
        } else {
            Label::TradingPosition
        };
        let context =
            filing || self.near_has(TermKind::CtxSecurity) || self.near_has(TermKind::CtxCusip);
        let confidence = if context { 0.85 } else { 0.6 };
        if f.has(IdFlags::ISIN) {
            push(security_label, Severity::Medium, confidence, "isin");
            return;
        }
        if f.has(IdFlags::CUSIP) {
            push(security_label, Severity::Medium, confidence, "cusip");
            return;
        }
        let mut any = false;
        if f.has(IdFlags::ABA) && self.near_has(TermKind::CtxRouting) {
            push(Label::CustomerNpi, Severity::High, 0.9, "aba_routing");
            any = true;
        }
        if f.has(IdFlags::SSN_BARE) && self.near_has(TermKind::CtxSsn) {
            push(Label::Pii, Severity::High, 0.85, "us_ssn");
            any = true;
        }
        if f.has(IdFlags::CUSIP_NUM) && self.near_has(TermKind::CtxCusip) {
            push(security_label, Severity::Medium, 0.85, "cusip");
            any = true;
        }
        if !any && f.has(IdFlags::ACCOUNT) && self.near_has(TermKind::CtxAccount) {
            push(Label::CustomerNpi, Severity::High, 0.75, "account_number");
        }
    }
}
