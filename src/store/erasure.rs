//! Erasure across every table: `forget` (a customer's `/forget`, by their key)
//! and `purge` (what is past its time).

use crate::channel::Channel;
use rusqlite::params;

use super::{Result, Tx};

/// What a purge deleted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Purged {
    pub history: usize,
    pub messages: usize,
    pub inbox: usize,
}

impl Tx<'_> {
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

    /// Erases a customer by their key (channel and chat), never by what they
    /// wrote: their session, history, tickets, consent, follow-ups, every message
    /// to them and every message that quotes them (owner notices and listings
    /// name them in `outbox_about`), the platform messages showing those, and
    /// their orders' personal fields and feedback comments — the orders stay,
    /// anonymous, for the seller's accounts, with their stars. Their events'
    /// keys stay, unattributed, until the purge. Nothing of another customer
    /// is touched. Returns how many orders were anonymised.
    pub fn forget(&self, channel: Channel, chat_id: &str) -> Result<usize> {
        let chat = params![channel, chat_id];
        let theirs = "SELECT id FROM outbox WHERE channel = ?1 AND chat_id = ?2
             UNION SELECT row_id FROM outbox_about WHERE channel = ?1 AND chat_id = ?2";
        for sql in [
            &format!("DELETE FROM platform_messages WHERE row_id IN ({theirs})"),
            &format!("DELETE FROM outbox WHERE id IN ({theirs})"),
            "DELETE FROM platform_messages WHERE channel = ?1 AND chat_id = ?2",
            // Their comments go; their stars stay with their anonymous
            // orders (products' ratings do not change when a customer leaves).
            "UPDATE feedback SET comment = NULL WHERE order_number IN
             (SELECT number FROM orders WHERE channel = ?1 AND chat_id = ?2)",
            "DELETE FROM sessions WHERE channel = ?1 AND chat_id = ?2",
            "DELETE FROM history WHERE channel = ?1 AND chat_id = ?2",
            "DELETE FROM tickets WHERE channel = ?1 AND chat_id = ?2",
            "DELETE FROM consents WHERE channel = ?1 AND chat_id = ?2",
            "DELETE FROM followups WHERE channel = ?1 AND chat_id = ?2",
            "DELETE FROM unreachable WHERE channel = ?1 AND chat_id = ?2",
            "DELETE FROM unanswered WHERE channel = ?1 AND chat_id = ?2",
            // Their kept attachment files: removed after the commit unless
            // another customer's row names the same bytes.
            "INSERT OR IGNORE INTO spool_trash (sha256)
             SELECT sha256 FROM spool_files WHERE channel = ?1 AND chat_id = ?2",
            "DELETE FROM spool_files WHERE channel = ?1 AND chat_id = ?2",
            // The keys of their events stay (no content; a Telegram key holds the
            // chat's number) until the week's purge, so an event delivered again
            // is still not handled twice; the rows no longer say whose they were.
            "UPDATE inbox SET chat_id = NULL WHERE channel = ?1 AND chat_id = ?2",
        ] {
            self.tx.prepare_cached(sql)?.execute(chat)?;
        }
        self.forget_topics(channel, chat_id)?;
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
