//! The chain writer: one task per instance. It takes whatever records are queued (group commit,
//! no timer), chains them from the head it knows, and appends them with a compare-and-set; when
//! another instance moved the head first it re-chains from the new head and tries again. Every
//! `checkpoint_every` records or `checkpoint_interval` it signs a checkpoint of the head.

use std::sync::Arc;
use std::time::Instant;

use tokio::sync::{mpsc, oneshot};

use super::checkpoint::{Checkpoint, CheckpointSigner};
use super::record::{Chained, Prepared};
use crate::config::AuditConfig;
use crate::store::{Head, Store};

/// Records taken in one append at most.
const MAX_BATCH: usize = 1024;
/// Compare-and-set rounds before a batch is given up (each lost round means another writer won).
const MAX_ROUNDS: usize = 64;

#[derive(Debug, Clone, thiserror::Error)]
#[error("{0}")]
pub struct AppendError(pub String);

struct Job {
    record: Prepared,
    done: oneshot::Sender<Result<(u64, String), AppendError>>,
}

enum Msg {
    Append(Box<Job>),
    /// Sign a checkpoint of the head now (at shutdown), then answer.
    Checkpoint(oneshot::Sender<()>),
}

/// Handle to the writer task.
#[derive(Clone)]
pub struct Writer {
    tx: mpsc::Sender<Msg>,
}

impl Writer {
    pub fn start(
        store: Arc<dyn Store>,
        signer: Option<Arc<CheckpointSigner>>,
        cfg: AuditConfig,
    ) -> Writer {
        let (tx, rx) = mpsc::channel(65_536);
        tokio::spawn(run(store, rx, signer, cfg));
        Writer { tx }
    }

    /// Appends one record (canonicalised by the caller: `Record::prepare`); returns its
    /// `(seq, hash)` once it is committed.
    pub async fn append(&self, record: Prepared) -> Result<(u64, String), AppendError> {
        let (done, wait) = oneshot::channel();
        self.tx
            .send(Msg::Append(Box::new(Job { record, done })))
            .await
            .map_err(|_| AppendError("audit writer stopped".into()))?;
        wait.await
            .map_err(|_| AppendError("audit writer stopped".into()))?
    }

    /// Signs a checkpoint of the current head once everything queued before is committed.
    pub async fn checkpoint_now(&self) {
        let (done, wait) = oneshot::channel();
        if self.tx.send(Msg::Checkpoint(done)).await.is_ok() {
            let _ = wait.await;
        }
    }
}

struct State {
    store: Arc<dyn Store>,
    signer: Option<Arc<CheckpointSigner>>,
    cfg: AuditConfig,
    head: Option<Head>,
    last_checkpoint_seq: u64,
    last_checkpoint_at: Instant,
}

async fn run(
    store: Arc<dyn Store>,
    mut rx: mpsc::Receiver<Msg>,
    signer: Option<Arc<CheckpointSigner>>,
    cfg: AuditConfig,
) {
    let last_checkpoint_seq = match store.checkpoints().await {
        Ok(cps) => cps.last().map(|(s, _)| *s).unwrap_or(0),
        Err(_) => 0,
    };
    let mut tick = tokio::time::interval(cfg.checkpoint_interval);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut st = State {
        store,
        signer,
        cfg,
        head: None,
        last_checkpoint_seq,
        last_checkpoint_at: Instant::now(),
    };
    loop {
        tokio::select! {
            msg = rx.recv() => {
                let mut jobs = match msg {
                    None => break,
                    Some(Msg::Append(job)) => vec![*job],
                    Some(Msg::Checkpoint(done)) => {
                        st.checkpoint().await;
                        let _ = done.send(());
                        continue;
                    }
                };
                let mut after: Option<oneshot::Sender<()>> = None;
                while jobs.len() < MAX_BATCH {
                    match rx.try_recv() {
                        Ok(Msg::Append(j)) => jobs.push(*j),
                        Ok(Msg::Checkpoint(done)) => {
                            after = Some(done);
                            break;
                        }
                        Err(_) => break,
                    }
                }
                st.commit(jobs).await;
                let due = st.head.as_ref().is_some_and(|h| h.0 >= st.last_checkpoint_seq + st.cfg.checkpoint_every);
                if due || after.is_some() {
                    st.checkpoint().await;
                }
                if let Some(done) = after {
                    let _ = done.send(());
                }
            }
            _ = tick.tick() => {
                if st.last_checkpoint_at.elapsed() >= st.cfg.checkpoint_interval {
                    st.checkpoint().await;
                }
            }
        }
    }
}

