//! `tickets`: conversations handed to a person, from opening to closing.

use crate::channel::{Channel, ChatKey};
use rusqlite::{Connection, OptionalExtension, Row, params};
use serde::Serialize;

use super::{Result, Tx};

/// A conversation handed to a person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Ticket {
    pub number: i64,
    pub channel: Channel,
    pub chat_id: String,
    /// The customer's name and handle, as their platform gave it.
    pub customer: String,
    pub question: Option<String>,
    pub open: bool,
    pub opened_at: i64,
}

impl Ticket {
    /// The customer's chat.
    pub fn key(&self) -> ChatKey {
        ChatKey::new(self.channel, self.chat_id.clone())
    }
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
    /// The chat's open ticket, if any.
    pub fn open_ticket_of(&self, channel: Channel, chat_id: &str) -> Result<Option<Ticket>> {
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
        channel: Channel,
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

    /// The chat's tickets: (number, open, question).
    pub fn tickets_of(
        &self,
        channel: Channel,
        chat_id: &str,
    ) -> Result<Vec<(i64, bool, Option<String>)>> {
        let mut stmt = self.tx.prepare_cached(
            "SELECT number, status = 'open', question FROM tickets
             WHERE channel = ?1 AND chat_id = ?2 ORDER BY number",
        )?;
        let rows = stmt
            .query_map(params![channel, chat_id], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?))
            })?
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
}
