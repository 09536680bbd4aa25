//! Self-tests of what the owner tests need from the fake: forwarded messages,
//! replies carrying the replied message, several members of one group, and two
//! users who look the same but are not.
//! Compiled only as a module of `tests/fake_telegram_selftest.rs`, not of the fake.

use teloxide::prelude::*;
use teloxide::types::{MessageOrigin, UpdateKind};

use super::{bot, keyboard};
use crate::fake_telegram::FakeTelegram;

fn messages(updates: &[Update]) -> Vec<Message> {
    updates
        .iter()
        .filter_map(|u| match &u.kind {
            UpdateKind::Message(m) => Some(m.clone()),
            _ => None,
        })
        .collect()
}

#[tokio::test]
async fn a_forwarded_message_names_its_author_and_who_forwarded_it() {
    let tg = FakeTelegram::start().await;
    let bot = bot(&tg);
    let boss = tg.customer(111_111, "Boss");
    boss.set_username(Some("boss_owner"));
    let mallory = tg.customer(5005, "Mallory");
    let id = mallory.send_forwarded("/status 1001 cancelled", 111_111, "ignored");
    assert_eq!(
        boss.names(),
        ("Boss".to_owned(), Some("boss_owner".to_owned())),
        "a known author keeps their name"
    );

    let raw = tg.pending_updates();
    let json = &raw[0]["message"];
    assert_eq!(json["forward_origin"]["type"], "user");
    assert_eq!(json["forward_origin"]["sender_user"]["id"], 111_111);
    assert_eq!(json["forward_from"]["username"], "boss_owner");
    assert!(json["forward_date"].as_i64().is_some_and(|d| d > 0));
    assert_eq!(json["forward_date"], json["forward_origin"]["date"]);

    let updates = bot.get_updates().await.expect("getUpdates");
    let msg = &messages(&updates)[0];
    assert_eq!(i64::from(msg.id.0), id);
    assert_eq!(msg.text(), Some("/status 1001 cancelled"));
    assert_eq!(msg.from.as_ref().map(|u| u.id), Some(UserId(5005)));
    assert_eq!(msg.chat.id, ChatId(5005));
    let Some(MessageOrigin::User { sender_user, .. }) = msg.forward_origin() else {
        panic!("no user origin: {msg:?}")
    };
    assert_eq!(sender_user.id, UserId(111_111));
    assert_eq!(sender_user.username.as_deref(), Some("boss_owner"));
    assert!(msg.forward_date().is_some());
    let seen = mallory.messages();
    assert_eq!(seen[0].forwarded_from, Some(111_111));

    // A plain message has none of it.
    mallory.send_text("hello");
    let offset = i32::try_from(updates[0].id.0).expect("id") + 1;
    let updates = bot.get_updates().offset(offset).await.expect("getUpdates");
    assert!(messages(&updates)[0].forward_origin().is_none());
}

#[tokio::test]
async fn a_reply_carries_the_whole_replied_message_but_not_its_reply() {
    let tg = FakeTelegram::start().await;
    let bot = bot(&tg);
    let boss = tg.customer(111_111, "Boss");
    let notice = bot
        .send_message(
            ChatId(111_111),
            "🎫 Ticket #7 from Ana: where is my parcel?",
        )
        .reply_markup(keyboard(&[("Close #7", "close:7")]))
        .await
        .expect("send");
    let first = boss.reply_text(notice.id.0.into(), "It left today.");
    // A reply to the owner's own reply: Telegram nests only one level.
    let second = boss.reply_text(first, "Tracking follows.");
    let updates = bot.get_updates().await.expect("getUpdates");
    let msgs = messages(&updates);
    assert_eq!(msgs.len(), 2);

    let replied = msgs[0].reply_to_message().expect("reply_to_message");
    assert_eq!(replied.id, notice.id);
    assert_eq!(
        replied.text(),
        Some("🎫 Ticket #7 from Ana: where is my parcel?")
    );
    assert_eq!(
        replied.from.as_ref().map(|u| (u.id, u.is_bot)),
        Some((UserId(123_456), true))
    );
    assert_eq!(replied.chat.id, ChatId(111_111));
    let buttons = replied.reply_markup().expect("the buttons come along");
    assert_eq!(buttons.inline_keyboard[0][0].text, "Close #7");

    assert_eq!(i64::from(msgs[1].id.0), second);
    let inner = msgs[1].reply_to_message().expect("reply_to_message");
    assert_eq!(i64::from(inner.id.0), first);
    assert_eq!(inner.text(), Some("It left today."));
    assert!(
        inner.reply_to_message().is_none(),
        "no further reply_to_message inside"
    );
    assert_eq!(boss.messages()[1].reply_to, Some(notice.id.0.into()));
}

#[tokio::test]
async fn group_members_have_their_own_ids_and_replies_to_the_bot_get_through() {
    let tg = FakeTelegram::start().await;
    let bot = bot(&tg);
    let group = tg.group(-1_005_555, "Shop team");
    let boss = group.member(111_111, "Boss");
    let helper = group.member(333_333, "Helper");
    let notice = bot
        .send_message(ChatId(-1_005_555), "💬 #3 Ana: hello?")
        .await
        .expect("send");
    boss.send_text("/tickets");
    helper.send_text("/tickets");
    helper.send_text("chatting among ourselves");
    helper.reply_text(notice.id.0.into(), "I'll take this one");
    let updates = bot.get_updates().await.expect("getUpdates");
    let seen: Vec<(i64, u64, String)> = messages(&updates)
        .iter()
        .map(|m| {
            (
                m.chat.id.0,
                m.from.as_ref().map_or(0, |u| u.id.0),
                m.text().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    let expected = [
        (-1_005_555, 111_111, "/tickets"),
        (-1_005_555, 333_333, "/tickets"),
        (-1_005_555, 333_333, "I'll take this one"),
    ]
    .map(|(c, u, t)| (c, u, t.to_owned()));
    assert_eq!(
        seen, expected,
        "privacy mode hides plain chatter, not replies to the bot"
    );
    assert_eq!((boss.chat_id(), helper.chat_id()), (-1_005_555, -1_005_555));
}

#[tokio::test]
async fn a_lookalike_shares_names_but_not_the_user_id() {
    let tg = FakeTelegram::start().await;
    let bot = bot(&tg);
    let boss = tg.customer(111_111, "Boss");
    boss.set_username(Some("boss_owner"));
    let fake_boss = tg.lookalike(444_444, &boss);
    assert_eq!(fake_boss.names(), boss.names());
    fake_boss.send_text("/pause");
    boss.send_text("/pause");
    let updates = bot.get_updates().await.expect("getUpdates");
    let froms: Vec<(u64, String, Option<String>, i64)> = messages(&updates)
        .iter()
        .map(|m| {
            let u = m.from.as_ref().expect("from");
            (
                u.id.0,
                u.first_name.clone(),
                u.username.clone(),
                m.chat.id.0,
            )
        })
        .collect();
    let name = "Boss".to_owned();
    let handle = Some("boss_owner".to_owned());
    assert_eq!(
        froms,
        [
            (444_444, name.clone(), handle.clone(), 444_444),
            (111_111, name, handle, 111_111),
        ]
    );
}
