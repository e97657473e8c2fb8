//! A real `a2a-sdk` server agent (tests/python/a2a_agent.py) on a free port, killed when dropped.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use super::{free_port, workspace_root, ChildGuard};

pub struct A2aAgent {
    port: u16,
    _child: ChildGuard,
}

impl A2aAgent {
    /// Starts the agent and waits until it prints `ready`.
    pub fn start() -> A2aAgent {
        let port = free_port();
        let mut child = Command::new("python3")
            .arg(workspace_root().join("tests/python/a2a_agent.py"))
            .args(["--port", &port.to_string()])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start python3 tests/python/a2a_agent.py (pip install -r tests/python/requirements.txt)");
        let stdout = child.stdout.take().expect("agent stdout");
        let guard = ChildGuard::new(child);
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if line.trim() == "ready" {
                    let _ = tx.send(());
                }
            }
        });
        rx.recv_timeout(Duration::from_secs(30))
            .expect("the a2a-sdk agent did not print 'ready' within 30s");
        A2aAgent {
            port,
            _child: guard,
        }
    }

    pub fn base_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// What the agent received: `[{method, a2a-version, authorization, x-agent-credential}]`.
    pub fn received_url(&self) -> String {
        format!("{}/_received", self.base_url())
    }
}
