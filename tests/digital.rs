//! Digital goods and Telegram Stars at the engine, on an on-disk database:
//! a file or a code delivered once after payment (by the platform, or an owner
//! marking the order paid), 100 buyers on a pool of 50 codes, again from
//! "my orders", refunds, a cancelled order's codes back in the pool, `/reload`
//! with new codes, and the shop file's rules.

mod support;

#[path = "digital/harness.rs"]
mod harness;

use std::collections::HashSet;

use harness::{Bot, CODES, Sent, codes_in, file_bytes, texts};
use shopbot::attachment::Media;
use shopbot::channel::Channel::{Matrix, Telegram};
use support::{count, temp_db};

#[test]
fn stars_checkout_skips_delivery_and_delivers_the_file_once() {
    let db = temp_db();
    let mut bot = Bot::new(&db);
    let sent = bot.reach_summary(Telegram, "501", "add:castle-pattern", "pay:stars");
    let summary = texts(&sent);
    // No delivery option, no address: the pattern comes in the chat.
    assert!(
        summary.contains("Delivery: Sent here in the chat after payment"),
        "{summary}"
    );
    // 4.99 € × 50 Stars per euro = 249.5, rounded up.
    assert!(
        summary.contains("Payment: Telegram Stars — 250 ⭐"),
        "{summary}"
    );
    let placed = bot.press(Telegram, "501", "confirm");
    let invoice = placed
        .iter()
        .find_map(|s| s.out.reply.invoice.clone())
        .unwrap_or_else(|| panic!("no invoice: {}", texts(&placed)));
    assert_eq!((invoice.currency.as_str(), invoice.amount), ("XTR", 250));
    assert_eq!(invoice.order, "1001");
    assert!(texts(&placed).contains("Tap Pay below to pay 250 ⭐"));
    // Telegram asks before charging: only the exact amount in Stars passes.
    assert!(bot.engine.can_pay("1001", 250, "XTR").unwrap());
    assert!(!bot.engine.can_pay("1001", 249, "XTR").unwrap());
    assert!(!bot.engine.can_pay("1001", 499, "EUR").unwrap());

    let paid = bot.pay(Telegram, "501", "1001", "stxCHARGE1");
    let files: Vec<&Sent> = paid
        .iter()
        .filter(|s| s.out.reply.attachment.is_some())
        .collect();
    assert_eq!(files.len(), 1, "{}", texts(&paid));
    let file = files[0].out.reply.attachment.as_deref().unwrap();
    assert_eq!(file.media, Media::Document);
    assert_eq!(file.file_name.as_deref(), Some("castle.pdf"));
    assert_eq!(file.mime.as_deref(), Some("application/pdf"));
    assert_eq!(files[0].text(), "📄 Castle pattern (PDF)");
    // The bytes the channels upload are the shop's file.
    let spooled = bot
        .engine
        .spool()
        .read(file.stored.as_deref().unwrap())
        .unwrap();
    assert_eq!(spooled, file_bytes("patterns/castle.pdf"));
    assert!(texts(&paid).contains("📦 Order #1001: here is what you bought. Thank you!"));
    // All digital: the order is delivered once its goods are sent.
    assert_eq!(bot.status("1001"), "delivered");
    assert!(Bot::owner_texts(&paid).contains("💳 Order #1001 was paid in the chat."));

    // The same payment again (a twice-delivered update): nothing sent twice.
    let again = bot.pay(Telegram, "501", "1001", "stxCHARGE1");
    assert!(again.iter().all(|s| s.out.reply.attachment.is_none()));
    assert_eq!(bot.attachments_to("501"), 1);
}

#[test]
fn a_hundred_buyers_on_fifty_codes_get_fifty_codes_once_each() {
    let db = temp_db();
    let mut bot = Bot::new(&db);
    // Everyone reaches the confirm step first; then they confirm, interleaved.
    let buyers: Vec<String> = (0..100).map(|i| format!("{}", 7000 + i)).collect();
    for chat in &buyers {
        bot.reach_summary(Telegram, chat, "add:gift-card", "pay:stars");
    }
    let mut order: Vec<&String> = buyers.iter().collect();
    // A fixed shuffle: every 37th, wrapping.
    order.sort_by_key(|c| (c.parse::<usize>().unwrap() * 37) % 101);
    let (mut placed, mut refused, mut notices) = (Vec::new(), 0, String::new());
    for chat in order {
        let sent = bot.press(Telegram, chat, "confirm");
        notices.push_str(&Bot::owner_texts(&sent));
        let text = texts(&sent);
        if text.contains("Your order number is") {
            let invoice = sent
                .iter()
                .find_map(|s| s.out.reply.invoice.clone())
                .unwrap();
            assert_eq!((invoice.currency.as_str(), invoice.amount), ("XTR", 1000));
            placed.push((chat.clone(), invoice.order));
        } else {
            assert!(
                text.contains("someone bought the last units of: Gift card 20 €"),
                "{text}"
            );
            refused += 1;
        }
    }
    assert_eq!((placed.len(), refused), (50, 50));
    // The owners are warned once at 10 left, once at none.
    assert_eq!(
        notices
            .matches("⚠️ Only 10 codes left for Gift card 20 €. Add codes to codes/gift-cards.txt and send /reload.")
            .count(),
        1,
        "{notices}"
    );
    assert_eq!(
        notices.matches("No codes left for Gift card 20 €").count(),
        1
    );
    let mut given = HashSet::new();
    for (i, (chat, number)) in placed.iter().enumerate() {
        let paid = bot.pay(Telegram, chat, number, &format!("stx{i}"));
        let codes = codes_in(&texts(&paid));
        assert_eq!(codes.len(), 1, "{}", texts(&paid));
        assert!(
            given.insert(codes[0].clone()),
            "code {} given twice",
            codes[0]
        );
    }
    let all: HashSet<String> = CODES.iter().cloned().collect();
    assert_eq!(given, all);
    assert_eq!(
        count(
            &db.path,
            "SELECT COUNT(*) FROM digital_codes WHERE state = 'given'"
        ),
        50
    );
    assert_eq!(
        count(&db.path, "SELECT qty FROM stock WHERE key = 'gift-card'"),
        0
    );
}

