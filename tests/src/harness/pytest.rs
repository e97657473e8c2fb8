//! Runs a Python conformance file (`tests/python/...`) with pytest against a running gateway.

use std::process::{Command, Stdio};

use super::{workspace_root, Gateway};

/// Fails the test early, with how to fix it, when the Python clients are not installed.
pub fn assert_python_clients() {
    let present = Command::new("python3")
        .args(["-c", "import openai, pytest"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    assert!(
        present,
        "install the Python clients: pip install -r tests/python/requirements.txt (scripts/test does it)"
    );
}

/// Runs `python3 -m pytest -q FILE` from the workspace root with `env`, off the async runtime,
/// and fails the test (with pytest's output and the gateway's stderr) unless every case passed
/// and none was skipped.
pub async fn run_pytest(gw: &Gateway, file: &str, env: Vec<(String, String)>) {
    let file_arg = file.to_string();
    let out = tokio::task::spawn_blocking(move || {
        Command::new("python3")
            .args(["-m", "pytest", "-q", "-p", "no:cacheprovider", &file_arg])
            .current_dir(workspace_root())
            .envs(env)
            .env("NO_PROXY", "127.0.0.1,localhost")
            .stdin(Stdio::null())
            .output()
            .expect("run python3 -m pytest (pip install -r tests/python/requirements.txt)")
    })
    .await
    .expect("pytest task");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let summary = stdout
        .lines()
        .rev()
        .find(|l| l.contains(" passed") || l.contains(" failed") || l.contains(" error"))
        .unwrap_or("");
    println!("pytest {file}: {summary}");
    assert!(
        out.status.success() && summary.contains(" passed") && !summary.contains("skipped"),
        "pytest {file} failed ({}):\n{stdout}\n{}\n--- gateway stderr ---\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr),
        gw.stderr()
    );
}
