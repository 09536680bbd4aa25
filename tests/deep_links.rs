//! Deep links through the engine: each payload kind opens its screen after the
//! welcome, malformed, over-long and hostile payloads fall back to the welcome,
//! the source is kept first-touch, and the figures per source are exact after
//! a scripted set of customers (orders, revenue, a cancelled order, `/forget`).

mod support;

use std::path::Path;

use jiff::Timestamp;
use shopbot::channel::Channel;
use shopbot::conversation::Input;
use shopbot::engine::{Chat, Engine, Event, TurnResult, outgoing_of};
use shopbot::shop::Shop;
use support::{count, noon, temp_db};

const OWNER: &str = "111";
const WELCOME: &str = "Hello! Welcome to Test Bricks. I can help you find the perfect gift, \
                       browse the catalog, or answer your questions.";

/// The small shop, with the owner, and the race car's id written with an
/// underscore (`race_car`): ids may hold `_`, the payload's separator.
fn open_engine(db: &Path, dir: &Path) -> Engine {
    let small = std::fs::read_to_string("tests/fixtures/shops/small.toml").unwrap();
    let text = small
        .replace(
            "[owners]\ntelegram = []",
            &format!("[owners]\ntelegram = [{OWNER}]"),
        )
        .replace("id = \"racer\"", "id = \"race_car\"");
    let path = dir.join("shop.toml");
    std::fs::write(&path, text).unwrap();
    let mut engine = Engine::open(Shop::load(&path).unwrap(), db).unwrap();
    engine.set_channels(&[Channel::Telegram, Channel::Matrix]);
    engine
}

/// One input; the texts queued for `chat` itself, one per message.
#[allow(clippy::needless_pass_by_value)] // inputs are built in place
fn run(
    engine: &mut Engine,
    channel: Channel,
    chat: &str,
    input: Input,
    at: Timestamp,
) -> Vec<String> {
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
            .collect(),
        TurnResult::Duplicate => Vec::new(),
    }
}

fn say(text: &str) -> Input {
    Input::Text(text.to_owned())
}

fn press(id: &str) -> Input {
    Input::Button(id.to_owned())
}

/// The session's stored source tag.
fn source_of(db: &Path, channel: &str, chat: &str) -> Option<String> {
    let conn = rusqlite::Connection::open(db).unwrap();
    let json: String = conn
        .query_row(
            "SELECT data FROM sessions WHERE channel = ?1 AND chat_id = ?2",
            [channel, chat],
            |r| r.get(0),
        )
        .unwrap();
    let value: serde_json::Value = serde_json::from_str(&json).unwrap();
    value["source"].as_str().map(str::to_owned)
}

#[test]
fn each_payload_kind_opens_its_screen_after_the_welcome() {
    let db = temp_db();
    let mut engine = open_engine(&db.path, db.dir.path());
    let t = Channel::Telegram;
    let product = run(
        &mut engine,
        t,
        "1",
        say("/start p-castle_s-instagram"),
        noon(),
    );
    assert_eq!(
        product,
        [
            WELCOME,
            "Knight's Castle — €45.00\nIn stock\nA big castle with towers. Knights included.",
            "Anything else?",
        ]
    );

    // The id with an underscore, written doubled.
    let racer = run(
        &mut engine,
        t,
        "2",
        say("/start p-race__car_s-flyer"),
        noon(),
    );
    assert_eq!(
        racer,
        [
            WELCOME,
            "Race Car — €12.00\nIn stock\nA fast car.",
            "Anything else?",
        ]
    );

    let category = run(&mut engine, t, "3", say("/start c-cars_s-flyer"), noon());
    assert_eq!(
        category,
        [WELCOME, "Cars — page 1 of 1. Tap a product to see it:"]
    );

    let finder = run(&mut engine, t, "4", say("/start f"), noon());
    assert_eq!(finder, [WELCOME, "Question 1 of 3: Who is it for?"]);

    // The bot's name after the command, as Telegram groups write it.
    let named = run(
        &mut engine,
        t,
        "5",
        say("/start@TestBricksBot f_s-window"),
        noon(),
    );
    assert_eq!(named[1], "Question 1 of 3: Who is it for?");

    assert_eq!(
        source_of(&db.path, "telegram", "1").as_deref(),
        Some("instagram")
    );
    assert_eq!(
        source_of(&db.path, "telegram", "2").as_deref(),
        Some("flyer")
    );
    assert_eq!(source_of(&db.path, "telegram", "4"), None);
    assert_eq!(
        source_of(&db.path, "telegram", "5").as_deref(),
        Some("window")
    );
}

