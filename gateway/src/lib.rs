//! Parapet: an LLM/AI gateway with inline guardrails. See ARCHITECTURE.md for the map.

pub mod a2a;
pub mod aida;
pub mod app;
pub mod approvals;
pub mod audit;
pub mod barriers;
pub mod bootstrap;
pub mod cli;
pub mod config;
pub mod error;
pub mod examination;
mod find;
pub mod identity;
pub mod pipeline;
pub mod policy;
pub mod providers;
pub mod routes;
pub mod secret;
pub mod store;
pub mod telemetry;
pub mod webhooks;
