//! Outgoing webhooks: `POST {event, at, data}` as JSON to every configured hook that takes the
//! event. Delivery is in the background with three tries; failures are logged and counted.

use std::time::Duration;

use serde_json::{json, Value};

use crate::config::WebhookConfig;

#[derive(Clone)]
pub struct Webhooks {
    hooks: Vec<WebhookConfig>,
    client: reqwest::Client,
}

impl Webhooks {
    pub fn new(hooks: Vec<WebhookConfig>) -> Self {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(5))
            .build()
            .unwrap_or_default();
        Webhooks { hooks, client }
    }

    pub fn emit(&self, event: &str, data: Value) {
        let body = json!({"event": event, "at": chrono::Utc::now(), "data": data});
        for hook in self
            .hooks
            .iter()
            .filter(|h| h.events.is_empty() || h.events.iter().any(|e| e == event))
        {
            let (client, url, body, event) = (
                self.client.clone(),
                hook.url.clone(),
                body.clone(),
                event.to_string(),
            );
            tokio::spawn(async move {
                for attempt in 0..3u32 {
                    let sent = client
                        .post(&url)
                        .json(&body)
                        .send()
                        .await
                        .and_then(reqwest::Response::error_for_status);
                    match sent {
                        Ok(_) => {
                            metrics::counter!("parapet_webhooks_total", "event" => event.clone(), "outcome" => "ok").increment(1);
                            return;
                        }
                        Err(e) => {
                            tracing::warn!(error = %e, event = %event, attempt, "webhook delivery failed");
                            tokio::time::sleep(Duration::from_millis(200 << attempt)).await;
                        }
                    }
                }
                metrics::counter!("parapet_webhooks_total", "event" => event, "outcome" => "failed").increment(1);
            });
        }
    }
}
