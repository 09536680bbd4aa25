//! Many customers at once on one on-disk database, each through its own engine
//! (its own connection), as separate processes would.

mod support;

use std::sync::{Arc, Barrier};
use std::thread;

use shopbot::engine::Engine;
use support::*;

#[test]
fn stock_of_5_and_100_customers_confirming_at_once_gives_5_orders_and_95_sold_out() {
    let db = temp_db();
    // Create the database and its stock once.
    drop(Engine::open(small_shop(), &db.path).unwrap());
    let customers = 100;
    let barrier = Arc::new(Barrier::new(customers));
    let handles: Vec<_> = (0..customers)
        .map(|i| {
            let path = db.path.clone();
            let barrier = Arc::clone(&barrier);
            thread::spawn(move || {
                let mut engine = Engine::open(small_shop(), &path).unwrap();
                let chat = format!("customer{i}");
                to_confirm(&mut engine, &chat, &["add:castle"]);
                barrier.wait();
                text_of(&press(&mut engine, &chat, "confirm"))
            })
        })
        .collect();
    let answers: Vec<String> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    let placed = answers
        .iter()
        .filter(|a| a.contains("Your order number is #"))
        .count();
    let sold_out = answers
        .iter()
        .filter(|a| {
            a.contains(
                "while you were checking out, someone bought the last units of: Knight's Castle",
            )
        })
        .count();
    assert_eq!(placed, 5, "{answers:#?}");
    assert_eq!(sold_out, 95);
    assert_eq!(count(&db.path, "SELECT COUNT(*) FROM orders"), 5);
    assert_eq!(
        count(&db.path, "SELECT qty FROM stock WHERE key = 'castle'"),
        0
    );
    assert_eq!(integrity(&db.path), "ok");
}
