//! `parapet audit verify|export|keygen`. Verification reads the log itself (from Redis, from a
//! stopped gateway's redb file, or from an exported JSONL file) so an examiner can check it
//! offline with nothing but the export, the checkpoints and the public key.

use std::io::{BufRead, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};

use crate::audit::checkpoint::{CheckpointSigner, CheckpointVerifier};
use crate::audit::read::{open_checkpoints, parse_record, verify_store, Verification};
use crate::audit::record::Record;
use crate::audit::verify::ChainVerifier;
use crate::config::{Config, StoreConfig};
use crate::store;

#[derive(Subcommand)]
pub enum AuditCommand {
    /// Verify the hash chain and every signed checkpoint; exit 1 at the first break.
    Verify(VerifyArgs),
    /// Export the log (through the admin API of a running gateway) to stdout or a file.
    Export(ExportArgs),
    /// Make a new checkpoint signing key (for PARAPET_AUDIT_SIGNING_KEY) and its verifier key.
    Keygen {
        /// The checkpoint origin (config `audit.origin`).
        #[arg(long, default_value = "parapet")]
        origin: String,
    },
}

#[derive(Args)]
pub struct VerifyArgs {
    /// Read the log from this Redis.
    #[arg(long, conflicts_with_all = ["file", "store_path"])]
    redis: Option<String>,
    /// Read the log from an exported JSONL file (`parapet audit export --format jsonl`).
    #[arg(long, conflicts_with = "store_path")]
    file: Option<PathBuf>,
    /// Read the log from an embedded store file (the gateway must be stopped).
    #[arg(long)]
    store_path: Option<PathBuf>,
    /// Checkpoints as JSON lines `{"seq","note"}` (the witness file); with --file.
    #[arg(long)]
    checkpoints: Option<PathBuf>,
    /// The verifier key (`origin+keyid+base64`), or @FILE. Default: <data dir>/audit-verifier-key.
    #[arg(long)]
    verifier_key: Option<String>,
    /// Config file, for the store and data dir when no source is given.
    #[arg(long, env = "PARAPET_CONFIG")]
    config: Option<PathBuf>,
    /// Print the report as JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
pub struct ExportArgs {
    #[arg(long, default_value = "jsonl", value_parser = ["jsonl", "csv"])]
    format: String,
    /// Elastic Common Schema field names (jsonl only).
    #[arg(long)]
    ecs: bool,
    /// RFC 3339 start (inclusive).
    #[arg(long)]
    since: Option<String>,
    /// RFC 3339 end (exclusive).
    #[arg(long)]
    until: Option<String>,
    /// Write here instead of stdout.
    #[arg(long, short)]
    output: Option<PathBuf>,
    #[command(flatten)]
    admin: super::keys::AdminArgs,
}

pub async fn run(cmd: AuditCommand) -> ExitCode {
    match cmd {
        AuditCommand::Verify(args) => verify(args).await,
        AuditCommand::Export(args) => export(args).await,
        AuditCommand::Keygen { origin } => {
            let (signer, private) = CheckpointSigner::generate(&origin);
            println!("PARAPET_AUDIT_SIGNING_KEY={private}");
            println!("verifier key: {}", signer.verifier_key());
            ExitCode::SUCCESS
        }
    }
}

fn load_config(path: &Option<PathBuf>) -> Result<Config, String> {
    match path {
        Some(p) => Config::load(p).map_err(|e| format!("config error: {e}")),
        None => Ok(Config::no_config()),
    }
}

fn verifier(args: &VerifyArgs, cfg: &Config) -> Result<Option<CheckpointVerifier>, String> {
    let text = match &args.verifier_key {
        Some(k) if k.starts_with('@') => {
            std::fs::read_to_string(&k[1..]).map_err(|e| format!("{}: {e}", &k[1..]))?
        }
        Some(k) => k.clone(),
        None => match std::fs::read_to_string(cfg.server.data_dir.join("audit-verifier-key")) {
            Ok(t) => t,
            Err(_) => return Ok(None),
        },
    };
    CheckpointVerifier::from_verifier_key(text.trim())
        .map(Some)
        .map_err(|e| format!("verifier key: {e}"))
}

fn bar(total: u64) -> ProgressBar {
    let pb = ProgressBar::new(total);
    pb.set_style(
        ProgressStyle::with_template(
            "{spinner} verifying [{bar:40}] {pos}/{len} records ({per_sec}, eta {eta})",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> "),
    );
    pb
}

async fn verify(args: VerifyArgs) -> ExitCode {
    let cfg = match load_config(&args.config) {
        Ok(c) => c,
        Err(e) => return usage_error(&e),
    };
    let verifier = match verifier(&args, &cfg) {
        Ok(v) => v,
        Err(e) => return usage_error(&e),
    };
    if verifier.is_none() {
        eprintln!("parapet: warning: no verifier key (--verifier-key): signed checkpoints are NOT checked, only the chain");
    }
    let result = if let Some(file) = &args.file {
        verify_file(file, args.checkpoints.as_ref(), verifier.as_ref())
    } else {
        let store_cfg = match (&args.redis, &args.store_path) {
            (Some(url), _) => StoreConfig::Redis { url: url.clone() },
            (_, Some(path)) => StoreConfig::Embedded { path: path.clone() },
            _ => cfg.store.clone(),
        };
        match store::open(&store_cfg).await {
            Err(e) => Err(format!("cannot open the store: {e}")),
            Ok(s) => {
                let pb = bar(0);
                let r = verify_store(s.as_ref(), verifier.as_ref(), |done, total| {
                    pb.set_length(total);
                    pb.set_position(done);
                })
                .await;
                pb.finish_and_clear();
                r
            }
        }
    };
    match result {
        Err(e) => usage_error(&e),
        Ok(v) => report(&v, args.json),
    }
}

fn report(v: &Verification, json: bool) -> ExitCode {
    if json {
        println!("{}", serde_json::to_string_pretty(v).unwrap_or_default());
    } else {
        let r = &v.report;
        println!(
            "records checked: {} (seq {}..{}), checkpoints checked: {}",
            r.records_checked,
            r.first_seq.unwrap_or(0),
            r.last_seq,
            r.checkpoints_checked
        );
        println!("head: {} {}", r.last_seq, r.head_hash);
        for bad in &v.invalid_checkpoints {
            println!("INVALID CHECKPOINT: {bad}");
        }
        match &r.first_break {
            Some(b) => println!("CHAIN BROKEN: {b}"),
            None if v.ok => println!("OK: the chain and every checkpoint verify"),
            None => {}
        }
    }
    if v.ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

fn usage_error(msg: &str) -> ExitCode {
    eprintln!("parapet: {msg}");
    ExitCode::from(2)
}

/// Verifies an exported JSONL file (one record per line, in order) offline.
fn verify_file(
    path: &PathBuf,
    checkpoints: Option<&PathBuf>,
    verifier: Option<&CheckpointVerifier>,
) -> Result<Verification, String> {
    let mut notes = Vec::new();
    if let Some(cp) = checkpoints {
        let text = std::fs::read_to_string(cp).map_err(|e| format!("{}: {e}", cp.display()))?;
        for (i, line) in text
            .lines()
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty())
        {
            let v: serde_json::Value = serde_json::from_str(line)
                .map_err(|e| format!("{}:{}: {e}", cp.display(), i + 1))?;
            match (v["seq"].as_u64(), v["note"].as_str()) {
                (Some(seq), Some(note)) => notes.push((seq, note.to_string())),
                _ => {
                    return Err(format!(
                        "{}:{}: expected {{\"seq\", \"note\"}}",
                        cp.display(),
                        i + 1
                    ))
                }
            }
        }
    }
    let (cps, invalid) = open_checkpoints(&notes, verifier);
    let file = std::fs::File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let size = file.metadata().map(|m| m.len()).unwrap_or(0);
    let pb = bar(size);
    let reader = std::io::BufReader::with_capacity(1 << 20, file);
    let mut chain: Option<ChainVerifier> = None;
    let mut batch: Vec<Record> = Vec::with_capacity(10_000);
    let mut read = 0u64;
    let flush = |batch: &mut Vec<Record>, chain: &mut Option<ChainVerifier>| {
        if batch.is_empty() {
            return;
        }
        let v = chain.get_or_insert_with(|| {
            let first = batch.first().map(|r| r.seq).unwrap_or(1);
            let start = (first > 1)
                .then(|| {
                    cps.iter()
                        .find(|c| c.seq == first - 1)
                        .map(|c| (c.seq, c.head_hash.clone()))
                })
                .flatten();
            ChainVerifier::new(start, cps.clone())
        });
        v.push_batch(batch);
        batch.clear();
    };
    for (i, line) in reader.lines().enumerate() {
        let line = line.map_err(|e| format!("{}: {e}", path.display()))?;
        read += line.len() as u64 + 1;
        if line.trim().is_empty() {
            continue;
        }
        batch.push(parse_record(i as u64 + 1, line.as_bytes())?);
        if batch.len() == 10_000 {
            flush(&mut batch, &mut chain);
            pb.set_position(read);
            if chain.as_ref().is_some_and(|c| c.first_break().is_some()) {
                break;
            }
        }
    }
    flush(&mut batch, &mut chain);
    pb.finish_and_clear();
    let report = chain
        .unwrap_or_else(|| ChainVerifier::new(None, cps))
        .finish();
    Ok(Verification {
        ok: report.first_break.is_none() && invalid.is_empty(),
        report,
        invalid_checkpoints: invalid,
    })
}

async fn export(args: ExportArgs) -> ExitCode {
    let mut query = vec![("format", args.format.clone())];
    if args.ecs {
        query.push(("ecs", "true".into()));
    }
    if let Some(s) = &args.since {
        query.push(("since", s.clone()));
    }
    if let Some(u) = &args.until {
        query.push(("until", u.clone()));
    }
    let resp =
        match super::keys::request(&args.admin, reqwest::Method::GET, "/api/audit/export").await {
            Ok(req) => req.query(&query).send().await,
            Err(e) => return usage_error(&e),
        };
    let mut resp = match resp {
        Ok(r) if r.status().is_success() => r,
        Ok(r) => {
            let status = r.status();
            let body = r.text().await.unwrap_or_default();
            return usage_error(&format!("export answered {status}: {body}"));
        }
        Err(e) => return usage_error(&format!("cannot reach the admin API: {e}")),
    };
    let mut out: Box<dyn Write> = match &args.output {
        Some(p) => match std::fs::File::create(p) {
            Ok(f) => Box::new(std::io::BufWriter::new(f)),
            Err(e) => return usage_error(&format!("{}: {e}", p.display())),
        },
        None => Box::new(std::io::stdout().lock()),
    };
    loop {
        match resp.chunk().await {
            Ok(Some(chunk)) => {
                if let Err(e) = out.write_all(&chunk) {
                    return usage_error(&format!("write failed: {e}"));
                }
            }
            Ok(None) => break,
            Err(e) => return usage_error(&format!("export interrupted: {e}")),
        }
    }
    match out.flush() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => usage_error(&format!("write failed: {e}")),
    }
}
