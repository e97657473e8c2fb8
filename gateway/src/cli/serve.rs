//! `parapet serve`: validate the config before binding anything, open the store, make sure the
//! admin token (and demo key) exist, bind both listeners, serve until SIGTERM/SIGINT, then let
//! in-flight calls finish within `server.shutdown_grace_s`.

use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use axum::serve::ListenerExt as _;

use crate::aida::Aida;
use crate::app::{admin_router, proxy_router, AppState};
use crate::audit::checkpoint::CheckpointSigner;
use crate::audit::Audit;
use crate::barriers::Guard;
use crate::bootstrap::load_or_create;
use crate::config::Config;
use crate::identity::jwt::JwtVerifier;
use crate::identity::keys::{NewKey, KEY_PREFIX};
use crate::identity::ldap::LdapGroups;
use crate::identity::Identity;
use crate::providers::router::Router;
use crate::secret::{random_token, Secret};
use crate::webhooks::Webhooks;
use crate::{store, telemetry};

use super::EXIT_CONFIG;

fn fail(msg: impl std::fmt::Display) -> ExitCode {
    eprintln!("parapet: {msg}");
    ExitCode::FAILURE
}

fn say(line: &str) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{line}");
    let _ = out.flush();
}

pub async fn run(config: Option<PathBuf>) -> ExitCode {
    let cfg = match &config {
        Some(path) => match Config::load(path) {
            Ok(c) => c,
            Err(e) => {
                eprintln!("parapet: config error: {e}");
                return ExitCode::from(EXIT_CONFIG);
            }
        },
        None => Config::no_config(),
    };
    telemetry::init_logs(cfg.server.log_format);
    let mut signals = match Signals::install() {
        Ok(s) => s,
        Err(e) => return fail(format!("cannot listen for signals: {e}")),
    };

    let jwt = match cfg.jwt.clone().map(JwtVerifier::new).transpose() {
        Ok(v) => v,
        Err(e) => {
            eprintln!("parapet: config error: {e}");
            return ExitCode::from(EXIT_CONFIG);
        }
    };
    let router = match Router::new(&cfg) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("parapet: config error: {e}");
            return ExitCode::from(EXIT_CONFIG);
        }
    };

    let data_dir = cfg.server.data_dir.clone();
    let (admin_token, admin_from_file) = match std::env::var("PARAPET_ADMIN_TOKEN") {
        Ok(t) if t.len() >= 16 => (t, false),
        Ok(_) => return fail("PARAPET_ADMIN_TOKEN must be at least 16 characters"),
        Err(_) => match load_or_create(&data_dir, "admin-token", || random_token("pat-")) {
            Ok((t, _)) => (t, true),
            Err(e) => {
                return fail(format!(
                    "cannot keep the admin token in {}: {e}",
                    data_dir.display()
                ))
            }
        },
    };

    let store = match store::open(&cfg.store).await {
        Ok(s) => s,
        Err(e) => return fail(format!("cannot open the store: {e}")),
    };
    let aida = match aida_secret(&cfg) {
        Ok(secret) => secret.map(|s| Arc::new(Aida::new(store.clone(), s))),
        Err(e) => return fail(e),
    };
    let identity = Identity::new(
        store.clone(),
        jwt,
        Secret::new(admin_token.clone()),
        aida.clone(),
    )
    .with_ldap(cfg.ldap.clone().map(|l| Arc::new(LdapGroups::new(l))));
    if let Some(v) = identity_jwt_warmup(&cfg) {
        if let Err(e) = v.warm_up().await {
            tracing::warn!(error = %e, "JWKS not reachable at start; will retry on the first token");
        }
    }

    let demo_key = if cfg.server.demo_key {
        let key = match load_or_create(&data_dir, "demo-key", || random_token(KEY_PREFIX)) {
            Ok((k, _)) => k,
            Err(e) => {
                return fail(format!(
                    "cannot keep the demo key in {}: {e}",
                    data_dir.display()
                ))
            }
        };
        let new = NewKey {
            owner: "demo".into(),
            team: Some("demo".into()),
            tags: vec!["demo".into()],
            ..NewKey::default()
        };
        if let Err(e) = identity.keys().ensure(&key, new).await {
            return fail(format!("cannot store the demo key: {e}"));
        }
        Some(key)
    } else {
        None
    };

    let signer = match audit_signer(&cfg) {
        Ok(s) => Arc::new(s),
        Err(e) => return fail(e),
    };
    let verifier_key = signer.verifier_key();
    if let Err(e) = std::fs::write(
        data_dir.join("audit-verifier-key"),
        format!("{verifier_key}\n"),
    ) {
        tracing::warn!(error = %e, "cannot write the audit verifier key to the data dir");
    }
    tracing::info!(verifier_key = %verifier_key, "audit checkpoints are signed; verify offline with this key");

    let metrics = match telemetry::install_metrics() {
        Ok(h) => Some(h),
        Err(e) => return fail(format!("cannot install the metrics recorder: {e}")),
    };
    let audit = Audit::start(
        store.clone(),
        cfg.audit.clone(),
        Some(signer),
        Webhooks::new(cfg.webhooks.clone()),
    );
    let guard = match Guard::start(cfg.barriers.clone(), store.clone(), audit.clone()).await {
        Ok(g) => g,
        Err(e) => {
            eprintln!("parapet: config error: classifiers.watchlist: {e}");
            return ExitCode::from(EXIT_CONFIG);
        }
    };
    let policy = match crate::policy::PolicyEngine::load(store.clone()).await {
        Ok(p) => p,
        Err(e) => return fail(format!("cannot load the policies: {e}")),
    };
    policy.spawn_poller();
    let state = match AppState::new(
        cfg.clone(),
        store,
        identity,
        router,
        metrics,
        audit,
        aida,
        guard,
        policy,
    ) {
        Ok(s) => Arc::new(s),
        Err(e) => return fail(e),
    };

    let proxy = match tokio::net::TcpListener::bind(cfg.server.proxy_listen).await {
        Ok(l) => l,
        Err(e) => {
            return fail(format!(
                "cannot bind server.proxy_listen {}: {e}",
                cfg.server.proxy_listen
            ))
        }
    };
    let admin = match tokio::net::TcpListener::bind(cfg.server.admin_listen).await {
        Ok(l) => l,
        Err(e) => {
            return fail(format!(
                "cannot bind server.admin_listen {}: {e}",
                cfg.server.admin_listen
            ))
        }
    };
    let (proxy_addr, admin_addr) = match (proxy.local_addr(), admin.local_addr()) {
        (Ok(p), Ok(a)) => (p, a),
        (Err(e), _) | (_, Err(e)) => return fail(format!("cannot read the listen address: {e}")),
    };

    if admin_from_file {
        say(&format!("admin token: {admin_token}"));
    }
    if let Some(k) = &demo_key {
        say(&format!("demo key: {k}"));
    }
    say(&format!("proxy listening on http://{proxy_addr}"));
    say(&format!("admin listening on http://{admin_addr}"));
    tracing::info!(
        proxy = %proxy_addr, admin = %admin_addr, store = state.store.backend(),
        models = ?state.router.aliases().collect::<Vec<_>>(), "parapet ready"
    );

    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let shutdown = |mut rx: tokio::sync::watch::Receiver<bool>| async move {
        let _ = rx.wait_for(|stop| *stop).await;
    };
    let proxy_app = proxy_router(state.clone()).into_make_service_with_connect_info::<SocketAddr>();
    let admin_app = admin_router(state.clone()).into_make_service_with_connect_info::<SocketAddr>();
    // Every accepted connection sends its writes at once (TCP_NODELAY): a streamed answer is
    // many small writes, and with Nagle's algorithm each one after the first waits for the
    // client's delayed acknowledgement (up to 40 ms).
    let (proxy, admin) = (proxy.tap_io(no_delay), admin.tap_io(no_delay));
    let servers = tokio::spawn(async move {
        let p = axum::serve(proxy, proxy_app).with_graceful_shutdown(shutdown(stop_rx.clone()));
        let a = axum::serve(admin, admin_app).with_graceful_shutdown(shutdown(stop_rx));
        tokio::join!(p, a)
    });

    signals.wait().await;
    let grace = cfg.server.shutdown_grace;
    tracing::info!(
        grace_s = grace.as_secs(),
        "shutting down: no new connections, in-flight calls may finish"
    );
    let _ = stop_tx.send(true);
    let finished = tokio::time::timeout(grace, servers).await;
    state.audit.checkpoint_now().await;
    match finished {
        Ok(Ok((Ok(()), Ok(())))) => {
            tracing::info!("stopped");
            ExitCode::SUCCESS
        }
        Ok(Ok((p, a))) => fail(format!("server error: {:?} {:?}", p.err(), a.err())),
        Ok(Err(e)) => fail(format!("server task failed: {e}")),
        Err(_) => {
            tracing::warn!("in-flight calls did not finish within the grace period; closing them");
            ExitCode::SUCCESS
        }
    }
}

