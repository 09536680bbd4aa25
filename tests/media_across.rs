//! Media in tickets across platforms (issue 14), end to end: one `shopbot run`
//! with Telegram (the fake Bot API) and Matrix (a real Synapse) at once. A
//! Telegram customer's photo and voice note reach a Matrix owner as the right
//! events with the very same bytes, and the owner's photo reaches the customer;
//! and the reverse: a Matrix customer (encrypted room) to a Telegram owner, and
//! the owner's photo back. Nothing is copied across platforms by reference:
//! each file is fetched, kept in the spool, and uploaded. Skipped, loudly,
//! without a Synapse: run `scripts/test`.

#[path = "support/both.rs"]
mod both;
mod fake_telegram;
#[path = "support/matrix_customer.rs"]
mod matrix_customer;
#[path = "support/media_matrix.rs"]
mod media_matrix;
#[path = "support/process.rs"]
mod process;
#[path = "support/synapse.rs"]
mod synapse;

use std::time::Duration;

use both::{Both, Mx, Owners, T, number_after};
use fake_telegram::{Kind, Received, png_header};
use matrix_customer::MatrixCustomer;
use media_matrix::{Send, blob, bot_sends, bytes_of, mx_ticket, ogg, png, send_media};
use synapse::Synapse;

/// The Telegram owner's user id (their private chat with the bot has the same id).
const BOSS_TG: i64 = 111_111;

/// A picture Telegram shows as a photo (800×600), different by `seed`.
fn picture(seed: u32) -> Vec<u8> {
    blob(&png_header(800, 600), seed, 40 * 1024)
}

