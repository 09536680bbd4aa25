//! The figures: exact counts on a scripted set of conversations on two channels
//! with a fixed clock, through `Store::stats`, `shopbot stats` and `/stats`; and
//! `shopbot backup` taken under write load.

mod support;

use std::path::Path;
use std::process::Command;

use jiff::{SignedDuration, Timestamp};
use shopbot::channel::Channel;
use shopbot::conversation::Input;
use shopbot::engine::{Chat, Engine, Event, TurnResult, outgoing_of};
use shopbot::shop::Shop;
use support::{count, integrity, noon, temp_db};

const OWNER: &str = "111";

fn open_engine(db: &Path, dir: &Path) -> Engine {
    let small = std::fs::read_to_string("tests/fixtures/shops/small.toml").unwrap();
    let text = small.replace(
        "[owners]\ntelegram = []",
        &format!("[owners]\ntelegram = [{OWNER}]"),
    );
    let path = dir.join("shop.toml");
    std::fs::write(&path, text).unwrap();
    let mut engine = Engine::open(Shop::load(&path).unwrap(), db).unwrap();
    engine.set_channels(&[Channel::Telegram, Channel::Matrix]);
    engine
}

/// Runs one input; returns the texts queued for `chat` itself.
#[allow(clippy::needless_pass_by_value)] // inputs are built in place
fn run(engine: &mut Engine, channel: Channel, chat: &str, input: Input, at: Timestamp) -> String {
    let event = Event {
        sender: Some(chat),
        direct: true,
        ..Event::default()
    };
    let chat_ref = Chat {
        channel,
        chat_id: chat,
    };
    match engine.run_turn(chat_ref, event, &input, at).unwrap() {
        TurnResult::Replies(rows) => rows
            .iter()
            .filter(|r| r.chat_id == chat)
            .map(|r| outgoing_of(r).unwrap().reply.text)
            .collect::<Vec<_>>()
            .join("\n"),
        TurnResult::Duplicate => String::new(),
    }
}

/// A scripted day: two Telegram customers and one Matrix customer.
fn script(engine: &mut Engine) {
    let at = std::cell::Cell::new(noon());
    let step = |engine: &mut Engine, channel: Channel, chat: &str, input: Input| {
        at.set(at.get() + SignedDuration::from_secs(5));
        run(engine, channel, chat, input, at.get())
    };
    let press = |id: &str| Input::Button(id.to_owned());
    let say = |text: &str| Input::Text(text.to_owned());
    // Telegram 1: the finder to the end, then an order of a castle.
    step(engine, Channel::Telegram, "1", Input::Start);
    for id in ["finder", "fa:who:kid", "fa:budget:any", "fa:likes:castles"] {
        step(engine, Channel::Telegram, "1", press(id));
    }
    for (kind, what) in [
        ("p", "add:castle"),
        ("p", "checkout"),
        ("p", "dlv:courier"),
        ("s", "Ana Pop"),
        ("s", "+34 600 123 456"),
        ("s", "Calle Mayor 5, Madrid"),
        ("p", "skip"),
        ("p", "consent:no"),
        ("p", "pay:cash"),
        ("p", "confirm"),
    ] {
        let input = if kind == "p" { press(what) } else { say(what) };
        step(engine, Channel::Telegram, "1", input);
    }
    // Telegram 2: a question the bot does not know (twice, differently cased),
    // then a person; the owner answers two minutes later.
    step(engine, Channel::Telegram, "2", Input::Start);
    step(
        engine,
        Channel::Telegram,
        "2",
        say("Do you sell spaceships to Mars"),
    );
    step(
        engine,
        Channel::Telegram,
        "2",
        say("do you sell spaceships to mars "),
    );
    let opened = step(engine, Channel::Telegram, "2", press("human"));
    assert!(opened.contains("Ticket #1"), "{opened}");
    at.set(at.get() + SignedDuration::from_secs(115));
    step(engine, Channel::Telegram, OWNER, say("/reply 1 No, sorry!"));
    // Matrix: a cart and a checkout, abandoned.
    for input in [
        Input::Start,
        press("add:tower"),
        press("checkout"),
        press("cancel"),
    ] {
        step(engine, Channel::Matrix, "!c:example.org", input);
    }
}

