//! `stock`: the live quantity of each stock key, aligned with the shop file.
//! (Placing and cancelling an order move stock too: see `orders.rs`.)

use std::collections::HashMap;

use rusqlite::{Connection, params};

use super::{Result, Store, Tx};
use crate::shop::StockLevels;

impl Store {
    /// Aligns the stock table with the shop file's (stock key, quantity) pairs.
    ///
    /// A new key starts at its configured quantity; a key whose configured
    /// quantity changed (the seller edited the file) is reset to it; any other
    /// key keeps its live quantity, so sales are not undone by a restart.
    pub fn sync_stock(&mut self, configured: &[(String, i64)]) -> Result<()> {
        self.write(|tx| {
            let mut upsert = tx.tx.prepare_cached(
                "INSERT INTO stock (key, qty, configured) VALUES (?1, ?2, ?2)
                 ON CONFLICT (key) DO UPDATE
                 SET qty = excluded.configured, configured = excluded.configured
                 WHERE stock.configured <> excluded.configured",
            )?;
            for (key, qty) in configured {
                upsert.execute(params![key, qty])?;
            }
            Ok(())
        })
    }

    pub fn stock_levels(&self) -> Result<StockLevels> {
        self.read(levels)
    }

    /// Sets stock keys' live and configured quantities at once, in one
    /// transaction: `shopbot import` made each the shop file's new stock, so
    /// the spreadsheet's number is the stock now and a later start or
    /// `/reload` keeps it.
    pub fn set_imported_stock(&mut self, stock: &[(String, i64)]) -> Result<()> {
        self.write(|tx| {
            let mut upsert = tx.tx.prepare_cached(
                "INSERT INTO stock (key, qty, configured) VALUES (?1, ?2, ?2)
                 ON CONFLICT (key) DO UPDATE
                 SET qty = excluded.qty, configured = excluded.configured",
            )?;
            for (key, qty) in stock {
                upsert.execute(params![key, qty])?;
            }
            Ok(())
        })
    }
}

impl Tx<'_> {
    pub fn stock_levels(&self) -> Result<StockLevels> {
        levels(&self.tx)
    }

    /// Sets the live stock of a stock key; false if the key is unknown.
    pub fn set_stock(&self, key: &str, qty: i64) -> Result<bool> {
        let changed = self
            .tx
            .prepare_cached("UPDATE stock SET qty = ?2 WHERE key = ?1")?
            .execute(params![key, qty])?;
        Ok(changed == 1)
    }
}

/// Every stock key's live quantity ([`Store::stock_levels`], [`Tx::stock_levels`]).
fn levels(conn: &Connection) -> Result<StockLevels> {
    let mut stmt = conn.prepare_cached("SELECT key, qty FROM stock")?;
    let levels = stmt
        .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))?
        .collect::<rusqlite::Result<HashMap<String, i64>>>()?;
    Ok(StockLevels(levels))
}