/// Waits for the bot's first media message of `kind` in a Telegram chat whose
/// caption contains `needle`.
async fn tg_receives(both: &Both, chat: i64, kind: &str, needle: &str) -> Received {
    let deadline = tokio::time::Instant::now() + T;
    loop {
        if let Some(r) =
            both.fake.received_media(chat).into_iter().find(|r| {
                r.kind == kind && r.caption.as_deref().is_some_and(|c| c.contains(needle))
            })
        {
            return r;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no {kind} with {needle:?} in chat {chat}: {:?}\n{}",
            both.fake.received(chat),
            both.log()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_telegram_customers_photo_and_voice_reach_a_matrix_owner_and_back() {
    let Some(syn) = Synapse::shared() else { return };
    let users = syn.register_all(&["boss"]);
    let both = Both::start(
        &syn,
        &Owners {
            matrix: &[&users[0].0],
            ..Owners::default()
        },
    )
    .await;
    let boss = Mx::open(&syn, &users[0], &both.bot_id).await;
    boss.say(&both, "/help", "/reply").await;
    both.wait_count(
        &format!(
            "SELECT COUNT(*) FROM owner_rooms WHERE channel = 'matrix' AND chat_id = '{}'",
            boss.room
        ),
        1,
    )
    .await;

    let ana = both.telegram(1001, "Ana 🌸");
    ana.say(&both, "/start", "What would you like to do?").await;
    let ticket = ana.tap(&both, "Talk to a person", "Ticket #").await;
    assert_eq!(number_after(&ticket.text, "Ticket #"), Some(1));
    boss.bot_says(&both, 0, "🎫 Ticket #1").await;

    // The customer's photo (captioned) and voice note: fetched from Telegram,
    // uploaded to Matrix as an image and a voice note, the same bytes.
    let (photo, voice) = (picture(41), ogg(42));
    let (mark, ana_mark) = (boss.mark(), ana.mark());
    ana.user
        .send_media(Kind::Photo, &photo, Some("the box is broken 📦"));
    ana.user.send_media(Kind::Voice, &voice, None);
    let image = bot_sends(&both, &boss, mark, "m.image").await;
    assert!(image.body.starts_with("💬 #1 · "), "{:?}", image.body);
    assert!(image.body.contains("Ana 🌸"), "{:?}", image.body);
    assert!(
        image.body.contains("the box is broken 📦"),
        "{:?}",
        image.body
    );
    assert_eq!(bytes_of(&boss.user, &image.content).await, photo);
    let audio = bot_sends(&both, &boss, mark, "m.audio").await;
    assert!(audio.body.starts_with("💬 #1 · "), "{:?}", audio.body);
    assert!(
        audio.content.get("org.matrix.msc3245.voice").is_some(),
        "not a voice note: {}",
        audio.content
    );
    assert_eq!(bytes_of(&boss.user, &audio.content).await, voice);
    // The customer heard nothing back: the relay is silent on their side.
    both.settle().await;
    assert!(
        ana.bot_messages_after(ana_mark).is_empty(),
        "{}",
        ana.transcript()
    );

    // The owner answers the relayed photo with a photo of their own: the
    // customer gets it on Telegram, uploaded, the same bytes, signed by the shop.
    let blue = picture(43);
    let mark = boss.mark();
    send_media(
        &boss.user,
        &boss.room,
        &Send::Image {
            name: "blue.png",
            caption: Some("the blue one 💙"),
        },
        &blue,
        Some(&image.event_id),
    )
    .await;
    boss.bot_says(&both, mark, "✓").await;
    let got = tg_receives(&both, 1001, "photo", "the blue one 💙").await;
    assert_eq!(got.bytes.as_deref(), Some(&blue[..]));
    assert_eq!(got.copied_from, None, "{got:?}");
    assert!(
        got.caption
            .as_deref()
            .is_some_and(|c| c.contains("Test Bricks")),
        "{got:?}"
    );
    // Exactly one copy of it reached the customer.
    both.settle().await;
    let photos = both
        .fake
        .received_media(1001)
        .into_iter()
        .filter(|r| r.kind == "photo")
        .count();
    assert_eq!(photos, 1, "{:?}", both.fake.received(1001));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_matrix_customers_photo_and_voice_reach_a_telegram_owner_and_back() {
    let Some(syn) = Synapse::shared() else { return };
    let users = syn.register_all(&["cy"]);
    let both = Both::start(
        &syn,
        &Owners {
            telegram: &[BOSS_TG],
            ..Owners::default()
        },
    )
    .await;
    let boss = both.telegram(BOSS_TG, "Boss");
    boss.say(&both, "/help", "/reply").await;

    let cy_client = MatrixCustomer::login(syn.url(), &users[0].0, &users[0].1).await;
    cy_client.set_display_name("Cy Łukasz").await;
    let cy = Mx::dm(cy_client, &both.bot_id).await;
    assert_eq!(mx_ticket(&both, &cy).await, 1);
    boss.sees_after(&both, 0, "🎫 Ticket #1").await;

    // The customer's photo and voice note, from an encrypted room: decrypted,
    // and uploaded to the Telegram owner with the methods of their kinds.
    let (photo, voice) = (picture(51), ogg(52));
    send_media(
        &cy.user,
        &cy.room,
        &Send::Image {
            name: "box.png",
            caption: Some("look «here»"),
        },
        &photo,
        None,
    )
    .await;
    send_media(
        &cy.user,
        &cy.room,
        &Send::Voice { seconds: 2 },
        &voice,
        None,
    )
    .await;
    let relayed = tg_receives(&both, BOSS_TG, "photo", "look «here»").await;
    assert_eq!(relayed.bytes.as_deref(), Some(&photo[..]));
    assert_eq!(relayed.copied_from, None, "{relayed:?}");
    let caption = relayed.caption.clone().unwrap_or_default();
    assert!(caption.starts_with("💬 #1 · "), "{caption:?}");
    assert!(caption.contains("Cy Łukasz"), "{caption:?}");
    let note = tg_receives(&both, BOSS_TG, "voice", "💬 #1").await;
    assert_eq!(note.bytes.as_deref(), Some(&voice[..]));

    // An image Telegram refuses as a photo (no sides it takes): the same
    // bytes reach the owner as a file, never dropped.
    let odd = png(54);
    send_media(
        &cy.user,
        &cy.room,
        &Send::Image {
            name: "scan.png",
            caption: Some("odd one"),
        },
        &odd,
        None,
    )
    .await;
    let file = tg_receives(&both, BOSS_TG, "document", "odd one").await;
    assert_eq!(file.bytes.as_deref(), Some(&odd[..]));

    // The Telegram owner replies to the relayed photo with a photo: the Matrix
    // customer gets an image with the same bytes, in their encrypted room.
    let blue = picture(53);
    let mark = cy.mark();
    boss.user
        .reply_media(relayed.message_id, Kind::Photo, &blue, Some("this one?"));
    let answer = bot_sends(&both, &cy, mark, "m.image").await;
    assert!(answer.encrypted, "a clear event in an encrypted room");
    assert!(answer.body.contains("this one?"), "{:?}", answer.body);
    assert!(answer.body.contains("Test Bricks"), "{:?}", answer.body);
    assert_eq!(bytes_of(&cy.user, &answer.content).await, blue);
    boss.sees_after(&both, 0, "✓").await;
}
