//! The durable store: `SQLite` on disk, WAL, `BEGIN IMMEDIATE` for every write.
//!
//! Several [`Store`]s (threads or processes) may share one file: writes are
//! serialised by the `SQLite` write lock (waiting up to [`BUSY_TIMEOUT`]), and each
//! read method sees one consistent snapshot.
//!
//! This file is only the plumbing: opening, [`Store::write`] (one [`Tx`]), the
//! read snapshot, checkpoints, backups and the error type. Every query lives in
//! the file of the table family it touches, in that file's `impl Tx` (and
//! `impl Store` for what adapters and the command line read or write outside a
//! turn's transaction); a query both need is one function over a
//! `&rusqlite::Connection` in the same file.
//!
//! - `sessions.rs`: each chat's conversation state; idle carts.
//! - `inbox.rs`: keys of platform events already handled.
//! - `outbox.rs`: replies to send, the customers they quote, the platform
//!   messages showing them, unreachable customers.
//! - `orders.rs`: placing orders, their statuses, reading them back.
//! - `stock.rs`: live stock, aligned with the shop file.
//! - `tickets.rs`: conversations handed to a person.
//! - `history.rs`: conversation lines; questions the bot could not answer.
//! - `consent.rs`: marketing consent; the log of follow-ups sent.
//! - `feedback.rs`: the stars and comments of delivered orders.
//! - `events.rs`: journey steps for the funnel.
//! - `media.rs`: what each platform gave back for an uploaded image.
//! - `settings.rs`: shop-wide settings; the owners' direct rooms.
//! - `erasure.rs`: `/forget` (erasing a customer by key) and purging old data.
//! - `stats.rs`: the shop's figures over a period.
//! - `migrations.rs` (the schema), `status.rs` ([`OrderStatus`]), `busy.rs`
//!   (waiting out another connection's lock).

mod busy;
mod consent;
mod erasure;
mod events;
mod feedback;
mod history;
mod inbox;
mod media;
mod migrations;
mod orders;
mod outbox;
mod sessions;
mod settings;
mod stats;
mod status;
mod stock;
#[cfg(test)]
mod tests;
mod tickets;

use std::path::Path;
use std::time::Duration;

use rusqlite::{Connection, TransactionBehavior};

use busy::{Backoff, retry_busy};
pub use erasure::Purged;
pub use history::HistoryLine;
pub use media::MediaKey;
pub use migrations::SCHEMA_VERSION;
pub use orders::{FORGOTTEN, NewOrder, Order, OrderLine, PlaceOutcome};
pub use outbox::OutboxRow;
pub use sessions::IdleCart;
pub use stats::{ChannelFigures, DayFigures, Funnel, Seller, Stats};
pub use status::{OrderStatus, UnknownStatus};
pub use tickets::Ticket;

/// How long a connection waits for another one's write lock before giving up.
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(30);

/// Errors of the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error(
        "the database {path} was written by a newer shopbot (schema {found}, this one knows {known})"
    )]
    TooNew {
        path: String,
        found: i64,
        known: i64,
    },
    /// A row holds something this build cannot read (bad JSON, impossible value).
    #[error("corrupt data in the database ({what}): {detail}")]
    Corrupt { what: String, detail: String },
    /// A value could not be encoded as JSON for storing.
    #[error("cannot encode data for the database: {0}")]
    Encode(#[from] serde_json::Error),
    /// The database file refused write-ahead logging.
    #[error("the database {path} cannot use WAL journaling (journal mode is {mode})")]
    NoWal { path: String, mode: String },
}

pub type Result<T> = std::result::Result<T, StoreError>;

/// The database.
pub struct Store {
    conn: rusqlite::Connection,
}

/// One write transaction (`BEGIN IMMEDIATE`).
pub struct Tx<'a> {
    tx: rusqlite::Transaction<'a>,
}

impl Store {
    /// Opens (creating if needed) the database file and brings its schema up to date.
    pub fn open(path: &Path) -> Result<Self> {
        // Each attempt uses a fresh connection: one refused while another
        // connection switched the file to WAL must not keep its stale state.
        let conn = retry_busy(|| open_once(path))?;
        Ok(Self { conn })
    }

