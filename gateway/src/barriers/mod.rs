//! Information barriers (DESIGN §6, seed 004): the classifier (hot-swapped watch list), the
//! barrier definitions (cached, refreshed from the store so every instance sees a change), the
//! decision for one text and one caller, and the supervision record of every trigger.

use std::sync::Arc;
use std::time::Duration;

use arc_swap::ArcSwap;
use chrono::Utc;
use parapet_classifiers::{Classification, Classifier, LabelSet, Watchlist};
use serde_json::{json, Map, Value};

use crate::audit::Audit;
use crate::config::BarriersConfig;
use crate::error::ApiError;
use crate::identity::Caller;
use crate::store::{Docs, Store};

pub mod model;
pub mod record;
pub mod stream;
pub mod supervision;
pub mod watch;

use model::{strictest, triggered, Applicable, Barrier, BarrierAction, Trigger};
use supervision::{Direction, Recipient};

/// Texts longer than this are classified on the blocking pool.
const INLINE_LIMIT: usize = 256 * 1024;

pub struct Guard {
    classifier: ArcSwap<Classifier>,
    barriers: ArcSwap<Vec<Arc<Barrier>>>,
    store: Arc<dyn Store>,
    audit: Arc<Audit>,
    cfg: BarriersConfig,
    watch: watch::WatchState,
}

/// Where a text was seen, for the supervision record.
pub struct Seen<'a> {
    pub caller: &'a Caller,
    pub direction: Direction,
    pub route: &'a str,
    pub request_id: Option<&'a str>,
    /// Who else receives the text: the owner of the agent an A2A message goes to. Barriers
    /// that apply to them fire too, and the record names them.
    pub recipient: Option<&'a Recipient>,
}

/// The outcome for one text: what it carries and which barriers fired.
pub struct Verdict {
    pub classification: Classification,
    pub triggers: Vec<Trigger>,
    pub action: Option<BarrierAction>,
}

impl Verdict {
    /// The audit record's `guardrails` member.
    pub fn guardrails(&self) -> Value {
        json!({
            "labels": self.classification.labels,
            "barriers": self.triggers.iter().map(|t| t.barrier.id.clone()).collect::<Vec<_>>(),
            "action": self.action.map(BarrierAction::as_str),
            "compliance_score": self.classification.compliance_score,
        })
    }

    /// The refusal when a Block barrier fired.
    pub fn refusal(&self) -> Option<ApiError> {
        if self.action != Some(BarrierAction::Block) {
            return None;
        }
        let t = self
            .triggers
            .iter()
            .find(|t| t.barrier.action == BarrierAction::Block)?;
        Some(block_error(t))
    }
}

pub fn block_error(t: &Trigger) -> ApiError {
    ApiError::InformationBarrier {
        barrier: t.barrier.name.clone(),
        labels: label_names(t.labels).join(", "),
    }
}

pub fn label_names(labels: LabelSet) -> Vec<&'static str> {
    labels.iter().map(|l| l.as_str()).collect()
}

impl Guard {
    /// Loads the watch list (stored one first, else the configured file) and the barriers.
    pub async fn start(
        cfg: BarriersConfig,
        store: Arc<dyn Store>,
        audit: Arc<Audit>,
    ) -> Result<Arc<Guard>, String> {
        let empty = Classifier::new(&Watchlist::default()).map_err(|e| e.to_string())?;
        let guard = Arc::new(Guard {
            classifier: ArcSwap::from_pointee(empty),
            barriers: ArcSwap::from_pointee(Vec::new()),
            store,
            audit,
            cfg,
            watch: watch::WatchState::default(),
        });
        guard.reload_watchlist(true).await?;
        guard.refresh_barriers().await.map_err(|e| e.to_string())?;
        tokio::spawn(watch::reload_loop(Arc::downgrade(&guard)));
        tokio::spawn(record::retention_loop(Arc::downgrade(&guard)));
        Ok(guard)
    }

    pub fn cfg(&self) -> &BarriersConfig {
        &self.cfg
    }

    pub fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    pub fn audit(&self) -> &Arc<Audit> {
        &self.audit
    }

    pub fn classifier(&self) -> Arc<Classifier> {
        self.classifier.load_full()
    }

    /// Labels a text; long texts on the blocking pool.
    pub async fn classify(&self, text: String) -> Classification {
        let c = self.classifier();
        if text.len() <= INLINE_LIMIT {
            return c.classify(&text);
        }
        match tokio::task::spawn_blocking(move || c.classify(&text)).await {
            Ok(r) => r,
            Err(_) => Classification::from_findings(Vec::new()),
        }
    }

    /// Whether no barrier is defined (or enabled) at all.
    pub fn is_empty(&self) -> bool {
        !self.barriers.load().iter().any(|b| b.enabled)
    }

    /// The barriers that apply to a caller with these groups.
    pub fn applicable(&self, groups: &[String]) -> Vec<Applicable> {
        if groups.is_empty() {
            return Vec::new();
        }
        self.barriers
            .load()
            .iter()
            .filter(|b| b.applies_to(groups))
            .map(|b| Applicable {
                barrier: b.clone(),
                labels: b.labels(),
            })
            .collect()
    }