#[test]
fn an_owner_marking_paid_delivers_once_and_my_orders_sends_again() {
    let db = temp_db();
    let mut bot = Bot::new(&db);
    bot.reach_summary(Matrix, "!ana:example.org", "add:gift-card", "pay:bank");
    let placed = bot.press(Matrix, "!ana:example.org", "confirm");
    assert!(placed.iter().all(|s| s.out.reply.invoice.is_none()));
    assert!(texts(&placed).contains("Your order number is #1001"));
    let paid = bot.owner(Telegram, "/status 1001 paid");
    let to_customer: Vec<&Sent> = paid
        .iter()
        .filter(|s| s.chat == "!ana:example.org")
        .collect();
    let text: String = to_customer
        .iter()
        .map(|s| s.text())
        .collect::<Vec<_>>()
        .join("\n");
    assert!(text.contains("Order #1001 is paid — thank you!"), "{text}");
    assert!(
        text.contains("🔑 Gift card 20 €: GIFT-0001-BRICK"),
        "{text}"
    );
    assert_eq!(bot.status("1001"), "delivered");
    // Moving it on again delivers nothing more.
    let later = bot.owner(Telegram, "/status 1001 shipped");
    assert!(!texts(&later).contains("GIFT-0001"), "{}", texts(&later));
    // "My orders" offers it again, with the same code.
    let orders = bot.press(Matrix, "!ana:example.org", "orders");
    assert!(
        orders
            .iter()
            .flat_map(|s| s.out.reply.buttons.iter())
            .any(|b| b.id == "resend:1001" && b.label == "📥 Send #1001 again")
    );
    let resent = bot.press(Matrix, "!ana:example.org", "resend:1001");
    assert!(
        texts(&resent).contains("📦 Order #1001, sent again:\n🔑 Gift card 20 €: GIFT-0001-BRICK")
    );
    // Another customer cannot have it sent to them.
    let other = bot.press(Telegram, "999", "resend:1001");
    assert!(!texts(&other).contains("GIFT-0001"), "{}", texts(&other));
    // Paid by transfer: no refund in Stars.
    let refund = bot.owner(Telegram, "/refund 1001");
    assert!(texts(&refund).contains(
        "Order #1001 was not paid with Telegram Stars: refund it the way it was paid, then /status 1001 cancelled."
    ));
}

#[test]
fn a_refund_in_stars_revokes_the_code_and_happens_once() {
    let db = temp_db();
    let mut bot = Bot::new(&db);
    bot.reach_summary(Telegram, "501", "add:gift-card", "pay:stars");
    bot.press(Telegram, "501", "confirm");
    let unpaid = bot.owner(Telegram, "/refund 1001");
    assert!(texts(&unpaid).contains("Order #1001 has not been paid: nothing to refund."));
    bot.pay(Telegram, "501", "1001", "stxPAID");
    let refund = bot.owner(Telegram, "/refund 1001");
    let owner_text = Bot::owner_texts(&refund);
    assert!(
        owner_text.contains("↩️ Order #1001: 1000 ⭐ go back to the customer, and the order is cancelled.\nThese codes had been given to the customer; cancel them where they are valid: GIFT-0001-BRICK"),
        "{owner_text}"
    );
    let told: Vec<&Sent> = refund.iter().filter(|s| s.chat == "501").collect();
    assert_eq!(told.len(), 1);
    let made = told[0]
        .out
        .reply
        .refund
        .clone()
        .expect("the refund rides with the message");
    assert_eq!(
        (made.order.as_str(), made.charge.as_str(), made.stars),
        ("1001", "stxPAID", 1000)
    );
    assert_eq!(
        told[0].text(),
        "↩️ Your payment for order #1001 (1000 ⭐) was refunded, and the order is cancelled."
    );
    assert_eq!(bot.status("1001"), "cancelled");
    // The code was seen: it never goes back to the pool.
    assert_eq!(
        count(
            &db.path,
            "SELECT COUNT(*) FROM digital_codes WHERE state = 'revoked'"
        ),
        1
    );
    assert_eq!(
        count(&db.path, "SELECT qty FROM stock WHERE key = 'gift-card'"),
        49
    );
    let twice = bot.owner(Telegram, "/refund 1001");
    assert!(texts(&twice).contains("Order #1001 was refunded already."));
    assert!(twice.iter().all(|s| s.out.reply.refund.is_none()));
    // Nor is it sent again from "my orders".
    let resent = bot.press(Telegram, "501", "resend:1001");
    assert!(!texts(&resent).contains("GIFT-0001"), "{}", texts(&resent));
}