#[test]
fn malformed_long_and_hostile_payloads_fall_back_to_the_welcome() {
    let db = temp_db();
    let mut engine = open_engine(&db.path, db.dir.path());
    let plain = run(&mut engine, Channel::Telegram, "0", say("/start"), noon());
    assert_eq!(plain[0], WELCOME);
    assert_eq!(plain[1], "What would you like to do?");
    let long = format!("p-castle_s-{}", "a".repeat(54));
    assert_eq!(long.len(), 64 + 1);
    let fits = format!("p-castle_s-{}", "a".repeat(24));
    let cases = [
        "p-".to_owned(),
        "p-castle_".to_owned(),
        "p-castle_s-Instagram".to_owned(),
        "p-castle_p-tower".to_owned(),
        "x-castle".to_owned(),
        long,
        format!("{fits}a"),
        "p-castle\u{202e}".to_owned(),
        "p-cas\u{200b}tle_s-flyer".to_owned(),
        "p-castle_s-flyer extra".to_owned(),
        "p-CASTLE".to_owned(),
        "🏰".repeat(40),
        // Well formed, but naming what the shop does not have.
        "p-unicorn_s-oldflyer".to_owned(),
        "c-planes".to_owned(),
    ];
    for (i, payload) in cases.iter().enumerate() {
        let chat = format!("m{i}");
        let replies = run(
            &mut engine,
            Channel::Telegram,
            &chat,
            say(&format!("/start {payload}")),
            noon(),
        );
        assert_eq!(replies, plain, "{payload:?}");
        let expected = (payload == "p-unicorn_s-oldflyer").then(|| "oldflyer".to_owned());
        assert_eq!(
            source_of(&db.path, "telegram", &chat),
            expected,
            "{payload:?}"
        );
    }
}

#[test]
fn matrix_customers_type_start_with_the_payload() {
    let db = temp_db();
    let mut engine = open_engine(&db.path, db.dir.path());
    let m = Channel::Matrix;
    let room = "!a:example.org";
    let product = run(&mut engine, m, room, say("start p-tower_s-window"), noon());
    assert_eq!(product[0], WELCOME);
    assert!(product[1].starts_with("Wizard Tower"), "{product:#?}");
    assert_eq!(
        source_of(&db.path, "matrix", room).as_deref(),
        Some("window")
    );
    // Malformed where the bot expects no typed answer: the welcome.
    let bad = run(&mut engine, m, "!b:example.org", say("Start p-"), noon());
    assert_eq!(bad[0], WELCOME);
    assert_eq!(bad[1], "What would you like to do?");
    // While a coupon is typed, only a well-formed link counts as one.
    run(&mut engine, m, room, press("add:tower"), noon());
    run(&mut engine, m, room, press("coupon"), noon());
    let coupon = run(&mut engine, m, room, say("start abc"), noon());
    assert!(!coupon.contains(&WELCOME.to_owned()), "{coupon:#?}");
    run(&mut engine, m, room, press("coupon"), noon());
    let link = run(&mut engine, m, room, say("start c-castles"), noon());
    assert_eq!(link[0], WELCOME);
    assert!(link[1].starts_with("Castles"), "{link:#?}");
}

#[test]
fn the_first_link_keeps_the_credit_and_the_cart_is_kept() {
    let db = temp_db();
    let mut engine = open_engine(&db.path, db.dir.path());
    let t = Channel::Telegram;
    run(&mut engine, t, "1", say("/start"), noon());
    run(&mut engine, t, "1", press("add:tower"), noon());
    // No source yet: the first link sets it, the cart stays.
    let opened = run(&mut engine, t, "1", say("/start p-castle_s-flyer"), noon());
    assert!(opened[1].starts_with("Knight's Castle"), "{opened:#?}");
    assert_eq!(
        source_of(&db.path, "telegram", "1").as_deref(),
        Some("flyer")
    );
    let cart = run(&mut engine, t, "1", say("/cart"), noon());
    assert!(cart.join("\n").contains("Wizard Tower"), "{cart:#?}");
    // A later link opens its product but the first source stays.
    let again = run(
        &mut engine,
        t,
        "1",
        say("/start p-tower_s-instagram"),
        noon(),
    );
    assert!(again[1].starts_with("Wizard Tower"), "{again:#?}");
    assert_eq!(
        source_of(&db.path, "telegram", "1").as_deref(),
        Some("flyer")
    );
    // `/mydata` lists it: it is stored with the conversation.
    let data = run(&mut engine, t, "1", say("/mydata"), noon()).join("\n");
    assert!(
        data.contains("\n• The link you came from (a tag such as a flyer's, not you): flyer\n"),
        "{data}"
    );
}

/// Places an order of `product` with courier delivery and cash.
fn order(engine: &mut Engine, channel: Channel, chat: &str, product: &str, at: Timestamp) {
    for (typed, what) in [
        (false, format!("add:{product}")),
        (false, "checkout".to_owned()),
        (false, "dlv:courier".to_owned()),
        (true, "Ana Pop".to_owned()),
        (true, "+34 600 123 456".to_owned()),
        (true, "Calle Mayor 5, Madrid".to_owned()),
        (false, "skip".to_owned()),
        (false, "consent:no".to_owned()),
        (false, "pay:cash".to_owned()),
        (false, "confirm".to_owned()),
    ] {
        let input = if typed { say(&what) } else { press(&what) };
        run(engine, channel, chat, input, at);
    }
}

#[path = "deep_links/stats.rs"]
mod stats;
