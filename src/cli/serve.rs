//! `shopbot run`: the configured channels, served until a stop signal.

use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, Result, bail};

use super::{db_path, open_engine};
use tokio::sync::watch;

use crate::channel::Channel;
use crate::engine::SharedEngine;
use crate::shop::{MatrixSettings, Shop, WebSettings};

/// Async worker threads: the bot waits on the network and on the database, so
/// two are plenty on any machine (tokio's default is one per core).
const WORKERS: usize = 2;
/// Threads for blocking work (the engine's turns on the one database
/// connection, the Matrix SDK's stores, file reads). tokio allows 512; each
/// thread brings its own stack and, with glibc, possibly its own malloc arena,
/// and more than a few only queue on the database anyway.
const BLOCKING_THREADS: usize = 8;

/// The channels to serve.
pub(super) struct Plan {
    pub telegram: Option<String>,
    pub matrix: Option<MatrixSettings>,
    pub web: Option<WebSettings>,
}

impl Plan {
    /// The channels configured in the shop file (and the environment's token).
    pub fn configured(shop: &Shop) -> Result<Self> {
        Ok(Self {
            telegram: crate::channels::telegram::token(shop)?,
            matrix: shop.file.matrix.clone(),
            web: shop.file.web.clone(),
        })
    }
}

/// `shopbot run`: connects the configured channels and serves until SIGTERM/Ctrl-C.
pub(super) fn run_channels(shop: Shop, db: Option<&Path>, plan: Plan) -> Result<ExitCode> {
    let mut names = Vec::new();
    if plan.telegram.is_some() {
        names.push(Channel::Telegram);
    }
    if plan.matrix.is_some() {
        names.push(Channel::Matrix);
    }
    if plan.web.is_some() {
        names.push(Channel::Web);
    }
    if names.is_empty() {
        bail!(
            "no channel is configured: set SHOPBOT_TELEGRAM_TOKEN (or `[telegram] token_file`) \
             for Telegram, a `[matrix]` table for Matrix, or a `[web]` table for the web chat \
             — see the README. To try the shop without a channel, run `shopbot chat` \
             (or `shopbot chat --web` for the web chat on this machine)."
        );
    }
    let started = std::time::Instant::now();
    let products = shop.products().len();
    let name = shop.name().to_owned();
    let db = db_path(db)?;
    let owners = &shop.file.owners;
    let reachable = (plan.telegram.is_some() && !owners.telegram.is_empty())
        || (plan.matrix.is_some() && !owners.matrix.is_empty());
    if !reachable {
        eprintln!(
            "shopbot: warning: no owner on a running channel (`[owners]` in shop.toml): \
             tickets and new orders are kept, but nobody is notified"
        );
    }
    let mut engine = open_engine(shop, Some(&db))?;
    engine.set_channels(&names);
    let listed: Vec<&str> = names.iter().map(|c| c.as_str()).collect();
    eprintln!(
        "shopbot: \"{name}\", {products} products; database {}; channels: {}; ready in {} ms",
        db.display(),
        listed.join(", "),
        started.elapsed().as_millis()
    );
    let engine = engine.shared();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(WORKERS)
        .max_blocking_threads(BLOCKING_THREADS)
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(async move {
        let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
        tokio::spawn(async move {
            wait_for_signal().await;
            tracing::info!("stopping: finishing the turns in hand and draining the outbox");
            let _ = stop_tx.send(true);
            // A second signal stops at once.
            wait_for_signal().await;
            std::process::exit(130);
        });
        // The scheduler: follow-ups and history purging, every half minute.
        let scheduler = {
            let engine = engine.clone();
            let stopping = stop_rx.clone();
            tokio::spawn(async move {
                loop {
                    match crate::channels::blocking(&engine, |e| e.tick(jiff::Timestamp::now()))
                        .await
                    {
                        Some(Ok(n)) if n > 0 => tracing::info!(followups = n, "follow-ups queued"),
                        Some(Err(e)) => tracing::error!("scheduler: {e}"),
                        _ => {}
                    }
                    if crate::channels::wait_or_stop(&stopping, std::time::Duration::from_secs(30))
                        .await
                    {
                        return;
                    }
                }
            })
        };
        // A channel that cannot start stops the bot: better a clear error than half a shop.
        let result = Box::pin(serve(&engine, plan, &db, &stop_rx)).await;
        scheduler.abort();
        result
    })?;
    eprintln!("shopbot: stopped");
    Ok(ExitCode::SUCCESS)
}

/// Runs the planned channels until the stop; the first that cannot start ends all.
async fn serve(
    engine: &SharedEngine,
    plan: Plan,
    db: &Path,
    stop: &watch::Receiver<bool>,
) -> Result<()> {
    let Plan {
        telegram,
        matrix,
        web,
    } = plan;
    let telegram = async {
        match telegram {
            Some(token) => crate::channels::telegram::run(engine.clone(), token, stop.clone())
                .await
                .map_err(anyhow::Error::from),
            None => Ok(()),
        }
    };
    let matrix = async {
        match matrix {
            Some(settings) => {
                crate::channels::matrix::run(engine.clone(), settings, db, stop.clone())
                    .await
                    .map_err(anyhow::Error::from)
            }
            None => Ok(()),
        }
    };
    let web = async {
        match web {
            Some(settings) => crate::channels::web::run(engine.clone(), settings, stop.clone())
                .await
                .map_err(anyhow::Error::from),
            None => Ok(()),
        }
    };
    tokio::try_join!(telegram, matrix, web).map(|_| ())
}

/// SIGTERM (systemd stop) or Ctrl-C.
async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = term.recv() => {}
                _ = tokio::signal::ctrl_c() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}

/// The web chat of `shopbot chat --web`: the shop file's `[web]` (or the
/// defaults on 127.0.0.1:8080), listening on `listen` when given.
pub(super) fn local_web(shop: &Shop, listen: Option<String>) -> WebSettings {
    let mut settings = shop
        .file
        .web
        .clone()
        .unwrap_or_else(|| WebSettings::at("127.0.0.1:8080"));
    if let Some(listen) = listen {
        settings.listen = listen;
        // The page is where this address is, not the public one of the file.
        settings.public_url = None;
    }
    settings
}
