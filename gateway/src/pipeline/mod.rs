//! The stages of a call (DESIGN §3): read and check the body, authorize the model, route and
//! forward, relay the answer.

pub mod body;
pub mod chat;
pub mod relay;
pub mod tool_hold;
