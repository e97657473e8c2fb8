//! A real `redis-server` on a free port in a temporary directory.

use std::io::{Read as _, Write as _};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use super::{free_port, ChildGuard};

const NOT_FOUND: &str = "redis-server not found: run scripts/test or apt-get install redis-server";

fn redis_server() -> PathBuf {
    let on_path = std::env::var_os("PATH")
        .map(|p| {
            std::env::split_paths(&p)
                .map(|d| d.join("redis-server"))
                .collect::<Vec<_>>()
        })
        .unwrap_or_default();
    on_path
        .into_iter()
        .chain([
            PathBuf::from("/usr/bin/redis-server"),
            PathBuf::from("/usr/local/bin/redis-server"),
        ])
        .find(|p| p.is_file())
        .unwrap_or_else(|| panic!("{NOT_FOUND}"))
}

/// A running `redis-server`; killed when dropped.
pub struct Redis {
    port: u16,
    dir: tempfile::TempDir,
    child: Option<ChildGuard>,
    /// AOF with fsync on every write: data survives `stop`/`restart` (outage tests).
    durable: bool,
}

impl Redis {
    /// Starts one on a free 127.0.0.1 port and waits until PING answers.
    pub fn start() -> Redis {
        let dir = tempfile::tempdir().expect("tempdir for redis");
        let mut r = Redis {
            port: free_port(),
            dir,
            child: None,
            durable: false,
        };
        r.spawn();
        r
    }

    /// Like `start`, with the append-only file on (`appendfsync always`), so a `restart`
    /// comes back with every acknowledged write.
    pub fn start_durable() -> Redis {
        let dir = tempfile::tempdir().expect("tempdir for redis");
        let mut r = Redis {
            port: free_port(),
            dir,
            child: None,
            durable: true,
        };
        r.spawn();
        r
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Kills the server (an outage); `restart` brings it back on the same port, empty.
    pub fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            c.kill();
        }
    }

    pub fn restart(&mut self) {
        self.stop();
        self.spawn();
    }

    pub fn is_running(&self) -> bool {
        self.child.is_some()
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("redis.log")).unwrap_or_default()
    }

    fn spawn(&mut self) {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.dir.path().join("redis.log"))
            .expect("redis log file");
        let child = Command::new(redis_server())
            .args(["--port", &self.port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--daemonize", "no"])
            .args(if self.durable {
                ["--appendonly", "yes", "--appendfsync", "always"]
            } else {
                ["--appendonly", "no", "--appendfsync", "everysec"]
            })
            .arg("--dir")
            .arg(self.dir.path())
            .current_dir(self.dir.path())
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("clone log handle"))
            .stderr(log)
            .spawn()
            .unwrap_or_else(|e| panic!("{NOT_FOUND} ({e})"));
        let mut guard = ChildGuard::new(child);
        let deadline = Instant::now() + Duration::from_secs(10);
        while !self.ping() {
            if let Some(status) = guard.try_wait() {
                panic!(
                    "redis-server exited with {status} before answering PING:\n{}",
                    self.log()
                );
            }
            assert!(
                Instant::now() < deadline,
                "redis-server did not answer PING within 10 s:\n{}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        self.child = Some(guard);
    }

    /// True when the server answers `PING` with `+PONG`.
    pub fn ping(&self) -> bool {
        let Ok(mut s) = TcpStream::connect(("127.0.0.1", self.port)) else {
            return false;
        };
        let _ = s.set_read_timeout(Some(Duration::from_millis(500)));
        if s.write_all(b"PING\r\n").is_err() {
            return false;
        }
        let mut buf = [0u8; 16];
        matches!(s.read(&mut buf), Ok(n) if buf[..n].starts_with(b"+PONG"))
    }
}
