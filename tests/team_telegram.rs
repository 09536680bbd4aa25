//! Issue 14, several people in the team, on the real binary against the fake
//! Bot API: two owners answer the same ticket at once, interleaved, in one
//! `getUpdates` batch and then in many. The customer gets every answer exactly
//! once, in the order the owners sent them, each signed with its sender's
//! name (one from `[owners] names`, one from Telegram's first name).

#[path = "support/bot_process.rs"]
mod bot_process;
mod fake_telegram;
#[path = "support/process.rs"]
mod process;

use std::path::PathBuf;
use std::time::Duration;

use bot_process::{BotProcess, copy_shop, settle};
use fake_telegram::{Customer, FakeTelegram};

const T: Duration = Duration::from_mins(1);
const MARTA: i64 = 111_111;
const LUIS: i64 = 222_222;
const NO_OWNERS: &str = "[owners]\ntelegram = []\nmatrix = []";
const ENV: [(&str, &str); 1] = [("SHOPBOT_TELEGRAM_RATE_LIMIT", "off")];

struct Run {
    fake: FakeTelegram,
    _dir: tempfile::TempDir,
    db: PathBuf,
    bot: BotProcess,
}

impl Run {
    async fn start() -> Self {
        let fake = FakeTelegram::start().await;
        fake.set_strict(false);
        let dir = tempfile::tempdir().expect("temp dir");
        let shop = copy_shop("small", dir.path());
        let text = std::fs::read_to_string(&shop).expect("read shop");
        assert!(text.contains(NO_OWNERS));
        let owners = format!(
            "[owners]\ntelegram = [{MARTA}, {LUIS}]\nmatrix = []\nsign = true\n\
             names = {{ \"{MARTA}\" = \"Marta\" }}"
        );
        std::fs::write(&shop, text.replace(NO_OWNERS, &owners)).expect("write shop");
        let db = dir.path().join("shop.db");
        let bot = bot_process::start_polling(&fake, &shop, &db, &ENV).await;
        Self {
            fake,
            _dir: dir,
            db,
            bot,
        }
    }

    fn count(&self, sql: &str) -> i64 {
        let conn = rusqlite::Connection::open(&self.db).expect("open db");
        conn.query_row(sql, [], |r| r.get(0))
            .unwrap_or_else(|e| panic!("{sql}: {e}"))
    }

    async fn wait(&self, who: &Customer, needle: &str) {
        who.wait_for_text(needle, T)
            .await
            .unwrap_or_else(|e| panic!("{e}\n{}", self.bot.log_text()));
    }
}

/// The team's answers the customer got, in the order they arrived.
fn answers(who: &Customer) -> Vec<String> {
    who.bot_messages()
        .into_iter()
        .filter(|m| m.text.starts_with("💬"))
        .map(|m| m.text)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_owners_answering_one_ticket_at_once_reach_the_customer_once_each_in_order_signed() {
    const EACH: usize = 20;
    let run = Run::start().await;
    let marta = run.fake.customer(MARTA, "Marta");
    let luis = run.fake.customer(LUIS, "Luis");
    luis.set_username(Some("luis_shop"));
    for owner in [&marta, &luis] {
        owner.send_text("/help");
        run.wait(owner, "Owner commands").await;
    }
    let ana = run.fake.customer(9001, "Ana");
    ana.send_text("/start");
    run.wait(&ana, "What would you like to do?").await;
    ana.press_button("Talk to a person").expect("the button");
    run.wait(&ana, "Ticket #1").await;
    run.wait(&marta, "Ticket #1").await;
    run.wait(&luis, "Ticket #1").await;
    settle(&run.fake, &run.db).await;

    let mut expected = Vec::new();
    // One batch: both owners write while the bot cannot poll.
    run.fake.pause();
    for i in 0..EACH {
        marta.send_text(&format!("/reply 1 m{i:02}"));
        expected.push(format!("💬 Marta from Test Bricks: m{i:02}"));
        luis.send_text(&format!("/reply 1 l{i:02} \u{202e} RTL <b>&amp;"));
        expected.push(format!(
            "💬 Luis from Test Bricks: l{i:02} \u{202e} RTL <b>&amp;"
        ));
    }
    assert_eq!(run.fake.pending_count(), 2 * EACH);
    run.fake.resume();
    run.wait(&ana, &format!("l{:02}", EACH - 1)).await;

    // Many batches: the same, with the bot polling between them.
    for i in EACH..2 * EACH {
        marta.send_text(&format!("/reply 1 m{i:02}"));
        expected.push(format!("💬 Marta from Test Bricks: m{i:02}"));
        if i % 3 == 0 {
            tokio::time::sleep(Duration::from_millis(15)).await;
        }
        luis.send_text(&format!("/reply 1 l{i:02} \u{202e} RTL <b>&amp;"));
        expected.push(format!(
            "💬 Luis from Test Bricks: l{i:02} \u{202e} RTL <b>&amp;"
        ));
        if i % 2 == 0 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }
    run.wait(&ana, &format!("l{:02}", 2 * EACH - 1)).await;
    settle(&run.fake, &run.db).await;

    assert_eq!(answers(&ana), expected, "{}", run.bot.log_text());
    for (owner, n) in [(&marta, "m"), (&luis, "l")] {
        let told = owner
            .bot_messages()
            .iter()
            .filter(|m| m.text.contains("✓ Sent to ticket #1"))
            .count();
        assert_eq!(told, 2 * EACH, "{n}");
    }
    assert_eq!(
        run.count("SELECT COUNT(*) FROM history WHERE who = 'team'"),
        i64::try_from(4 * EACH).expect("small")
    );
    assert_eq!(
        run.count("SELECT COUNT(*) FROM outbox WHERE sent_at IS NULL"),
        0
    );
}
