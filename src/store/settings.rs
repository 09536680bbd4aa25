//! `settings` (shop-wide values the owners change from the chat) and
//! `owner_rooms` (the direct room each owner writes to the bot from).

use crate::channel::Channel;
use rusqlite::{OptionalExtension, params};

use super::{Result, Tx};

impl Tx<'_> {
    pub fn setting(&self, key: &str) -> Result<Option<String>> {
        Ok(self
            .tx
            .prepare_cached("SELECT value FROM settings WHERE key = ?1")?
            .query_row([key], |row| row.get(0))
            .optional()?)
    }

    /// Sets a setting, or removes it with `None`.
    pub fn set_setting(&self, key: &str, value: Option<&str>) -> Result<()> {
        match value {
            Some(value) => self
                .tx
                .prepare_cached(
                    "INSERT INTO settings (key, value) VALUES (?1, ?2)
                     ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                )?
                .execute(params![key, value])?,
            None => self
                .tx
                .prepare_cached("DELETE FROM settings WHERE key = ?1")?
                .execute([key])?,
        };
        Ok(())
    }

    /// Remembers the direct room an owner writes to the bot from.
    pub fn set_owner_room(
        &self,
        channel: Channel,
        user: &str,
        chat_id: &str,
        now: i64,
    ) -> Result<()> {
        self.tx
            .prepare_cached(
                "INSERT INTO owner_rooms (channel, user_id, chat_id, since) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (channel, user_id) DO UPDATE SET chat_id = excluded.chat_id,
                 since = excluded.since WHERE owner_rooms.chat_id <> excluded.chat_id",
            )?
            .execute(params![channel, user, chat_id, now])?;
        Ok(())
    }

    /// The direct room of each of these owners on `channel` that has one.
    pub fn owner_rooms(&self, channel: Channel, users: &[String]) -> Result<Vec<String>> {
        let mut stmt = self.tx.prepare_cached(
            "SELECT chat_id FROM owner_rooms WHERE channel = ?1 AND user_id = ?2",
        )?;
        let mut rooms = Vec::new();
        for user in users {
            if let Some(room) = stmt
                .query_row(params![channel, user], |row| row.get::<_, String>(0))
                .optional()?
                && !rooms.contains(&room)
            {
                rooms.push(room);
            }
        }
        Ok(rooms)
    }
}
