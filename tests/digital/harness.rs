//! The digital test shop (tests/fixtures/shops/digital.toml, copied with its
//! pattern file and pool of 50 codes) behind a real engine, on disk; customers
//! on Telegram and Matrix, an owner on Telegram.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use jiff::Timestamp;
use shopbot::channel::Channel;
use shopbot::conversation::Input;
use shopbot::engine::{Chat, Engine, Event, Outgoing, TurnResult, outgoing_of};
use shopbot::shop::Shop;

use super::support::{TempDb, noon};

/// The owner's Telegram id in the digital test shop.
pub const OWNER: &str = "4242";

/// The pool's codes, in file order.
pub static CODES: std::sync::LazyLock<Vec<String>> =
    std::sync::LazyLock::new(|| (1..=50).map(|i| format!("GIFT-{i:04}-BRICK")).collect());

/// A message the bot queued.
#[derive(Debug, Clone)]
pub struct Sent {
    pub channel: Channel,
    pub chat: String,
    pub out: Outgoing,
}

impl Sent {
    pub fn text(&self) -> &str {
        &self.out.reply.text
    }
}

/// Every text, joined.
pub fn texts(sent: &[Sent]) -> String {
    sent.iter().map(Sent::text).collect::<Vec<_>>().join("\n")
}

/// The codes a customer was given in `text` ("🔑 NAME: CODE" lines).
pub fn codes_in(text: &str) -> Vec<String> {
    text.lines()
        .filter_map(|l| l.strip_prefix("🔑 "))
        .filter_map(|l| l.rsplit_once(": ").map(|(_, code)| code.to_owned()))
        .collect()
}

/// A fixture file's bytes.
pub fn file_bytes(path: &str) -> Vec<u8> {
    std::fs::read(Path::new("tests/fixtures/shops").join(path)).expect("fixture file")
}

/// Copies the digital shop and its files into `dir`.
pub fn copy_digital_shop(dir: &Path) -> PathBuf {
    let source = Path::new("tests/fixtures/shops");
    for folder in ["patterns", "codes"] {
        std::fs::create_dir_all(dir.join(folder)).expect("folder");
        for entry in std::fs::read_dir(source.join(folder)).expect("fixture folder") {
            let entry = entry.expect("entry");
            std::fs::copy(entry.path(), dir.join(folder).join(entry.file_name())).expect("copy");
        }
    }
    let target = dir.join("shop.toml");
    std::fs::copy(source.join("digital.toml"), &target).expect("copy shop");
    target
}

pub struct Bot {
    pub engine: Engine,
    pub db: PathBuf,
    now: Timestamp,
}

impl Bot {
    pub fn new(db: &TempDb) -> Self {
        let shop = Shop::load(&copy_digital_shop(db.dir.path())).expect("the digital shop loads");
        let mut engine = Engine::open(shop, &db.path).expect("engine");
        engine.set_channels(&[Channel::Telegram, Channel::Matrix]);
        Self {
            engine,
            db: db.path.clone(),
            now: noon(),
        }
    }

    pub fn turn(
        &mut self,
        channel: Channel,
        chat: &str,
        event: Event<'_>,
        input: &Input,
    ) -> Vec<Sent> {
        self.now += jiff::SignedDuration::from_secs(1);
        let chat = Chat {
            channel,
            chat_id: chat,
        };
        match self
            .engine
            .run_turn(chat, event, input, self.now)
            .expect("turn")
        {
            TurnResult::Replies(rows) => rows
                .iter()
                .map(|r| Sent {
                    channel: r.channel,
                    chat: r.chat_id.clone(),
                    out: outgoing_of(r).expect("outgoing"),
                })
                .collect(),
            TurnResult::Duplicate => Vec::new(),
        }
    }

    fn event(sender: &str) -> Event<'_> {
        Event {
            sender: Some(sender),
            sender_name: Some("Ana Pop"),
            direct: true,
            ..Event::default()
        }
    }

    pub fn start(&mut self, channel: Channel, chat: &str) -> Vec<Sent> {
        self.turn(channel, chat, Self::event(chat), &Input::Start)
    }

    pub fn say(&mut self, channel: Channel, chat: &str, text: &str) -> Vec<Sent> {
        self.turn(
            channel,
            chat,
            Self::event(chat),
            &Input::Text(text.to_owned()),
        )
    }

    pub fn press(&mut self, channel: Channel, chat: &str, id: &str) -> Vec<Sent> {
        self.turn(
            channel,
            chat,
            Self::event(chat),
            &Input::Button(id.to_owned()),
        )
    }

    /// An owner's command, from their private chat.
    pub fn owner(&mut self, channel: Channel, text: &str) -> Vec<Sent> {
        self.turn(
            channel,
            OWNER,
            Self::event(OWNER),
            &Input::Text(text.to_owned()),
        )
    }

    /// The platform's confirmed payment for `order`.
    pub fn pay(&mut self, channel: Channel, chat: &str, order: &str, charge: &str) -> Vec<Sent> {
        let input = Input::PaymentReceived {
            order: order.to_owned(),
            reference: charge.to_owned(),
        };
        self.turn(channel, chat, Self::event(chat), &input)
    }

    /// A customer from the start to the order summary with one product: the
    /// name asked, and `pay` pressed when the shop offers a choice.
    pub fn reach_summary(
        &mut self,
        channel: Channel,
        chat: &str,
        add: &str,
        pay: &str,
    ) -> Vec<Sent> {
        self.start(channel, chat);
        self.press(channel, chat, add);
        self.press(channel, chat, "checkout");
        let asked = self.say(channel, chat, "Ana Pop");
        let offers_choice = asked
            .iter()
            .flat_map(|s| s.out.reply.buttons.iter())
            .any(|b| b.id == pay);
        if offers_choice {
            self.press(channel, chat, pay)
        } else {
            asked
        }
    }

    /// What the owners were sent in `sent`.
    pub fn owner_texts(sent: &[Sent]) -> String {
        sent.iter()
            .filter(|s| s.chat == OWNER)
            .map(Sent::text)
            .collect::<Vec<_>>()
            .join("\n")
    }

    pub fn status(&self, order: &str) -> String {
        let conn = rusqlite::Connection::open(&self.db).expect("db");
        conn.query_row(
            "SELECT status FROM orders WHERE number = ?1",
            [order],
            |r| r.get(0),
        )
        .expect("order")
    }

    /// How many attachments were ever queued for a chat.
    pub fn attachments_to(&self, chat: &str) -> usize {
        let conn = rusqlite::Connection::open(&self.db).expect("db");
        let n: i64 = conn
            .query_row(
                "SELECT COUNT(*) FROM outbox WHERE chat_id = ?1
                 AND json_extract(payload, '$.attachment') IS NOT NULL",
                [chat],
                |r| r.get(0),
            )
            .expect("count");
        usize::try_from(n).unwrap_or(0)
    }
}
