//! `forum_topics`: the forum topic of each customer in the owners' Telegram
//! group (one per customer, reused by each of their tickets), and the root of
//! a ticket's thread in a Matrix room (read from the outbox).
//!
//! A topic's name is the customer's name: personal data. `/forget` blanks it
//! and moves the row to an anonymous key, `doomed`; the Telegram sender then
//! deletes the topic (with the messages in it) and the row.

use rusqlite::{OptionalExtension, params};

use super::{FORGOTTEN, Result, Store, Tx};
use crate::channel::{Channel, ChatKey};

/// A customer's topic in the owners' group, as last known.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Topic {
    /// Telegram's `message_thread_id`.
    pub thread_id: i32,
    /// Closed by us (the customer has no open ticket).
    pub closed: bool,
}

/// A ticket as its forum topic needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TicketTopic {
    /// The ticket's customer.
    pub customer: ChatKey,
    /// How the ticket names the customer (the topic's name).
    pub name: String,
    /// The ticket is open.
    pub open: bool,
    /// The customer's topic in the owners' chat, if one was made.
    pub topic: Option<Topic>,
}

impl Store {
    /// Ticket `ticket`'s customer and their topic in the owners' chat `owners`.
    pub fn ticket_topic(&self, owners: &str, ticket: i64) -> Result<Option<TicketTopic>> {
        self.read(|conn| {
            Ok(conn
                .prepare_cached(
                    "SELECT t.channel, t.chat_id, t.customer, t.status = 'open',
                            f.thread_id, f.closed
                     FROM tickets t
                     LEFT JOIN forum_topics f ON f.owners_chat = ?1 AND f.channel = t.channel
                          AND f.chat_id = t.chat_id AND f.doomed = 0
                     WHERE t.number = ?2",
                )?
                .query_row(params![owners, ticket], |r| {
                    let thread: Option<i32> = r.get(4)?;
                    Ok(TicketTopic {
                        customer: ChatKey::new(r.get::<_, Channel>(0)?, r.get::<_, String>(1)?),
                        name: r.get(2)?,
                        open: r.get(3)?,
                        topic: match thread {
                            Some(thread_id) => Some(Topic {
                                thread_id,
                                closed: r.get(5)?,
                            }),
                            None => None,
                        },
                    })
                })
                .optional()?)
        })
    }

    /// The customer's topic in the owners' chat `owners`, if one was made and
    /// not forgotten.
    pub fn topic(&self, owners: &str, customer: &ChatKey) -> Result<Option<Topic>> {
        self.read(|conn| {
            Ok(conn
                .prepare_cached(
                    "SELECT thread_id, closed FROM forum_topics
                     WHERE owners_chat = ?1 AND channel = ?2 AND chat_id = ?3 AND doomed = 0",
                )?
                .query_row(params![owners, customer.channel, customer.chat_id], |r| {
                    Ok(Topic {
                        thread_id: r.get(0)?,
                        closed: r.get(1)?,
                    })
                })
                .optional()?)
        })
    }

    /// The ticket an owner's message in topic `thread` of `owners` answers:
    /// that customer's open ticket, else their latest one.
    pub fn topic_ticket(&self, owners: &str, thread: i32) -> Result<Option<i64>> {
        self.read(|conn| {
            Ok(conn
                .prepare_cached(
                    "SELECT t.number FROM forum_topics f
                     JOIN tickets t ON t.channel = f.channel AND t.chat_id = f.chat_id
                     WHERE f.owners_chat = ?1 AND f.thread_id = ?2 AND f.doomed = 0
                     ORDER BY t.status = 'open' DESC, t.number DESC LIMIT 1",
                )?
                .query_row(params![owners, thread], |r| r.get(0))
                .optional()?)
        })
    }

    /// Topics of `owners` to close: open ones of customers without an open ticket.
    pub fn topics_to_close(&self, owners: &str) -> Result<Vec<i32>> {
        self.read(|conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT thread_id FROM forum_topics f
                 WHERE owners_chat = ?1 AND closed = 0 AND doomed = 0
                   AND NOT EXISTS (SELECT 1 FROM tickets t WHERE t.channel = f.channel
                                   AND t.chat_id = f.chat_id AND t.status = 'open')",
            )?;
            let rows = stmt
                .query_map([owners], |r| r.get(0))?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(rows)
        })
    }

    /// Topics of `owners` whose customer was forgotten: to delete on Telegram.
    pub fn doomed_topics(&self, owners: &str) -> Result<Vec<i32>> {
        self.read(|conn| {
            let mut stmt = conn.prepare_cached(
                "SELECT thread_id FROM forum_topics WHERE owners_chat = ?1 AND doomed = 1",
            )?;
            let rows = stmt
                .query_map([owners], |r| r.get(0))?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(rows)
        })
    }

    /// The first platform message (the ticket's notice) the bot sent to `chat`
    /// about ticket `ticket`: the root of that ticket's thread.
    pub fn thread_root(
        &self,
        channel: Channel,
        chat_id: &str,
        ticket: i64,
    ) -> Result<Option<String>> {
        self.read(|conn| {
            Ok(conn
                .prepare_cached(
                    "SELECT p.message_id FROM outbox o
                     JOIN platform_messages p ON p.row_id = o.id
                     WHERE o.channel = ?1 AND o.chat_id = ?2
                       AND json_extract(o.payload, '$.ticket') = ?3
                     ORDER BY o.id LIMIT 1",
                )?
                .query_row(params![channel, chat_id, ticket], |r| r.get(0))
                .optional()?)
        })
    }
}

impl Tx<'_> {
    /// Records the customer's new topic (replacing a forgotten-by-Telegram one), open.
    pub fn save_topic(
        &self,
        owners: &str,
        customer: &ChatKey,
        thread: i32,
        name: &str,
        now: i64,
    ) -> Result<()> {
        self.tx
            .prepare_cached(
                "INSERT OR REPLACE INTO forum_topics
                 (owners_chat, channel, chat_id, thread_id, name, closed, doomed, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, 0, 0, ?6)",
            )?
            .execute(params![
                owners,
                customer.channel,
                customer.chat_id,
                thread,
                name,
                now
            ])?;
        Ok(())
    }

    /// Notes a topic closed or open again.
    pub fn set_topic_closed(&self, owners: &str, thread: i32, closed: bool) -> Result<()> {
        self.tx
            .prepare_cached(
                "UPDATE forum_topics SET closed = ?3 WHERE owners_chat = ?1 AND thread_id = ?2",
            )?
            .execute(params![owners, thread, closed])?;
        Ok(())
    }

    /// Forgets a topic (deleted on Telegram, by hand or by us).
    pub fn drop_topic(&self, owners: &str, thread: i32) -> Result<()> {
        self.tx
            .prepare_cached("DELETE FROM forum_topics WHERE owners_chat = ?1 AND thread_id = ?2")?
            .execute(params![owners, thread])?;
        Ok(())
    }

    /// `/forget`: the customer's topics lose their name and their key, and
    /// wait for the Telegram sender to delete them.
    pub fn forget_topics(&self, channel: Channel, chat_id: &str) -> Result<()> {
        self.tx
            .prepare_cached(
                "UPDATE forum_topics SET name = NULL, doomed = 1, channel = 'forgotten',
                 chat_id = ?3 || thread_id
                 WHERE channel = ?1 AND chat_id = ?2",
            )?
            .execute(params![channel, chat_id, FORGOTTEN])?;
        Ok(())
    }
}
