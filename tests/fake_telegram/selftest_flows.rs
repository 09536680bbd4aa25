//! More self-tests of the fake: payments, groups, commands, a teloxide dispatcher.
//! Compiled only as a module of `tests/fake_telegram_selftest.rs`, not of the fake.

use std::time::Duration;

use teloxide::ApiError;
use teloxide::prelude::*;
use teloxide::types::{LabeledPrice, UpdateKind};

use super::{SECOND, api_error, bot};
use crate::fake_telegram::FakeTelegram;

#[tokio::test]
async fn payments_go_through_pre_checkout() {
    let tg = FakeTelegram::start().await;
    let bot = bot(&tg);
    let alice = tg.customer(1001, "Alice");
    let prices = [LabeledPrice::new("Dragon tower", 4999)];
    let invoice = bot
        .send_invoice(ChatId(1001), "Order 17", "1 set", "order-17", "EUR", prices)
        .provider_token("test")
        .await
        .expect("invoice");
    assert!(
        alice.pay(invoice.id.0.into()).is_err(),
        "no payment before an approved pre-checkout"
    );
    let query_id = alice
        .pre_checkout(invoice.id.0.into())
        .expect("pre-checkout");
    let updates = bot.get_updates().await.expect("getUpdates");
    let UpdateKind::PreCheckoutQuery(query) = &updates[0].kind else {
        panic!("{updates:?}")
    };
    assert_eq!(
        (query.total_amount, query.invoice_payload.as_str()),
        (4999, "order-17")
    );
    bot.answer_pre_checkout_query(query.id.clone(), true)
        .await
        .expect("answer");
    assert!(tg.pre_checkout_answer(&query_id).is_some_and(|a| a.ok));
    alice.pay(invoice.id.0.into()).expect("pay");
    let offset = i32::try_from(updates[0].id.0).expect("id") + 1;
    let updates = bot.get_updates().offset(offset).await.expect("getUpdates");
    let UpdateKind::Message(paid) = &updates[0].kind else {
        panic!("{updates:?}")
    };
    assert_eq!(
        paid.successful_payment().map(|p| p.total_amount),
        Some(4999)
    );
}

#[tokio::test]
async fn groups_deliver_only_commands_mentions_and_replies() {
    let tg = FakeTelegram::start().await;
    let bot = bot(&tg);
    let group = tg.group(-4001, "Brick fans");
    let carl = group.member(2001, "Carl");
    carl.send_text("just chatting");
    carl.send_text("/price@shop_test_bot tower");
    carl.send_text("hey @shop_test_bot");
    let updates = bot.get_updates().await.expect("getUpdates");
    let texts: Vec<_> = updates
        .iter()
        .filter_map(|u| match &u.kind {
            UpdateKind::Message(m) => m.text().map(str::to_owned),
            _ => None,
        })
        .collect();
    assert_eq!(texts, ["/price@shop_test_bot tower", "hey @shop_test_bot"]);
    let UpdateKind::Message(m) = &updates[0].kind else {
        unreachable!()
    };
    assert!(m.chat.is_group());
    assert_eq!(m.entities().map(|e| e[0].length), Some(20));
    assert_eq!(group.messages().len(), 3);
}

#[tokio::test]
async fn commands_are_stored() {
    let tg = FakeTelegram::start().await;
    let bot = bot(&tg);
    let commands = [teloxide::types::BotCommand::new("start", "Open the shop")];
    bot.set_my_commands(commands).await.expect("set");
    assert_eq!(
        tg.commands(),
        [("start".to_owned(), "Open the shop".to_owned())]
    );
    assert_eq!(bot.get_my_commands().await.expect("get").len(), 1);
    let bad = bot
        .set_my_commands([teloxide::types::BotCommand::new("Bad Name", "x")])
        .await;
    assert_eq!(
        api_error(bad),
        ApiError::Unknown("Bad Request: BOT_COMMAND_INVALID".to_owned())
    );
}

#[tokio::test]
async fn a_teloxide_dispatcher_talks_to_the_customer() {
    let tg = FakeTelegram::start().await;
    let handler = Update::filter_message().endpoint(|bot: Bot, msg: Message| async move {
        bot.send_message(
            msg.chat.id,
            format!("echo: {}", msg.text().unwrap_or_default()),
        )
        .await?;
        respond(())
    });
    let mut dispatcher = Dispatcher::builder(bot(&tg), handler).build();
    let token = dispatcher.shutdown_token();
    let running = tokio::spawn(async move { dispatcher.dispatch().await });
    tg.wait_for_polling(5 * SECOND).await.expect("polling");
    let alice = tg.customer(1001, "Alice");
    alice.send_text("hi there");
    let seen = alice
        .wait_for_text("echo:", 5 * SECOND)
        .await
        .expect("reply");
    assert_eq!(seen.text, "echo: hi there");
    let err = alice
        .wait_for_text("never", Duration::from_millis(100))
        .await
        .unwrap_err();
    assert!(err.contains("echo: hi there"), "{err}");
    if let Ok(stopping) = token.shutdown() {
        stopping.await;
    }
    running.await.expect("dispatcher");
}

#[tokio::test]
async fn allowed_updates_persist_and_strangers_must_write_first() {
    let tg = FakeTelegram::start().await;
    let bot = bot(&tg);
    let dana = tg.stranger(3001, "Dana");
    let first = bot.send_message(ChatId(3001), "Hi!").await;
    // Telegram's current text; teloxide only maps the old "Unauthorized: …" one.
    let text = "Forbidden: bot can't initiate conversation with a user";
    assert_eq!(api_error(first), ApiError::Unknown(text.to_owned()));
    dana.send_text("hello");
    bot.send_message(ChatId(3001), "Hi!")
        .await
        .expect("she wrote first");

    let only_queries = vec![teloxide::types::AllowedUpdate::CallbackQuery];
    let updates = bot
        .get_updates()
        .allowed_updates(only_queries)
        .timeout(0)
        .await;
    assert!(
        updates.expect("getUpdates").is_empty(),
        "the message is filtered out"
    );
    dana.press_button("").expect_err("no buttons yet");
    dana.send_text("again");
    assert!(
        bot.get_updates().await.expect("getUpdates").is_empty(),
        "the filter persists"
    );
}
