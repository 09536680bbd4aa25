//! `events`: the steps of customers' journeys (no personal data), which the
//! funnel in `stats.rs` counts.

use crate::channel::Channel;
use rusqlite::params;

use super::{Result, Tx};

impl Tx<'_> {
    /// Records one step of a customer's journey (no personal data).
    pub fn record_event(&self, channel: Channel, step: &str, now: i64) -> Result<()> {
        self.tx
            .prepare_cached("INSERT INTO events (at, channel, step) VALUES (?1, ?2, ?3)")?
            .execute(params![now, channel, step])?;
        Ok(())
    }
}
