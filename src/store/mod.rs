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
//! - `ratings.rs`: each product's ratings for cards; `satisfaction.rs`: the
//!   ratings' figures for the report.
//! - `events.rs`: journey steps for the funnel.
//! - `media.rs`: what each platform gave back for an uploaded image.
//! - `settings.rs`: shop-wide settings; the owners' direct rooms.
//! - `erasure.rs`: `/forget` (erasing a customer by key) and purging old data.
//! - `stats.rs`: the shop's figures over a period; `sources.rs`: per deep link's source.
//! - `migrations.rs` (the schema), `status.rs` ([`OrderStatus`]), `busy.rs`
//!   (waiting out another connection's lock).
//!
//! ## Group commit
//!
//! [`Store::begin_group`] opens one `BEGIN IMMEDIATE` transaction for several
//! writes: until [`Store::end_group`], each [`Store::write`] is a `SAVEPOINT`,
//! released when its closure returns `Ok` and rolled back alone (`ROLLBACK TO`)
//! when it returns `Err` or panics. Nothing of the group is durable before
//! `end_group` commits it: one fsync for many turns. Whoever opens a group
//! acts on its writes (sends replies, confirms events) only after that commit.
//!
//! ## Test-only: a slow fsync
//!
//! `SHOPBOT_TEST_COMMIT_DELAY_MS=N`, read once by [`Store::open`], sleeps N ms
//! before every commit, holding the write lock, as an SD card's fsync (10–30 ms)
//! would. For tests and benchmarks only; never set it in production.

mod busy;
mod consent;
mod digital;
mod erasure;
mod events;
mod feedback;
mod history;
mod inbox;
mod media;
mod migrations;
mod orders;
mod outbox;
mod ratings;
mod satisfaction;
mod sessions;
mod settings;
mod sources;
mod spool_files;
mod stats;
mod status;
mod stock;
#[cfg(test)]
mod tests;
mod tickets;
mod topics;

use std::path::Path;
use std::time::Duration;

use rusqlite::Connection;

use busy::{Backoff, retry_busy};
pub use digital::OrderCode;
pub use erasure::Purged;
pub use history::HistoryLine;
pub use media::MediaKey;
pub use migrations::SCHEMA_VERSION;
pub use orders::{FORGOTTEN, NewOrder, Order, OrderLine, PlaceOutcome};
pub use outbox::OutboxRow;
pub use ratings::{ProductRating, Ratings, Review, ReviewComment, average_tenths};
pub use satisfaction::{ProductSatisfaction, Satisfaction, SatisfactionPeriod, Tally};
pub use sessions::IdleCart;
pub use sources::SourceFigures;
pub use stats::{ChannelFigures, DayFigures, Funnel, Seller, Stats};
pub use status::{OrderStatus, UnknownStatus};
pub use tickets::Ticket;
pub use topics::{TicketTopic, Topic};

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
    /// `SQLite` rolled back an open group's transaction (after an I/O error):
    /// nothing of the group happened.
    #[error("the group commit's transaction was rolled back by the database")]
    GroupLost,
    /// The database file refused write-ahead logging.
    #[error("the database {path} cannot use WAL journaling (journal mode is {mode})")]
    NoWal { path: String, mode: String },
}

pub type Result<T> = std::result::Result<T, StoreError>;

/// The environment variable of the test-only commit delay (see the module docs).
pub const COMMIT_DELAY_ENV: &str = "SHOPBOT_TEST_COMMIT_DELAY_MS";

/// The database.
pub struct Store {
    conn: rusqlite::Connection,
    /// A group is open: writes are savepoints inside its transaction.
    group: bool,
    /// Test-only: slept before every commit ([`COMMIT_DELAY_ENV`]).
    commit_delay: Option<Duration>,
}

/// One write transaction (`BEGIN IMMEDIATE`), or one savepoint inside a group.
pub struct Tx<'a> {
    tx: Open<'a>,
}

/// The connection with a transaction or savepoint open on it.
struct Open<'a>(&'a Connection);

impl std::ops::Deref for Open<'_> {
    type Target = Connection;

    fn deref(&self) -> &Connection {
        self.0
    }
}

/// Ends an open transaction or savepoint with `undo` unless disarmed: a
/// closure's error and a panic leave nothing behind.
struct Undo<'a> {
    conn: &'a Connection,
    sql: &'static str,
    armed: bool,
}

impl Drop for Undo<'_> {
    fn drop(&mut self) {
        if self.armed {
            // A failed rollback still ends the transaction when the connection is reused.
            let _ = self.conn.execute_batch(self.sql);
        }
    }
}

impl Store {
    /// Opens (creating if needed) the database file and brings its schema up to date.
    pub fn open(path: &Path) -> Result<Self> {
        // Each attempt uses a fresh connection: one refused while another
        // connection switched the file to WAL must not keep its stale state.
        let conn = retry_busy(|| open_once(path))?;
        let commit_delay = std::env::var(COMMIT_DELAY_ENV)
            .ok()
            .and_then(|ms| ms.trim().parse::<u64>().ok())
            .filter(|&ms| ms > 0)
            .map(Duration::from_millis);
        Ok(Self {
            conn,
            group: false,
            commit_delay,
        })
    }

