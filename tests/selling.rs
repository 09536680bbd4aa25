//! Issue 14: the owner sells from the ticket, at the engine. `/send` puts the
//! live product card of browsing in front of the customer (in their language,
//! with live stock) and its button adds to their cart; `/coupon` gives a coupon
//! checked like the customer's own; canned replies (`/r`, the notice's
//! buttons) arrive in the customer's language; the notice shows past orders
//! and tickets; answers are signed per owner when the shop signs.

mod support;

use std::path::{Path, PathBuf};

use jiff::Timestamp;
use shopbot::attachment::{Attachment, Media, Origin};
use shopbot::channel::Channel::{self, Matrix, Telegram};
use shopbot::conversation::Input;
use shopbot::engine::{Chat, Engine, Event, Outgoing, TurnResult, outgoing_of};
use shopbot::shop::Shop;
use support::{count, noon, temp_db};

const OWNER: &str = "111";
const OWNER2: &str = "112";
const OWNER_MX: &str = "@boss:example.org";

/// Canned replies: one translated, one hostile, and more than the notice has
/// buttons for.
const REPLIES: &str = r#"
[[replies]]
id = "shipping"
text = "We ship within 24 hours."
i18n.es.text = "Enviamos en 24 horas."

[[replies]]
id = "hostile"
text = "\u202e<b>&amp; {shop} {text} {name}\u200b\u200d 👩‍👩‍👧 `*_[x](y)` ﷽ İı ß"

[[replies]]
id = "a3"
text = "three"

[[replies]]
id = "a4"
text = "four"

[[replies]]
id = "a5"
text = "five"
"#;

const HOSTILE: &str = "\u{202e}<b>&amp; {shop} {text} {name}\u{200b}\u{200d} 👩‍👩‍👧 `*_[x](y)` ﷽ İı ß";

#[derive(Debug, Clone)]
struct Sent {
    row: i64,
    channel: Channel,
    chat: String,
    out: Outgoing,
}

struct Bot {
    engine: Engine,
    db: PathBuf,
    now: Timestamp,
}

fn shop_file(dir: &Path, owners: &str) -> PathBuf {
    let small = std::fs::read_to_string("tests/fixtures/shops/small.toml").unwrap();
    let text = small.replace(
        "[owners]\ntelegram = []\nmatrix = []",
        &format!(
            "[owners]\ntelegram = [{OWNER}, {OWNER2}]\nmatrix = [\"{OWNER_MX}\"]\n{owners}\n{REPLIES}"
        ),
    );
    assert_ne!(text, small);
    let path = dir.join("shop.toml");
    std::fs::write(&path, text).unwrap();
    path
}

impl Bot {
    fn new(db: &support::TempDb, owners: &str) -> Self {
        let shop = Shop::load(&shop_file(db.dir.path(), owners)).expect("shop loads");
        let mut engine = Engine::open(shop, &db.path).unwrap();
        engine.set_channels(&[Telegram, Matrix]);
        Self {
            engine,
            db: db.path.clone(),
            now: noon(),
        }
    }

    fn turn(&mut self, channel: Channel, chat: &str, event: Event<'_>, input: &Input) -> Vec<Sent> {
        self.now += jiff::SignedDuration::from_secs(1);
        let chat = Chat {
            channel,
            chat_id: chat,
        };
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

    #[allow(clippy::needless_pass_by_value)]
    fn as_who(
        &mut self,
        channel: Channel,
        chat: &str,
        who: (&str, &str),
        input: Input,
    ) -> Vec<Sent> {
        let event = Event {
            sender: Some(who.0),
            sender_name: Some(who.1),
            direct: true,
            ..Event::default()
        };
        self.turn(channel, chat, event, &input)
    }

    /// A Telegram customer (chat = user id) types.
    fn say(&mut self, cust: &str, text: &str) -> Vec<Sent> {
        self.as_who(
            Telegram,
            cust,
            (cust, "Ana Pop (@ana)"),
            Input::Text(text.into()),
        )
    }

    fn press(&mut self, cust: &str, id: &str) -> Vec<Sent> {
        self.as_who(
            Telegram,
            cust,
            (cust, "Ana Pop (@ana)"),
            Input::Button(id.into()),
        )
    }

    /// The first owner, in their private chat, with a platform name.
    fn owner(&mut self, text: &str) -> Vec<Sent> {
        self.as_who(
            Telegram,
            OWNER,
            (OWNER, "Boss Big (@boss)"),
            Input::Text(text.into()),
        )
    }

    fn shown_as(&mut self, sent: &Sent, message: &str) {
        self.engine
            .store_mut()
            .record_platform_message(sent.channel, &sent.chat, message, sent.row)
            .unwrap();
    }
}

fn to<'a>(sent: &'a [Sent], channel: Channel, chat: &str) -> Vec<&'a Sent> {
    sent.iter()
        .filter(|s| s.channel == channel && s.chat == chat)
        .collect()
}

