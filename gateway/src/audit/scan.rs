//! One streaming pass over the audit log: pages read ahead from the store, each page handed to
//! a visitor and (optionally) to the chain verifier on the blocking pool, never the whole log
//! in memory. `verify_store` is this pass with verification and no visitor; reports and spend
//! views use it with a visitor, starting where `seek` says their period can begin.
//!
//! Record timestamps are taken when a call starts and records are committed when it ends, by
//! several instances, so `ts` is ordered by `seq` only within the time a call can take plus
//! the clock skew between instances. `TS_SLACK` bounds that: a record at seq `j` with
//! `ts < t - TS_SLACK` proves every record before `j` has `ts < t`.

use futures_util::StreamExt;
use serde::Deserialize;

use super::checkpoint::{Checkpoint, CheckpointVerifier};
use super::read::{open_checkpoints, parse_page, start_for, Verification, PAGE};
use super::verify::ChainVerifier;
use crate::store::{Store, StoreError};

/// How far a record's `ts` may lag behind the records committed before it: the longest call
/// (a stream held open) plus clock skew between instances. A call longer than this that
/// straddles a period's edge can be missed by a scan that seeks by time.
pub const TS_SLACK: chrono::Duration = chrono::Duration::hours(1);

/// Pages read from the store at once.
const READ_AHEAD: usize = 4;

/// A raw page: `(seq, stored JSON)` in seq order.
pub type Page = Vec<(u64, Vec<u8>)>;

/// Sees every page of a scan, in order, on the blocking pool.
pub trait PageVisitor: Send + 'static {
    /// Returns whether later pages are still wanted (a scan without verification stops when
    /// no visitor wants more).
    fn visit(&mut self, page: &Page) -> Result<bool, String>;
}

/// A visitor that wants nothing (plain verification).
pub struct NoVisitor;

impl PageVisitor for NoVisitor {
    fn visit(&mut self, _: &Page) -> Result<bool, String> {
        Ok(false)
    }
}

/// How to verify during a scan.
pub struct Verify<'a> {
    pub verifier: Option<&'a CheckpointVerifier>,
    /// Stop reading at the first break (`audit verify`) or read on for the visitor (reports).
    pub stop_at_break: bool,
}

/// What a scan found.
pub struct Scanned<V> {
    pub visitor: V,
    /// Present when the scan verified.
    pub verification: Option<Verification>,
    /// The valid, signed checkpoints (when verifying with a verifier).
    pub checkpoints: Vec<Checkpoint>,
    /// The head's seq when the scan started.
    pub head_seq: u64,
}

/// Scans the records with `seq > after` (from the start of the log when verifying), up to the
/// head as it was when the scan started; `progress(done, total)` after each page.
pub async fn scan<V: PageVisitor>(
    store: &dyn Store,
    after: u64,
    verify: Option<Verify<'_>>,
    visitor: V,
    mut progress: impl FnMut(u64, u64),
) -> Result<Scanned<V>, String> {
    let (checkpoints, invalid) = match &verify {
        Some(v) => {
            let notes = store.checkpoints().await.map_err(|e| e.to_string())?;
            open_checkpoints(&notes, v.verifier)
        }
        None => (vec![], vec![]),
    };
    let head = store.audit_head().await.map_err(|e| e.to_string())?.0;
    let after = if verify.is_some() { 0 } else { after };
    // Seqs are contiguous, so page boundaries are known up front and several pages are read
    // at once (in order). A missing record only shifts a page; the verifier reports the gap.
    let first = store
        .audit_range(after, 1)
        .await
        .map_err(|e| e.to_string())?
        .first()
        .map(|(s, _)| *s);
    let total = first.map_or(0, |f| head.saturating_sub(f) + 1);
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Result<Page, String>>(2);
    let reader = async move {
        let Some(first) = first else {
            let _ = tx.send(Ok(vec![])).await;
            return;
        };
        let starts = (first..=head.max(first)).step_by(PAGE);
        let mut pages = futures_util::stream::iter(starts)
            .map(|lo| async move {
                store
                    .audit_range(lo - 1, PAGE)
                    .await
                    .map(|mut p| {
                        // Records appended while scanning are left to the next scan.
                        p.retain(|(s, _)| *s <= head);
                        p
                    })
                    .map_err(|e| e.to_string())
            })
            .buffered(READ_AHEAD);
        while let Some(page) = pages.next().await {
            // A page emptied by deletions is skipped: the next one shows the gap.
            if page.as_ref().is_ok_and(Vec::is_empty) {
                continue;
            }
            if tx.send(page).await.is_err() {
                return;
            }
        }
        let _ = tx.send(Ok(vec![])).await;
    };
    let verifying = verify.is_some();
    let stop_at_break = verify.as_ref().is_some_and(|v| v.stop_at_break);
    let cps = checkpoints.clone();
    let checker = async {
        let mut chain: Option<ChainVerifier> = None;
        let mut visitor = visitor;
        let mut wants = true;
        let mut done = 0u64;
        while let Some(page) = rx.recv().await {
            let page = page?;
            if page.is_empty() {
                break;
            }
            let first = page[0].0;
            let v = if verifying {
                Some(
                    chain
                        .take()
                        .unwrap_or_else(|| ChainVerifier::new(start_for(first, &cps), cps.clone())),
                )
            } else {
                None
            };
            let n = page.len() as u64;
            let visit = wants;
            // The visitor and the verifier read the same page side by side (the verifier
            // parses and hashes on every core it has, the visitor on one).
            // The verifier takes the page; the visitor reads a copy only when both want it.
            let (for_visitor, for_verifier) = match (visit, v.is_some()) {
                (true, true) => (Some(page.clone()), Some(page)),
                (true, false) => (Some(page), None),
                (false, _) => (None, Some(page)),
            };
            let visiting = tokio::task::spawn_blocking(move || {
                let more = match for_visitor {
                    Some(p) => visitor.visit(&p)?,
                    None => false,
                };
                Ok::<_, String>((visitor, more))
            });
            let checking = tokio::task::spawn_blocking(move || match (v, for_verifier) {
                (Some(mut v), Some(page)) => {
                    v.push_batch(&parse_page(page)?);
                    Ok::<_, String>(Some(v))
                }
                (v, _) => Ok(v),
            });
            let (visited, checked) = tokio::join!(visiting, checking);
            let (vis, more) = visited.map_err(|e| e.to_string())??;
            let v = checked.map_err(|e| e.to_string())??;
            visitor = vis;
            wants = more;
            done += n;
            progress(done, total);
            let broken = v.as_ref().is_some_and(|v| v.first_break().is_some());
            chain = v;
            if (broken && (stop_at_break || !wants)) || (!verifying && !wants) {
                break;
            }
        }
        drop(rx);
        Ok::<_, String>((chain, visitor))
    };
    let ((), result) = tokio::join!(reader, checker);
    let (chain, visitor) = result?;
    let verification = verifying.then(|| {
        let report = chain
            .unwrap_or_else(|| ChainVerifier::new(None, checkpoints.clone()))
            .finish();
        Verification {
            ok: report.first_break.is_none() && invalid.is_empty(),
            report,
            invalid_checkpoints: invalid,
        }
    });
    Ok(Scanned {
        visitor,
        verification,
        checkpoints,
        head_seq: head,
    })
}

