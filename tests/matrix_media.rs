//! Media in tickets on Matrix (issue 14), on a real Synapse: a Matrix customer's
//! photo, voice note, file and place reach the owners (their room in the clear,
//! or an owner's encrypted direct room) as the right events with the
//! customer's name and ticket number and the very same bytes; the owner's
//! media reply reaches the customer; media outside a ticket is answered. The
//! bot runs with Telegram too (the fake Bot API), so each customer file is
//! also fetched, decrypted, into the spool for Telegram; and a queued reply
//! carrying a Telegram file from the spool is uploaded to Matrix. Skipped,
//! loudly, without a Synapse: run `scripts/test`.

#[path = "support/both.rs"]
mod both;
mod fake_telegram;
#[path = "support/matrix_customer.rs"]
mod matrix_customer;
#[path = "support/process.rs"]
mod process;
#[path = "support/synapse.rs"]
mod synapse;

#[path = "support/media_matrix.rs"]
mod media_matrix;

use both::{Both, Mx, Owners, T};
use matrix_customer::{MatrixCustomer, SeenEvent};
use matrix_sdk::ruma::OwnedMxcUri;
use matrix_sdk::ruma::events::room::MediaSource;
use media_matrix::{
    Send, bot_sends, bytes_of, in_spool, mx_ticket, mxc, ogg, pdf, png, queue_telegram_file,
    send_file_claiming, send_media, send_sticker, start_matrix_alone, ticket_by_typing,
};
use shopbot::attachment::Media;
use synapse::Synapse;

/// A customer's photo (captioned), voice note, file and place reach the
/// owners' room in the clear: the right events, the same bytes (decrypted and
/// uploaded again), the customer's name and ticket; and the spool has them.
async fn each_kind_relayed(both: &Both, boss: &Mx, cy: &Mx) -> SeenEvent {
    // Photo with a caption, voice note, file, place: each as its own event.
    let (photo, voice, file) = (png(1), ogg(2), pdf(3));
    let mark = boss.mark();
    let sent = [
        (
            Send::Image {
                name: "box.png",
                caption: Some("the broken box <b>📦</b>"),
            },
            &photo,
        ),
        (Send::Voice { seconds: 3 }, &voice),
        (
            Send::File {
                name: "invoice 7.pdf",
            },
            &file,
        ),
        (
            Send::Place {
                geo: "geo:44.4267674,26.1025384;u=35",
            },
            &Vec::new(),
        ),
    ];
    for (what, bytes) in &sent {
        send_media(&cy.user, &cy.room, what, bytes, None).await;
    }
    let image = bot_sends(both, boss, mark, "m.image").await;
    let audio = bot_sends(both, boss, mark, "m.audio").await;
    let document = bot_sends(both, boss, mark, "m.file").await;
    let place = bot_sends(both, boss, mark, "m.location").await;
    for m in [&image, &audio, &document, &place] {
        assert!(m.body.starts_with("💬 #1 · "), "{:?}", m.body);
        assert!(m.body.contains("Cy Łukasz 🧱"), "{:?}", m.body);
        assert!(!m.encrypted, "the owners' room is in the clear");
    }
    // The caption rules: body is the caption, filename the file's name.
    assert!(
        image.body.contains("the broken box <b>📦</b>"),
        "{:?}",
        image.body
    );
    assert_eq!(image.content["filename"], "box.png");
    assert!(
        image
            .formatted_body
            .as_deref()
            .is_some_and(|h| h.contains("&lt;b&gt;📦&lt;/b&gt;")),
        "{:?}",
        image.formatted_body
    );
    assert_eq!(image.content["info"]["mimetype"], "image/png");
    assert!(
        audio.content.get("org.matrix.msc3245.voice").is_some(),
        "{}",
        audio.content
    );
    assert_eq!(audio.content["info"]["duration"], 3000);
    assert!(
        document.body.contains("[file invoice 7.pdf]"),
        "{:?}",
        document.body
    );
    assert_eq!(document.content["filename"], "invoice 7.pdf");
    assert_eq!(place.content["geo_uri"], "geo:44.426767,26.102538");
    // Encrypted in the customer's room, in the clear in the owners': decrypted
    // and uploaded again, the same bytes.
    for (m, bytes) in [(&image, &photo), (&audio, &voice), (&document, &file)] {
        assert!(
            m.content.get("url").is_some(),
            "in the clear: {}",
            m.content
        );
        assert_eq!(&bytes_of(&boss.user, &m.content).await, bytes);
        // Telegram runs too: fetched, decrypted, into the spool.
        in_spool(both, bytes).await;
    }

    image
}

