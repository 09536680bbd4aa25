//! `/reload`: the shop file read again while the bot runs; a broken file is
//! refused and the running shop stays.

use jiff::Timestamp;

use super::{Chat, Engine, EngineError, Event, TurnResult, queue_replies};
use crate::conversation::Reply;
use crate::shop::Shop;

impl Engine {
    /// `/reload`: reads the shop file again; a broken file is refused and the
    /// running shop stays.
    pub(super) fn reload(
        &mut self,
        chat: Chat<'_>,
        event: Event<'_>,
        now: Timestamp,
    ) -> Result<TurnResult, EngineError> {
        if let Some(key) = event.key
            && self.store.write(|tx| tx.inbox_seen(chat.channel, key))?
        {
            return Ok(TurnResult::Duplicate);
        }
        let (text, loaded) = match &self.shop.path {
            None => (
                "There is no shop file to reload: this bot runs the bundled example.".to_owned(),
                None,
            ),
            Some(path) => match Shop::load(path) {
                Ok(shop) => (
                    format!(
                        "Reloaded {}: {} products, {} categories.",
                        path.display(),
                        shop.products().len(),
                        shop.categories().len()
                    ),
                    Some(shop),
                ),
                Err(errors) => (
                    format!(
                        "{} has problems; the shop keeps running as before:\n{errors}",
                        path.display()
                    ),
                    None,
                ),
            },
        };
        if let Some(shop) = &loaded {
            self.store.sync_stock(&shop.configured_stock())?;
        }
        let rows = self.store.write_with(|tx| -> Result<_, EngineError> {
            if let Some(key) = event.key {
                tx.inbox_record(chat.channel, chat.chat_id, key, now.as_second())?;
            }
            let event = Event {
                pressed: None,
                ..event
            };
            queue_replies(tx, chat, event, vec![Reply::plain(text)], now)
        })?;
        if let Some(shop) = loaded {
            tracing::info!(products = shop.products().len(), "shop file reloaded");
            self.shop = shop;
            self.stock = self.store.stock_levels()?;
        }
        Ok(TurnResult::Replies(rows))
    }
}
