//! The forum tests' bot run (`tests/topics.rs`): a fake Bot API with the
//! owners' forum group, the bot on a copy of the small shop, and reading the
//! topics back.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use super::bot_process::{self, BotProcess, copy_shop, settle};
use super::fake_telegram::{Customer, FakeTelegram, Seen, TopicInfo};

pub const T: Duration = Duration::from_secs(30);
pub const OWNER: i64 = 111_111;
/// The owners' forum supergroup.
pub const FORUM: i64 = -1_001_234_567_890;
const NO_OWNERS: &str = "[owners]\ntelegram = []\nmatrix = []";
const TALK: &str = "Talk to a person";
const ENV: [(&str, &str); 1] = [("SHOPBOT_TELEGRAM_RATE_LIMIT", "off")];

pub struct Run {
    pub fake: FakeTelegram,
    _dir: tempfile::TempDir,
    pub shop: PathBuf,
    pub db: PathBuf,
    pub bot: BotProcess,
    pub logs: Vec<PathBuf>,
    pub owner: Customer,
}

impl Run {
    pub async fn start() -> Self {
        let fake = FakeTelegram::start().await;
        fake.set_strict(false);
        let group = fake.forum(FORUM, "Shop team");
        let owner = group.member(OWNER, "Boss");
        let dir = tempfile::tempdir().expect("temp dir");
        let shop = copy_shop("small", dir.path());
        let text = std::fs::read_to_string(&shop).expect("read shop");
        assert!(text.contains(NO_OWNERS));
        let owners =
            format!("[owners]\ntelegram = [{OWNER}]\nmatrix = []\ntelegram_chat = {FORUM}");
        std::fs::write(&shop, text.replace(NO_OWNERS, &owners)).expect("write shop");
        let db = dir.path().join("shop.db");
        let bot = bot_process::start_polling(&fake, &shop, &db, &ENV).await;
        let logs = vec![bot.log.clone()];
        Self {
            fake,
            _dir: dir,
            shop,
            db,
            bot,
            logs,
            owner,
        }
    }

    pub async fn restart(&mut self) {
        self.bot = bot_process::start_polling(&self.fake, &self.shop, &self.db, &ENV).await;
        self.logs.push(self.bot.log.clone());
    }

    pub fn log(&self) -> String {
        let all: Vec<String> = self
            .logs
            .iter()
            .map(|p| std::fs::read_to_string(p).unwrap_or_default())
            .collect();
        let all = all.join("\n--- restart ---\n");
        let lines: Vec<&str> = all.lines().collect();
        let tail = lines[lines.len().saturating_sub(120)..].join("\n");
        format!(
            "--- bot log (last 120 lines) ---\n{tail}\n--- forum ---\n{}",
            self.forum()
        )
    }

    /// Everything in the owners' forum, topic by topic.
    pub fn forum(&self) -> String {
        let mut out = format!("General: {:?}\n", texts(&self.fake.general_messages(FORUM)));
        for t in self.fake.topics(FORUM) {
            let _ = std::fmt::Write::write_fmt(
                &mut out,
                format_args!(
                    "topic {} {:?} closed={}: {:?}\n",
                    t.thread,
                    t.name,
                    t.closed,
                    texts(&self.fake.topic_messages(FORUM, t.thread))
                ),
            );
        }
        out
    }

    pub async fn settle(&self) {
        settle(&self.fake, &self.db).await;
    }

    pub async fn until(&self, what: &str, check: impl Fn() -> bool) {
        let deadline = Instant::now() + T;
        while !check() {
            assert!(
                Instant::now() < deadline,
                "{what}: not within {T:?}\n{}",
                self.log()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// The customer opens the shop and taps "Talk to a person"; the ticket number.
    pub async fn open_ticket(&self, who: &Customer) -> u32 {
        let sent = who.send_text("/start");
        who.wait_for_messages(T, |chat| {
            chat.iter().any(|m| {
                m.from_bot && m.message_id > sent && m.all_buttons().any(|(t, _)| t.contains(TALK))
            })
        })
        .await
        .unwrap_or_else(|e| panic!("{e}\n{}", self.log()));
        who.press_button(TALK).unwrap_or_else(|e| panic!("{e}"));
        let seen = who
            .wait_for_text_after(sent, "Ticket #", T)
            .await
            .unwrap_or_else(|e| panic!("{e}\n{}", self.log()));
        number_after(&seen.text, "Ticket #").expect("a ticket number")
    }

    /// The topic named after `name`, once there is one.
    pub async fn topic_of(&self, name: &str) -> TopicInfo {
        self.until(&format!("a topic for {name}"), || {
            self.fake
                .topics(FORUM)
                .iter()
                .any(|t| t.name.starts_with(name))
        })
        .await;
        self.fake
            .topics(FORUM)
            .into_iter()
            .find(|t| t.name.starts_with(name))
            .expect("found")
    }

    /// Waits until topic `thread` holds a message containing `needle`.
    pub async fn in_topic(&self, thread: i64, needle: &str) -> Seen {
        self.until(&format!("{needle:?} in topic {thread}"), || {
            self.fake
                .topic_messages(FORUM, thread)
                .iter()
                .any(|m| m.text.contains(needle))
        })
        .await;
        self.fake
            .topic_messages(FORUM, thread)
            .into_iter()
            .find(|m| m.text.contains(needle))
            .expect("found")
    }

    pub fn closed(&self, thread: i64) -> bool {
        self.fake
            .topics(FORUM)
            .iter()
            .any(|t| t.thread == thread && t.closed)
    }

    pub fn rows(&self, sql: &str) -> i64 {
        let conn = rusqlite::Connection::open(&self.db).expect("open db");
        conn.query_row(sql, [], |r| r.get(0))
            .unwrap_or_else(|e| panic!("{sql}: {e}"))
    }
}

pub fn texts(seen: &[Seen]) -> Vec<String> {
    seen.iter()
        .map(|m| m.text.chars().take(60).collect())
        .collect()
}

pub fn number_after(text: &str, marker: &str) -> Option<u32> {
    let rest = text.split(marker).nth(1)?;
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

/// How many messages of the whole forum (every topic and General) contain `needle`.
pub fn everywhere(fake: &FakeTelegram, needle: &str) -> usize {
    fake.messages_in(FORUM)
        .iter()
        .filter(|m| m.text.contains(needle))
        .count()
}

pub fn db_path(run: &Run) -> &Path {
    &run.db
}
