//! The real `shopbot run` under faults: duplicate updates, 429s and 5xx, a
//! customer who blocked the bot, and kill -9 during many concurrent checkouts.

#[path = "support/bot_process.rs"]
mod bot_process;
mod fake_telegram;
#[path = "support/process.rs"]
mod process;

use std::collections::BTreeSet;
use std::path::Path;
use std::time::{Duration, Instant};

use bot_process::{BotProcess, Shopper, copy_shop, settle};
use fake_telegram::{FakeTelegram, Fault};

fn rows(db: &Path, sql: &str) -> Vec<String> {
    let conn = rusqlite::Connection::open(db).expect("open db");
    let mut stmt = conn.prepare(sql).expect("prepare");
    stmt.query_map([], |r| r.get::<_, String>(0))
        .expect("query")
        .collect::<Result<_, _>>()
        .expect("rows")
}

fn count(db: &Path, sql: &str) -> i64 {
    let conn = rusqlite::Connection::open(db).expect("open db");
    conn.query_row(sql, [], |r| r.get(0)).expect("query")
}

/// Everything that matters in a shop database, without times and random ids.
fn essence(db: &Path) -> Vec<String> {
    let mut out = Vec::new();
    out.extend(rows(db, "SELECT number || '|' || chat_id || '|' || status || '|' || total || '|' || fields FROM orders ORDER BY id"));
    out.extend(rows(db, "SELECT order_id || '|' || line || '|' || product_id || '|' || qty || '|' || unit_price FROM order_items ORDER BY order_id, line"));
    out.extend(rows(db, "SELECT key || '=' || qty FROM stock ORDER BY key"));
    out.extend(rows(
        db,
        "SELECT chat_id || '|' || json_remove(data, '$.id') FROM sessions ORDER BY chat_id",
    ));
    out.push(format!(
        "outbox {}",
        count(db, "SELECT COUNT(*) FROM outbox")
    ));
    out.push(format!("inbox {}", count(db, "SELECT COUNT(*) FROM inbox")));
    out
}

/// One customer's whole purchase, with buttons, on the small shop.
async fn purchase(shopper: &Shopper<'_>) -> Vec<String> {
    let mut presses = Vec::new();
    shopper.say("/start").await;
    for label in [
        "Browse the catalog",
        "Cars",
        "Race Car",
        "Add to cart",
        "Checkout",
        "Pick up in the shop",
    ] {
        presses.push(shopper.customer.press_button(label).expect(label));
        settle(shopper.fake, &shopper.db).await;
    }
    shopper.say("Ana Pop").await;
    shopper.say("600 123 456").await;
    for label in ["Skip", "No, thanks", "Cash on delivery", "Confirm order"] {
        presses.push(shopper.customer.press_button(label).expect(label));
        settle(shopper.fake, &shopper.db).await;
    }
    shopper.sees("Your order number is #1001");
    presses
}

/// The chat as text, in order, for comparing two runs.
fn seen(shopper: &Shopper<'_>) -> Vec<String> {
    shopper
        .customer
        .bot_messages()
        .into_iter()
        .map(|m| {
            let buttons: Vec<String> = m.all_buttons().map(|(t, _)| t.clone()).collect();
            format!("{} {buttons:?}", m.text)
        })
        .collect()
}

struct Run {
    fake: FakeTelegram,
    _dir: tempfile::TempDir,
    db: std::path::PathBuf,
    shop: std::path::PathBuf,
    bot: BotProcess,
}

async fn start(shop: &str, env: &[(&str, &str)]) -> Run {
    let fake = FakeTelegram::start().await;
    let dir = tempfile::tempdir().expect("temp dir");
    let shop = copy_shop(shop, dir.path());
    let db = dir.path().join("shop.db");
    let bot = bot_process::start(&fake, &shop, &db, env);
    fake.wait_for_polling(Duration::from_secs(20))
        .await
        .unwrap_or_else(|e| panic!("{e}\n{}", bot.log_text()));
    Run {
        fake,
        _dir: dir,
        db,
        shop,
        bot,
    }
}

