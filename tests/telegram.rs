//! The real `shopbot run` against the fake Bot API: what a Telegram customer does
//! and sees, end to end.

#[path = "support/bot_process.rs"]
mod bot_process;
mod fake_telegram;
#[path = "support/process.rs"]
mod process;

use std::path::Path;
use std::time::Duration;

use bot_process::{BotProcess, Shopper};
use fake_telegram::FakeTelegram;

const T: Duration = Duration::from_secs(20);

fn count(db: &Path, sql: &str) -> i64 {
    let conn = rusqlite::Connection::open(db).expect("open db");
    conn.query_row(sql, [], |r| r.get(0)).expect("query")
}

fn text_of(db: &Path, sql: &str) -> String {
    let conn = rusqlite::Connection::open(db).expect("open db");
    conn.query_row(sql, [], |r| r.get(0)).expect("query")
}

fn shopper<'a>(
    fake: &'a FakeTelegram,
    db: &Path,
    bot: &'a BotProcess,
    id: i64,
    name: &str,
) -> Shopper<'a> {
    Shopper {
        customer: fake.customer(id, name),
        fake,
        db: db.to_path_buf(),
        bot,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_customer_finds_a_gift_and_orders_it_with_buttons() {
    let (fake, _dir, db, mut bot) = bot_process::setup("small").await;
    let ana = shopper(&fake, &db, &bot, 1001, "Ana");
    ana.say("/start").await;
    ana.sees("Welcome to Test Bricks");
    ana.tap("Find a gift").await;
    ana.sees("Question 1 of 3");
    ana.tap("A child").await;
    ana.tap("Any budget").await;
    ana.tap("Castles").await;
    ana.sees("Would you like something else?");
    // The finder edited one message in place instead of sending a message a step.
    let question = ana.sees("Question 3 of 3");
    assert!(question.edits >= 3, "{}", ana.transcript());
    // The castle's card is a photo, uploaded from the shop's images folder.
    assert!(
        ana.sees("Knight's Castle").has_photo,
        "{}",
        ana.transcript()
    );
    ana.tap("Add to cart").await;
    ana.sees("Added Wizard Tower to your cart");
    ana.tap("Checkout").await;
    ana.sees("How would you like to receive your order?");
    ana.tap("Courier").await;
    ana.sees("What is your name?");
    ana.say("Ana Pop").await;
    ana.say("+34 600 123 456").await;
    ana.say("Calle Mayor 5, Madrid").await;
    ana.sees("Any note for us");
    ana.tap("Skip").await;
    ana.tap("No, thanks").await;
    ana.sees("How would you like to pay?");
    ana.tap("Cash on delivery").await;
    ana.sees("Please check your order");
    ana.tap("Confirm order").await;
    ana.sees("Your order number is #1001");

    assert_eq!(
        count(
            &db,
            "SELECT COUNT(*) FROM orders WHERE channel = 'telegram' AND chat_id = '1001'"
        ),
        1
    );
    assert_eq!(
        text_of(&db, "SELECT json_extract(fields, '$.phone') FROM orders"),
        "+34 600 123 456"
    );
    assert_eq!(count(&db, "SELECT qty FROM stock WHERE key = 'tower'"), 0);
    // Every press was answered, every call succeeded, the command menu is set.
    assert_eq!(
        fake.calls_to("answerCallbackQuery").len(),
        11,
        "one answer per press"
    );
    let failed: Vec<_> = fake.calls().into_iter().filter(|c| !c.ok).collect();
    assert!(failed.is_empty(), "{failed:#?}");
    assert!(
        fake.commands().iter().any(|(c, _)| c == "cart"),
        "{:?}",
        fake.commands()
    );
    // SIGTERM: a clean stop well within 10 s.
    bot.terminate();
    let status = bot
        .wait_exit(Duration::from_secs(10))
        .expect("stopped within 10 s");
    assert!(status.success(), "{}", bot.log_text());
    // The token never reaches the log.
    assert!(!bot.log_text().contains(FakeTelegram::TOKEN));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stale_button_is_answered_with_the_current_step_and_changes_nothing() {
    let (fake, _dir, db, bot) = bot_process::setup("small").await;
    let bo = shopper(&fake, &db, &bot, 2002, "Bo");
    bo.say("/find").await;
    bo.tap("A child").await;
    bo.tap("Any budget").await;
    bo.tap("Vehicles").await;
    bo.tap("Add to cart").await;
    bo.sees("Added Race Car");
    bo.tap("Checkout").await;
    bo.sees("How would you like to receive");
    // "« Back" of the finder results is still on screen, but the customer is
    // checking out now: the press is stale.
    let before = bo.customer.bot_messages().len();
    bo.tap("« Back").await;
    let after = bo.customer.bot_messages();
    let new: Vec<&str> = after[before..].iter().map(|m| m.text.as_str()).collect();
    assert!(
        new.iter().any(|t| t.contains("That button has expired")),
        "{}",
        bo.transcript()
    );
    assert!(
        new.iter()
            .any(|t| t.contains("How would you like to receive")),
        "{}",
        bo.transcript()
    );
    // The checkout goes on from there.
    bo.tap("Pick up in the shop").await;
    bo.sees("What is your name?");
    assert_eq!(count(&db, "SELECT COUNT(*) FROM orders"), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_groups_the_bot_answers_only_commands_and_mentions() {
    let (fake, _dir, db, bot) = bot_process::setup("small").await;
    let group = fake.group(-100_500, "Brick fans");
    let member = group.member(3003, "Cy");
    member.send_text("hello everyone, nice castles");
    member.send_text("/start@someotherbot");
    member.send_text(&format!(
        "@{} how much is shipping?",
        FakeTelegram::BOT_USERNAME
    ));
    member.send_text("/cart");
    bot_process::settle(&fake, &db).await;
    let replies: Vec<String> = group
        .messages()
        .into_iter()
        .filter(|m| m.from_bot)
        .map(|m| m.text)
        .collect();
    assert!(
        replies.iter().any(|t| t.contains("Shipping is €4.90")),
        "{replies:#?}\n{}",
        bot.log_text()
    );
    assert!(
        replies.iter().any(|t| t.contains("Your cart is empty")),
        "{replies:#?}"
    );
    assert!(
        !replies.iter().any(|t| t.contains("Welcome")),
        "answered a message not meant for it: {replies:#?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_texts_in_catalog_and_input_never_fail_a_send() {
    let (fake, _dir, db, bot) = bot_process::setup("hostile").await;
    let eve = shopper(&fake, &db, &bot, 4004, "Eve");
    eve.say("/catalog").await;
    eve.tap("Odd").await;
    eve.tap("Ben & Lucy").await;
    eve.sees("Fish & chips < 5 > 3 &amp;");
    eve.tap("« Back to the category").await;
    eve.tap("Zero").await;
    for input in [
        "<b>bold?</b> & &amp; <script>",
        "\u{202e}RTL\u{202c} \u{200b}zero width\u{200d} שלום مرحبا 🧱🚀",
        "*markdown* _italic_ `code` [link](http://x) ||spoiler||",
        &"🧱 long message ".repeat(700),
    ] {
        eve.say(input).await;
    }
    eve.say("/menu").await;
    eve.sees("Main menu");
    let failed: Vec<_> = fake.calls().into_iter().filter(|c| !c.ok).collect();
    assert!(failed.is_empty(), "sends failed: {failed:#?}");
    // The 10,000-character description arrives whole, split under the limit.
    let long_parts = eve
        .customer
        .bot_messages()
        .into_iter()
        .filter(|m| m.text.contains("apostrophes"))
        .count();
    assert!(
        long_parts >= 3,
        "the long description was not split: {}",
        eve.transcript()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn telegram_payments_invoice_pre_checkout_and_payment() {
    let (fake, _dir, db, bot) = bot_process::setup("small").await;
    let dee = shopper(&fake, &db, &bot, 5005, "Dee");
    dee.say("/catalog").await;
    dee.tap("Cars").await;
    dee.tap("Race Car").await;
    dee.tap("Add to cart").await;
    dee.tap("Checkout").await;
    dee.tap("Pick up in the shop").await;
    dee.say("Dee").await;
    dee.say("600123456").await;
    dee.tap("Skip").await;
    dee.tap("Yes, please").await;
    dee.tap("Pay in Telegram").await;
    dee.sees("Please check your order");
    dee.tap("Confirm order").await;
    dee.sees("Your order number is #1001");
    dee.sees("Tap Pay below to pay €12.00");
    let invoice = dee
        .customer
        .bot_messages()
        .into_iter()
        .find(|m| m.is_invoice)
        .unwrap_or_else(|| panic!("no invoice\n{}", dee.transcript()));
    let call = fake.calls_to("sendInvoice").pop().expect("sendInvoice");
    assert_eq!(call.params["payload"], "1001");
    assert_eq!(call.params["currency"], "EUR");
    assert_eq!(
        call.params["provider_token"],
        "284685063:TEST:provider-secret-PROVIDER"
    );
    let paid = dee.customer.checkout(invoice.message_id, T).await;
    assert!(paid.is_ok(), "{paid:?}\n{}", dee.transcript());
    bot_process::settle(&fake, &db).await;
    dee.sees("Payment received for order #1001");
    assert_eq!(
        text_of(&db, "SELECT status FROM orders WHERE number = '1001'"),
        "paid"
    );
    assert!(!text_of(&db, "SELECT payment_ref FROM orders WHERE number = '1001'").is_empty());
    // An order that is no longer awaiting payment cannot be paid: refused before the charge.
    let conn = rusqlite::Connection::open(&db).unwrap();
    conn.execute(
        "UPDATE orders SET status = 'cancelled' WHERE number = '1001'",
        [],
    )
    .unwrap();
    let refused = dee.customer.checkout(invoice.message_id, T).await;
    assert!(
        refused.is_err_and(|e| e.contains("declined")),
        "{}",
        dee.transcript()
    );
    // Neither secret reaches the log.
    let log = bot.log_text();
    assert!(!log.contains(FakeTelegram::TOKEN) && !log.contains("provider-secret"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forged_button_data_changes_nothing() {
    let (fake, _dir, db, bot) = bot_process::setup("small").await;
    let victim = shopper(&fake, &db, &bot, 6006, "Vi");
    let mallory = shopper(&fake, &db, &bot, 6007, "Mal");
    victim.say("/catalog").await;
    victim.tap("Cars").await;
    victim.tap("Race Car").await;
    // The victim's own "Add to cart" token, and Mallory's own message to press it on.
    let victims_add = victim
        .customer
        .bot_messages()
        .into_iter()
        .rev()
        .find_map(|m| {
            m.all_buttons()
                .find(|(t, _)| t == "Add to cart")
                .map(|(_, d)| d.clone())
        })
        .expect("an add button");
    mallory.say("/start").await;
    let target = mallory
        .customer
        .bot_messages()
        .last()
        .expect("a message")
        .message_id;
    let snapshot = |db: &Path| {
        let conn = rusqlite::Connection::open(db).unwrap();
        let sessions: Vec<String> = conn
            .prepare("SELECT chat_id || ':' || json_remove(data, '$.buttons') FROM sessions ORDER BY chat_id")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        sessions
    };
    let before = snapshot(&db);
    let before_victim = victim.customer.bot_messages().len();
    let forged = [
        victims_add.clone(),
        "1.0".to_owned(),
        "999999.3".to_owned(),
        "add:racer".to_owned(),
        "confirm".to_owned(),
        "-1.-1".to_owned(),
        "\u{1}\u{2}\u{7f}".to_owned(),
        "x".repeat(64),
    ];
    for data in &forged {
        mallory.customer.press_forged(target, data).unwrap();
    }
    bot_process::settle(&fake, &db).await;
    // Every forged press was answered, and each got the same polite reply.
    let expired = mallory
        .customer
        .bot_messages()
        .iter()
        .filter(|m| m.text.contains("That button has expired"))
        .count();
    assert_eq!(expired, forged.len(), "{}", mallory.transcript());
    // Nobody's cart, step or order changed, and the victim was not written to.
    let after = snapshot(&db);
    assert_eq!(before[0], after[0], "the victim's session changed");
    assert_eq!(victim.customer.bot_messages().len(), before_victim);
    assert_eq!(count(&db, "SELECT COUNT(*) FROM orders"), 0);
    assert!(
        after.iter().all(|s| !s.contains("\"cart\":[{")),
        "a cart was filled: {after:#?}"
    );
}
