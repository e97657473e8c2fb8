//! Exporting signed checkpoints to an outside witness: a file (JSON lines `{"seq", "note"}`,
//! the shape of `GET /api/audit/checkpoints` items, which `parapet audit verify --checkpoints`
//! reads) and/or an HTTP endpoint (POST of the note, `text/plain`). A witness that
//! cannot be reached is logged and counted; the checkpoint stays in the store.

use std::time::Duration;

use tokio::io::AsyncWriteExt;

use crate::config::AuditConfig;

pub async fn export(cfg: &AuditConfig, seq: u64, note: &str) {
    if let Some(path) = &cfg.witness_file {
        let written = async {
            let mut f = tokio::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
                .await?;
            let mut line = serde_json::json!({"seq": seq, "note": note}).to_string();
            line.push('\n');
            f.write_all(line.as_bytes()).await?;
            f.sync_data().await
        }
        .await;
        if let Err(e) = written {
            metrics::counter!("parapet_audit_witness_failures_total", "witness" => "file")
                .increment(1);
            tracing::error!(error = %e, path = %path.display(), "cannot write checkpoint to the witness file");
        }
    }
    if let Some(url) = &cfg.witness_url {
        let sent = reqwest::Client::new()
            .post(url)
            .timeout(Duration::from_secs(5))
            .header(reqwest::header::CONTENT_TYPE, "text/plain; charset=utf-8")
            .body(note.to_string())
            .send()
            .await
            .and_then(reqwest::Response::error_for_status);
        if let Err(e) = sent {
            metrics::counter!("parapet_audit_witness_failures_total", "witness" => "http")
                .increment(1);
            tracing::error!(error = %e, "cannot send checkpoint to the witness endpoint");
        }
    }
}
