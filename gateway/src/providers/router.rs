//! Model aliases -> weighted deployments, with retries (full-jitter backoff) on 429, 5xx,
//! connect errors and timeouts, then the alias's fallbacks, skipping deployments whose breaker
//! is open.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rand::Rng;
use serde_json::{Map, Value};

use super::breaker::Breaker;
use super::{Attempt, Endpoint, Provider, Reply, UpstreamError};
use crate::config::{Config, RoutingConfig};
use crate::error::ApiError;

pub struct Deployment {
    pub provider: Arc<Provider>,
    pub model: String,
    weight: u32,
    breaker: Breaker,
}

struct Alias {
    deployments: Vec<Arc<Deployment>>,
    fallbacks: Vec<String>,
}

pub struct Router {
    aliases: HashMap<String, Alias>,
    /// Alias names in config order, for `/v1/models`.
    order: Vec<String>,
    routing: RoutingConfig,
}

/// A successful upstream answer and where it came from.
pub struct Routed {
    pub reply: Reply,
    pub provider: String,
    pub model_served: String,
    pub alias_served: String,
}

/// What the client asked for, beside its body.
pub struct CallSpec<'a> {
    pub endpoint: Endpoint,
    pub stream: bool,
    pub client_wants_usage: bool,
    pub model_label: &'a str,
}

impl Router {
    pub fn new(cfg: &Config) -> Result<Self, String> {
        let mut providers = HashMap::new();
        for p in &cfg.providers {
            providers.insert(p.name.clone(), Arc::new(Provider::new(p.clone())?));
        }
        let r = &cfg.routing;
        let mut aliases = HashMap::new();
        for m in &cfg.models {
            let mut deployments = Vec::new();
            for route in &m.routes {
                let provider = providers.get(&route.provider).cloned().ok_or_else(|| {
                    format!("models.{}: unknown provider {}", m.name, route.provider)
                })?;
                deployments.push(Arc::new(Deployment {
                    provider,
                    model: route.model.clone(),
                    weight: route.weight,
                    breaker: Breaker::new(r.breaker_failure_threshold, r.breaker_cooldown),
                }));
            }
            aliases.insert(
                m.name.clone(),
                Alias {
                    deployments,
                    fallbacks: m.fallbacks.clone(),
                },
            );
        }
        Ok(Router {
            aliases,
            order: cfg.models.iter().map(|m| m.name.clone()).collect(),
            routing: r.clone(),
        })
    }

    pub fn has(&self, alias: &str) -> bool {
        self.aliases.contains_key(alias)
    }

    pub fn aliases(&self) -> impl Iterator<Item = &str> {
        self.order.iter().map(String::as_str)
    }

