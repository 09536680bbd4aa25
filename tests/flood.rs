//! QUALITY item 11 through the real binary and the fake Bot API (its limits on,
//! the bot's pacing on): one customer sends 1000 messages in 10 s while ten
//! others shop; the others' replies keep a p99 under 2 s, the flooder is slowed
//! and told once, and the owner gets one notice for the minute.

#[path = "support/bot_process.rs"]
mod bot_process;
mod fake_telegram;
#[path = "support/process.rs"]
mod process;

use std::time::{Duration, Instant};

use fake_telegram::{Customer, FakeTelegram};

const T: Duration = Duration::from_secs(30);
const OWNER: i64 = 4242;

fn count_with(c: &Customer, needle: &str) -> usize {
    c.bot_messages()
        .iter()
        .filter(|m| m.text.contains(needle))
        .count()
}

/// Asks `times` times, one ask every `every`; returns each reply's wait.
async fn shop_calmly(c: Customer, times: usize, every: Duration) -> Vec<Duration> {
    let mut waits = Vec::new();
    for _ in 0..times {
        let before = count_with(&c, "Shipping is");
        let asked = Instant::now();
        c.send_text("how much is shipping?");
        loop {
            if count_with(&c, "Shipping is") > before {
                break;
            }
            assert!(asked.elapsed() < T, "no answer within {T:?}");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        let waited = asked.elapsed();
        waits.push(waited);
        tokio::time::sleep(every.saturating_sub(waited)).await;
    }
    waits
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_flood_of_1000_messages_leaves_the_others_p99_under_2_s() {
    let fake = FakeTelegram::start().await;
    let dir = tempfile::tempdir().unwrap();
    let shop = bot_process::copy_shop("small", dir.path());
    let text = std::fs::read_to_string(&shop).unwrap().replace(
        "[owners]\ntelegram = []",
        &format!("[owners]\ntelegram = [{OWNER}]"),
    );
    std::fs::write(&shop, text).unwrap();
    let db = dir.path().join("shop.db");
    let bot = bot_process::start(&fake, &shop, &db, &[("RUST_LOG", "warn")]);
    fake.wait_for_polling(T)
        .await
        .unwrap_or_else(|e| panic!("{e}\n{}", bot.log_text()));
    let owner = fake.customer(OWNER, "Boss");
    owner.send_text("/start");
    let calm: Vec<Customer> = (0..10)
        .map(|i| fake.customer(8_000 + i, &format!("Calm{i}")))
        .collect();
    for c in &calm {
        c.send_text("/start");
    }
    bot_process::settle(&fake, &db).await;

    let flooder = fake.customer(6_666, "Flo");
    let flooding = tokio::spawn({
        let flooder = flooder.clone();
        async move {
            let start = Instant::now();
            for k in 0..1000u32 {
                flooder.send_text(&format!("spam {k}"));
                // 1000 in 10 s: one every 10 ms.
                let due = Duration::from_millis(10 * u64::from(k + 1));
                tokio::time::sleep(due.saturating_sub(start.elapsed())).await;
            }
        }
    });
    let shoppers: Vec<_> = calm
        .iter()
        .cloned()
        .map(|c| tokio::spawn(shop_calmly(c, 8, Duration::from_millis(1_250))))
        .collect();
    let mut waits = Vec::new();
    for s in shoppers {
        waits.extend(s.await.unwrap());
    }
    flooding.await.unwrap();
    waits.sort();
    let p50 = waits[waits.len() / 2];
    let p99 = waits[(waits.len() * 99).div_ceil(100) - 1];
    println!(
        "others during the flood: {} replies, p50 {p50:?}, p99 {p99:?}, max {:?}",
        waits.len(),
        waits.last().unwrap()
    );
    assert!(
        p99 < Duration::from_secs(2),
        "p99 {p99:?}\n{}",
        bot.log_text()
    );

    bot_process::settle(&fake, &db).await;
    assert_eq!(count_with(&flooder, "too fast"), 1);
    let answered = flooder.bot_messages().len();
    assert!(
        answered < 100,
        "1000 messages got {answered} answers: not slowed"
    );
    assert_eq!(count_with(&owner, "Flood guard"), 1, "one notice a minute");
    assert!(bot.log_text().lines().all(|l| !l.contains("panicked")));
}
