//! The owner behind the bot, at the engine: tickets relayed both ways and across
//! channels, owner commands only from owner ids, orders moved along with the
//! customer told, stock, `/reload`, business hours and holiday mode on a fixed
//! clock, the flood guard. The platforms themselves are covered by
//! `owner_telegram.rs` and `owner_matrix.rs`.

mod support;

use std::path::{Path, PathBuf};

use jiff::Timestamp;
use shopbot::channel::Channel::{self, Matrix, Telegram};
use shopbot::conversation::Input;
use shopbot::engine::{Chat, Engine, Event, Outgoing, TurnResult, outgoing_of};
use shopbot::shop::Shop;
use support::{count, noon, temp_db};

const OWNER_TG: &str = "111";
const OWNER_MX: &str = "@boss:example.org";

/// A message the bot queued: where to, and what.
#[derive(Debug, Clone)]
struct Sent {
    row: i64,
    channel: Channel,
    chat: String,
    out: Outgoing,
}

impl Sent {
    fn text(&self) -> &str {
        &self.out.reply.text
    }
}

struct Bot {
    engine: Engine,
    db: PathBuf,
    now: Timestamp,
    /// The clock moves a second per message unless frozen (the flood test).
    frozen: bool,
}

/// The small test shop with owners on both channels, plus `extra` TOML.
fn shop_file(dir: &Path, extra: &str) -> PathBuf {
    let small = std::fs::read_to_string("tests/fixtures/shops/small.toml").unwrap();
    let text = small.replace(
        "[owners]\ntelegram = []\nmatrix = []",
        &format!("[owners]\ntelegram = [{OWNER_TG}]\nmatrix = [\"{OWNER_MX}\"]\n{extra}"),
    );
    assert_ne!(
        text, small,
        "the small shop ends with an empty [owners] table"
    );
    let path = dir.join("shop.toml");
    std::fs::write(&path, text).unwrap();
    path
}

impl Bot {
    fn new(db: &support::TempDb, extra: &str) -> Self {
        let shop = Shop::load(&shop_file(db.dir.path(), extra)).expect("shop loads");
        let mut engine = Engine::open(shop, &db.path).unwrap();
        engine.set_channels(&[Telegram, Matrix]);
        Self {
            engine,
            db: db.path.clone(),
            now: noon(),
            frozen: false,
        }
    }

    fn turn(&mut self, channel: Channel, chat: &str, event: Event<'_>, input: &Input) -> Vec<Sent> {
        let chat = Chat {
            channel,
            chat_id: chat,
        };
        if !self.frozen {
            self.now += jiff::SignedDuration::from_secs(1);
        }
        match self.engine.run_turn(chat, event, input, self.now).unwrap() {
            TurnResult::Replies(rows) => rows
                .iter()
                .map(|r| Sent {
                    row: r.id,
                    channel: r.channel,
                    chat: r.chat_id.clone(),
                    out: outgoing_of(r).unwrap(),
                })
                .collect(),
            TurnResult::Duplicate => Vec::new(),
        }
    }

    /// A message typed by `sender` in a one-to-one chat.
    fn say(&mut self, channel: Channel, chat: &str, sender: &str, text: &str) -> Vec<Sent> {
        let event = Event {
            sender: Some(sender),
            sender_name: Some("Ana Pop (@ana)"),
            direct: true,
            ..Event::default()
        };
        self.turn(channel, chat, event, &Input::Text(text.to_owned()))
    }

    fn press(&mut self, channel: Channel, chat: &str, sender: &str, id: &str) -> Vec<Sent> {
        let event = Event {
            sender: Some(sender),
            sender_name: Some("Ana Pop (@ana)"),
            direct: true,
            ..Event::default()
        };
        self.turn(channel, chat, event, &Input::Button(id.to_owned()))
    }

    /// The owner replies (a platform reply) to platform message `message`.
    fn reply(
        &mut self,
        channel: Channel,
        chat: &str,
        sender: &str,
        message: &str,
        text: &str,
    ) -> Vec<Sent> {
        let event = Event {
            sender: Some(sender),
            reply_to: Some(message),
            direct: true,
            ..Event::default()
        };
        self.turn(channel, chat, event, &Input::Text(text.to_owned()))
    }

