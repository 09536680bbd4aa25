//! Sessions, inbox dedupe, stock, outbox and unanswered questions.

use std::collections::HashMap;

use rusqlite::{Connection, OptionalExtension, params};

use super::{OutboxRow, Result};
use crate::shop::StockLevels;

pub fn load_session(conn: &Connection, channel: &str, chat_id: &str) -> Result<Option<String>> {
    Ok(conn
        .prepare_cached("SELECT data FROM sessions WHERE channel = ?1 AND chat_id = ?2")?
        .query_row(params![channel, chat_id], |row| row.get(0))
        .optional()?)
}

pub fn save_session(
    conn: &Connection,
    channel: &str,
    chat_id: &str,
    data: &str,
    now: i64,
) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO sessions (channel, chat_id, data, updated_at) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (channel, chat_id) DO UPDATE
         SET data = excluded.data, updated_at = excluded.updated_at",
    )?
    .execute(params![channel, chat_id, data, now])?;
    Ok(())
}

pub fn inbox_seen(conn: &Connection, channel: &str, key: &str) -> Result<bool> {
    Ok(conn
        .prepare_cached("SELECT EXISTS (SELECT 1 FROM inbox WHERE channel = ?1 AND key = ?2)")?
        .query_row(params![channel, key], |row| row.get(0))?)
}

pub fn inbox_record(
    conn: &Connection,
    channel: &str,
    chat_id: &str,
    key: &str,
    now: i64,
) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO inbox (channel, key, handled_at, chat_id) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (channel, key) DO NOTHING",
    )?
    .execute(params![channel, key, now, chat_id])?;
    Ok(())
}

pub fn sync_stock(conn: &Connection, configured: &[(String, i64)]) -> Result<()> {
    let mut upsert = conn.prepare_cached(
        "INSERT INTO stock (key, qty, configured) VALUES (?1, ?2, ?2)
         ON CONFLICT (key) DO UPDATE
         SET qty = excluded.configured, configured = excluded.configured
         WHERE stock.configured <> excluded.configured",
    )?;
    for (key, qty) in configured {
        upsert.execute(params![key, qty])?;
    }
    Ok(())
}

pub fn stock_levels(conn: &Connection) -> Result<StockLevels> {
    let mut stmt = conn.prepare_cached("SELECT key, qty FROM stock")?;
    let levels = stmt
        .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))?
        .collect::<rusqlite::Result<HashMap<String, i64>>>()?;
    Ok(StockLevels(levels))
}

/// Queues a message with a new random transaction id, noting every other chat
/// it quotes (`about`) so erasing that customer finds it by key.
pub fn push_outbox(
    conn: &Connection,
    channel: &str,
    chat_id: &str,
    payload: &str,
    now: i64,
    about: &[(&str, &str)],
) -> Result<OutboxRow> {
    let row = conn
        .prepare_cached(
            "INSERT INTO outbox (channel, chat_id, payload, created_at, txn)
             VALUES (?1, ?2, ?3, ?4, lower(hex(randomblob(16))))
             RETURNING id, channel, chat_id, payload, txn",
        )?
        .query_row(params![channel, chat_id, payload, now], outbox_row)?;
    let mut note = conn.prepare_cached(
        "INSERT OR IGNORE INTO outbox_about (row_id, channel, chat_id) VALUES (?1, ?2, ?3)",
    )?;
    for (about_channel, about_chat) in about {
        if (*about_channel, *about_chat) != (channel, chat_id) {
            note.execute(params![row.id, about_channel, about_chat])?;
        }
    }
    Ok(row)
}

pub fn pending_outbox(conn: &Connection, channel: &str, limit: usize) -> Result<Vec<OutboxRow>> {
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let mut stmt = conn.prepare_cached(
        "SELECT id, channel, chat_id, payload, txn FROM outbox
         WHERE channel = ?1 AND sent_at IS NULL ORDER BY id LIMIT ?2",
    )?;
    let rows = stmt
        .query_map(params![channel, limit], outbox_row)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
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

pub fn pending_outbox_of(
    conn: &Connection,
    channel: &str,
    chat_id: &str,
    limit: usize,
) -> Result<Vec<OutboxRow>> {
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let mut stmt = conn.prepare_cached(
        "SELECT id, channel, chat_id, payload, txn FROM outbox
         WHERE channel = ?1 AND chat_id = ?2 AND sent_at IS NULL ORDER BY id LIMIT ?3",
    )?;
    let rows = stmt
        .query_map(params![channel, chat_id, limit], outbox_row)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(rows)
}

pub fn outbox_by_id(conn: &Connection, id: i64) -> Result<Option<OutboxRow>> {
    let mut stmt =
        conn.prepare_cached("SELECT id, channel, chat_id, payload, txn FROM outbox WHERE id = ?1")?;
    let mut rows = stmt.query_map(params![id], outbox_row)?;
    Ok(rows.next().transpose()?)
}

pub fn mark_failed(conn: &Connection, id: i64, reason: &str, now: i64) -> Result<()> {
    conn.prepare_cached(
        "UPDATE outbox SET sent_at = ?2, failed = ?3 WHERE id = ?1 AND sent_at IS NULL",
    )?
    .execute(params![id, now, reason])?;
    Ok(())
}

pub fn mark_unreachable(
    conn: &Connection,
    channel: &str,
    chat_id: &str,
    reason: &str,
    now: i64,
) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO unreachable (channel, chat_id, reason, since) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (channel, chat_id) DO UPDATE SET reason = excluded.reason",
    )?
    .execute(params![channel, chat_id, reason, now])?;
    Ok(())
}

pub fn clear_unreachable(conn: &Connection, channel: &str, chat_id: &str) -> Result<()> {
    conn.prepare_cached("DELETE FROM unreachable WHERE channel = ?1 AND chat_id = ?2")?
        .execute(params![channel, chat_id])?;
    Ok(())
}

pub fn mark_sent(conn: &Connection, id: i64, now: i64) -> Result<()> {
    conn.prepare_cached("UPDATE outbox SET sent_at = ?2 WHERE id = ?1 AND sent_at IS NULL")?
        .execute(params![id, now])?;
    Ok(())
}

pub fn record_unanswered(
    conn: &Connection,
    channel: &str,
    text: &str,
    lang: &str,
    now: i64,
) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO unanswered (channel, text, lang, created_at) VALUES (?1, ?2, ?3, ?4)",
    )?
    .execute(params![channel, text, lang, now])?;
    Ok(())
}

pub fn record_platform_message(
    conn: &Connection,
    channel: &str,
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

pub fn row_of_platform_message(
    conn: &Connection,
    channel: &str,
    chat_id: &str,
    message_id: &str,
) -> Result<Option<i64>> {
    let mut stmt = conn.prepare_cached(
        "SELECT row_id FROM platform_messages WHERE channel = ?1 AND chat_id = ?2 AND message_id = ?3",
    )?;
    let mut rows = stmt.query_map(params![channel, chat_id, message_id], |r| r.get(0))?;
    Ok(rows.next().transpose()?)
}
