//! Retrying what `SQLite` refused with `SQLITE_BUSY`.

use std::time::{Duration, Instant};

use super::{BUSY_TIMEOUT, Result, StoreError};

/// Backoff for steps that `SQLite` refused with `SQLITE_BUSY`.
///
/// The busy handler (see [`BUSY_TIMEOUT`]) covers ordinary lock waits, but
/// `SQLite` returns `SQLITE_BUSY` at once in a few cases, e.g. while another
/// connection switches a new file to WAL or rebuilds the WAL index. Only steps
/// that are safe to repeat (nothing written yet, or rolled back) are retried,
/// for at most [`BUSY_TIMEOUT`] in all.
pub struct Backoff {
    start: Instant,
    pause: Duration,
}

impl Backoff {
    pub fn new() -> Self {
        Self {
            start: Instant::now(),
            pause: Duration::from_millis(1),
        }
    }

    /// Sleeps a little if `err` is a busy error and time remains; else returns `err`.
    pub fn wait_if_busy(&mut self, err: StoreError) -> Result<()> {
        let busy = matches!(&err, StoreError::Sqlite(e)
            if e.sqlite_error_code() == Some(rusqlite::ErrorCode::DatabaseBusy));
        if !busy || self.start.elapsed() >= BUSY_TIMEOUT {
            return Err(err);
        }
        std::thread::sleep(self.pause);
        self.pause = (self.pause * 2).min(Duration::from_millis(50));
        Ok(())
    }
}

pub fn retry_busy<T>(mut attempt: impl FnMut() -> Result<T>) -> Result<T> {
    let mut backoff = Backoff::new();
    loop {
        match attempt() {
            Ok(value) => return Ok(value),
            Err(err) => backoff.wait_if_busy(err)?,
        }
    }
}
