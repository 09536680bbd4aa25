//! The schema as an append-only list of migrations.
//!
//! `PRAGMA user_version` holds how many of [`MIGRATIONS`] a database has had
//! applied. Never edit or reorder a migration once released: append a new one.

use std::path::Path;
use std::time::Duration;

use rusqlite::{Connection, TransactionBehavior};

use super::{BUSY_TIMEOUT, Backoff, Result, StoreError};

/// Every migration, in order. Migration `i` (0-based) brings the schema to version `i + 1`.
pub const MIGRATIONS: &[&str] = &[
    // 1: the initial schema.
    "
    CREATE TABLE sessions (
        channel    TEXT    NOT NULL,
        chat_id    TEXT    NOT NULL,
        data       TEXT    NOT NULL,
        updated_at INTEGER NOT NULL,
        PRIMARY KEY (channel, chat_id)
    ) WITHOUT ROWID;

    CREATE TABLE inbox (
        channel    TEXT    NOT NULL,
        key        TEXT    NOT NULL,
        handled_at INTEGER NOT NULL,
        PRIMARY KEY (channel, key)
    ) WITHOUT ROWID;

    CREATE TABLE stock (
        key        TEXT    PRIMARY KEY NOT NULL,
        qty        INTEGER NOT NULL CHECK (qty >= 0),
        configured INTEGER NOT NULL
    ) WITHOUT ROWID;

    CREATE TABLE orders (
        id              INTEGER PRIMARY KEY AUTOINCREMENT,
        number          TEXT    UNIQUE,
        idempotency_key TEXT    NOT NULL UNIQUE,
        channel         TEXT    NOT NULL,
        chat_id         TEXT    NOT NULL,
        status          TEXT    NOT NULL DEFAULT 'new'
                        CHECK (status IN ('new', 'paid', 'shipped', 'delivered', 'cancelled')),
        subtotal        INTEGER NOT NULL,
        discount        INTEGER NOT NULL,
        delivery_price  INTEGER NOT NULL,
        total           INTEGER NOT NULL,
        currency        TEXT    NOT NULL,
        coupon          TEXT,
        delivery_id     TEXT    NOT NULL,
        payment_id      TEXT    NOT NULL,
        fields          TEXT    NOT NULL DEFAULT '{}' CHECK (json_valid(fields)),
        language        TEXT    NOT NULL,
        created_at      INTEGER NOT NULL
    );
    CREATE INDEX orders_by_customer ON orders (channel, chat_id, id);
    CREATE INDEX orders_by_status ON orders (status, id);

    CREATE TABLE order_items (
        order_id   INTEGER NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
        line       INTEGER NOT NULL,
        product_id TEXT    NOT NULL,
        variant    TEXT,
        name       TEXT    NOT NULL,
        unit_price INTEGER NOT NULL,
        qty        INTEGER NOT NULL CHECK (qty > 0),
        PRIMARY KEY (order_id, line)
    ) WITHOUT ROWID;

    CREATE TABLE outbox (
        id         INTEGER PRIMARY KEY AUTOINCREMENT,
        channel    TEXT    NOT NULL,
        chat_id    TEXT    NOT NULL,
        payload    TEXT    NOT NULL,
        created_at INTEGER NOT NULL,
        sent_at    INTEGER
    );
    CREATE INDEX outbox_pending ON outbox (channel, id) WHERE sent_at IS NULL;

    CREATE TABLE unanswered (
        id         INTEGER PRIMARY KEY,
        channel    TEXT    NOT NULL,
        text       TEXT    NOT NULL,
        lang       TEXT    NOT NULL,
        created_at INTEGER NOT NULL
    );
    CREATE INDEX unanswered_by_time ON unanswered (created_at);
    ",
    // 2: outbox rows that could not be delivered, and customers who cannot be reached.
    "
    ALTER TABLE outbox ADD COLUMN failed TEXT;
    CREATE INDEX outbox_pending_chat ON outbox (channel, chat_id, id) WHERE sent_at IS NULL;

    CREATE TABLE unreachable (
        channel TEXT    NOT NULL,
        chat_id TEXT    NOT NULL,
        reason  TEXT    NOT NULL,
        since   INTEGER NOT NULL,
        PRIMARY KEY (channel, chat_id)
    ) WITHOUT ROWID;
    ",
    // 3: the payment provider's reference of a paid order (never card data).
    "
    ALTER TABLE orders ADD COLUMN payment_ref TEXT;
    ",
    // 4: which outbox row a platform message shows (reactions point at messages).
    "
    CREATE TABLE platform_messages (
        channel    TEXT    NOT NULL,
        chat_id    TEXT    NOT NULL,
        message_id TEXT    NOT NULL,
        row_id     INTEGER NOT NULL,
        PRIMARY KEY (channel, chat_id, message_id)
    ) WITHOUT ROWID;
    ",
    // 5: the owner: tickets, conversation history for their context, the rooms
    // owners write from, shop-wide settings (holiday mode), order tracking.
    "
    CREATE TABLE tickets (
        number          INTEGER PRIMARY KEY,
        channel         TEXT    NOT NULL,
        chat_id         TEXT    NOT NULL,
        customer        TEXT    NOT NULL,
        question        TEXT,
        status          TEXT    NOT NULL DEFAULT 'open',
        opened_at       INTEGER NOT NULL,
        closed_at       INTEGER,
        first_answer_at INTEGER
    );
    CREATE UNIQUE INDEX tickets_open ON tickets (channel, chat_id) WHERE status = 'open';

    CREATE TABLE history (
        id      INTEGER PRIMARY KEY,
        channel TEXT    NOT NULL,
        chat_id TEXT    NOT NULL,
        at      INTEGER NOT NULL,
        who     TEXT    NOT NULL,
        text    TEXT    NOT NULL
    );
    CREATE INDEX history_chat ON history (channel, chat_id, id);

    CREATE TABLE owner_rooms (
        channel TEXT    NOT NULL,
        user_id TEXT    NOT NULL,
        chat_id TEXT    NOT NULL,
        since   INTEGER NOT NULL,
        PRIMARY KEY (channel, user_id)
    ) WITHOUT ROWID;

    CREATE TABLE settings (
        key   TEXT PRIMARY KEY,
        value TEXT NOT NULL
    ) WITHOUT ROWID;

    ALTER TABLE orders ADD COLUMN tracking TEXT;
    ALTER TABLE orders ADD COLUMN status_at INTEGER;
    ",
    // 6: the journey's steps, for the figures: channel, step and time only.
    "
    CREATE TABLE events (
        id      INTEGER PRIMARY KEY,
        at      INTEGER NOT NULL,
        channel TEXT    NOT NULL,
        step    TEXT    NOT NULL
    );
    CREATE INDEX events_by_time ON events (at);
    ",
    // 7: marketing consent (with its time), follow-ups sent, feedback on orders.
    "
    CREATE TABLE consents (
        channel TEXT    NOT NULL,
        chat_id TEXT    NOT NULL,
        granted INTEGER NOT NULL,
        at      INTEGER NOT NULL,
        PRIMARY KEY (channel, chat_id)
    ) WITHOUT ROWID;

    CREATE TABLE followups (
        kind    TEXT    NOT NULL,
        channel TEXT    NOT NULL,
        chat_id TEXT    NOT NULL,
        ref     TEXT    NOT NULL,
        at      INTEGER NOT NULL,
        PRIMARY KEY (kind, channel, chat_id, ref)
    ) WITHOUT ROWID;

    CREATE INDEX history_by_time ON history (at);

    CREATE TABLE feedback (
        order_number TEXT    PRIMARY KEY,
        stars        INTEGER NOT NULL CHECK (stars BETWEEN 1 AND 5),
        comment      TEXT,
        at           INTEGER NOT NULL
    ) WITHOUT ROWID;
    ",
    // 8: erasure by key, never by content. The inbox row names its chat; each
    // outbox row that quotes a customer other than the chat it goes to (owner
    // notices, owner listings) names them in `outbox_about`. Each outbox row has
    // a random transaction id, made when it is queued and used for every attempt
    // to send it (ids of restored backups repeat; the id of a row must not).
    "
    ALTER TABLE inbox ADD COLUMN chat_id TEXT;
    CREATE INDEX inbox_by_chat ON inbox (channel, chat_id) WHERE chat_id IS NOT NULL;
    CREATE INDEX inbox_by_time ON inbox (handled_at);

    CREATE TABLE outbox_about (
        row_id  INTEGER NOT NULL REFERENCES outbox (id) ON DELETE CASCADE,
        channel TEXT    NOT NULL,
        chat_id TEXT    NOT NULL,
        PRIMARY KEY (row_id, channel, chat_id)
    ) WITHOUT ROWID;
    CREATE INDEX outbox_about_by_chat ON outbox_about (channel, chat_id);

    ALTER TABLE outbox ADD COLUMN txn TEXT;
    UPDATE outbox SET txn = lower(hex(randomblob(16))) WHERE txn IS NULL;
    CREATE INDEX outbox_by_chat ON outbox (channel, chat_id, id);
    CREATE INDEX outbox_by_time ON outbox (created_at) WHERE sent_at IS NOT NULL;
    CREATE INDEX platform_messages_by_row ON platform_messages (row_id);
    ",
    // 9: a question the bot did not understand names its asker, so that `/forget`
    // takes it (a customer may type their phone where a question was expected).
    // Older rows name nobody.
    "
    ALTER TABLE unanswered ADD COLUMN chat_id TEXT;
    CREATE INDEX unanswered_by_chat ON unanswered (channel, chat_id) WHERE chat_id IS NOT NULL;
    ",
    // 10: product images uploaded once. What a platform gave back for an image's
    // bytes (a Telegram `file_id`, a Matrix `mxc://` URI, an encrypted upload's
    // `EncryptedFile`), per account, keyed by the SHA-256 of the bytes: an image
    // changed on disk hashes differently and is uploaded again. Shop data, no
    // customer's: erasure has nothing to do here.
    "
    CREATE TABLE media (
        channel  TEXT    NOT NULL,
        account  TEXT    NOT NULL,
        kind     TEXT    NOT NULL,
        sha256   TEXT    NOT NULL,
        ref      TEXT    NOT NULL,
        at       INTEGER NOT NULL,
        PRIMARY KEY (channel, account, kind, sha256)
    ) WITHOUT ROWID;
    ",
    // 11: one forum topic per customer in the owners' Telegram group. Keyed by
    // the owners' chat and the customer (channel, chat); the topic's name is
    // personal data: `/forget` blanks it, gives the row an anonymous key and
    // marks it `doomed`, and the Telegram sender deletes the topic, then the row.
    "
    CREATE TABLE forum_topics (
        owners_chat TEXT    NOT NULL,
        channel     TEXT    NOT NULL,
        chat_id     TEXT    NOT NULL,
        thread_id   INTEGER NOT NULL,
        name        TEXT,
        closed      INTEGER NOT NULL DEFAULT 0,
        doomed      INTEGER NOT NULL DEFAULT 0,
        created_at  INTEGER NOT NULL,
        PRIMARY KEY (owners_chat, channel, chat_id)
    ) WITHOUT ROWID;
    CREATE INDEX forum_topics_by_thread ON forum_topics (owners_chat, thread_id);
    -- The messages about a ticket in a chat (the root of its Matrix thread).
    CREATE INDEX outbox_by_ticket ON outbox (channel, chat_id, json_extract(payload, '$.ticket'))
        WHERE json_extract(payload, '$.ticket') IS NOT NULL;
    ",
    // 12: which customer each kept attachment file (the media spool) belongs
    // to, for `/forget` and the history purge; files no row names any more
    // wait in the trash until removed after the commit.
    "
    CREATE TABLE spool_files (
        channel TEXT    NOT NULL,
        chat_id TEXT    NOT NULL,
        sha256  TEXT    NOT NULL,
        created INTEGER NOT NULL,
        PRIMARY KEY (channel, chat_id, sha256)
    ) WITHOUT ROWID;
    CREATE INDEX spool_files_by_sha ON spool_files (sha256);
    CREATE INDEX spool_files_by_time ON spool_files (created);
    CREATE TABLE spool_trash (sha256 TEXT PRIMARY KEY NOT NULL) WITHOUT ROWID;
    ",
    // 13: ratings on product cards. An owner may hide a feedback comment from
    // cards (`/hide-review`; its stars still count). Each product's ratings
    // (orders rated) and stars (added up), kept in the transaction that stores
    // the stars: a rated order counts once for each distinct product in it.
    // Filled here from the feedback given so far.
    "
    ALTER TABLE feedback ADD COLUMN hidden INTEGER NOT NULL DEFAULT 0;
    CREATE INDEX feedback_by_time ON feedback (at);
    CREATE INDEX order_items_by_product ON order_items (product_id, order_id);
    CREATE TABLE product_ratings (
        product_id TEXT    PRIMARY KEY NOT NULL,
        ratings    INTEGER NOT NULL CHECK (ratings >= 0),
        stars      INTEGER NOT NULL CHECK (stars >= 0)
    ) WITHOUT ROWID;
    INSERT INTO product_ratings (product_id, ratings, stars)
        SELECT i.product_id, COUNT(*), SUM(f.stars) FROM feedback f
        JOIN orders o ON o.number = f.order_number
        JOIN (SELECT DISTINCT order_id, product_id FROM order_items) i ON i.order_id = o.id
        GROUP BY i.product_id;
    ",
    // 14: digital goods and Telegram Stars. The pools of codes (in file order;
    // a code is `free`, `reserved` for an order placed, `given` once delivered,
    // or `revoked` after a refund), the orders whose goods were delivered (one
    // row each: never delivered twice), and an order's price in Stars.
    "
    CREATE TABLE digital_codes (
        id           INTEGER PRIMARY KEY,
        product      TEXT    NOT NULL,
        code         TEXT    NOT NULL,
        state        TEXT    NOT NULL DEFAULT 'free'
                     CHECK (state IN ('free', 'reserved', 'given', 'revoked')),
        order_number TEXT,
        UNIQUE (product, code)
    );
    CREATE INDEX digital_codes_free ON digital_codes (product, state, id);
    CREATE INDEX digital_codes_by_order ON digital_codes (order_number)
        WHERE order_number IS NOT NULL;
    CREATE TABLE digital_deliveries (
        order_number TEXT    PRIMARY KEY NOT NULL,
        at           INTEGER NOT NULL
    ) WITHOUT ROWID;
    ALTER TABLE orders ADD COLUMN stars INTEGER;
    ALTER TABLE orders ADD COLUMN refunded_at INTEGER;
    ",
    // 15: where customers came from: the source tag of the deep link that
    // brought them (`instagram`, `window`; never who they are) on their journey's
    // steps and on their orders, for the figures per source. NULL: no link.
    "
    ALTER TABLE events ADD COLUMN source TEXT;
    ALTER TABLE orders ADD COLUMN source TEXT;
    ",
];

