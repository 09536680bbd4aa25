//! `sessions`: each chat's conversation state (JSON), and the carts left in them.

use crate::channel::Channel;
use rusqlite::{OptionalExtension, params};

use super::{Result, Tx};

/// A chat's session that may be due a cart reminder.
#[derive(Debug, Clone)]
pub struct IdleCart {
    pub channel: Channel,
    pub chat_id: String,
    /// The session JSON.
    pub data: String,
}

impl Tx<'_> {
    pub fn load_session(&self, channel: Channel, chat_id: &str) -> Result<Option<String>> {
        Ok(self
            .tx
            .prepare_cached("SELECT data FROM sessions WHERE channel = ?1 AND chat_id = ?2")?
            .query_row(params![channel, chat_id], |row| row.get(0))
            .optional()?)
    }

    pub fn save_session(
        &self,
        channel: Channel,
        chat_id: &str,
        data: &str,
        now: i64,
    ) -> Result<()> {
        self.tx
            .prepare_cached(
                "INSERT INTO sessions (channel, chat_id, data, updated_at) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (channel, chat_id) DO UPDATE
                 SET data = excluded.data, updated_at = excluded.updated_at",
            )?
            .execute(params![channel, chat_id, data, now])?;
        Ok(())
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
}
