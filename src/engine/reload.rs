//! `/reload`: the shop file read again while the bot runs; a broken file is
//! refused and the running shop stays.

use jiff::Timestamp;

use super::{Chat, Engine, EngineError, Event, TurnResult, queue_replies};
use crate::conversation::Reply;
use crate::shop::{OwnerPhrase as P, Shop};

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
        // Said in the owners' language of the shop that runs afterwards.
        let (text, loaded) = match &self.shop.path {
            None => (
                self.shop.owner_texts().get(P::ReloadNoFile).to_owned(),
                None,
            ),
            Some(path) => match Shop::load(path) {
                Ok(shop) => (
                    shop.owner_texts().fill(
                        P::ReloadDone,
                        &[
                            ("path", &path.display().to_string()),
                            ("products", &shop.products().len().to_string()),
                            ("categories", &shop.categories().len().to_string()),
                        ],
                    ),
                    Some(shop),
                ),
                Err(errors) => (
                    self.shop.owner_texts().fill(
                        P::ReloadRefused,
                        &[
                            ("path", &path.display().to_string()),
                            ("errors", &errors.to_string()),
                        ],
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
            self.prepare_digital()?;
            self.stock = self.store.stock_levels()?;
            // `[reviews] show_comments` may have changed.
            self.ratings = self.store.ratings(super::ratings::shown(&self.shop))?;
        }
        Ok(TurnResult::Replies(rows))
    }
}
