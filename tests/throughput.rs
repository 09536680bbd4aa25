//! The whole binary's figures against the fake Bot API, with the bot's and the
//! fake's rate limits off: start-up time, memory idle and with 10,000 active
//! sessions, updates per second, CPU per update, binary size. A measurement,
//! not a pass/fail test: run it with `scripts/bench` (release build), which
//! prints the figures written in the README.
#![allow(clippy::cast_precision_loss)] // figures for people: KiB and bytes as MiB

#[path = "support/bot_process.rs"]
mod bot_process;
mod fake_telegram;
#[path = "support/process.rs"]
mod process;

use std::path::Path;
use std::time::{Duration, Instant};

use fake_telegram::{Customer, FakeTelegram};

const ENV: [(&str, &str); 2] = [("SHOPBOT_TELEGRAM_RATE_LIMIT", "off"), ("RUST_LOG", "warn")];

/// User + system CPU time of a process so far.
fn cpu(pid: u32) -> Duration {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the command name (which may hold spaces) start after ") ".
    let rest = stat.rsplit_once(") ").map_or("", |(_, r)| r);
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks: u64 = fields
        .get(11..13)
        .map_or(0, |f| f.iter().filter_map(|v| v.parse::<u64>().ok()).sum());
    // The kernel's USER_HZ is 100 on Linux.
    Duration::from_millis(ticks * 10)
}

/// Waits until every customer has at least `replies` bot messages.
async fn wait_replies(customers: &[Customer], replies: usize, limit: Duration) -> Duration {
    let start = Instant::now();
    loop {
        if customers.iter().all(|c| c.bot_messages().len() >= replies) {
            return start.elapsed();
        }
        assert!(
            start.elapsed() < limit,
            "not all replies arrived within {limit:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn db_size(db: &Path) -> u64 {
    ["", "-wal"]
        .iter()
        .filter_map(|s| std::fs::metadata(format!("{}{s}", db.display())).ok())
        .map(|m| m.len())
        .sum()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "a benchmark: scripts/bench runs it in release mode"]
async fn figures_of_the_whole_binary() {
    let fake = FakeTelegram::start().await;
    fake.set_strict(false);
    let dir = tempfile::tempdir().unwrap();
    let shop = bot_process::copy_shop("small", dir.path());
    let db = dir.path().join("shop.db");

    // Start-up: from spawning the process to its first long poll.
    let started = Instant::now();
    let bot = bot_process::start(&fake, &shop, &db, &ENV);
    fake.wait_for_polling(Duration::from_secs(30))
        .await
        .unwrap();
    let startup = started.elapsed();
    tokio::time::sleep(Duration::from_secs(2)).await;
    let idle = process::rss_kib(bot.pid());

    // Throughput: many customers writing at once; each message gets its answer.
    let customers: Vec<Customer> = (0..100)
        .map(|i| fake.customer(10_000 + i, &format!("C{i}")))
        .collect();
    for c in &customers {
        c.send_text("/start");
    }
    wait_replies(&customers, 2, Duration::from_mins(2)).await;
    let per_customer = 10;
    let before = customers[0].bot_messages().len();
    let cpu_before = cpu(bot.pid());
    let t0 = Instant::now();
    for round in 0..per_customer {
        for c in &customers {
            c.send_text(if round % 2 == 0 {
                "castle"
            } else {
                "car under 20"
            });
        }
    }
    let updates = customers.len() * per_customer;
    // Each search answers with at least one message.
    let elapsed = {
        let limit = Duration::from_mins(5);
        loop {
            if customers
                .iter()
                .all(|c| c.bot_messages().len() >= before + per_customer)
                && fake.pending_updates().is_empty()
                && process::unsent(&db) == 0
            {
                break t0.elapsed();
            }
            assert!(t0.elapsed() < limit, "the bot did not keep up");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    };
    let cpu_used = cpu(bot.pid()).saturating_sub(cpu_before);
    let per_second = updates as f64 / elapsed.as_secs_f64();
    let cpu_per_update = cpu_used.as_secs_f64() * 1000.0 / updates as f64;
    let after_load = process::rss_kib(bot.pid());

    // 10,000 active sessions.
    let crowd: Vec<Customer> = (0..10_000)
        .map(|i| fake.customer(100_000 + i, "Crowd"))
        .collect();
    let t1 = Instant::now();
    for c in &crowd {
        c.send_text("/start");
    }
    bot_process::settle(&fake, &db).await;
    let crowd_time = t1.elapsed();
    let sessions: i64 = rusqlite::Connection::open(&db)
        .unwrap()
        .query_row("SELECT COUNT(*) FROM sessions", [], |r| r.get(0))
        .unwrap();
    assert!(sessions >= 10_000, "{sessions} sessions");
    let crowded = process::rss_kib(bot.pid());

    let binary = std::fs::metadata(env!("CARGO_BIN_EXE_shopbot"))
        .unwrap()
        .len();
    println!("FIGURES");
    println!("start-up to first poll: {} ms", startup.as_millis());
    println!(
        "RSS idle (Telegram connected): {:.1} MiB",
        idle as f64 / 1024.0
    );
    println!(
        "updates through the binary: {updates} in {:.2} s = {per_second:.0} updates/s",
        elapsed.as_secs_f64()
    );
    println!("CPU per update: {cpu_per_update:.2} ms");
    println!("RSS after the load: {:.1} MiB", after_load as f64 / 1024.0);
    println!(
        "RSS with {sessions} sessions: {:.1} MiB ({} new conversations in {:.1} s)",
        crowded as f64 / 1024.0,
        crowd.len(),
        crowd_time.as_secs_f64()
    );
    println!("database: {:.1} MiB", db_size(&db) as f64 / 1_048_576.0);
    println!(
        "binary: {:.1} MiB ({})",
        binary as f64 / 1_048_576.0,
        env!("CARGO_BIN_EXE_shopbot")
    );
}
