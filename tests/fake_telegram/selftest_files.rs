//! Self-tests of the fake's files: media sent by users parse in teloxide,
//! `getFile` and the download route (20 MB at most), uploads of each kind and
//! by `file_id`, `copyMessage(s)` of media with Telegram's errors.
//! Compiled only as a module of `tests/fake_telegram_selftest.rs`.

use teloxide::ApiError;
use teloxide::net::Download;
use teloxide::prelude::*;
use teloxide::types::{FileId, InputFile, MessageId, UpdateKind};

use super::{api_error, bot};
use crate::fake_telegram::{FakeTelegram, Kind};

async fn updates(bot: &Bot) -> Vec<Message> {
    bot.get_updates()
        .await
        .expect("getUpdates")
        .into_iter()
        .filter_map(|u| match u.kind {
            UpdateKind::Message(m) => Some(m),
            _ => None,
        })
        .collect()
}

#[tokio::test]
async fn users_media_parse_and_download_and_big_files_are_refused() {
    let tg = FakeTelegram::start().await;
    let bot = bot(&tg);
    let ana = tg.customer(1001, "Ana");
    ana.send_media(Kind::Photo, b"photo bytes", Some("the box"));
    ana.send_media(Kind::Voice, b"voice bytes", None);
    ana.send_document("invoice.pdf", b"%PDF-1.4", None);
    ana.send_media(Kind::VideoNote, b"round", None);
    ana.send_media(Kind::Sticker, b"RIFF....WEBP", None);
    ana.send_location(44.426_767, 26.102_538);
    ana.send_contact("+40 700 000 000", "Ion");
    let album = ana.send_album(&[b"one", b"two"], Some("both"));
    ana.send_document("big.zip", &vec![7u8; 21 * 1024 * 1024], None);
    let got = updates(&bot).await;
    assert_eq!(got.len(), 10);
    let photo = got[0].photo().expect("photo");
    let largest = photo.last().expect("a size");
    assert_eq!(got[0].caption(), Some("the box"));
    let file = bot
        .get_file(largest.file.id.clone())
        .await
        .expect("getFile");
    let mut bytes = Vec::new();
    bot.download_file(&file.path, &mut bytes)
        .await
        .expect("download");
    assert_eq!(bytes, b"photo bytes");
    assert_eq!(got[1].voice().expect("voice").duration.seconds(), 3);
    assert_eq!(
        got[2].document().and_then(|d| d.file_name.as_deref()),
        Some("invoice.pdf")
    );
    assert!(got[3].video_note().is_some() && got[4].sticker().is_some());
    assert!((got[5].location().expect("location").latitude - 44.426_767).abs() < 1e-9);
    assert_eq!(got[6].contact().expect("contact").first_name, "Ion");
    assert_eq!(got[7].media_group_id(), got[8].media_group_id());
    assert!(got[7].media_group_id().is_some());
    assert_eq!(
        (got[7].id.0, got[7].caption(), got[8].caption()),
        (i32::try_from(album[0]).unwrap(), Some("both"), None)
    );
    let big = got[9].document().expect("document");
    assert_eq!(
        api_error(bot.get_file(big.file.id.clone()).await),
        ApiError::Unknown("Bad Request: file is too big".into())
    );
}

#[tokio::test]
async fn uploads_copies_and_their_errors() {
    let tg = FakeTelegram::start().await;
    // Not about pacing: more than a chat's burst goes to one chat here.
    tg.set_strict(false);
    let bot = bot(&tg);
    let ana = tg.customer(1001, "Ana");
    let boss = tg.customer(2002, "Boss");
    let voice = bot
        .send_voice(
            ChatId(2002),
            InputFile::memory(b"ogg!".to_vec()).file_name("v.ogg"),
        )
        .caption("a voice")
        .await
        .expect("sendVoice");
    let id = voice.voice().expect("voice").file.id.clone();
    bot.send_voice(ChatId(1001), InputFile::file_id(id.clone()))
        .await
        .expect("by file_id");
    assert!(matches!(
        api_error(bot.send_document(ChatId(1001), InputFile::file_id(id)).await),
        ApiError::Unknown(t) if t.contains("can't use file of type voice")
    ));
    assert!(matches!(
        api_error(
            bot.send_document(ChatId(1001), InputFile::file_id(FileId("nope".into())))
                .await
        ),
        ApiError::WrongFileIdOrUrl | ApiError::Unknown(_)
    ));
    let long = "x".repeat(1025);
    assert!(matches!(
        api_error(bot.send_audio(ChatId(1001), InputFile::memory(b"mp3".to_vec())).caption(long).await),
        ApiError::Unknown(t) if t.contains("caption is too long")
    ));
    let got = tg.received(2002);
    assert_eq!((got[0].kind, got[0].uploaded), ("voice", true));
    assert_eq!(got[0].bytes.as_deref(), Some(&b"ogg!"[..]));
    assert_eq!(tg.received(1001)[0].kind, "voice");

    // Copies keep the file, take the new caption (not on a sticker), and fail
    // once the original is gone.
    let photo = ana.send_media(Kind::Photo, b"jpeg", Some("mine"));
    let sticker = ana.send_media(Kind::Sticker, b"webp", None);
    let mid = |id: i64| MessageId(i32::try_from(id).unwrap());
    bot.copy_message(ChatId(2002), ChatId(1001), mid(photo))
        .caption("💬 #1 · Ana: [photo] mine")
        .await
        .expect("copy");
    bot.copy_message(ChatId(2002), ChatId(1001), mid(sticker))
        .caption("ignored")
        .await
        .expect("copy sticker");
    let got = tg.received_media(2002);
    assert_eq!(got[1].kind, "photo");
    assert_eq!(got[1].caption.as_deref(), Some("💬 #1 · Ana: [photo] mine"));
    assert_eq!(got[1].copied_from, Some((1001, photo)));
    assert_eq!(got[1].bytes.as_deref(), Some(&b"jpeg"[..]));
    assert_eq!((got[2].kind, got[2].caption.as_deref()), ("sticker", None));
    let copies = bot
        .copy_messages(ChatId(2002), ChatId(1001), [mid(photo), mid(sticker)])
        .await
        .expect("copyMessages");
    assert_eq!(copies.len(), 2);
    tg.delete_message(1001, photo);
    assert_eq!(
        api_error(
            bot.copy_message(ChatId(2002), ChatId(1001), mid(photo))
                .await
        ),
        ApiError::MessageToCopyNotFound
    );
    let place = bot
        .send_location(ChatId(1001), 44.5, 26.1)
        .await
        .expect("sendLocation");
    assert!(place.location().is_some());
    let card = bot
        .send_contact(ChatId(1001), "+40 7", "Ion")
        .await
        .expect("sendContact");
    assert_eq!(card.contact().expect("contact").phone_number, "+40 7");
    let _ = boss;
}