fn texts(sent: &[Sent], channel: Channel, chat: &str) -> String {
    to(sent, channel, chat)
        .iter()
        .map(|s| s.out.reply.text.as_str())
        .collect::<Vec<_>>()
        .join("\n")
}

fn ids(sent: &Sent) -> Vec<&str> {
    sent.out
        .reply
        .buttons
        .iter()
        .map(|b| b.id.as_str())
        .collect()
}

/// A Spanish-speaking Telegram customer who opened ticket #1: its notice.
fn spanish_ticket(bot: &mut Bot, cust: &str) -> Sent {
    bot.say(cust, "/start");
    bot.press(cust, "lang:es");
    let sent = bot.press(cust, "human");
    assert!(texts(&sent, Telegram, cust).contains("#1"), "{sent:#?}");
    to(&sent, Telegram, OWNER)[0].clone()
}

#[test]
fn send_puts_the_browsing_card_in_front_of_the_customer_and_its_button_adds_to_the_cart() {
    let db = temp_db();
    let mut bot = Bot::new(&db, "");
    let cust = "222";
    spanish_ticket(&mut bot, cust);

    // Everything that cannot be sent is said to the owner, and nothing reaches the customer.
    for (command, answer) in [
        ("/send 1 nope", "No product `nope`"),
        ("/send 9 castle", "There is no ticket #9"),
        ("/send 1 castle:red", "`castle` has no variants"),
        (
            "/send 1 truck:green",
            "`truck` has no variant `green`; its variants: red, blue.",
        ),
        ("/send 1 truck:blue", "Big Truck (Blue) is sold out"),
        ("/send 1 dragon", "Dragon Lair is sold out"),
        ("/send 1", "Write it as: /send N PRODUCT_ID[:VARIANT_ID]"),
        ("/send 1 castle extra", "Write it as: /send"),
    ] {
        let sent = bot.owner(command);
        assert!(
            texts(&sent, Telegram, OWNER).contains(answer),
            "{command}: {sent:#?}"
        );
        assert!(to(&sent, Telegram, cust).is_empty(), "{command}: {sent:#?}");
    }

    // The card the customer gets is exactly the one browsing shows a Spanish customer.
    let sent = bot.owner("/send 1 castle");
    assert!(texts(&sent, Telegram, OWNER).contains("✓ Card of Knight's Castle sent to ticket #1"));
    let card = to(&sent, Telegram, cust);
    assert_eq!(card.len(), 1, "{sent:#?}");
    let card = card[0].clone();
    let other = "333";
    bot.say(other, "/start");
    bot.press(other, "lang:es");
    let browsed = bot.press(other, "p:castle");
    assert_eq!(card.out.reply, to(&browsed, Telegram, other)[0].out.reply);
    assert!(card.out.reply.text.contains("Castillo del caballero"));
    assert_eq!(card.out.reply.image.as_deref(), Some("images/castle.png"));
    assert_eq!(ids(&card), ["add:castle"]);

    // The customer, still in the ticket, adds it from the card.
    let sent = bot.press(cust, "add:castle");
    let reply = texts(&sent, Telegram, cust);
    assert!(reply.contains("Castillo del caballero"), "{reply}");
    assert!(to(&sent, Telegram, OWNER).is_empty(), "{sent:#?}");
    let sent = bot.press(cust, "cart");
    assert!(texts(&sent, Telegram, cust).contains("45"), "{sent:#?}");

    // A variant: only its own button; the live stock counts.
    let sent = bot.owner("/send 1 truck:red");
    let card = to(&sent, Telegram, cust)[0].clone();
    assert_eq!(ids(&card), ["add:truck:red"]);
    bot.owner("/stock truck:red 0");
    let sent = bot.owner("/send 1 truck:red");
    assert!(texts(&sent, Telegram, OWNER).contains("sold out"));
    assert!(to(&sent, Telegram, cust).is_empty());
    let sent = bot.press(cust, "add:truck:red");
    assert!(!texts(&sent, Telegram, cust).is_empty());
    assert_eq!(count(&db.path, "SELECT COUNT(*) FROM orders"), 0);

    // A closed ticket: the customer still gets the card, the owner is told.
    bot.owner("/close 1");
    let sent = bot.owner("/send 1 tower");
    assert!(texts(&sent, Telegram, OWNER).contains("the ticket was closed"));
    assert_eq!(to(&sent, Telegram, cust).len(), 1);

    // Erased (/forget): there is no ticket to send to any more.
    bot.say(cust, "/forget");
    bot.press(cust, "forget");
    let sent = bot.owner("/send 1 castle");
    assert!(
        texts(&sent, Telegram, OWNER).contains("There is no ticket #1"),
        "{sent:#?}"
    );
    assert!(to(&sent, Telegram, cust).is_empty());
    let sent = bot.owner("/coupon 1 WELCOME10");
    assert!(texts(&sent, Telegram, OWNER).contains("There is no ticket #1"));
    let sent = bot.owner("/r 1 shipping");
    assert!(texts(&sent, Telegram, OWNER).contains("There is no ticket #1"));
    assert!(to(&sent, Telegram, cust).is_empty());
}

