//! What the owner side keeps: tickets, the conversation history that gives them
//! context, the rooms owners write from, shop-wide settings, stock and status changes.

use rusqlite::{Connection, OptionalExtension, Row, params};
use serde::Serialize;

use super::{Order, OrderStatus, Result, Tx, orders};

/// A conversation handed to a person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Ticket {
    pub number: i64,
    pub channel: String,
    pub chat_id: String,
    /// The customer's name and handle, as their platform gave it.
    pub customer: String,
    pub question: Option<String>,
    pub open: bool,
    pub opened_at: i64,
}

/// One line of a conversation: who (`customer` or `bot`) said what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryLine {
    pub who: String,
    pub text: String,
}

const TICKET_COLUMNS: &str = "number, channel, chat_id, customer, question, status, opened_at";

fn ticket_row(row: &Row<'_>) -> rusqlite::Result<Ticket> {
    Ok(Ticket {
        number: row.get(0)?,
        channel: row.get(1)?,
        chat_id: row.get(2)?,
        customer: row.get(3)?,
        question: row.get(4)?,
        open: row.get::<_, String>(5)? == "open",
        opened_at: row.get(6)?,
    })
}

fn one_ticket(
    conn: &Connection,
    filter: &str,
    param: &dyn rusqlite::ToSql,
) -> Result<Option<Ticket>> {
    Ok(conn
        .prepare_cached(&format!(
            "SELECT {TICKET_COLUMNS} FROM tickets WHERE {filter}"
        ))?
        .query_row([param], ticket_row)
        .optional()?)
}

