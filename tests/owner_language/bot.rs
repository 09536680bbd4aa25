//! The harness of `owner_language.rs`: the small test shop in a language, its
//! owner on Telegram, turns on a fixed clock.

use std::path::{Path, PathBuf};

use jiff::Timestamp;
use shopbot::channel::Channel;
use shopbot::conversation::Input;
use shopbot::engine::{Chat, Engine, Event, Outgoing, TurnResult, outgoing_of};
use shopbot::shop::Shop;

use super::support::{TempDb, noon};

pub const OWNER: &str = "111";

pub struct Sent {
    pub chat: String,
    pub out: Outgoing,
}

pub struct Bot {
    pub engine: Engine,
    pub db: PathBuf,
    pub now: Timestamp,
}

/// The small test shop in `language`, its owner on Telegram, plus `extra` TOML
/// after `[owners]` and `tail` at the end of the file.
pub fn shop_file(dir: &Path, language: &str, extra: &str, tail: &str) -> PathBuf {
    let small = std::fs::read_to_string("tests/fixtures/shops/small.toml").unwrap();
    let text = small
        .replace(
            "language = \"en\"\nlanguages = [\"en\", \"es\"]",
            &format!("language = \"{language}\"\nlanguages = [\"en\", \"es\"]"),
        )
        .replace(
            "[owners]\ntelegram = []\nmatrix = []",
            &format!("[owners]\ntelegram = [{OWNER}]\nmatrix = []\n{extra}"),
        );
    assert!(text.contains(&format!("language = \"{language}\"")));
    assert!(text.contains(&format!("telegram = [{OWNER}]")));
    let path = dir.join("shop.toml");
    std::fs::write(&path, format!("{text}\n{tail}")).unwrap();
    path
}

impl Bot {
    pub fn new(db: &TempDb, language: &str, extra: &str, tail: &str) -> Self {
        let path = shop_file(db.dir.path(), language, extra, tail);
        let shop = Shop::load(&path).expect("shop loads");
        let mut engine = Engine::open(shop, &db.path).unwrap();
        engine.set_channels(&[Channel::Telegram]);
        Self {
            engine,
            db: db.path.clone(),
            now: noon(),
        }
    }

    pub fn turn(&mut self, chat: &str, sender: &str, input: &Input) -> Vec<Sent> {
        let event = Event {
            sender: Some(sender),
            sender_name: Some("Ana Pop (@ana)"),
            direct: true,
            ..Event::default()
        };
        self.now += jiff::SignedDuration::from_secs(1);
        let chat = Chat {
            channel: Channel::Telegram,
            chat_id: chat,
        };
        match self.engine.run_turn(chat, event, input, self.now).unwrap() {
            TurnResult::Replies(rows) => rows
                .iter()
                .map(|r| Sent {
                    chat: r.chat_id.clone(),
                    out: outgoing_of(r).unwrap(),
                })
                .collect(),
            TurnResult::Duplicate => Vec::new(),
        }
    }

    pub fn say(&mut self, chat: &str, text: &str) -> Vec<Sent> {
        self.turn(chat, chat, &Input::Text(text.to_owned()))
    }

    pub fn press(&mut self, chat: &str, id: &str) -> Vec<Sent> {
        self.turn(chat, chat, &Input::Button(id.to_owned()))
    }

    /// What the owner reads back from a command.
    pub fn owner(&mut self, command: &str) -> String {
        let sent = self.say(OWNER, command);
        to_owner(&sent)
    }

    /// A customer orders a castle by courier, paying cash: order 1001 onwards.
    pub fn order_as(&mut self, cust: &str) -> Vec<Sent> {
        self.say(cust, "/start");
        for (press, what) in [
            (true, "add:castle"),
            (true, "checkout"),
            (true, "dlv:courier"),
            (false, "Ana Pop"),
            (false, "+34 600 123 456"),
            (false, "Calle Mayor 5, Madrid"),
            (true, "skip"),
            (true, "consent:no"),
            (true, "pay:cash"),
        ] {
            if press {
                self.press(cust, what);
            } else {
                self.say(cust, what);
            }
        }
        self.press(cust, "confirm")
    }

    pub fn status(&self, number: &str) -> String {
        let conn = rusqlite::Connection::open(&self.db).unwrap();
        conn.query_row(
            "SELECT status FROM orders WHERE number = ?1",
            [number],
            |r| r.get(0),
        )
        .unwrap()
    }

    pub fn report(&self, days: u32) -> String {
        let shop = self.engine.shop();
        let stats = self
            .engine
            .store()
            .stats(days, self.now, &shop.time_zone, shop.currency())
            .unwrap();
        shopbot::report::html(shop, &stats).unwrap()
    }
}

pub fn to_owner(sent: &[Sent]) -> String {
    sent.iter()
        .filter(|s| s.chat == OWNER)
        .map(|s| s.out.reply.text.as_str())
        .collect::<Vec<_>>()
        .join("\n")
}

pub fn owner_notices(sent: &[Sent]) -> Vec<&Outgoing> {
    sent.iter()
        .filter(|s| s.chat == OWNER)
        .map(|s| &s.out)
        .collect()
}
