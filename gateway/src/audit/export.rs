//! Streamed exports of the log: JSONL (records as stored), JSONL with Elastic Common Schema
//! field names, and CSV. Pages are read from the store as the client reads; nothing is built
//! in memory beyond one page.

use std::sync::Arc;

use bytes::Bytes;
use futures_util::Stream;
use serde::Deserialize;
use serde_json::{json, Value};

use super::read::{parse_record, PAGE};
use super::record::Record;
use crate::error::ApiError;
use crate::store::Store;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    Csv,
    Jsonl,
    Ecs,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExportRange {
    #[serde(default)]
    format: Option<String>,
    #[serde(default)]
    since: Option<String>,
    #[serde(default)]
    until: Option<String>,
    #[serde(default)]
    ecs: bool,
}

/// `[since, until)` as record timestamps (RFC 3339, UTC, microseconds: they sort as text).
#[derive(Debug, Clone, Default)]
pub struct Bounds {
    pub since: Option<String>,
    pub until: Option<String>,
}

fn normalize(field: &str, v: &str) -> Result<String, ApiError> {
    chrono::DateTime::parse_from_rfc3339(v)
        .map(|t| {
            t.with_timezone(&chrono::Utc)
                .to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
        })
        .map_err(|e| ApiError::InvalidValue {
            field: field.into(),
            reason: format!("'{v}' is not RFC 3339: {e}"),
        })
}

impl ExportRange {
    pub fn format(&self) -> Result<ExportFormat, ApiError> {
        match (self.format.as_deref().unwrap_or("jsonl"), self.ecs) {
            ("jsonl", false) => Ok(ExportFormat::Jsonl),
            ("jsonl", true) => Ok(ExportFormat::Ecs),
            ("csv", false) => Ok(ExportFormat::Csv),
            ("csv", true) => Err(ApiError::InvalidValue {
                field: "ecs".into(),
                reason: "ECS names are for jsonl".into(),
            }),
            (other, _) => Err(ApiError::InvalidValue {
                field: "format".into(),
                reason: format!("'{other}': use csv or jsonl"),
            }),
        }
    }

    pub fn bounds(&self) -> Result<Bounds, ApiError> {
        Ok(Bounds {
            since: self
                .since
                .as_deref()
                .map(|v| normalize("since", v))
                .transpose()?,
            until: self
                .until
                .as_deref()
                .map(|v| normalize("until", v))
                .transpose()?,
        })
    }
}

pub const CSV_HEADER: &str = "seq,id,ts,kind,caller_kind,caller_id,key_id,route,model_requested,provider,model_served,stream,status,error,prompt_tokens,completion_tokens,cost_usd,latency_ms,prev_hash,hash\n";

fn csv_field(out: &mut String, v: &str) {
    if v.contains([',', '"', '\n', '\r']) {
        out.push('"');
        out.push_str(&v.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(v);
    }
    out.push(',');
}

pub fn csv_row(r: &Record) -> String {
    let mut out = String::with_capacity(256);
    let req = r.request.clone().unwrap_or_default();
    let resp = r.response.clone().unwrap_or_default();
    let usage = r.usage.unwrap_or_default();
    let opt = |v: &Option<String>| v.clone().unwrap_or_default();
    for v in [
        r.seq.to_string(),
        r.id.clone(),
        r.ts.clone(),
        r.kind.clone(),
        r.caller.kind.clone(),
        r.caller.id.clone(),
        opt(&r.caller.key_id),
        req.route,
        opt(&req.model_requested),
        opt(&req.provider),
        opt(&req.model_served),
        req.stream.to_string(),
        if r.response.is_some() {
            resp.status.to_string()
        } else {
            String::new()
        },
        opt(&resp.error),
        usage.prompt_tokens.to_string(),
        usage.completion_tokens.to_string(),
        r.cost_usd.map(|c| c.to_string()).unwrap_or_default(),
        r.latency_ms.map(|l| l.to_string()).unwrap_or_default(),
        r.prev_hash.clone(),
        r.hash.clone(),
    ] {
        csv_field(&mut out, &v);
    }
    out.pop();
    out.push('\n');
    out
}

/// The record with Elastic Common Schema names for the common fields; the rest under `parapet`.
pub fn ecs(r: &Record) -> Value {
    let outcome = match r.response.as_ref().map(|x| x.status) {
        Some(s) if s < 400 => "success",
        Some(_) => "failure",
        None => "unknown",
    };
    json!({
        "@timestamp": r.ts,
        "event": {"id": r.id, "kind": "event", "action": r.kind, "sequence": r.seq, "outcome": outcome,
                  "duration": r.latency_ms.map(|ms| ms * 1_000_000), "hash": r.hash},
        "user": {"id": r.caller.id, "roles": [r.caller.kind], "group": {"name": r.caller.groups}},
        "url": {"path": r.request.as_ref().map(|q| q.route.clone())},
        "http": {"response": {"status_code": r.response.as_ref().map(|x| x.status)}},
        "error": {"code": r.response.as_ref().and_then(|x| x.error.clone())},
        "parapet": r,
    })
}

fn render(r: &Record, format: ExportFormat) -> String {
    match format {
        ExportFormat::Csv => csv_row(r),
        ExportFormat::Jsonl => serde_json::to_string(r).unwrap_or_default() + "\n",
        ExportFormat::Ecs => ecs(r).to_string() + "\n",
    }
}

struct ExportState {
    store: Arc<dyn Store>,
    bounds: Bounds,
    format: ExportFormat,
    after: u64,
    header_sent: bool,
    done: bool,
}

pub fn export_stream(
    store: Arc<dyn Store>,
    bounds: Bounds,
    format: ExportFormat,
) -> impl Stream<Item = Result<Bytes, std::io::Error>> {
    let state = ExportState {
        store,
        bounds,
        format,
        after: 0,
        header_sent: false,
        done: false,
    };
    futures_util::stream::unfold(state, |mut st| async move {
        if st.done {
            return None;
        }
        let mut out = String::new();
        if !st.header_sent {
            st.header_sent = true;
            if st.format == ExportFormat::Csv {
                out.push_str(CSV_HEADER);
            }
        }
        let page = match st.store.audit_range(st.after, PAGE).await {
            Ok(p) => p,
            Err(e) => {
                st.done = true;
                return Some((Err(std::io::Error::other(e.to_string())), st));
            }
        };
        if page.len() < PAGE {
            st.done = true;
        }
        for (seq, json) in &page {
            st.after = *seq;
            let rec = match parse_record(*seq, json) {
                Ok(r) => r,
                Err(e) => {
                    st.done = true;
                    return Some((Err(std::io::Error::other(e)), st));
                }
            };
            if st.bounds.since.as_ref().is_some_and(|s| rec.ts < *s) {
                continue;
            }
            if st.bounds.until.as_ref().is_some_and(|u| rec.ts >= *u) {
                st.done = true;
                break;
            }
            out.push_str(&render(&rec, st.format));
        }
        Some((Ok(Bytes::from(out)), st))
    })
}

#[cfg(test)]
mod tests;
