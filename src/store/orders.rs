//! `orders` and `order_items`: placing orders (stock decrement, idempotency),
//! moving them through their statuses, and reading them back.

use crate::channel::{Channel, ChatKey};
use std::collections::BTreeMap;

use rusqlite::{Connection, OptionalExtension, Row, params};
use serde::{Deserialize, Serialize};

use super::{OrderStatus, Result, Store, StoreError, Tx};
use crate::shop::{Money, stock_key};

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
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NewOrder {
    /// Unique per checkout: placing the same key twice gives the first order back.
    pub idempotency_key: String,
    pub channel: Channel,
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
    /// What it costs in Telegram Stars, when it is paid with Stars (`XTR`).
    pub stars: Option<u32>,
    /// Checkout answers by field id (name, phone, address, …).
    pub fields: BTreeMap<String, String>,
    pub language: String,
    /// Unix seconds.
    pub created_at: i64,
}

/// What placing an order did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PlaceOutcome {
    Placed {
        order_id: i64,
        number: String,
    },
    /// The idempotency key was used before: that order.
    AlreadyPlaced {
        order_id: i64,
        number: String,
    },
    /// Not enough stock for these stock keys; nothing was written.
    SoldOut {
        keys: Vec<String>,
    },
}

/// A stored order: what was placed (every field of [`NewOrder`], reached
/// through `Deref`), its number and where it stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Order {
    pub id: i64,
    pub number: String,
    pub status: OrderStatus,
    /// The parcel's tracking reference, once shipped.
    pub tracking: Option<String>,
    #[serde(flatten)]
    pub placed: NewOrder,
}

impl std::ops::Deref for Order {
    type Target = NewOrder;
    fn deref(&self) -> &NewOrder {
        &self.placed
    }
}

impl Order {
    /// The customer's chat.
    pub fn key(&self) -> ChatKey {
        ChatKey::new(self.channel, self.chat_id.clone())
    }

    /// Whether its customer erased their data (`/forget`): the order stays for the
    /// seller's accounts, but there is nobody to tell about it any more.
    pub fn customer_forgotten(&self) -> bool {
        self.chat_id.starts_with(FORGOTTEN)
    }
}

/// How an anonymised order's chat begins (followed by random hex).
pub const FORGOTTEN: &str = "forgotten-";

impl Store {
    /// Every order, newest first, optionally only those with `status`.
    pub fn orders(&self, status: Option<OrderStatus>) -> Result<Vec<Order>> {
        self.read(|conn| list(conn, status))
    }

    /// The customer's latest 10 orders, newest first.
    pub fn orders_of(&self, channel: Channel, chat_id: &str) -> Result<Vec<Order>> {
        self.read(|conn| of_customer(conn, channel, chat_id))
    }

    /// One order by its number.
    pub fn order(&self, number: &str) -> Result<Option<Order>> {
        self.read(|conn| by_number(conn, number))
    }
}

