//! `feedback`: the stars and comment a customer gave a delivered order.

use rusqlite::{OptionalExtension, params};

use super::{Result, Tx};

impl Tx<'_> {
    /// Stores the stars of an order's feedback, or its comment (keeping the stars).
    /// Stars also move the order's products' ratings (see `ratings.rs`), in
    /// this same transaction: stars given again replace, never add.
    pub fn save_feedback(
        &self,
        order: &str,
        stars: Option<u8>,
        comment: Option<&str>,
        now: i64,
    ) -> Result<()> {
        if let Some(stars) = stars {
            let old = self.feedback(order)?.map(|(old, _)| old);
            self.rerate(order, old, stars)?;
        }
        match stars {
            Some(stars) => self
                .tx
                .prepare_cached(
                    "INSERT INTO feedback (order_number, stars, at) VALUES (?1, ?2, ?3)
                     ON CONFLICT (order_number) DO UPDATE SET stars = excluded.stars,
                     at = excluded.at",
                )?
                .execute(params![order, stars, now])?,
            None => self
                .tx
                .prepare_cached("UPDATE feedback SET comment = ?2 WHERE order_number = ?1")?
                .execute(params![order, comment])?,
        };
        Ok(())
    }

    /// An order's feedback: stars and comment.
    pub fn feedback(&self, order: &str) -> Result<Option<(u8, Option<String>)>> {
        Ok(self
            .tx
            .prepare_cached("SELECT stars, comment FROM feedback WHERE order_number = ?1")?
            .query_row([order], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?)
    }
}
