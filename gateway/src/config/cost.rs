//! `[[pricing]]` and `[[limits]]`: checked prices and budgets, errors naming the line.

use toml::Spanned;

use super::raw::{RawLimit, RawPrice};
use super::validate::Validator;
use super::ConfigError;
use crate::examination::limits::{LimitRule, Limits, Period, SubjectKind};
use crate::examination::pricing::{Price, PriceEntry, Pricing};

impl Validator<'_> {
    fn usd(&self, v: &Spanned<f64>, key: String) -> Result<f64, ConfigError> {
        let x = *v.get_ref();
        if !x.is_finite() || x < 0.0 {
            return self.err(
                Some(v.span()),
                key,
                format!("{x} is not a price (a number >= 0)"),
            );
        }
        Ok(x)
    }

    pub(super) fn pricing(&self, raw: Vec<RawPrice>) -> Result<Pricing, ConfigError> {
        let mut entries: Vec<PriceEntry> = Vec::new();
        for (i, p) in raw.into_iter().enumerate() {
            let key = |k: &str| format!("pricing[{i}].{k}");
            let model = p.model.get_ref().trim().to_string();
            let bad_star = model.trim_end_matches('*').contains('*');
            if model.is_empty() || model == "*" || bad_star {
                return self.err(
                    Some(p.model.span()),
                    key("model"),
                    format!("'{model}': a model name, or a prefix ending in '*'"),
                );
            }
            if entries.iter().any(|e| e.model.eq_ignore_ascii_case(&model)) {
                return self.err(
                    Some(p.model.span()),
                    key("model"),
                    format!("'{model}' is priced twice"),
                );
            }
            let input = self.usd(&p.input, key("input"))?;
            let cached_input = match &p.cached_input {
                Some(c) => self.usd(c, key("cached_input"))?,
                None => input,
            };
            let output = self.usd(&p.output, key("output"))?;
            entries.push(PriceEntry {
                model,
                price: Price {
                    input,
                    cached_input,
                    output,
                },
            });
        }
        Ok(Pricing::new(entries))
    }

    pub(super) fn limits(&self, raw: Vec<RawLimit>) -> Result<Limits, ConfigError> {
        let mut rules: Vec<LimitRule> = Vec::new();
        for (i, l) in raw.into_iter().enumerate() {
            let key = |k: &str| format!("limits[{i}].{k}");
            let subject = match l.subject.get_ref().as_str() {
                "key" => SubjectKind::Key,
                "user" => SubjectKind::User,
                "team" => SubjectKind::Team,
                other => {
                    return self.err(
                        Some(l.subject.span()),
                        key("subject"),
                        format!("'{other}': use key, user or team"),
                    )
                }
            };
            let id = match l.id.get_ref().trim() {
                "" => {
                    return self.err(
                        Some(l.id.span()),
                        key("id"),
                        "a key id, user, team, or \"*\" for each",
                    )
                }
                "*" => None,
                v => Some(v.to_string()),
            };
            if rules.iter().any(|r| r.subject == subject && r.id == id) {
                return self.err(
                    Some(l.id.span()),
                    key("id"),
                    "another [[limits]] entry has the same subject and id",
                );
            }
            let period = match l.period.as_ref().map(|p| p.get_ref().as_str()) {
                None | Some("day") => Period::Day,
                Some("month") => Period::Month,
                Some(other) => {
                    return self.err(
                        l.period.as_ref().map(Spanned::span),
                        key("period"),
                        format!("'{other}': use day or month"),
                    )
                }
            };
            let budget_usd = l
                .budget_usd
                .as_ref()
                .map(|b| self.usd(b, key("budget_usd")))
                .transpose()?;
            if budget_usd.is_none() && l.rpm.is_none() && l.tpm.is_none() {
                return self.err(
                    Some(l.subject.span()),
                    format!("limits[{i}]"),
                    "set at least one of budget_usd, rpm, tpm",
                );
            }
            rules.push(LimitRule {
                subject,
                id,
                budget_usd,
                period,
                rpm: l.rpm,
                tpm: l.tpm,
            });
        }
        Ok(Limits::new(rules))
    }
}

#[cfg(test)]
mod tests;
