//! Connection settings, which only the store's own connection can show.

use super::{BUSY_TIMEOUT, Store};

fn pragma(store: &Store, name: &str) -> i64 {
    store
        .conn
        .pragma_query_value(None, name, |row| row.get(0))
        .expect("pragma")
}

#[test]
fn every_connection_is_durable_and_checks_foreign_keys() {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = Store::open(&dir.path().join("shop.db")).expect("open");
    assert_eq!(pragma(&store, "synchronous"), 2, "FULL");
    assert_eq!(pragma(&store, "foreign_keys"), 1);
    let timeout = i64::try_from(BUSY_TIMEOUT.as_millis()).expect("small");
    assert_eq!(pragma(&store, "busy_timeout"), timeout);
    let mode: String = store
        .conn
        .pragma_query_value(None, "journal_mode", |row| row.get(0))
        .expect("journal_mode");
    assert_eq!(mode, "wal");
}

#[test]
fn an_order_line_cannot_point_to_a_missing_order() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut store = Store::open(&dir.path().join("shop.db")).expect("open");
    let inserted = store.write(|tx| {
        tx.tx.execute(
            "INSERT INTO order_items (order_id, line, product_id, name, unit_price, qty)
             VALUES (999, 0, 'mug', 'Mug', 100, 1)",
            [],
        )?;
        Ok(())
    });
    assert!(inserted.is_err(), "foreign key enforced");
}