#[test]
fn a_coupon_is_checked_like_the_customers_own_and_taken_off_at_checkout() {
    let db = temp_db();
    let mut bot = Bot::new(&db, "");
    let cust = "222";
    spanish_ticket(&mut bot, cust);
    for (command, answer) in [
        (
            "/coupon 1 OLD5",
            "Coupon `OLD5` has expired (last day 2020-01-01)",
        ),
        (
            "/coupon 1 NOPE",
            "No coupon `NOPE`; the codes: WELCOME10, OLD5.",
        ),
        (
            "/coupon 1 W\u{200b}ELCOME10\u{202e}",
            "No coupon `W\u{200b}ELCOME10\u{202e}`",
        ),
        ("/coupon 1 <b>WELCOME10</b>", "No coupon `<b>WELCOME10</b>`"),
        ("/coupon 7 WELCOME10", "There is no ticket #7"),
        ("/coupon 1", "Write it as: /coupon N CODE"),
    ] {
        let sent = bot.owner(command);
        assert!(
            texts(&sent, Telegram, OWNER).contains(answer),
            "{command}: {sent:#?}"
        );
        assert!(to(&sent, Telegram, cust).is_empty(), "{command}");
    }

    // Below its minimum: given all the same, both told when it applies.
    let sent = bot.owner("/coupon 1 welcome10");
    let owner = texts(&sent, Telegram, OWNER);
    assert!(
        owner.contains("✓ Coupon WELCOME10 given to ticket #1"),
        "{owner}"
    );
    assert!(
        owner.contains("once their goods reach €30.00 (now €0.00)"),
        "{owner}"
    );
    let told = texts(&sent, Telegram, cust);
    assert!(
        told.contains("🎁 El equipo te ha regalado el cupón WELCOME10"),
        "{told}"
    );
    assert!(
        told.contains("Ese cupón solo vale para pedidos de"),
        "{told}"
    );

    // The customer reaches the minimum: the discount is on the cart, and on the
    // order (placed after the ticket: until then their words go to the team).
    bot.press(cust, "add:castle");
    bot.press(cust, "endticket");
    let sent = bot.press(cust, "cart");
    let cart = texts(&sent, Telegram, cust);
    assert!(cart.contains("WELCOME10"), "{cart}");
    for (kind, what) in [
        ("press", "checkout"),
        ("press", "dlv:courier"),
        ("say", "Ana Pop"),
        ("say", "+34 600 123 456"),
        ("say", "Calle Mayor 5, Madrid"),
        ("press", "skip"),
        ("press", "consent:no"),
        ("press", "pay:cash"),
        ("press", "confirm"),
    ] {
        if kind == "press" {
            bot.press(cust, what);
        } else {
            bot.say(cust, what);
        }
    }
    assert_eq!(
        count(
            &bot.db,
            "SELECT COUNT(*) FROM orders WHERE coupon = 'WELCOME10' AND discount > 0"
        ),
        1
    );
}