fn shopper(run: &Run, id: i64) -> Shopper<'_> {
    Shopper {
        customer: run.fake.customer(id, "Ana"),
        fake: &run.fake,
        db: run.db.clone(),
        bot: &run.bot,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_update_twice_and_re_sent_presses_end_in_the_same_database() {
    let single = start("small", &[]).await;
    let ana = shopper(&single, 7001);
    purchase(&ana).await;

    let double = start("small", &[]).await;
    double.fake.duplicate_updates(true);
    let ana2 = shopper(&double, 7001);
    let presses = purchase(&ana2).await;
    // Telegram re-sends presses with new update ids after a reconnect.
    for press in &presses {
        ana2.customer.repress(press).expect("repress");
    }
    settle(&double.fake, &double.db).await;

    assert_eq!(essence(&single.db), essence(&double.db));
    assert_eq!(seen(&ana), seen(&ana2), "the customer saw something else");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rate_limits_and_server_errors_deliver_every_message_once_in_order() {
    let clean = start("small", &[]).await;
    let ana = shopper(&clean, 7101);
    purchase(&ana).await;

    let faulty = start("small", &[]).await;
    faulty
        .fake
        .fail_next("sendMessage", 3, Fault::TooManyRequests { retry_after: 2 });
    faulty.fake.fail_next(
        "editMessageText",
        2,
        Fault::TooManyRequests { retry_after: 1 },
    );
    faulty.fake.fail_next(
        "answerCallbackQuery",
        1,
        Fault::TooManyRequests { retry_after: 1 },
    );
    faulty
        .fake
        .fail_next("sendPhoto", 1, Fault::ServerError(502));
    let ana2 = shopper(&faulty, 7101);
    purchase(&ana2).await;

    assert_eq!(
        seen(&ana),
        seen(&ana2),
        "messages lost, doubled or reordered"
    );
    assert_eq!(essence(&clean.db), essence(&faulty.db));
    // Only the injected faults failed: the bot never outran the limits itself.
    let limited: Vec<_> = faulty
        .fake
        .calls()
        .into_iter()
        .filter(|c| {
            c.error
                .as_deref()
                .is_some_and(|e| e.contains("Too Many Requests"))
        })
        .collect();
    assert_eq!(limited.len(), 6, "{limited:#?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_customer_who_blocked_the_bot_is_marked_unreachable_without_a_retry_storm() {
    let run = start("small", &[]).await;
    let gone = shopper(&run, 7201);
    let other = shopper(&run, 7202);
    run.fake.fail_chat(7201, Fault::Blocked);
    gone.customer.send_text("/start");
    gone.customer.send_text("/cart");
    other.say("/start").await;
    other.sees("Welcome to Test Bricks");
    settle(&run.fake, &run.db).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let attempts = run
        .fake
        .calls()
        .iter()
        .filter(|c| c.chat_id == Some(7201))
        .count();
    assert!(attempts <= 3, "{attempts} attempts to a blocked chat");
    assert_eq!(
        count(
            &run.db,
            "SELECT COUNT(*) FROM unreachable WHERE chat_id = '7201'"
        ),
        1
    );
    assert_eq!(
        count(&run.db, "SELECT COUNT(*) FROM outbox WHERE sent_at IS NULL"),
        0
    );
}

/// A small deterministic generator (no dependency needed for test randomness).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, below: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % below.max(1)
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_during_50_concurrent_checkouts_loses_and_duplicates_nothing() {
    let kills: usize = std::env::var("SHOPBOT_SOAK_KILLS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(8);
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(7, |d| d.as_secs());
    println!("kill -9 soak: {kills} kills, seed {seed}");
    let mut rng = Lcg(seed);
    let env = [("SHOPBOT_TELEGRAM_RATE_LIMIT", "off")];
    let mut run = start("rush", &env).await;
    run.fake.set_strict(false);
    let customers: Vec<_> = (0..50)
        .map(|i| run.fake.customer(8000 + i, "Buyer"))
        .collect();
    // Every customer types the whole checkout; typed numbers pick the buttons of
    // the step the bot is at, so the script works at any speed.
    let feeder = {
        let customers = customers.clone();
        tokio::spawn(async move {
            for step in 0..8 {
                for (i, c) in customers.iter().enumerate() {
                    let text = match step {
                        0 => "/catalog".to_owned(),
                        1..=3 | 5 | 7 => "1".to_owned(),
                        4 => "2".to_owned(),
                        _ => format!("Buyer {i}"),
                    };
                    c.send_text(&text);
                    tokio::time::sleep(Duration::from_millis(3)).await;
                }
            }
        })
    };
    let mut restarts = 0;
    for k in 0..kills {
        tokio::time::sleep(Duration::from_millis(150 + rng.next(900))).await;
        if k == kills / 2 {
            // One polite stop in the middle of the traffic: done within 10 s.
            run.bot.terminate();
            let stopped = Instant::now();
            let status = run.bot.wait_exit(Duration::from_secs(10));
            assert!(
                status.is_some_and(|s| s.success()),
                "SIGTERM stop took over 10 s\n{}",
                run.bot.log_text()
            );
            assert!(stopped.elapsed() < Duration::from_secs(10));
        } else {
            run.bot.kill9();
        }
        run.bot = bot_process::start(&run.fake, &run.shop, &run.db, &env);
        restarts += 1;
    }
    feeder.await.expect("feeder");
    settle(&run.fake, &run.db).await;

    let orders = count(&run.db, "SELECT COUNT(*) FROM orders");
    let stock = count(&run.db, "SELECT qty FROM stock WHERE key = 'gift-box'");
    let sold = count(&run.db, "SELECT COALESCE(SUM(qty), 0) FROM order_items");
    assert_eq!(stock + sold, 30, "stock + sold = initial");
    assert_eq!(orders, 30, "30 in stock and 50 buyers: 30 orders");
    assert_eq!(
        count(&run.db, "SELECT COUNT(DISTINCT chat_id) FROM orders"),
        orders,
        "a customer ordered twice"
    );
    // Each of the 400 messages was handled exactly once.
    assert_eq!(count(&run.db, "SELECT COUNT(*) FROM inbox"), 400);
    assert_eq!(
        count(&run.db, "SELECT COUNT(*) FROM outbox WHERE sent_at IS NULL"),
        0
    );
    let conn = rusqlite::Connection::open(&run.db).unwrap();
    let integrity: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(integrity, "ok");
    // Every order in the database reached its customer, and nobody was told of
    // an order that does not exist.
    let in_db: BTreeSet<String> = rows(&run.db, "SELECT chat_id || '#' || number FROM orders")
        .into_iter()
        .collect();
    let told: BTreeSet<String> = customers
        .iter()
        .flat_map(|c| {
            c.bot_messages().into_iter().filter_map(move |m| {
                let number = m.text.split("Your order number is #").nth(1)?;
                let number: String = number.chars().take_while(char::is_ascii_digit).collect();
                Some(format!("{}#{number}", c.id()))
            })
        })
        .collect();
    assert_eq!(in_db, told, "after {restarts} restarts");
}