impl Tx<'_> {
    /// Places an order unless its idempotency key was used before or stock is short.
    ///
    /// On [`PlaceOutcome::SoldOut`] nothing was written (the rest of this
    /// transaction is untouched and may still be committed).
    pub fn place_order(&self, order: &NewOrder) -> Result<PlaceOutcome> {
        let conn: &Connection = &self.tx;
        if let Some((order_id, number)) = find_by_key(conn, &order.idempotency_key)? {
            return Ok(PlaceOutcome::AlreadyPlaced { order_id, number });
        }
        // A savepoint lets a sold-out (or failed) attempt undo its own stock
        // decrements while leaving the rest of the caller's transaction alone.
        conn.execute_batch("SAVEPOINT place_order")?;
        match decrement_and_insert(conn, order) {
            Ok(placed @ PlaceOutcome::Placed { .. }) => {
                conn.execute_batch("RELEASE place_order")?;
                Ok(placed)
            }
            other => {
                let undone = conn.execute_batch("ROLLBACK TO place_order; RELEASE place_order");
                // Report the original error if there was one, else a failed undo.
                let outcome = other?;
                undone?;
                Ok(outcome)
            }
        }
    }

    /// Every order, newest first, optionally only those with `status`.
    pub fn orders(&self, status: Option<OrderStatus>) -> Result<Vec<Order>> {
        list(&self.tx, status)
    }

    /// The customer's latest 10 orders, newest first.
    pub fn orders_of(&self, channel: Channel, chat_id: &str) -> Result<Vec<Order>> {
        of_customer(&self.tx, channel, chat_id)
    }

    /// How many orders the customer placed in all.
    pub fn order_count_of(&self, channel: Channel, chat_id: &str) -> Result<usize> {
        let n: i64 = self.tx.query_row(
            "SELECT COUNT(*) FROM orders WHERE channel = ?1 AND chat_id = ?2",
            params![channel, chat_id],
            |r| r.get(0),
        )?;
        Ok(usize::try_from(n).unwrap_or(0))
    }

    /// One order by its number.
    pub fn order(&self, number: &str) -> Result<Option<Order>> {
        by_number(&self.tx, number)
    }

    /// Marks a new order paid, with the payment's reference; false if it was not `new`
    /// (paid before, cancelled…: see [`OrderStatus::awaits_payment`]).
    pub fn mark_paid(&self, number: &str, reference: &str) -> Result<bool> {
        let changed = self
            .tx
            .prepare_cached(
                "UPDATE orders SET status = ?3, payment_ref = ?2
                 WHERE number = ?1 AND status = ?4",
            )?
            .execute(rusqlite::params![
                number,
                reference,
                OrderStatus::Paid,
                OrderStatus::New
            ])?;
        Ok(changed == 1)
    }

    /// Moves an order to `status` (with an optional tracking reference) if
    /// [`OrderStatus::can_become`] allows it; a cancelled order's stock is returned. Returns
    /// the order as it was before, or `None` if there is no such order.
    pub fn set_order_status(
        &self,
        number: &str,
        status: OrderStatus,
        tracking: Option<&str>,
        now: i64,
    ) -> Result<Option<Order>> {
        let conn: &Connection = &self.tx;
        let Some(before) = by_number(conn, number)? else {
            return Ok(None);
        };
        if !before.status.can_become(status) {
            return Ok(Some(before));
        }
        conn.prepare_cached(
            "UPDATE orders SET status = ?2, tracking = COALESCE(?3, tracking), status_at = ?4
             WHERE id = ?1",
        )?
        .execute(rusqlite::params![before.id, status, tracking, now])?;
        if status.returns_stock() {
            let mut give_back =
                conn.prepare_cached("UPDATE stock SET qty = qty + ?2 WHERE key = ?1")?;
            for line in &before.lines {
                let key = crate::shop::stock_key(&line.product_id, line.variant.as_deref());
                give_back.execute(rusqlite::params![key, line.qty])?;
            }
            super::digital::release_codes(conn, number)?;
        }
        Ok(Some(before))
    }

    /// Orders delivered in `[from, to]` whose customer is still known: (number,
    /// customer).
    pub fn delivered_between(&self, from: i64, to: i64) -> Result<Vec<(String, ChatKey)>> {
        let mut stmt = self.tx.prepare_cached(
            "SELECT number, channel, chat_id FROM orders
             WHERE status = ?4 AND status_at >= ?1 AND status_at <= ?2
               AND NOT chat_id LIKE ?3 || '%' ORDER BY id",
        )?;
        let rows = stmt
            .query_map(params![from, to, FORGOTTEN, OrderStatus::Delivered], |r| {
                Ok((r.get(0)?, ChatKey::new(r.get(1)?, r.get::<_, String>(2)?)))
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }
}

/// Order numbers shown to customers start here (`1001`, `1002`, …).
const NUMBER_BASE: i64 = 1000;

/// How many orders `of_customer` returns.
const CUSTOMER_ORDERS: i64 = 10;

fn find_by_key(conn: &Connection, key: &str) -> Result<Option<(i64, String)>> {
    Ok(conn
        .prepare_cached("SELECT id, number FROM orders WHERE idempotency_key = ?1")?
        .query_row([key], |row| Ok((row.get(0)?, row.get(1)?)))
        .optional()?)
}

/// Decrements stock for every line, then writes the order if none was short.
/// On `SoldOut` the caller rolls back to the savepoint.
fn decrement_and_insert(conn: &Connection, order: &NewOrder) -> Result<PlaceOutcome> {
    let mut take =
        conn.prepare_cached("UPDATE stock SET qty = qty - ?2 WHERE key = ?1 AND qty >= ?2")?;
    let mut short: Vec<String> = Vec::new();
    for line in &order.lines {
        let key = stock_key(&line.product_id, line.variant.as_deref());
        // A missing stock row changes nothing, so it counts as no stock.
        if take.execute(params![key, i64::from(line.qty)])? == 0 && !short.contains(&key) {
            short.push(key);
        }
    }
    if !short.is_empty() {
        return Ok(PlaceOutcome::SoldOut { keys: short });
    }

    let fields = serde_json::to_string(&order.fields)?;
    let order_id: i64 = conn
        .prepare_cached(
            "INSERT INTO orders (idempotency_key, channel, chat_id, subtotal, discount,
                 delivery_price, total, currency, coupon, delivery_id, payment_id, fields,
                 language, created_at, stars)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)
             RETURNING id",
        )?
        .query_row(
            params![
                order.idempotency_key,
                order.channel,
                order.chat_id,
                order.subtotal.cents(),
                order.discount.cents(),
                order.delivery_price.cents(),
                order.total.cents(),
                order.currency,
                order.coupon,
                order.delivery_id,
                order.payment_id,
                fields,
                order.language,
                order.created_at,
                order.stars,
            ],
            |row| row.get(0),
        )?;
    let number = (NUMBER_BASE + order_id).to_string();
    conn.prepare_cached("UPDATE orders SET number = ?2 WHERE id = ?1")?
        .execute(params![order_id, number])?;

    let mut insert_line = conn.prepare_cached(
        "INSERT INTO order_items (order_id, line, product_id, variant, name, unit_price, qty)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?;
    for (index, line) in order.lines.iter().enumerate() {
        let index = i64::try_from(index).unwrap_or(i64::MAX);
        insert_line.execute(params![
            order_id,
            index,
            line.product_id,
            line.variant,
            line.name,
            line.unit_price.cents(),
            i64::from(line.qty),
        ])?;
    }
    // Codes from a pool are set aside for the order as its stock is taken.
    let short = super::digital::reserve_codes(conn, &number, &order.lines)?;
    if !short.is_empty() {
        return Ok(PlaceOutcome::SoldOut { keys: short });
    }
    Ok(PlaceOutcome::Placed { order_id, number })
}

