//! After the order, on fixed clocks: the cart reminder (once, late after
//! downtime, dropped past the limit), feedback after delivery, marketing only to
//! those who agreed (`/stop` withdraws), `/mydata`, and `/forget` leaving no trace
//! in the database file or its log.

mod support;

use std::path::{Path, PathBuf};

use jiff::{SignedDuration, Timestamp};
use shopbot::channel::Channel;
use shopbot::conversation::Input;
use shopbot::engine::{Chat, Engine, Event, Outgoing, TurnResult, outgoing_of};
use shopbot::shop::Shop;
use support::{count, noon, temp_db};

const OWNER: &str = "111";

fn shop_path(dir: &Path) -> PathBuf {
    let small = std::fs::read_to_string("tests/fixtures/shops/small.toml").unwrap();
    let text = small.replace(
        "[owners]\ntelegram = []",
        &format!(
            "[followups]\ncart_reminder_hours = 24\ncart_reminder_coupon = \"WELCOME10\"\n\
             feedback_after_hours = 2\nlate_limit_hours = 48\n\n[owners]\ntelegram = [{OWNER}]"
        ),
    );
    let path = dir.join("shop.toml");
    std::fs::write(&path, text).unwrap();
    path
}

fn open(db: &support::TempDb) -> Engine {
    let shop = Shop::load(&shop_path(db.dir.path())).unwrap();
    let mut engine = Engine::open(shop, &db.path).unwrap();
    engine.set_channels(&[Channel::Telegram]);
    engine
}

fn hours(h: i64) -> Timestamp {
    noon() + SignedDuration::from_hours(h)
}

