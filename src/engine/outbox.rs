//! The outbox as the channel adapters see it: the rows waiting for their channel
//! or chat, and what became of each one sent. Adapters go through these and
//! never through the store.

use super::{Engine, EngineError};
use crate::store::OutboxRow;

impl Engine {
    /// Up to `limit` unsent outbox rows of `channel`, oldest first.
    pub fn pending_outbox(
        &self,
        channel: &str,
        limit: usize,
    ) -> Result<Vec<OutboxRow>, EngineError> {
        Ok(self.store.pending_outbox(channel, limit)?)
    }

    /// Up to `limit` unsent outbox rows of one chat, oldest first.
    pub fn pending_outbox_of(
        &self,
        channel: &str,
        chat_id: &str,
        limit: usize,
    ) -> Result<Vec<OutboxRow>, EngineError> {
        Ok(self.store.pending_outbox_of(channel, chat_id, limit)?)
    }

    /// Marks an outbox row as sent at `now` (unix seconds); a row already sent
    /// keeps its time.
    pub fn mark_sent(&mut self, id: i64, now: i64) -> Result<(), EngineError> {
        Ok(self.store.mark_sent(id, now)?)
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
    ) -> Result<(), EngineError> {
        Ok(self.store.mark_sent_as(id, now, channel, chat_id, shown)?)
    }

    /// Gives up on an outbox row that can never be delivered, with the reason.
    pub fn mark_failed(&mut self, id: i64, reason: &str, now: i64) -> Result<(), EngineError> {
        Ok(self.store.mark_failed(id, reason, now)?)
    }

    /// Notes that a customer cannot be reached (they blocked the bot, say).
    pub fn mark_unreachable(
        &mut self,
        channel: &str,
        chat_id: &str,
        reason: &str,
        now: i64,
    ) -> Result<(), EngineError> {
        Ok(self.store.mark_unreachable(channel, chat_id, reason, now)?)
    }
}
