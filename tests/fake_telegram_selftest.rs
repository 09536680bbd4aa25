//! Tests of the fake Telegram server, driven by teloxide's own client.

mod fake_telegram;
// Payments, groups, commands and a full dispatcher: kept apart for file size.
#[path = "fake_telegram/selftest_flows.rs"]
mod flows;
// Forwards, replies, group members and lookalikes, for the owner tests.
#[path = "fake_telegram/selftest_owner.rs"]
mod owner;
// Photos, files, voice notes … sent, fetched, uploaded and copied.
#[path = "fake_telegram/selftest_files.rs"]
mod files;

use std::time::{Duration, Instant};

use fake_telegram::{FakeTelegram, Fault, Outage, PhotoSource};
use shopbot::channels::pace::{Limits, Pacer};
use teloxide::ApiError;
use teloxide::RequestError;
use teloxide::prelude::*;
use teloxide::types::{
    InlineKeyboardButton, InlineKeyboardMarkup, InputFile, MessageId, ParseMode, UpdateKind,
};

const SECOND: Duration = Duration::from_secs(1);

fn bot(tg: &FakeTelegram) -> Bot {
    Bot::new(FakeTelegram::TOKEN).set_api_url(tg.api_url().parse().expect("url"))
}

fn keyboard(buttons: &[(&str, &str)]) -> InlineKeyboardMarkup {
    InlineKeyboardMarkup::new([buttons
        .iter()
        .map(|(t, d)| InlineKeyboardButton::callback(*t, *d))])
}

fn api_error(result: Result<impl std::fmt::Debug, RequestError>) -> ApiError {
    match result {
        Err(RequestError::Api(e)) => e,
        other => panic!("expected an API error, got {other:?}"),
    }
}

#[tokio::test]
async fn get_me_parses_and_other_tokens_are_unauthorized() {
    let tg = FakeTelegram::start().await;
    let me = bot(&tg).get_me().await.expect("getMe");
    assert_eq!(me.username(), FakeTelegram::BOT_USERNAME);
    assert_eq!(me.id, UserId(123_456));
    assert!(me.is_bot && me.can_join_groups && !me.can_read_all_group_messages);

    let stranger = Bot::new("999:nope").set_api_url(tg.api_url().parse().expect("url"));
    assert_eq!(api_error(stranger.get_me().await), ApiError::InvalidToken);
    assert!(
        bot(&tg)
            .get_webhook_info()
            .await
            .expect("webhook info")
            .url
            .is_none()
    );
    bot(&tg).delete_webhook().await.expect("deleteWebhook");
}

#[tokio::test]
async fn raw_requests_unknown_methods_forms_and_bad_json() {
    let tg = FakeTelegram::start().await;
    let base = format!("/bot{}", FakeTelegram::TOKEN);
    let (status, body) = tg
        .post_raw(&format!("{base}/fooBar"), "application/json", "{}")
        .await;
    assert_eq!(
        (status, body["description"].as_str()),
        (404, Some("Not Found: method not found"))
    );
    let (status, body) = tg
        .post_raw(&format!("{base}/getme"), "application/json", "")
        .await;
    assert_eq!(
        (status, body["result"]["id"].as_i64()),
        (200, Some(123_456))
    );
    let (status, body) = tg
        .post_raw(&format!("{base}/sendMessage"), "application/json", "{nope")
        .await;
    assert_eq!(status, 400);
    assert!(
        body["description"]
            .as_str()
            .unwrap_or_default()
            .starts_with("Bad Request: ")
    );

    tg.customer(7, "Ann");
    let form = "chat_id=7&text=Tom+%26+Jerry&parse_mode=HTML";
    let (status, body) = tg
        .post_raw(
            &format!("{base}/SENDMESSAGE"),
            "application/x-www-form-urlencoded",
            form,
        )
        .await;
    assert_eq!(
        status, 400,
        "a bare & is rejected in strict HTML mode: {body}"
    );
    tg.set_strict_html(false);
    let (status, body) = tg
        .post_raw(
            &format!("{base}/SENDMESSAGE"),
            "application/x-www-form-urlencoded",
            form,
        )
        .await;
    assert_eq!(
        (status, body["result"]["text"].as_str()),
        (200, Some("Tom & Jerry"))
    );
    let (status, body) = tg
        .post_raw(
            &format!("{base}/sendMessage?chat_id=8&text=hi"),
            "text/plain",
            "",
        )
        .await;
    assert_eq!(
        (status, body["description"].as_str()),
        (400, Some("Bad Request: chat not found"))
    );
}

