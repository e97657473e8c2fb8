//! The real `parapet` binary, started in a temporary directory.

use std::io::{BufRead as _, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Output, Stdio};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use super::ChildGuard;

const START_TIMEOUT: Duration = Duration::from_secs(30);

/// The workspace root (the parent of this crate's directory).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("workspace root")
        .to_path_buf()
}

/// The `parapet` binary: `PARAPET_BIN`, else `cargo build -p parapet` once per test process
/// and `target/debug/parapet` (or `$CARGO_TARGET_DIR/debug/parapet`).
pub fn parapet_bin() -> PathBuf {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        if let Some(p) = std::env::var_os("PARAPET_BIN") {
            return PathBuf::from(p);
        }
        let root = workspace_root();
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        let out = Command::new(cargo)
            .args(["build", "-p", "parapet", "--bin", "parapet"])
            .current_dir(&root)
            .stdin(Stdio::null())
            .output()
            .expect("run cargo build -p parapet");
        assert!(
            out.status.success(),
            "cargo build -p parapet failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let target =
            std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| root.join("target"), PathBuf::from);
        target.join("debug").join("parapet")
    })
    .clone()
}

/// Variables a developer's shell may hold that would change the gateway under test.
const SCRUBBED_ENV: &[&str] = &["PARAPET_CONFIG", "PARAPET_ADMIN_TOKEN", "REDIS_URL"];