impl Tx<'_> {
    /// The outbox row a platform message shows, if it is one of ours.
    pub fn row_of_platform_message(
        &self,
        channel: &str,
        chat_id: &str,
        message_id: &str,
    ) -> Result<Option<i64>> {
        super::records::row_of_platform_message(&self.tx, channel, chat_id, message_id)
    }

    /// One outbox row, sent or not.
    pub fn outbox_row(&self, id: i64) -> Result<Option<super::OutboxRow>> {
        super::records::outbox_by_id(&self.tx, id)
    }

    /// The chat's open ticket, if any.
    pub fn open_ticket_of(&self, channel: &str, chat_id: &str) -> Result<Option<Ticket>> {
        Ok(self
            .tx
            .prepare_cached(&format!(
                "SELECT {TICKET_COLUMNS} FROM tickets
                 WHERE channel = ?1 AND chat_id = ?2 AND status = 'open'"
            ))?
            .query_row(params![channel, chat_id], ticket_row)
            .optional()?)
    }

    /// Opens a ticket for the chat; `None` if one is open already.
    pub fn open_ticket(
        &self,
        channel: &str,
        chat_id: &str,
        customer: &str,
        question: Option<&str>,
        now: i64,
    ) -> Result<Option<i64>> {
        if self.open_ticket_of(channel, chat_id)?.is_some() {
            return Ok(None);
        }
        let number = self
            .tx
            .prepare_cached(
                "INSERT INTO tickets (channel, chat_id, customer, question, opened_at)
                 VALUES (?1, ?2, ?3, ?4, ?5) RETURNING number",
            )?
            .query_row(params![channel, chat_id, customer, question, now], |row| {
                row.get(0)
            })?;
        Ok(Some(number))
    }

    pub fn ticket(&self, number: i64) -> Result<Option<Ticket>> {
        one_ticket(&self.tx, "number = ?1", &number)
    }

    /// Open tickets, oldest first.
    pub fn open_tickets(&self) -> Result<Vec<Ticket>> {
        let mut stmt = self.tx.prepare_cached(&format!(
            "SELECT {TICKET_COLUMNS} FROM tickets WHERE status = 'open' ORDER BY number"
        ))?;
        let rows = stmt
            .query_map([], ticket_row)?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }

    /// Closes a ticket; false if it was not open.
    pub fn close_ticket(&self, number: i64, now: i64) -> Result<bool> {
        let changed = self
            .tx
            .prepare_cached(
                "UPDATE tickets SET status = 'closed', closed_at = ?2
                 WHERE number = ?1 AND status = 'open'",
            )?
            .execute(params![number, now])?;
        Ok(changed == 1)
    }

    /// Notes the owner's first answer to a ticket (for the median answer time).
    pub fn ticket_answered(&self, number: i64, now: i64) -> Result<()> {
        self.tx
            .prepare_cached(
                "UPDATE tickets SET first_answer_at = ?2
                 WHERE number = ?1 AND first_answer_at IS NULL",
            )?
            .execute(params![number, now])?;
        Ok(())
    }

    /// Keeps one line of a conversation, for a ticket's context.
    pub fn add_history(
        &self,
        channel: &str,
        chat_id: &str,
        who: &str,
        text: &str,
        now: i64,
    ) -> Result<()> {
        self.tx
            .prepare_cached(
                "INSERT INTO history (channel, chat_id, at, who, text) VALUES (?1, ?2, ?3, ?4, ?5)",
            )?
            .execute(params![channel, chat_id, now, who, text])?;
        Ok(())
    }

    /// The chat's last `limit` history lines, oldest first.
    pub fn recent_history(
        &self,
        channel: &str,
        chat_id: &str,
        limit: usize,
    ) -> Result<Vec<HistoryLine>> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let mut stmt = self.tx.prepare_cached(
            "SELECT who, text FROM history WHERE channel = ?1 AND chat_id = ?2
             ORDER BY id DESC LIMIT ?3",
        )?;
        let mut lines = stmt
            .query_map(params![channel, chat_id, limit], |row| {
                Ok(HistoryLine {
                    who: row.get(0)?,
                    text: row.get(1)?,
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        lines.reverse();
        Ok(lines)
    }

    /// Remembers the direct room an owner writes to the bot from.
    pub fn set_owner_room(&self, channel: &str, user: &str, chat_id: &str, now: i64) -> Result<()> {
        self.tx
            .prepare_cached(
                "INSERT INTO owner_rooms (channel, user_id, chat_id, since) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (channel, user_id) DO UPDATE SET chat_id = excluded.chat_id,
                 since = excluded.since WHERE owner_rooms.chat_id <> excluded.chat_id",
            )?
            .execute(params![channel, user, chat_id, now])?;
        Ok(())
    }

    /// The direct room of each of these owners on `channel` that has one.
    pub fn owner_rooms(&self, channel: &str, users: &[String]) -> Result<Vec<String>> {
        let mut stmt = self.tx.prepare_cached(
            "SELECT chat_id FROM owner_rooms WHERE channel = ?1 AND user_id = ?2",
        )?;
        let mut rooms = Vec::new();
        for user in users {
            if let Some(room) = stmt
                .query_row(params![channel, user], |row| row.get::<_, String>(0))
                .optional()?
                && !rooms.contains(&room)
            {
                rooms.push(room);
            }
        }
        Ok(rooms)
    }

    pub fn setting(&self, key: &str) -> Result<Option<String>> {
        Ok(self
            .tx
            .prepare_cached("SELECT value FROM settings WHERE key = ?1")?
            .query_row([key], |row| row.get(0))
            .optional()?)
    }

    /// Sets a setting, or removes it with `None`.
    pub fn set_setting(&self, key: &str, value: Option<&str>) -> Result<()> {
        match value {
            Some(value) => self
                .tx
                .prepare_cached(
                    "INSERT INTO settings (key, value) VALUES (?1, ?2)
                     ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                )?
                .execute(params![key, value])?,
            None => self
                .tx
                .prepare_cached("DELETE FROM settings WHERE key = ?1")?
                .execute([key])?,
        };
        Ok(())
    }

    /// Records one step of a customer's journey (no personal data).
    pub fn record_event(&self, channel: &str, step: &str, now: i64) -> Result<()> {
        self.tx
            .prepare_cached("INSERT INTO events (at, channel, step) VALUES (?1, ?2, ?3)")?
            .execute(params![now, channel, step])?;
        Ok(())
    }

    /// Sets the live stock of a stock key; false if the key is unknown.
    pub fn set_stock(&self, key: &str, qty: i64) -> Result<bool> {
        let changed = self
            .tx
            .prepare_cached("UPDATE stock SET qty = ?2 WHERE key = ?1")?
            .execute(params![key, qty])?;
        Ok(changed == 1)
    }

    /// Every order, newest first, optionally only those with `status`.
    pub fn orders(&self, status: Option<OrderStatus>) -> Result<Vec<Order>> {
        orders::list(&self.tx, status)
    }

    /// See [`orders::set_status`]: the order as it was before the change.
    pub fn set_order_status(
        &self,
        number: &str,
        status: OrderStatus,
        tracking: Option<&str>,
        now: i64,
    ) -> Result<Option<Order>> {
        orders::set_status(&self.tx, number, status, tracking, now)
    }
}
