//! The figures per source after a scripted set of customers: exact counts,
//! orders and revenue in `Store::stats`, `/stats`, `shopbot stats` and the
//! report; a cancelled order leaves the revenue; `/forget` changes no figure
//! and leaves no session holding the tag.

use std::path::Path;
use std::process::Command;

use jiff::{SignedDuration, Timestamp};
use shopbot::channel::Channel;
use shopbot::engine::Engine;
use shopbot::store::SourceFigures;

use super::{OWNER, count, noon, open_engine, order, press, run, say, temp_db};

/// Seven customers on two channels: every step five seconds apart.
fn script(engine: &mut Engine) {
    let at = std::cell::Cell::new(noon());
    let step = |engine: &mut Engine, channel: Channel, chat: &str, text: &str| {
        at.set(at.get() + SignedDuration::from_secs(5));
        run(engine, channel, chat, say(text), at.get())
    };
    let (t, m) = (Channel::Telegram, Channel::Matrix);
    // Instagram: one order of the castle (45.00 + 4.90 courier)…
    step(engine, t, "1", "/start p-castle_s-instagram");
    order(
        engine,
        t,
        "1",
        "castle",
        noon() + SignedDuration::from_secs(30),
    );
    // …who later opens a flyer's link: the credit stays with instagram.
    step(engine, t, "1", "/start c-cars_s-flyer");
    // Instagram: the finder, started and left.
    step(engine, t, "2", "/start f_s-instagram");
    // Flyer: an order of the race car (12.00 + 4.90), later cancelled.
    step(engine, t, "3", "/start p-race__car_s-flyer");
    order(
        engine,
        t,
        "3",
        "race_car",
        noon() + SignedDuration::from_secs(60),
    );
    // Flyer, on Matrix: a cart and a checkout, abandoned.
    step(engine, m, "!m:example.org", "start p-tower_s-flyer");
    run(engine, m, "!m:example.org", press("add:tower"), at.get());
    run(engine, m, "!m:example.org", press("checkout"), at.get());
    run(engine, m, "!m:example.org", press("cancel"), at.get());
    // No link: a plain start and an order of the tower (19.50 + 4.90).
    step(engine, t, "4", "/start");
    order(
        engine,
        t,
        "4",
        "tower",
        noon() + SignedDuration::from_secs(90),
    );
    // A malformed payload counts as no link; a well-formed one for a
    // product no longer sold still counts for its source.
    step(engine, t, "5", "/start p-castle_s-Instagram");
    step(engine, t, "6", "/start p-unicorn_s-oldflyer");
}

fn figures(
    source: Option<&str>,
    steps: [u64; 7],
    orders: u64,
    revenue_cents: i64,
) -> SourceFigures {
    let [
        conversations,
        finder_started,
        finder_completed,
        carts,
        checkouts,
        placed,
        escalations,
    ] = steps;
    let mut f = SourceFigures {
        source: source.map(str::to_owned),
        orders,
        ..SourceFigures::default()
    };
    f.funnel.conversations = conversations;
    f.funnel.finder_started = finder_started;
    f.funnel.finder_completed = finder_completed;
    f.funnel.carts = carts;
    f.funnel.checkouts = checkouts;
    f.funnel.orders = placed;
    f.funnel.escalations = escalations;
    f.revenue = shopbot::shop::Money::from_cents(revenue_cents);
    f
}

#[test]
fn the_figures_per_source_are_exact() {
    let db = temp_db();
    let mut engine = open_engine(&db.path, db.dir.path());
    script(&mut engine);
    let later = noon() + SignedDuration::from_hours(1);
    let shop = engine.shop().clone();
    let stats = |engine: &Engine| {
        engine
            .store()
            .stats(7, later, &shop.time_zone, shop.currency())
            .unwrap()
    };
    let flyer_before = figures(Some("flyer"), [2, 0, 0, 2, 2, 1, 0], 1, 1_690);
    let expected = vec![
        flyer_before.clone(),
        figures(Some("instagram"), [2, 1, 0, 1, 1, 1, 0], 1, 4_990),
        figures(Some("oldflyer"), [1, 0, 0, 0, 0, 0, 0], 0, 0),
        figures(None, [2, 0, 0, 1, 1, 1, 0], 1, 2_440),
    ];
    assert_eq!(stats(&engine).sources, expected);
    assert_eq!(
        count(
            &db.path,
            "SELECT COUNT(*) FROM orders WHERE source = 'flyer'"
        ),
        1
    );
    assert_eq!(
        count(&db.path, "SELECT COUNT(*) FROM orders WHERE source IS NULL"),
        1
    );

    // The owner cancels the flyer's order: placed still 1, kept 0, no revenue.
    let number: String = rusqlite::Connection::open(&db.path)
        .unwrap()
        .query_row(
            "SELECT number FROM orders WHERE source = 'flyer'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    run(
        &mut engine,
        Channel::Telegram,
        OWNER,
        say(&format!("/status {number} cancelled")),
        later,
    );
    let after = stats(&engine);
    let flyer = figures(Some("flyer"), [2, 0, 0, 2, 2, 1, 0], 0, 0);
    assert_eq!(after.sources[0], flyer);
}