/// One input from `chat` (who is also the sender); every message queued.
fn turn(engine: &mut Engine, chat: &str, input: &Input, at: Timestamp) -> Vec<(String, Outgoing)> {
    // Each customer has their own name on the platform ("a" is Zyxwv Qwerty).
    let shown_as = if chat == "a" {
        "Zyxwv Qwerty (@zq)".to_owned()
    } else {
        format!("Customer {chat} (@{chat})")
    };
    let event = Event {
        sender: Some(chat),
        sender_name: Some(&shown_as),
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

fn texts(sent: &[(String, Outgoing)], chat: &str) -> String {
    sent.iter()
        .filter(|(c, _)| c == chat)
        .map(|(_, o)| o.reply.text.clone())
        .collect::<Vec<_>>()
        .join("\n")
}

fn press(engine: &mut Engine, chat: &str, id: &str, at: Timestamp) -> Vec<(String, Outgoing)> {
    turn(engine, chat, &Input::Button(id.into()), at)
}

fn say(engine: &mut Engine, chat: &str, text: &str, at: Timestamp) -> Vec<(String, Outgoing)> {
    turn(engine, chat, &Input::Text(text.into()), at)
}

/// Unsent outbox texts of one chat (what the scheduler queued).
fn queued(db: &Path, chat: &str) -> Vec<String> {
    let conn = rusqlite::Connection::open(db).unwrap();
    let mut stmt = conn
        .prepare("SELECT payload FROM outbox WHERE chat_id = ?1 AND sent_at IS NULL ORDER BY id")
        .unwrap();
    stmt.query_map([chat], |r| r.get::<_, String>(0))
        .unwrap()
        .map(|p| {
            serde_json::from_str::<Outgoing>(&p.unwrap())
                .unwrap()
                .reply
                .text
        })
        .collect()
}

fn mark_all_sent(db: &Path) {
    let conn = rusqlite::Connection::open(db).unwrap();
    conn.execute("UPDATE outbox SET sent_at = 1 WHERE sent_at IS NULL", [])
        .unwrap();
}

/// Cart, checkout and confirm; `consent` answers the marketing question.
fn order(engine: &mut Engine, chat: &str, consent: bool, at: Timestamp) {
    order_as(
        engine,
        chat,
        consent,
        at,
        ("Zyxwv Qwerty", "+34 699 887 766"),
    );
}

fn order_as(engine: &mut Engine, chat: &str, consent: bool, at: Timestamp, who: (&str, &str)) {
    let address = format!("Calle {} 77, Madrid", &who.0[..5]);
    for (kind, what) in [
        ("p", "add:castle"),
        ("p", "checkout"),
        ("p", "dlv:courier"),
        ("s", who.0),
        ("s", who.1),
        ("s", address.as_str()),
        ("p", "skip"),
        ("p", if consent { "consent:yes" } else { "consent:no" }),
        ("p", "pay:cash"),
        ("p", "confirm"),
    ] {
        if kind == "p" {
            press(engine, chat, what, at);
        } else {
            say(engine, chat, what, at);
        }
    }
}

#[test]
fn a_cart_reminder_is_sent_once_late_after_downtime_or_dropped_past_the_limit() {
    let db = temp_db();
    let mut engine = open(&db);
    for chat in ["a", "b", "c"] {
        press(&mut engine, chat, "add:castle", noon());
    }
    // An order placed empties the cart: no reminder for "d".
    order(&mut engine, "d", false, noon());
    mark_all_sent(&db.path);

    assert_eq!(engine.tick(hours(23)).unwrap(), 0, "not due yet");
    assert_eq!(engine.tick(hours(25)).unwrap(), 3);
    let reminder = queued(&db.path, "a");
    assert_eq!(reminder.len(), 1);
    // Never asked about offers: the reminder, without the coupon.
    assert!(
        reminder[0].contains("You left 1 item(s) in your cart")
            && !reminder[0].contains("WELCOME10"),
        "{reminder:?}"
    );
    assert!(queued(&db.path, "d").is_empty());
    assert_eq!(engine.tick(hours(26)).unwrap(), 0, "never twice");
    // A restart does not repeat it.
    drop(engine);
    let mut engine = open(&db);
    assert_eq!(engine.tick(hours(30)).unwrap(), 0);
    assert_eq!(engine.tick(hours(60)).unwrap(), 0, "one reminder per cart");

    // Down while a reminder fell due: sent once, late, at the first round after.
    press(&mut engine, "e", "add:castle", hours(100));
    drop(engine);
    let mut engine = open(&db);
    assert_eq!(engine.tick(hours(100 + 24 + 20)).unwrap(), 1);
    assert_eq!(engine.tick(hours(100 + 24 + 21)).unwrap(), 0);
    // Down for longer than the limit: dropped.
    press(&mut engine, "f", "add:castle", hours(200));
    assert_eq!(engine.tick(hours(200 + 24 + 49)).unwrap(), 0);
    assert!(
        queued(&db.path, "f")
            .iter()
            .all(|t| !t.contains("You left"))
    );
}

#[test]
fn feedback_is_asked_after_delivery_stored_and_shown_to_the_owner() {
    let db = temp_db();
    let mut engine = open(&db);
    order(&mut engine, "a", false, noon());
    say(&mut engine, OWNER, "/status 1001 delivered", hours(1));
    assert_eq!(
        engine.tick(hours(2)).unwrap(),
        0,
        "two hours after delivery"
    );
    assert_eq!(engine.tick(hours(3)).unwrap(), 1);
    assert_eq!(engine.tick(hours(4)).unwrap(), 0);
    let rows = {
        let conn = rusqlite::Connection::open(&db.path).unwrap();
        let payload: String = conn
            .query_row(
                "SELECT payload FROM outbox WHERE chat_id = 'a' ORDER BY id DESC LIMIT 1",
                [],
                |r| r.get(0),
            )
            .unwrap();
        serde_json::from_str::<Outgoing>(&payload).unwrap()
    };
    assert_eq!(rows.reply.text, "How was order #1001? Tap the stars:");
    let ids: Vec<&str> = rows.reply.buttons.iter().map(|b| b.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "rate:1001:1",
            "rate:1001:2",
            "rate:1001:3",
            "rate:1001:4",
            "rate:1001:5"
        ]
    );

    // Someone else cannot rate this order.
    let sent = press(&mut engine, "z", "rate:1001:1", hours(4));
    assert!(texts(&sent, "z").contains("has expired"), "{sent:#?}");
    assert_eq!(count(&db.path, "SELECT COUNT(*) FROM feedback"), 0);

    let sent = press(&mut engine, "a", "rate:1001:4", hours(4));
    assert!(texts(&sent, "a").contains("add a comment"));
    assert!(texts(&sent, OWNER).contains("⭐⭐⭐⭐ for order #1001"));
    let sent = say(&mut engine, "a", "Great castle, fast delivery", hours(4));
    assert!(texts(&sent, "a").contains("Thank you for your feedback"));
    assert!(texts(&sent, OWNER).contains("Comment on order #1001"));
    assert_eq!(
        count(
            &db.path,
            "SELECT COUNT(*) FROM feedback WHERE order_number = '1001' AND stars = 4 \
             AND comment = 'Great castle, fast delivery'"
        ),
        1
    );
    let sent = say(&mut engine, OWNER, "/order 1001", hours(5));
    assert!(texts(&sent, OWNER).contains("Feedback: ⭐⭐⭐⭐ — Great castle, fast delivery"));
}

#[test]
fn marketing_goes_only_to_those_who_agreed_and_stop_withdraws() {
    let db = temp_db();
    let mut engine = open(&db);
    order(&mut engine, "yes", true, noon());
    order(&mut engine, "no", false, noon());
    press(&mut engine, "never", "add:castle", noon());
    let sent = say(
        &mut engine,
        OWNER,
        "/broadcast Winter sale: 20% off castles!",
        hours(1),
    );
    assert!(texts(&sent, OWNER).contains("Sent to 1 customer(s)"));
    assert!(texts(&sent, "yes").contains("Winter sale: 20% off castles!"));
    assert!(texts(&sent, "yes").contains("/stop"));
    assert!(texts(&sent, "no").is_empty() && texts(&sent, "never").is_empty());
    assert_eq!(
        count(
            &db.path,
            "SELECT COUNT(*) FROM consents WHERE granted = 1 AND at > 0"
        ),
        1
    );

    let sent = say(&mut engine, "yes", "/stop", hours(2));
    assert!(texts(&sent, "yes").contains("won't receive offers"));
    let sent = say(&mut engine, OWNER, "/broadcast Another sale", hours(3));
    assert!(texts(&sent, OWNER).contains("Sent to 0 customer(s)"));
    assert_eq!(sent.len(), 1);
    // A customer cannot broadcast.
    let sent = say(&mut engine, "no", "/broadcast spam", hours(3));
    assert!(texts(&sent, "no").contains("only for the shop's team"));
}

/// Whether any of the database's files holds `needle`.
fn files_hold(db: &Path, needle: &str) -> Vec<String> {
    let mut found = Vec::new();
    for suffix in ["", "-wal"] {
        let path = PathBuf::from(format!("{}{suffix}", db.display()));
        if let Ok(bytes) = std::fs::read(&path)
            && bytes.windows(needle.len()).any(|w| w == needle.as_bytes())
        {
            found.push(path.display().to_string());
        }
    }
    found
}

#[test]
fn mydata_shows_everything_and_forget_leaves_no_trace() {
    let db = temp_db();
    let mut engine = open(&db);
    order(&mut engine, "a", true, noon());
    say(&mut engine, "a", "do you sell spaceships", hours(1));
    press(&mut engine, "a", "human", hours(1));
    say(
        &mut engine,
        "a",
        "My name is Zyxwv Qwerty, call +34 699 887 766",
        hours(1),
    );
    // Someone else's data stays.
    order_as(
        &mut engine,
        "b",
        false,
        noon(),
        ("Bogdan Other", "+40 711 222 333"),
    );

    let sent = say(&mut engine, "a", "/mydata", hours(2));
    let shown = texts(&sent, "a");
    for needle in [
        "What Test Bricks keeps about you",
        "telegram a",
        "#1001",
        "phone: +34 699 887 766",
        "Offers and news: yes",
        "Conversation with the team #1",
        "Conversation history:",
        "/forget",
    ] {
        assert!(shown.contains(needle), "{needle}: {shown}");
    }
    let name = "Zyxwv Qwerty";
    let phone = "+34 699 887 766";
    assert!(
        !files_hold(&db.path, name).is_empty(),
        "the test looks at the right files"
    );

    let sent = say(&mut engine, "a", "/forget", hours(3));
    assert!(texts(&sent, "a").contains("This erases everything"));
    let sent = press(&mut engine, "a", "forget", hours(3));
    assert!(texts(&sent, "a").contains("your data has been erased"));
    // (Unanswered questions stay for the report: they name nobody.)
    for needle in [name, phone, "Calle Zyxwv 77", "call +34"] {
        let holders = files_hold(&db.path, needle);
        assert!(holders.is_empty(), "{needle} still in {holders:?}");
    }
    // The orders stay for the accounts, anonymous; the other customer is untouched.
    assert_eq!(count(&db.path, "SELECT COUNT(*) FROM orders"), 2);
    assert_eq!(
        count(
            &db.path,
            "SELECT COUNT(*) FROM orders WHERE number = '1001' AND fields = '{}' AND chat_id LIKE 'forgotten-%'"
        ),
        1
    );
    assert_eq!(
        count(
            &db.path,
            "SELECT COUNT(*) FROM orders WHERE number = '1002' AND fields <> '{}'"
        ),
        1
    );
    assert_eq!(
        count(
            &db.path,
            "SELECT COUNT(*) FROM consents WHERE chat_id = 'a'"
        ),
        0
    );
    assert_eq!(count(&db.path, "SELECT COUNT(*) FROM tickets"), 0);
    assert!(
        !files_hold(&db.path, "Bogdan Other").is_empty(),
        "others are kept"
    );
    // Writing again starts afresh.
    let sent = say(&mut engine, "a", "/mydata", hours(4));
    let shown = texts(&sent, "a");
    assert!(
        shown.contains("Offers and news: never asked") && !shown.contains("#1001"),
        "{shown}"
    );
}

#[test]
fn old_conversation_history_is_purged() {
    let db = temp_db();
    let mut engine = open(&db);
    say(&mut engine, "a", "hello there", noon());
    say(&mut engine, "a", "castle", hours(24 * 20));
    assert!(
        count(
            &db.path,
            "SELECT COUNT(*) FROM history WHERE at < 1800000000"
        ) > 0
    );
    engine.tick(hours(24 * 31)).unwrap();
    assert_eq!(
        count(
            &db.path,
            "SELECT COUNT(*) FROM history WHERE text = 'hello there'"
        ),
        0,
        "older than history_days (30)"
    );
    assert_eq!(
        count(
            &db.path,
            "SELECT COUNT(*) FROM history WHERE text = 'castle'"
        ),
        1
    );
}

#[test]
fn a_reminders_coupon_goes_only_to_those_who_agreed_and_never_after_stop() {
    let db = temp_db();
    let mut engine = open(&db);
    // Three earlier customers answered the marketing question; one never did.
    order(&mut engine, "yes", true, noon());
    order(&mut engine, "no", false, noon());
    order(&mut engine, "stop", true, noon());
    say(&mut engine, "stop", "/stop", noon());
    for chat in ["yes", "no", "stop", "never"] {
        press(&mut engine, chat, "add:castle", hours(1));
    }
    mark_all_sent(&db.path);
    assert_eq!(engine.tick(hours(26)).unwrap(), 2, "yes and never");
    let with_coupon = |chat: &str| {
        queued(&db.path, chat)
            .iter()
            .any(|t| t.contains("WELCOME10"))
    };
    let reminded = |chat: &str| {
        queued(&db.path, chat)
            .iter()
            .any(|t| t.contains("You left"))
    };
    assert!(reminded("yes") && with_coupon("yes"));
    assert!(
        reminded("never") && !with_coupon("never"),
        "an offer needs consent"
    );
    for refused in ["no", "stop"] {
        assert!(
            queued(&db.path, refused).is_empty(),
            "{refused}: {:?}",
            queued(&db.path, refused)
        );
    }
    // Nor later rounds, nor after a restart.
    drop(engine);
    let mut engine = open(&db);
    assert_eq!(engine.tick(hours(30)).unwrap(), 0);
    assert!(queued(&db.path, "no").is_empty() && queued(&db.path, "stop").is_empty());
}

#[test]
fn one_failing_follow_up_holds_back_no_one_else_and_is_sent_when_it_can() {
    let db = temp_db();
    let mut engine = open(&db);
    for chat in ["a", "b", "c"] {
        press(&mut engine, chat, "add:castle", noon());
    }
    mark_all_sent(&db.path);
    // Writing b's follow-up fails (as a bug or a bad row would), every round.
    let conn = rusqlite::Connection::open(&db.path).unwrap();
    conn.execute_batch(
        "CREATE TRIGGER fail_b BEFORE INSERT ON followups WHEN NEW.chat_id = 'b'
         BEGIN SELECT RAISE(ABORT, 'injected failure'); END;",
    )
    .unwrap();
    assert_eq!(engine.tick(hours(25)).unwrap(), 2, "a and c, in spite of b");
    assert_eq!(queued(&db.path, "a").len(), 1);
    assert_eq!(queued(&db.path, "c").len(), 1);
    assert!(queued(&db.path, "b").is_empty());
    assert!(
        engine
            .tick(hours(25) + SignedDuration::from_secs(30))
            .is_err(),
        "b alone, still failing: the round says so"
    );
    conn.execute_batch("DROP TRIGGER fail_b").unwrap();
    assert_eq!(engine.tick(hours(26)).unwrap(), 1, "b's turn comes");
    assert_eq!(queued(&db.path, "b").len(), 1);
    assert_eq!(queued(&db.path, "a").len(), 1, "still once");
}

#[test]
fn inbox_keys_and_sent_messages_are_purged_after_their_time_but_nothing_unsent() {
    let db = temp_db();
    let mut engine = open(&db);
    let keyed = |engine: &mut Engine, chat: &str, key: &str, text: &str, at: Timestamp| {
        let event = Event {
            key: Some(key),
            sender: Some(chat),
            direct: true,
            ..Event::default()
        };
        let chat = Chat {
            channel: Channel::Telegram,
            chat_id: chat,
        };
        engine
            .run_turn(chat, event, &Input::Text(text.into()), at)
            .unwrap()
    };
    keyed(&mut engine, "a", "u1", "castle", noon());
    // An open ticket: its notices must keep routing the owner's replies.
    press(&mut engine, "t", "human", noon());
    mark_all_sent(&db.path);
    {
        let conn = rusqlite::Connection::open(&db.path).unwrap();
        conn.execute_batch(
            "INSERT INTO platform_messages (channel, chat_id, message_id, row_id)
             SELECT channel, chat_id, 'm' || id, id FROM outbox",
        )
        .unwrap();
    }
    // A message still waiting to go (the customer blocked us, say) is never purged.
    keyed(&mut engine, "b", "u2", "castle", noon());
    let unsent = count(
        &db.path,
        "SELECT COUNT(*) FROM outbox WHERE sent_at IS NULL",
    );
    assert!(unsent > 0);

    engine.tick(hours(24 * 6)).unwrap();
    assert_eq!(
        count(&db.path, "SELECT COUNT(*) FROM inbox"),
        2,
        "kept a week"
    );
    engine.tick(hours(24 * 8)).unwrap();
    assert_eq!(
        count(&db.path, "SELECT COUNT(*) FROM inbox"),
        0,
        "past a week"
    );
    // Redelivered after the purge window: Telegram never does; the session decides.
    let sent_before = count(
        &db.path,
        "SELECT COUNT(*) FROM outbox WHERE sent_at IS NOT NULL",
    );
    assert!(sent_before > 0);
    engine.tick(hours(24 * 31)).unwrap();
    assert_eq!(
        count(
            &db.path,
            "SELECT COUNT(*) FROM outbox WHERE sent_at IS NULL"
        ),
        unsent,
        "unsent messages stay"
    );
    let ticket_rows = count(
        &db.path,
        "SELECT COUNT(*) FROM outbox WHERE json_extract(payload, '$.ticket') IS NOT NULL",
    );
    assert!(ticket_rows > 0, "the open ticket's notice stays");
    assert_eq!(
        count(
            &db.path,
            "SELECT COUNT(*) FROM outbox WHERE sent_at IS NOT NULL"
        ),
        ticket_rows,
        "every other sent message past history_days (30) is gone"
    );
    assert_eq!(
        count(
            &db.path,
            "SELECT COUNT(*) FROM platform_messages WHERE row_id NOT IN (SELECT id FROM outbox)"
        ),
        0,
        "no platform message points at a purged row"
    );
    assert_eq!(
        count(&db.path, "SELECT COUNT(*) FROM platform_messages"),
        ticket_rows
    );
}
