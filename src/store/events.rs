//! `events`: the steps of customers' journeys (no personal data), which the
//! funnel in `stats.rs` counts, per channel and per source (a deep link's tag).

use crate::channel::Channel;
use rusqlite::params;

use super::{Result, Tx};

impl Tx<'_> {
    /// Records one step of a customer's journey (no personal data).
    pub fn record_event(&self, channel: Channel, step: &str, now: i64) -> Result<()> {
        self.record_event_from(channel, step, None, now)
    }

    /// [`Self::record_event`] of a customer who came from a deep link's
    /// `source` tag (`None`: no link).
    pub fn record_event_from(
        &self,
        channel: Channel,
        step: &str,
        source: Option<&str>,
        now: i64,
    ) -> Result<()> {
        self.tx
            .prepare_cached(
                "INSERT INTO events (at, channel, step, source) VALUES (?1, ?2, ?3, ?4)",
            )?
            .execute(params![now, channel, step, source])?;
        Ok(())
    }

    /// Notes the deep link's source tag an order's customer came from.
    pub fn set_order_source(&self, order_id: i64, source: &str) -> Result<()> {
        self.tx
            .prepare_cached("UPDATE orders SET source = ?2 WHERE id = ?1")?
            .execute(params![order_id, source])?;
        Ok(())
    }
}
