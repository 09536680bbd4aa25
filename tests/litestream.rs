//! A dead SD card loses nothing: Litestream replicates the bot's database to
//! another place while customers order; the database (and its log, and
//! Litestream's own files beside it) is deleted as a dead card would lose it;
//! `litestream restore` brings back every confirmed order. And `/forget` while
//! Litestream runs answers at once (Litestream keeps a read snapshot open, which
//! made the old checkpoint wait the whole 30 s busy timeout).
//!
//! Needs the `litestream` binary: `scripts/litestream install` (scripts/test does
//! it). Without it the tests are skipped loudly, unless
//! `SHOPBOT_REQUIRE_LITESTREAM=1` (CI), which makes that a failure.

#[path = "support/bot_process.rs"]
mod bot_process;
mod fake_telegram;
#[path = "support/process.rs"]
mod process;
mod support;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use bot_process::{BotProcess, Shopper, copy_shop};
use fake_telegram::{Customer, FakeTelegram};
use shopbot::engine::Engine;

const T: Duration = Duration::from_secs(30);

/// The `litestream` binary: `SHOPBOT_TEST_LITESTREAM`, else the one
/// `scripts/litestream install` put in the repository; `None` (and a loud
/// warning) when there is none, a panic when `SHOPBOT_REQUIRE_LITESTREAM=1`.
fn litestream() -> Option<PathBuf> {
    let from_env = std::env::var_os("SHOPBOT_TEST_LITESTREAM").map(PathBuf::from);
    let local = Path::new(env!("CARGO_MANIFEST_DIR")).join(".litestream/venv/bin/litestream");
    let found = from_env.into_iter().chain([local]).find(|p| p.is_file());
    if found.is_none() {
        assert!(
            std::env::var("SHOPBOT_REQUIRE_LITESTREAM").as_deref() != Ok("1"),
            "SHOPBOT_REQUIRE_LITESTREAM=1 but no litestream: run scripts/litestream install"
        );
        eprintln!(
            "\n!!!! WARNING: litestream is not installed: this test is SKIPPED.\n\
             !!!! Run scripts/litestream install (scripts/test does it).\n"
        );
    }
    found
}

/// `litestream replicate` of `db` to the file replica `replica`, with the
/// config file written beside the replica; killed (SIGKILL) when dropped.
struct Replicator {
    bin: PathBuf,
    config: PathBuf,
    db: PathBuf,
    child: Child,
    log: PathBuf,
}

impl Replicator {
    fn start(bin: &Path, db: &Path, replica: &Path) -> Self {
        let config = replica.with_extension("yml");
        // The same settings as deploy/litestream.yml, with a fast sync for the test.
        std::fs::write(
            &config,
            format!(
                "snapshot:\n  interval: 24h\n  retention: 720h\n\
                 dbs:\n  - path: {}\n    monitor-interval: 100ms\n    replica:\n      \
                 type: file\n      path: {}\n      sync-interval: 100ms\n",
                db.display(),
                replica.display()
            ),
        )
        .expect("write config");
        let log = replica.with_extension("log");
        let file = std::fs::File::create(&log).expect("log");
        let child = Command::new(bin)
            .args(["replicate", "-config"])
            .arg(&config)
            .stdin(Stdio::null())
            .stdout(file.try_clone().expect("log"))
            .stderr(file)
            .spawn()
            .expect("litestream starts");
        Self {
            bin: bin.to_path_buf(),
            config,
            db: db.to_path_buf(),
            child,
            log,
        }
    }

