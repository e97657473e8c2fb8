//! Deciding an anchor once its window is complete: the shadowing of issuer mentions, the
//! partners near it, and the findings its rule gives.

use super::{extends_span, finding, is_context, Hit, HitKind, RuleState};
use crate::identifiers::IdFlags;
use crate::lexicon::{LexKind, TermKind};
use crate::text::Text;
use crate::{ClassifierConfig, Finding, Label, Severity};

impl RuleState {
    /// The partners of `a` among the terms that `wanted` (the rule of the anchor reads only
    /// those).
    fn collect_near(
        &mut self,
        a: &Hit,
        window: (usize, usize),
        cfg: &ClassifierConfig,
        text: &Text<'_>,
        wanted: fn(TermKind) -> bool,
    ) {
        let mut near = std::mem::take(&mut self.near);
        near.clear();
        for p in &self.retained[window.0..window.1] {
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

    pub(super) fn decide(
        &mut self,
        a: Hit,
        cfg: &ClassifierConfig,
        text: &Text<'_>,
        cursor: &mut usize,
        out: &mut Vec<Finding>,
    ) {
        let win = self.window(cursor, a.start, a.end, cfg.proximity_bytes);
        let window = (*cursor, *cursor + win.len());
        match a.kind {
            HitKind::Lex(LexKind::Issuer { idx, restricted }) => {
                // One decision per mention: a longer issuer match covering this one wins, and
                // of identical spans the lowest issuer index speaks.
                let shadowed = win.iter().any(|c| {
                    c.issuer().is_some_and(|ci| {
                        c.start <= a.start
                            && c.end >= a.end
                            && ((c.start, c.end) != (a.start, a.end) || ci < idx)
                    })
                });
                if shadowed {
                    return;
                }
                self.collect_near(&a, window, cfg, text, extends_span);
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
                self.collect_near(&a, window, cfg, text, extends_span);
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
                self.collect_near(&a, window, cfg, text, is_context);
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