/// The schema version this build knows: the number of migrations.
#[allow(clippy::cast_possible_wrap)] // a handful of migrations, far below `i64::MAX`
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

fn user_version(conn: &Connection) -> Result<i64> {
    Ok(conn.pragma_query_value(None, "user_version", |row| row.get(0))?)
}

fn too_new(path: &Path, found: i64) -> StoreError {
    StoreError::TooNew {
        path: path.display().to_string(),
        found,
        known: SCHEMA_VERSION,
    }
}

/// Refuses a database from a newer build, without writing anything.
pub fn check_not_newer(conn: &Connection, path: &Path) -> Result<i64> {
    let found = user_version(conn)?;
    if found > SCHEMA_VERSION {
        return Err(too_new(path, found));
    }
    Ok(found)
}

/// Applies the missing migrations in one `BEGIN IMMEDIATE` transaction.
///
/// The version is read again under the write lock, so several processes
/// opening the same old file at once apply each migration exactly once. While
/// waiting for the lock the version is polled too, so the waiters of a fresh
/// file return as soon as the first one has migrated it, instead of queueing
/// for the write lock one after the other.
pub fn migrate(conn: &mut Connection, path: &Path) -> Result<()> {
    conn.busy_timeout(Duration::ZERO)?;
    let mut backoff = Backoff::new();
    let result = loop {
        match migrate_once(conn, path) {
            Ok(()) => break Ok(()),
            Err(err) => {
                if let Err(err) = backoff.wait_if_busy(err) {
                    break Err(err);
                }
            }
        }
    };
    conn.busy_timeout(BUSY_TIMEOUT)?;
    result
}

fn migrate_once(conn: &mut Connection, path: &Path) -> Result<()> {
    if check_not_newer(conn, path)? == SCHEMA_VERSION {
        return Ok(());
    }
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let found = check_not_newer(&tx, path)?;
    let start = usize::try_from(found).map_err(|_| StoreError::Corrupt {
        what: "PRAGMA user_version".to_owned(),
        detail: format!("negative schema version {found}"),
    })?;
    for sql in MIGRATIONS.iter().skip(start) {
        tx.execute_batch(sql)?;
    }
    // PRAGMA takes no bound parameters; the value is our own integer.
    tx.execute_batch(&format!("PRAGMA user_version = {SCHEMA_VERSION}"))?;
    tx.commit()?;
    Ok(())
}
