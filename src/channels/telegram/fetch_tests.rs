//! The fetch path against the project's fake Bot API (`tests/fake_telegram`):
//! with Matrix running, a Telegram customer's file is downloaded into the
//! spool (`getFile`, then the file URL on the bot's API base); over 20 MB it
//! is not tried and the customer is told; a refused or failing download is
//! marked failed without losing the message; with Telegram alone nothing is
//! fetched.

#[path = "../../../tests/fake_telegram/mod.rs"]
#[allow(clippy::all, clippy::pedantic)]
mod fake_telegram;

use std::sync::Arc;

use jiff::Timestamp;
use teloxide::prelude::*;
use teloxide::types::UpdateKind;
use tokio::sync::{Notify, watch};

use self::fake_telegram::{Customer, FakeTelegram, Fault, Kind};
use super::{Link, Redactor, fetch, media_in};
use crate::attachment::Unfetchable;
use crate::channel::Channel;
use crate::channels::pace::{Limits, Pacer};
use crate::conversation::Input;
use crate::engine::{Chat, Engine, Event, TurnResult, reply_of};
use crate::shop::Shop;

struct Setup {
    fake: FakeTelegram,
    link: Link,
    _stop: watch::Sender<bool>,
    dir: tempfile::TempDir,
}

async fn setup(channels: &[Channel]) -> Setup {
    let fake = FakeTelegram::start().await;
    fake.set_strict(false);
    let dir = tempfile::tempdir().unwrap();
    let shop = Shop::load(std::path::Path::new("tests/fixtures/shops/small.toml")).unwrap();
    let mut engine = Engine::open(shop, &dir.path().join("shop.db")).unwrap();
    engine.set_channels(channels);
    let (stopper, halt) = watch::channel(false);
    let link = Link {
        bot: Bot::new(FakeTelegram::TOKEN).set_api_url(fake.api_url().parse().unwrap()),
        pace: Arc::new(Pacer::new(Limits::telegram(), false)),
        engine: engine.shared(),
        redact: Redactor::new([FakeTelegram::TOKEN.to_owned()]),
        wake: Arc::new(Notify::new()),
        stop: halt,
        base_dir: dir.path().to_path_buf(),
        providers: Arc::default(),
        forums: Arc::new(super::topics::Forums::new(None)),
    };
    Setup {
        fake,
        link,
        _stop: stopper,
        dir,
    }
}

/// The attachment of the next message the bot gets, fetched as the adapter does.
async fn fetched(s: &Setup) -> Input {
    let updates = s.link.bot.get_updates().await.unwrap();
    let last = updates.last().unwrap();
    let UpdateKind::Message(message) = &last.kind else {
        panic!("not a message")
    };
    let mut input = Input::Media(Box::new(media_in::attachment(message).unwrap()));
    fetch::for_other_platforms(&s.link, &mut input).await;
    let offset = i32::try_from(last.id.0).unwrap() + 1;
    s.link.bot.get_updates().offset(offset).await.unwrap();
    input
}

fn attachment(input: &Input) -> &crate::attachment::Attachment {
    let Input::Media(a) = input else {
        panic!("not media")
    };
    a
}

#[tokio::test]
async fn with_matrix_running_the_bytes_are_fetched_into_the_spool() {
    let s = setup(&[Channel::Telegram, Channel::Matrix]).await;
    let ana: Customer = s.fake.customer(1001, "Ana");
    ana.send_media(
        Kind::Voice,
        b"OggS a voice note \xF0\x9F\x8E\xA7",
        Some("listen"),
    );
    let input = fetched(&s).await;
    let a = attachment(&input);
    let name = a.stored.clone().expect("stored");
    assert_eq!(a.unfetchable, None);
    let spool = crate::spool::Spool::beside(&s.dir.path().join("shop.db"));
    assert_eq!(
        spool.read(&name).unwrap(),
        b"OggS a voice note \xF0\x9F\x8E\xA7"
    );
    assert_eq!(s.fake.calls_to("getFile").len(), 1);
    assert_eq!(s.fake.calls_to("downloadFile").len(), 1);
    // A place needs no bytes.
    ana.send_location(44.4, 26.1);
    let input = fetched(&s).await;
    assert_eq!(
        (
            attachment(&input).stored.as_ref(),
            attachment(&input).unfetchable
        ),
        (None, None)
    );
    assert_eq!(s.fake.calls_to("getFile").len(), 1);
}

