//! `consents` (each customer's answer to marketing messages) and `followups`
//! (the log of later messages handled, so none is sent twice).

use crate::channel::{Channel, ChatKey};
use rusqlite::{OptionalExtension, params};

use super::{Result, Tx};

impl Tx<'_> {
    /// Records the customer's marketing answer, with its time.
    pub fn set_consent(
        &self,
        channel: Channel,
        chat_id: &str,
        granted: bool,
        now: i64,
    ) -> Result<()> {
        self.tx
            .prepare_cached(
                "INSERT INTO consents (channel, chat_id, granted, at) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (channel, chat_id) DO UPDATE SET granted = excluded.granted,
                 at = excluded.at",
            )?
            .execute(params![channel, chat_id, granted, now])?;
        Ok(())
    }

    /// The customer's marketing answer and when it was given, if ever asked.
    pub fn consent(&self, channel: Channel, chat_id: &str) -> Result<Option<(bool, i64)>> {
        Ok(self
            .tx
            .prepare_cached("SELECT granted, at FROM consents WHERE channel = ?1 AND chat_id = ?2")?
            .query_row(params![channel, chat_id], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?)
    }

    /// Every chat that said yes to marketing and has not withdrawn it.
    pub fn consenting(&self) -> Result<Vec<ChatKey>> {
        let mut stmt = self.tx.prepare_cached(
            "SELECT channel, chat_id FROM consents WHERE granted = 1 ORDER BY channel, chat_id",
        )?;
        let rows = stmt
            .query_map([], |r| Ok(ChatKey::new(r.get(0)?, r.get::<_, String>(1)?)))?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }

    /// Notes a follow-up as handled (sent or dropped); false if it was already.
    pub fn claim_followup(
        &self,
        kind: &str,
        channel: Channel,
        chat_id: &str,
        reference: &str,
        now: i64,
    ) -> Result<bool> {
        let added = self
            .tx
            .prepare_cached(
                "INSERT OR IGNORE INTO followups (kind, channel, chat_id, ref, at)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
            )?
            .execute(params![kind, channel, chat_id, reference, now])?;
        Ok(added == 1)
    }
}
