//! Helpers shared by the integration tests: shops, engines on on-disk databases,
//! scripted terminal conversations with a fixed clock.
#![allow(dead_code)]

pub mod cdp;
pub mod pure;

use std::path::{Path, PathBuf};

use jiff::Timestamp;
use shopbot::channel::Channel;
use shopbot::channels::terminal;
use shopbot::conversation::{Input, Reply};
use shopbot::engine::{Chat, Engine, Event, TurnResult, reply_of};
use shopbot::shop::Shop;

/// 2026-11-25 12:00 UTC: the clock of every test.
pub fn noon() -> Timestamp {
    "2026-11-25T12:00:00Z".parse().expect("valid timestamp")
}

pub fn small_shop() -> Shop {
    Shop::load(Path::new("tests/fixtures/shops/small.toml")).expect("the small test shop loads")
}

/// A temporary folder with a database path in it.
pub struct TempDb {
    pub dir: tempfile::TempDir,
    pub path: PathBuf,
}

pub fn temp_db() -> TempDb {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("shop.db");
    TempDb { dir, path }
}

/// Runs a scripted terminal conversation and returns what the customer saw.
pub fn chat(engine: &mut Engine, chat_id: &str, script: &[&str]) -> String {
    let mut input = script.join("\n");
    input.push('\n');
    let mut out = Vec::new();
    terminal::run(engine, chat_id, input.as_bytes(), &mut out, &noon).expect("chat runs");
    String::from_utf8(out).expect("utf-8 output")
}

/// Sends one input through the engine and returns the replies.
#[allow(clippy::needless_pass_by_value)]
pub fn turn(engine: &mut Engine, chat_id: &str, input: Input) -> Vec<Reply> {
    let chat = Chat {
        channel: Channel::Terminal,
        chat_id,
    };
    match engine
        .run_turn(chat, Event::default(), &input, noon())
        .expect("turn runs")
    {
        TurnResult::Replies(rows) => rows.iter().map(|r| reply_of(r).expect("reply")).collect(),
        TurnResult::Duplicate => Vec::new(),
    }
}

/// Presses a button by id.
pub fn press(engine: &mut Engine, chat_id: &str, id: &str) -> Vec<Reply> {
    turn(engine, chat_id, Input::Button(id.to_owned()))
}

/// Types a message.
pub fn say(engine: &mut Engine, chat_id: &str, text: &str) -> Vec<Reply> {
    turn(engine, chat_id, Input::Text(text.to_owned()))
}

/// All reply texts joined, for `contains` checks.
pub fn text_of(replies: &[Reply]) -> String {
    replies
        .iter()
        .map(|r| r.text.as_str())
        .collect::<Vec<_>>()
        .join("\n")
}

/// Every button id offered.
pub fn buttons_of(replies: &[Reply]) -> Vec<String> {
    replies
        .iter()
        .flat_map(|r| r.buttons.iter().map(|b| b.id.clone()))
        .collect()
}

/// Drives a customer of the small shop from the start to the confirm step with
/// the given cart buttons (e.g. `["add:tower"]`), courier delivery and cash.
pub fn to_confirm(engine: &mut Engine, chat_id: &str, adds: &[&str]) -> Vec<Reply> {
    turn(engine, chat_id, Input::Start);
    for add in adds {
        press(engine, chat_id, add);
    }
    press(engine, chat_id, "checkout");
    press(engine, chat_id, "dlv:courier");
    say(engine, chat_id, "Ana Pop");
    say(engine, chat_id, "+34 600 123 456");
    say(engine, chat_id, "Calle Mayor 5, Madrid");
    press(engine, chat_id, "skip");
    press(engine, chat_id, "consent:no");
    press(engine, chat_id, "pay:cash")
}

/// `PRAGMA integrity_check` of a database file.
pub fn integrity(path: &Path) -> String {
    let conn = rusqlite::Connection::open(path).expect("open db");
    conn.query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .expect("integrity_check")
}

/// A single number from SQL.
pub fn count(path: &Path, sql: &str) -> i64 {
    let conn = rusqlite::Connection::open(path).expect("open db");
    conn.query_row(sql, [], |r| r.get(0)).expect("query")
}
