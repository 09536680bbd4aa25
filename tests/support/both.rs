//! One `shopbot run` with both channels at once — Telegram against the fake Bot
//! API and Matrix on a real Synapse — and `[owners]` set: for the owner's tests,
//! where a Telegram customer is answered from Matrix and the reverse.
//!
//! Include it with its neighbours (it uses them through `super::`):
//! ```ignore
//! mod fake_telegram;
//! #[path = "support/process.rs"] mod process;
//! #[path = "support/synapse.rs"] mod synapse;
//! #[path = "support/matrix_customer.rs"] mod matrix_customer;
//! #[path = "support/both.rs"] mod both;
//! ```
#![allow(dead_code)]

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use matrix_sdk::ruma::{OwnedEventId, OwnedRoomId, OwnedUserId, UserId};

use super::fake_telegram::{Customer, FakeTelegram, Seen};
use super::matrix_customer::{MatrixCustomer, SeenEvent};
use super::process::{BotProcess, copy_shop, unsent};
use super::synapse::Synapse;

/// How long anything may take: generous, the machines are small.
pub const T: Duration = Duration::from_mins(1);

/// The `[owners]` table of the test shop, and anything to append to the file.
#[derive(Default)]
pub struct Owners<'a> {
    pub telegram: &'a [i64],
    pub matrix: &'a [&'a str],
    pub telegram_chat: Option<i64>,
    pub matrix_room: Option<&'a str>,
    /// More TOML appended at the end of `shop.toml` (e.g. an `[hours]` table).
    pub extra: &'a str,
}

impl Owners<'_> {
    fn toml(&self) -> String {
        let telegram: Vec<String> = self.telegram.iter().map(ToString::to_string).collect();
        let matrix: Vec<String> = self.matrix.iter().map(|m| format!("\"{m}\"")).collect();
        let mut out = format!(
            "[owners]\ntelegram = [{}]\nmatrix = [{}]\n",
            telegram.join(", "),
            matrix.join(", ")
        );
        if let Some(chat) = self.telegram_chat {
            let _ = writeln!(out, "telegram_chat = {chat}");
        }
        if let Some(room) = self.matrix_room {
            let _ = writeln!(out, "matrix_room = \"{room}\"");
        }
        out
    }
}

/// The fake Bot API, a copy of the small test shop with `[owners]` and `[matrix]`,
/// and the bot running against both channels.
pub struct Both {
    pub fake: FakeTelegram,
    pub dir: tempfile::TempDir,
    pub shop: PathBuf,
    pub db: PathBuf,
    /// The bot's Matrix account.
    pub bot_id: OwnedUserId,
    pub bot: BotProcess,
    /// Logs of the processes killed before this one, for error messages.
    earlier: Vec<PathBuf>,
}

impl Both {
    /// Registers the bot's Matrix account, writes the shop and starts the bot;
    /// returns once both channels listen.
    pub async fn start(syn: &Synapse, owners: &Owners<'_>) -> Both {
        let account = syn.register("shopbot");
        Both::start_as(syn, &account, owners).await
    }

    /// Like [`Both::start`], with a bot account registered beforehand (`(user id,
    /// password)`), e.g. one already invited to a room.
    pub async fn start_as(syn: &Synapse, account: &(String, String), owners: &Owners<'_>) -> Both {
        let fake = FakeTelegram::start().await;
        let dir = tempfile::tempdir().expect("temp dir");
        let (bot, password) = account;
        let shop = copy_shop("small", dir.path());
        std::fs::write(dir.path().join("matrix.password"), format!("{password}\n"))
            .expect("password file");
        let text = std::fs::read_to_string(&shop).expect("shop");
        let empty = "[owners]\ntelegram = []\nmatrix = []\n";
        assert!(
            text.contains(empty),
            "the small shop's [owners] table changed"
        );
        let mut text = text.replace(empty, &owners.toml());
        let _ = write!(
            text,
            "\n[matrix]\nhomeserver = \"{}\"\nuser = \"{bot}\"\npassword_file = \"matrix.password\"\n\n{}",
            syn.url(),
            owners.extra
        );
        std::fs::write(&shop, text).expect("write shop");
        let db = dir.path().join("shop.db");
        let process = spawn(&fake, &shop, &db);
        let both = Both {
            fake,
            dir,
            shop,
            db,
            bot_id: UserId::parse(bot.as_str()).expect("bot id"),
            bot: process,
            earlier: Vec::new(),
        };
        both.wait_ready().await;
        both
    }

