//! `outbox` (replies waiting to be sent, and sent ones until the purge), with
//! `outbox_about` (the other customers a row quotes, for erasure by key),
//! `platform_messages` (which platform message shows which row) and
//! `unreachable` (customers a send found unreachable).

use crate::channel::{Channel, ChatKey};
use rusqlite::{Connection, params};

use super::{Result, Store, Tx};

/// A message waiting in the outbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxRow {
    pub id: i64,
    pub channel: Channel,
    pub chat_id: String,
    /// JSON of the reply.
    pub payload: String,
    /// A random id made when the row was queued, the same for every attempt to
    /// send it (a platform that takes transaction ids keeps one message).
    pub txn: String,
}

impl Store {
    /// Up to `limit` unsent outbox rows of `channel`, oldest first.
    pub fn pending_outbox(&self, channel: Channel, limit: usize) -> Result<Vec<OutboxRow>> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.read(|conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT id, channel, chat_id, payload, txn FROM outbox
                 WHERE channel = ?1 AND sent_at IS NULL ORDER BY id LIMIT ?2",
            )?;
            let rows = stmt
                .query_map(params![channel, limit], outbox_row)?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(rows)
        })
    }

    /// Up to `limit` unsent outbox rows of one chat, oldest first.
    pub fn pending_outbox_of(
        &self,
        channel: Channel,
        chat_id: &str,
        limit: usize,
    ) -> Result<Vec<OutboxRow>> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.read(|conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT id, channel, chat_id, payload, txn FROM outbox
                 WHERE channel = ?1 AND chat_id = ?2 AND sent_at IS NULL ORDER BY id LIMIT ?3",
            )?;
            let rows = stmt
                .query_map(params![channel, chat_id, limit], outbox_row)?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(rows)
        })
    }

    /// A chat's messages as a page shows them again (the web chat): those after
    /// row `after`, oldest first, at most `limit`; with `after` 0, the last
    /// `limit`. Sent or waiting, never those given up.
    pub fn chat_log(
        &self,
        channel: Channel,
        chat_id: &str,
        after: i64,
        limit: usize,
    ) -> Result<Vec<OutboxRow>> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.read(|conn| {
            let sql = if after > 0 {
                "SELECT id, channel, chat_id, payload, txn FROM outbox
                 WHERE channel = ?1 AND chat_id = ?2 AND id > ?3 AND failed IS NULL
                 ORDER BY id LIMIT ?4"
            } else {
                "SELECT * FROM (SELECT id, channel, chat_id, payload, txn FROM outbox
                 WHERE channel = ?1 AND chat_id = ?2 AND id > ?3 AND failed IS NULL
                 ORDER BY id DESC LIMIT ?4) ORDER BY id"
            };
            let mut stmt = conn.prepare_cached(sql)?;
            let rows = stmt
                .query_map(params![channel, chat_id, after, limit], outbox_row)?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(rows)
        })
    }

    /// One outbox row, sent or not (buttons are resolved through the row that showed them).
    pub fn outbox_row(&self, id: i64) -> Result<Option<OutboxRow>> {
        self.read(|conn| by_id(conn, id))
    }

    /// Marks an outbox row as sent, shown as these platform messages, in one
    /// transaction (so a reply to any of them finds the row).
    pub fn mark_sent_as(
        &mut self,
        id: i64,
        now: i64,
        channel: Channel,
        chat_id: &str,
        shown: &[String],
    ) -> Result<()> {
        self.write(|tx| {
            for message in shown {
                record_platform_message(&tx.tx, channel, chat_id, message, id)?;
            }
            mark_sent(&tx.tx, id, now)
        })
    }

    /// Marks an outbox row as sent at `now` (unix seconds); a row already sent keeps its time.
    pub fn mark_sent(&mut self, id: i64, now: i64) -> Result<()> {
        self.write(|tx| mark_sent(&tx.tx, id, now))
    }

    /// Gives up on an outbox row that can never be delivered, with the reason.
    pub fn mark_failed(&mut self, id: i64, reason: &str, now: i64) -> Result<()> {
        self.write(|tx| {
            tx.tx
                .prepare_cached(
                    "UPDATE outbox SET sent_at = ?2, failed = ?3 WHERE id = ?1 AND sent_at IS NULL",
                )?
                .execute(params![id, now, reason])?;
            Ok(())
        })
    }

    /// Remembers that platform message `message_id` shows outbox row `row_id`.
    pub fn record_platform_message(
        &mut self,
        channel: Channel,
        chat_id: &str,
        message_id: &str,
        row_id: i64,
    ) -> Result<()> {
        self.write(|tx| record_platform_message(&tx.tx, channel, chat_id, message_id, row_id))
    }

    /// The outbox row platform message `message_id` of this chat shows, if the
    /// bot sent it to this chat.
    pub fn message_row(
        &self,
        channel: Channel,
        chat_id: &str,
        message_id: &str,
    ) -> Result<Option<OutboxRow>> {
        self.read(|conn| message_row(conn, channel, chat_id, message_id))
    }

    /// Notes that a customer cannot be reached (they blocked the bot, say).
    pub fn mark_unreachable(
        &mut self,
        channel: Channel,
        chat_id: &str,
        reason: &str,
        now: i64,
    ) -> Result<()> {
        self.write(|tx| {
            tx.tx
                .prepare_cached(
                    "INSERT INTO unreachable (channel, chat_id, reason, since) VALUES (?1, ?2, ?3, ?4)
                     ON CONFLICT (channel, chat_id) DO UPDATE SET reason = excluded.reason",
                )?
                .execute(params![channel, chat_id, reason, now])?;
            Ok(())
        })
    }
}

