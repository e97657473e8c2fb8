//! The pricing table: USD per million input, cached-input and output tokens, by model. One
//! shipped table for the common OpenAI, Azure OpenAI, Anthropic and open models, extended or
//! overridden by `[[pricing]]` in the config. Pure: no I/O, no clock.
//!
//! Lookup of a served model name: config entries first (exact name, then the longest `prefix*`
//! match), then the shipped table (exact, then the longest shipped name that the model starts
//! with followed by `-`, `:`, `@` or `.`, so dated snapshots such as `gpt-4o-2024-08-06` or
//! `claude-3-5-sonnet-20241022` price as their family). Names are compared in lower case,
//! after any `vendor/` prefix (`meta-llama/Llama-3.3-70B-Instruct`).

use crate::providers::Usage;

/// USD per million tokens.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Price {
    pub input: f64,
    /// For the prompt tokens served from the provider's cache.
    pub cached_input: f64,
    pub output: f64,
}

impl Price {
    const fn new(input: f64, cached_input: f64, output: f64) -> Price {
        Price {
            input,
            cached_input,
            output,
        }
    }

    /// The cost of `usage` in USD: uncached prompt tokens at the input price, cached ones at
    /// the cached-input price, completion tokens at the output price.
    pub fn cost(&self, usage: &Usage) -> f64 {
        let cached = usage.cached_tokens.min(usage.prompt_tokens);
        let fresh = usage.prompt_tokens - cached;
        round_usd(
            (fresh as f64 * self.input
                + cached as f64 * self.cached_input
                + usage.completion_tokens as f64 * self.output)
                / 1_000_000.0,
        )
    }
}

/// Costs are kept to 1e-10 USD: below any price step, above float noise.
pub fn round_usd(x: f64) -> f64 {
    (x * 1e10).round() / 1e10
}

/// Shipped list prices (USD / 1M tokens: input, cached input, output), public list prices of
/// the providers as of 2025; open models at typical hosted prices. Override for your contract.
const SHIPPED: &[(&str, Price)] = &[
    // OpenAI (Azure OpenAI deployments price by the model they deploy)
    ("gpt-4o", Price::new(2.50, 1.25, 10.00)),
    ("gpt-4o-mini", Price::new(0.15, 0.075, 0.60)),
    ("chatgpt-4o-latest", Price::new(5.00, 5.00, 15.00)),
    ("gpt-4.1", Price::new(2.00, 0.50, 8.00)),
    ("gpt-4.1-mini", Price::new(0.40, 0.10, 1.60)),
    ("gpt-4.1-nano", Price::new(0.10, 0.025, 0.40)),
    ("gpt-4-turbo", Price::new(10.00, 10.00, 30.00)),
    ("gpt-4", Price::new(30.00, 30.00, 60.00)),
    ("gpt-3.5-turbo", Price::new(0.50, 0.50, 1.50)),
    ("gpt-35-turbo", Price::new(0.50, 0.50, 1.50)),
    ("gpt-5", Price::new(1.25, 0.125, 10.00)),
    ("gpt-5-mini", Price::new(0.25, 0.025, 2.00)),
    ("gpt-5-nano", Price::new(0.05, 0.005, 0.40)),
    ("o1", Price::new(15.00, 7.50, 60.00)),
    ("o1-mini", Price::new(1.10, 0.55, 4.40)),
    ("o1-pro", Price::new(150.00, 150.00, 600.00)),
    ("o3", Price::new(2.00, 0.50, 8.00)),
    ("o3-mini", Price::new(1.10, 0.55, 4.40)),
    ("o3-pro", Price::new(20.00, 20.00, 80.00)),
    ("o4-mini", Price::new(1.10, 0.275, 4.40)),
    ("text-embedding-3-small", Price::new(0.02, 0.02, 0.0)),
    ("text-embedding-3-large", Price::new(0.13, 0.13, 0.0)),
    ("text-embedding-ada-002", Price::new(0.10, 0.10, 0.0)),
    // Anthropic (cached input = cache read)
    ("claude-3-haiku", Price::new(0.25, 0.03, 1.25)),
    ("claude-3-5-haiku", Price::new(0.80, 0.08, 4.00)),
    ("claude-haiku-4-5", Price::new(1.00, 0.10, 5.00)),
    ("claude-3-5-sonnet", Price::new(3.00, 0.30, 15.00)),
    ("claude-3-7-sonnet", Price::new(3.00, 0.30, 15.00)),
    ("claude-sonnet-4", Price::new(3.00, 0.30, 15.00)),
    ("claude-sonnet-4-5", Price::new(3.00, 0.30, 15.00)),
    ("claude-3-opus", Price::new(15.00, 1.50, 75.00)),
    ("claude-opus-4", Price::new(15.00, 1.50, 75.00)),
    ("claude-opus-4-1", Price::new(15.00, 1.50, 75.00)),
    ("claude-opus-4-5", Price::new(5.00, 0.50, 25.00)),
    // Open models, typical hosted prices
    ("llama-3.1-8b", Price::new(0.18, 0.18, 0.18)),
    ("llama-3.1-70b", Price::new(0.88, 0.88, 0.88)),
    ("llama-3.1-405b", Price::new(3.50, 3.50, 3.50)),
    ("llama-3.2-3b", Price::new(0.06, 0.06, 0.06)),
    ("llama-3.3-70b", Price::new(0.88, 0.88, 0.88)),
    ("llama-4-scout", Price::new(0.18, 0.18, 0.59)),
    ("llama-4-maverick", Price::new(0.27, 0.27, 0.85)),
    ("mistral-large", Price::new(2.00, 2.00, 6.00)),
    ("mistral-medium", Price::new(0.40, 0.40, 2.00)),
    ("mistral-small", Price::new(0.10, 0.10, 0.30)),
    ("open-mistral-7b", Price::new(0.25, 0.25, 0.25)),
    ("mistral-7b", Price::new(0.20, 0.20, 0.20)),
    ("mixtral-8x7b", Price::new(0.70, 0.70, 0.70)),
    ("mixtral-8x22b", Price::new(1.20, 1.20, 1.20)),
    // The built-in echo model costs nothing.
    ("echo", Price::new(0.0, 0.0, 0.0)),
];

