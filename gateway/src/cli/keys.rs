//! `parapet keys create|list|revoke`: talks to the admin API of a running gateway, so it works
//! with either store backend and while the gateway holds the embedded store open.

use std::process::ExitCode;

use chrono::{DateTime, Duration, Utc};
use clap::{Args, Subcommand};
use serde_json::{json, Value};

#[derive(Args)]
pub struct AdminArgs {
    /// Admin listener of the gateway.
    #[arg(
        long,
        env = "PARAPET_ADMIN_URL",
        default_value = "http://127.0.0.1:7778",
        global = true
    )]
    admin_url: String,
    /// Admin token (default: PARAPET_ADMIN_TOKEN, else ./parapet-data/admin-token).
    #[arg(long, global = true)]
    admin_token: Option<String>,
    /// Print the API's JSON instead of text.
    #[arg(long, global = true)]
    pub json: bool,
}

#[derive(Subcommand)]
pub enum KeysCommand {
    /// Create a virtual key; the key is printed once and never stored.
    Create {
        /// LDAP user id whose groups apply to calls made with the key.
        #[arg(long)]
        owner: String,
        #[arg(long)]
        team: Option<String>,
        /// Comma-separated tags.
        #[arg(long, value_delimiter = ',')]
        tags: Vec<String>,
        /// Comma-separated model aliases the key may use (`*` wildcards); default all.
        #[arg(long, value_delimiter = ',')]
        models: Vec<String>,
        /// Expiry: RFC 3339 time, or a duration from now like 30d, 12h, 90m.
        #[arg(long)]
        expires: Option<String>,
    },
    /// List keys (never the keys themselves).
    List,
    /// Revoke a key by id; effective on every instance within 1 s.
    Revoke { id: String },
}

pub fn parse_expiry(s: &str, now: DateTime<Utc>) -> Result<DateTime<Utc>, String> {
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Ok(t.with_timezone(&Utc));
    }
    let (num, unit) = s.split_at(s.len().saturating_sub(1));
    let n: i64 = num
        .parse()
        .map_err(|_| format!("--expires '{s}': use RFC 3339 or a duration like 30d, 12h, 90m"))?;
    let d = match unit {
        "d" => Duration::days(n),
        "h" => Duration::hours(n),
        "m" => Duration::minutes(n),
        _ => return Err(format!("--expires '{s}': unit must be d, h or m")),
    };
    Ok(now + d)
}

fn token(args: &AdminArgs) -> Result<String, String> {
    if let Some(t) = &args.admin_token {
        return Ok(t.clone());
    }
    if let Ok(t) = std::env::var("PARAPET_ADMIN_TOKEN") {
        return Ok(t);
    }
    std::fs::read_to_string("parapet-data/admin-token")
        .map(|s| s.trim().to_string())
        .map_err(|_| "no admin token: pass --admin-token, set PARAPET_ADMIN_TOKEN, or run from the directory holding parapet-data/".into())
}

/// A request to the admin API with the admin token.
pub async fn request(
    args: &AdminArgs,
    method: reqwest::Method,
    path: &str,
) -> Result<reqwest::RequestBuilder, String> {
    let token = token(args)?;
    let url = format!("{}{path}", args.admin_url.trim_end_matches('/'));
    Ok(reqwest::Client::new()
        .request(method, &url)
        .bearer_auth(token))
}

pub async fn call(
    args: &AdminArgs,
    method: reqwest::Method,
    path: &str,
    body: Option<Value>,
) -> Result<Value, String> {
    let url = format!("{}{path}", args.admin_url.trim_end_matches('/'));
    let mut req = request(args, method, path).await?;
    if let Some(b) = body {
        req = req.json(&b);
    }
    let resp = req
        .send()
        .await
        .map_err(|e| format!("cannot reach the admin API at {url}: {e}"))?;
    let status = resp.status();
    let value: Value = resp
        .json()
        .await
        .map_err(|e| format!("{url} answered {status} without JSON: {e}"))?;
    if !status.is_success() {
        let msg = value["error"]["message"]
            .as_str()
            .unwrap_or("unknown error");
        return Err(format!("{url} answered {status}: {msg}"));
    }
    Ok(value)
}

fn status_of(k: &Value) -> &'static str {
    if !k["revoked_at"].is_null() {
        return "revoked";
    }
    let expired = k["expires_at"]
        .as_str()
        .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
        .is_some_and(|t| t <= Utc::now());
    if expired {
        "expired"
    } else {
        "active"
    }
}

/// `DELETE path` on the admin API, printing the revocation time.
pub async fn revoke(args: &AdminArgs, path: &str, id: &str) -> Result<(), String> {
    let v = call(args, reqwest::Method::DELETE, path, None).await?;
    if args.json {
        println!("{v}");
    } else {
        println!(
            "revoked {id} at {}",
            v["revoked_at"].as_str().unwrap_or_default()
        );
    }
    Ok(())
}

/// Success, or the error on stderr and exit status 1.
pub fn exit_code(result: Result<(), String>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("parapet: {e}");
            ExitCode::FAILURE
        }
    }
}

pub async fn run(cmd: KeysCommand, args: AdminArgs) -> ExitCode {
    let result = match cmd {
        KeysCommand::Create {
            owner,
            team,
            tags,
            models,
            expires,
        } => {
            let expires_at = match expires.map(|e| parse_expiry(&e, Utc::now())).transpose() {
                Ok(e) => e,
                Err(e) => {
                    eprintln!("parapet: {e}");
                    return ExitCode::from(2);
                }
            };
            let body = json!({"owner": owner, "team": team, "tags": tags, "models": models, "expires_at": expires_at});
            call(&args, reqwest::Method::POST, "/api/keys", Some(body))
                .await
                .map(|v| {
                    if args.json {
                        println!("{v}");
                    } else {
                        println!("key: {}", v["key"].as_str().unwrap_or_default());
                        println!("id: {}", v["id"].as_str().unwrap_or_default());
                        println!("owner: {}", v["owner"].as_str().unwrap_or_default());
                        println!(
                            "expires_at: {}",
                            v["expires_at"].as_str().unwrap_or("never")
                        );
                        println!("(the key is shown only now; Parapet keeps only its SHA-256)");
                    }
                })
        }
        KeysCommand::List => call(&args, reqwest::Method::GET, "/api/keys", None)
            .await
            .map(|v| {
                if args.json {
                    println!("{v}");
                    return;
                }
                println!(
                    "{:<38} {:<12} {:<16} {:<12} {:<8} EXPIRES",
                    "ID", "PREFIX", "OWNER", "TEAM", "STATUS"
                );
                for k in v["data"].as_array().map(Vec::as_slice).unwrap_or(&[]) {
                    println!(
                        "{:<38} {:<12} {:<16} {:<12} {:<8} {}",
                        k["id"].as_str().unwrap_or_default(),
                        k["prefix"].as_str().unwrap_or_default(),
                        k["owner"].as_str().unwrap_or_default(),
                        k["team"].as_str().unwrap_or("-"),
                        status_of(k),
                        k["expires_at"].as_str().unwrap_or("never"),
                    );
                }
            }),
        KeysCommand::Revoke { id } => revoke(&args, &format!("/api/keys/{id}"), &id).await,
    };
    exit_code(result)
}

#[cfg(test)]
mod tests;
