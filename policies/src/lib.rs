//! Parapet's policy language (DESIGN §4): pure data in, decisions out. No I/O, no clock.
//!
//! This first piece is the action pattern matcher shared by policies, roles and key model
//! allowlists; the evaluator builds on it.

mod pattern;

pub use pattern::pattern_matches;
