//! Later messages and the customer's own data: marketing consent, the log of
//! follow-ups sent (so none is sent twice), feedback, history purging, and
//! erasing a customer (`/forget`).

use rusqlite::{OptionalExtension, params};

use super::{OrderStatus, Result, Tx};

/// What a purge deleted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Purged {
    pub history: usize,
    pub messages: usize,
    pub inbox: usize,
}

/// A chat's session that may be due a cart reminder.
#[derive(Debug, Clone)]
pub struct IdleCart {
    pub channel: String,
    pub chat_id: String,
    /// The session JSON.
    pub data: String,
}

impl Tx<'_> {
    /// Records the customer's marketing answer, with its time.
    pub fn set_consent(&self, channel: &str, chat_id: &str, granted: bool, now: i64) -> Result<()> {
        self.tx
            .prepare_cached(
                "INSERT INTO consents (channel, chat_id, granted, at) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (channel, chat_id) DO UPDATE SET granted = excluded.granted,
                 at = excluded.at",
            )?
            .execute(params![channel, chat_id, granted, now])?;
        Ok(())
    }

    /// The customer's marketing answer and when it was given, if ever asked.
    pub fn consent(&self, channel: &str, chat_id: &str) -> Result<Option<(bool, i64)>> {
        Ok(self
            .tx
            .prepare_cached("SELECT granted, at FROM consents WHERE channel = ?1 AND chat_id = ?2")?
            .query_row(params![channel, chat_id], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?)
    }

    /// Every chat that said yes to marketing and has not withdrawn it.
    pub fn consenting(&self) -> Result<Vec<(String, String)>> {
        let mut stmt = self.tx.prepare_cached(
            "SELECT channel, chat_id FROM consents WHERE granted = 1 ORDER BY channel, chat_id",
        )?;
        let rows = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }

    /// Notes a follow-up as handled (sent or dropped); false if it was already.
    pub fn claim_followup(
        &self,
        kind: &str,
        channel: &str,
        chat_id: &str,
        reference: &str,
        now: i64,
    ) -> Result<bool> {
        let added = self
            .tx
            .prepare_cached(
                "INSERT OR IGNORE INTO followups (kind, channel, chat_id, ref, at)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
            )?
            .execute(params![kind, channel, chat_id, reference, now])?;
        Ok(added == 1)
    }

    /// Sessions with something in the cart, last touched in `[from, to]`.
    pub fn idle_carts(&self, from: i64, to: i64) -> Result<Vec<IdleCart>> {
        let mut stmt = self.tx.prepare_cached(
            "SELECT channel, chat_id, data FROM sessions
             WHERE updated_at >= ?1 AND updated_at <= ?2
               AND json_valid(data) AND json_array_length(data, '$.cart') > 0",
        )?;
        let rows = stmt
            .query_map(params![from, to], |r| {
                Ok(IdleCart {
                    channel: r.get(0)?,
                    chat_id: r.get(1)?,
                    data: r.get(2)?,
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }

    /// Orders delivered in `[from, to]` whose customer is still known: (number,
    /// channel, chat).
    pub fn delivered_between(&self, from: i64, to: i64) -> Result<Vec<(String, String, String)>> {
        let mut stmt = self.tx.prepare_cached(
            "SELECT number, channel, chat_id FROM orders
             WHERE status = ?4 AND status_at >= ?1 AND status_at <= ?2
               AND NOT chat_id LIKE ?3 || '%' ORDER BY id",
        )?;
        let rows = stmt
            .query_map(
                params![from, to, super::FORGOTTEN, OrderStatus::Delivered],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }

    /// Stores the stars of an order's feedback, or its comment (keeping the stars).
    pub fn save_feedback(
        &self,
        order: &str,
        stars: Option<u8>,
        comment: Option<&str>,
        now: i64,
    ) -> Result<()> {
        match stars {
            Some(stars) => self
                .tx
                .prepare_cached(
                    "INSERT INTO feedback (order_number, stars, at) VALUES (?1, ?2, ?3)
                     ON CONFLICT (order_number) DO UPDATE SET stars = excluded.stars,
                     at = excluded.at",
                )?
                .execute(params![order, stars, now])?,
            None => self
                .tx
                .prepare_cached("UPDATE feedback SET comment = ?2 WHERE order_number = ?1")?
                .execute(params![order, comment])?,
        };
        Ok(())
    }

    /// An order's feedback: stars and comment.
    pub fn feedback(&self, order: &str) -> Result<Option<(u8, Option<String>)>> {
        Ok(self
            .tx
            .prepare_cached("SELECT stars, comment FROM feedback WHERE order_number = ?1")?
            .query_row([order], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?)
    }

    /// Deletes what is past its time: conversation history before `history_before`,
    /// sent messages queued before it (with the platform messages that showed
    /// them) unless they belong to an open ticket, and inbox keys of events handled
    /// before `inbox_before`. Unsent messages are never deleted.
    pub fn purge(&self, history_before: i64, inbox_before: i64) -> Result<Purged> {
        let history = self
            .tx
            .prepare_cached("DELETE FROM history WHERE at < ?1")?
            .execute([history_before])?;
        let old_sent = "SELECT id FROM outbox
             WHERE sent_at IS NOT NULL AND created_at < ?1
               AND (json_extract(payload, '$.ticket') IS NULL
                    OR json_extract(payload, '$.ticket')
                       NOT IN (SELECT number FROM tickets WHERE status = 'open'))";
        self.tx
            .prepare_cached(&format!(
                "DELETE FROM platform_messages WHERE row_id IN ({old_sent})"
            ))?
            .execute([history_before])?;
        let messages = self
            .tx
            .prepare_cached(&format!("DELETE FROM outbox WHERE id IN ({old_sent})"))?
            .execute([history_before])?;
        let inbox = self
            .tx
            .prepare_cached("DELETE FROM inbox WHERE handled_at < ?1")?
            .execute([inbox_before])?;
        Ok(Purged {
            history,
            messages,
            inbox,
        })
    }

    /// How many history lines a chat has.
    pub fn history_count(&self, channel: &str, chat_id: &str) -> Result<i64> {
        Ok(self
            .tx
            .prepare_cached("SELECT COUNT(*) FROM history WHERE channel = ?1 AND chat_id = ?2")?
            .query_row(params![channel, chat_id], |r| r.get(0))?)
    }

    /// The chat's tickets: (number, open, question).
    pub fn tickets_of(
        &self,
        channel: &str,
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

    /// Erases a customer by their key (channel and chat), never by what they
    /// wrote: their session, history, tickets, consent, follow-ups, every message
    /// to them and every message that quotes them (owner notices and listings
    /// name them in `outbox_about`), the platform messages showing those, and
    /// their orders' personal fields — the orders stay, anonymous, for the
    /// seller's accounts. Their events' keys stay, unattributed, until the purge.
    /// Nothing of another customer is touched. Returns how many orders were
    /// anonymised.
    pub fn forget(&self, channel: &str, chat_id: &str) -> Result<usize> {
        let chat = params![channel, chat_id];
        let theirs = "SELECT id FROM outbox WHERE channel = ?1 AND chat_id = ?2
             UNION SELECT row_id FROM outbox_about WHERE channel = ?1 AND chat_id = ?2";
        for sql in [
            &format!("DELETE FROM platform_messages WHERE row_id IN ({theirs})"),
            &format!("DELETE FROM outbox WHERE id IN ({theirs})"),
            "DELETE FROM platform_messages WHERE channel = ?1 AND chat_id = ?2",
            "DELETE FROM feedback WHERE order_number IN
             (SELECT number FROM orders WHERE channel = ?1 AND chat_id = ?2)",
            "DELETE FROM sessions WHERE channel = ?1 AND chat_id = ?2",
            "DELETE FROM history WHERE channel = ?1 AND chat_id = ?2",
            "DELETE FROM tickets WHERE channel = ?1 AND chat_id = ?2",
            "DELETE FROM consents WHERE channel = ?1 AND chat_id = ?2",
            "DELETE FROM followups WHERE channel = ?1 AND chat_id = ?2",
            "DELETE FROM unreachable WHERE channel = ?1 AND chat_id = ?2",
            // The keys of their events stay (no content; a Telegram key holds the
            // chat's number) until the week's purge, so an event delivered again
            // is still not handled twice; the rows no longer say whose they were.
            "UPDATE inbox SET chat_id = NULL WHERE channel = ?1 AND chat_id = ?2",
        ] {
            self.tx.prepare_cached(sql)?.execute(chat)?;
        }
        let anonymous = format!(
            "{}{}",
            super::FORGOTTEN,
            self.tx
                .query_row("SELECT lower(hex(randomblob(6)))", [], |r| r
                    .get::<_, String>(0))?
        );
        let orders = self
            .tx
            .prepare_cached(
                "UPDATE orders SET chat_id = ?3, fields = '{}', tracking = NULL,
                 idempotency_key = 'forgotten:' || id
                 WHERE channel = ?1 AND chat_id = ?2",
            )?
            .execute(params![channel, chat_id, anonymous])?;
        Ok(orders)
    }
}