/// Where a record's `ts` falls against a period `[since, until)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place {
    Before,
    Inside,
    /// At or after `until`; records committed later may still be inside.
    After,
    /// At or after `until + TS_SLACK`: no record committed later can be inside.
    Beyond,
}

/// A period as record timestamps (RFC 3339, UTC, microseconds: they sort as text).
#[derive(Debug, Clone, Default)]
pub struct TsWindow {
    since: Option<String>,
    until: Option<String>,
    beyond: Option<String>,
}

/// `t` as records are stamped.
pub fn stamp(t: chrono::DateTime<chrono::Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}

impl TsWindow {
    /// Bounds already in the records' format (see `audit::export::Bounds`).
    pub fn new(since: Option<&str>, until: Option<&str>) -> TsWindow {
        let beyond = until.and_then(|u| {
            chrono::DateTime::parse_from_rfc3339(u)
                .ok()
                .map(|t| stamp(t.with_timezone(&chrono::Utc) + TS_SLACK))
        });
        TsWindow {
            since: since.map(str::to_string),
            until: until.map(str::to_string),
            beyond,
        }
    }

    pub fn place(&self, ts: &str) -> Place {
        if self.since.as_deref().is_some_and(|s| ts < s) {
            Place::Before
        } else if self.until.as_deref().is_none_or(|u| ts < u) {
            Place::Inside
        } else if self.beyond.as_deref().is_some_and(|b| ts >= b) {
            Place::Beyond
        } else {
            Place::After
        }
    }
}

#[derive(Deserialize)]
struct Stamp {
    ts: String,
}

/// The record at or after seq `at` (its seq and `ts`), `None` past the end.
async fn stamp_at(store: &dyn Store, at: u64) -> Result<Option<(u64, String)>, StoreError> {
    let page = store.audit_range(at.saturating_sub(1), 1).await?;
    Ok(match page.first() {
        Some((seq, json)) => {
            let s: Stamp = serde_json::from_slice(json)
                .map_err(|e| StoreError::Corrupt(format!("audit record {seq}: {e}")))?;
            Some((*seq, s.ts))
        }
        None => None,
    })
}

/// The `after` cursor from which a scan sees every record with `ts >= since` (RFC 3339,
/// microseconds, `Z`, as records are stamped): a binary search on seq, one record read per
/// step (about 20 reads for a million records), using `TS_SLACK`.
pub async fn seek(store: &dyn Store, since: &str) -> Result<u64, StoreError> {
    let Ok(t) = chrono::DateTime::parse_from_rfc3339(since) else {
        return Ok(0);
    };
    let bound = stamp(t.with_timezone(&chrono::Utc) - TS_SLACK);
    let head = store.audit_head().await?.0;
    let Some((first, first_ts)) = stamp_at(store, 1).await? else {
        return Ok(0);
    };
    if first_ts >= bound {
        return Ok(0);
    }
    // Invariant: the record at `lo` is before `bound` (so everything up to it is before
    // `since`); `hi` is past the records known to be before it.
    let (mut lo, mut hi) = (first, head + 1);
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        match stamp_at(store, mid).await? {
            Some((seq, ts)) if seq < hi && ts < bound => lo = seq,
            _ => hi = mid,
        }
    }
    Ok(lo)
}

#[cfg(test)]
mod tests;