    /// Classifies `text` for `seen.caller` (and `seen.recipient`), records every trigger (supervision record, audit
    /// record, compliance webhook for Alert) and returns the verdict; the caller refuses on Block.
    pub async fn inspect(&self, text: String, seen: &Seen<'_>) -> Result<Verdict, ApiError> {
        let classification = self.classify(text.clone()).await;
        let mut applicable = self.applicable(&seen.caller.groups);
        if let Some(r) = seen.recipient {
            for a in self.applicable(&r.groups) {
                if !applicable.iter().any(|b| b.barrier.id == a.barrier.id) {
                    applicable.push(a);
                }
            }
        }
        let triggers = triggered(&applicable, classification.labels);
        let verdict = Verdict {
            action: strictest(&triggers),
            classification,
            triggers,
        };
        for t in &verdict.triggers {
            record::write(self, t, seen, &text).await?;
        }
        Ok(verdict)
    }

    /// Re-reads the barrier definitions from the store.
    pub async fn refresh_barriers(&self) -> Result<(), ApiError> {
        let mut list: Vec<Barrier> = self
            .store
            .list_docs()
            .await
            .map_err(|e| ApiError::StoreUnavailable(e.to_string()))?;
        list.sort_by(|a, b| a.id.cmp(&b.id));
        self.barriers
            .store(Arc::new(list.into_iter().map(Arc::new).collect()));
        Ok(())
    }

    fn swap_classifier(&self, c: Classifier) {
        self.classifier.store(Arc::new(c));
    }

    /// How often the watch list and barriers are checked for changes made elsewhere.
    pub fn reload_interval(&self) -> Duration {
        self.cfg.reload_interval
    }
}

/// Everything a chat request puts before the model as text, one piece per line: each message's
/// content (a string, or its text parts), refusal and the arguments of its tool calls (and of
/// a legacy `function_call`); the descriptions and parameter schemas of the tools (and legacy
/// functions) offered; a `prediction`'s content; a `response_format`'s JSON schema. Images,
/// audio and files are not text and are not read.
pub fn prompt_text(body: &Map<String, Value>) -> String {
    let mut out = String::new();
    for m in body
        .get("messages")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        content_text(m.get("content"), &mut out);
        if let Some(Value::String(s)) = m.get("refusal") {
            push_line(&mut out, s);
        }
        let calls = m.get("tool_calls").and_then(Value::as_array);
        let functions = calls
            .into_iter()
            .flatten()
            .filter_map(|c| c.get("function"));
        for f in functions.chain(m.get("function_call")) {
            if let Some(Value::String(s)) = f.get("arguments") {
                push_line(&mut out, s);
            }
        }
    }
    let tools = body.get("tools").and_then(Value::as_array);
    let tools = tools
        .into_iter()
        .flatten()
        .filter_map(|t| t.get("function"));
    let legacy = body.get("functions").and_then(Value::as_array);
    for f in tools.chain(legacy.into_iter().flatten()) {
        for key in ["description", "parameters"] {
            string_leaves(f.get(key), &mut out);
        }
    }
    content_text(
        body.get("prediction").and_then(|p| p.get("content")),
        &mut out,
    );
    let schema = body
        .get("response_format")
        .and_then(|r| r.get("json_schema"));
    string_leaves(schema, &mut out);
    out
}

/// A message `content`: a string, or the `text` of its parts.
fn content_text(content: Option<&Value>, out: &mut String) {
    match content {
        Some(Value::String(s)) => push_line(out, s),
        Some(Value::Array(parts)) => {
            for p in parts {
                if let Some(s) = p.get("text").and_then(Value::as_str) {
                    push_line(out, s);
                }
            }
        }
        _ => {}
    }
}

/// Every string inside `v` (object keys not included), one per line.
fn string_leaves(v: Option<&Value>, out: &mut String) {
    match v {
        Some(Value::String(s)) => push_line(out, s),
        Some(Value::Array(a)) => a.iter().for_each(|x| string_leaves(Some(x), out)),
        Some(Value::Object(o)) => o.values().for_each(|x| string_leaves(Some(x), out)),
        _ => {}
    }
}

/// The text of an embeddings request's `input` (a string, or strings), one per line; `None`
/// when it holds token ids, which cannot be classified.
pub fn embeddings_text(body: &Map<String, Value>) -> Option<String> {
    let mut out = String::new();
    match body.get("input") {
        Some(Value::String(s)) => push_line(&mut out, s),
        Some(Value::Array(items)) => {
            for item in items {
                push_line(&mut out, item.as_str()?);
            }
        }
        _ => return None,
    }
    Some(out)
}

/// The assistant text of a complete chat answer (`stream::events::answer_text`).
pub fn answer_text(body: &[u8]) -> String {
    stream::events::answer_text(body)
}

fn push_line(out: &mut String, s: &str) {
    if !out.is_empty() {
        out.push('\n');
    }
    out.push_str(s);
}

/// Adds a response verdict to the `guardrails` a prompt verdict left.
pub fn merge_response(existing: Option<Value>, response: &Verdict) -> Value {
    let mut g = existing.unwrap_or_else(|| json!({"labels": [], "barriers": [], "action": null}));
    if let Value::Object(o) = &mut g {
        o.insert(
            "response_labels".into(),
            json!(response.classification.labels),
        );
        if let Some(Value::Array(b)) = o.get_mut("barriers") {
            for t in &response.triggers {
                b.push(json!(t.barrier.id));
            }
        }
        let before = o
            .get("action")
            .and_then(Value::as_str)
            .and_then(|a| serde_json::from_value::<BarrierAction>(json!(a)).ok());
        let action = before.max(response.action);
        o.insert("action".into(), json!(action.map(BarrierAction::as_str)));
    }
    g
}

pub fn now() -> chrono::DateTime<Utc> {
    Utc::now()
}

#[cfg(test)]
mod tests;
