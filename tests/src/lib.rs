//! Integration-test support for Parapet: a mock model provider, process harnesses for the
//! `parapet` binary and `redis-server`, and a server-sent-events reader.

pub mod errors;
pub mod harness;
pub mod mock;
pub mod policy;
pub mod server;
pub mod sse;