#[tokio::test]
async fn long_poll_confirms_with_offset_and_waits_for_new_updates() {
    let tg = FakeTelegram::start().await;
    let bot = bot(&tg);
    let alice = tg.customer(1001, "Alice");
    alice.send_text("/start");
    let first = bot.get_updates().await.expect("getUpdates");
    assert_eq!(first.len(), 1);
    let UpdateKind::Message(msg) = &first[0].kind else {
        panic!("not a message: {first:?}")
    };
    assert_eq!(msg.text(), Some("/start"));
    assert_eq!(msg.chat.id, ChatId(1001));
    assert_eq!(
        msg.from.as_ref().map(|u| u.first_name.as_str()),
        Some("Alice")
    );

    let offset = i32::try_from(first[0].id.0).expect("id") + 1;
    let poll = tokio::spawn(bot.get_updates().offset(offset).timeout(5).send());
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        tg.pending_updates().is_empty(),
        "the offset confirmed the first update"
    );
    let started = Instant::now();
    alice.send_text("hello");
    let second = poll.await.expect("join").expect("getUpdates");
    assert!(
        started.elapsed() < 2 * SECOND,
        "the long poll answered as soon as the update came"
    );
    assert_eq!(second.len(), 1);
    assert!(second[0].id.0 > first[0].id.0);

    let started = Instant::now();
    let offset = i32::try_from(second[0].id.0).expect("id") + 1;
    let empty = bot
        .get_updates()
        .offset(offset)
        .timeout(1)
        .await
        .expect("getUpdates");
    assert!(empty.is_empty());
    assert!(
        started.elapsed() >= Duration::from_millis(900),
        "the poll was held for the timeout"
    );
}

#[tokio::test]
async fn a_second_poller_terminates_the_first() {
    let tg = FakeTelegram::start().await;
    let bot = bot(&tg);
    let first = tokio::spawn(bot.get_updates().timeout(5).send());
    tokio::time::sleep(Duration::from_millis(200)).await;
    let second = tokio::spawn(bot.get_updates().timeout(1).send());
    assert_eq!(
        api_error(first.await.expect("join")),
        ApiError::TerminatedByOtherGetUpdates
    );
    assert!(second.await.expect("join").expect("second poll").is_empty());
}

#[tokio::test]
async fn html_is_parsed_like_telegram() {
    let tg = FakeTelegram::start().await;
    let bot = bot(&tg);
    tg.customer(5, "Bo");
    let sent = bot
        .send_message(
            ChatId(5),
            "<b>Tom &amp; Jerry</b> &lt;3 <a href=\"https://x.org/?a=1&amp;b=2\">link</a>",
        )
        .parse_mode(ParseMode::Html)
        .await
        .expect("valid HTML");
    assert_eq!(sent.text(), Some("Tom & Jerry <3 link"));
    let entities = sent.entities().expect("entities");
    assert_eq!((entities[0].offset, entities[0].length), (0, 11));
    assert_eq!((entities[1].offset, entities[1].length), (15, 4));

    let cases = [
        (
            "<foo>bar</foo>",
            "Unsupported start tag \"foo\" at byte offset 0",
        ),
        ("1 < 2", "Unsupported start tag \"\" at byte offset 2"),
        (
            "<b>bold",
            "Can't find end tag corresponding to start tag \"b\"",
        ),
        (
            "<b>x</i>",
            "Unmatched end tag at byte offset 4, expected \"</b>\", found \"</i>\"",
        ),
        ("x</b>", "Unexpected end tag at byte offset 1"),
    ];
    for (html, error) in cases {
        let result = bot
            .send_message(ChatId(5), html)
            .parse_mode(ParseMode::Html)
            .await;
        let expected = format!("Bad Request: can't parse entities: {error}");
        assert_eq!(
            api_error(result),
            ApiError::CantParseEntities(expected),
            "{html}"
        );
    }
    let quote = bot.send_message(ChatId(5), "it&#x27;s &#39;ok&#39; &quot;x&quot;");
    let quote = quote
        .parse_mode(ParseMode::Html)
        .await
        .expect("numeric entities");
    assert_eq!(quote.text(), Some("it's 'ok' \"x\""));
    let result = bot
        .send_message(ChatId(5), "<b> </b>")
        .parse_mode(ParseMode::Html)
        .await;
    assert_eq!(api_error(result), ApiError::MessageTextIsEmpty);
}