#[test]
fn a_cancelled_unpaid_order_puts_its_codes_back() {
    let db = temp_db();
    let mut bot = Bot::new(&db);
    bot.reach_summary(Telegram, "501", "add:gift-card", "pay:stars");
    bot.press(Telegram, "501", "confirm");
    assert_eq!(
        count(&db.path, "SELECT qty FROM stock WHERE key = 'gift-card'"),
        49
    );
    bot.owner(Telegram, "/status 1001 cancelled");
    assert_eq!(
        count(&db.path, "SELECT qty FROM stock WHERE key = 'gift-card'"),
        50
    );
    assert_eq!(
        count(
            &db.path,
            "SELECT COUNT(*) FROM digital_codes WHERE state = 'free'"
        ),
        50
    );
    // The next buyer gets the first code, which nobody saw.
    bot.reach_summary(Telegram, "502", "add:gift-card", "pay:stars");
    bot.press(Telegram, "502", "confirm");
    let paid = bot.pay(Telegram, "502", "1002", "stx2");
    assert_eq!(codes_in(&texts(&paid)), ["GIFT-0001-BRICK"]);
}

#[test]
fn reload_adds_new_codes_and_keeps_the_given_ones() {
    let db = temp_db();
    let mut bot = Bot::new(&db);
    for (i, chat) in ["501", "502"].iter().enumerate() {
        bot.reach_summary(Telegram, chat, "add:gift-card", "pay:stars");
        bot.press(Telegram, chat, "confirm");
        bot.pay(Telegram, chat, &format!("{}", 1001 + i), &format!("stx{i}"));
    }
    // The seller drops an unsold code and adds five.
    let path = db.dir.path().join("codes/gift-cards.txt");
    let mut codes: Vec<String> = CODES.clone();
    codes.retain(|c| c != "GIFT-0050-BRICK");
    codes.extend((1..=5).map(|i| format!("NEW-{i}")));
    std::fs::write(&path, codes.join("\n")).unwrap();
    let reloaded = bot.owner(Telegram, "/reload");
    assert!(
        texts(&reloaded).contains("3 products"),
        "{}",
        texts(&reloaded)
    );
    // 50 − 2 sold − 1 dropped + 5 new.
    assert_eq!(
        count(&db.path, "SELECT qty FROM stock WHERE key = 'gift-card'"),
        52
    );
    assert_eq!(
        count(
            &db.path,
            "SELECT COUNT(*) FROM digital_codes WHERE state = 'given'"
        ),
        2
    );
    // Removing a given code from the file does not free it either.
    std::fs::write(&path, "GIFT-0001-BRICK\nOTHER-1\n").unwrap();
    bot.owner(Telegram, "/reload");
    assert_eq!(
        count(&db.path, "SELECT qty FROM stock WHERE key = 'gift-card'"),
        1
    );
    assert_eq!(
        count(
            &db.path,
            "SELECT state = 'given' FROM digital_codes WHERE code = 'GIFT-0001-BRICK'"
        ),
        1
    );
}

#[test]
fn stars_only_for_digital_carts_on_telegram() {
    let db = temp_db();
    let mut bot = Bot::new(&db);
    // A parcel in the cart: delivery and the address are asked; Stars are not offered.
    bot.start(Telegram, "501");
    bot.press(Telegram, "501", "add:castle-pattern");
    bot.press(Telegram, "501", "add:brick-box");
    let asked = bot.press(Telegram, "501", "checkout");
    assert!(
        texts(&asked).contains("How would you like to receive your order?"),
        "{}",
        texts(&asked)
    );
    bot.press(Telegram, "501", "dlv:post");
    bot.say(Telegram, "501", "Ana");
    let summary = bot.say(Telegram, "501", "Calle Mayor 5, Madrid");
    assert!(!texts(&summary).contains("Stars"), "{}", texts(&summary));
    assert!(
        texts(&summary).contains("Payment: Bank transfer"),
        "{}",
        texts(&summary)
    );
    // A Matrix customer is never offered Stars.
    let matrix = bot.reach_summary(Matrix, "!bo:example.org", "add:castle-pattern", "");
    assert!(
        texts(&matrix).contains("Payment: Bank transfer"),
        "{}",
        texts(&matrix)
    );
    // A forged Stars button changes nothing.
    let forged = bot.press(Matrix, "!bo:example.org", "pay:stars");
    assert!(
        !texts(&forged).contains("Telegram Stars"),
        "{}",
        texts(&forged)
    );
}