/// The cancelled flyer order as the figures show it after the script.
fn scripted_and_cancelled(db: &Path) -> (Engine, Timestamp) {
    let mut engine = open_engine(db, db.parent().unwrap());
    script(&mut engine);
    let later = noon() + SignedDuration::from_hours(1);
    let number: String = rusqlite::Connection::open(db)
        .unwrap()
        .query_row(
            "SELECT number FROM orders WHERE source = 'flyer'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    run(
        &mut engine,
        Channel::Telegram,
        OWNER,
        say(&format!("/status {number} cancelled")),
        later,
    );
    (engine, later)
}

fn cells(line: &str) -> Vec<String> {
    line.split_whitespace().map(str::to_owned).collect()
}

#[test]
fn slash_stats_shows_each_source_and_forget_moves_no_figure() {
    let db = temp_db();
    let (mut engine, later) = scripted_and_cancelled(&db.path);
    let shop = engine.shop().clone();
    let stats = |engine: &Engine| {
        engine
            .store()
            .stats(7, later, &shop.time_zone, shop.currency())
            .unwrap()
    };
    let after = stats(&engine);
    // The owner's /stats: one line per source under its own header.
    let text = run(
        &mut engine,
        Channel::Telegram,
        OWNER,
        say("/stats 7"),
        later,
    )
    .join("\n");
    let lines: Vec<&str> = text.lines().collect();
    let at = lines
        .iter()
        .position(|l| *l == "Per source (the first deep link that brought the customer):")
        .unwrap_or_else(|| panic!("{text}"));
    assert!(lines[at + 1].starts_with("source    "), "{text}");
    let cells = |line: &str| {
        line.split_whitespace()
            .map(str::to_owned)
            .collect::<Vec<_>>()
    };
    assert_eq!(
        cells(lines[at + 2]),
        ["flyer", "2", "0", "0", "2", "2", "1", "50.0%", "€0.00", "0"]
    );
    assert_eq!(
        cells(lines[at + 3]),
        [
            "instagram",
            "2",
            "1",
            "0",
            "1",
            "1",
            "1",
            "50.0%",
            "€49.90",
            "0"
        ]
    );
    assert_eq!(
        cells(lines[at + 4]),
        [
            "oldflyer", "1", "0", "0", "0", "0", "0", "0.0%", "€0.00", "0"
        ]
    );
    assert_eq!(
        cells(lines[at + 5]),
        [
            "(no", "link)", "2", "0", "0", "1", "1", "1", "50.0%", "€24.40", "0"
        ]
    );

    // /forget of the instagram customer: the figures do not move, and no
    // session holds their tag any more.
    let asked = run(&mut engine, Channel::Telegram, "1", say("/forget"), later);
    assert!(!asked.is_empty());
    run(&mut engine, Channel::Telegram, "1", press("forget"), later);
    assert_eq!(
        count(
            &db.path,
            "SELECT COUNT(*) FROM sessions WHERE channel = 'telegram' AND chat_id = '1'"
        ),
        0
    );
    assert_eq!(stats(&engine).sources, after.sources);
    assert_eq!(
        count(&db.path, "SELECT COUNT(*) FROM orders WHERE chat_id = '1'"),
        0
    );
}

#[test]
fn shopbot_stats_and_report_show_the_sources() {
    let db = temp_db();
    let (engine, _) = scripted_and_cancelled(&db.path);
    drop(engine);
    let days = (Timestamp::now() - noon()).get_seconds() / 86_400 + 2;
    let shop_file = db.dir.path().join("shop.toml");
    let out = Command::new(env!("CARGO_BIN_EXE_shopbot"))
        .args(["stats", "--days", &days.to_string(), "--shop"])
        .arg(&shop_file)
        .arg("--db")
        .arg(&db.path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let printed = String::from_utf8(out.stdout).unwrap();
    let instagram = printed
        .lines()
        .find(|l| l.starts_with("instagram "))
        .unwrap_or_else(|| panic!("{printed}"));
    assert_eq!(
        cells(instagram),
        [
            "instagram",
            "2",
            "1",
            "0",
            "1",
            "1",
            "1",
            "50.0%",
            "€49.90",
            "0"
        ]
    );
    let page = db.dir.path().join("report.html");
    let out = Command::new(env!("CARGO_BIN_EXE_shopbot"))
        .args(["report", "--days", &days.to_string(), "--shop"])
        .arg(&shop_file)
        .arg("--db")
        .arg(&db.path)
        .arg("--out")
        .arg(&page)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let html = std::fs::read_to_string(&page).unwrap();
    for marker in [
        "data-source=\"flyer\"",
        "data-source=\"instagram\"",
        "data-source=\"oldflyer\"",
        "data-source=\"\"",
        "<th scope=\"row\"><bdi>(no link)</bdi></th>",
    ] {
        assert_eq!(html.matches(marker).count(), 1, "{marker}");
    }
}

#[test]
fn without_links_there_is_no_source_section() {
    let db = temp_db();
    let mut engine = open_engine(&db.path, db.dir.path());
    run(&mut engine, Channel::Telegram, "1", say("/start"), noon());
    let shop = engine.shop().clone();
    let stats = engine
        .store()
        .stats(7, noon(), &shop.time_zone, shop.currency())
        .unwrap();
    assert!(stats.sources.is_empty());
    let text = shopbot::report::text(&shop, &stats);
    assert!(!text.contains("Per source"), "{text}");
    let html = shopbot::report::html(&shop, &stats).unwrap();
    assert!(!html.contains("data-source"), "{html}");
}