    /// Runs `f` in a `BEGIN IMMEDIATE` transaction: committed if `f` returns
    /// `Ok`, rolled back if it returns `Err`.
    pub fn write<T>(&mut self, f: impl FnOnce(&Tx<'_>) -> Result<T>) -> Result<T> {
        self.write_with(f)
    }

    /// [`Store::write`] for a closure with its own error type, which only needs
    /// to take store errors (the engine mixes in its own). Inside a group, a
    /// savepoint of the group's transaction.
    pub fn write_with<T, E: From<StoreError>>(
        &mut self,
        f: impl FnOnce(&Tx<'_>) -> std::result::Result<T, E>,
    ) -> std::result::Result<T, E> {
        if self.group {
            if self.conn.is_autocommit() {
                // SQLite rolled the group's transaction back (after some I/O
                // errors it does): a savepoint now would commit on its own.
                return Err(StoreError::GroupLost.into());
            }
            self.conn
                .execute_batch("SAVEPOINT turn")
                .map_err(StoreError::from)?;
            let mut undo = Undo {
                conn: &self.conn,
                sql: "ROLLBACK TO turn; RELEASE turn",
                armed: true,
            };
            let value = f(&Tx {
                tx: Open(&self.conn),
            })?;
            self.conn
                .execute_batch("RELEASE turn")
                .map_err(StoreError::from)?;
            undo.armed = false;
            return Ok(value);
        }
        self.begin()?;
        let mut undo = Undo {
            conn: &self.conn,
            sql: "ROLLBACK",
            armed: true,
        };
        let value = f(&Tx {
            tx: Open(&self.conn),
        })?;
        commit(&self.conn, self.commit_delay)?;
        undo.armed = false;
        Ok(value)
    }

    /// `BEGIN IMMEDIATE`, waiting out another connection's write lock. A
    /// transaction left open (a panic between [`Store::begin_group`] and
    /// [`Store::end_group`]) is rolled back first.
    fn begin(&mut self) -> Result<()> {
        if !self.conn.is_autocommit() {
            let _ = self.conn.execute_batch("ROLLBACK");
            self.group = false;
        }
        let mut backoff = Backoff::new();
        loop {
            match self.conn.execute_batch("BEGIN IMMEDIATE") {
                Ok(()) => return Ok(()),
                Err(err) => backoff.wait_if_busy(err.into())?,
            }
        }
    }

    /// Opens a group: every write until [`Store::end_group`] is a savepoint of
    /// one transaction (see the module docs).
    pub fn begin_group(&mut self) -> Result<()> {
        self.begin()?;
        self.group = true;
        Ok(())
    }

    /// Inside a group: opens a savepoint around several writes, ended by
    /// [`Store::leave_savepoint`] (kept, or rolled back alone).
    pub fn enter_savepoint(&mut self) -> Result<()> {
        if !self.group || self.conn.is_autocommit() {
            return Err(StoreError::GroupLost);
        }
        self.conn.execute_batch("SAVEPOINT several")?;
        Ok(())
    }

    /// Ends the savepoint of [`Store::enter_savepoint`]: its writes stay in the
    /// group when `keep`, are undone otherwise.
    pub fn leave_savepoint(&mut self, keep: bool) -> Result<()> {
        let sql = if keep {
            "RELEASE several"
        } else {
            "ROLLBACK TO several; RELEASE several"
        };
        self.conn.execute_batch(sql)?;
        Ok(())
    }

    /// Whether a group is open.
    pub fn in_group(&self) -> bool {
        self.group
    }

    /// Ends the open group: commits it (one fsync for all its writes) when
    /// `commit`, rolls it back otherwise. After an error nothing of the group
    /// is in the database.
    pub fn end_group(&mut self, commit_it: bool) -> Result<()> {
        if !self.group {
            return Ok(());
        }
        self.group = false;
        if commit_it {
            let result = commit(&self.conn, self.commit_delay);
            if result.is_err() && !self.conn.is_autocommit() {
                let _ = self.conn.execute_batch("ROLLBACK");
            }
            result
        } else {
            self.conn.execute_batch("ROLLBACK")?;
            Ok(())
        }
    }

    /// Runs `f` on one read snapshot (a deferred transaction, never upgraded to a write).
    /// Inside a group, the group's own view (its writes so far included).
    fn read<T>(&self, f: impl FnOnce(&Connection) -> Result<T>) -> Result<T> {
        if self.group {
            return f(&self.conn);
        }
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

/// Commits the open transaction, after the test-only delay.
fn commit(conn: &Connection, delay: Option<Duration>) -> Result<()> {
    if let Some(delay) = delay {
        std::thread::sleep(delay);
    }
    conn.execute_batch("COMMIT")?;
    Ok(())
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
