//! `digital_codes` and `digital_deliveries`: the pools of codes a digital
//! product is sold from, and which orders' goods were delivered.
//!
//! A pool's live stock is its free codes: placing an order reserves codes for
//! it as the stock is taken (a sold-out pool refuses the order), delivering it
//! gives them, cancelling it frees the reserved ones, and a refund revokes the
//! given ones (the customer has seen them: they never go back to the pool).

use std::collections::HashSet;

use rusqlite::{Connection, OptionalExtension, params};

use super::{OrderLine, Result, Store, Tx};

/// A code of an order, with its product.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderCode {
    pub product: String,
    pub code: String,
}

impl Store {
    /// Aligns the pools with the shop's code files: new codes join as free,
    /// free codes no longer listed leave, reserved, given and revoked ones
    /// stay; each pool's stock becomes its free codes.
    pub fn sync_pools<'a>(
        &mut self,
        pools: impl IntoIterator<Item = (&'a str, &'a [String])>,
    ) -> Result<()> {
        let pools: Vec<_> = pools.into_iter().collect();
        self.write(|tx| {
            for (product, codes) in &pools {
                sync_pool(&tx.tx, product, codes)?;
            }
            Ok(())
        })
    }
}

fn sync_pool(conn: &Connection, product: &str, codes: &[String]) -> Result<()> {
    let mut add = conn.prepare_cached(
        "INSERT INTO digital_codes (product, code) VALUES (?1, ?2) ON CONFLICT DO NOTHING",
    )?;
    for code in codes {
        add.execute(params![product, code])?;
    }
    let listed: HashSet<&str> = codes.iter().map(String::as_str).collect();
    let free: Vec<(i64, String)> = conn
        .prepare_cached("SELECT id, code FROM digital_codes WHERE product = ?1 AND state = 'free'")?
        .query_map([product], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?;
    let mut remove = conn.prepare_cached("DELETE FROM digital_codes WHERE id = ?1")?;
    for (id, code) in free {
        if !listed.contains(code.as_str()) {
            remove.execute([id])?;
        }
    }
    recount(conn, product)
}

/// Sets a pool's stock to its free codes.
fn recount(conn: &Connection, product: &str) -> Result<()> {
    conn.prepare_cached(
        "UPDATE stock SET qty = (SELECT COUNT(*) FROM digital_codes
             WHERE product = ?1 AND state = 'free') WHERE key = ?1",
    )?
    .execute([product])?;
    Ok(())
}

/// Whether a product is sold from a pool (it has codes, of any state).
fn is_pool(conn: &Connection, product: &str) -> Result<bool> {
    Ok(conn
        .prepare_cached("SELECT 1 FROM digital_codes WHERE product = ?1 LIMIT 1")?
        .query_row([product], |_| Ok(()))
        .optional()?
        .is_some())
}

/// Reserves codes for an order's pool lines, in file order; the products whose
/// pool ran short (the caller undoes the whole order then).
pub(super) fn reserve_codes(
    conn: &Connection,
    number: &str,
    lines: &[OrderLine],
) -> Result<Vec<String>> {
    let mut short = Vec::new();
    let mut reserve = conn.prepare_cached(
        "UPDATE digital_codes SET state = 'reserved', order_number = ?1
         WHERE id IN (SELECT id FROM digital_codes WHERE product = ?2 AND state = 'free'
                      ORDER BY id LIMIT ?3)",
    )?;
    for line in lines {
        if line.variant.is_some() || !is_pool(conn, &line.product_id)? {
            continue;
        }
        let got = reserve.execute(params![number, line.product_id, i64::from(line.qty)])?;
        if got < usize::try_from(line.qty).unwrap_or(usize::MAX) {
            short.push(line.product_id.clone());
        }
    }
    Ok(short)
}

