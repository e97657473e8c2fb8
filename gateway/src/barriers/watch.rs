//! The watch list: from the configured file (re-read when its mtime changes), or from
//! `PUT /api/watchlist` (kept in the store so every instance on the same Redis picks it up).
//! A new list is compiled on the blocking pool and swapped in; calls in flight keep the
//! classifier they started with, so nothing is dropped.

use std::sync::{Mutex, Weak};
use std::time::{Instant, SystemTime};

use chrono::{DateTime, Utc};
use parapet_classifiers::{Classifier, Watchlist};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::Guard;
use crate::error::ApiError;
use crate::store::docs::{Collection, Document};
use crate::store::Docs;

const CURRENT: &str = "current";
const VERSION: &str = "version";

/// A stored watch list (`id = "current"`, with `list`) or its version marker (`id = "version"`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct WatchlistDoc {
    pub id: String,
    pub version: String,
    pub updated_at: DateTime<Utc>,
    #[serde(default)]
    pub list: Option<Value>,
}

impl Document for WatchlistDoc {
    const COLLECTION: Collection = Collection::Watchlist;
    fn id(&self) -> &str {
        &self.id
    }
}

#[derive(Default)]
pub struct WatchState {
    /// The stored version in use (empty: none).
    version: Mutex<String>,
    /// The file's mtime when last read.
    mtime: Mutex<Option<SystemTime>>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// What a loaded list holds, for the API answer and the log.
pub fn summary(list: &Watchlist, source: &str, build_ms: u128) -> Value {
    json!({
        "source": source,
        "issuers": list.issuers.len(),
        "deal_code_names": list.deal_code_names.len(),
        "build_ms": build_ms,
    })
}

async fn build(bytes: Vec<u8>) -> Result<(Classifier, Value), ApiError> {
    let invalid = |reason: String| ApiError::InvalidValue {
        field: "watchlist".into(),
        reason,
    };
    tokio::task::spawn_blocking(move || {
        let started = Instant::now();
        let list = Watchlist::from_json(&bytes).map_err(|e| invalid(e.to_string()))?;
        let c = Classifier::new(&list).map_err(|e| invalid(e.to_string()))?;
        Ok((c, summary(&list, "", started.elapsed().as_millis())))
    })
    .await
    .map_err(|e| ApiError::Internal(format!("watch list build: {e}")))?
}

fn unavailable(e: crate::store::StoreError) -> ApiError {
    ApiError::StoreUnavailable(e.to_string())
}

impl Guard {
    /// `PUT /api/watchlist`: checks and compiles the list, stores it for the other instances,
    /// then swaps it in here.
    pub async fn set_watchlist(&self, bytes: Vec<u8>) -> Result<Value, ApiError> {
        let doc_list: Value =
            serde_json::from_slice(&bytes).map_err(|e| ApiError::InvalidJson(e.to_string()))?;
        let (classifier, mut info) = build(bytes).await?;
        let version = uuid::Uuid::now_v7().to_string();
        let now = Utc::now();
        let current = WatchlistDoc {
            id: CURRENT.into(),
            version: version.clone(),
            updated_at: now,
            list: Some(doc_list),
        };
        let marker = WatchlistDoc {
            id: VERSION.into(),
            version: version.clone(),
            updated_at: now,
            list: None,
        };
        for doc in [&current, &marker] {
            if !self.store.replace_doc(doc).await.map_err(unavailable)? {
                self.store.create_doc(doc).await.map_err(unavailable)?;
            }
        }
        self.swap_classifier(classifier);
        *lock(&self.watch.version) = version.clone();
        if let Some(o) = info.as_object_mut() {
            o.insert("source".into(), json!("api"));
            o.insert("version".into(), json!(version));
        }
        tracing::info!(%info, "watch list replaced");
        Ok(info)
    }

    /// Applies a watch list stored by any instance, or the file when it changed. At `start`,
    /// a list that cannot be read is an error; later it is logged and the old one kept.
    pub async fn reload_watchlist(&self, start: bool) -> Result<(), String> {
        match self.reload_stored().await {
            Ok(true) => return Ok(()),
            Ok(false) => {}
            Err(e) if start => return Err(e),
            Err(e) => tracing::warn!(error = %e, "cannot read the stored watch list"),
        }
        match self.reload_file().await {
            Err(e) if start => Err(e),
            Err(e) => {
                tracing::warn!(error = %e, "watch list file not applied; the previous list stays");
                Ok(())
            }
            Ok(()) => Ok(()),
        }
    }

    async fn reload_stored(&self) -> Result<bool, String> {
        let marker: Option<WatchlistDoc> = self
            .store
            .get_doc(VERSION)
            .await
            .map_err(|e| e.to_string())?;
        let Some(marker) = marker else {
            return Ok(false);
        };
        if *lock(&self.watch.version) == marker.version {
            return Ok(false);
        }
        let current: Option<WatchlistDoc> = self
            .store
            .get_doc(CURRENT)
            .await
            .map_err(|e| e.to_string())?;
        let Some(WatchlistDoc {
            version,
            list: Some(list),
            ..
        }) = current
        else {
            return Ok(false);
        };
        let bytes = serde_json::to_vec(&list).map_err(|e| e.to_string())?;
        let (classifier, info) = build(bytes).await.map_err(|e| e.to_string())?;
        self.swap_classifier(classifier);
        *lock(&self.watch.version) = version;
        tracing::info!(%info, "stored watch list applied");
        Ok(true)
    }

    async fn reload_file(&self) -> Result<(), String> {
        let Some(path) = self.cfg.watchlist.clone() else {
            return Ok(());
        };
        let mtime = tokio::fs::metadata(&path)
            .await
            .and_then(|m| m.modified())
            .map_err(|e| format!("watch list {}: {e}", path.display()))?;
        if *lock(&self.watch.mtime) == Some(mtime) {
            return Ok(());
        }
        // A list uploaded through the API wins until the file changes again.
        let first = lock(&self.watch.mtime).is_none();
        *lock(&self.watch.mtime) = Some(mtime);
        if first && !lock(&self.watch.version).is_empty() {
            return Ok(());
        }
        let bytes = tokio::fs::read(&path)
            .await
            .map_err(|e| format!("watch list {}: {e}", path.display()))?;
        let (classifier, info) = build(bytes)
            .await
            .map_err(|e| format!("watch list {}: {e}", path.display()))?;
        self.swap_classifier(classifier);
        tracing::info!(%info, file = %path.display(), "watch list file applied");
        Ok(())
    }
}

/// Every `reload_interval`: barriers and the stored watch list from the store, the file's mtime.
pub async fn reload_loop(guard: Weak<Guard>) {
    loop {
        let Some(interval) = guard.upgrade().map(|g| g.reload_interval()) else {
            return;
        };
        tokio::time::sleep(interval).await;
        let Some(g) = guard.upgrade() else { return };
        if let Err(e) = g.refresh_barriers().await {
            tracing::warn!(error = %e, "cannot refresh barriers; the cached ones stay");
        }
        let _ = g.reload_watchlist(false).await;
    }
}