    /// Waits until a restore of the replica holds exactly `expected` orders;
    /// returns how long it took.
    fn wait_replicated(&self, expected: &[String], scratch: &Path) -> Duration {
        let start = Instant::now();
        let mut last = String::new();
        while start.elapsed() < T {
            remove_db_files(scratch);
            match restore(&self.bin, &self.config, &self.db, scratch) {
                Ok(()) if confirmed_orders(scratch) == expected => return start.elapsed(),
                Ok(()) => last = format!("{} orders", confirmed_orders(scratch).len()),
                Err(e) => last = e,
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        panic!(
            "the replica did not reach {} orders within {T:?} (last: {last})\n{}",
            expected.len(),
            self.log_text()
        );
    }

    fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Replicator {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `litestream restore` of the replica's latest state of `db` into `out`,
/// with nothing but the config file and the replica.
fn restore(bin: &Path, config: &Path, db: &Path, out: &Path) -> Result<(), String> {
    let output = Command::new(bin)
        .args(["restore", "-config"])
        .arg(config)
        .arg("-o")
        .arg(out)
        .arg(db)
        .output()
        .expect("litestream restore runs");
    if output.status.success() {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&output.stderr).into_owned())
    }
}

/// The database, its log and shared memory.
fn remove_db_files(db: &Path) {
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", db.display()));
    }
}

/// Every confirmed order with its lines and totals, one line each, by number.
fn confirmed_orders(db: &Path) -> Vec<String> {
    let conn = rusqlite::Connection::open(db).expect("open db");
    let mut stmt = conn
        .prepare(
            "SELECT o.number, o.status, o.channel, o.chat_id, o.subtotal, o.discount,
                    o.delivery_price, o.total, o.currency, o.delivery_id, o.payment_id,
                    o.fields,
                    (SELECT group_concat(line || ':' || product_id || '/' || ifnull(variant, '')
                                || ' ' || name || ' ' || qty || 'x' || unit_price, '; ')
                     FROM (SELECT * FROM order_items i WHERE i.order_id = o.id ORDER BY line))
             FROM orders o WHERE o.number IS NOT NULL ORDER BY o.number",
        )
        .expect("orders query");
    stmt.query_map([], |r| {
        let mut cols = Vec::new();
        for i in 0..13 {
            let value: rusqlite::types::Value = r.get(i)?;
            cols.push(format!("{value:?}"));
        }
        Ok(cols.join(" | "))
    })
    .expect("orders")
    .map(Result::unwrap)
    .collect()
}

/// The customer's purchase with buttons, to the confirmed order.
async fn purchase(fake: &FakeTelegram, db: &Path, bot: &BotProcess, who: &Customer, n: usize) {
    let shopper = Shopper {
        customer: who.clone(),
        fake,
        db: db.to_path_buf(),
        bot,
    };
    let (category, product) = if n.is_multiple_of(2) {
        ("Cars", "Race Car")
    } else {
        ("Castles", "Knight's Castle")
    };
    shopper.say("/start").await;
    for label in [
        "Browse the catalog",
        category,
        product,
        "Add to cart",
        "Checkout",
    ] {
        shopper.tap(label).await;
    }
    // Half of them by courier (a delivery price and an address), half pick-up.
    if n.is_multiple_of(3) {
        shopper.tap("Courier").await;
        shopper.say(&format!("Zoë Ünicode {n}")).await;
        shopper.say(&format!("+34 600 000 {n:03}")).await;
        shopper.say(&format!("Calle Ñandú {n}, Madrid")).await;
    } else {
        shopper.tap("Pick up in the shop").await;
        shopper.say(&format!("Client {n}")).await;
        shopper.say(&format!("600 000 {n:03}")).await;
    }
    for label in ["Skip", "No, thanks", "Cash on delivery", "Confirm order"] {
        shopper.tap(label).await;
    }
    shopper.sees("Your order number is #");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dead_sd_card_loses_no_confirmed_order() {
    let Some(bin) = litestream() else { return };
    // The card, and another disk for the replica.
    let card = tempfile::tempdir().expect("temp dir");
    let other_disk = tempfile::tempdir().expect("temp dir");
    let shop = copy_shop("small", other_disk.path());
    let db = card.path().join("shopbot.db");
    let fake = FakeTelegram::start().await;
    let mut bot = bot_process::start(&fake, &shop, &db, &[]);
    fake.wait_for_polling(T)
        .await
        .unwrap_or_else(|e| panic!("{e}\n{}", bot.log_text()));
    let replicator = Replicator::start(&bin, &db, &other_disk.path().join("replica"));

    // Six customers, three at a time; stock: 10 cars, 5 castles.
    let customers: Vec<Customer> = (0..6)
        .map(|i| fake.customer(5001 + i, &format!("Customer {i}")))
        .collect();
    for batch in customers.chunks(3).enumerate() {
        let (b, who) = batch;
        tokio::join!(
            purchase(&fake, &db, &bot, &who[0], b * 3),
            purchase(&fake, &db, &bot, &who[1], b * 3 + 1),
            purchase(&fake, &db, &bot, &who[2], b * 3 + 2),
        );
    }
    let placed = confirmed_orders(&db);
    assert_eq!(placed.len(), 6, "{placed:#?}");
    let stock_before: i64 = support::count(&db, "SELECT sum(qty) FROM stock");

    let scratch = other_disk.path().join("probe.db");
    let lag = replicator.wait_replicated(&placed, &scratch);

    // The card dies: bot and Litestream gone at once, every file on the card lost.
    bot.kill9();
    let config = replicator.config.clone();
    drop(replicator);
    let lost: Vec<_> = std::fs::read_dir(card.path())
        .expect("card")
        .map(|e| e.expect("entry").file_name())
        .collect();
    std::fs::remove_dir_all(card.path()).expect("lose the card");
    std::fs::create_dir(card.path()).expect("a new card");

    // `litestream restore` onto the new card, from the replica alone.
    let started = Instant::now();
    restore(&bin, &config, &db, &db).unwrap_or_else(|e| panic!("restore failed: {e}"));
    let took = started.elapsed();
    let restored = confirmed_orders(&db);
    assert_eq!(restored, placed, "every confirmed order, lines and totals");
    assert_eq!(support::integrity(&db), "ok");
    assert_eq!(
        support::count(&db, "SELECT sum(qty) FROM stock"),
        stock_before
    );
    eprintln!(
        "litestream: {} orders placed, {} restored; replicated {lag:?} after the last; \
         restore took {took:?}; lost with the card: {lost:?}",
        placed.len(),
        restored.len()
    );

    // The bot runs on the restored database: the next order gets the next number.
    let bot = bot_process::start_polling(&fake, &shop, &db, &[]).await;
    let late = fake.customer(5100, "Late");
    purchase(&fake, &db, &bot, &late, 1).await;
    let after = confirmed_orders(&db);
    assert_eq!(after.len(), 7);
    assert_eq!(&after[..6], &placed[..]);
    assert!(after[6].starts_with("Text(\"1007\")"), "{}", after[6]);
}

/// Whether the file holds `needle`.
fn holds(path: &Path, needle: &str) -> bool {
    std::fs::read(path).is_ok_and(|b| b.windows(needle.len()).any(|w| w == needle.as_bytes()))
}

#[test]
fn forget_while_litestream_runs_answers_at_once_and_leaves_no_trace_in_the_database() {
    let Some(bin) = litestream() else { return };
    let db = support::temp_db();
    let other_disk = tempfile::tempdir().expect("temp dir");
    let mut engine = Engine::open(support::small_shop(), &db.path).expect("engine");
    let replicator = Replicator::start(&bin, &db.path, &other_disk.path().join("replica"));
    // Two customers order; Ana (the one who will forget) and Bo, who stays.
    support::to_confirm(&mut engine, "ana", &["add:castle"]);
    support::press(&mut engine, "ana", "confirm");
    support::turn(&mut engine, "bo", shopbot::conversation::Input::Start);
    support::press(&mut engine, "bo", "add:racer");
    let placed = confirmed_orders(&db.path);
    assert_eq!(placed.len(), 1);
    // Litestream has the order (and so holds its read snapshot on the file).
    let scratch = other_disk.path().join("probe.db");
    replicator.wait_replicated(&placed, &scratch);
    assert!(holds(&db.path.with_extension("db-wal"), "Ana Pop") || holds(&db.path, "Ana Pop"));

    let reply = support::text_of(&support::say(&mut engine, "ana", "/forget"));
    assert!(reply.contains("This erases everything"), "{reply}");
    let started = Instant::now();
    let reply = support::text_of(&support::press(&mut engine, "ana", "forget"));
    let took = started.elapsed();
    assert!(reply.contains("your data has been erased"), "{reply}");
    eprintln!("litestream: the /forget turn took {took:?} while Litestream replicated");
    assert!(
        took < Duration::from_secs(2),
        "the /forget turn stalled {took:?} (a checkpoint waiting for Litestream's reader)"
    );
    // Another customer's turn right after is not held up either.
    let started = Instant::now();
    support::press(&mut engine, "bo", "checkout");
    assert!(started.elapsed() < Duration::from_secs(1));

    // The database file holds no trace; nor does the replica's latest state.
    for needle in ["Ana Pop", "+34 600 123 456", "Calle Mayor 5"] {
        assert!(!holds(&db.path, needle), "{needle} in the database file");
    }
    let expected = confirmed_orders(&db.path);
    replicator.wait_replicated(&expected, &scratch);
    for needle in ["Ana Pop", "+34 600 123 456", "Calle Mayor 5"] {
        assert!(!holds(&scratch, needle), "{needle} in the restored replica");
    }
    assert_eq!(support::integrity(&scratch), "ok");
    // With Litestream stopped, the next /forget empties the log again at once.
    drop(replicator);
    support::to_confirm(&mut engine, "cy", &["add:racer"]);
    support::press(&mut engine, "cy", "confirm");
    support::say(&mut engine, "cy", "/forget");
    support::press(&mut engine, "cy", "forget");
    let wal = std::fs::metadata(db.path.with_extension("db-wal")).map_or(0, |m| m.len());
    assert_eq!(wal, 0, "the log is truncated when no reader holds it");
    for needle in ["Ana Pop", "+34 600 123 456", "Calle Mayor 5"] {
        assert!(!holds(&db.path, needle), "{needle} in the database file");
    }
}