/// A customer in a room in the clear: outside a ticket, told what to do; in a
/// ticket, their photo's upload reused as it is in the owners' room.
async fn clear_customer(syn: &Synapse, both: &Both, boss: &Mx, user: &(String, String)) {
    let dee_client = MatrixCustomer::login(syn.url(), &user.0, &user.1).await;
    let dee_room = dee_client.create_dm(&both.bot_id, false).await;
    dee_client
        .wait_for_join(&dee_room, &both.bot_id, T)
        .await
        .unwrap();
    let dee = Mx {
        user: dee_client,
        room: dee_room,
        bot: both.bot_id.clone(),
    };
    let dee_mark = dee.mark();
    let early = png(5);
    send_media(
        &dee.user,
        &dee.room,
        &Send::File { name: "a.pdf" },
        &pdf(6),
        None,
    )
    .await;
    dee.bot_says(both, dee_mark, "can't look at photos").await;
    assert_eq!(mx_ticket(both, &dee).await, 2);
    let mark = boss.mark();
    let sent = send_media(
        &dee.user,
        &dee.room,
        &Send::Image {
            name: "early.png",
            caption: None,
        },
        &early,
        None,
    )
    .await;
    let relayed = bot_sends(both, boss, mark, "m.image").await;
    assert!(relayed.body.starts_with("💬 #2 · "), "{:?}", relayed.body);
    let original = dee
        .user
        .messages(&dee.room)
        .into_iter()
        .find(|m| m.event_id == sent)
        .expect("dee's photo");
    assert_eq!(
        mxc(&relayed.content),
        mxc(&original.content),
        "reused, not uploaded again"
    );
    assert_eq!(bytes_of(&boss.user, &relayed.content).await, early);
    // A sticker: shown to the owners as an image, its upload reused.
    let smile = png(8);
    let mark = boss.mark();
    let uri = send_sticker(&dee.user, &dee.room, "😀 happy", &smile).await;
    let relayed = bot_sends(both, boss, mark, "m.image").await;
    assert!(
        relayed.body.starts_with("💬 #2 · ") && relayed.body.contains("[sticker] 😀 happy"),
        "{:?}",
        relayed.body
    );
    assert_eq!(mxc(&relayed.content), uri, "reused, not uploaded again");
    assert_eq!(bytes_of(&boss.user, &relayed.content).await, smile);
}

/// The owners' room in the clear; a customer in an encrypted DM and one in a
/// DM in the clear.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_matrix_customers_media_reaches_the_owners_room_and_the_owners_media_the_customer() {
    let Some(syn) = Synapse::shared() else { return };
    let users = syn.register_all(&["boss", "shopbot", "cy", "dee"]);
    let boss = MatrixCustomer::login(syn.url(), &users[0].0, &users[0].1).await;
    let bot_account = matrix_sdk::ruma::UserId::parse(users[1].0.as_str()).unwrap();
    let room = boss.create_group(&[&bot_account]).await;
    let both = Both::start_as(
        &syn,
        &users[1],
        &Owners {
            matrix: &[&users[0].0],
            matrix_room: Some(room.as_str()),
            ..Owners::default()
        },
    )
    .await;
    boss.wait_for_join(&room, &both.bot_id, T)
        .await
        .unwrap_or_else(|e| panic!("{e}\n{}", both.log()));
    let boss = Mx {
        user: boss,
        room: room.clone(),
        bot: both.bot_id.clone(),
    };
    let cy_client = MatrixCustomer::login(syn.url(), &users[2].0, &users[2].1).await;
    cy_client.set_display_name("Cy Łukasz 🧱").await;
    let cy = Mx::dm(cy_client, &both.bot_id).await;
    assert_eq!(mx_ticket(&both, &cy).await, 1);
    boss.bot_says(&both, 0, "🎫 Ticket #1").await;

    let image = each_kind_relayed(&both, &boss, &cy).await;

    // The owner answers the photo with a photo: the customer gets it, its
    // bytes, with the caption, in their encrypted room.
    let blue = png(4);
    let cy_mark = cy.mark();
    let mark = boss.mark();
    send_media(
        &boss.user,
        &room,
        &Send::Image {
            name: "blue.png",
            caption: Some("the blue one"),
        },
        &blue,
        Some(&image.event_id),
    )
    .await;
    boss.bot_says(&both, mark, "✓ Sent to ticket #1").await;
    let answer = bot_sends(&both, &cy, cy_mark, "m.image").await;
    assert!(answer.encrypted);
    assert!(answer.body.contains("the blue one"), "{:?}", answer.body);
    assert!(answer.body.contains("Test Bricks"), "{:?}", answer.body);
    assert_eq!(bytes_of(&cy.user, &answer.content).await, blue);

    clear_customer(&syn, &both, &boss, &users[3]).await;

    // A Telegram customer's voice note, its bytes in the spool, queued for the
    // owners' room: uploaded in the clear as a voice note.
    let tg_voice = ogg(7);
    let mark = boss.mark();
    let row = queue_telegram_file(
        &both,
        &room,
        "💬 #3 · Ana: [voice note]",
        Media::Voice,
        Some(&tg_voice),
    );
    let came = bot_sends(&both, &boss, mark, "m.audio").await;
    assert!(came.body.contains("💬 #3 · Ana"), "{:?}", came.body);
    assert!(came.content.get("org.matrix.msc3245.voice").is_some());
    assert!(came.content.get("url").is_some(), "{}", came.content);
    assert_eq!(bytes_of(&boss.user, &came.content).await, tg_voice);
    both.wait_count(
        &format!("SELECT COUNT(*) FROM outbox WHERE id = {row} AND sent_at IS NOT NULL"),
        1,
    )
    .await;
}