    /// The provider names of an alias's deployments.
    pub fn owners(&self, alias: &str) -> Vec<String> {
        self.aliases
            .get(alias)
            .map(|a| {
                a.deployments
                    .iter()
                    .map(|d| d.provider.name().to_string())
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The upstream model names an alias may be served by: its deployments and those of its
    /// fallbacks (what a budget reservation must price).
    pub fn models_of(&self, alias: &str) -> Vec<&str> {
        let Some(a) = self.aliases.get(alias) else {
            return vec![];
        };
        std::iter::once(a)
            .chain(a.fallbacks.iter().filter_map(|f| self.aliases.get(f)))
            .flat_map(|a| a.deployments.iter().map(|d| d.model.as_str()))
            .collect()
    }

    /// Sends the call: the alias's deployments with retries, then each fallback alias the same way.
    pub async fn send(
        &self,
        alias: &str,
        mut body: Map<String, Value>,
        spec: &CallSpec<'_>,
    ) -> Result<Routed, ApiError> {
        let chain: Vec<&str> = std::iter::once(alias)
            .chain(
                self.aliases
                    .get(alias)
                    .map(|a| a.fallbacks.iter().map(String::as_str))
                    .into_iter()
                    .flatten(),
            )
            .collect();
        let mut last: Option<(String, UpstreamError)> = None;
        for (hop, name) in chain.iter().enumerate() {
            let Some(a) = self.aliases.get(*name) else {
                continue;
            };
            if hop > 0 {
                metrics::counter!("parapet_fallbacks_total", "from" => alias.to_string(), "to" => name.to_string())
                    .increment(1);
            }
            match self.try_alias(a, &mut body, spec).await {
                Ok((dep, reply)) => {
                    return Ok(Routed {
                        reply,
                        provider: dep.provider.name().to_string(),
                        model_served: dep.model.clone(),
                        alias_served: name.to_string(),
                    })
                }
                Err(Some((provider, err))) if err.retryable() => last = Some((provider, err)),
                Err(Some((provider, err))) => return Err(err.into_api(&provider)),
                Err(None) => {
                    if last.is_none() {
                        last = Some((
                            name.to_string(),
                            UpstreamError::Connect(
                                "every deployment's circuit breaker is open".into(),
                            ),
                        ));
                    }
                }
            }
        }
        Err(match last {
            Some((provider, err)) => err.into_api(&provider),
            None => ApiError::ModelNotFound(alias.to_string()),
        })
    }

    /// Tries one alias: `Err(None)` when no deployment was available at all.
    async fn try_alias(
        &self,
        alias: &Alias,
        body: &mut Map<String, Value>,
        spec: &CallSpec<'_>,
    ) -> Result<(Arc<Deployment>, Reply), Option<(String, UpstreamError)>> {
        let mut last: Option<(String, UpstreamError)> = None;
        let mut last_dep: Option<Arc<Deployment>> = None;
        for attempt in 0..=self.routing.max_retries {
            let Some(dep) = pick(&alias.deployments, last_dep.as_ref(), Instant::now()) else {
                return Err(last);
            };
            let (provider, model) = (dep.provider.name().to_string(), dep.model.clone());
            if attempt > 0 {
                metrics::counter!("parapet_upstream_retries_total", "provider" => provider.clone(), "model" => model.clone())
                    .increment(1);
            }
            body.insert("model".into(), Value::String(model.clone()));
            let a = Attempt {
                endpoint: spec.endpoint,
                body,
                stream: spec.stream,
                client_wants_usage: spec.client_wants_usage,
                model_label: spec.model_label,
            };
            let started = Instant::now();
            let result = dep.provider.call(&a).await;
            metrics::histogram!("parapet_upstream_duration_seconds", "provider" => provider.clone(), "model" => model.clone())
                .record(started.elapsed().as_secs_f64());
            match result {
                Ok(reply) => {
                    dep.breaker.success();
                    metrics::counter!("parapet_upstream_requests_total", "provider" => provider, "model" => model, "outcome" => "ok")
                        .increment(1);
                    return Ok((dep, reply));
                }
                Err(err) => {
                    let kind = err.kind();
                    metrics::counter!("parapet_upstream_requests_total", "provider" => provider.clone(), "model" => model.clone(), "outcome" => "error")
                        .increment(1);
                    metrics::counter!("parapet_upstream_errors_total", "provider" => provider.clone(), "model" => model.clone(), "kind" => kind)
                        .increment(1);
                    tracing::warn!(provider = %provider, model = %model, attempt, error = %err, "upstream call failed");
                    if !err.retryable() {
                        return Err(Some((provider, err)));
                    }
                    if dep.breaker.failure(Instant::now()) {
                        metrics::counter!("parapet_breaker_open_total", "provider" => provider.clone(), "model" => model.clone())
                            .increment(1);
                    }
                    let retry_after = match &err {
                        UpstreamError::Status {
                            retry_after: Some(s),
                            ..
                        } => Some(Duration::from_secs(*s)),
                        _ => None,
                    };
                    last = Some((provider, err));
                    last_dep = Some(dep);
                    if attempt < self.routing.max_retries {
                        tokio::time::sleep(self.backoff(attempt, retry_after)).await;
                    }
                }
            }
        }
        Err(last)
    }

    /// Full jitter: uniform in [0, min(max, base * 2^attempt)], or the upstream's Retry-After
    /// when it is within `retry_max`.
    fn backoff(&self, attempt: u32, retry_after: Option<Duration>) -> Duration {
        if let Some(ra) = retry_after.filter(|d| *d <= self.routing.retry_max) {
            return ra;
        }
        let cap = self
            .routing
            .retry_base
            .saturating_mul(1u32 << attempt.min(16))
            .min(self.routing.retry_max);
        let ms = cap.as_millis() as u64;
        Duration::from_millis(if ms == 0 {
            0
        } else {
            rand::thread_rng().gen_range(0..=ms)
        })
    }
}

/// Weighted random choice among deployments whose breaker is closed, preferring one other than
/// the one that just failed.
fn pick(
    deps: &[Arc<Deployment>],
    avoid: Option<&Arc<Deployment>>,
    now: Instant,
) -> Option<Arc<Deployment>> {
    let available: Vec<&Arc<Deployment>> =
        deps.iter().filter(|d| d.breaker.available(now)).collect();
    let others: Vec<&Arc<Deployment>> = available
        .iter()
        .copied()
        .filter(|d| avoid.is_none_or(|a| !Arc::ptr_eq(a, d)))
        .collect();
    let pool = if others.is_empty() { available } else { others };
    let total: u64 = pool.iter().map(|d| u64::from(d.weight)).sum();
    if total == 0 {
        return None;
    }
    let mut roll = rand::thread_rng().gen_range(0..total);
    for d in &pool {
        let w = u64::from(d.weight);
        if roll < w {
            return Some(Arc::clone(d));
        }
        roll -= w;
    }
    pool.last().map(|d| Arc::clone(d))
}
