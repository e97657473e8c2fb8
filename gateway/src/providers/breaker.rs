//! A circuit breaker per deployment: after `threshold` consecutive failures the deployment is
//! skipped for `cooldown`; then calls are let through again, and one more failure reopens it.

use std::sync::Mutex;
use std::time::{Duration, Instant};

pub struct Breaker {
    threshold: u32,
    cooldown: Duration,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    consecutive_failures: u32,
    opened_at: Option<Instant>,
}

impl Breaker {
    pub fn new(threshold: u32, cooldown: Duration) -> Self {
        Breaker {
            threshold: threshold.max(1),
            cooldown,
            state: Mutex::new(State::default()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        // A poisoned lock only means another thread panicked mid-update of two integers.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Whether calls may go to this deployment now.
    pub fn available(&self, now: Instant) -> bool {
        let s = self.lock();
        match s.opened_at {
            Some(at) => now.duration_since(at) >= self.cooldown,
            None => true,
        }
    }

    pub fn success(&self) {
        let mut s = self.lock();
        s.consecutive_failures = 0;
        s.opened_at = None;
    }

    /// Records a failure; true when this failure opened (or reopened) the breaker.
    pub fn failure(&self, now: Instant) -> bool {
        let mut s = self.lock();
        s.consecutive_failures = s.consecutive_failures.saturating_add(1);
        if s.consecutive_failures >= self.threshold {
            s.opened_at = Some(now);
            return true;
        }
        false
    }
}

#[cfg(test)]
mod tests;
