//! What a report needs from the audit records of its period, gathered in one pass: counts by
//! kind, provider and model use with cost, refusals, agent-credential use, distinct keys and
//! callers. Records are read into a slim borrowed view (only the fields used), pages are split
//! over the cores and the partial sums merged; costs are summed in integer nano-dollars so the
//! result does not depend on how the pages were split.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};

use serde::Deserialize;

use crate::audit::record::UsageInfo;
use crate::audit::scan::{Page, PageVisitor, Place, TsWindow};
use crate::examination::limits::nano;

#[derive(Deserialize)]
struct Slim<'a> {
    #[serde(borrow)]
    ts: Cow<'a, str>,
    #[serde(borrow)]
    kind: Cow<'a, str>,
    #[serde(borrow)]
    caller: SlimCaller<'a>,
    #[serde(default, borrow)]
    aida_credential_id: Option<Cow<'a, str>>,
    #[serde(default)]
    aida_scope_verified: Option<bool>,
    #[serde(default, borrow)]
    request: Option<SlimRequest<'a>>,
    #[serde(default, borrow)]
    response: Option<SlimResponse<'a>>,
    #[serde(default)]
    usage: Option<UsageInfo>,
    #[serde(default)]
    cost_usd: Option<f64>,
}

#[derive(Deserialize)]
struct SlimCaller<'a> {
    #[serde(borrow)]
    kind: Cow<'a, str>,
    #[serde(borrow)]
    id: Cow<'a, str>,
    #[serde(default, borrow)]
    key_id: Option<Cow<'a, str>>,
}

#[derive(Deserialize)]
struct SlimRequest<'a> {
    #[serde(default, borrow)]
    provider: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    model_served: Option<Cow<'a, str>>,
}

#[derive(Deserialize)]
struct SlimResponse<'a> {
    status: u16,
    #[serde(default, borrow)]
    error: Option<Cow<'a, str>>,
}

/// Use of one model in the period.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ModelUse {
    pub requests: u64,
    pub failed: u64,
    pub prompt_tokens: u64,
    pub completion_tokens: u64,
    pub cost_nano: u64,
}

impl ModelUse {
    fn merge(&mut self, o: &ModelUse) {
        self.requests += o.requests;
        self.failed += o.failed;
        self.prompt_tokens += o.prompt_tokens;
        self.completion_tokens += o.completion_tokens;
        self.cost_nano += o.cost_nano;
    }
}

/// The audit records of a period, summed.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Window {
    pub records: u64,
    pub first_seq: Option<u64>,
    pub last_seq: Option<u64>,
    pub by_kind: BTreeMap<String, u64>,
    /// provider -> model served -> use (calls that reached a provider).
    pub providers: BTreeMap<String, BTreeMap<String, ModelUse>>,
    /// `llm.call` and `a2a.dispatch` records.
    pub calls: u64,
    /// Calls answered with an error status, by `error` code (or the status).
    pub refusals: BTreeMap<String, u64>,
    pub aida_calls: u64,
    pub aida_scope_denied: u64,
    pub keys: BTreeSet<String>,
    /// caller kind -> caller ids.
    pub callers: BTreeMap<String, BTreeSet<String>>,
}

/// Counts one under `key`, allocating the key only the first time it is seen.
fn bump(map: &mut BTreeMap<String, u64>, key: &str) {
    match map.get_mut(key) {
        Some(n) => *n += 1,
        None => {
            map.insert(key.to_string(), 1);
        }
    }
}

/// The value under `key`, allocating the key only the first time it is seen.
#[expect(
    clippy::expect_used,
    reason = "the key is inserted just above; returning a `get_mut` borrow early does not pass the borrow checker"
)]
fn slot<'m, V: Default>(map: &'m mut BTreeMap<String, V>, key: &str) -> &'m mut V {
    if !map.contains_key(key) {
        map.insert(key.to_string(), V::default());
    }
    map.get_mut(key).expect("present")
}