    /// `kill -9` and start again on the same database, session and crypto store.
    pub async fn restart(&mut self) {
        self.bot.kill9();
        self.earlier.push(self.bot.log.clone());
        self.bot = spawn(&self.fake, &self.shop, &self.db);
        self.wait_ready().await;
    }

    /// Waits until the Matrix channel listens and Telegram is connected.
    async fn wait_ready(&self) {
        let deadline = Instant::now() + T;
        loop {
            let log = self.bot.log_text();
            if log.contains("matrix: listening") && log.contains("telegram: connected") {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "the bot did not start both channels\n{}",
                self.log()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// The bot's log (earlier processes first).
    pub fn log(&self) -> String {
        let mut out = String::new();
        for (i, path) in self.earlier.iter().enumerate() {
            let _ = writeln!(
                out,
                "--- bot log, process {} ---\n{}",
                i + 1,
                std::fs::read_to_string(path).unwrap_or_default()
            );
        }
        let _ = write!(out, "--- bot log (current) ---\n{}", self.bot.log_text());
        out
    }

    /// A single number from SQL on the bot's database.
    pub fn count(&self, sql: &str) -> i64 {
        let conn = rusqlite::Connection::open(&self.db).expect("open db");
        conn.query_row(sql, [], |r| r.get(0))
            .unwrap_or_else(|e| panic!("{sql}: {e}"))
    }

    /// A single text (or NULL) from SQL on the bot's database.
    pub fn text(&self, sql: &str) -> Option<String> {
        let conn = rusqlite::Connection::open(&self.db).expect("open db");
        conn.query_row(sql, [], |r| r.get(0))
            .unwrap_or_else(|e| panic!("{sql}: {e}"))
    }

    /// Waits until `sql` gives `want`.
    pub async fn wait_count(&self, sql: &str, want: i64) {
        let deadline = Instant::now() + T;
        loop {
            let got = self.count(sql);
            if got == want {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "{sql}: {got}, expected {want}\n{}",
                self.log()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Waits until the bot has nothing left to do: no unconfirmed Telegram
    /// update and nothing unsent in the outbox, steadily for a moment. (Matrix
    /// events have no such queue: wait for their answers instead.)
    pub async fn settle(&self) {
        let deadline = Instant::now() + T;
        let mut quiet_since: Option<Instant> = None;
        while Instant::now() < deadline {
            let idle = self.fake.pending_updates().is_empty() && unsent(&self.db) == 0;
            match (idle, quiet_since) {
                (true, Some(since)) if since.elapsed() > Duration::from_millis(500) => return,
                (true, None) => quiet_since = Some(Instant::now()),
                (false, _) => quiet_since = None,
                _ => {}
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        panic!("the bot did not settle within {T:?}\n{}", self.log());
    }

    /// A Telegram user in a private chat with the bot (chat id = user id).
    pub fn telegram(&self, id: i64, first_name: &str) -> Tg {
        Tg {
            user: self.fake.customer(id, first_name),
        }
    }
}

fn spawn(fake: &FakeTelegram, shop: &Path, db: &Path) -> BotProcess {
    let api = fake.api_url();
    BotProcess::spawn(
        shop,
        db,
        &[
            ("SHOPBOT_TELEGRAM_TOKEN", FakeTelegram::TOKEN),
            ("TELOXIDE_API_URL", api.as_str()),
        ],
    )
}

/// A Telegram user's private chat with the bot.
pub struct Tg {
    pub user: Customer,
}

impl Tg {
    /// The id of the newest message in the chat (0 if none): "after this".
    pub fn mark(&self) -> i64 {
        self.user.messages().last().map_or(0, |m| m.message_id)
    }

    /// Waits for a bot message after `after` containing `needle`.
    /// Waits for a bot message after `after` containing `needle`, then for the
    /// bot to settle (the rest of its turn sent).
    pub async fn sees_after(&self, both: &Both, after: i64, needle: &str) -> Seen {
        self.user
            .wait_for_text_after(after, needle, T)
            .await
            .unwrap_or_else(|e| panic!("{e}\n{}", both.log()));
        both.settle().await;
        self.user
            .wait_for_text_after(after, needle, T)
            .await
            .unwrap_or_else(|e| panic!("{e}\n{}", both.log()))
    }

    /// Sends `text`, then waits for a bot message containing `needle`.
    pub async fn say(&self, both: &Both, text: &str, needle: &str) -> Seen {
        let after = self.mark();
        self.user.send_text(text);
        self.sees_after(both, after, needle).await
    }

    /// Presses the newest button whose label contains `label`, then waits for a
    /// bot message (new or edited) containing `needle`.
    pub async fn tap(&self, both: &Both, label: &str, needle: &str) -> Seen {
        if let Err(e) = self.user.press_button(label) {
            panic!("{e}\n{}\n{}", self.transcript(), both.log());
        }
        self.sees_after(both, 0, needle).await
    }

    /// Replies (a Telegram reply) to `message_id` with `text`, then waits for a
    /// bot message after it containing `needle`.
    pub async fn reply(&self, both: &Both, message_id: i64, text: &str, needle: &str) -> Seen {
        let after = self.mark();
        self.user.reply_text(message_id, text);
        self.sees_after(both, after, needle).await
    }

    /// Bot messages after `after`.
    pub fn bot_messages_after(&self, after: i64) -> Vec<Seen> {
        self.user
            .bot_messages()
            .into_iter()
            .filter(|m| m.message_id > after)
            .collect()
    }

    /// The chat, one line per message.
    pub fn transcript(&self) -> String {
        let lines: Vec<String> = self
            .user
            .messages()
            .iter()
            .map(|m| {
                let who = if m.from_bot { "bot" } else { "user" };
                let buttons: Vec<&str> = m.all_buttons().map(|(t, _)| t.as_str()).collect();
                format!("#{} {who}: {:?} {buttons:?}", m.message_id, m.text)
            })
            .collect();
        format!("chat {}:\n{}", self.user.chat_id(), lines.join("\n"))
    }

    /// Places an order of one product found through the finder (a child, any
    /// budget, `likes` = "Castles" or "Vehicles"), picked up in the shop and paid
    /// in cash; returns the confirmation.
    pub async fn order(&self, both: &Both, likes: &str, product: &str) -> Seen {
        self.say(both, "/find", "Question 1 of 3").await;
        self.tap(both, "A child", "Question 2 of 3").await;
        self.tap(both, "Any budget", "Question 3 of 3").await;
        self.tap(both, likes, "Would you like something else?")
            .await;
        self.tap(both, "Add to cart", &format!("Added {product}"))
            .await;
        self.tap(both, "Checkout", "How would you like to receive")
            .await;
        self.tap(both, "Pick up in the shop", "What is your name?")
            .await;
        self.say(both, "Bo Lee", "What phone number").await;
        self.say(both, "+34 611 222 333", "Any note for us").await;
        self.tap(both, "Skip", "occasional news").await;
        self.tap(both, "No, thanks", "How would you like to pay?")
            .await;
        self.tap(both, "Cash on delivery", "Please check your order")
            .await;
        self.tap(both, "Confirm order", "Your order number is #")
            .await
    }
}

/// A Matrix user (customer or owner) in an encrypted direct chat with the bot.
pub struct Mx {
    pub user: MatrixCustomer,
    pub room: OwnedRoomId,
    pub bot: OwnedUserId,
}

/// The reaction key of button `number`: 1️⃣ … 9️⃣, 🔟.
pub fn keycap(number: usize) -> String {
    if number == 10 {
        "🔟".to_owned()
    } else {
        format!("{number}\u{fe0f}\u{20e3}")
    }
}

/// The number of the button whose label contains `label` in a Matrix message
/// (`"3. Add to cart"` lines).
pub fn button_number(body: &str, label: &str) -> Option<usize> {
    body.lines().find_map(|line| {
        let (number, rest) = line.trim().split_once(". ")?;
        let number: usize = number.parse().ok()?;
        rest.contains(label).then_some(number)
    })
}

/// The number after `prefix` in `text`, e.g. `number_after("Ticket #12 …", "Ticket #")`.
pub fn number_after(text: &str, prefix: &str) -> Option<u64> {
    let start = text.find(prefix)? + prefix.len();
    let digits: String = text[start..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse().ok()
}

impl Mx {
    /// Logs in a registered user and opens an encrypted DM with the bot (the
    /// bot must be running: its device must exist before anything is encrypted).
    pub async fn open(syn: &Synapse, user: &(String, String), bot: &UserId) -> Mx {
        let client = MatrixCustomer::login(syn.url(), &user.0, &user.1).await;
        Mx::dm(client, bot).await
    }

    /// Opens an encrypted DM with the bot for a logged-in user.
    pub async fn dm(user: MatrixCustomer, bot: &UserId) -> Mx {
        let room = user.create_dm(bot, true).await;
        user.wait_for_join(&room, bot, T)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        Mx {
            user,
            room,
            bot: bot.to_owned(),
        }
    }

    pub fn id(&self) -> &UserId {
        self.user.user_id()
    }

    /// How many messages the room holds: "after this".
    pub fn mark(&self) -> usize {
        self.user.messages(&self.room).len()
    }

    /// The bot's messages after the first `after` messages of the room.
    pub fn bot_messages_after(&self, after: usize) -> Vec<SeenEvent> {
        self.user
            .messages(&self.room)
            .into_iter()
            .skip(after)
            .filter(|m| m.sender == self.bot)
            .collect()
    }

    /// The first bot message after the first `after` messages that contains `needle`.
    pub async fn bot_says(&self, both: &Both, after: usize, needle: &str) -> SeenEvent {
        let deadline = Instant::now() + T;
        loop {
            if let Some(m) = self
                .bot_messages_after(after)
                .into_iter()
                .find(|m| m.body.contains(needle))
            {
                return m;
            }
            assert!(
                Instant::now() < deadline,
                "{}: no bot message with {needle:?} in {}\n{}\n{}",
                self.id(),
                self.room,
                self.user.describe(&self.room),
                both.log()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Types `text`, then waits for the bot's answer containing `needle`.
    pub async fn say(&self, both: &Both, text: &str, needle: &str) -> SeenEvent {
        let after = self.mark();
        self.user.send_text(&self.room, text).await;
        self.bot_says(both, after, needle).await
    }

    /// Replies (`m.in_reply_to`) to `to` with `text`, then waits for the bot's
    /// answer containing `needle`.
    pub async fn reply(
        &self,
        both: &Both,
        to: &OwnedEventId,
        text: &str,
        needle: &str,
    ) -> SeenEvent {
        let after = self.mark();
        self.user.send_reply(&self.room, to, text).await;
        self.bot_says(both, after, needle).await
    }

    /// Reacts with the keycap of the button labelled `label` on `message` (once
    /// the bot has put that shortcut there), then waits for the bot's answer
    /// containing `needle`.
    pub async fn tap(
        &self,
        both: &Both,
        message: &SeenEvent,
        label: &str,
        needle: &str,
    ) -> SeenEvent {
        let number = button_number(&message.body, label)
            .unwrap_or_else(|| panic!("no button {label:?} in {:?}\n{}", message.body, both.log()));
        self.react(both, message, number, needle).await
    }

    /// Reacts with keycap `number` on `message` (once the bot has put that
    /// shortcut there), then waits for the bot's answer containing `needle`.
    pub async fn react(
        &self,
        both: &Both,
        message: &SeenEvent,
        number: usize,
        needle: &str,
    ) -> SeenEvent {
        let key = keycap(number);
        let deadline = Instant::now() + T;
        while !self
            .user
            .messages(&self.room)
            .iter()
            .any(|m| m.event_id == message.event_id && m.reactions_by(&self.bot).contains(&key))
        {
            assert!(
                Instant::now() < deadline,
                "the bot never offered {key} on {:?}\n{}",
                message.body,
                both.log()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let after = self.mark();
        self.user.react(&self.room, &message.event_id, &key).await;
        self.bot_says(both, after, needle).await
    }

    /// Places an order of the Wizard Tower through the finder, picked up in the
    /// shop, paid in cash (the steps of tests/matrix.rs); returns the confirmation.
    pub async fn order_tower(&self, both: &Both) -> SeenEvent {
        let menu = self.say(both, "/start", "What would you like to do?").await;
        self.tap(both, &menu, "Find a gift", "Question 1 of 3")
            .await;
        let q2 = self.say(both, "1", "Question 2 of 3").await;
        self.tap(both, &q2, "Any budget", "Question 3 of 3").await;
        let after = self.mark();
        self.user.send_text(&self.room, "castles").await;
        self.bot_says(both, after, "Would you like something else?")
            .await;
        let tower = self.bot_says(both, after, "Wizard Tower").await;
        let add = button_number(&tower.body, "Add to cart")
            .unwrap_or_else(|| panic!("no Add to cart on {:?}", tower.body));
        self.say(both, &add.to_string(), "Added Wizard Tower").await;
        let delivery = self.say(both, "2", "How would you like to receive").await;
        self.tap(both, &delivery, "Pick up in the shop", "What is your name?")
            .await;
        self.say(both, "Cy Customer", "What phone number").await;
        self.say(both, "600 123 456", "Any note for us").await;
        self.say(both, "skip", "occasional news").await;
        self.say(both, "2", "How would you like to pay?").await;
        self.say(both, "1", "Please check your order").await;
        self.say(both, "1", "Your order number is #").await
    }
}
