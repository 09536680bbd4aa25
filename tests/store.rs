//! The durable store, on real database files.

#[path = "store/support.rs"]
mod support;

use std::sync::Barrier;

use shopbot::channel::Channel;
use shopbot::shop::Money;
use shopbot::store::{OrderStatus, PlaceOutcome, SCHEMA_VERSION, Store, StoreError, Tx};
use support::{assert_integrity, count, db, line, order, place, raw, stock, synced, user_version};

#[test]
fn reopening_keeps_data_and_schema_version() {
    let (_dir, path) = db();
    {
        let mut store = synced(&path, &[("mug", 3)]);
        store
            .write(|tx| tx.save_session(Channel::Telegram, "42", r#"{"step":"cart"}"#, 10))
            .expect("save");
    }
    assert_eq!(user_version(&path), SCHEMA_VERSION);
    let mut store = Store::open(&path).expect("reopen");
    assert_eq!(user_version(&path), SCHEMA_VERSION);
    assert_eq!(stock(&store, "mug"), Some(3));
    let data = store
        .write(|tx| tx.load_session(Channel::Telegram, "42"))
        .expect("load");
    assert_eq!(data.as_deref(), Some(r#"{"step":"cart"}"#));
    let mode: String = raw(&path)
        .pragma_query_value(None, "journal_mode", |r| r.get(0))
        .expect("journal_mode");
    assert_eq!(mode, "wal");
    assert_integrity(&path);
}

#[test]
fn a_database_from_a_newer_build_is_refused() {
    let (_dir, path) = db();
    drop(Store::open(&path).expect("open"));
    raw(&path)
        .pragma_update(None, "user_version", SCHEMA_VERSION + 1)
        .expect("bump version");
    match Store::open(&path) {
        Err(StoreError::TooNew { found, known, .. }) => {
            assert_eq!((found, known), (SCHEMA_VERSION + 1, SCHEMA_VERSION));
        }
        Err(other) => panic!("expected TooNew, got {other}"),
        Ok(_) => panic!("expected TooNew, the database opened"),
    }
    assert_eq!(user_version(&path), SCHEMA_VERSION + 1, "left untouched");
}

#[test]
fn sessions_save_load_and_overwrite() {
    let (_dir, path) = db();
    let mut store = Store::open(&path).expect("open");
    store
        .write(|tx| {
            assert_eq!(tx.load_session(Channel::Telegram, "1")?, None);
            tx.save_session(Channel::Telegram, "1", r#"{"v":1}"#, 1)?;
            tx.save_session(Channel::Matrix, "1", r#"{"v":"m"}"#, 1)?;
            tx.save_session(Channel::Telegram, "1", r#"{"v":2}"#, 2)
        })
        .expect("write");
    let (tg, mx) = store
        .write(|tx| {
            Ok((
                tx.load_session(Channel::Telegram, "1")?,
                tx.load_session(Channel::Matrix, "1")?,
            ))
        })
        .expect("read");
    assert_eq!(tg.as_deref(), Some(r#"{"v":2}"#));
    assert_eq!(mx.as_deref(), Some(r#"{"v":"m"}"#));
    assert_eq!(count(&path, "sessions"), 2);
}

#[test]
fn write_rolls_back_when_the_closure_fails() {
    let (_dir, path) = db();
    let mut store = Store::open(&path).expect("open");
    let failed = store.write(|tx| {
        tx.save_session(Channel::Telegram, "1", "{}", 1)?;
        tx.push_outbox(Channel::Telegram, "1", "{}", 1, &[])?;
        Err::<(), _>(StoreError::Corrupt {
            what: "test".to_owned(),
            detail: "forced".to_owned(),
        })
    });
    assert!(failed.is_err());
    assert_eq!(count(&path, "sessions"), 0);
    assert_eq!(count(&path, "outbox"), 0);
}

#[test]
fn inbox_dedupes_events_per_channel() {
    let (_dir, path) = db();
    let mut store = Store::open(&path).expect("open");
    let first = store
        .write(|tx| {
            let seen = tx.inbox_seen(Channel::Telegram, "update-7")?;
            tx.inbox_record(Channel::Telegram, "9", "update-7", 5)?;
            Ok(seen)
        })
        .expect("first");
    assert!(!first);
    let (again, other) = store
        .write(|tx| {
            tx.inbox_record(Channel::Telegram, "9", "update-7", 6)?; // recording twice is harmless
            Ok((
                tx.inbox_seen(Channel::Telegram, "update-7")?,
                tx.inbox_seen(Channel::Matrix, "update-7")?,
            ))
        })
        .expect("second");
    assert!(again);
    assert!(!other);
    assert_eq!(count(&path, "inbox"), 1);
}

#[test]
fn stock_sync_inserts_keeps_live_qty_and_restocks() {
    let (_dir, path) = db();
    let mut store = synced(&path, &[("mug", 5), ("tee/m", 2)]);
    assert_eq!(stock(&store, "mug"), Some(5));
    assert_eq!(stock(&store, "tee/m"), Some(2));

    let sold = order("k1", "1", vec![line("mug", None, 1000, 2)]);
    assert!(matches!(
        place(&mut store, &sold),
        PlaceOutcome::Placed { .. }
    ));
    assert_eq!(stock(&store, "mug"), Some(3));

    // Restart with the same file: the sale is not undone; a new key appears.
    let pairs = [
        ("mug".to_owned(), 5),
        ("tee/m".to_owned(), 2),
        ("tee/l".to_owned(), 4),
    ];
    store.sync_stock(&pairs).expect("sync unchanged");
    assert_eq!(stock(&store, "mug"), Some(3));
    assert_eq!(stock(&store, "tee/l"), Some(4));

    // The seller restocked in shop.toml: the live quantity follows the file.
    let pairs = [
        ("mug".to_owned(), 8),
        ("tee/m".to_owned(), 2),
        ("tee/l".to_owned(), 4),
    ];
    store.sync_stock(&pairs).expect("sync restocked");
    assert_eq!(stock(&store, "mug"), Some(8));
    store.sync_stock(&pairs).expect("sync again");
    assert_eq!(stock(&store, "mug"), Some(8));
}

#[test]
fn placing_an_order_decrements_stock_and_stores_everything() {
    let (_dir, path) = db();
    let mut store = synced(&path, &[("mug", 5), ("tee/m", 3)]);
    let new = order(
        "checkout-1",
        "42",
        vec![line("mug", None, 1250, 2), line("tee", Some("m"), 1999, 1)],
    );
    let PlaceOutcome::Placed { order_id, number } = place(&mut store, &new) else {
        panic!("expected Placed");
    };
    assert_eq!(number, (1000 + order_id).to_string());
    assert_eq!(stock(&store, "mug"), Some(3));
    assert_eq!(stock(&store, "tee/m"), Some(2));

    let orders = store.orders(None).expect("orders");
    assert_eq!(orders.len(), 1);
    let got = &orders[0];
    assert_eq!((got.id, got.number.as_str()), (order_id, number.as_str()));
    assert_eq!(got.status, "new");
    assert_eq!(got.lines, new.lines);
    assert_eq!(got.fields, new.fields);
    assert_eq!(
        (got.subtotal, got.discount, got.delivery_price, got.total),
        (
            Money::from_cents(4499),
            Money::from_cents(100),
            Money::from_cents(500),
            Money::from_cents(4899)
        )
    );
    assert_eq!(got.coupon.as_deref(), Some("HELLO"));
    assert_eq!(
        (got.channel.as_str(), got.chat_id.as_str()),
        ("telegram", "42")
    );
    assert_eq!(got.created_at, 1_700_000_000);
    assert_eq!(store.orders(Some(OrderStatus::New)).expect("new").len(), 1);
    assert!(
        store
            .orders(Some(OrderStatus::Paid))
            .expect("paid")
            .is_empty()
    );
    assert_integrity(&path);
}

#[test]
fn the_same_idempotency_key_places_one_order() {
    let (_dir, path) = db();
    let mut store = synced(&path, &[("mug", 5)]);
    let new = order("checkout-1", "42", vec![line("mug", None, 1000, 1)]);
    let PlaceOutcome::Placed { order_id, number } = place(&mut store, &new) else {
        panic!("expected Placed");
    };
    let mut other = Store::open(&path).expect("second connection");
    assert_eq!(
        place(&mut other, &new),
        PlaceOutcome::AlreadyPlaced { order_id, number }
    );
    assert_eq!(stock(&store, "mug"), Some(4));
    assert_eq!(count(&path, "orders"), 1);
    assert_eq!(count(&path, "order_items"), 1);
}

#[test]
fn a_short_line_sells_nothing() {
    let (_dir, path) = db();
    let mut store = synced(&path, &[("mug", 5), ("tee/m", 1)]);
    let new = order(
        "checkout-1",
        "42",
        vec![
            line("mug", None, 1000, 2),
            line("tee", Some("m"), 2000, 2),
            line("ghost", None, 10, 1), // no stock row at all
        ],
    );
    let outcome = store
        .write(|tx| {
            let outcome = tx.place_order(&new)?;
            // The rest of the transaction still commits.
            tx.push_outbox(Channel::Telegram, "42", r#"{"text":"sold out"}"#, 1, &[])?;
            Ok(outcome)
        })
        .expect("write");
    assert_eq!(
        outcome,
        PlaceOutcome::SoldOut {
            keys: vec!["tee/m".to_owned(), "ghost".to_owned()]
        }
    );
    assert_eq!(stock(&store, "mug"), Some(5));
    assert_eq!(stock(&store, "tee/m"), Some(1));
    assert_eq!(count(&path, "orders"), 0);
    assert_eq!(count(&path, "order_items"), 0);
    assert_eq!(count(&path, "outbox"), 1);
    assert_integrity(&path);
}

#[test]
fn a_hundred_buyers_for_five_mugs() {
    let (_dir, path) = db();
    drop(synced(&path, &[("mug", 5)]));
    let barrier = Barrier::new(100);
    let outcomes: Vec<PlaceOutcome> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..100)
            .map(|i| {
                let (path, barrier) = (&path, &barrier);
                scope.spawn(move || {
                    let new = order(
                        &format!("k{i}"),
                        &i.to_string(),
                        vec![line("mug", None, 1000, 1)],
                    );
                    // All open and buy at once: both steps contend.
                    barrier.wait();
                    let mut store = Store::open(path).expect("open in thread");
                    place(&mut store, &new)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("thread"))
            .collect()
    });
    let placed = outcomes
        .iter()
        .filter(|o| matches!(o, PlaceOutcome::Placed { .. }))
        .count();
    let sold_out = outcomes
        .iter()
        .filter(|o| matches!(o, PlaceOutcome::SoldOut { keys } if keys == &["mug"]))
        .count();
    assert_eq!((placed, sold_out), (5, 95));
    let store = Store::open(&path).expect("open");
    assert_eq!(stock(&store, "mug"), Some(0));
    let orders = store.orders(None).expect("orders");
    assert_eq!(orders.len(), 5);
    let numbers: std::collections::HashSet<_> = orders.iter().map(|o| &o.number).collect();
    assert_eq!(numbers.len(), 5);
    assert_integrity(&path);
}

#[test]
fn the_last_unit_goes_to_one_of_two_connections() {
    let (_dir, path) = db();
    let mut first = synced(&path, &[("mug", 1)]);
    let mut second = Store::open(&path).expect("second");
    let a = place(
        &mut first,
        &order("a", "1", vec![line("mug", None, 1000, 1)]),
    );
    let b = place(
        &mut second,
        &order("b", "2", vec![line("mug", None, 1000, 1)]),
    );
    assert!(matches!(a, PlaceOutcome::Placed { .. }));
    assert!(matches!(b, PlaceOutcome::SoldOut { .. }));
    assert_eq!(stock(&second, "mug"), Some(0));
    assert_eq!(count(&path, "orders"), 1);
}

#[test]
fn many_processes_may_create_the_file_at_once() {
    let (_dir, path) = db();
    let barrier = Barrier::new(100);
    std::thread::scope(|scope| {
        for _ in 0..100 {
            let (path, barrier) = (&path, &barrier);
            scope.spawn(move || {
                barrier.wait();
                Store::open(path).expect("concurrent open");
            });
        }
    });
    assert_eq!(user_version(&path), SCHEMA_VERSION);
    assert_integrity(&path);
}

#[test]
fn customer_orders_are_the_latest_ten() {
    let (_dir, path) = db();
    let mut store = synced(&path, &[("mug", 100)]);
    for i in 0..12 {
        place(
            &mut store,
            &order(&format!("a{i}"), "1", vec![line("mug", None, 100, 1)]),
        );
    }
    place(
        &mut store,
        &order("b", "2", vec![line("mug", None, 100, 1)]),
    );
    let mine = store.orders_of(Channel::Telegram, "1").expect("orders_of");
    assert_eq!(mine.len(), 10);
    assert!(mine.windows(2).all(|w| w[0].id > w[1].id), "newest first");
    assert!(mine.iter().all(|o| o.chat_id == "1"));
    let in_tx = store
        .write(|tx: &Tx<'_>| tx.orders_of(Channel::Telegram, "1"))
        .expect("tx");
    assert_eq!(in_tx, mine);
    assert_eq!(store.orders(None).expect("all").len(), 13);
}

#[test]
fn outbox_keeps_order_and_marks_sent() {
    let (_dir, path) = db();
    let mut store = Store::open(&path).expect("open");
    let ids = store
        .write(|tx| {
            Ok([
                tx.push_outbox(Channel::Telegram, "1", r#"{"n":1}"#, 1, &[])?
                    .id,
                tx.push_outbox(Channel::Matrix, "1", r#"{"n":2}"#, 1, &[])?
                    .id,
                tx.push_outbox(Channel::Telegram, "2", r#"{"n":3}"#, 2, &[])?
                    .id,
                tx.push_outbox(Channel::Telegram, "1", r#"{"n":4}"#, 3, &[])?
                    .id,
            ])
        })
        .expect("push");
    let pending = store
        .pending_outbox(Channel::Telegram, 10)
        .expect("pending");
    let got: Vec<_> = pending.iter().map(|r| r.id).collect();
    assert_eq!(got, [ids[0], ids[2], ids[3]]);
    // Each row has its own random transaction id, kept with it.
    let txns: std::collections::HashSet<_> = pending.iter().map(|r| r.txn.clone()).collect();
    assert_eq!(txns.len(), 3);
    assert!(pending.iter().all(|r| r.txn.len() == 32));
    assert_eq!(
        store.outbox_row(ids[2]).expect("row").expect("exists").txn,
        pending[1].txn
    );
    assert_eq!(pending[1].chat_id, "2");
    assert_eq!(pending[1].payload, r#"{"n":3}"#);
    assert_eq!(
        store
            .pending_outbox(Channel::Telegram, 2)
            .expect("limit")
            .len(),
        2
    );

    store.mark_sent(ids[0], 9).expect("mark");
    let got: Vec<_> = store
        .pending_outbox(Channel::Telegram, 10)
        .expect("pending")
        .iter()
        .map(|r| r.id)
        .collect();
    assert_eq!(got, [ids[2], ids[3]]);
    assert_eq!(
        store
            .pending_outbox(Channel::Matrix, 10)
            .expect("matrix")
            .len(),
        1
    );
    assert_integrity(&path);
}

#[test]
fn unanswered_questions_are_kept() {
    let (_dir, path) = db();
    let mut store = Store::open(&path).expect("open");
    store
        .write(|tx| tx.record_unanswered(Channel::Telegram, "42", "do you ship to Mars?", "en", 4))
        .expect("record");
    assert_eq!(count(&path, "unanswered"), 1);
}

#[test]
fn stock_can_never_go_negative() {
    let (_dir, path) = db();
    drop(synced(&path, &[("mug", 1)]));
    let err = raw(&path).execute("UPDATE stock SET qty = -1 WHERE key = 'mug'", []);
    assert!(err.is_err(), "CHECK (qty >= 0) must reject -1");
    assert_integrity(&path);
}

#[test]
fn corrupted_order_fields_are_an_error_not_a_panic() {
    let (_dir, path) = db();
    let mut store = synced(&path, &[("mug", 1)]);
    place(
        &mut store,
        &order("k", "1", vec![line("mug", None, 100, 1)]),
    );
    raw(&path)
        .execute("UPDATE orders SET fields = '[1, 2]'", [])
        .expect("corrupt");
    assert!(matches!(
        store.orders(None),
        Err(StoreError::Corrupt { .. })
    ));
    raw(&path)
        .execute_batch("UPDATE orders SET fields = '{}'; UPDATE order_items SET qty = 9999999999")
        .expect("corrupt");
    assert!(store.orders_of(Channel::Telegram, "1").is_err());
}

#[test]
fn a_restored_backup_never_gives_a_new_message_an_old_transaction_id() {
    // Row ids repeat after a restore; the same text then must still be a new
    // message for the homeserver, so the transaction id is random, not derived.
    let (dir, path) = db();
    let mut store = Store::open(&path).expect("open");
    let copy = dir.path().join("backup.db");
    shopbot::store::backup(&path, &copy).expect("backup");
    let menu = r#"{"text":"What would you like to do?"}"#;
    let first = store
        .write(|tx| tx.push_outbox(Channel::Matrix, "!room", menu, 1, &[]))
        .expect("push");
    drop(store);
    let mut restored = Store::open(&copy).expect("open the backup");
    let again = restored
        .write(|tx| tx.push_outbox(Channel::Matrix, "!room", menu, 2, &[]))
        .expect("push");
    assert_eq!((again.id, &again.payload), (first.id, &first.payload));
    assert_ne!(again.txn, first.txn);
}

#[test]
fn an_upload_is_kept_per_account_and_forgotten_only_as_it_was() {
    use shopbot::store::MediaKey;
    let (_dir, path) = db();
    let mut store = Store::open(&path).expect("open");
    let key = |account: &str, sha256: &str| MediaKey {
        channel: Channel::Telegram,
        account: account.to_owned(),
        kind: "file_id".to_owned(),
        sha256: sha256.to_owned(),
    };
    let (mine, other_bot) = (key("1", "ab"), key("2", "ab"));
    assert_eq!(store.uploaded(&mine).expect("read"), None);
    store
        .write(|tx| tx.remember_upload(&mine, "id-1", 10))
        .expect("remember");
    assert_eq!(
        store.uploaded(&mine).expect("read").as_deref(),
        Some("id-1")
    );
    assert_eq!(
        store.uploaded(&other_bot).expect("read"),
        None,
        "ids are per bot"
    );
    assert_eq!(
        store.uploaded(&key("1", "cd")).expect("read"),
        None,
        "and per hash"
    );
    // Uploaded again by another sender: a refusal of the old id keeps the new one.
    store
        .write(|tx| tx.remember_upload(&mine, "id-2", 11))
        .expect("replace");
    assert!(
        !store
            .write(|tx| tx.forget_upload(&mine, "id-1"))
            .expect("forget")
    );
    assert_eq!(
        store.uploaded(&mine).expect("read").as_deref(),
        Some("id-2")
    );
    assert!(
        store
            .write(|tx| tx.forget_upload(&mine, "id-2"))
            .expect("forget")
    );
    assert_eq!(store.uploaded(&mine).expect("read"), None);
    drop(store);
    assert_integrity(&path);
}
