//! `parapet report --type T --from DATE --to DATE [--out FILE]`: asks the admin API of a running
//! gateway for an examination report (so it works with either store backend and while the
//! gateway holds the embedded store), shows a spinner while the gateway reads the log, and
//! writes the report's JSON to the file or to standard output.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::{json, Value};

use super::keys::{call, exit_code, AdminArgs};

#[derive(Args)]
pub struct ReportArgs {
    /// SR11-7, FINRA, FFIEC, EU_AI_ACT or COMPREHENSIVE.
    #[arg(long = "type", value_name = "TYPE")]
    report_type: String,
    /// First day (YYYY-MM-DD) or instant (RFC 3339) of the period.
    #[arg(long)]
    from: String,
    /// Last day (included) or end instant (excluded) of the period.
    #[arg(long)]
    to: String,
    /// Write the report here instead of standard output.
    #[arg(long)]
    out: Option<PathBuf>,
}

fn spinner(what: &str) -> ProgressBar {
    let pb = ProgressBar::new_spinner();
    pb.set_style(
        ProgressStyle::with_template("{spinner} {msg} ({elapsed})")
            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
    );
    pb.set_message(what.to_string());
    pb.enable_steady_tick(Duration::from_millis(120));
    pb
}

fn summary(r: &Value) -> String {
    let mut s = format!(
        "report {} ({}, {} .. {}){}",
        r["id"].as_str().unwrap_or("?"),
        r["report_type"].as_str().unwrap_or("?"),
        r["period"]["start"].as_str().unwrap_or("?"),
        r["period"]["end"].as_str().unwrap_or("?"),
        if r["cached"] == true { ", cached" } else { "" },
    );
    if let Some(score) = r["executive_summary"]["governance_score"].as_f64() {
        s.push_str(&format!("; governance score {score}"));
    }
    s
}

pub async fn run(a: ReportArgs, admin: AdminArgs) -> ExitCode {
    let body = json!({"report_type": a.report_type, "period_start": a.from, "period_end": a.to});
    let pb = spinner("generating the report (reading the audit log)");
    let result = call(
        &admin,
        reqwest::Method::POST,
        "/api/examination/report",
        Some(body),
    )
    .await;
    pb.finish_and_clear();
    let result = result.and_then(|report| {
        let text = serde_json::to_string_pretty(&report).map_err(|e| e.to_string())?;
        match &a.out {
            Some(path) => std::fs::write(path, text + "\n")
                .map_err(|e| format!("cannot write {}: {e}", path.display()))?,
            None => println!("{text}"),
        }
        eprintln!("{}", summary(&report));
        Ok(())
    });
    exit_code(result)
}
