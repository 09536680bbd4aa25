//! The durable store: `SQLite` on disk, WAL, `BEGIN IMMEDIATE` for every write.
//!
//! Several [`Store`]s (threads or processes) may share one file: writes are
//! serialised by the `SQLite` write lock (waiting up to [`BUSY_TIMEOUT`]), and each
//! read method sees one consistent snapshot.

mod busy;
mod followups;
mod migrations;
mod orders;
mod owner;
mod records;
mod stats;
mod status;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use rusqlite::{Connection, TransactionBehavior};
use serde::{Deserialize, Serialize};

use crate::shop::{Money, StockLevels};

use busy::{Backoff, retry_busy};
pub use followups::{IdleCart, Purged};
pub use migrations::SCHEMA_VERSION;
pub use owner::{HistoryLine, Ticket};
pub use stats::{ChannelFigures, DayFigures, Funnel, Seller, Stats};
pub use status::{OrderStatus, UnknownStatus};

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

/// One order line, with the price at order time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderLine {
    pub product_id: String,
    pub variant: Option<String>,
    /// Name as shown to the customer at order time (with the variant).
    pub name: String,
    pub unit_price: Money,
    pub qty: u32,
}

/// An order about to be placed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewOrder {
    /// Unique per checkout: placing the same key twice gives the first order back.
    pub idempotency_key: String,
    pub channel: String,
    pub chat_id: String,
    pub lines: Vec<OrderLine>,
    pub subtotal: Money,
    pub discount: Money,
    pub delivery_price: Money,
    pub total: Money,
    pub currency: String,
    pub coupon: Option<String>,
    pub delivery_id: String,
    pub payment_id: String,
    /// Checkout answers by field id (name, phone, address, …).
    pub fields: BTreeMap<String, String>,
    pub language: String,
    /// Unix seconds.
    pub created_at: i64,
}

/// What placing an order did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PlaceOutcome {
    Placed {
        order_id: i64,
        number: String,
    },
    /// The idempotency key was used before: that order.
    AlreadyPlaced {
        order_id: i64,
        number: String,
    },
    /// Not enough stock for these stock keys; nothing was written.
    SoldOut {
        keys: Vec<String>,
    },
}

/// A stored order, for listings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Order {
    pub id: i64,
    pub number: String,
    pub channel: String,
    pub chat_id: String,
    pub status: OrderStatus,
    pub lines: Vec<OrderLine>,
    pub subtotal: Money,
    pub discount: Money,
    pub delivery_price: Money,
    pub total: Money,
    pub currency: String,
    pub coupon: Option<String>,
    pub delivery_id: String,
    pub payment_id: String,
    pub fields: BTreeMap<String, String>,
    pub created_at: i64,
    /// The parcel's tracking reference, once shipped.
    pub tracking: Option<String>,
}

impl Order {
    /// Whether its customer erased their data (`/forget`): the order stays for the
    /// seller's accounts, but there is nobody to tell about it any more.
    pub fn customer_forgotten(&self) -> bool {
        self.chat_id.starts_with(FORGOTTEN)
    }
}

/// How an anonymised order's chat begins (followed by random hex).
pub const FORGOTTEN: &str = "forgotten-";