#[test]
fn canned_replies_arrive_in_the_customers_language_from_command_and_button() {
    let db = temp_db();
    let mut bot = Bot::new(&db, "");
    let cust = "222";
    let notice = spanish_ticket(&mut bot, cust);
    // Four reply buttons, then Close; the rest by /r.
    assert_eq!(
        ids(&notice),
        [
            "o:r:1:shipping",
            "o:r:1:hostile",
            "o:r:1:a3",
            "o:r:1:a4",
            "o:close:1"
        ]
    );
    let text = &notice.out.reply.text;
    assert!(
        text.contains("Canned replies: /r 1 shipping (shipping, hostile, a3, a4, a5)"),
        "{text}"
    );
    assert!(
        text.contains("Past orders: none\nEarlier tickets: 0\n"),
        "{text}"
    );
    assert!(
        text.lines()
            .last()
            .unwrap()
            .starts_with("Reply to this message"),
        "{text}"
    );

    let sent = bot.owner("/r 1 shipping");
    assert_eq!(
        texts(&sent, Telegram, cust),
        "💬 Test Bricks: Enviamos en 24 horas."
    );
    assert!(texts(&sent, Telegram, OWNER).contains("✓ Sent to ticket #1"));
    assert_eq!(
        count(
            &db.path,
            "SELECT COUNT(*) FROM tickets WHERE first_answer_at IS NOT NULL"
        ),
        1
    );
    assert_eq!(
        count(
            &db.path,
            "SELECT COUNT(*) FROM history WHERE who = 'team' AND text = 'Enviamos en 24 horas.'"
        ),
        1
    );
    // Hostile text arrives as written: no placeholder filled, nothing escaped away.
    let sent = bot.as_who(
        Telegram,
        OWNER,
        (OWNER, "Boss"),
        Input::Button("o:r:1:hostile".into()),
    );
    assert_eq!(
        texts(&sent, Telegram, cust),
        format!("💬 Test Bricks: {HOSTILE}")
    );
    // No translation: the shop's own text.
    let sent = bot.owner("/r 1 a5");
    assert_eq!(texts(&sent, Telegram, cust), "💬 Test Bricks: five");
    let sent = bot.owner("/r 1 nope");
    assert!(
        texts(&sent, Telegram, OWNER)
            .contains("No canned reply `nope`; the ids: shipping, hostile, a3, a4, a5.")
    );
    assert!(to(&sent, Telegram, cust).is_empty());

    // From anyone else the button and the command are refused.
    let sent = bot.press(cust, "o:r:1:shipping");
    assert!(texts(&sent, Telegram, cust).contains("equipo"), "{sent:#?}");
    for attempt in ["/r 1 shipping", "/send 1 castle", "/coupon 1 WELCOME10"] {
        let sent = bot.say(cust, attempt);
        assert!(
            to(&sent, Telegram, OWNER).is_empty(),
            "{attempt}: {sent:#?}"
        );
    }
    assert_eq!(
        count(&db.path, "SELECT COUNT(*) FROM history WHERE who = 'team'"),
        3
    );
}