#[test]
fn the_figures_are_exact_per_channel() {
    let db = temp_db();
    let mut engine = open_engine(&db.path, db.dir.path());
    script(&mut engine);
    let later = noon() + SignedDuration::from_hours(1);
    let shop = engine.shop().clone();
    let stats = engine
        .store()
        .stats(7, later, &shop.time_zone, shop.currency())
        .unwrap();
    let names: Vec<&str> = stats.channels.iter().map(|c| c.channel.as_str()).collect();
    // The owner's commands are not conversations of the shop.
    assert_eq!(names, ["matrix", "telegram"]);
    let matrix = &stats.channels[0];
    let telegram = &stats.channels[1];
    let f = telegram.funnel;
    assert_eq!(
        (
            f.conversations,
            f.finder_started,
            f.finder_completed,
            f.carts,
            f.checkouts,
            f.orders,
            f.escalations
        ),
        (2, 1, 1, 1, 1, 1, 1)
    );
    assert_eq!(telegram.orders, 1);
    assert_eq!(telegram.revenue.cents(), 4_990, "castle + courier");
    let f = matrix.funnel;
    assert_eq!(
        (
            f.conversations,
            f.finder_started,
            f.carts,
            f.checkouts,
            f.orders,
            f.escalations
        ),
        (1, 0, 1, 1, 0, 0)
    );
    assert_eq!(stats.total.funnel.conversations, 3);
    assert_eq!(stats.total.revenue.cents(), 4_990);
    assert!((telegram.funnel.conversion() - 50.0).abs() < 1e-9);
    assert_eq!(stats.per_day.len(), 7);
    let today = stats.per_day.last().unwrap();
    assert_eq!(today.date, "2026-11-25");
    assert_eq!(today.total_orders(), 1);
    assert_eq!(
        stats.per_day[..6]
            .iter()
            .map(shopbot::store::DayFigures::total_orders)
            .sum::<u64>(),
        0
    );
    assert_eq!(stats.best_sellers.len(), 1);
    assert_eq!(stats.best_sellers[0].name, "Knight's Castle");
    assert_eq!(stats.best_sellers[0].units, 1);
    assert_eq!(
        stats.unanswered,
        vec![("do you sell spaceships to mars".to_owned(), 2)]
    );
    assert_eq!(stats.answered_tickets, 1);
    assert_eq!(stats.median_answer_secs, Some(120));
    // Nothing in the events table can name a customer.
    assert_eq!(
        count(&db.path, "SELECT COUNT(*) FROM pragma_table_info('events')"),
        5,
        "id, at, channel, step, source (a deep link's tag)"
    );

    // A period that ends before the script began is empty.
    let before = engine
        .store()
        .stats(
            1,
            noon() - SignedDuration::from_hours(24),
            &shop.time_zone,
            shop.currency(),
        )
        .unwrap();
    assert_eq!(before.total.funnel.conversations, 0);

    // The owner's /stats shows the same figures.
    let text = run(
        &mut engine,
        Channel::Telegram,
        OWNER,
        Input::Text("/stats 7".into()),
        later,
    );
    assert!(text.contains("the last 7 day(s)"), "{text}");
    assert!(
        text.contains("median time to the first answer: 2 min"),
        "{text}"
    );
    assert!(
        text.contains("1. Knight's Castle — 1 sold, €45.00"),
        "{text}"
    );
    assert!(
        text.contains("2 × do you sell spaceships to mars"),
        "{text}"
    );
}

#[test]
fn shopbot_stats_prints_the_figures() {
    let db = temp_db();
    let mut engine = open_engine(&db.path, db.dir.path());
    script(&mut engine);
    drop(engine);
    // The script ran on 2026-11-25; ask for enough days to include it.
    let days = (Timestamp::now() - noon()).get_seconds() / 86_400 + 2;
    let out = Command::new(env!("CARGO_BIN_EXE_shopbot"))
        .args(["stats", "--days", &days.to_string(), "--shop"])
        .arg(db.dir.path().join("shop.toml"))
        .arg("--db")
        .arg(&db.path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.starts_with("Test Bricks — the last"), "{text}");
    let telegram = text.lines().find(|l| l.starts_with("telegram")).unwrap();
    let cells: Vec<&str> = telegram.split_whitespace().collect();
    assert_eq!(
        &cells[1..8],
        ["2", "1", "1", "1", "1", "1", "50.0%"],
        "{telegram}"
    );
    assert!(
        text.contains("Orders kept (not cancelled): 1 · revenue €49.90"),
        "{text}"
    );
}

#[test]
fn a_backup_taken_under_write_load_is_consistent() {
    let db = temp_db();
    let mut engine = open_engine(&db.path, db.dir.path());
    script(&mut engine);
    // Customers keep writing from another thread while the backup runs.
    let path = db.path.clone();
    let dir = db.dir.path().to_path_buf();
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let writing = {
        let stop = stop.clone();
        std::thread::spawn(move || {
            let mut engine = open_engine(&path, &dir);
            let mut n = 0u64;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let chat = format!("load-{}", n % 50);
                run(
                    &mut engine,
                    Channel::Telegram,
                    &chat,
                    Input::Text(format!("castle {n}")),
                    noon(),
                );
                n += 1;
            }
            n
        })
    };
    std::thread::sleep(std::time::Duration::from_millis(300));
    let mut copies = Vec::new();
    for i in 0..3 {
        let copy = db.dir.path().join(format!("copy-{i}.db"));
        let out = Command::new(env!("CARGO_BIN_EXE_shopbot"))
            .args(["backup", "--db"])
            .arg(&db.path)
            .arg(&copy)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(String::from_utf8_lossy(&out.stdout).contains("integrity ok"));
        copies.push(copy);
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let turns = writing.join().unwrap();
    assert!(turns > 10, "the load ran ({turns} turns)");
    for copy in &copies {
        assert_eq!(integrity(copy), "ok");
        assert_eq!(count(copy, "SELECT COUNT(*) FROM orders"), 1);
        // Every outbox row of a turn is there with its session: no half turns.
        let sessions = count(copy, "SELECT COUNT(*) FROM sessions");
        assert!(sessions >= 4, "{sessions}");
    }
    // The copy opens as a shop database.
    let copy_engine = Engine::open(engine.shop().clone(), &copies[2]).unwrap();
    assert_eq!(
        copy_engine.store().order("1001").unwrap().unwrap().number,
        "1001"
    );
    // An existing file is never overwritten.
    let out = Command::new(env!("CARGO_BIN_EXE_shopbot"))
        .args(["backup", "--db"])
        .arg(&db.path)
        .arg(&copies[0])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("exists already"));
}
