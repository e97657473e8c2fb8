//! Reading the log: verification (chain + signed checkpoints), the SIEM cursor, exports, and
//! the retention loop that trims whole prefixes behind a signed checkpoint.

use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;

use super::checkpoint::{Checkpoint, CheckpointVerifier};
use super::record::Record;
use sha2::Digest;

use super::scan::{scan, NoVisitor, Verify};
use super::verify::{Chained, Report};
use super::Audit;
use crate::store::Store;

/// Records read from the store per page.
pub const PAGE: usize = 5_000;

/// A verification result: the chain report plus checkpoint notes that did not verify.
#[derive(Debug, Serialize)]
pub struct Verification {
    pub ok: bool,
    #[serde(flatten)]
    pub report: Report,
    pub invalid_checkpoints: Vec<String>,
}

/// Opens every checkpoint note; returns the good ones and a message per bad one.
pub fn open_checkpoints(
    notes: &[(u64, String)],
    verifier: Option<&CheckpointVerifier>,
) -> (Vec<Checkpoint>, Vec<String>) {
    let Some(v) = verifier else {
        return (vec![], vec![]);
    };
    let mut good = Vec::new();
    let mut bad = Vec::new();
    for (seq, note) in notes {
        match v.open(note) {
            Ok(cp) if cp.seq == *seq => good.push(cp),
            Ok(cp) => bad.push(format!(
                "checkpoint stored at seq {seq} says seq {}",
                cp.seq
            )),
            Err(e) => bad.push(format!("checkpoint at seq {seq}: {e}")),
        }
    }
    (good, bad)
}

/// The start of a log whose prefix was trimmed: the checkpoint at `first_seq - 1` vouches for it.
pub(crate) fn start_for(first_seq: u64, checkpoints: &[Checkpoint]) -> Option<(u64, String)> {
    if first_seq <= 1 {
        return None;
    }
    checkpoints
        .iter()
        .find(|c| c.seq == first_seq - 1)
        .map(|c| (c.seq, c.head_hash.clone()))
}

pub fn parse_record(seq: u64, json: &[u8]) -> Result<Record, String> {
    serde_json::from_slice(json)
        .map_err(|e| format!("record at seq {seq} is not a valid audit record: {e}"))
}

/// A stored record for verification: its place in the chain, read without parsing the rest,
/// and its stored bytes. Records are stored in canonical form with their hash, so the hashed
/// content is the stored bytes without the top-level `hash` member.
pub struct StoredRecord {
    seq: u64,
    prev_hash: String,
    hash: String,
    bytes: Vec<u8>,
}

impl StoredRecord {
    pub fn parse(seq: u64, bytes: Vec<u8>) -> Result<StoredRecord, String> {
        #[derive(serde::Deserialize)]
        struct Place {
            seq: u64,
            prev_hash: String,
            #[serde(default)]
            hash: String,
        }
        let p: Place = serde_json::from_slice(&bytes)
            .map_err(|e| format!("record at seq {seq} is not a valid audit record: {e}"))?;
        Ok(StoredRecord {
            seq: p.seq,
            prev_hash: p.prev_hash,
            hash: p.hash,
            bytes,
        })
    }
}