#[tokio::test]
async fn text_length_is_counted_after_parsing_in_utf16() {
    let tg = FakeTelegram::start().await;
    let bot = bot(&tg);
    tg.customer(5, "Bo");
    tg.set_strict(false);
    let result = bot.send_message(ChatId(5), "x".repeat(5000)).await;
    assert_eq!(api_error(result), ApiError::MessageIsTooLong);
    let tagged = format!("<b>{}</b>", "y".repeat(4096));
    bot.send_message(ChatId(5), tagged)
        .parse_mode(ParseMode::Html)
        .await
        .expect("4096 after parsing");
    bot.send_message(ChatId(5), "\u{1F600}".repeat(2048))
        .await
        .expect("4096 UTF-16 units");
    let result = bot.send_message(ChatId(5), "\u{1F600}".repeat(2049)).await;
    assert_eq!(api_error(result), ApiError::MessageIsTooLong);
}

#[tokio::test]
async fn callback_data_over_64_bytes_is_rejected() {
    let tg = FakeTelegram::start().await;
    tg.customer(5, "Bo");
    let long = "d".repeat(65);
    let result = bot(&tg)
        .send_message(ChatId(5), "pick")
        .reply_markup(keyboard(&[("A", &long)]))
        .await;
    assert_eq!(api_error(result), ApiError::ButtonDataInvalid);
}

#[tokio::test]
async fn a_press_arrives_as_a_callback_query_that_can_be_answered_once() {
    let tg = FakeTelegram::start().await;
    let bot = bot(&tg);
    let alice = tg.customer(1001, "Alice");
    let menu = bot
        .send_message(ChatId(1001), "Menu")
        .reply_markup(keyboard(&[("Buy brick", "buy:1"), ("Help", "help")]))
        .await
        .expect("send");
    let query_id = alice.press_button("Buy").expect("button");
    assert!(
        alice
            .press_button("Nope")
            .unwrap_err()
            .contains("Buy brick")
    );
    let updates = bot.get_updates().await.expect("getUpdates");
    let UpdateKind::CallbackQuery(query) = &updates[0].kind else {
        panic!("{updates:?}")
    };
    assert_eq!(query.id.0, query_id);
    assert_eq!(query.data.as_deref(), Some("buy:1"));
    assert_eq!(query.from.id, UserId(1001));
    let message = query.regular_message().expect("the full message");
    assert_eq!((message.id, message.text()), (menu.id, Some("Menu")));
    assert_eq!(message.reply_markup(), menu.reply_markup());

    let too_long = "t".repeat(201);
    let result = bot
        .answer_callback_query(query.id.clone())
        .text(too_long)
        .await;
    assert_eq!(api_error(result), ApiError::EditedMessageIsTooLong);
    bot.answer_callback_query(query.id.clone())
        .text("Added")
        .await
        .expect("first answer");
    let again = api_error(bot.answer_callback_query(query.id.clone()).await);
    let expected =
        "Bad Request: query is too old and response timeout expired or query ID is invalid";
    assert_eq!(again, ApiError::Unknown(expected.to_owned()));
    assert_eq!(
        alice
            .callback_answer(&query_id)
            .and_then(|a| a.text)
            .as_deref(),
        Some("Added")
    );

    alice.repress(&query_id).expect("repress");
    let offset = i32::try_from(updates[0].id.0).expect("id") + 1;
    let again = bot.get_updates().offset(offset).await.expect("getUpdates");
    let UpdateKind::CallbackQuery(same) = &again[0].kind else {
        panic!("{again:?}")
    };
    assert_eq!((&same.id, again[0].id > updates[0].id), (&query.id, true));
}