    /// Runs `f` in a `BEGIN IMMEDIATE` transaction: committed if `f` returns
    /// `Ok`, rolled back if it returns `Err`.
    pub fn write<T>(&mut self, f: impl FnOnce(&Tx<'_>) -> Result<T>) -> Result<T> {
        self.write_with(f)
    }

    /// [`Store::write`] for a closure with its own error type, which only needs
    /// to take store errors (the engine mixes in its own).
    pub fn write_with<T, E: From<StoreError>>(
        &mut self,
        f: impl FnOnce(&Tx<'_>) -> std::result::Result<T, E>,
    ) -> std::result::Result<T, E> {
        let mut backoff = Backoff::new();
        let tx = loop {
            match self
                .conn
                .transaction_with_behavior(TransactionBehavior::Immediate)
            {
                Ok(tx) => break Tx { tx },
                Err(err) => backoff.wait_if_busy(err.into())?,
            }
        };
        match f(&tx) {
            Ok(value) => {
                tx.tx.commit().map_err(StoreError::from)?;
                Ok(value)
            }
            Err(err) => {
                // The closure's error is the one worth reporting; a failed
                // rollback still ends the transaction when the connection is reused.
                let _ = tx.tx.rollback();
                Err(err)
            }
        }
    }

    /// Runs `f` on one read snapshot (a deferred transaction, never upgraded to a write).
    fn read<T>(&self, f: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
        let tx = self.conn.unchecked_transaction()?;
        let value = f(&tx)?;
        tx.finish()?;
        Ok(value)
    }

    /// Moves everything in the write-ahead log into the database file and empties
    /// the log (after erasing a customer, so the log holds no old copy of their data).
    ///
    /// Never waits long: a reader on an older snapshot (Litestream keeps one open
    /// all the time and runs its own checkpoints) makes a `TRUNCATE` checkpoint
    /// wait for it — the whole busy timeout, 30 s, with every writer blocked, and
    /// then fail anyway. So it waits at most a quarter of a second (enough for
    /// another connection's write to finish). When a reader is still there, it has
    /// still moved what it could, as a passive checkpoint does, and leaves the log
    /// to the reader's own checkpoints, which restart it: old frames stay in the
    /// file until new ones overwrite them. Returns whether the log was emptied.
    pub fn checkpoint(&self) -> Result<bool> {
        const WAIT: Duration = Duration::from_millis(250);
        self.conn.busy_timeout(WAIT)?;
        let busy = self
            .conn
            .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |row| {
                row.get::<_, i64>(0)
            });
        self.conn.busy_timeout(BUSY_TIMEOUT)?;
        Ok(busy? == 0)
    }
}

/// One attempt at opening: connection settings, WAL, migrations.
fn open_once(path: &Path) -> Result<Connection> {
    let mut conn = Connection::open(path)?;
    conn.busy_timeout(BUSY_TIMEOUT)?;
    migrations::check_not_newer(&conn, path)?;
    use_wal(&conn, path)?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    // Deleted data is overwritten, so an erased customer leaves no trace in the file.
    conn.pragma_update(None, "secure_delete", true)?;
    conn.pragma_update(None, "foreign_keys", true)?;
    migrations::migrate(&mut conn, path)?;
    Ok(conn)
}

/// Switches the file to write-ahead logging (a no-op when it already is).
fn use_wal(conn: &Connection, path: &Path) -> Result<()> {
    let mode: String =
        conn.pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get(0))?;
    if mode.eq_ignore_ascii_case("wal") {
        Ok(())
    } else {
        Err(StoreError::NoWal {
            path: path.display().to_string(),
            mode,
        })
    }
}

/// Copies the database at `from` to a new file `to` with `SQLite`'s online
/// backup, while other connections go on writing: the copy is one consistent
/// snapshot (taken in a single step, which in WAL mode never blocks writers),
/// checked with `integrity_check`. Returns the number of pages copied.
pub fn backup(from: &Path, to: &Path) -> Result<i64> {
    let source = Connection::open_with_flags(from, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    source.busy_timeout(BUSY_TIMEOUT)?;
    let mut target = Connection::open(to)?;
    {
        let copy = rusqlite::backup::Backup::new(&source, &mut target)?;
        let mut backoff = Backoff::new();
        loop {
            match copy.step(-1)? {
                rusqlite::backup::StepResult::Done => break,
                rusqlite::backup::StepResult::More => {}
                _ => backoff.wait_if_busy(StoreError::Sqlite(rusqlite::Error::SqliteFailure(
                    rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_BUSY),
                    None,
                )))?,
            }
        }
    }
    let check: String = target.query_row("PRAGMA integrity_check", [], |r| r.get(0))?;
    if check != "ok" {
        return Err(StoreError::Corrupt {
            what: to.display().to_string(),
            detail: format!("integrity_check of the copy: {check}"),
        });
    }
    Ok(target.query_row("PRAGMA page_count", [], |r| r.get(0))?)
}
