//! `history` (the lines of each conversation, which give a ticket its context)
//! and `unanswered` (the questions the bot could not answer, for the seller).

use crate::channel::Channel;
use rusqlite::params;

use super::{Result, Tx};

/// One line of a conversation: who (`customer` or `bot`) said what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryLine {
    pub who: String,
    pub text: String,
}

impl Tx<'_> {
    /// Keeps one line of a conversation, for a ticket's context.
    pub fn add_history(
        &self,
        channel: Channel,
        chat_id: &str,
        who: &str,
        text: &str,
        now: i64,
    ) -> Result<()> {
        self.tx
            .prepare_cached(
                "INSERT INTO history (channel, chat_id, at, who, text) VALUES (?1, ?2, ?3, ?4, ?5)",
            )?
            .execute(params![channel, chat_id, now, who, text])?;
        Ok(())
    }

    /// The chat's last `limit` history lines, oldest first.
    pub fn recent_history(
        &self,
        channel: Channel,
        chat_id: &str,
        limit: usize,
    ) -> Result<Vec<HistoryLine>> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let mut stmt = self.tx.prepare_cached(
            "SELECT who, text FROM history WHERE channel = ?1 AND chat_id = ?2
             ORDER BY id DESC LIMIT ?3",
        )?;
        let mut lines = stmt
            .query_map(params![channel, chat_id, limit], |row| {
                Ok(HistoryLine {
                    who: row.get(0)?,
                    text: row.get(1)?,
                })
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        lines.reverse();
        Ok(lines)
    }

    /// How many history lines a chat has.
    pub fn history_count(&self, channel: Channel, chat_id: &str) -> Result<i64> {
        Ok(self
            .tx
            .prepare_cached("SELECT COUNT(*) FROM history WHERE channel = ?1 AND chat_id = ?2")?
            .query_row(params![channel, chat_id], |r| r.get(0))?)
    }

    /// Keeps a question the bot could not answer, for the seller to read, with
    /// its asker (whose `/forget` takes it).
    pub fn record_unanswered(
        &self,
        channel: Channel,
        chat_id: &str,
        text: &str,
        lang: &str,
        now: i64,
    ) -> Result<()> {
        self.tx
            .prepare_cached(
                "INSERT INTO unanswered (channel, chat_id, text, lang, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
            )?
            .execute(params![channel, chat_id, text, lang, now])?;
        Ok(())
    }
}
