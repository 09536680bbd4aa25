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

#[test]
fn a_group_with_a_failing_middle_write_commits_the_others_and_nothing_of_it() {
    use crate::channel::Channel;
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("shop.db");
    let mut store = Store::open(&path).expect("open");
    store.begin_group().expect("group");
    for n in 0..5 {
        let key = format!("k{n}");
        let written = store.write(|tx| {
            tx.inbox_record(Channel::Telegram, "42", &key, 1)?;
            if n == 2 {
                // Written, then the turn fails: it must leave nothing.
                return Err(super::StoreError::Corrupt {
                    what: "test".into(),
                    detail: "the middle turn fails".into(),
                });
            }
            Ok(())
        });
        assert_eq!(written.is_err(), n == 2);
    }
    // A panicking write inside the group is rolled back alone too.
    let panicked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        store.write(|tx| -> super::Result<()> {
            tx.inbox_record(Channel::Telegram, "42", "panics", 1)?;
            panic!("a poison turn")
        })
    }));
    assert!(panicked.is_err());
    // Not durable before the group commits: another connection sees nothing.
    let other = rusqlite::Connection::open(&path).expect("other");
    let count = |conn: &rusqlite::Connection| -> i64 {
        conn.query_row("SELECT COUNT(*) FROM inbox", [], |r| r.get(0))
            .expect("count")
    };
    assert_eq!(count(&other), 0);
    store.end_group(true).expect("commit");
    let keys: Vec<String> = other
        .prepare("SELECT key FROM inbox ORDER BY key")
        .expect("prepare")
        .query_map([], |r| r.get(0))
        .expect("query")
        .collect::<Result<_, _>>()
        .expect("rows");
    assert_eq!(keys, ["k0", "k1", "k3", "k4"]);
    // After the group, writes are their own transactions again.
    store
        .write(|tx| tx.inbox_record(Channel::Telegram, "42", "after", 1))
        .expect("write");
    assert_eq!(count(&other), 5);
    // A group rolled back leaves nothing.
    store.begin_group().expect("group");
    store
        .write(|tx| tx.inbox_record(Channel::Telegram, "42", "gone", 1))
        .expect("write");
    store.end_group(false).expect("rollback");
    assert_eq!(count(&other), 5);
}