fn no_delay(tcp: &mut tokio::net::TcpStream) {
    if let Err(e) = tcp.set_nodelay(true) {
        tracing::warn!(error = %e, "cannot set TCP_NODELAY on a connection; serving it anyway");
    }
}

/// The AIDA signing secret: from the config's environment; in the no-config start from
/// AIDA_SIGNING_SECRET or else generated once in the data dir. `None`: AIDA is off.
fn aida_secret(cfg: &Config) -> Result<Option<Secret>, String> {
    if let Some(s) = &cfg.aida.secret {
        return Ok(Some(s.clone()));
    }
    if !cfg.no_config {
        return Ok(None);
    }
    if let Ok(s) = std::env::var("AIDA_SIGNING_SECRET") {
        if s.len() < 32 {
            return Err("AIDA_SIGNING_SECRET must be at least 32 bytes".into());
        }
        return Ok(Some(Secret::new(s)));
    }
    load_or_create(&cfg.server.data_dir, "aida-signing-secret", || {
        random_token("")
    })
    .map(|(s, _)| Some(Secret::new(s)))
    .map_err(|e| {
        format!(
            "cannot keep the AIDA secret in {}: {e}",
            cfg.server.data_dir.display()
        )
    })
}

/// The checkpoint signing key: `PARAPET_AUDIT_SIGNING_KEY` (a `PRIVATE+KEY+...` note key or a
/// base64 Ed25519 seed), else one generated once and kept in the data dir, never in the store.
fn audit_signer(cfg: &Config) -> Result<CheckpointSigner, String> {
    let origin = &cfg.audit.origin;
    let text = match std::env::var("PARAPET_AUDIT_SIGNING_KEY") {
        Ok(t) => t,
        Err(_) => {
            let make = || CheckpointSigner::generate(origin).1;
            load_or_create(&cfg.server.data_dir, "audit-signing-key", make)
                .map_err(|e| {
                    format!(
                        "cannot keep the audit signing key in {}: {e}",
                        cfg.server.data_dir.display()
                    )
                })?
                .0
        }
    };
    CheckpointSigner::from_key_text(origin, text.trim())
        .map_err(|e| format!("PARAPET_AUDIT_SIGNING_KEY: {e}"))
}

/// A second verifier only for the start-up JWKS fetch; the one in `Identity` caches its own.
fn identity_jwt_warmup(cfg: &Config) -> Option<JwtVerifier> {
    match &cfg.jwt {
        Some(j) if matches!(j.keys, crate::config::JwtKeySource::Jwks(_)) => {
            JwtVerifier::new(j.clone()).ok()
        }
        _ => None,
    }
}

/// SIGTERM and SIGINT, listened for from the start: a signal that arrives right after the
/// listen lines are printed must start a graceful shutdown, not kill the process.
struct Signals {
    #[cfg(unix)]
    term: tokio::signal::unix::Signal,
    #[cfg(unix)]
    int: tokio::signal::unix::Signal,
}

impl Signals {
    fn install() -> std::io::Result<Signals> {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{signal, SignalKind};
            Ok(Signals {
                term: signal(SignalKind::terminate())?,
                int: signal(SignalKind::interrupt())?,
            })
        }
        #[cfg(not(unix))]
        {
            Ok(Signals {})
        }
    }

    async fn wait(&mut self) {
        #[cfg(unix)]
        {
            tokio::select! {
                _ = self.term.recv() => {}
                _ = self.int.recv() => {}
            }
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}