#[tokio::test]
async fn edits_apply_and_identical_edits_fail() {
    let tg = FakeTelegram::start().await;
    let bot = bot(&tg);
    let alice = tg.customer(1001, "Alice");
    tg.set_strict(false);
    let kb = keyboard(&[("A", "a")]);
    let sent = bot
        .send_message(ChatId(1001), "Cart: 1")
        .reply_markup(kb.clone())
        .await
        .expect("send");
    let same = bot
        .edit_message_text(ChatId(1001), sent.id, "Cart: 1")
        .reply_markup(kb.clone())
        .await;
    assert_eq!(api_error(same), ApiError::MessageNotModified);
    let edited = bot
        .edit_message_text(ChatId(1001), sent.id, "Cart: 2")
        .reply_markup(kb)
        .await
        .expect("edit");
    assert!(edited.edit_date().is_some());
    let bare = bot
        .edit_message_text(ChatId(1001), sent.id, "Cart: 2")
        .await
        .expect("dropping the keyboard is a change");
    assert!(bare.reply_markup().is_none());
    let seen = alice.last_message().expect("message");
    assert_eq!(
        (seen.text.as_str(), seen.edits, seen.buttons.len()),
        ("Cart: 2", 2, 0)
    );
    let missing = bot
        .edit_message_text(ChatId(1001), MessageId(999), "x")
        .await;
    assert_eq!(api_error(missing), ApiError::MessageToEditNotFound);
    let no_caption = bot
        .edit_message_caption(ChatId(1001), sent.id)
        .caption("x")
        .await;
    assert!(matches!(api_error(no_caption), ApiError::Unknown(s) if s.contains("no caption")));
    bot.delete_message(ChatId(1001), sent.id)
        .await
        .expect("delete");
    assert!(alice.bot_messages().is_empty());
}

#[tokio::test]
async fn photos_upload_by_multipart_url_or_file_id() {
    let tg = FakeTelegram::start().await;
    let bot = bot(&tg);
    let alice = tg.customer(1001, "Alice");
    tg.set_strict(false);
    let sent = bot
        .send_photo(
            ChatId(1001),
            InputFile::memory(fake_telegram::png_header(1600, 1200)),
        )
        .caption("<b>Tower</b>")
        .parse_mode(ParseMode::Html)
        .await
        .expect("memory upload");
    let sizes = sent.photo().expect("photo sizes");
    let largest = sizes.last().expect("size");
    assert_eq!((largest.width, largest.height), (1280, 960));
    assert_eq!(sent.caption(), Some("Tower"));
    let image =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("images/castle-dragon-tower.png");
    bot.send_photo(ChatId(1001), InputFile::file(image))
        .await
        .expect("file upload");
    let url = "https://example.com/brick.jpg";
    bot.send_photo(ChatId(1001), InputFile::url(url.parse().expect("url")))
        .await
        .expect("url");
    bot.send_photo(ChatId(1001), InputFile::file_id(largest.file.id.clone()))
        .await
        .expect("file id");

    let seen = alice.bot_messages();
    assert!(
        matches!(&seen[0].photo, Some(PhotoSource::Upload { bytes: 33, .. })),
        "{seen:?}"
    );
    assert!(
        matches!(&seen[1].photo, Some(PhotoSource::Upload { file_name: Some(n), .. }) if n == "castle-dragon-tower.png")
    );
    assert_eq!(seen[2].photo, Some(PhotoSource::Url(url.to_owned())));
    assert_eq!(
        seen[3].photo,
        Some(PhotoSource::FileId(largest.file.id.0.clone()))
    );

    let long = bot
        .send_photo(
            ChatId(1001),
            InputFile::memory(fake_telegram::png_header(10, 10)),
        )
        .caption("c".repeat(1025))
        .await;
    assert_eq!(
        api_error(long),
        ApiError::Unknown("Bad Request: message caption is too long".to_owned())
    );
    let junk = bot
        .send_photo(ChatId(1001), InputFile::memory(&b"not an image"[..]))
        .await;
    assert_eq!(api_error(junk), ApiError::ImageProcessFailed);
}