/// The range of the top-level `,"hash":"<64 hex>"` member, found by walking the JSON structure
/// (nested objects may have `hash` keys of their own).
fn top_level_hash(b: &[u8]) -> Option<std::ops::Range<usize>> {
    const KEY: &[u8] = b"\"hash\":\"";
    let (mut depth, mut in_str, mut escaped) = (0usize, false, false);
    for i in 0..b.len() {
        let c = b[i];
        if in_str {
            match (escaped, c) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_str = false,
                _ => {}
            }
            continue;
        }
        match c {
            b'"' if depth == 1 && b[i..].starts_with(KEY) && i > 0 && b[i - 1] == b',' => {
                let end = i + KEY.len() + 64 + 1;
                return (b.get(end - 1) == Some(&b'"')).then_some(i - 1..end);
            }
            b'"' => in_str = true,
            b'{' | b'[' => depth += 1,
            b'}' | b']' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    None
}

impl Chained for StoredRecord {
    fn seq(&self) -> u64 {
        self.seq
    }
    fn prev_hash(&self) -> &str {
        &self.prev_hash
    }
    fn hash(&self) -> &str {
        &self.hash
    }
    fn content_hash(&self) -> Result<String, String> {
        if let Some(range) = top_level_hash(&self.bytes) {
            let mut h = sha2::Sha256::new();
            h.update(self.prev_hash.as_bytes());
            h.update(&self.bytes[..range.start]);
            h.update(&self.bytes[range.end..]);
            let fast = hex::encode(h.finalize());
            if fast == self.hash {
                return Ok(fast);
            }
        }
        // Not in canonical stored form (or altered): the full, slow computation decides.
        parse_record(self.seq, &self.bytes)?.content_hash()
    }
}

/// Reads the place of each record of a page, in parallel on the available cores.
pub(crate) fn parse_page(page: Vec<(u64, Vec<u8>)>) -> Result<Vec<StoredRecord>, String> {
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(8);
    let chunk = page.len().div_ceil(threads).max(1);
    let mut page = page;
    let mut parts = Vec::new();
    while page.len() > chunk {
        let rest = page.split_off(chunk);
        parts.push(std::mem::replace(&mut page, rest));
    }
    parts.push(page);
    std::thread::scope(|s| {
        let handles: Vec<_> = parts
            .into_iter()
            .map(|c| {
                s.spawn(move || {
                    c.into_iter()
                        .map(|(seq, json)| StoredRecord::parse(seq, json))
                        .collect::<Result<Vec<_>, _>>()
                })
            })
            .collect();
        let mut out = Vec::new();
        for h in handles {
            out.extend(
                h.join()
                    .map_err(|_| "a parser thread panicked".to_string())??,
            );
        }
        Ok(out)
    })
}

/// Verifies the whole log in `store`, page by page; `progress(done, total)` after each page.
/// The next pages are read from the store while the current one is parsed and hashed (on the
/// blocking pool, in parallel); reading stops at the first break.
pub async fn verify_store(
    store: &dyn Store,
    verifier: Option<&CheckpointVerifier>,
    progress: impl FnMut(u64, u64),
) -> Result<Verification, String> {
    let verify = Verify {
        verifier,
        stop_at_break: true,
    };
    let scanned = scan(store, 0, Some(verify), NoVisitor, progress).await?;
    scanned
        .verification
        .ok_or_else(|| "the scan did not verify".to_string())
}

/// Runs `verify_store`, and when the chain is broken records that fact (`audit.chain_broken`)
/// and tells the configured webhooks.
pub async fn verify_and_report(audit: &Audit) -> Result<Verification, String> {
    let verifier = audit.verifier();
    let v = verify_store(audit.store().as_ref(), verifier.as_ref(), |_, _| {}).await?;
    if !v.ok {
        let detail = serde_json::json!({
            "first_break": v.report.first_break.as_ref().map(|b| b.to_string()),
            "invalid_checkpoints": v.invalid_checkpoints,
        });
        metrics::counter!("parapet_audit_chain_broken_total").increment(1);
        tracing::error!(%detail, "audit chain verification failed");
        let mut rec = Record::new("audit.chain_broken", super::caller_info(None));
        rec.caller.kind = "service".into();
        rec.caller.id = "parapet".into();
        rec.change = Some(detail.clone());
        if let Err(e) = audit.commit(rec).await {
            tracing::error!(error = %e, "cannot record the broken chain");
        }
        audit.webhooks().emit("audit.chain_broken", detail);
    }
    Ok(v)
}

/// Trims records older than `audit.retention_days`, every ten minutes: signs a checkpoint at the
/// last record to go (extension `trimmed-through N`), then deletes through it.
pub async fn retention_loop(audit: Arc<Audit>) {
    let period = Duration::from_secs(600);
    let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + period, period);
    loop {
        tick.tick().await;
        if let Err(e) = trim_once(&audit).await {
            tracing::error!(error = %e, "audit retention failed");
        }
    }
}

pub async fn trim_once(audit: &Audit) -> Result<u64, String> {
    let (Some(retention), Some(signer)) = (audit.cfg().retention, audit.signer()) else {
        return Ok(0);
    };
    let cutoff =
        chrono::Utc::now() - chrono::Duration::from_std(retention).map_err(|e| e.to_string())?;
    let cutoff = cutoff.to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
    let store = audit.store();
    let mut after = 0;
    let mut last_old: Option<(u64, String)> = None;
    'scan: loop {
        let page = store
            .audit_range(after, PAGE)
            .await
            .map_err(|e| e.to_string())?;
        let Some(last) = page.last() else { break };
        after = last.0;
        for (seq, json) in &page {
            let rec = parse_record(*seq, json)?;
            if rec.ts >= cutoff {
                break 'scan;
            }
            last_old = Some((rec.seq, rec.hash));
        }
    }
    let Some((through, hash)) = last_old else {
        return Ok(0);
    };
    let cp = Checkpoint {
        origin: audit.cfg().origin.clone(),
        seq: through,
        head_hash: hash,
        extensions: vec![format!("trimmed-through {through}")],
    };
    let note = signer.sign(&cp).map_err(|e| e.to_string())?;
    store
        .checkpoint_put(through, &note)
        .await
        .map_err(|e| e.to_string())?;
    super::witness::export(audit.cfg(), through, &note).await;
    let n = store.audit_trim(through).await.map_err(|e| e.to_string())?;
    tracing::info!(through, trimmed = n, "audit records past retention trimmed");
    let mut rec = Record::new("audit.retention", super::caller_info(None));
    rec.caller.kind = "service".into();
    rec.caller.id = "parapet".into();
    rec.change = Some(serde_json::json!({"trimmed_through": through, "records": n}));
    audit.commit(rec).await.map_err(|e| e.to_string())?;
    Ok(n)
}

#[cfg(test)]
mod tests;
