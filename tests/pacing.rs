//! Pacing without a tick, against the fake Bot API with Telegram's limits on: an
//! uncontended reply leaves at once, and in a burst of new customers every first
//! answer goes before anyone's second message — no 429, order kept, each message
//! delivered once.

#[path = "support/bot_process.rs"]
mod bot_process;
mod fake_telegram;
#[path = "support/process.rs"]
mod process;

use std::collections::HashMap;
use std::time::{Duration, Instant};

use bot_process::settle;
use fake_telegram::{Call, FakeTelegram};

const T: Duration = Duration::from_secs(20);

fn sends(fake: &FakeTelegram) -> Vec<Call> {
    fake.calls()
        .into_iter()
        .filter(|c| ["sendMessage", "sendPhoto", "editMessageText"].contains(&c.method.as_str()))
        .collect()
}

/// Each chat's accepted sends, in the order the fake took them.
fn by_chat(calls: &[Call]) -> HashMap<i64, Vec<&Call>> {
    let mut chats: HashMap<i64, Vec<&Call>> = HashMap::new();
    for call in calls.iter().filter(|c| c.ok) {
        chats
            .entry(call.chat_id.unwrap_or(0))
            .or_default()
            .push(call);
    }
    chats
}

fn median(mut values: Vec<Duration>) -> Duration {
    values.sort();
    values[values.len() / 2]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn first_replies_leave_at_once_with_the_limits_on_at_20_new_customers_a_second() {
    let (fake, _dir, db, bot) = bot_process::setup("small").await;
    // 20 new customers a second, inside Telegram's cap; each /start costs two
    // messages (40 a second, above the 30 overall): the first answers go at
    // once, the second messages take what is left.
    let mut asked = Vec::new();
    for id in 0..40 {
        let customer = fake.customer(7001 + id, "Newcomer");
        asked.push((Instant::now(), customer.chat_id()));
        customer.send_text("/start");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    for (_, chat) in &asked {
        fake.customer(*chat, "Newcomer")
            .wait_for_text("Welcome to Test Bricks", T)
            .await
            .unwrap_or_else(|e| panic!("{e}\n{}", bot.log_text()));
    }
    settle(&fake, &db).await;
    let calls = sends(&fake);
    let chats = by_chat(&calls);
    let latencies: Vec<Duration> = asked
        .iter()
        .map(|(at, chat)| chats[chat][0].at.saturating_duration_since(*at))
        .collect();
    let median = median(latencies.clone());
    let worst = latencies.iter().max().copied().unwrap_or_default();
    eprintln!(
        "first reply latency at 20 new customers/s, limits on: median {median:?}, max {worst:?}"
    );
    // Throttle's 250 ms tick made this 0–250 ms, about 125 ms in the middle.
    assert!(
        median < Duration::from_millis(60),
        "median {median:?} of {latencies:?}\n{}",
        bot.log_text()
    );
    assert!(calls.iter().all(|c| c.ok), "{calls:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_a_burst_of_300_new_customers_every_first_answer_goes_before_second_messages() {
    const N: i64 = 300;
    let (fake, _dir, db, bot) = bot_process::setup("small").await;
    let customers: Vec<_> = (0..N)
        .map(|i| fake.customer(50_001 + i, "Newcomer"))
        .collect();
    let burst = Instant::now();
    for customer in &customers {
        customer.send_text("/start");
    }
    // Everyone hears from us; then the rest follows.
    for customer in &customers {
        customer
            .wait_for_text("Welcome to Test Bricks", Duration::from_mins(1))
            .await
            .unwrap_or_else(|e| panic!("{e}\n{}", bot.log_text()));
    }
    settle(&fake, &db).await;
    let calls = sends(&fake);
    // The fake enforces Telegram's limits: not one request over them.
    let refused: Vec<&Call> = calls.iter().filter(|c| !c.ok).collect();
    assert!(refused.is_empty(), "refused: {refused:?}");
    let chats = by_chat(&calls);
    assert_eq!(chats.len(), usize::try_from(N).unwrap());
    let firsts: Vec<Duration> = chats
        .values()
        .map(|c| c[0].at.saturating_duration_since(burst))
        .collect();
    let last_first = firsts.iter().max().copied().unwrap_or_default();
    let last_any = calls
        .iter()
        .map(|c| c.at.saturating_duration_since(burst))
        .max();
    eprintln!(
        "burst of {N}: first answers median {:?}, last {last_first:?}; everything sent after {last_any:?}",
        median(firsts.clone())
    );
    // 300 at 30 a second: 10 s, plus the bot's own work. Interleaving second
    // messages (as Throttle did) would double it.
    assert!(
        last_first < Duration::from_secs(15),
        "last first answer after {last_first:?}"
    );
    let seconds_before = calls
        .iter()
        .filter(|c| c.ok && c.at.saturating_duration_since(burst) < last_first)
        .count()
        .saturating_sub(usize::try_from(N).unwrap());
    assert!(
        seconds_before <= 30,
        "{seconds_before} later messages went before the last first answer"
    );
    // Every message once, in order per chat: the same number for everyone, the
    // welcome first, and the platform's message ids following the outbox rows.
    let per_chat: Vec<usize> = chats.values().map(Vec::len).collect();
    assert!(
        per_chat.iter().all(|n| *n == per_chat[0] && *n >= 2),
        "{per_chat:?}"
    );
    for customer in &customers {
        let seen = customer.bot_messages();
        assert_eq!(seen.len(), per_chat[0]);
        assert!(seen[0].text.contains("Welcome to Test Bricks"));
    }
    let conn = rusqlite::Connection::open(&db).expect("open db");
    let disorder: i64 = conn
        .query_row(
            "SELECT count(*) FROM platform_messages a JOIN platform_messages b
             ON a.chat_id = b.chat_id AND a.row_id < b.row_id
             AND CAST(a.message_id AS INTEGER) > CAST(b.message_id AS INTEGER)",
            [],
            |r| r.get(0),
        )
        .expect("query");
    assert_eq!(disorder, 0, "messages out of order");
    let unsent: i64 = conn
        .query_row(
            "SELECT count(*) FROM outbox WHERE sent_at IS NULL",
            [],
            |r| r.get(0),
        )
        .expect("query");
    assert_eq!(unsent, 0);
}
