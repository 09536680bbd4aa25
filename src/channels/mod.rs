//! Channel adapters: platform events in, outbox messages out. They translate and
//! nothing else: the conversation decides, the engine commits.

pub mod addressing;
pub mod matrix;
pub(crate) mod media;
pub mod pace;
pub mod retry;
pub mod telegram;
pub mod terminal;
pub(crate) mod turns;
pub mod web;

use std::path::{Path, PathBuf};
use std::sync::{Arc, MutexGuard};
use std::time::Duration;

use tokio::sync::watch;

use crate::channel::Channel;
use crate::engine::{Engine, EngineError, OutboxRow, SharedEngine, WriteFn};

pub(crate) use retry::wait_or_stop;

/// How long a stop may take, in every channel: in-flight turns finish, then the
/// outbox drains; what is left is sent at the next start.
pub const STOP_GRACE: Duration = Duration::from_secs(8);

/// How a secret is written: what around it is not part of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecretKind {
    /// A bot token: whitespace around it is dropped, in the environment and in a file.
    Token,
    /// A password: taken as set in the environment; from a file, only the line
    /// end is dropped (spaces may belong to it).
    Password,
}

impl SecretKind {
    fn clean_env(self, value: &str) -> &str {
        match self {
            Self::Token => value.trim(),
            Self::Password => value,
        }
    }

    fn clean_file(self, text: &str) -> &str {
        match self {
            Self::Token => text.trim(),
            Self::Password => text.trim_end_matches(['\n', '\r']),
        }
    }
}

/// Why a secret's file gave no secret.
#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    #[error("cannot read {path}: {reason}")]
    Unreadable { path: String, reason: String },
    #[error("{0} is empty")]
    Empty(String),
}

/// A channel's secret (bot token, account password), from the first of: the
/// environment variable `env_var` (when not blank), the file `file` named in the
/// shop file (relative to `base_dir`, the folder of `shop.toml`), or the systemd
/// credential `credential` in `$CREDENTIALS_DIRECTORY` (when present). `None`:
/// none of them is set. A named file that cannot be read or is empty is an error.
pub fn secret(
    env_var: &str,
    file: Option<&str>,
    credential: &str,
    base_dir: &Path,
    kind: SecretKind,
) -> Result<Option<String>, SecretError> {
    if let Ok(value) = std::env::var(env_var) {
        let value = kind.clean_env(&value);
        if !value.is_empty() {
            return Ok(Some(value.to_owned()));
        }
    }
    let path = match file {
        Some(file) => base_dir.join(file),
        None => match std::env::var_os("CREDENTIALS_DIRECTORY")
            .map(|dir| PathBuf::from(dir).join(credential))
            .filter(|path| path.exists())
        {
            Some(path) => path,
            None => return Ok(None),
        },
    };
    let text = std::fs::read_to_string(&path).map_err(|e| SecretError::Unreadable {
        path: path.display().to_string(),
        reason: e.to_string(),
    })?;
    let value = kind.clean_file(&text);
    if value.is_empty() {
        return Err(SecretError::Empty(path.display().to_string()));
    }
    Ok(Some(value.to_owned()))
}

/// Locks the engine; a panic elsewhere never leaves it unusable.
pub(crate) fn lock(engine: &SharedEngine) -> MutexGuard<'_, Engine> {
    engine.lock()
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
    channel: Channel,
    limit: usize,
) -> Vec<OutboxRow> {
    match blocking(engine, move |engine| engine.pending_outbox(channel, limit)).await {
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
///
/// The marks of many chats' workers are committed together: a mark waits in a
/// queue, and whoever takes the engine next writes every queued mark in one
/// transaction (see [`Engine::run_writes`]). Each caller returns only once its
/// own mark is committed, so a chat's next message never leaves before it.
pub(crate) async fn record_delivery(
    engine: &SharedEngine,
    stop: &watch::Receiver<bool>,
    channel: Channel,
    write: impl Fn(&mut Engine) -> Result<(), EngineError> + Send + Sync + 'static,
) -> bool {
    let write: Arc<WriteFn> = Arc::new(write);
    let mut backoff = retry::Policy::TURN.backoff();
    loop {
        let (done_tx, done_rx) = tokio::sync::oneshot::channel();
        engine.queue(Arc::clone(&write), done_tx);
        // Whoever takes the engine next commits every mark queued by then.
        let shared = Arc::clone(engine);
        if blocking(engine, move |engine| shared.commit_queued(engine))
            .await
            .is_none()
        {
            return false;
        }
        match done_rx.await {
            Ok(Ok(())) => return true,
            // The queue was dropped by a panic: nothing is known to be written.
            Err(_) => return false,
            Ok(Err(e)) => {
                let delay = backoff.next_delay();
                tracing::error!(
                    "{channel}: cannot record a delivery ({e}); trying again in {} s",
                    delay.as_secs()
                );
                if wait_or_stop(stop, delay).await {
                    return false;
                }
            }
        }
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    const UNSET: &str = "SHOPBOT_TEST_SECRET_NEVER_SET";

    #[test]
    fn a_secret_file_is_read_as_its_kind_says() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("s"), "  a b \r\n").unwrap();
        std::fs::write(dir.path().join("blank"), " \n").unwrap();
        let read = |file, kind| secret(UNSET, Some(file), "none", dir.path(), kind);
        assert_eq!(
            read("s", SecretKind::Token).unwrap().as_deref(),
            Some("a b")
        );
        assert_eq!(
            read("s", SecretKind::Password).unwrap().as_deref(),
            Some("  a b ")
        );
        assert!(matches!(
            read("blank", SecretKind::Token),
            Err(SecretError::Empty(_))
        ));
        assert!(matches!(
            read("missing", SecretKind::Password),
            Err(SecretError::Unreadable { .. })
        ));
    }
}