#[tokio::test]
async fn injected_faults_surface_in_teloxide() {
    let tg = FakeTelegram::start().await;
    let bot = bot(&tg);
    tg.customer(1001, "Alice");
    tg.fail_next("sendmessage", 1, Fault::TooManyRequests { retry_after: 7 });
    match bot.send_message(ChatId(1001), "hi").await {
        Err(RequestError::RetryAfter(after)) => assert_eq!(after.seconds(), 7),
        other => panic!("expected RetryAfter, got {other:?}"),
    }
    bot.send_message(ChatId(1001), "hi")
        .await
        .expect("only the next call failed");
    tg.fail_chat(1001, Fault::Blocked);
    assert_eq!(
        api_error(bot.send_message(ChatId(1001), "hi").await),
        ApiError::BotBlocked
    );
    tg.clear_faults();
    let calls = tg.calls_to("sendMessage");
    assert_eq!(
        calls.iter().map(|c| c.ok).collect::<Vec<_>>(),
        [false, true, false]
    );
    assert_eq!(
        calls[0].error.as_deref(),
        Some("Too Many Requests: retry after 7")
    );
}

#[tokio::test]
async fn bursts_hit_the_flood_limit_unless_throttled() {
    let tg = FakeTelegram::start().await;
    let bot = bot(&tg);
    tg.customer(1001, "Alice");
    tg.customer(1002, "Ben");
    for i in 0..3 {
        bot.send_message(ChatId(1001), format!("m{i}"))
            .await
            .expect("within the burst");
    }
    match bot.send_message(ChatId(1001), "m3").await {
        Err(RequestError::RetryAfter(after)) => assert_eq!(after.seconds(), 1),
        other => panic!("expected a flood error, got {other:?}"),
    }
    bot.send_message(ChatId(1002), "other chat")
        .await
        .expect("limits are per chat");

    // Paced as the bot paces its sends (the chat's burst already spent above).
    let pace = Pacer::new(Limits::telegram(), true);
    for i in 0..3 {
        pace.message(1002).await;
        bot.send_message(ChatId(1002), format!("t{i}"))
            .await
            .expect("paced sends pass");
    }
}

#[tokio::test]
async fn duplicated_updates_have_new_ids_and_equal_content() {
    let tg = FakeTelegram::start().await;
    tg.duplicate_updates(true);
    tg.customer(1001, "Alice").send_text("hello");
    let updates = bot(&tg).get_updates().await.expect("getUpdates");
    assert_eq!(updates.len(), 2);
    assert_ne!(updates[0].id, updates[1].id);
    assert_eq!(updates[0].kind, updates[1].kind);
}

#[tokio::test]
async fn an_outage_drops_connections_until_resumed() {
    let tg = FakeTelegram::start().await;
    let bot = bot(&tg);
    bot.get_me().await.expect("up");
    tg.pause();
    assert!(matches!(bot.get_me().await, Err(RequestError::Network(_))));
    tg.resume();
    bot.get_me().await.expect("up again");
    tg.pause_with(Outage::BadGateway);
    let (status, _) = tg
        .post_raw(
            &format!("/bot{}/getMe", FakeTelegram::TOKEN),
            "application/json",
            "",
        )
        .await;
    assert_eq!(status, 502);
}