    /// As the channel does once a row is sent: remembers its platform message id.
    fn shown_as(&mut self, sent: &Sent, message: &str) {
        self.engine
            .store_mut()
            .record_platform_message(sent.channel, &sent.chat, message, sent.row)
            .unwrap();
    }

    fn stock(&self, key: &str) -> i64 {
        count(
            &self.db,
            &format!("SELECT qty FROM stock WHERE key = '{key}'"),
        )
    }

    fn status(&self, number: &str) -> String {
        let conn = rusqlite::Connection::open(&self.db).unwrap();
        conn.query_row(
            "SELECT status FROM orders WHERE number = ?1",
            [number],
            |r| r.get(0),
        )
        .unwrap()
    }
}

fn to<'a>(sent: &'a [Sent], channel: Channel, chat: &str) -> Vec<&'a Sent> {
    sent.iter()
        .filter(|s| s.channel == channel && s.chat == chat)
        .collect()
}

fn texts_to(sent: &[Sent], channel: Channel, chat: &str) -> String {
    to(sent, channel, chat)
        .iter()
        .map(|s| s.text())
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn a_matrix_customers_ticket_is_answered_from_telegram_and_the_reverse() {
    let db = temp_db();
    let mut bot = Bot::new(&db, "");
    // The Matrix owner writes to the bot once: their room is remembered.
    let hello = bot.say(Matrix, "!boss-dm:example.org", OWNER_MX, "/tickets");
    assert!(texts_to(&hello, Matrix, "!boss-dm:example.org").contains("No open tickets."));

    // A Matrix customer asks a question the bot cannot answer, then asks for a person.
    let cust = "!ana:example.org";
    bot.say(
        Matrix,
        cust,
        "@ana:example.org",
        "do you sell spaceships to mars",
    );
    let sent = bot.press(Matrix, cust, "@ana:example.org", "human");
    assert!(texts_to(&sent, Matrix, cust).contains("Ticket #1"));
    let notice = to(&sent, Telegram, OWNER_TG);
    assert_eq!(notice.len(), 1, "{sent:#?}");
    let notice = notice[0].clone();
    assert!(
        notice.text().starts_with("🎫 Ticket #1 — Matrix"),
        "{}",
        notice.text()
    );
    assert!(
        notice
            .text()
            .contains("Asked: do you sell spaceships to mars")
    );
    assert!(notice.text().contains("» do you sell spaceships to mars"));
    assert_eq!(notice.out.ticket, Some(1));
    assert_eq!(notice.out.reply.buttons[0].id, "o:close:1");
    assert_eq!(to(&sent, Matrix, "!boss-dm:example.org").len(), 1);

    // While the ticket is open the customer's words go to the owners, not the bot.
    let sent = bot.say(Matrix, cust, "@ana:example.org", "It is for my son");
    assert!(to(&sent, Matrix, cust).is_empty(), "{sent:#?}");
    let relay = to(&sent, Telegram, OWNER_TG)[0].clone();
    assert!(relay.text().starts_with("💬 #1 · "), "{}", relay.text());
    assert!(relay.text().ends_with("It is for my son"));

    // The Telegram owner answers by replying to the relayed message.
    bot.shown_as(&relay, "501");
    let sent = bot.reply(Telegram, OWNER_TG, OWNER_TG, "501", "Not yet, sorry!");
    assert!(texts_to(&sent, Telegram, OWNER_TG).contains("✓ Sent to ticket #1"));
    assert_eq!(
        texts_to(&sent, Matrix, cust),
        "💬 Test Bricks: Not yet, sorry!"
    );
    assert_eq!(
        count(
            &db.path,
            "SELECT COUNT(*) FROM tickets WHERE first_answer_at IS NOT NULL"
        ),
        1
    );

    // A reply to a message of the bot's that belongs to no ticket is not guessed.
    let listing = bot.say(Telegram, OWNER_TG, OWNER_TG, "/orders");
    bot.shown_as(&listing[0], "502");
    let sent = bot.reply(Telegram, OWNER_TG, OWNER_TG, "502", "hello?");
    assert_eq!(sent.len(), 1);
    assert!(sent[0].text().contains("I can't tell which ticket"));

    // A Telegram customer's ticket, answered from Matrix with /reply and closed.
    let tg = "222";
    bot.say(Telegram, tg, tg, "/start");
    let sent = bot.press(Telegram, tg, tg, "human");
    assert!(texts_to(&sent, Telegram, tg).contains("Ticket #2"));
    let sent = bot.say(
        Matrix,
        "!boss-dm:example.org",
        OWNER_MX,
        "/reply 2 Hello from Matrix",
    );
    assert_eq!(
        texts_to(&sent, Telegram, tg),
        "💬 Test Bricks: Hello from Matrix"
    );
    let sent = bot.say(Matrix, "!boss-dm:example.org", OWNER_MX, "/close 2");
    assert!(texts_to(&sent, Matrix, "!boss-dm:example.org").contains("Ticket #2 closed."));
    let back = to(&sent, Telegram, tg);
    assert!(
        back[0].text().contains("back with the shop bot"),
        "{back:#?}"
    );
    assert!(
        back.iter()
            .any(|s| s.out.reply.buttons.iter().any(|b| b.id == "finder"))
    );
    // Back with the bot: the customer's words are the bot's again.
    let sent = bot.say(Telegram, tg, tg, "castle");
    assert!(to(&sent, Telegram, OWNER_TG).is_empty());
    assert!(!to(&sent, Telegram, tg).is_empty());

    // The Matrix customer ends their own ticket; the owners hear of it.
    let sent = bot.press(Matrix, cust, "@ana:example.org", "endticket");
    assert!(texts_to(&sent, Matrix, cust).contains("back with the shop bot"));
    assert!(texts_to(&sent, Telegram, OWNER_TG).contains("Ticket #1 closed by the customer"));
    let sent = bot.say(Telegram, OWNER_TG, OWNER_TG, "/tickets");
    assert!(texts_to(&sent, Telegram, OWNER_TG).contains("No open tickets."));
}

#[test]
fn owner_commands_from_anyone_else_are_refused_and_change_nothing() {
    let db = temp_db();
    let mut bot = Bot::new(&db, "");
    let cust = "222";
    to_confirm_as(&mut bot, cust);
    bot.press(Telegram, cust, cust, "confirm");
    assert_eq!(bot.status("1001"), "new");
    let castle = bot.stock("castle");

    let attempts = [
        "/status 1001 cancelled",
        "/stock castle 0",
        "/reload",
        "/reply 1 hi",
        "/close 1",
        "/tickets",
        "/order 1001",
        "/pause",
    ];
    for attempt in attempts {
        let sent = bot.say(Telegram, cust, cust, attempt);
        assert!(
            texts_to(&sent, Telegram, cust).contains("only for the shop's team"),
            "{attempt}: {sent:#?}"
        );
        assert!(to(&sent, Telegram, OWNER_TG).is_empty(), "{attempt}");
    }
    // The owner's display name means nothing: only the id counts.
    let event = Event {
        sender: Some("333"),
        sender_name: Some("Boss (@boss)"),
        direct: false,
        ..Event::default()
    };
    let sent = bot.turn(
        Telegram,
        "-100500",
        event,
        &Input::Text("/status 1001 cancelled".into()),
    );
    assert!(sent[0].text().contains("only for the shop's team"));
    // A forwarded message from the owner is not a command.
    let event = Event {
        sender: Some(cust),
        forwarded: true,
        direct: true,
        ..Event::default()
    };
    let sent = bot.turn(
        Telegram,
        cust,
        event,
        &Input::Text("/stock castle 0".into()),
    );
    assert!(sent[0].text().contains("only for the shop's team"));
    let event = Event {
        sender: Some(OWNER_TG),
        forwarded: true,
        direct: true,
        ..Event::default()
    };
    bot.turn(
        Telegram,
        OWNER_TG,
        event,
        &Input::Text("/stock castle 0".into()),
    );
    // An owner's button pressed by a customer.
    let sent = bot.press(Telegram, cust, cust, "o:cancelled:1001");
    assert!(sent[0].text().contains("only for the shop's team"));
    // A Matrix user is not a Telegram owner even with the same digits.
    let sent = bot.say(Matrix, "!x:example.org", OWNER_TG, "/stock castle 0");
    assert!(sent[0].text().contains("only for the shop's team"));

    assert_eq!(bot.status("1001"), "new");
    assert_eq!(bot.stock("castle"), castle);
    assert_eq!(count(&db.path, "SELECT COUNT(*) FROM settings"), 0);
}

fn to_confirm_as(bot: &mut Bot, cust: &str) {
    bot.say(Telegram, cust, cust, "/start");
    for (kind, what) in [
        ("press", "add:castle"),
        ("press", "checkout"),
        ("press", "dlv:courier"),
        ("say", "Ana Pop"),
        ("say", "+34 600 123 456"),
        ("say", "Calle Mayor 5, Madrid"),
        ("press", "skip"),
        ("press", "consent:no"),
        ("press", "pay:cash"),
    ] {
        if kind == "press" {
            bot.press(Telegram, cust, cust, what);
        } else {
            bot.say(Telegram, cust, cust, what);
        }
    }
}

#[test]
fn orders_are_announced_and_each_status_change_is_told_to_the_customer() {
    let db = temp_db();
    let mut bot = Bot::new(&db, "");
    let cust = "222";
    let castle = bot.stock("castle");
    to_confirm_as(&mut bot, cust);
    let sent = bot.press(Telegram, cust, cust, "confirm");
    let notice = to(&sent, Telegram, OWNER_TG)[0].clone();
    assert!(
        notice
            .text()
            .starts_with("🛒 New order #1001 — Telegram · Ana Pop (@ana)"),
        "{}",
        notice.text()
    );
    for needed in [
        "1 × Knight's Castle — €45.00",
        "Delivery: Courier",
        "Total: €49.90",
        "Payment: Cash on delivery",
        "phone: +34 600 123 456",
        "address: Calle Mayor 5, Madrid",
    ] {
        assert!(
            notice.text().contains(needed),
            "{needed}: {}",
            notice.text()
        );
    }
    let ids: Vec<&str> = notice
        .out
        .reply
        .buttons
        .iter()
        .map(|b| b.id.as_str())
        .collect();
    assert_eq!(
        ids,
        [
            "o:paid:1001",
            "o:shipped:1001",
            "o:delivered:1001",
            "o:cancelled:1001"
        ]
    );
    assert_eq!(bot.stock("castle"), castle - 1);

    let sent = bot.press(Telegram, OWNER_TG, OWNER_TG, "o:paid:1001");
    assert!(texts_to(&sent, Telegram, OWNER_TG).contains("Order #1001: paid — customer told."));
    assert_eq!(
        texts_to(&sent, Telegram, cust),
        "Order #1001 is paid — thank you!"
    );
    let sent = bot.say(
        Telegram,
        OWNER_TG,
        OWNER_TG,
        "/status 1001 shipped DHL 12345",
    );
    assert_eq!(
        texts_to(&sent, Telegram, cust),
        "Order #1001 is on its way. Tracking: DHL 12345"
    );
    let sent = bot.press(Telegram, OWNER_TG, OWNER_TG, "o:delivered:1001");
    assert_eq!(
        texts_to(&sent, Telegram, cust),
        "Order #1001 was delivered. Enjoy!"
    );
    assert_eq!(bot.status("1001"), "delivered");
    let sent = bot.say(Telegram, OWNER_TG, OWNER_TG, "/status 1001 cancelled");
    assert!(texts_to(&sent, Telegram, OWNER_TG).contains("cannot change any more"));
    assert!(to(&sent, Telegram, cust).is_empty());
    let sent = bot.say(Telegram, OWNER_TG, OWNER_TG, "/order 1001");
    assert!(
        texts_to(&sent, Telegram, OWNER_TG)
            .contains("Order #1001 — delivered · Telegram · tracking DHL 12345")
    );

    // A second order, cancelled: its stock is back on sale.
    to_confirm_as(&mut bot, cust);
    bot.press(Telegram, cust, cust, "confirm");
    assert_eq!(bot.stock("castle"), castle - 2);
    let sent = bot.say(Telegram, OWNER_TG, OWNER_TG, "/status #1002 cancel");
    assert!(texts_to(&sent, Telegram, OWNER_TG).contains("stock is back on sale"));
    assert_eq!(
        texts_to(&sent, Telegram, cust),
        "Order #1002 was cancelled."
    );
    assert_eq!(bot.stock("castle"), castle - 1);
    assert_eq!(
        bot.engine.stock().0["castle"],
        castle - 1,
        "the live stock follows"
    );
    // The customer's own list shows it.
    let sent = bot.press(Telegram, cust, cust, "orders");
    assert!(texts_to(&sent, Telegram, cust).contains("cancelled"));
    let sent = bot.say(Telegram, OWNER_TG, OWNER_TG, "/orders cancelled");
    let listing = texts_to(&sent, Telegram, OWNER_TG);
    assert!(
        listing.contains("#1002 · cancelled") && !listing.contains("#1001"),
        "{listing}"
    );
}

#[test]
fn stock_is_set_from_the_phone() {
    let db = temp_db();
    let mut bot = Bot::new(&db, "");
    let sent = bot.say(Telegram, OWNER_TG, OWNER_TG, "/stock castle 0");
    assert!(
        sent[0].text().starts_with("Stock of Knight's Castle: 0"),
        "{}",
        sent[0].text()
    );
    assert_eq!(bot.stock("castle"), 0);
    let sent = bot.press(Telegram, "222", "222", "add:castle");
    assert!(texts_to(&sent, Telegram, "222").contains("sold out"));
    let sent = bot.say(Telegram, OWNER_TG, OWNER_TG, "/stock nothing 3");
    assert!(sent[0].text().contains("No product `nothing`"));
    let sent = bot.say(Telegram, OWNER_TG, OWNER_TG, "/stock castle many");
    assert!(sent[0].text().contains("Write it as: /stock"));
}

#[test]
fn business_hours_and_holiday_mode_set_what_the_customer_expects() {
    let db = temp_db();
    // Europe/Madrid; 2026-11-25 is a Wednesday, noon UTC is 13:00 there.
    let mut bot = Bot::new(
        &db,
        "\n[hours]\nmon = \"09:00-14:00\"\ntue = \"09:00-14:00\"\nwed = \"09:00-14:00\"\n",
    );
    let sent = bot.press(Telegram, "222", "222", "human");
    let text = texts_to(&sent, Telegram, "222");
    assert!(
        text.contains("Ticket #1") && !text.contains("closed now"),
        "{text}"
    );

    // Wednesday 15:00 in Madrid: closed until Monday 09:00.
    bot.frozen = true;
    bot.now = "2026-11-25T14:00:00Z".parse().unwrap();
    let sent = bot.press(Telegram, "223", "223", "human");
    let text = texts_to(&sent, Telegram, "223");
    assert!(
        text.contains("We're closed now; expect an answer from Mon 2026-11-30 09:00 CET."),
        "{text}"
    );
    assert!(texts_to(&sent, Telegram, OWNER_TG).contains("Outside business hours"));

    // Holiday mode, whatever the hours say.
    bot.now = noon();
    let sent = bot.say(Telegram, OWNER_TG, OWNER_TG, "/pause");
    assert!(sent[0].text().starts_with("Paused"));
    let sent = bot.press(Telegram, "224", "224", "human");
    assert!(texts_to(&sent, Telegram, "224").contains("The team is away"));
    let sent = bot.say(Telegram, OWNER_TG, OWNER_TG, "/resume");
    assert!(sent[0].text().starts_with("Resumed"));
    let sent = bot.press(Telegram, "225", "225", "human");
    assert!(!texts_to(&sent, Telegram, "225").contains("away"));
}

#[test]
fn reload_takes_a_good_file_and_refuses_a_broken_one() {
    let db = temp_db();
    let mut bot = Bot::new(&db, "");
    let products = bot.engine.shop().products().len();
    let path = db.dir.path().join("shop.toml");
    let good = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, good.replace("price = 45.00", "price = \"lots\"")).unwrap();
    let sent = bot.say(Telegram, OWNER_TG, OWNER_TG, "/reload");
    let text = sent[0].text();
    assert!(text.contains("keeps running as before"), "{text}");
    assert!(
        text.contains("shop.toml:") && text.contains("products[0].price"),
        "{text}"
    );
    assert_eq!(bot.engine.shop().products().len(), products);
    // The shop still sells what it sold.
    let sent = bot.press(Telegram, "222", "222", "p:castle");
    assert!(texts_to(&sent, Telegram, "222").contains("€45.00"));

    let more = format!(
        "{}\n[[products]]\nid = \"boat\"\nname = \"Pirate Boat\"\nprice = 30\nstock = 2\ncategory = \"cars\"\n",
        good.replace("price = 45.00", "price = 40.00")
    );
    std::fs::write(&path, more).unwrap();
    let sent = bot.say(Telegram, OWNER_TG, OWNER_TG, "/reload");
    assert!(sent[0].text().starts_with("Reloaded"), "{}", sent[0].text());
    assert_eq!(bot.engine.shop().products().len(), products + 1);
    assert_eq!(bot.stock("boat"), 2);
    let sent = bot.press(Telegram, "222", "222", "p:castle");
    assert!(texts_to(&sent, Telegram, "222").contains("€40.00"));
}

