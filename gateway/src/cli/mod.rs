//! The `parapet` command line.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

pub mod audit;
pub mod classify;
pub mod credentials;
pub mod keys;
pub mod policy;
pub mod report;
pub mod serve;

/// Exit status for a configuration error (EX_CONFIG is 78; the design fixes 64, EX_USAGE).
pub const EXIT_CONFIG: u8 = 64;

#[derive(Parser)]
#[command(
    name = "parapet",
    version,
    about = "LLM/AI gateway with inline guardrails for regulated institutions"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the gateway (proxy and admin listeners).
    Serve {
        /// Config file (TOML). Without one: embedded store in ./parapet-data and the `echo` model.
        #[arg(long, env = "PARAPET_CONFIG")]
        config: Option<PathBuf>,
    },
    /// The tamper-evident audit log: verify, export, make a signing key.
    Audit {
        #[command(subcommand)]
        command: audit::AuditCommand,
    },
    /// Manage agent credentials (AIDA) through the admin API of a running gateway.
    Credentials {
        #[command(subcommand)]
        command: credentials::CredentialsCommand,
        #[command(flatten)]
        admin: keys::AdminArgs,
    },
    /// Label texts: JSONL {"id","text"} on stdin, {"id","labels","findings"} per line out.
    Classify {
        /// The control room's watch list (JSON).
        #[arg(long)]
        watchlist: Option<PathBuf>,
    },
    /// Policy files: lint them, or run test cases against them (no gateway needed).
    Policy {
        #[command(subcommand)]
        command: policy::PolicyCommand,
    },
    /// An examination report (SR11-7, FINRA, FFIEC, EU_AI_ACT, COMPREHENSIVE) from a running
    /// gateway, as JSON.
    Report {
        #[command(flatten)]
        report: report::ReportArgs,
        #[command(flatten)]
        admin: keys::AdminArgs,
    },
    /// Manage virtual keys through the admin API of a running gateway.
    Keys {
        #[command(subcommand)]
        command: keys::KeysCommand,
        #[command(flatten)]
        admin: keys::AdminArgs,
    },
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("parapet: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match cli.command {
        Command::Serve { config } => runtime.block_on(serve::run(config)),
        Command::Keys { command, admin } => runtime.block_on(keys::run(command, admin)),
        Command::Classify { watchlist } => classify::run(watchlist),
        Command::Audit { command } => runtime.block_on(audit::run(command)),
        Command::Policy { command } => policy::run(command),
        Command::Report { report, admin } => runtime.block_on(report::run(report, admin)),
        Command::Credentials { command, admin } => {
            runtime.block_on(credentials::run(command, admin))
        }
    }
}