/// A message waiting in the outbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxRow {
    pub id: i64,
    pub channel: String,
    pub chat_id: String,
    /// JSON of the reply.
    pub payload: String,
    /// A random id made when the row was queued, the same for every attempt to
    /// send it (a platform that takes transaction ids keeps one message).
    pub txn: String,
}

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

    /// Aligns the stock table with the shop file's (stock key, quantity) pairs.
    ///
    /// A new key starts at its configured quantity; a key whose configured
    /// quantity changed (the seller edited the file) is reset to it; any other
    /// key keeps its live quantity, so sales are not undone by a restart.
    pub fn sync_stock(&mut self, configured: &[(String, i64)]) -> Result<()> {
        self.write(|tx| records::sync_stock(&tx.tx, configured))
    }

    pub fn stock_levels(&self) -> Result<StockLevels> {
        self.read(records::stock_levels)
    }

    /// Every order, newest first, optionally only those with `status` (a word
    /// such as `paid`, as the command line gives it: one that is no
    /// [`OrderStatus`] matches no order).
    pub fn orders(&self, status: Option<&str>) -> Result<Vec<Order>> {
        match status.map(str::parse::<OrderStatus>) {
            None => self.read(|conn| orders::list(conn, None)),
            Some(Ok(status)) => self.read(|conn| orders::list(conn, Some(status))),
            Some(Err(_)) => Ok(Vec::new()),
        }
    }

    /// The customer's latest 10 orders, newest first.
    pub fn orders_of(&self, channel: &str, chat_id: &str) -> Result<Vec<Order>> {
        self.read(|conn| orders::of_customer(conn, channel, chat_id))
    }

    /// One order by its number.
    pub fn order(&self, number: &str) -> Result<Option<Order>> {
        self.read(|conn| orders::by_number(conn, number))
    }

    /// Up to `limit` unsent outbox rows of `channel`, oldest first.
    pub fn pending_outbox(&self, channel: &str, limit: usize) -> Result<Vec<OutboxRow>> {
        self.read(|conn| records::pending_outbox(conn, channel, limit))
    }

    /// Marks an outbox row as sent, shown as these platform messages, in one
    /// transaction (so a reply to any of them finds the row).
    pub fn mark_sent_as(
        &mut self,
        id: i64,
        now: i64,
        channel: &str,
        chat_id: &str,
        shown: &[String],
    ) -> Result<()> {
        self.write(|tx| {
            for message in shown {
                records::record_platform_message(&tx.tx, channel, chat_id, message, id)?;
            }
            records::mark_sent(&tx.tx, id, now)
        })
    }

    /// Marks an outbox row as sent at `now` (unix seconds); a row already sent keeps its time.
    pub fn mark_sent(&mut self, id: i64, now: i64) -> Result<()> {
        self.write(|tx| records::mark_sent(&tx.tx, id, now))
    }

    /// Up to `limit` unsent outbox rows of one chat, oldest first.
    pub fn pending_outbox_of(
        &self,
        channel: &str,
        chat_id: &str,
        limit: usize,
    ) -> Result<Vec<OutboxRow>> {
        self.read(|conn| records::pending_outbox_of(conn, channel, chat_id, limit))
    }

    /// One outbox row, sent or not (buttons are resolved through the row that showed them).
    pub fn outbox_row(&self, id: i64) -> Result<Option<OutboxRow>> {
        self.read(|conn| records::outbox_by_id(conn, id))
    }

    /// Remembers that platform message `message_id` shows outbox row `row_id`.
    pub fn record_platform_message(
        &mut self,
        channel: &str,
        chat_id: &str,
        message_id: &str,
        row_id: i64,
    ) -> Result<()> {
        self.write(|tx| {
            records::record_platform_message(&tx.tx, channel, chat_id, message_id, row_id)
        })
    }

    /// The outbox row a platform message shows, if it is one of ours.
    pub fn row_of_platform_message(
        &self,
        channel: &str,
        chat_id: &str,
        message_id: &str,
    ) -> Result<Option<i64>> {
        self.read(|conn| records::row_of_platform_message(conn, channel, chat_id, message_id))
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

    /// Gives up on an outbox row that can never be delivered, with the reason.
    pub fn mark_failed(&mut self, id: i64, reason: &str, now: i64) -> Result<()> {
        self.write(|tx| records::mark_failed(&tx.tx, id, reason, now))
    }

    /// Notes that a customer cannot be reached (they blocked the bot, say).
    pub fn mark_unreachable(
        &mut self,
        channel: &str,
        chat_id: &str,
        reason: &str,
        now: i64,
    ) -> Result<()> {
        self.write(|tx| records::mark_unreachable(&tx.tx, channel, chat_id, reason, now))
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

impl Tx<'_> {
    /// Whether the platform event `key` of `channel` was already handled.
    pub fn inbox_seen(&self, channel: &str, key: &str) -> Result<bool> {
        records::inbox_seen(&self.tx, channel, key)
    }

    /// Remembers that the platform event `key` of this chat was handled.
    pub fn inbox_record(&self, channel: &str, chat_id: &str, key: &str, now: i64) -> Result<()> {
        records::inbox_record(&self.tx, channel, chat_id, key, now)
    }

    pub fn load_session(&self, channel: &str, chat_id: &str) -> Result<Option<String>> {
        records::load_session(&self.tx, channel, chat_id)
    }

    pub fn save_session(&self, channel: &str, chat_id: &str, data: &str, now: i64) -> Result<()> {
        records::save_session(&self.tx, channel, chat_id, data, now)
    }

    /// The customer wrote again: they can be reached.
    pub fn clear_unreachable(&self, channel: &str, chat_id: &str) -> Result<()> {
        records::clear_unreachable(&self.tx, channel, chat_id)
    }

    /// Places an order unless its idempotency key was used before or stock is short.
    ///
    /// On [`PlaceOutcome::SoldOut`] nothing was written (the rest of this
    /// transaction is untouched and may still be committed).
    pub fn place_order(&self, order: &NewOrder) -> Result<PlaceOutcome> {
        orders::place(&self.tx, order)
    }

    /// The customer's latest 10 orders, newest first.
    pub fn orders_of(&self, channel: &str, chat_id: &str) -> Result<Vec<Order>> {
        orders::of_customer(&self.tx, channel, chat_id)
    }

    /// One order by its number.
    pub fn order(&self, number: &str) -> Result<Option<Order>> {
        orders::by_number(&self.tx, number)
    }

    /// Marks a new order paid; false if it was not `new` (paid before, cancelled…).
    pub fn mark_paid(&self, number: &str, reference: &str) -> Result<bool> {
        orders::mark_paid(&self.tx, number, reference)
    }

    pub fn stock_levels(&self) -> Result<StockLevels> {
        records::stock_levels(&self.tx)
    }

    /// Queues a reply for sending. `about` names the customers it quotes
    /// besides the chat it goes to (an owner notice's customer), for erasure by key.
    pub fn push_outbox(
        &self,
        channel: &str,
        chat_id: &str,
        payload: &str,
        now: i64,
        about: &[(&str, &str)],
    ) -> Result<OutboxRow> {
        records::push_outbox(&self.tx, channel, chat_id, payload, now, about)
    }

    /// Keeps a question the bot could not answer, for the seller to read.
    pub fn record_unanswered(&self, channel: &str, text: &str, lang: &str, now: i64) -> Result<()> {
        records::record_unanswered(&self.tx, channel, text, lang, now)
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
