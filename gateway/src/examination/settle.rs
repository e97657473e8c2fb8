//! The cost side of one call: what it reserved before forwarding, what its answer is known to
//! have used, and the settlement after the answer. Pricing the call is arithmetic done when
//! the audit record is completed (the cost goes into it); counting it in the inventory and
//! reconciling the reservation run in a spawned task, off the response path. A call dropped
//! before it settles (the client left) releases its reservation from `Drop`.

use std::sync::Arc;

use super::limits::{self, Estimate};
use super::tokens;
use super::Examination;
use crate::audit::record::{Record, UsageInfo};
use crate::providers::Usage;
use crate::store::counters::Reservation;

pub struct CallCost {
    exam: Arc<Examination>,
    reservation: Option<Reservation>,
    /// Estimated prompt tokens of the request (used when the upstream reports no usage).
    prompt_estimate: u64,
    /// Completion tokens estimated from the answer seen so far (ditto).
    completion_estimate: u64,
    /// Bytes of streamed content seen (`completion_estimate` for streams).
    streamed_bytes: u64,
}

impl CallCost {
    pub fn new(
        exam: Arc<Examination>,
        reservation: Option<Reservation>,
        prompt_estimate: u64,
    ) -> CallCost {
        CallCost {
            exam,
            reservation,
            prompt_estimate,
            completion_estimate: 0,
            streamed_bytes: 0,
        }
    }

    /// A complete answer body: its completion tokens, in case the upstream gave no usage.
    pub fn note_answer(&mut self, body: &[u8]) {
        self.completion_estimate = tokens::answer(body);
    }

    /// One streamed event (no allocation: a scan for `"content":"`).
    pub fn note_event(&mut self, event: &[u8]) {
        self.streamed_bytes += tokens::streamed_content_bytes(event);
    }

    /// Prices the call into `record` (usage estimated when the upstream reported none, for a
    /// call that reached a model) and starts the settlement task. Returns the cost in USD when
    /// the model has a price.
    pub fn settle(mut self, record: &mut Record) -> Option<f64> {
        let reservation = self.reservation.take();
        let served = record
            .request
            .as_ref()
            .and_then(|q| Some((q.provider.clone()?, q.model_served.clone()?)));
        let Some((provider, model)) = served else {
            // The call never reached a model: nothing was spent.
            if let Some(r) = reservation {
                let exam = self.exam.clone();
                tokio::spawn(async move { exam.release(&r, &Estimate::default()).await });
            }
            return None;
        };
        let usage = match record.usage {
            Some(u) => Usage {
                prompt_tokens: u.prompt_tokens,
                completion_tokens: u.completion_tokens,
                cached_tokens: u.cached_tokens,
                estimated: u.usage_estimated,
            },
            None => {
                let completion = self
                    .completion_estimate
                    .max(self.streamed_bytes.div_ceil(4));
                let u = Usage {
                    prompt_tokens: self.prompt_estimate,
                    completion_tokens: completion,
                    cached_tokens: 0,
                    estimated: true,
                };
                record.usage = Some(UsageInfo {
                    prompt_tokens: u.prompt_tokens,
                    completion_tokens: u.completion_tokens,
                    cached_tokens: 0,
                    usage_estimated: true,
                });
                u
            }
        };
        let cost = self.exam.pricing().cost(&model, &usage);
        if cost.is_none() {
            metrics::counter!("parapet_unpriced_calls_total").increment(1);
        }
        record.cost_usd = cost;
        let exam = self.exam.clone();
        let ts = record.ts.clone();
        let real = Estimate {
            cost_nano: limits::nano(cost.unwrap_or(0.0)),
            tokens: usage.total_tokens(),
        };
        tokio::spawn(async move {
            exam.count(&provider, &model, &usage, cost.unwrap_or(0.0), &ts)
                .await;
            if let Some(r) = reservation {
                exam.release(&r, &real).await;
            }
        });
        cost
    }
}

impl Drop for CallCost {
    fn drop(&mut self) {
        if let Some(r) = self.reservation.take() {
            if let Ok(rt) = tokio::runtime::Handle::try_current() {
                let exam = self.exam.clone();
                rt.spawn(async move { exam.release(&r, &Estimate::default()).await });
            }
        }
    }
}

/// The cost as sent in `x-parapet-cost-usd`: plain decimal, no exponent, no trailing zeros.
pub fn header_value(cost: f64) -> String {
    let s = format!("{cost:.10}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s.is_empty() {
        "0".into()
    } else {
        s.to_string()
    }
}
