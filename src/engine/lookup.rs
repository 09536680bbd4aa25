//! What the adapters and the command line read and keep besides turns and the
//! outbox: settings (the Matrix sync position), orders, the shop's figures.

use jiff::Timestamp;
use jiff::tz::TimeZone;

use super::{Engine, EngineError};
use crate::channel::Channel;
use crate::store::{Order, OrderStatus, Stats};

impl Engine {
    /// The setting `key`, if set.
    pub fn setting(&mut self, key: &str) -> Result<Option<String>, EngineError> {
        Ok(self.store.write(|tx| tx.setting(key))?)
    }

    /// Sets the setting `key`, or removes it (`None`).
    pub fn set_setting(&mut self, key: &str, value: Option<&str>) -> Result<(), EngineError> {
        Ok(self.store.write(|tx| tx.set_setting(key, value))?)
    }

    /// Every order, newest first, optionally only those with `status`.
    pub fn orders(&self, status: Option<OrderStatus>) -> Result<Vec<Order>, EngineError> {
        Ok(self.store.orders(status)?)
    }

    /// The figures of the last `days` days up to `now`, days cut at midnight in `tz`.
    pub fn stats(
        &self,
        days: u32,
        now: Timestamp,
        tz: &TimeZone,
        currency: &str,
    ) -> Result<Stats, EngineError> {
        Ok(self.store.stats(days, now, tz, currency)?)
    }

    /// Up to `limit` chats of `channel` with unsent outbox rows, the oldest
    /// waiting first (the sender's look at the outbox, without payloads).
    pub fn pending_chats(
        &self,
        channel: Channel,
        limit: usize,
    ) -> Result<Vec<String>, EngineError> {
        Ok(self.store.pending_chats(channel, limit)?)
    }
}
