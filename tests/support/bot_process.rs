//! Driving the real bot against the fake Bot API: start, settle, a customer's steps.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use super::fake_telegram::FakeTelegram;
pub use super::process::{BotProcess, copy_shop, unsent};

/// Starts `shopbot run` for `shop` on `db` against the fake Bot API.
pub fn start(fake: &FakeTelegram, shop: &Path, db: &Path, env: &[(&str, &str)]) -> BotProcess {
    let api = fake.api_url();
    let mut all = vec![
        ("SHOPBOT_TELEGRAM_TOKEN", FakeTelegram::TOKEN),
        ("TELOXIDE_API_URL", api.as_str()),
    ];
    all.extend_from_slice(env);
    BotProcess::spawn(shop, db, &all)
}

/// Starts the bot and waits until this very process polls (also after a restart,
/// when the fake has seen polls of the process before).
pub async fn start_polling(
    fake: &FakeTelegram,
    shop: &Path,
    db: &Path,
    env: &[(&str, &str)],
) -> BotProcess {
    let before = fake.polls_started();
    let bot = start(fake, shop, db, env);
    if let Err(e) = fake
        .wait_for_polls_beyond(before, Duration::from_secs(30))
        .await
    {
        panic!("{e}\n{}", bot.log_text());
    }
    bot
}

/// A fake Bot API (Telegram's limits on, its default), a copy of the test shop
/// `shop` in a temporary folder, and the bot running against both, polling.
pub async fn setup(shop: &str) -> (FakeTelegram, tempfile::TempDir, PathBuf, BotProcess) {
    let fake = FakeTelegram::start().await;
    let dir = tempfile::tempdir().expect("temp dir");
    let shop = copy_shop(shop, dir.path());
    let db = dir.path().join("shop.db");
    let bot = start(&fake, &shop, &db, &[]);
    fake.wait_for_polling(Duration::from_secs(20))
        .await
        .unwrap_or_else(|e| panic!("{e}\n{}", bot.log_text()));
    (fake, dir, db, bot)
}

/// How many of a Telegram customer's bot messages contain `needle`.
pub fn seen(customer: &super::fake_telegram::Customer, needle: &str) -> usize {
    customer
        .bot_messages()
        .iter()
        .filter(|m| m.text.contains(needle))
        .count()
}

/// Waits until the bot has nothing left to do: the fake holds no unconfirmed
/// update and the outbox has nothing unsent, steadily for a moment.
pub async fn settle(fake: &FakeTelegram, db: &Path) {
    let deadline = Instant::now() + Duration::from_mins(1);
    let mut quiet_since: Option<Instant> = None;
    while Instant::now() < deadline {
        let idle = fake.pending_updates().is_empty() && unsent(db) == 0;
        match (idle, quiet_since) {
            (true, Some(since)) if since.elapsed() > Duration::from_millis(400) => return,
            (true, None) => quiet_since = Some(Instant::now()),
            (false, _) => quiet_since = None,
            _ => {}
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("the bot did not settle within 60 s");
}

/// A customer driven step by step: each action waits for the bot to settle.
pub struct Shopper<'a> {
    pub customer: super::fake_telegram::Customer,
    pub fake: &'a FakeTelegram,
    pub db: PathBuf,
    pub bot: &'a BotProcess,
}

impl Shopper<'_> {
    pub async fn say(&self, text: &str) {
        self.customer.send_text(text);
        settle(self.fake, &self.db).await;
    }

    /// Presses the newest button whose label contains `label`.
    pub async fn tap(&self, label: &str) {
        if let Err(e) = self.customer.press_button(label) {
            panic!("{e}\n{}", self.transcript());
        }
        settle(self.fake, &self.db).await;
    }

    /// Asserts that a bot message (new or edited) contains `needle`; returns the newest.
    pub fn sees(&self, needle: &str) -> super::fake_telegram::Seen {
        self.customer
            .bot_messages()
            .into_iter()
            .rev()
            .find(|m| m.text.contains(needle))
            .unwrap_or_else(|| panic!("no message with {needle:?}\n{}", self.transcript()))
    }

    /// The chat as the customer sees it, and the bot's log.
    pub fn transcript(&self) -> String {
        let chat: Vec<String> = self
            .customer
            .messages()
            .iter()
            .map(|m| {
                let who = if m.from_bot { "bot" } else { "customer" };
                let buttons: Vec<&str> = m.all_buttons().map(|(t, _)| t.as_str()).collect();
                format!(
                    "#{} {who} (edits {}): {:?} {buttons:?}",
                    m.message_id, m.edits, m.text
                )
            })
            .collect();
        format!(
            "{}\n--- bot log ---\n{}",
            chat.join("\n"),
            self.bot.log_text()
        )
    }
}
