//! The engine's side of giving up on an event whose own turn keeps failing
//! while the database writes (a bug, a poison message): the customer gets an
//! apology, the owners a report, and the event's key is recorded as handled —
//! all in one transaction, or nothing (the channel then keeps trying). The rule
//! itself (when to give up) is in `channels::turns`.

use jiff::Timestamp;

use super::{Chat, Engine, EngineError, Event, TurnCx};
use crate::channel::Channel;
use crate::owner;
use crate::shop::Phrase;
use crate::store::OutboxRow;

/// The `settings` key the write probe touches.
const HEARTBEAT: &str = "heartbeat";

/// Where an event came from, as far as the channel could tell without
/// translating it (the translation itself may be what fails).
#[derive(Debug, Clone, Default)]
pub struct Origin {
    /// The chat to apologise to, if known.
    pub chat_id: Option<String>,
    /// The event's inbox key, recorded so the event is never handled again.
    pub key: Option<String>,
    /// How the owners see the sender.
    pub sender_name: Option<String>,
}

impl Engine {
    /// Whether the database takes a write at all: one tiny write transaction.
    /// A failing turn while this works is the event's own fault, not the disk's.
    pub fn probe_write(&mut self, now: Timestamp) -> Result<(), EngineError> {
        let at = now.as_second().to_string();
        self.store
            .write(|tx| tx.set_setting(HEARTBEAT, Some(&at)))?;
        Ok(())
    }

    /// Gives up on an event of `channel` after `tries` failed turns: in one
    /// transaction, records its key, apologises to its chat (in the chat's
    /// language) and reports it to the owners. An event already recorded (given
    /// up before a restart, say) changes nothing: no second apology. Returns the
    /// messages queued.
    pub fn give_up(
        &mut self,
        channel: Channel,
        origin: &Origin,
        tries: u32,
        error: &str,
        now: Timestamp,
    ) -> Result<Vec<OutboxRow>, EngineError> {
        let shop = &self.shop;
        let channels = &self.channels;
        let cached = &self.stock;
        let mut fresh_stock = None;
        // Rows about an unknown chat name no one: erasing a customer never finds them.
        let about = Chat {
            channel,
            chat_id: origin.chat_id.as_deref().unwrap_or_default(),
        };
        self.store.write_with(|tx| -> Result<_, EngineError> {
            if let Some(key) = &origin.key {
                if tx.inbox_seen(channel, key)? {
                    return Ok(Vec::new());
                }
                tx.inbox_record(channel, about.chat_id, key, now.as_second())?;
            }
            let turn = TurnCx::new(tx, shop, channels, now, cached, &mut fresh_stock);
            let mut rows = Vec::new();
            if let Some(chat_id) = &origin.chat_id {
                let chat = Chat { channel, chat_id };
                rows = turn.say_to(chat, Event::default(), Phrase::TurnFailed)?;
            }
            let who = match (&origin.sender_name, &origin.chat_id) {
                (Some(name), _) if !name.trim().is_empty() => name.clone(),
                (_, Some(chat)) => format!("chat {chat}"),
                _ => "unknown sender".to_owned(),
            };
            let notice = owner::turn_failed_notice(shop, channel, &who, tries, error);
            rows.extend(turn.notify(about, &notice)?);
            Ok(rows)
        })
    }
}
