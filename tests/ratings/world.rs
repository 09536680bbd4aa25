//! A shop whose customers order, get their orders delivered and rate them on
//! Telegram, with its owner; every message queued, as the tests read it.

use std::path::{Path, PathBuf};

use jiff::{SignedDuration, Timestamp};
use shopbot::channel::Channel;
use shopbot::conversation::Input;
use shopbot::engine::{Chat, Engine, Event, Outgoing, TurnResult, outgoing_of};
use shopbot::shop::Shop;

use crate::support::{TempDb, noon};

pub const OWNER: &str = "111";

/// The small test shop with stock for everyone, its owner, and `extra` lines.
pub fn shop_path(dir: &Path, extra: &str) -> PathBuf {
    let small = std::fs::read_to_string("tests/fixtures/shops/small.toml").unwrap();
    let text = small
        .replace("stock = 5\n", "stock = 50\n")
        .replace("stock = 1\n", "stock = 50\n")
        .replace(
            "[owners]\ntelegram = []",
            &format!("{extra}\n[owners]\ntelegram = [{OWNER}]"),
        );
    let path = dir.join("shop.toml");
    std::fs::write(&path, text).unwrap();
    path
}

pub fn open(db: &TempDb, extra: &str) -> Engine {
    let shop = Shop::load(&shop_path(db.dir.path(), extra)).unwrap();
    let mut engine = Engine::open(shop, &db.path).unwrap();
    engine.set_channels(&[Channel::Telegram]);
    engine
}

pub fn hours(h: i64) -> Timestamp {
    noon() + SignedDuration::from_hours(h)
}

/// One input from `chat` (who is also the sender), with an optional event
/// key; every message queued, as (chat, message).
pub fn turn_keyed(
    engine: &mut Engine,
    chat: &str,
    input: &Input,
    key: Option<&str>,
    at: Timestamp,
) -> Vec<(String, Outgoing)> {
    let name = format!("Customer {chat} (@{chat})");
    let event = Event {
        key,
        sender: Some(chat),
        sender_name: Some(&name),
        direct: true,
        ..Event::default()
    };
    let chat_ref = Chat {
        channel: Channel::Telegram,
        chat_id: chat,
    };
    match engine.run_turn(chat_ref, event, input, at).unwrap() {
        TurnResult::Replies(rows) => rows
            .iter()
            .map(|r| (r.chat_id.clone(), outgoing_of(r).unwrap()))
            .collect(),
        TurnResult::Duplicate => Vec::new(),
    }
}

pub fn press(engine: &mut Engine, chat: &str, id: &str, at: Timestamp) -> Vec<(String, Outgoing)> {
    turn_keyed(engine, chat, &Input::Button(id.into()), None, at)
}

pub fn say(engine: &mut Engine, chat: &str, text: &str, at: Timestamp) -> Vec<(String, Outgoing)> {
    turn_keyed(engine, chat, &Input::Text(text.into()), None, at)
}

/// The texts queued for `chat`, in order.
pub fn texts(sent: &[(String, Outgoing)], chat: &str) -> Vec<String> {
    sent.iter()
        .filter(|(c, _)| c == chat)
        .map(|(_, o)| o.reply.text.clone())
        .collect()
}

/// The one text queued for `chat` that starts with `head` (a card).
pub fn card(sent: &[(String, Outgoing)], chat: &str, head: &str) -> String {
    let cards: Vec<String> = texts(sent, chat)
        .into_iter()
        .filter(|t| t.starts_with(head))
        .collect();
    assert_eq!(cards.len(), 1, "one card {head:?} in {sent:#?}");
    cards[0].clone()
}

/// `chat` orders what the buttons `adds` add (courier, cash), and the owner
/// marks it delivered; returns the order's number.
pub fn delivered_order(engine: &mut Engine, chat: &str, adds: &[&str], at: Timestamp) -> String {
    for add in adds {
        press(engine, chat, add, at);
    }
    for (kind, what) in [
        ("p", "checkout"),
        ("p", "dlv:courier"),
        ("s", "Ana Pop"),
        ("s", "+34 600 123 456"),
        ("s", "Calle Mayor 5, Madrid"),
        ("p", "skip"),
        ("p", "consent:no"),
        ("p", "pay:cash"),
    ] {
        if kind == "p" {
            press(engine, chat, what, at);
        } else {
            say(engine, chat, what, at);
        }
    }
    let sent = press(engine, chat, "confirm", at);
    let receipt = texts(&sent, chat).join("\n");
    let number = receipt
        .split('#')
        .nth(1)
        .and_then(|rest| rest.split(|c: char| !c.is_ascii_digit()).next())
        .unwrap_or_else(|| panic!("an order number in {receipt}"))
        .to_owned();
    let told = say(engine, OWNER, &format!("/status {number} delivered"), at);
    assert!(!told.is_empty(), "the owner is answered");
    number
}

/// `chat` rates order `number` with `stars`, then writes `comment` (or skips).
pub fn rate(
    engine: &mut Engine,
    chat: &str,
    number: &str,
    stars: u8,
    comment: Option<&str>,
    at: Timestamp,
) {
    let sent = press(engine, chat, &format!("rate:{number}:{stars}"), at);
    assert!(
        texts(&sent, chat).join("\n").contains("add a comment"),
        "{sent:#?}"
    );
    let sent = match comment {
        Some(text) => say(engine, chat, text, at),
        None => press(engine, chat, "skip", at),
    };
    assert!(
        texts(&sent, chat)
            .join("\n")
            .contains("Thank you for your feedback"),
        "{sent:#?}"
    );
}

/// One number from SQL.
pub fn number(db: &Path, sql: &str) -> i64 {
    let conn = rusqlite::Connection::open(db).unwrap();
    conn.query_row(sql, [], |r| r.get(0)).unwrap()
}