#[test]
fn a_flooding_customer_is_slowed_and_the_owners_hear_once() {
    let db = temp_db();
    let mut bot = Bot::new(&db, "");
    bot.frozen = true;
    let mut to_flooder = 0;
    let mut notices = 0;
    let mut answered = 0;
    for i in 0..100 {
        let sent = bot.say(Telegram, "666", "666", &format!("spam {i}"));
        if !to(&sent, Telegram, "666").is_empty() {
            answered += 1;
        }
        to_flooder += to(&sent, Telegram, "666")
            .iter()
            .filter(|s| s.text().contains("too fast"))
            .count();
        notices += to(&sent, Telegram, OWNER_TG)
            .iter()
            .filter(|s| s.text().contains("Flood guard"))
            .count();
        // Someone else in the same second is not slowed down.
        if i % 10 == 0 {
            let other = bot.say(Telegram, "777", "777", "castle");
            assert!(!to(&other, Telegram, "777").is_empty());
        }
    }
    assert_eq!(to_flooder, 1);
    assert_eq!(notices, 1);
    assert_eq!(answered, 13, "12 answered, then one warning");
    // A second later one more message is read.
    bot.now = "2026-11-25T12:00:01.5Z".parse().unwrap();
    let sent = bot.say(Telegram, "666", "666", "castle");
    assert!(!texts_to(&sent, Telegram, "666").contains("too fast"));
    // The owner is never slowed down.
    for _ in 0..30 {
        let sent = bot.say(Telegram, OWNER_TG, OWNER_TG, "/tickets");
        assert!(sent[0].text().contains("No open tickets."));
    }
}

#[test]
fn a_redelivered_update_costs_the_customer_no_flood_tokens() {
    let db = temp_db();
    let mut bot = Bot::new(&db, "");
    bot.frozen = true;
    // Twelve messages at once are allowed; each arrives three times (Telegram
    // redelivers after a reconnect): the copies change nothing, flood guard included.
    for i in 0..12 {
        let key = format!("m:666:{i}");
        for delivery in 0..3 {
            let event = Event {
                key: Some(&key),
                sender: Some("666"),
                sender_name: Some("Ana Pop (@ana)"),
                direct: true,
                ..Event::default()
            };
            let sent = bot.turn(Telegram, "666", event, &Input::Text(format!("castle {i}")));
            if delivery == 0 {
                let text = texts_to(&sent, Telegram, "666");
                assert!(
                    !text.is_empty() && !text.contains("too fast"),
                    "message {i} not answered as a search: {text}"
                );
            } else {
                assert!(sent.is_empty(), "copy {delivery} of message {i}: {sent:#?}");
            }
        }
    }
}