const ORDER_COLUMNS: &str = "id, number, channel, chat_id, status, subtotal, discount, \
     delivery_price, total, currency, coupon, delivery_id, payment_id, fields, created_at, tracking, \
     idempotency_key, language, stars";

/// Every order, newest first, optionally only those with `status`.
fn list(conn: &Connection, status: Option<OrderStatus>) -> Result<Vec<Order>> {
    match status {
        Some(status) => query_orders(
            conn,
            &format!("SELECT {ORDER_COLUMNS} FROM orders WHERE status = ?1 ORDER BY id DESC"),
            &[&status],
        ),
        None => query_orders(
            conn,
            &format!("SELECT {ORDER_COLUMNS} FROM orders ORDER BY id DESC"),
            &[],
        ),
    }
}

/// The customer's latest orders, newest first.
fn of_customer(conn: &Connection, channel: Channel, chat_id: &str) -> Result<Vec<Order>> {
    query_orders(
        conn,
        &format!(
            "SELECT {ORDER_COLUMNS} FROM orders WHERE channel = ?1 AND chat_id = ?2
             ORDER BY id DESC LIMIT ?3"
        ),
        &[&channel, &chat_id, &CUSTOMER_ORDERS],
    )
}

/// One order by its number.
fn by_number(conn: &Connection, number: &str) -> Result<Option<Order>> {
    Ok(query_orders(
        conn,
        &format!("SELECT {ORDER_COLUMNS} FROM orders WHERE number = ?1"),
        &[&number],
    )?
    .pop())
}

fn query_orders(
    conn: &Connection,
    sql: &str,
    params: &[&dyn rusqlite::ToSql],
) -> Result<Vec<Order>> {
    let mut stmt = conn.prepare_cached(sql)?;
    let rows = stmt
        .query_map(params, order_row)?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    rows.into_iter()
        .map(|(mut order, fields)| {
            order.placed.fields = parse_fields(order.id, &fields)?;
            order.placed.lines = lines_of(conn, order.id)?;
            Ok(order)
        })
        .collect()
}

/// One `orders` row; the `fields` JSON is returned unparsed, lines are empty.
fn order_row(row: &Row<'_>) -> rusqlite::Result<(Order, String)> {
    let order = Order {
        id: row.get(0)?,
        number: row.get(1)?,
        status: row.get(4)?,
        tracking: row.get(15)?,
        placed: NewOrder {
            idempotency_key: row.get(16)?,
            channel: row.get(2)?,
            chat_id: row.get(3)?,
            lines: Vec::new(),
            subtotal: row.get(5)?,
            discount: row.get(6)?,
            delivery_price: row.get(7)?,
            total: row.get(8)?,
            currency: row.get(9)?,
            coupon: row.get(10)?,
            delivery_id: row.get(11)?,
            payment_id: row.get(12)?,
            stars: row.get(18)?,
            fields: BTreeMap::new(),
            language: row.get(17)?,
            created_at: row.get(14)?,
        },
    };
    Ok((order, row.get(13)?))
}

fn parse_fields(order_id: i64, json: &str) -> Result<BTreeMap<String, String>> {
    serde_json::from_str(json).map_err(|err| StoreError::Corrupt {
        what: format!("fields of order {order_id}"),
        detail: err.to_string(),
    })
}

fn lines_of(conn: &Connection, order_id: i64) -> Result<Vec<OrderLine>> {
    let mut stmt = conn.prepare_cached(
        "SELECT product_id, variant, name, unit_price, qty FROM order_items
         WHERE order_id = ?1 ORDER BY line",
    )?;
    let lines = stmt
        .query_map([order_id], |row| {
            Ok(OrderLine {
                product_id: row.get(0)?,
                variant: row.get(1)?,
                name: row.get(2)?,
                unit_price: row.get(3)?,
                // Out-of-range values are an error from rusqlite, not a wrap.
                qty: row.get(4)?,
            })
        })?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(lines)
}
