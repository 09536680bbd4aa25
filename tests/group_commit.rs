//! Group commit through the real `shopbot run` on the fake Bot API: the turns of
//! one `getUpdates` batch commit together (one fsync), each still all-or-nothing
//! and answered only after the commit. A poison update in the middle of a batch,
//! a kill -9 inside a group commit, and a slow (SD-card) fsync.

#[path = "support/bot_process.rs"]
mod bot_process;
mod fake_telegram;
#[path = "support/process.rs"]
mod process;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use bot_process::{BotProcess, copy_shop, seen, settle, start_polling};
use fake_telegram::{Customer, FakeTelegram};

const WELCOME: &str = "Welcome to Test Bricks";
const APOLOGY: &str = "something went wrong on our side";
const OFF: (&str, &str) = ("SHOPBOT_TELEGRAM_RATE_LIMIT", "off");

fn open(db: &Path) -> rusqlite::Connection {
    let conn = rusqlite::Connection::open(db).expect("open db");
    conn.busy_timeout(Duration::from_secs(30)).expect("busy");
    conn
}

fn count(db: &Path, sql: &str) -> i64 {
    open(db)
        .query_row(sql, [], |r| r.get(0))
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
}

async fn wait_seen(customer: &Customer, needle: &str, want: usize, bot: &BotProcess) {
    let deadline = Instant::now() + Duration::from_secs(90);
    while seen(customer, needle) < want {
        assert!(
            Instant::now() < deadline,
            "chat {}: {} of {want} messages with {needle:?}\n{}",
            customer.chat_id(),
            seen(customer, needle),
            bot.log_text()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// A shop and its database, made by one run of the bot that served one customer
/// and stopped: the next start finds every update the test queued in one batch.
async fn prepared(fake: &FakeTelegram) -> (tempfile::TempDir, PathBuf, PathBuf) {
    let dir = tempfile::tempdir().expect("dir");
    let shop = copy_shop("small", dir.path());
    let db = dir.path().join("shop.db");
    let mut bot = start_polling(fake, &shop, &db, &[OFF]).await;
    let first = fake.customer(9000, "First");
    first.send_text("/start");
    wait_seen(&first, WELCOME, 1, &bot).await;
    settle(fake, &db).await;
    bot.terminate();
    assert!(bot.wait_exit(Duration::from_secs(15)).is_some(), "stops");
    (dir, shop, db)
}

fn integrity(db: &Path) -> String {
    open(db)
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .expect("integrity")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_poison_update_in_a_batch_fails_alone_and_the_rest_of_the_batch_is_served_in_order() {
    let fake = FakeTelegram::start().await;
    let (_dir, shop, db) = prepared(&fake).await;
    // This one message always makes its turn fail; everything else works.
    open(&db)
        .execute_batch(
            "CREATE TRIGGER poison BEFORE INSERT ON history WHEN NEW.text = 'poison' \
             BEGIN SELECT RAISE(ABORT, 'poison'); END;",
        )
        .expect("trigger");
    let customers: Vec<Customer> = (1..=40).map(|i| fake.customer(9000 + i, "Ana")).collect();
    let victim = fake.customer(9100, "Vi");
    // One batch: each customer /start then a question; the poison in the middle,
    // the victim's own /start after it.
    for c in &customers[..20] {
        c.send_text("/start");
    }
    victim.send_text("poison");
    victim.send_text("/start");
    for c in &customers[20..] {
        c.send_text("/start");
    }
    for c in &customers {
        c.send_text("/help");
    }
    let queued = fake.pending_updates().len();
    assert_eq!(queued, 82, "one batch");

    let bot = start_polling(&fake, &shop, &db, &[OFF]).await;
    wait_seen(&victim, APOLOGY, 1, &bot).await;
    wait_seen(&victim, WELCOME, 1, &bot).await;
    for c in &customers {
        wait_seen(c, WELCOME, 1, &bot).await;
    }
    settle(&fake, &db).await;
    tokio::time::sleep(Duration::from_millis(500)).await;

    assert_eq!(seen(&victim, APOLOGY), 1);
    assert_eq!(seen(&victim, WELCOME), 1);
    // The apology in the order the victim wrote: before the answer to its /start.
    let texts: Vec<String> = victim.bot_messages().into_iter().map(|m| m.text).collect();
    let apology = texts.iter().position(|t| t.contains(APOLOGY));
    let welcome = texts.iter().position(|t| t.contains(WELCOME));
    assert!(apology < welcome, "{texts:#?}");
    for c in &customers {
        assert_eq!(seen(c, WELCOME), 1, "chat {}", c.chat_id());
        assert_eq!(seen(c, APOLOGY), 0);
        // In order per chat: the welcome first, the answer to /help after it.
        let texts: Vec<String> = c.bot_messages().into_iter().map(|m| m.text).collect();
        assert!(texts[0].contains(WELCOME), "{texts:#?}");
        assert!(texts.len() > 2, "/help answered too: {texts:#?}");
    }
    // Every update handled once: the first run's, and all of the batch.
    assert_eq!(count(&db, "SELECT COUNT(*) FROM inbox"), 1 + 82);
    assert_eq!(
        count(
            &db,
            "SELECT COUNT(*) FROM (SELECT chat_id, payload FROM outbox \
             GROUP BY chat_id, payload HAVING COUNT(*) > 1 AND payload LIKE '%Welcome%')"
        ),
        0,
        "no welcome queued twice"
    );
    assert!(fake.pending_updates().is_empty());
    let log = bot.log_text();
    assert!(log.contains("gave up"), "{log}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kill_inside_a_group_commit_loses_nothing_and_answers_nothing_twice() {
    let fake = FakeTelegram::start().await;
    let (_dir, shop, db) = prepared(&fake).await;
    let customers: Vec<Customer> = (1..=30).map(|i| fake.customer(9200 + i, "Ana")).collect();
    for c in &customers {
        c.send_text("/start");
    }
    for c in &customers[..10] {
        c.send_text("/help");
    }
    let before = fake.calls_to("sendMessage").len();
    // The process dies after the 7th turn of its first group, before the commit.
    let mut bot = start_polling(
        &fake,
        &shop,
        &db,
        &[OFF, ("SHOPBOT_TEST_ABORT_IN_GROUP", "7")],
    )
    .await;
    let exit = bot.wait_exit(Duration::from_secs(30));
    assert!(exit.is_some_and(|s| !s.success()), "{}", bot.log_text());
    assert!(bot.log_text().contains("aborting inside a group"));
    // Nothing of the group happened: no turn, no reply.
    assert_eq!(integrity(&db), "ok");
    assert_eq!(count(&db, "SELECT COUNT(*) FROM inbox"), 1);
    assert_eq!(
        fake.calls_to("sendMessage").len(),
        before,
        "no reply without its commit"
    );
    assert_eq!(
        fake.pending_updates().len(),
        40,
        "the batch is not confirmed"
    );

    // Restarted: Telegram gives the batch again; each update is handled once.
    let bot = start_polling(&fake, &shop, &db, &[OFF]).await;
    for c in &customers {
        wait_seen(c, WELCOME, 1, &bot).await;
    }
    settle(&fake, &db).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    for c in &customers {
        assert_eq!(seen(c, WELCOME), 1, "chat {}", c.chat_id());
    }
    assert_eq!(count(&db, "SELECT COUNT(*) FROM inbox"), 1 + 40);
    assert_eq!(integrity(&db), "ok");
    assert!(fake.pending_updates().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_a_slow_fsync_a_hundred_new_customers_in_one_batch_are_answered_within_seconds() {
    let fake = FakeTelegram::start().await;
    // Telegram's own limits off too: the database is what is measured.
    fake.set_strict(false);
    let (_dir, shop, db) = prepared(&fake).await;
    let customers: Vec<Customer> = (1..=100).map(|i| fake.customer(9300 + i, "Ana")).collect();
    for c in &customers {
        c.send_text("/start");
    }
    let bot = start_polling(
        &fake,
        &shop,
        &db,
        &[OFF, ("SHOPBOT_TEST_COMMIT_DELAY_MS", "20")],
    )
    .await;
    let started = Instant::now();
    for c in &customers {
        wait_seen(c, WELCOME, 1, &bot).await;
    }
    let answered = started.elapsed();
    eprintln!("100 /start with 20 ms commits: all answered in {answered:?}");
    assert!(
        answered < Duration::from_secs(2),
        "all answered only after {answered:?}"
    );
    settle(&fake, &db).await;
    eprintln!(
        "100 /start with 20 ms commits: everything sent and recorded after {:?}",
        started.elapsed()
    );
    for c in &customers {
        assert_eq!(seen(c, WELCOME), 1);
    }
    assert_eq!(count(&db, "SELECT COUNT(*) FROM inbox"), 101);
}
