//! The whole binary's figures against the fake Bot API: first replies to new
//! customers (limiter off, limiter on, every commit slowed to SD-card speed, a
//! burst under Telegram's limits), start-up time, memory idle and with 10,000
//! active sessions, updates per second with photo cards, CPU per update, bytes
//! uploaded, binary size. Measurements, not pass/fail tests: `scripts/bench`
//! runs them one at a time in release mode and prints every `FIGURE` line.
#![allow(
    clippy::cast_precision_loss, // figures for people: KiB and bytes as MiB
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss
)]

#[path = "support/bot_process.rs"]
mod bot_process;
mod fake_telegram;
#[path = "support/process.rs"]
mod process;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use fake_telegram::{Customer, FakeTelegram};
use process::BotProcess;

const LIMITER_OFF: [(&str, &str); 2] =
    [("SHOPBOT_TELEGRAM_RATE_LIMIT", "off"), ("RUST_LOG", "warn")];
const LIMITER_ON: [(&str, &str); 1] = [("RUST_LOG", "warn")];

/// A product photo of realistic size (the fixture's PNG, padded after its end).
const PHOTO_BYTES: usize = 300 * 1024;

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

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

/// The `q` quantile (0..=1) of `samples`.
fn quantile(samples: &[Duration], q: f64) -> Duration {
    let mut sorted = samples.to_vec();
    sorted.sort();
    let i = ((sorted.len() as f64 - 1.0) * q).round() as usize;
    sorted.get(i).copied().unwrap_or_default()
}

/// A bot on a fresh copy of the small shop, its product photo 300 KB.
struct Bench {
    fake: FakeTelegram,
    _dir: tempfile::TempDir,
    db: PathBuf,
    bot: BotProcess,
    startup: Duration,
}

async fn start(strict: bool, env: &[(&str, &str)]) -> Bench {
    let fake = FakeTelegram::start().await;
    fake.set_strict(strict);
    let dir = tempfile::tempdir().unwrap();
    let shop = bot_process::copy_shop("small", dir.path());
    let photo = dir.path().join("images/castle.png");
    let mut bytes = std::fs::read(&photo).unwrap();
    bytes.resize(PHOTO_BYTES, 0);
    std::fs::write(&photo, bytes).unwrap();
    let db = dir.path().join("shop.db");
    // Start-up: from spawning the process to its first long poll.
    let started = Instant::now();
    let bot = bot_process::start(&fake, &shop, &db, env);
    // scripts/profile reads which process to look at.
    if let Ok(file) = std::env::var("SHOPBOT_BENCH_PID_FILE") {
        std::fs::write(file, format!("{}\n", bot.pid())).unwrap();
    }
    if let Err(e) = fake.wait_for_polling(Duration::from_secs(30)).await {
        panic!("{e}\n{}", bot.log_text());
    }
    Bench {
        fake,
        _dir: dir,
        db,
        bot,
        startup: started.elapsed(),
    }
}

/// Sends /start from `count` new customers (ids from `first_id`), `per_second`
/// of them a second; returns them with the moment each one wrote.
async fn new_customers(
    fake: &FakeTelegram,
    first_id: i64,
    count: usize,
    per_second: f64,
) -> Vec<(Customer, Instant)> {
    let customers: Vec<Customer> = (0..count)
        .map(|i| fake.customer(first_id + i64::try_from(i).unwrap(), &format!("N{i}")))
        .collect();
    let t0 = tokio::time::Instant::now();
    let mut out = Vec::with_capacity(count);
    for (i, c) in customers.into_iter().enumerate() {
        tokio::time::sleep_until(t0 + Duration::from_secs_f64(i as f64 / per_second)).await;
        let at = Instant::now();
        c.send_text("/start");
        out.push((c, at));
    }
    out
}

/// Waits until every customer has a first reply; returns each one's wait.
async fn first_replies(customers: &[(Customer, Instant)], limit: Duration) -> Vec<Duration> {
    let start = Instant::now();
    loop {
        let firsts: Vec<Option<Instant>> = customers
            .iter()
            .map(|(c, _)| c.bot_message_times().first().copied())
            .collect();
        if firsts.iter().all(Option::is_some) {
            return firsts
                .iter()
                .zip(customers)
                .map(|(f, (_, sent))| f.unwrap().saturating_duration_since(*sent))
                .collect();
        }
        let missing = firsts.iter().filter(|f| f.is_none()).count();
        assert!(
            start.elapsed() < limit,
            "{missing} customers without a first reply after {limit:?}"
        );
        // Polling 10,000 customers costs the fake's lock: less often then.
        let pause = if customers.len() > 1000 { 200 } else { 20 };
        tokio::time::sleep(Duration::from_millis(pause)).await;
    }
}