impl State {
    async fn commit(&mut self, jobs: Vec<Job>) {
        let started = Instant::now();
        let (records, waiters): (Vec<Prepared>, Vec<_>) =
            jobs.into_iter().map(|j| (j.record, j.done)).unzip();
        let outcome = self.append_rounds(&records).await;
        metrics::histogram!("parapet_audit_append_seconds").record(started.elapsed().as_secs_f64());
        metrics::histogram!("parapet_audit_batch_records").record(records.len() as f64);
        match outcome {
            Ok(chained) => {
                metrics::counter!("parapet_audit_records_total").increment(records.len() as u64);
                for (rec, w) in chained.into_iter().zip(waiters) {
                    let _ = w.send(Ok((rec.seq, rec.hash)));
                }
            }
            Err(e) => {
                metrics::counter!("parapet_audit_append_failures_total")
                    .increment(records.len() as u64);
                tracing::error!(error = %e, records = records.len(), "audit append failed");
                for w in waiters {
                    let _ = w.send(Err(e.clone()));
                }
            }
        }
    }

    async fn append_rounds(&mut self, records: &[Prepared]) -> Result<Vec<Chained>, AppendError> {
        for _ in 0..MAX_ROUNDS {
            let expected = match &self.head {
                Some(h) => h.clone(),
                None => self
                    .store
                    .audit_head()
                    .await
                    .map_err(|e| AppendError(e.to_string()))?,
            };
            let mut prev = expected.clone();
            let mut chained = Vec::with_capacity(records.len());
            for r in records {
                let c = r.chain_after(prev.0, &prev.1);
                prev = (c.seq, c.hash.clone());
                chained.push(c);
            }
            let payload: Vec<(u64, Vec<u8>)> = chained
                .iter_mut()
                .map(|c| (c.seq, std::mem::take(&mut c.stored)))
                .collect();
            match self.store.audit_append(&expected, &payload, &prev).await {
                Ok(None) => {
                    self.head = Some(prev);
                    return Ok(chained);
                }
                Ok(Some(moved)) => {
                    metrics::counter!("parapet_audit_rechains_total").increment(1);
                    self.head = Some(moved);
                }
                Err(e) => {
                    self.head = None;
                    return Err(AppendError(e.to_string()));
                }
            }
        }
        self.head = None;
        Err(AppendError(format!(
            "head kept moving: gave up after {MAX_ROUNDS} rounds"
        )))
    }

    async fn checkpoint(&mut self) {
        self.last_checkpoint_at = Instant::now();
        let Some(signer) = self.signer.clone() else {
            return;
        };
        let head = match &self.head {
            Some(h) => h.clone(),
            None => match self.store.audit_head().await {
                Ok(h) => h,
                Err(_) => return,
            },
        };
        if head.0 == 0 || head.0 <= self.last_checkpoint_seq {
            return;
        }
        let cp = Checkpoint {
            origin: self.cfg.origin.clone(),
            seq: head.0,
            head_hash: head.1.clone(),
            extensions: vec![format!(
                "time {}",
                chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
            )],
        };
        let note = match signer.sign(&cp) {
            Ok(n) => n,
            Err(e) => {
                tracing::error!(error = %e, "cannot sign audit checkpoint");
                return;
            }
        };
        if let Err(e) = self.store.checkpoint_put(cp.seq, &note).await {
            tracing::error!(error = %e, seq = cp.seq, "cannot store audit checkpoint");
            return;
        }
        self.last_checkpoint_seq = cp.seq;
        metrics::counter!("parapet_audit_checkpoints_total").increment(1);
        super::witness::export(&self.cfg, cp.seq, &note).await;
    }
}