/// A `[[pricing]]` entry: `model` is an exact name, or a prefix ending in `*`.
#[derive(Debug, Clone, PartialEq)]
pub struct PriceEntry {
    pub model: String,
    pub price: Price,
}

/// The table the gateway prices with: config entries over the shipped list.
#[derive(Debug, Clone, Default)]
pub struct Pricing {
    entries: Vec<PriceEntry>,
}

fn normalize(model: &str) -> String {
    let base = model.rsplit('/').next().unwrap_or(model);
    base.to_ascii_lowercase()
}

/// Whether `model` is `name` or a snapshot of it (`name-2024-08-06`, `name:latest`).
fn is_family(model: &str, name: &str) -> bool {
    model.len() > name.len()
        && model.starts_with(name)
        && matches!(model.as_bytes()[name.len()], b'-' | b':' | b'@' | b'.')
}

impl Pricing {
    pub fn new(entries: Vec<PriceEntry>) -> Pricing {
        Pricing { entries }
    }

    /// The price of a served model; `None` when neither the config nor the table knows it.
    pub fn price(&self, model: &str) -> Option<Price> {
        let m = normalize(model);
        let configured = |exact: bool| {
            self.entries
                .iter()
                .filter_map(|e| {
                    let pat = e.model.to_ascii_lowercase();
                    match pat.strip_suffix('*') {
                        Some(prefix) if !exact && m.starts_with(prefix) => {
                            Some((prefix.len(), e.price))
                        }
                        None if exact && (pat == m || pat == model.to_ascii_lowercase()) => {
                            Some((usize::MAX, e.price))
                        }
                        _ => None,
                    }
                })
                .max_by_key(|(len, _)| *len)
                .map(|(_, p)| p)
        };
        if let Some(p) = configured(true).or_else(|| configured(false)) {
            return Some(p);
        }
        if let Some((_, p)) = SHIPPED.iter().find(|(name, _)| *name == m) {
            return Some(*p);
        }
        SHIPPED
            .iter()
            .filter(|(name, _)| is_family(&m, name))
            .max_by_key(|(name, _)| name.len())
            .map(|(_, p)| *p)
    }

    /// The cost of a call to `model`; `None` when the model has no price.
    pub fn cost(&self, model: &str, usage: &Usage) -> Option<f64> {
        self.price(model).map(|p| p.cost(usage))
    }

    /// Every shipped name, for documentation and tests.
    pub fn shipped_names() -> impl Iterator<Item = &'static str> {
        SHIPPED.iter().map(|(n, _)| *n)
    }
}

#[cfg(test)]
mod tests;