#[test]
fn the_notice_shows_past_orders_and_earlier_tickets() {
    let db = temp_db();
    let mut bot = Bot::new(&db, "");
    let cust = "222";
    bot.say(cust, "/start");
    for _ in 0..7 {
        for (kind, what) in [
            ("press", "add:racer"),
            ("press", "checkout"),
            ("press", "dlv:pickup"),
            ("say", "Ana Pop"),
            ("say", "+34 600 123 456"),
            ("press", "skip"),
            ("press", "consent:no"),
            ("press", "pay:cash"),
            ("press", "confirm"),
        ] {
            if kind == "press" {
                bot.press(cust, what);
            } else {
                bot.say(cust, what);
            }
        }
    }
    assert_eq!(count(&db.path, "SELECT COUNT(*) FROM orders"), 7);
    bot.owner("/status 1005 cancelled");
    for _ in 0..2 {
        bot.press(cust, "human");
        bot.press(cust, "endticket");
    }
    let sent = bot.press(cust, "human");
    let notice = to(&sent, Telegram, OWNER)[0].out.reply.text.clone();
    assert!(notice.contains("Ticket #3"), "{notice}");
    let past = "Past orders: 7\n  #1007 · 2026-11-25 · €12.00 · new\n  #1006 · 2026-11-25 · €12.00 · new\n  #1005 · 2026-11-25 · €12.00 · cancelled\n  #1004 · 2026-11-25 · €12.00 · new\n  #1003 · 2026-11-25 · €12.00 · new\n  +2 more\nEarlier tickets: 2\n";
    assert!(notice.contains(past), "{notice}");
    // Another customer's history is not theirs.
    let sent = bot.press("444", "human");
    let notice = to(&sent, Telegram, OWNER)[0].out.reply.text.clone();
    assert!(
        notice.contains("Past orders: none\nEarlier tickets: 0"),
        "{notice}"
    );
}

fn location() -> Attachment {
    Attachment {
        media: Media::Location {
            latitude_e6: 40_416_775,
            longitude_e6: -3_703_790,
        },
        caption: Some("the shop".into()),
        file_name: None,
        mime: None,
        size: None,
        seconds: None,
        origin: Origin {
            channel: Telegram,
            chat_id: OWNER2.into(),
            message_id: "77".into(),
            file: None,
        },
        stored: None,
        unfetchable: None,
        album: None,
    }
}

#[test]
fn answers_are_signed_with_each_owners_name_when_the_shop_signs() {
    let db = temp_db();
    let names = format!("sign = true\nnames = {{ \"{OWNER}\" = \"Marta\" }}");
    let mut bot = Bot::new(&db, &names);
    let (en, es) = ("222", "333");
    bot.say(en, "/start");
    bot.press(en, "human");
    spanish_ticket_number(&mut bot, es, 2);

    // A configured name; a platform first name; a name with braces; none at all.
    let sent = bot.owner("/reply 1 hello");
    assert_eq!(
        texts(&sent, Telegram, en),
        "💬 Marta from Test Bricks: hello"
    );
    let sent = bot.owner("/reply 2 hola");
    assert_eq!(texts(&sent, Telegram, es), "💬 Marta de Test Bricks: hola");
    let luis = (OWNER2, "Luis Gómez (@luis)");
    let sent = bot.as_who(Telegram, OWNER2, luis, Input::Text("/r 2 shipping".into()));
    assert_eq!(
        texts(&sent, Telegram, es),
        "💬 Luis de Test Bricks: Enviamos en 24 horas."
    );
    let braces = (OWNER2, "{text}{shop} (@x)");
    let sent = bot.as_who(Telegram, OWNER2, braces, Input::Text("/reply 1 hi".into()));
    assert_eq!(
        texts(&sent, Telegram, en),
        "💬 textshop from Test Bricks: hi"
    );
    let event = Event {
        sender: Some(OWNER_MX),
        direct: true,
        ..Event::default()
    };
    let sent = bot.turn(
        Matrix,
        "!boss:example.org",
        event,
        &Input::Text("/reply 1 anon".into()),
    );
    assert_eq!(texts(&sent, Telegram, en), "💬 Test Bricks: anon");

    // A reply to the notice, and a media answer, are signed too.
    let sent = bot.say(en, "where are you?");
    let relay = to(&sent, Telegram, OWNER)[0].clone();
    bot.shown_as(&relay, "900");
    let event = Event {
        sender: Some(OWNER),
        sender_name: Some("Boss"),
        reply_to: Some("900"),
        direct: true,
        ..Event::default()
    };
    let sent = bot.turn(Telegram, OWNER, event, &Input::Text("here".into()));
    assert_eq!(
        texts(&sent, Telegram, en),
        "💬 Marta from Test Bricks: here"
    );
    let event = Event {
        sender: Some(OWNER2),
        sender_name: Some("Luis"),
        reply_to: Some("900"),
        direct: true,
        ..Event::default()
    };
    // OWNER2's chat has no note of message 900: the relay went to each owner's own chat.
    let sent = bot.turn(Telegram, OWNER, event, &Input::Media(Box::new(location())));
    let got = to(&sent, Telegram, en);
    assert_eq!(got.len(), 1, "{sent:#?}");
    assert_eq!(got[0].out.reply.text, "💬 Luis from Test Bricks: the shop");
    assert!(got[0].out.reply.attachment.is_some());
}

