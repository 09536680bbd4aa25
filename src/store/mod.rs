//! The durable store: SQLite on disk, one writer, `BEGIN IMMEDIATE` for writes.
//! (Stub with the agreed API: replaced by the full store.)
#![allow(clippy::unused_self, clippy::needless_pass_by_value, unused_variables)]

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::shop::{Money, StockLevels};

/// Errors of the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("the database {path} was written by a newer shopbot (schema {found}, this one knows {known})")]
    TooNew { path: String, found: i64, known: i64 },
}

pub type Result<T> = std::result::Result<T, StoreError>;

/// One order line, with the price at order time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderLine {
    pub product_id: String,
    pub variant: Option<String>,
    /// Name as shown to the customer at order time (with the variant).
    pub name: String,
    pub unit_price: Money,
    pub qty: u32,
}

/// An order about to be placed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewOrder {
    /// Unique per checkout: placing the same key twice gives the first order back.
    pub idempotency_key: String,
    pub channel: String,
    pub chat_id: String,
    pub lines: Vec<OrderLine>,
    pub subtotal: Money,
    pub discount: Money,
    pub delivery_price: Money,
    pub total: Money,
    pub currency: String,
    pub coupon: Option<String>,
    pub delivery_id: String,
    pub payment_id: String,
    /// Checkout answers by field id (name, phone, address, …).
    pub fields: BTreeMap<String, String>,
    pub language: String,
    /// Unix seconds.
    pub created_at: i64,
}

/// What placing an order did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PlaceOutcome {
    Placed { order_id: i64, number: String },
    /// The idempotency key was used before: that order.
    AlreadyPlaced { order_id: i64, number: String },
    /// Not enough stock for these stock keys; nothing was written.
    SoldOut { keys: Vec<String> },
}

/// A stored order, for listings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Order {
    pub id: i64,
    pub number: String,
    pub channel: String,
    pub chat_id: String,
    pub status: String,
    pub lines: Vec<OrderLine>,
    pub subtotal: Money,
    pub discount: Money,
    pub delivery_price: Money,
    pub total: Money,
    pub currency: String,
    pub coupon: Option<String>,
    pub delivery_id: String,
    pub payment_id: String,
    pub fields: BTreeMap<String, String>,
    pub created_at: i64,
}

/// A message waiting in the outbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxRow {
    pub id: i64,
    pub channel: String,
    pub chat_id: String,
    /// JSON of the reply.
    pub payload: String,
}

/// The database.
pub struct Store {
    conn: rusqlite::Connection,
}

/// One write transaction (`BEGIN IMMEDIATE`).
pub struct Tx<'a> {
    tx: rusqlite::Transaction<'a>,
}

impl Store {
    pub fn open(path: &Path) -> Result<Self> {
        unimplemented!()
    }
    pub fn write<T, E: From<StoreError>>(
        &mut self,
        f: impl FnOnce(&Tx<'_>) -> std::result::Result<T, E>,
    ) -> std::result::Result<T, E> {
        unimplemented!()
    }
    pub fn sync_stock(&mut self, configured: &[(String, i64)]) -> Result<()> {
        unimplemented!()
    }
    pub fn stock_levels(&self) -> Result<StockLevels> {
        unimplemented!()
    }
    pub fn orders(&self, status: Option<&str>) -> Result<Vec<Order>> {
        unimplemented!()
    }
    pub fn orders_of(&self, channel: &str, chat_id: &str) -> Result<Vec<Order>> {
        unimplemented!()
    }
    pub fn pending_outbox(&self, channel: &str, limit: usize) -> Result<Vec<OutboxRow>> {
        unimplemented!()
    }
    pub fn mark_sent(&mut self, id: i64, now: i64) -> Result<()> {
        unimplemented!()
    }
}

impl Tx<'_> {
    pub fn inbox_seen(&self, channel: &str, key: &str) -> Result<bool> {
        unimplemented!()
    }
    pub fn inbox_record(&self, channel: &str, key: &str, now: i64) -> Result<()> {
        unimplemented!()
    }
    pub fn load_session(&self, channel: &str, chat_id: &str) -> Result<Option<String>> {
        unimplemented!()
    }
    pub fn save_session(&self, channel: &str, chat_id: &str, data: &str, now: i64) -> Result<()> {
        unimplemented!()
    }
    pub fn place_order(&self, order: &NewOrder) -> Result<PlaceOutcome> {
        unimplemented!()
    }
    pub fn orders_of(&self, channel: &str, chat_id: &str) -> Result<Vec<Order>> {
        unimplemented!()
    }
    pub fn stock_levels(&self) -> Result<StockLevels> {
        unimplemented!()
    }
    pub fn push_outbox(&self, channel: &str, chat_id: &str, payload: &str, now: i64) -> Result<i64> {
        unimplemented!()
    }
    pub fn record_unanswered(&self, channel: &str, text: &str, lang: &str, now: i64) -> Result<()> {
        unimplemented!()
    }
}
