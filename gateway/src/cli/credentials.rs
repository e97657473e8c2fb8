//! `parapet credentials issue|list|revoke`: agent credentials through the admin API.

use std::process::ExitCode;

use clap::Subcommand;
use serde_json::json;

use super::keys::{call, exit_code, parse_expiry, revoke, AdminArgs};

#[derive(Subcommand)]
pub enum CredentialsCommand {
    /// Issue a credential; the bearer `cred_id` is printed once and never stored.
    Issue {
        /// The person the agent acts for.
        #[arg(long)]
        principal: String,
        #[arg(long)]
        agent: String,
        /// Comma-separated scopes: read_only, query_account_data, initiate_transfers,
        /// initiate_payments, execute_trades, submit_filings, custom:{name}.
        #[arg(long, value_delimiter = ',', required = true)]
        scopes: Vec<String>,
        /// Per-transaction cap in USD.
        #[arg(long)]
        max_usd: Option<f64>,
        /// Comma-separated account allowlist (default: all of the principal's accounts).
        #[arg(long, value_delimiter = ',')]
        accounts: Vec<String>,
        /// Expiry: RFC 3339 time, or a duration from now like 30d, 12h, 90m.
        #[arg(long, default_value = "30d")]
        expires: String,
    },
    /// List credentials (never the bearer).
    List,
    /// Revoke a credential by id; effective on every instance within 1 s.
    Revoke { id: String },
}

pub async fn run(cmd: CredentialsCommand, args: AdminArgs) -> ExitCode {
    let result = match cmd {
        CredentialsCommand::Issue {
            principal,
            agent,
            scopes,
            max_usd,
            accounts,
            expires,
        } => {
            let expires_at = match parse_expiry(&expires, chrono::Utc::now()) {
                Ok(t) => t,
                Err(e) => {
                    eprintln!("parapet: {e}");
                    return ExitCode::from(2);
                }
            };
            let body = json!({"principal_id": principal, "agent_id": agent, "authorized_scopes": scopes,
                "max_transaction_usd": max_usd, "allowed_account_ids": accounts, "expires_at": expires_at});
            call(
                &args,
                reqwest::Method::POST,
                "/api/aida/credentials",
                Some(body),
            )
            .await
            .map(|v| {
                if args.json {
                    println!("{v}");
                } else {
                    println!("cred_id: {}", v["cred_id"].as_str().unwrap_or_default());
                    println!("id: {}", v["id"].as_str().unwrap_or_default());
                    println!(
                        "expires_at: {}",
                        v["expires_at"].as_str().unwrap_or_default()
                    );
                    println!("(the cred_id is shown only now; Parapet keeps only its SHA-256)");
                }
            })
        }
        CredentialsCommand::List => {
            call(&args, reqwest::Method::GET, "/api/aida/credentials", None)
                .await
                .map(|v| {
                    if args.json {
                        println!("{v}");
                        return;
                    }
                    println!(
                        "{:<38} {:<14} {:<16} {:<10} {:<12} SCOPES",
                        "ID", "PRINCIPAL", "AGENT", "STATUS", "MAX USD"
                    );
                    for c in v["data"].as_array().map(Vec::as_slice).unwrap_or(&[]) {
                        let status = if !c["revoked_at"].is_null() {
                            "revoked"
                        } else {
                            "active"
                        };
                        let scopes: Vec<&str> = c["authorized_scopes"]
                            .as_array()
                            .map(|a| a.iter().filter_map(|s| s.as_str()).collect())
                            .unwrap_or_default();
                        println!(
                            "{:<38} {:<14} {:<16} {:<10} {:<12} {}",
                            c["id"].as_str().unwrap_or_default(),
                            c["principal_id"].as_str().unwrap_or_default(),
                            c["agent_id"].as_str().unwrap_or_default(),
                            status,
                            c["max_transaction_usd"]
                                .as_f64()
                                .map(|m| m.to_string())
                                .unwrap_or_else(|| "-".into()),
                            scopes.join(","),
                        );
                    }
                })
        }
        CredentialsCommand::Revoke { id } => {
            revoke(&args, &format!("/api/aida/credentials/{id}"), &id).await
        }
    };
    exit_code(result)
}