/// An owner's encrypted direct room; Telegram files uploaded encrypted.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn media_in_an_owners_encrypted_room_reuses_the_upload_and_telegram_files_are_encrypted() {
    let Some(syn) = Synapse::shared() else { return };
    let users = syn.register_all(&["boss", "cy"]);
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
    let cy_client = MatrixCustomer::login(syn.url(), &users[1].0, &users[1].1).await;
    cy_client.set_display_name("Cy").await;
    let cy = Mx::dm(cy_client, &both.bot_id).await;
    assert_eq!(mx_ticket(&both, &cy).await, 1);
    boss.bot_says(&both, 0, "🎫 Ticket #1").await;

    let photo = png(11);
    let mark = boss.mark();
    let sent = send_media(
        &cy.user,
        &cy.room,
        &Send::Image {
            name: "IMG_0001.png",
            caption: Some("scratch on the lid"),
        },
        &photo,
        None,
    )
    .await;
    let relayed = bot_sends(&both, &boss, mark, "m.image").await;
    assert!(relayed.encrypted);
    assert!(relayed.body.starts_with("💬 #1 · Cy"), "{:?}", relayed.body);
    assert!(
        relayed.body.contains("scratch on the lid"),
        "{:?}",
        relayed.body
    );
    let original = cy
        .user
        .messages(&cy.room)
        .into_iter()
        .find(|m| m.event_id == sent)
        .expect("cy's photo");
    assert!(relayed.content.get("file").is_some(), "{}", relayed.content);
    assert_eq!(
        mxc(&relayed.content),
        mxc(&original.content),
        "reused, not uploaded again"
    );
    assert_eq!(bytes_of(&boss.user, &relayed.content).await, photo);
    in_spool(&both, &photo).await;

    // The owner answers with a voice note: the customer gets a voice note.
    let voice = ogg(12);
    let cy_mark = cy.mark();
    let mark = boss.mark();
    send_media(
        &boss.user,
        &boss.room,
        &Send::Voice { seconds: 5 },
        &voice,
        Some(&relayed.event_id),
    )
    .await;
    boss.bot_says(&both, mark, "✓ Sent to ticket #1").await;
    let answer = bot_sends(&both, &cy, cy_mark, "m.audio").await;
    assert!(answer.encrypted);
    assert!(answer.content.get("org.matrix.msc3245.voice").is_some());
    assert_eq!(bytes_of(&cy.user, &answer.content).await, voice);

    files_that_cannot_be_fetched(&both, &boss, &cy).await;
    telegram_files_into_an_encrypted_room(&both, &boss).await;
}

/// A Telegram customer's photo from the spool: uploaded encrypted, the same
/// bytes; one that could not be fetched is named in the text.
async fn telegram_files_into_an_encrypted_room(both: &Both, boss: &Mx) {
    let tg_photo = png(13);
    let mark = boss.mark();
    queue_telegram_file(
        both,
        &boss.room,
        "💬 #2 · Ana: [photo]",
        Media::Photo,
        Some(&tg_photo),
    );
    let came = bot_sends(both, boss, mark, "m.image").await;
    assert!(came.encrypted);
    assert!(
        came.content.get("file").is_some(),
        "encrypted upload: {}",
        came.content
    );
    assert_eq!(bytes_of(&boss.user, &came.content).await, tg_photo);
    let mark = boss.mark();
    queue_telegram_file(both, &boss.room, "💬 Test Bricks: look", Media::Photo, None);
    let text = boss.bot_says(both, mark, "💬 Test Bricks: look").await;
    assert_eq!(text.msgtype, "m.notice");
    assert!(text.body.contains("[photo] (too big"), "{:?}", text.body);
    // Over the homeserver's upload limit (the test Synapse takes 10 MB): the
    // text, naming the file and why.
    let big = media_matrix::blob(b"%PDF-1.7\n", 15, 10 * 1024 * 1024 + 10);
    let mark = boss.mark();
    queue_telegram_file(
        both,
        &boss.room,
        "💬 #2 · Ana: [file]",
        Media::Document,
        Some(&big),
    );
    let text = boss.bot_says(both, mark, "💬 #2 · Ana: [file]").await;
    assert_eq!(text.msgtype, "m.notice");
    assert!(
        text.body
            .contains("too big for this Matrix server (its limit is 10 MB)"),
        "{:?}",
        text.body
    );
}