#[tokio::test]
async fn over_20_mb_is_not_tried_and_the_customer_is_told() {
    let s = setup(&[Channel::Telegram, Channel::Matrix]).await;
    let ana = s.fake.customer(1001, "Ana");
    ana.send_document("film.mp4", &vec![1u8; 25 * 1024 * 1024], None);
    let input = fetched(&s).await;
    assert_eq!(attachment(&input).unfetchable, Some(Unfetchable::TooBig));
    assert_eq!(attachment(&input).stored, None);
    assert!(s.fake.calls_to("getFile").is_empty(), "never tried");
    // Size unknown to us but refused by getFile: the same.
    ana.send_document("small.pdf", b"%PDF", None);
    s.fake.fail_next(
        "getFile",
        1,
        Fault::Custom {
            code: 400,
            description: "Bad Request: file is too big".into(),
        },
    );
    let second = fetched(&s).await;
    assert_eq!(attachment(&second).unfetchable, Some(Unfetchable::TooBig));
    // The turn: relayed to the owners as a description, the customer told why.
    let mut engine = crate::channels::lock(&s.link.engine);
    let chat = Chat {
        channel: Channel::Telegram,
        chat_id: "1001",
    };
    let event = |key: &'static str| Event {
        key: Some(key),
        sender: Some("1001"),
        sender_name: Some("Ana"),
        direct: true,
        ..Event::default()
    };
    let now = Timestamp::now();
    engine
        .run_turn(chat, event("k1"), &Input::Button("human".into()), now)
        .unwrap();
    let TurnResult::Replies(rows) = engine.run_turn(chat, event("k2"), &input, now).unwrap() else {
        panic!("duplicate")
    };
    let said: Vec<String> = rows
        .iter()
        .filter(|r| r.chat_id == "1001")
        .map(|r| reply_of(r).unwrap().text)
        .collect();
    assert!(
        said.iter().any(|t| t.contains("too big for me to pass on")),
        "{said:?}"
    );
}

#[tokio::test]
async fn a_refused_or_failing_download_is_marked_failed_and_alone_nothing_is_fetched() {
    let s = setup(&[Channel::Telegram, Channel::Matrix]).await;
    let ana = s.fake.customer(1001, "Ana");
    ana.send_media(Kind::Photo, b"jpeg", None);
    s.fake.fail_next(
        "getFile",
        1,
        Fault::Custom {
            code: 400,
            description: "Bad Request: invalid file_id".into(),
        },
    );
    let input = fetched(&s).await;
    assert_eq!(attachment(&input).unfetchable, Some(Unfetchable::Failed));
    assert_eq!(
        s.fake.calls_to("getFile").len(),
        1,
        "a refusal is not retried"
    );
    ana.send_media(Kind::Photo, b"jpeg two", None);
    s.fake
        .fail_next("getFile", 3, Fault::TooManyRequests { retry_after: 0 });
    let input = fetched(&s).await;
    assert_eq!(attachment(&input).unfetchable, Some(Unfetchable::Failed));
    assert_eq!(s.fake.calls_to("getFile").len(), 4, "tried three times");

    let alone = setup(&[Channel::Telegram]).await;
    alone
        .fake
        .customer(1001, "Ana")
        .send_media(Kind::Photo, b"jpeg", None);
    let input = fetched(&alone).await;
    assert_eq!(
        (
            attachment(&input).stored.as_ref(),
            attachment(&input).unfetchable
        ),
        (None, None)
    );
    assert!(alone.fake.calls_to("getFile").is_empty());
}