impl Window {
    fn add(&mut self, seq: u64, r: &Slim<'_>) {
        self.records += 1;
        self.first_seq = Some(self.first_seq.map_or(seq, |s| s.min(seq)));
        self.last_seq = Some(self.last_seq.map_or(seq, |s| s.max(seq)));
        bump(&mut self.by_kind, &r.kind);
        if r.kind != "llm.call" && r.kind != "a2a.dispatch" {
            return;
        }
        self.calls += 1;
        if let Some(k) = &r.caller.key_id {
            if !self.keys.contains(k.as_ref()) {
                self.keys.insert(k.to_string());
            }
        }
        if !r.caller.id.is_empty() {
            let ids = slot(&mut self.callers, &r.caller.kind);
            if !ids.contains(r.caller.id.as_ref()) {
                ids.insert(r.caller.id.to_string());
            }
        }
        if r.aida_credential_id.is_some() {
            self.aida_calls += 1;
            if r.aida_scope_verified == Some(false) {
                self.aida_scope_denied += 1;
            }
        }
        let failed = match &r.response {
            Some(resp) if resp.status >= 400 => {
                match resp.error.as_deref() {
                    Some(code) => bump(&mut self.refusals, code),
                    None => bump(&mut self.refusals, &resp.status.to_string()),
                }
                true
            }
            _ => false,
        };
        let Some(req) = &r.request else { return };
        let Some(provider) = &req.provider else {
            return;
        };
        let model = req.model_served.as_deref().unwrap_or("");
        let m = slot(slot(&mut self.providers, provider), model);
        m.requests += 1;
        m.failed += u64::from(failed);
        if let Some(u) = &r.usage {
            m.prompt_tokens += u.prompt_tokens;
            m.completion_tokens += u.completion_tokens;
        }
        m.cost_nano += r.cost_usd.map_or(0, nano);
    }

    fn merge(&mut self, o: Window) {
        self.records += o.records;
        self.first_seq = match (self.first_seq, o.first_seq) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        self.last_seq = match (self.last_seq, o.last_seq) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        };
        for (k, n) in o.by_kind {
            *self.by_kind.entry(k).or_default() += n;
        }
        for (p, models) in o.providers {
            let mine = self.providers.entry(p).or_default();
            for (m, u) in models {
                mine.entry(m).or_default().merge(&u);
            }
        }
        self.calls += o.calls;
        for (k, n) in o.refusals {
            *self.refusals.entry(k).or_default() += n;
        }
        self.aida_calls += o.aida_calls;
        self.aida_scope_denied += o.aida_scope_denied;
        self.keys.extend(o.keys);
        for (kind, ids) in o.callers {
            self.callers.entry(kind).or_default().extend(ids);
        }
    }

    /// Use of `(provider, model)` in the period.
    /// Distinct callers (kind and id) of the period's calls.
    pub fn caller_count(&self) -> usize {
        self.callers.values().map(BTreeSet::len).sum()
    }

    pub fn model_use(&self, provider: &str, model: &str) -> Option<&ModelUse> {
        self.providers.get(provider)?.get(model)
    }
}

/// Below this many records per thread, one thread does the page.
const MIN_PER_THREAD: usize = 512;

/// Sums the records of a period as a scan passes; skips `seq <= after` without reading them.
pub struct WindowVisitor {
    pub window: Window,
    ts: TsWindow,
    after: u64,
    threads: usize,
}

impl WindowVisitor {
    pub fn new(ts: TsWindow, after: u64) -> WindowVisitor {
        WindowVisitor {
            window: Window::default(),
            ts,
            after,
            threads: std::thread::available_parallelism()
                .map_or(1, |n| n.get())
                .min(8),
        }
    }
}

/// Sums one slice of a page; also says whether a record past the period's slack was seen.
fn sum(ts: &TsWindow, records: &[(u64, Vec<u8>)]) -> Result<(Window, bool), String> {
    let mut w = Window::default();
    let mut beyond = false;
    for (seq, json) in records {
        let r: Slim<'_> = serde_json::from_slice(json)
            .map_err(|e| format!("record at seq {seq} is not a valid audit record: {e}"))?;
        match ts.place(&r.ts) {
            Place::Inside => w.add(*seq, &r),
            Place::Beyond => beyond = true,
            Place::Before | Place::After => {}
        }
    }
    Ok((w, beyond))
}

impl PageVisitor for WindowVisitor {
    fn visit(&mut self, page: &Page) -> Result<bool, String> {
        let skip = page.partition_point(|(s, _)| *s <= self.after);
        let records = &page[skip..];
        if records.is_empty() {
            return Ok(true);
        }
        let chunk = records.len().div_ceil(self.threads).max(MIN_PER_THREAD);
        let ts = &self.ts;
        let parts: Vec<Result<(Window, bool), String>> = std::thread::scope(|s| {
            let handles: Vec<_> = records
                .chunks(chunk)
                .map(|c| s.spawn(move || sum(ts, c)))
                .collect();
            handles
                .into_iter()
                .map(|h| {
                    h.join()
                        .map_err(|_| "a report worker thread panicked".to_string())?
                })
                .collect()
        });
        let mut more = true;
        for part in parts {
            let (w, beyond) = part?;
            self.window.merge(w);
            more &= !beyond;
        }
        Ok(more)
    }
}
