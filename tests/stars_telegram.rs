//! Telegram Stars and digital goods end to end: the real `shopbot run` against
//! the fake Bot API. An invoice in `XTR` without a provider token, the
//! pre-checkout answer, the payment, and the file or code arriving once — with
//! the payment update delivered twice, and with a kill -9 between the payment
//! and the delivery; then `/refund` from the owner's phone.

#[path = "support/bot_process.rs"]
mod bot_process;
mod fake_telegram;
#[path = "support/process.rs"]
mod process;

use std::path::Path;
use std::time::Duration;

use bot_process::{BotProcess, Shopper};
use fake_telegram::{FakeTelegram, Fault};

const T: Duration = Duration::from_secs(20);

fn text_of(db: &Path, sql: &str) -> String {
    let conn = rusqlite::Connection::open(db).expect("open db");
    conn.query_row(sql, [], |r| r.get(0)).expect("query")
}

fn shopper<'a>(fake: &'a FakeTelegram, db: &Path, bot: &'a BotProcess, id: i64) -> Shopper<'a> {
    Shopper {
        customer: fake.customer(id, "Dee"),
        fake,
        db: db.to_path_buf(),
        bot,
    }
}

/// The customer buys one digital product with Stars, up to the invoice; its message id.
async fn buy_with_stars(dee: &Shopper<'_>, product: &str) -> i64 {
    dee.say("/catalog").await;
    dee.tap("Patterns and cards").await;
    dee.tap(product).await;
    dee.tap("Add to cart").await;
    dee.tap("Checkout").await;
    dee.say("Dee Buyer").await;
    dee.tap("Telegram Stars").await;
    dee.sees("Delivery: Sent here in the chat after payment");
    dee.tap("Confirm order").await;
    dee.customer
        .bot_messages()
        .into_iter()
        .rev()
        .find(|m| m.is_invoice)
        .unwrap_or_else(|| panic!("no invoice\n{}", dee.transcript()))
        .message_id
}

fn documents(fake: &FakeTelegram, chat: i64) -> Vec<Vec<u8>> {
    fake.received_media(chat)
        .into_iter()
        .filter(|r| r.kind == "document")
        .map(|r| r.bytes.unwrap_or_default())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stars_invoice_payment_and_the_file_delivered_once() {
    let (fake, _dir, db, bot) = bot_process::setup("digital").await;
    let dee = shopper(&fake, &db, &bot, 5101);
    let invoice = buy_with_stars(&dee, "Castle pattern").await;
    dee.sees("Tap Pay below to pay 250 ⭐");
    let call = fake.calls_to("sendInvoice").pop().expect("sendInvoice");
    assert_eq!(call.params["currency"], "XTR");
    assert_eq!(call.params["payload"], "1001");
    assert!(
        call.params.get("provider_token").is_none(),
        "{:?}",
        call.params
    );
    assert_eq!(call.params["prices"][0]["amount"], 250);
    // Every update twice from here: the payment too.
    fake.duplicate_updates(true);
    let paid = dee.customer.checkout(invoice, T).await;
    assert!(paid.is_ok(), "{paid:?}\n{}", dee.transcript());
    bot_process::settle(&fake, &db).await;
    // Telegram may also send a second payment message: still one file.
    dee.customer.pay(invoice).expect("second payment message");
    bot_process::settle(&fake, &db).await;
    let files = documents(&fake, 5101);
    let pattern = std::fs::read("tests/fixtures/shops/patterns/castle.pdf").unwrap();
    assert_eq!(files, vec![pattern], "{}", dee.transcript());
    dee.sees("📦 Order #1001: here is what you bought. Thank you!");
    assert_eq!(
        text_of(&db, "SELECT status FROM orders WHERE number = '1001'"),
        "delivered"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_between_payment_and_delivery_delivers_once_and_refund() {
    let (fake, dir, db, mut bot) = bot_process::setup("digital").await;
    let invoice = {
        let shopping = shopper(&fake, &db, &bot, 5202);
        let invoice = buy_with_stars(&shopping, "Gift card").await;
        shopping.sees("Tap Pay below to pay 1000 ⭐");
        invoice
    };
    let dee = fake.customer(5202, "Dee");
    // The delivery cannot go out: Telegram fails every send to this chat.
    fake.fail_chat(5202, Fault::ServerError(502));
    dee.checkout(invoice, T).await.expect("paid");
    // Wait until the payment (and the goods) are committed, then kill -9.
    let deadline = std::time::Instant::now() + T;
    while text_of(&db, "SELECT status FROM orders WHERE number = '1001'") != "delivered" {
        assert!(std::time::Instant::now() < deadline, "{}", bot.log_text());
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    bot.kill9();
    assert!(
        !dee.bot_messages()
            .iter()
            .any(|m| m.text.contains("GIFT-0001"))
    );
    fake.clear_faults();
    let shop = dir.path().join("shop.toml");
    let bot = bot_process::start_polling(&fake, &shop, &db, &[]).await;
    bot_process::settle(&fake, &db).await;
    let given: Vec<_> = dee
        .bot_messages()
        .into_iter()
        .filter(|m| m.text.contains("🔑 Gift card 20 €: GIFT-0001-BRICK"))
        .collect();
    assert_eq!(given.len(), 1, "{}", bot.log_text());

    // The owner refunds from the phone: Telegram gives the Stars back once.
    let owner = fake.customer(4242, "Owner");
    owner.send_text("/refund 1001");
    bot_process::settle(&fake, &db).await;
    let charge = text_of(&db, "SELECT payment_ref FROM orders WHERE number = '1001'");
    assert_eq!(fake.refunds(), vec![(5202, charge)]);
    owner
        .wait_for_text("1000 ⭐ go back to the customer", T)
        .await
        .unwrap_or_else(|e| panic!("{e}\n{}", bot.log_text()));
    dee.wait_for_text("(1000 ⭐) was refunded", T)
        .await
        .unwrap_or_else(|e| panic!("{e}\n{}", bot.log_text()));
    owner.send_text("/refund 1001");
    owner
        .wait_for_text("Order #1001 was refunded already.", T)
        .await
        .unwrap_or_else(|e| panic!("{e}\n{}", bot.log_text()));
    assert_eq!(fake.refunds().len(), 1);
}