/// Waits until the bot has nothing left: no update unconfirmed, nothing unsent.
async fn all_answered(fake: &FakeTelegram, db: &Path, limit: Duration) -> Instant {
    let start = Instant::now();
    loop {
        if fake.pending_count() == 0 && process::unsent(db) == 0 {
            return Instant::now();
        }
        assert!(
            start.elapsed() < limit,
            "the bot did not finish within {limit:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn first_reply_at(rate: f64, count: usize, strict: bool, env: &[(&str, &str)], what: &str) {
    let b = start(strict, env).await;
    let cpu0 = cpu(b.bot.pid());
    let customers = new_customers(&b.fake, 10_000, count, rate).await;
    let waits = first_replies(&customers, Duration::from_mins(5)).await;
    all_answered(&b.fake, &b.db, Duration::from_mins(5)).await;
    let cpu_per = ms(cpu(b.bot.pid()).saturating_sub(cpu0)) / count as f64;
    println!(
        "FIGURE first reply, {count} new customers at {rate}/s, {what}: median {:.1} ms, p99 {:.1} ms, max {:.1} ms; CPU per /start {cpu_per:.2} ms; RSS after {:.1} MiB",
        ms(quantile(&waits, 0.5)),
        ms(quantile(&waits, 0.99)),
        ms(quantile(&waits, 1.0)),
        mib(process::rss_kib(b.bot.pid())),
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a benchmark: scripts/bench runs it in release mode"]
async fn a_first_reply_limiter_off() {
    first_reply_at(50.0, 1000, false, &LIMITER_OFF, "limiter off").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a benchmark: scripts/bench runs it in release mode"]
async fn b_first_reply_limiter_on() {
    first_reply_at(20.0, 400, true, &LIMITER_ON, "Telegram limits on").await;
}

/// Every commit slowed to an SD card's fsync (helper-free: the store reads
/// `SHOPBOT_TEST_COMMIT_DELAY_MS`): how many new customers a second get their
/// first reply when 300 write at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a benchmark: scripts/bench runs it in release mode"]
async fn c_slow_commits() {
    let env = [
        ("SHOPBOT_TELEGRAM_RATE_LIMIT", "off"),
        ("RUST_LOG", "warn"),
        ("SHOPBOT_TEST_COMMIT_DELAY_MS", "20"),
    ];
    let b = start(false, &env).await;
    let count = 300;
    let t0 = Instant::now();
    let customers = new_customers(&b.fake, 10_000, count, 1e6).await;
    let waits = first_replies(&customers, Duration::from_mins(5)).await;
    let last = customers
        .iter()
        .zip(&waits)
        .map(|((_, sent), w)| *sent + *w)
        .max()
        .unwrap();
    let span = last.duration_since(t0);
    println!(
        "FIGURE every commit slowed to 20 ms: {count} new customers at once all first-answered in {:.2} s = {:.0} new customers/s (p99 wait {:.0} ms)",
        span.as_secs_f64(),
        count as f64 / span.as_secs_f64(),
        ms(quantile(&waits, 0.99)),
    );
}

/// 1,000 new customers within one second, Telegram's limits on (bot and fake).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a benchmark: scripts/bench runs it in release mode"]
async fn d_burst_with_limits() {
    let b = start(true, &LIMITER_ON).await;
    let count = 1000;
    let t0 = Instant::now();
    let customers = new_customers(&b.fake, 10_000, count, 1000.0).await;
    let waits = first_replies(&customers, Duration::from_mins(5)).await;
    let last_first = customers
        .iter()
        .zip(&waits)
        .map(|((_, sent), w)| *sent + *w)
        .max()
        .unwrap();
    let done = all_answered(&b.fake, &b.db, Duration::from_mins(5)).await;
    println!(
        "FIGURE burst, {count} new customers within 1 s, Telegram limits on: last first reply after {:.1} s (median wait {:.1} s, p99 {:.1} s); everything answered after {:.1} s",
        last_first.duration_since(t0).as_secs_f64(),
        quantile(&waits, 0.5).as_secs_f64(),
        quantile(&waits, 0.99).as_secs_f64(),
        done.duration_since(t0).as_secs_f64(),
    );
}

fn db_size(db: &Path) -> u64 {
    ["", "-wal"]
        .iter()
        .filter_map(|s| std::fs::metadata(format!("{}{s}", db.display())).ok())
        .map(|m| m.len())
        .sum()
}

/// Waits until every customer has at least `replies` bot messages.
async fn wait_replies(customers: &[Customer], replies: usize, limit: Duration) {
    let start = Instant::now();
    while !customers
        .iter()
        .all(|c| c.bot_message_times().len() >= replies)
    {
        assert!(
            start.elapsed() < limit,
            "not all replies arrived within {limit:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "a benchmark: scripts/bench runs it in release mode"]
async fn e_figures_of_the_whole_binary() {
    let b = start(false, &LIMITER_OFF).await;
    let (fake, db) = (&b.fake, &b.db);
    tokio::time::sleep(Duration::from_secs(2)).await;
    let idle = process::rss_kib(b.bot.pid());

    // Throughput: many customers writing at once; each message gets its answer.
    let customers: Vec<Customer> = (0..100)
        .map(|i| fake.customer(10_000 + i, &format!("C{i}")))
        .collect();
    for c in &customers {
        c.send_text("/start");
    }
    wait_replies(&customers, 2, Duration::from_mins(2)).await;
    let per_customer = 10;
    let before = customers[0].bot_message_times().len();
    let uploads_before = fake.uploads();
    let photos_before = fake.calls_to("sendPhoto").len();
    let cpu_before = cpu(b.bot.pid());
    let t0 = Instant::now();
    for round in 0..per_customer {
        for c in &customers {
            // "castle" answers with the castle's card and its photo.
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
                .all(|c| c.bot_message_times().len() >= before + per_customer)
                && fake.pending_count() == 0
                && process::unsent(db) == 0
            {
                break t0.elapsed();
            }
            assert!(t0.elapsed() < limit, "the bot did not keep up");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    };
    let cpu_used = cpu(b.bot.pid()).saturating_sub(cpu_before);
    let per_second = updates as f64 / elapsed.as_secs_f64();
    let cpu_per_update = ms(cpu_used) / updates as f64;
    let after_load = process::rss_kib(b.bot.pid());
    let uploads = fake.uploads();
    let (photo_uploads, photo_bytes) = (uploads.0 - uploads_before.0, uploads.1 - uploads_before.1);
    let photo_cards = fake.calls_to("sendPhoto").len() - photos_before;

    // 10,000 active sessions.
    let crowd: Vec<Customer> = (0..10_000)
        .map(|i| fake.customer(100_000 + i, "Crowd"))
        .collect();
    let t1 = Instant::now();
    for c in &crowd {
        c.send_text("/start");
    }
    let crowd_waits: Vec<(Customer, Instant)> = crowd.iter().map(|c| (c.clone(), t1)).collect();
    first_replies(&crowd_waits, Duration::from_mins(10)).await;
    all_answered(fake, db, Duration::from_mins(10)).await;
    let crowd_time = t1.elapsed();
    let sessions: i64 = rusqlite::Connection::open(db)
        .unwrap()
        .query_row("SELECT COUNT(*) FROM sessions", [], |r| r.get(0))
        .unwrap();
    assert!(sessions >= 10_000, "{sessions} sessions");
    let crowded = process::rss_kib(b.bot.pid());

    let binary = std::fs::metadata(env!("CARGO_BIN_EXE_shopbot"))
        .unwrap()
        .len();
    println!(
        "FIGURE start-up to first poll: {} ms",
        b.startup.as_millis()
    );
    println!("FIGURE RSS idle (Telegram connected): {:.1} MiB", mib(idle));
    println!(
        "FIGURE updates through the binary (photo cards included): {updates} in {:.2} s = {per_second:.0} updates/s",
        elapsed.as_secs_f64()
    );
    println!("FIGURE CPU per update: {cpu_per_update:.2} ms");
    println!(
        "FIGURE photo card views: {photo_cards} sendPhoto, {photo_uploads} uploads, {:.1} MB uploaded ({} KB photo)",
        photo_bytes as f64 / 1e6,
        PHOTO_BYTES / 1024
    );
    println!("FIGURE RSS after the load: {:.1} MiB", mib(after_load));
    println!(
        "FIGURE RSS with {sessions} sessions: {:.1} MiB ({} new conversations in {:.1} s)",
        mib(crowded),
        crowd.len(),
        crowd_time.as_secs_f64()
    );
    println!(
        "FIGURE database: {:.1} MiB",
        db_size(db) as f64 / 1_048_576.0
    );
    println!(
        "FIGURE binary: {:.1} MiB ({})",
        binary as f64 / 1_048_576.0,
        env!("CARGO_BIN_EXE_shopbot")
    );
}
