//! The mock model provider as a program: `mock-upstream [--listen 127.0.0.1:0] [--no-record]`.
//! Prints `mock listening on http://ADDR` on stdout once it accepts connections.
//! `--no-record` skips keeping requests in memory (benchmarks).

use std::io::Write as _;

use parapet_tests::mock::{router, MockState};

const USAGE: &str = "usage: mock-upstream [--listen 127.0.0.1:0] [--no-record]";

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut listen = "127.0.0.1:0".to_owned();
    let mut record = true;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--listen" => listen = args.next().ok_or_else(|| anyhow::anyhow!("{USAGE}"))?,
            "--no-record" => record = false,
            "-h" | "--help" => {
                println!("{USAGE}");
                return Ok(());
            }
            other => anyhow::bail!("unknown argument {other}\n{USAGE}"),
        }
    }
    let listener = tokio::net::TcpListener::bind(&listen).await?;
    let addr = listener.local_addr()?;
    let mut out = std::io::stdout().lock();
    writeln!(out, "mock listening on http://{addr}")?;
    out.flush()?;
    drop(out);
    axum::serve(listener, router(MockState::new(record))).await?;
    Ok(())
}
