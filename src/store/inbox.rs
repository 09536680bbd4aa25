//! `inbox`: the keys of platform events already handled, so a redelivered event
//! is not handled twice.

use crate::channel::Channel;
use rusqlite::params;

use super::{Result, Tx};

impl Tx<'_> {
    /// Whether the platform event `key` of `channel` was already handled.
    pub fn inbox_seen(&self, channel: Channel, key: &str) -> Result<bool> {
        Ok(self
            .tx
            .prepare_cached("SELECT EXISTS (SELECT 1 FROM inbox WHERE channel = ?1 AND key = ?2)")?
            .query_row(params![channel, key], |row| row.get(0))?)
    }

    /// Remembers that the platform event `key` of this chat was handled.
    pub fn inbox_record(&self, channel: Channel, chat_id: &str, key: &str, now: i64) -> Result<()> {
        self.tx
            .prepare_cached(
                "INSERT INTO inbox (channel, key, handled_at, chat_id) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (channel, key) DO NOTHING",
            )?
            .execute(params![channel, key, now, chat_id])?;
        Ok(())
    }
}
