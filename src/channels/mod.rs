//! Channel adapters: platform events in, outbox messages out. They translate and
//! nothing else: the conversation decides, the engine commits.

pub mod addressing;
pub mod matrix;
pub mod telegram;
pub mod terminal;
pub(crate) mod turns;

use std::sync::{Arc, MutexGuard, PoisonError};
use std::time::Duration;

use tokio::sync::watch;

use crate::engine::{Engine, SharedEngine};
use crate::store::OutboxRow;

/// Locks the engine; a panic elsewhere never leaves it unusable.
pub(crate) fn lock(engine: &SharedEngine) -> MutexGuard<'_, Engine> {
    engine.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Runs blocking engine work (`SQLite`) off the async threads; `None` if it panicked.
pub(crate) async fn blocking<T: Send + 'static>(
    engine: &SharedEngine,
    work: impl FnOnce(&mut Engine) -> T + Send + 'static,
) -> Option<T> {
    let engine = Arc::clone(engine);
    tokio::task::spawn_blocking(move || work(&mut lock(&engine)))
        .await
        .ok()
}

/// Up to `limit` unsent outbox rows of `channel`, oldest first; an error reading
/// them is logged and reads as nothing to send (the next round tries again).
pub(crate) async fn pending(
    engine: &SharedEngine,
    channel: &'static str,
    limit: usize,
) -> Vec<OutboxRow> {
    match blocking(engine, move |engine| {
        engine.store().pending_outbox(channel, limit)
    })
    .await
    {
        Some(Ok(rows)) => rows,
        Some(Err(e)) => {
            tracing::error!("{channel}: cannot read the outbox: {e}");
            Vec::new()
        }
        None => Vec::new(),
    }
}

/// Writes what became of a sent message, waiting while the database cannot
/// write (the message left already: sending it again would say it twice).
/// False if the channel stopped first, or the work panicked.
pub(crate) async fn record_delivery(
    engine: &SharedEngine,
    stop: &watch::Receiver<bool>,
    channel: &'static str,
    write: impl Fn(&mut Engine) -> Result<(), crate::store::StoreError> + Send + Sync + 'static,
) -> bool {
    let write = Arc::new(write);
    let mut delay = Duration::from_secs(1);
    loop {
        let attempt = Arc::clone(&write);
        match blocking(engine, move |engine| attempt(engine)).await {
            Some(Ok(())) => return true,
            None => return false,
            Some(Err(e)) => {
                tracing::error!(
                    "{channel}: cannot record a delivery ({e}); trying again in {} s",
                    delay.as_secs()
                );
                if wait_or_stop(stop, delay).await {
                    return false;
                }
                delay = (delay * 2).min(turns::Pace::STANDARD.max);
            }
        }
    }
}

/// Sleeps, or returns true at once when the channel is asked to stop.
pub(crate) async fn wait_or_stop(stop: &watch::Receiver<bool>, delay: Duration) -> bool {
    let mut watching = stop.clone();
    tokio::select! {
        () = tokio::time::sleep(delay) => {}
        _ = watching.wait_for(|s| *s) => return true,
    }
    *stop.borrow()
}

/// Escapes text for HTML bodies: `&`, `<` and `>`.
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c => out.push(c),
        }
    }
    out
}
