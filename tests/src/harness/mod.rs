//! Process harnesses: the `parapet` binary and `redis-server`, each started in a temporary
//! directory on a free port and killed (by pid, then waited for) when dropped, so a panicking
//! test leaves nothing behind.
//!
//! The harness panics with a clear message instead of returning errors: it only runs in tests.
#![allow(
    clippy::panic,
    clippy::expect_used,
    reason = "test harness: failing loudly is the point"
)]

mod a2a_agent;
pub mod certs;
mod config;
mod gateway;
pub mod ldap;
mod pytest;
mod redis;

pub use a2a_agent::A2aAgent;
pub use config::ConfigBuilder;
pub use gateway::{parapet_bin, run_parapet, workspace_root, Gateway};
pub use ldap::Ldap;
pub use pytest::{assert_python_clients, run_pytest};
pub use redis::Redis;

use std::future::Future;
use std::process::Child;
use std::time::{Duration, Instant};

/// A port that was free a moment ago on 127.0.0.1.
pub fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    l.local_addr().expect("local_addr").port()
}

/// Polls `check` every 50 ms until it returns true or `timeout` passes; returns the last answer.
pub async fn eventually<F, Fut>(timeout: Duration, mut check: F) -> bool
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let deadline = Instant::now() + timeout;
    loop {
        if check().await {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// A child process killed (SIGKILL by pid) and reaped when dropped.
#[derive(Debug)]
pub struct ChildGuard {
    child: Option<Child>,
}

impl ChildGuard {
    pub fn new(child: Child) -> ChildGuard {
        ChildGuard { child: Some(child) }
    }

    pub fn id(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// The exit status if the process has ended.
    pub fn try_wait(&mut self) -> Option<std::process::ExitStatus> {
        self.child
            .as_mut()
            .and_then(|c| c.try_wait().ok().flatten())
    }

    /// Waits up to `timeout` for the process to end.
    pub fn wait_timeout(&mut self, timeout: Duration) -> Option<std::process::ExitStatus> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(s) = self.try_wait() {
                return Some(s);
            }
            if Instant::now() >= deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Sends a signal by pid with the `kill` command (e.g. "TERM", "INT").
    pub fn signal(&self, sig: &str) {
        if let Some(pid) = self.id() {
            let status = std::process::Command::new("kill")
                .arg(format!("-{sig}"))
                .arg(pid.to_string())
                .status();
            assert!(
                status.is_ok_and(|s| s.success()),
                "kill -{sig} {pid} failed"
            );
        }
    }

    /// Kills and reaps the process now.
    pub fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            if c.try_wait().ok().flatten().is_none() {
                let _ = c.kill();
            }
            let _ = c.wait();
        }
    }
}

impl Drop for ChildGuard {
    fn drop(&mut self) {
        self.kill();
    }
}

/// The sum of the samples of Prometheus metric `name` (counter or gauge; for a histogram pass
/// e.g. `name_count`) whose labels include every `(label, value)` in `labels`. 0 when absent.
pub fn metric_sum(text: &str, name: &str, labels: &[(&str, &str)]) -> f64 {
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| {
            let (series, value) = l.rsplit_once(' ')?;
            let (metric, label_text) = match series.split_once('{') {
                Some((m, rest)) => (m, rest.trim_end_matches('}')),
                None => (series, ""),
            };
            if metric != name {
                return None;
            }
            let all = labels
                .iter()
                .all(|(k, v)| label_text.contains(&format!("{k}=\"{v}\"")));
            all.then(|| value.parse::<f64>().ok()).flatten()
        })
        .sum()
}

/// True when the text shows a sample or a HELP/TYPE line of metric `name`.
pub fn metric_present(text: &str, name: &str) -> bool {
    text.lines().any(|l| {
        let l = l
            .trim_start_matches("# HELP ")
            .trim_start_matches("# TYPE ");
        l.strip_prefix(name)
            .is_some_and(|rest| rest.starts_with(['{', ' ', '_']))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metric_sum_adds_matching_series_only() {
        let text =
            "# TYPE x counter\nx{a=\"1\",b=\"2\"} 3\nx{a=\"1\",b=\"3\"} 4\nx{a=\"2\"} 10\nxy 100\n";
        assert_eq!(metric_sum(text, "x", &[("a", "1")]), 7.0);
        assert_eq!(metric_sum(text, "x", &[]), 17.0);
        assert_eq!(metric_sum(text, "nope", &[]), 0.0);
        assert!(metric_present(text, "x"));
        assert!(!metric_present(text, "nope"));
    }

    #[test]
    fn redis_starts_stops_and_restarts_on_the_same_port() {
        let mut r = Redis::start();
        assert!(r.ping());
        let port = r.port();
        r.stop();
        assert!(!r.ping());
        r.restart();
        assert!(r.ping());
        assert_eq!(r.port(), port);
        assert!(r.url().ends_with(&format!(":{port}")));
    }

    #[test]
    fn a_redis_owned_by_a_panicking_test_is_killed_and_reaped() {
        let (tx, rx) = std::sync::mpsc::channel();
        let joined = std::thread::spawn(move || {
            let r = Redis::start();
            tx.send(r.port()).unwrap();
            panic!("test body fails while redis runs");
        })
        .join();
        assert!(joined.is_err());
        let port = rx.recv().unwrap();
        let refused = std::net::TcpStream::connect(("127.0.0.1", port)).is_err();
        assert!(
            refused,
            "redis-server still listens on {port} after its owner panicked"
        );
    }

    #[test]
    fn config_builder_writes_each_table_once() {
        let cfg = ConfigBuilder::standard("http://127.0.0.1:1/v1")
            .server("max_body_bytes = 10")
            .routing("max_retries = 0")
            .build();
        assert_eq!(cfg.matches("[server]").count(), 1);
        assert_eq!(cfg.matches("[routing]").count(), 1);
        assert_eq!(cfg.matches("[[models]]").count(), 3);
        assert!(cfg.contains("proxy_listen = \"127.0.0.1:0\""));
    }
}
