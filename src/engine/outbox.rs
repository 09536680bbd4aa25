//! The outbox as the channel adapters see it: the rows waiting for their channel
//! or chat, and what became of each one sent. Adapters go through these and
//! never through the store.

use jiff::Timestamp;

use super::{Chat, Engine, EngineError, Event, Outgoing};
use crate::channel::{Channel, ChatKey};
use crate::conversation::Reply;
use crate::store::{OutboxRow, Tx};

impl Engine {
    /// Up to `limit` unsent outbox rows of `channel`, oldest first.
    pub fn pending_outbox(
        &self,
        channel: Channel,
        limit: usize,
    ) -> Result<Vec<OutboxRow>, EngineError> {
        Ok(self.store.pending_outbox(channel, limit)?)
    }

    /// Up to `limit` unsent outbox rows of one chat, oldest first.
    pub fn pending_outbox_of(
        &self,
        channel: Channel,
        chat_id: &str,
        limit: usize,
    ) -> Result<Vec<OutboxRow>, EngineError> {
        Ok(self.store.pending_outbox_of(channel, chat_id, limit)?)
    }

    /// One outbox row of `channel`, sent or not (what a web page fetches the
    /// attachment of); a row of another channel is `None`.
    pub fn outbox_row_of(
        &self,
        channel: Channel,
        id: i64,
    ) -> Result<Option<OutboxRow>, EngineError> {
        Ok(self
            .store
            .outbox_row(id)?
            .filter(|row| row.channel == channel))
    }

    /// A chat's messages after row `after` (the last `limit` when 0), oldest
    /// first: what a web page shows again after a reload or a lost connection.
    pub fn chat_log(
        &self,
        channel: Channel,
        chat_id: &str,
        after: i64,
        limit: usize,
    ) -> Result<Vec<OutboxRow>, EngineError> {
        Ok(self.store.chat_log(channel, chat_id, after, limit)?)
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
        channel: Channel,
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
        channel: Channel,
        chat_id: &str,
        reason: &str,
        now: i64,
    ) -> Result<(), EngineError> {
        Ok(self.store.mark_unreachable(channel, chat_id, reason, now)?)
    }
}

/// Queues one message for `channel`/`chat_id`; `about` names the customer it
/// quotes when that is someone else (an owner notice).
pub(super) fn push(
    tx: &Tx<'_>,
    channel: Channel,
    chat_id: &str,
    out: &Outgoing,
    now: Timestamp,
    about: &[ChatKey],
) -> Result<OutboxRow, EngineError> {
    let payload = serde_json::to_string(out)?;
    Ok(tx.push_outbox(channel, chat_id, &payload, now.as_second(), about)?)
}

/// Writes a turn's replies to the outbox, numbering buttons across the turn; a
/// turn answering a pressed button with one message with buttons replaces that
/// message instead of adding one.
pub(super) fn queue_replies(
    tx: &Tx<'_>,
    chat: Chat<'_>,
    event: Event<'_>,
    replies: Vec<Reply>,
    now: Timestamp,
) -> Result<Vec<OutboxRow>, EngineError> {
    queue_replies_about(tx, chat, event, replies, now, &[])
}

/// [`queue_replies`] for replies that quote other customers (an owner's listing).
pub(super) fn queue_replies_about(
    tx: &Tx<'_>,
    chat: Chat<'_>,
    event: Event<'_>,
    replies: Vec<Reply>,
    now: Timestamp,
    about: &[ChatKey],
) -> Result<Vec<OutboxRow>, EngineError> {
    queue_replies_in(tx, chat, event, replies, now, about, None)
}

/// [`queue_replies_about`] for replies that belong with a ticket (`ticket`):
/// an answer to an owner who wrote in that customer's forum topic.
pub(super) fn queue_replies_in(
    tx: &Tx<'_>,
    chat: Chat<'_>,
    event: Event<'_>,
    replies: Vec<Reply>,
    now: Timestamp,
    about: &[ChatKey],
    ticket: Option<i64>,
) -> Result<Vec<OutboxRow>, EngineError> {
    let edit = match (event.pressed, replies.as_slice()) {
        (Some(pressed), [only]) if !only.buttons.is_empty() && only.image.is_none() => {
            Some(pressed.to_owned())
        }
        _ => None,
    };
    let mut rows = Vec::with_capacity(replies.len());
    let mut first_number = 1;
    for reply in replies {
        let buttons = reply.buttons.len();
        let out = Outgoing {
            reply,
            edit: edit.clone(),
            first_number,
            ticket,
        };
        first_number += buttons;
        rows.push(push(tx, chat.channel, chat.chat_id, &out, now, about)?);
    }
    Ok(rows)
}

/// Decodes an outbox payload back into the message to send.
pub fn outgoing_of(row: &OutboxRow) -> Result<Outgoing, serde_json::Error> {
    serde_json::from_str(&row.payload)
}

/// Decodes an outbox payload back into the reply.
pub fn reply_of(row: &OutboxRow) -> Result<Reply, serde_json::Error> {
    outgoing_of(row).map(|o| o.reply)
}