/// A file that says it is over what Telegram takes is not downloaded, one the
/// homeserver no longer has is tried and given up: the customer is told, the
/// turn runs, the Matrix owner still gets each (the same event's media).
async fn files_that_cannot_be_fetched(both: &Both, boss: &Mx, cy: &Mx) {
    let small = pdf(14);
    let mut reader = std::io::Cursor::new(&small);
    let file = cy
        .user
        .client()
        .upload_encrypted_file(&mut reader)
        .await
        .expect("upload");
    let source = MediaSource::Encrypted(Box::new(file));
    let (mark, cy_mark) = (boss.mark(), cy.mark());
    let huge = 60 * 1024 * 1024;
    send_file_claiming(&cy.user, &cy.room, "catalogue.pdf", source, huge).await;
    cy.bot_says(both, cy_mark, "too big for me to pass on")
        .await;
    let relayed = bot_sends(both, boss, mark, "m.file").await;
    assert!(
        relayed.body.contains("[file catalogue.pdf]"),
        "{:?}",
        relayed.body
    );
    assert_eq!(bytes_of(&boss.user, &relayed.content).await, small);
    // Not fetched: the spool does not have it.
    let spooled = std::fs::read_dir(both.dir.path().join("media"))
        .expect("spool")
        .flatten()
        .any(|e| std::fs::read(e.path()).is_ok_and(|b| b == small));
    assert!(!spooled, "a file over the limit was downloaded");

    let gone = MediaSource::Plain(OwnedMxcUri::from("mxc://localhost/NoSuchMediaHere"));
    let (mark, cy_mark) = (boss.mark(), cy.mark());
    send_file_claiming(&cy.user, &cy.room, "lost.pdf", gone, 1000).await;
    cy.bot_says(both, cy_mark, "couldn't fetch that file").await;
    let relayed = bot_sends(both, boss, mark, "m.file").await;
    assert!(
        relayed.body.contains("[file lost.pdf]"),
        "{:?}",
        relayed.body
    );
    assert!(
        both.log()
            .contains("cannot fetch a ticket's media for Telegram"),
        "{}",
        both.log()
    );
}

/// Matrix alone (no Telegram): nothing is fetched into the spool, and a photo
/// from an encrypted room is downloaded, decrypted and uploaded in the clear
/// for the owners' room at the send.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn matrix_alone_decrypts_a_photo_for_the_owners_room_at_the_send() {
    let Some(syn) = Synapse::shared() else { return };
    let users = syn.register_all(&["boss", "shopbot", "cy"]);
    let boss = MatrixCustomer::login(syn.url(), &users[0].0, &users[0].1).await;
    let bot_id = matrix_sdk::ruma::UserId::parse(users[1].0.as_str()).unwrap();
    let room = boss.create_group(&[&bot_id]).await;
    let (dir, bot) = start_matrix_alone(&syn, &users[1], &users[0].0, &room).await;
    assert!(!bot.log_text().contains("telegram"), "{}", bot.log_text());
    boss.wait_for_join(&room, &bot_id, T)
        .await
        .unwrap_or_else(|e| panic!("{e}\n{}", bot.log_text()));
    let cy = MatrixCustomer::login(syn.url(), &users[2].0, &users[2].1).await;
    let cy_room = cy.create_dm(&bot_id, true).await;
    cy.wait_for_join(&cy_room, &bot_id, T)
        .await
        .unwrap_or_else(|e| panic!("{e}\n{}", bot.log_text()));
    ticket_by_typing(&cy, &cy_room, &|| bot.log_text()).await;

    let photo = png(21);
    let what = Send::Image {
        name: "lid.png",
        caption: Some("dented lid"),
    };
    send_media(&cy, &cy_room, &what, &photo, None).await;
    let relayed = boss
        .wait_for_where(&room, "the relayed photo", T, |m| {
            m.sender == bot_id && m.msgtype == "m.image"
        })
        .await
        .unwrap_or_else(|e| panic!("{e}\n{}", bot.log_text()));
    assert!(relayed.body.starts_with("💬 #1 · "), "{:?}", relayed.body);
    assert!(relayed.body.contains("dented lid"), "{:?}", relayed.body);
    assert!(relayed.content.get("url").is_some(), "{}", relayed.content);
    assert_eq!(bytes_of(&boss, &relayed.content).await, photo);
    let spool = dir.path().join("media");
    assert!(
        std::fs::read_dir(&spool).map_or(true, |mut d| d.next().is_none()),
        "fetched with no Telegram to upload to"
    );
}
