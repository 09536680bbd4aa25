//! Helpers for the store tests: temp databases, raw inspection, sample orders.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use shopbot::channel::Channel;
use shopbot::shop::Money;
use shopbot::store::{NewOrder, OrderLine, PlaceOutcome, Store};
use tempfile::TempDir;

pub fn db() -> (TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("shop.db");
    (dir, path)
}

pub fn raw(path: &Path) -> rusqlite::Connection {
    rusqlite::Connection::open(path).expect("raw connection")
}

pub fn user_version(path: &Path) -> i64 {
    raw(path)
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .expect("user_version")
}

pub fn assert_integrity(path: &Path) {
    let result: String = raw(path)
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .expect("integrity_check");
    assert_eq!(result, "ok");
}

pub fn count(path: &Path, table: &str) -> i64 {
    raw(path)
        .query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))
        .expect("count")
}

pub fn line(product: &str, variant: Option<&str>, price: i64, qty: u32) -> OrderLine {
    OrderLine {
        product_id: product.to_owned(),
        variant: variant.map(str::to_owned),
        name: format!("{product} {}", variant.unwrap_or(""))
            .trim()
            .to_owned(),
        unit_price: Money::from_cents(price),
        qty,
    }
}

pub fn order(key: &str, chat_id: &str, lines: Vec<OrderLine>) -> NewOrder {
    let subtotal = lines.iter().map(|l| l.unit_price.times(l.qty)).sum();
    NewOrder {
        idempotency_key: key.to_owned(),
        channel: Channel::Telegram,
        chat_id: chat_id.to_owned(),
        lines,
        subtotal,
        discount: Money::from_cents(100),
        delivery_price: Money::from_cents(500),
        total: subtotal - Money::from_cents(100) + Money::from_cents(500),
        currency: "EUR".to_owned(),
        coupon: Some("HELLO".to_owned()),
        delivery_id: "courier".to_owned(),
        payment_id: "cash".to_owned(),
        stars: None,
        fields: BTreeMap::from([
            ("name".to_owned(), "Ana Pop".to_owned()),
            ("phone".to_owned(), "+40 700 000 000".to_owned()),
        ]),
        language: "en".to_owned(),
        created_at: 1_700_000_000,
    }
}

pub fn stock(store: &Store, key: &str) -> Option<i64> {
    store.stock_levels().expect("stock").0.get(key).copied()
}

pub fn place(store: &mut Store, new: &NewOrder) -> PlaceOutcome {
    store.write(|tx| tx.place_order(new)).expect("place order")
}

pub fn synced(path: &Path, pairs: &[(&str, i64)]) -> Store {
    let mut store = Store::open(path).expect("open");
    let pairs: Vec<(String, i64)> = pairs.iter().map(|(k, q)| ((*k).to_owned(), *q)).collect();
    store.sync_stock(&pairs).expect("sync");
    store
}
