//! Integration-test support for Parapet: a mock model provider, process harnesses for the
//! `parapet` binary and `redis-server`, a server-sent-events reader, and the information-barrier
//! fixture (`wall`).

pub mod errors;
pub mod harness;
pub mod mock;
pub mod policy;
pub mod server;
pub mod sse;
pub mod wall;