fn command(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Command {
    let mut cmd = Command::new(parapet_bin());
    cmd.args(args).current_dir(dir).stdin(Stdio::null());
    for k in SCRUBBED_ENV {
        cmd.env_remove(k);
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd
}

/// Runs `parapet ARGS` to completion in `dir` (killed after 30 s).
pub fn run_parapet(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let child = command(dir, args, env)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn parapet");
    let pid = child.id();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    match rx.recv_timeout(Duration::from_secs(30)) {
        Ok(out) => out.expect("wait for parapet"),
        Err(_) => {
            let _ = Command::new("kill")
                .args(["-KILL", &pid.to_string()])
                .status();
            panic!("parapet {args:?} did not finish within 30 s");
        }
    }
}

/// A running gateway. Dropping it kills the process.
pub struct Gateway {
    child: ChildGuard,
    dir: Arc<tempfile::TempDir>,
    proxy_url: String,
    admin_url: String,
    admin_token: Option<String>,
    demo_key: Option<String>,
    stdout: Arc<Mutex<Vec<String>>>,
    client: reqwest::Client,
}

impl Gateway {
    /// Writes `config_toml` to `parapet.toml` in a new temporary directory and runs
    /// `parapet serve --config parapet.toml` there with `env`.
    pub fn start(config_toml: &str, env: &[(&str, &str)]) -> Gateway {
        Gateway::start_in(
            Arc::new(tempfile::tempdir().expect("tempdir")),
            Some(config_toml),
            env,
        )
    }

    /// `parapet serve` with no config file in a new empty directory.
    pub fn start_no_config() -> Gateway {
        Gateway::start_in(Arc::new(tempfile::tempdir().expect("tempdir")), None, &[])
    }

    /// Starts in a given directory (e.g. a previous gateway's, to see what it kept).
    pub fn start_in(
        dir: Arc<tempfile::TempDir>,
        config_toml: Option<&str>,
        env: &[(&str, &str)],
    ) -> Gateway {
        let mut args = vec!["serve"];
        if let Some(cfg) = config_toml {
            std::fs::write(dir.path().join("parapet.toml"), cfg).expect("write parapet.toml");
            args.extend(["--config", "parapet.toml"]);
        }
        let stderr_path = dir.path().join("parapet.stderr.log");
        let stderr = std::fs::File::create(&stderr_path).expect("stderr log file");
        let mut child = command(dir.path(), &args, env)
            .stdout(Stdio::piped())
            .stderr(stderr)
            .spawn()
            .unwrap_or_else(|e| panic!("spawn {}: {e}", parapet_bin().display()));
        let stdout = child.stdout.take().expect("piped stdout");
        let child = ChildGuard::new(child);
        let lines = Arc::new(Mutex::new(Vec::new()));
        let (tx, rx) = mpsc::channel::<String>();
        let keep = lines.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                keep.lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .push(line.clone());
                let _ = tx.send(line);
            }
        });

        let mut gw = Gateway {
            child,
            dir,
            proxy_url: String::new(),
            admin_url: String::new(),
            admin_token: env
                .iter()
                .find(|(k, _)| *k == "PARAPET_ADMIN_TOKEN")
                .map(|(_, v)| (*v).to_owned()),
            demo_key: None,
            stdout: lines,
            client: reqwest::Client::builder()
                .no_proxy()
                .build()
                .expect("reqwest client"),
        };
        let deadline = Instant::now() + START_TIMEOUT;
        while gw.proxy_url.is_empty() || gw.admin_url.is_empty() {
            let left = deadline.saturating_duration_since(Instant::now());
            match rx.recv_timeout(left.min(Duration::from_millis(200))) {
                Ok(line) => gw.take_line(&line),
                Err(RecvTimeoutError::Timeout) if left.is_zero() => {
                    gw.fail("did not print both listen lines within 30 s")
                }
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => {
                    let status = gw.child.wait_timeout(Duration::from_secs(5));
                    gw.fail(&format!(
                        "closed stdout before both listen lines (exit status: {status:?})"
                    ));
                }
            }
        }
        gw
    }

    fn take_line(&mut self, line: &str) {
        let line = line.trim();
        if let Some(v) = line.strip_prefix("admin token:") {
            self.admin_token = Some(v.trim().to_owned());
        } else if let Some(v) = line.strip_prefix("demo key:") {
            self.demo_key = Some(v.trim().to_owned());
        } else if let Some(v) = line.strip_prefix("proxy listening on") {
            self.proxy_url = v.trim().trim_end_matches('/').to_owned();
        } else if let Some(v) = line.strip_prefix("admin listening on") {
            self.admin_url = v.trim().trim_end_matches('/').to_owned();
        }
    }

    fn fail(&self, why: &str) -> ! {
        panic!(
            "parapet serve {why}\n--- stdout ---\n{}\n--- stderr ---\n{}",
            self.stdout_lines().join("\n"),
            self.stderr()
        )
    }

    /// `http://127.0.0.1:PORT` of the proxy listener.
    pub fn proxy_url(&self) -> &str {
        &self.proxy_url
    }

    pub fn admin_url(&self) -> &str {
        &self.admin_url
    }

    /// The admin token it printed (or the `PARAPET_ADMIN_TOKEN` it was given).
    pub fn admin_token(&self) -> &str {
        self.admin_token
            .as_deref()
            .unwrap_or_else(|| self.fail("printed no admin token"))
    }

    pub fn printed_admin_token(&self) -> Option<&str> {
        self.admin_token.as_deref()
    }

    pub fn demo_key(&self) -> &str {
        self.demo_key
            .as_deref()
            .unwrap_or_else(|| self.fail("printed no demo key"))
    }

    pub fn printed_demo_key(&self) -> Option<&str> {
        self.demo_key.as_deref()
    }

    /// The working directory (holds `parapet.toml`, `parapet-data/`, the stderr log).
    pub fn dir(&self) -> Arc<tempfile::TempDir> {
        self.dir.clone()
    }

    pub fn stdout_lines(&self) -> Vec<String> {
        self.stdout
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// What the gateway logged so far.
    pub fn stderr(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("parapet.stderr.log")).unwrap_or_default()
    }

    pub fn client(&self) -> &reqwest::Client {
        &self.client
    }

    /// `POST {proxy}/v1/chat/completions` with `Authorization: Bearer {key}`.
    pub async fn chat(&self, key: &str, body: &Value) -> reqwest::Response {
        self.post_proxy("/v1/chat/completions", key, body).await
    }

    pub async fn post_proxy(&self, path: &str, key: &str, body: &Value) -> reqwest::Response {
        self.client
            .post(format!("{}{path}", self.proxy_url))
            .bearer_auth(key)
            .json(body)
            .send()
            .await
            .unwrap_or_else(|e| self.fail(&format!("request to {path} failed: {e}")))
    }

    /// `POST /api/keys` with `body`; asserts 201 and returns the created key record.
    pub async fn create_key_with(&self, body: &Value) -> Value {
        let resp = self
            .client
            .post(format!("{}/api/keys", self.admin_url))
            .bearer_auth(self.admin_token())
            .json(body)
            .send()
            .await
            .unwrap_or_else(|e| self.fail(&format!("POST /api/keys failed: {e}")));
        let status = resp.status();
        let text = resp.text().await.unwrap_or_default();
        assert_eq!(
            status.as_u16(),
            201,
            "POST /api/keys {body} answered {status}: {text}"
        );
        serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("POST /api/keys answered non-JSON ({e}): {text}"))
    }

    /// Creates a virtual key for `owner` limited to `models` (all models when empty); returns
    /// the `pk-...` secret.
    pub async fn create_key(&self, owner: &str, models: &[&str]) -> String {
        let mut body = json!({"owner": owner});
        if !models.is_empty() {
            body["models"] = json!(models);
        }
        let rec = self.create_key_with(&body).await;
        rec.get("key")
            .and_then(Value::as_str)
            .unwrap_or_else(|| panic!("no `key` in {rec}"))
            .to_owned()
    }

    /// `DELETE /api/keys/{id}`; returns the status.
    pub async fn revoke_key(&self, id: &str) -> u16 {
        self.client
            .delete(format!("{}/api/keys/{id}", self.admin_url))
            .bearer_auth(self.admin_token())
            .send()
            .await
            .map(|r| r.status().as_u16())
            .unwrap_or_else(|e| self.fail(&format!("DELETE /api/keys/{id} failed: {e}")))
    }

    /// An admin API call with the admin token: `(status, JSON body or null)`.
    pub async fn admin(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<&Value>,
    ) -> (u16, Value) {
        let mut rb = self
            .client
            .request(method.clone(), format!("{}{path}", self.admin_url))
            .bearer_auth(self.admin_token());
        if let Some(b) = body {
            rb = rb.json(b);
        }
        let resp = rb
            .send()
            .await
            .unwrap_or_else(|e| self.fail(&format!("{method} {path} failed: {e}")));
        let status = resp.status().as_u16();
        (status, resp.json().await.unwrap_or(Value::Null))
    }

    /// Every audit record so far, through the SIEM cursor.
    pub async fn audit_records(&self) -> Vec<Value> {
        let mut out = Vec::new();
        let mut after = 0;
        loop {
            let path = format!("/api/audit/events?after={after}&limit=500");
            let (status, page) = self.admin(reqwest::Method::GET, &path, None).await;
            assert_eq!(status, 200, "GET {path}: {page}");
            let data = page["data"].as_array().cloned().unwrap_or_default();
            if data.is_empty() {
                return out;
            }
            after = page["next"]
                .as_u64()
                .unwrap_or_else(|| panic!("no next in {page}"));
            out.extend(data);
        }
    }

    /// `GET /metrics` with the admin token; asserts 200.
    pub async fn metrics(&self) -> String {
        let resp = self
            .client
            .get(format!("{}/metrics", self.admin_url))
            .bearer_auth(self.admin_token())
            .send()
            .await
            .unwrap_or_else(|e| self.fail(&format!("GET /metrics failed: {e}")));
        assert_eq!(
            resp.status().as_u16(),
            200,
            "GET /metrics with the admin token"
        );
        resp.text().await.unwrap_or_default()
    }

    /// Runs `parapet ARGS` (a CLI command) in this gateway's directory.
    pub fn cli(&self, args: &[&str], env: &[(&str, &str)]) -> Output {
        run_parapet(self.dir.path(), args, env)
    }

    pub fn pid(&self) -> u32 {
        self.child.id().unwrap_or(0)
    }

    pub fn sigterm(&self) {
        self.child.signal("TERM");
    }

    pub fn is_running(&mut self) -> bool {
        self.child.try_wait().is_none()
    }

    /// Waits up to `timeout` for the process to exit; panics (showing stderr) when it does not.
    pub fn wait_exit(&mut self, timeout: Duration) -> ExitStatus {
        match self.child.wait_timeout(timeout) {
            Some(s) => s,
            None => self.fail(&format!("did not exit within {timeout:?}")),
        }
    }
}

impl Drop for Gateway {
    /// When a test fails, show the end of what the gateway logged (its directory goes away).
    fn drop(&mut self) {
        if std::thread::panicking() {
            let stderr = self.stderr();
            let lines: Vec<&str> = stderr.lines().collect();
            let tail = lines[lines.len().saturating_sub(80)..].join("\n");
            eprintln!(
                "--- parapet (pid {}) stderr, last {} lines ---\n{tail}\n--- end ---",
                self.pid(),
                lines.len().min(80)
            );
        }
    }
}