fn spanish_ticket_number(bot: &mut Bot, cust: &str, number: i64) {
    bot.say(cust, "/start");
    bot.press(cust, "lang:es");
    let sent = bot.press(cust, "human");
    assert!(texts(&sent, Telegram, cust).contains(&format!("#{number}")));
}

#[test]
fn without_sign_every_answer_carries_the_shops_name() {
    let db = temp_db();
    let names = format!("names = {{ \"{OWNER}\" = \"Marta\" }}");
    let mut bot = Bot::new(&db, &names);
    bot.say("222", "/start");
    bot.press("222", "human");
    let sent = bot.owner("/reply 1 hello");
    assert_eq!(texts(&sent, Telegram, "222"), "💬 Test Bricks: hello");
}

#[test]
fn send_and_coupon_cross_channels_both_ways() {
    let db = temp_db();
    let mut bot = Bot::new(&db, "");
    // A Matrix customer, served by the Telegram owner.
    let mx = "!ana:example.org";
    let ana = ("@ana:example.org", "Ana (@ana:example.org)");
    bot.as_who(Matrix, mx, ana, Input::Text("/start".into()));
    let sent = bot.as_who(Matrix, mx, ana, Input::Button("human".into()));
    assert!(texts(&sent, Matrix, mx).contains("Ticket #1"));
    let sent = bot.owner("/send 1 racer");
    let card = to(&sent, Matrix, mx);
    assert_eq!(card.len(), 1, "{sent:#?}");
    assert_eq!(ids(card[0]), ["add:racer"]);
    let sent = bot.as_who(Matrix, mx, ana, Input::Button("add:racer".into()));
    assert!(texts(&sent, Matrix, mx).contains("Race Car"), "{sent:#?}");
    let sent = bot.owner("/coupon 1 WELCOME10");
    assert!(
        texts(&sent, Matrix, mx).contains("coupon WELCOME10"),
        "{sent:#?}"
    );

    // A Telegram customer, served by the Matrix owner.
    let tg = "222";
    bot.say(tg, "/start");
    bot.press(tg, "human");
    let boss = (OWNER_MX, "Boss (@boss:example.org)");
    let room = "!boss-dm:example.org";
    let sent = bot.as_who(Matrix, room, boss, Input::Text("/send 2 truck:red".into()));
    assert!(texts(&sent, Matrix, room).contains("✓ Card of Big Truck (Red) sent to ticket #2"));
    assert_eq!(ids(to(&sent, Telegram, tg)[0]), ["add:truck:red"]);
    let sent = bot.as_who(
        Matrix,
        room,
        boss,
        Input::Text("/coupon 2 WELCOME10".into()),
    );
    assert!(
        texts(&sent, Telegram, tg).contains("coupon WELCOME10"),
        "{sent:#?}"
    );
    let sent = bot.as_who(Matrix, room, boss, Input::Text("/r 2 shipping".into()));
    assert_eq!(
        texts(&sent, Telegram, tg),
        "💬 Test Bricks: We ship within 24 hours."
    );
    // The Matrix customer's cart and coupon are theirs alone.
    let sent = bot.press(tg, "cart");
    assert!(
        !texts(&sent, Telegram, tg).contains("Race Car"),
        "{sent:#?}"
    );
}