/// A cancelled order's codes: reserved ones go back to the pool, given ones
/// are revoked; the pools' stock is counted again.
pub(super) fn release_codes(conn: &Connection, number: &str) -> Result<()> {
    let products: Vec<String> = conn
        .prepare_cached("SELECT DISTINCT product FROM digital_codes WHERE order_number = ?1")?
        .query_map([number], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    conn.prepare_cached(
        "UPDATE digital_codes SET state = 'free', order_number = NULL
         WHERE order_number = ?1 AND state = 'reserved'",
    )?
    .execute([number])?;
    conn.prepare_cached(
        "UPDATE digital_codes SET state = 'revoked' WHERE order_number = ?1 AND state = 'given'",
    )?
    .execute([number])?;
    for product in products {
        recount(conn, &product)?;
    }
    Ok(())
}

impl Tx<'_> {
    /// Records that an order's goods are being delivered; false if they were
    /// before (so nothing is delivered twice). Its reserved codes become given.
    pub fn start_delivery(&self, number: &str, now: i64) -> Result<bool> {
        let new = self
            .tx
            .prepare_cached(
                "INSERT INTO digital_deliveries (order_number, at) VALUES (?1, ?2)
                 ON CONFLICT DO NOTHING",
            )?
            .execute(params![number, now])?
            == 1;
        if new {
            self.tx
                .prepare_cached(
                    "UPDATE digital_codes SET state = 'given'
                     WHERE order_number = ?1 AND state = 'reserved'",
                )?
                .execute([number])?;
        }
        Ok(new)
    }

    /// Whether an order's goods were delivered.
    pub fn delivered_digital(&self, number: &str) -> Result<bool> {
        Ok(self
            .tx
            .prepare_cached("SELECT 1 FROM digital_deliveries WHERE order_number = ?1")?
            .query_row([number], |_| Ok(()))
            .optional()?
            .is_some())
    }

    /// The codes given (or reserved) for an order, in pool order; revoked ones are left out.
    pub fn codes_of(&self, number: &str) -> Result<Vec<OrderCode>> {
        codes_in(&self.tx, number, "('reserved', 'given')")
    }

    /// The codes an order had that a refund revoked.
    pub fn revoked_codes_of(&self, number: &str) -> Result<Vec<OrderCode>> {
        codes_in(&self.tx, number, "('revoked')")
    }

    /// Free codes left in a product's pool; `None` when it is not sold from a pool.
    pub fn pool_left(&self, product: &str) -> Result<Option<i64>> {
        if !is_pool(&self.tx, product)? {
            return Ok(None);
        }
        Ok(Some(self.tx.query_row(
            "SELECT COUNT(*) FROM digital_codes WHERE product = ?1 AND state = 'free'",
            [product],
            |r| r.get(0),
        )?))
    }

    /// Records a refund of an order paid in Stars and cancels it: a given code
    /// is revoked, a reserved one freed; the stock of other goods comes back
    /// only if they had not been shipped. False if it was refunded before.
    pub fn refund_order(&self, number: &str, now: i64) -> Result<bool> {
        let Some(before) = self.order(number)? else {
            return Ok(false);
        };
        let changed = self
            .tx
            .prepare_cached(
                "UPDATE orders SET refunded_at = ?2, status = 'cancelled', status_at = ?2
                 WHERE number = ?1 AND refunded_at IS NULL",
            )?
            .execute(params![number, now])?;
        if changed == 0 {
            return Ok(false);
        }
        if matches!(
            before.status,
            super::OrderStatus::New | super::OrderStatus::Paid
        ) {
            let mut give_back = self
                .tx
                .prepare_cached("UPDATE stock SET qty = qty + ?2 WHERE key = ?1")?;
            for line in &before.lines {
                let key = crate::shop::stock_key(&line.product_id, line.variant.as_deref());
                give_back.execute(params![key, line.qty])?;
            }
        }
        release_codes(&self.tx, number)?;
        Ok(true)
    }

    /// When an order was refunded (unix seconds), if it was.
    pub fn refunded_at(&self, number: &str) -> Result<Option<i64>> {
        Ok(self
            .tx
            .prepare_cached("SELECT refunded_at FROM orders WHERE number = ?1")?
            .query_row([number], |r| r.get(0))
            .optional()?
            .flatten())
    }

    /// The order's payment reference (Telegram's charge id), if it was paid on the platform.
    pub fn payment_ref(&self, number: &str) -> Result<Option<String>> {
        Ok(self
            .tx
            .prepare_cached("SELECT payment_ref FROM orders WHERE number = ?1")?
            .query_row([number], |r| r.get(0))
            .optional()?
            .flatten())
    }
}

fn codes_in(conn: &Connection, number: &str, states: &str) -> Result<Vec<OrderCode>> {
    let sql = format!(
        "SELECT product, code FROM digital_codes WHERE order_number = ?1 AND state IN {states}
         ORDER BY id"
    );
    let codes = conn
        .prepare_cached(&sql)?
        .query_map([number], |r| {
            Ok(OrderCode {
                product: r.get(0)?,
                code: r.get(1)?,
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    Ok(codes)
}