impl Tx<'_> {
    /// Queues a reply for sending with a new random transaction id. `about`
    /// names the customers it quotes besides the chat it goes to (an owner
    /// notice's customer), so erasing that customer finds it by key.
    pub fn push_outbox(
        &self,
        channel: Channel,
        chat_id: &str,
        payload: &str,
        now: i64,
        about: &[ChatKey],
    ) -> Result<OutboxRow> {
        let row = self
            .tx
            .prepare_cached(
                "INSERT INTO outbox (channel, chat_id, payload, created_at, txn)
                 VALUES (?1, ?2, ?3, ?4, lower(hex(randomblob(16))))
                 RETURNING id, channel, chat_id, payload, txn",
            )?
            .query_row(params![channel, chat_id, payload, now], outbox_row)?;
        let mut note = self.tx.prepare_cached(
            "INSERT OR IGNORE INTO outbox_about (row_id, channel, chat_id) VALUES (?1, ?2, ?3)",
        )?;
        for key in about {
            if (key.channel, key.chat_id.as_str()) != (channel, chat_id) {
                note.execute(params![row.id, key.channel, key.chat_id])?;
            }
        }
        Ok(row)
    }

    /// [`Store::message_row`], inside a turn.
    pub fn message_row(
        &self,
        channel: Channel,
        chat_id: &str,
        message_id: &str,
    ) -> Result<Option<OutboxRow>> {
        message_row(&self.tx, channel, chat_id, message_id)
    }

    /// The customer wrote again: they can be reached.
    pub fn clear_unreachable(&self, channel: Channel, chat_id: &str) -> Result<()> {
        self.tx
            .prepare_cached("DELETE FROM unreachable WHERE channel = ?1 AND chat_id = ?2")?
            .execute(params![channel, chat_id])?;
        Ok(())
    }
}

fn outbox_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<OutboxRow> {
    Ok(OutboxRow {
        id: row.get(0)?,
        channel: row.get(1)?,
        chat_id: row.get(2)?,
        payload: row.get(3)?,
        txn: row.get(4)?,
    })
}

/// One outbox row by id ([`Store::outbox_row`], [`Tx::outbox_row`]).
fn by_id(conn: &Connection, id: i64) -> Result<Option<OutboxRow>> {
    let mut stmt =
        conn.prepare_cached("SELECT id, channel, chat_id, payload, txn FROM outbox WHERE id = ?1")?;
    let mut rows = stmt.query_map(params![id], outbox_row)?;
    Ok(rows.next().transpose()?)
}

fn mark_sent(conn: &Connection, id: i64, now: i64) -> Result<()> {
    conn.prepare_cached("UPDATE outbox SET sent_at = ?2 WHERE id = ?1 AND sent_at IS NULL")?
        .execute(params![id, now])?;
    Ok(())
}

fn record_platform_message(
    conn: &Connection,
    channel: Channel,
    chat_id: &str,
    message_id: &str,
    row_id: i64,
) -> Result<()> {
    conn.prepare_cached(
        "INSERT OR REPLACE INTO platform_messages (channel, chat_id, message_id, row_id)
         VALUES (?1, ?2, ?3, ?4)",
    )?
    .execute(params![channel, chat_id, message_id, row_id])?;
    Ok(())
}

/// The outbox row a platform message of this chat shows, if it was sent to
/// this chat (a row of another chat is none of this chat's business).
fn message_row(
    conn: &Connection,
    channel: Channel,
    chat_id: &str,
    message_id: &str,
) -> Result<Option<OutboxRow>> {
    let mut stmt = conn.prepare_cached(
        "SELECT row_id FROM platform_messages WHERE channel = ?1 AND chat_id = ?2 AND message_id = ?3",
    )?;
    let mut rows = stmt.query_map(params![channel, chat_id, message_id], |r| r.get(0))?;
    let Some(id) = rows.next().transpose()? else {
        return Ok(None);
    };
    Ok(by_id(conn, id)?.filter(|row| row.channel == channel && row.chat_id == chat_id))
}

impl Store {
    /// Up to `limit` chats of `channel` with unsent outbox rows, in the order of
    /// their oldest unsent row: the sender's look at the outbox, without payloads.
    pub fn pending_chats(&self, channel: Channel, limit: usize) -> Result<Vec<String>> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.read(|conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT chat_id FROM outbox WHERE channel = ?1 AND sent_at IS NULL
                 GROUP BY chat_id ORDER BY MIN(id) LIMIT ?2",
            )?;
            let chats = stmt
                .query_map(params![channel, limit], |r| r.get(0))?
                .collect::<rusqlite::Result<Vec<String>>>()?;
            Ok(chats)
        })
    }
}
