//! Helpers of `tests/matrix_media.rs`: media sent and read by a test client,
//! the bot's spool, and replies carrying a Telegram file queued for Matrix.
//!
//! Include with its neighbours, as `tests/matrix_media.rs` does.
#![allow(dead_code)]

use std::io::Cursor;
use std::time::Duration;

use matrix_sdk::media::{MediaFormat, MediaRequestParameters};
use matrix_sdk::ruma::events::relation::{InReplyTo, Reply as ReplyTo};
use matrix_sdk::ruma::events::room::message::{
    AudioInfo, AudioMessageEventContent, FileInfo, FileMessageEventContent,
    ImageMessageEventContent, LocationMessageEventContent, MessageType, Relation,
    RoomMessageEventContent, UnstableAudioDetailsContentBlock, UnstableVoiceContentBlock,
};
use matrix_sdk::ruma::events::room::{ImageInfo, MediaSource};
use matrix_sdk::ruma::{OwnedEventId, RoomId, UInt};
use serde_json::Value;
use shopbot::attachment::{Attachment, Media, Origin, Unfetchable};
use shopbot::channel::Channel;
use shopbot::conversation::Reply;
use shopbot::engine::Outgoing;
use shopbot::spool::Spool;

use super::both::{Both, Mx, T, button_number, number_after};
use super::matrix_customer::{MatrixCustomer, SeenEvent};

/// Bytes that differ by `seed`, `len` long, after a `head` (a file's magic).
pub fn blob(head: &[u8], seed: u32, len: usize) -> Vec<u8> {
    let mut data = head.to_vec();
    let mut x = seed.wrapping_mul(2_654_435_761).wrapping_add(7);
    while data.len() < len {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        data.push(x.to_le_bytes()[0]);
    }
    data
}

pub fn png(seed: u32) -> Vec<u8> {
    blob(b"\x89PNG\r\n\x1a\n", seed, 48 * 1024)
}

pub fn ogg(seed: u32) -> Vec<u8> {
    blob(b"OggS", seed, 20 * 1024)
}

pub fn pdf(seed: u32) -> Vec<u8> {
    blob(b"%PDF-1.7\n", seed, 70 * 1024)
}

/// What a test client sends.
pub enum Send<'a> {
    Image {
        name: &'a str,
        caption: Option<&'a str>,
    },
    Voice {
        seconds: u64,
    },
    File {
        name: &'a str,
    },
    Place {
        geo: &'a str,
    },
}

/// Uploads `bytes` (encrypted in an encrypted room, as clients do) and sends
/// them as `what`, replying to `reply_to` if given.
pub async fn send_media(
    user: &MatrixCustomer,
    room: &RoomId,
    what: &Send<'_>,
    bytes: &[u8],
    reply_to: Option<&OwnedEventId>,
) -> OwnedEventId {
    let joined = user.room(room).await;
    let encrypted = joined
        .latest_encryption_state()
        .await
        .expect("encryption state")
        .is_encrypted();
    let client = user.client();
    let mime = match what {
        Send::Image { .. } => "image/png",
        Send::Voice { .. } => "audio/ogg",
        _ => "application/pdf",
    };
    let source = if matches!(what, Send::Place { .. }) {
        None
    } else if encrypted {
        let mut reader = Cursor::new(bytes);
        let file = client
            .upload_encrypted_file(&mut reader)
            .await
            .expect("encrypted upload");
        Some(MediaSource::Encrypted(Box::new(file)))
    } else {
        let uploaded = client
            .media()
            .upload(&mime.parse().expect("mime"), bytes.to_vec(), None)
            .await
            .expect("upload");
        Some(MediaSource::Plain(uploaded.content_uri))
    };
    let size = UInt::new(bytes.len() as u64);
    let message = match (what, source) {
        (Send::Image { name, caption }, Some(source)) => {
            let mut c = ImageMessageEventContent::new(caption.unwrap_or(name).to_owned(), source);
            c.filename = Some((*name).to_owned());
            let mut info = ImageInfo::new();
            info.mimetype = Some(mime.to_owned());
            info.size = size;
            c.info = Some(Box::new(info));
            MessageType::Image(c)
        }
        (Send::Voice { seconds }, Some(source)) => {
            let mut c = AudioMessageEventContent::new("Voice message".to_owned(), source);
            let mut info = AudioInfo::new();
            info.mimetype = Some(mime.to_owned());
            info.size = size;
            info.duration = Some(Duration::from_secs(*seconds));
            c.info = Some(Box::new(info));
            c.voice = Some(UnstableVoiceContentBlock::new());
            c.audio = Some(UnstableAudioDetailsContentBlock::new(
                Duration::from_secs(*seconds),
                Vec::new(),
            ));
            MessageType::Audio(c)
        }
        (Send::File { name }, Some(source)) => {
            let mut c = FileMessageEventContent::new((*name).to_owned(), source);
            let mut info = FileInfo::new();
            info.mimetype = Some(mime.to_owned());
            info.size = size;
            c.info = Some(Box::new(info));
            MessageType::File(c)
        }
        (Send::Place { geo }, _) => MessageType::Location(LocationMessageEventContent::new(
            "Our shop".to_owned(),
            (*geo).to_owned(),
        )),
        _ => unreachable!("every file has a source"),
    };
    let mut content = RoomMessageEventContent::new(message);
    if let Some(to) = reply_to {
        content.relates_to = Some(Relation::Reply(ReplyTo::new(InReplyTo::new(to.clone()))));
    }
    joined
        .send(content)
        .await
        .expect("media sent")
        .response
        .event_id
}

/// The bytes an event's media source points to, decrypted, as `user` gets them.
pub async fn bytes_of(user: &MatrixCustomer, content: &Value) -> Vec<u8> {
    let source: MediaSource = serde_json::from_value(content.clone())
        .unwrap_or_else(|e| panic!("no media source in {content}: {e}"));
    let request = MediaRequestParameters {
        source,
        format: MediaFormat::File,
    };
    user.client()
        .media()
        .get_media_content(&request, false)
        .await
        .expect("media downloads")
}

/// The `mxc://` URI of an event's media (inside `file` when encrypted).
pub fn mxc(content: &Value) -> String {
    content
        .get("url")
        .or_else(|| content.get("file").and_then(|f| f.get("url")))
        .and_then(Value::as_str)
        .unwrap_or_else(|| panic!("no media in {content}"))
        .to_owned()
}

/// The bot's first message after `after` in `mx`'s room of type `msgtype`.
pub async fn bot_sends(both: &Both, mx: &Mx, after: usize, msgtype: &str) -> SeenEvent {
    let deadline = tokio::time::Instant::now() + T;
    loop {
        if let Some(m) = mx
            .bot_messages_after(after)
            .into_iter()
            .find(|m| m.msgtype == msgtype)
        {
            return m;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no bot {msgtype} in {}:\n{}\n{}",
            mx.room,
            mx.user.describe(&mx.room),
            both.log()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Opens a ticket from a Matrix DM ("Talk to a person"); returns its number.
pub async fn mx_ticket(both: &Both, mx: &Mx) -> u64 {
    let menu = mx.say(both, "/start", "What would you like to do?").await;
    let ticket = mx.tap(both, &menu, "Talk to a person", "Ticket #").await;
    assert!(button_number(&ticket.body, "Back to the shop").is_some());
    number_after(&ticket.body, "Ticket #").expect("a ticket number")
}

/// Whether the bot's spool holds exactly `bytes` (Telegram runs: it fetched them).
pub async fn in_spool(both: &Both, bytes: &[u8]) {
    let dir = both.dir.path().join("media");
    let deadline = tokio::time::Instant::now() + T;
    loop {
        let found = std::fs::read_dir(&dir).is_ok_and(|entries| {
            entries
                .flatten()
                .any(|e| std::fs::read(e.path()).is_ok_and(|b| b == bytes))
        });
        if found {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{} bytes not in the spool {}\n{}",
            bytes.len(),
            dir.display(),
            both.log()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Queues a reply carrying a Telegram customer's file (its bytes put in the
/// bot's spool, or not fetched at all) to a Matrix room, as the engine does
/// for a relay; returns the outbox row id.
pub fn queue_telegram_file(
    both: &Both,
    room: &RoomId,
    text: &str,
    media: Media,
    bytes: Option<&[u8]>,
) -> i64 {
    let spool = Spool::beside(&both.db);
    let stored = bytes.map(|b| spool.put(b).expect("spool"));
    let mut reply = Reply::plain(text);
    reply.attachment = Some(Box::new(Attachment {
        media,
        caption: None,
        file_name: None,
        mime: Some(match bytes {
            Some(b) if b.starts_with(b"OggS") => "audio/ogg".into(),
            Some(b) if b.starts_with(b"%PDF") => "application/pdf".into(),
            _ => "image/png".into(),
        }),
        size: bytes.map(|b| b.len() as u64),
        seconds: Some(3),
        origin: Origin {
            channel: Channel::Telegram,
            chat_id: "4242".into(),
            message_id: "77".into(),
            file: Some("AgADfake".into()),
        },
        stored,
        unfetchable: bytes.is_none().then_some(Unfetchable::TooBig),
        album: None,
    }));
    let out = Outgoing {
        reply,
        edit: None,
        first_number: 1,
        ticket: Some(1),
    };
    let payload = serde_json::to_string(&out).expect("payload");
    let conn = rusqlite::Connection::open(&both.db).expect("db");
    conn.busy_timeout(Duration::from_secs(10)).expect("timeout");
    conn.query_row(
        "INSERT INTO outbox (channel, chat_id, payload, created_at, txn)
         VALUES ('matrix', ?1, ?2, strftime('%s','now'), lower(hex(randomblob(16))))
         RETURNING id",
        rusqlite::params![room.as_str(), payload],
        |r| r.get(0),
    )
    .expect("queued")
}

/// Sends an `m.sticker` (in the clear) described as `body`; returns its
/// `mxc://` URI.
pub async fn send_sticker(
    user: &MatrixCustomer,
    room: &RoomId,
    body: &str,
    bytes: &[u8],
) -> String {
    use matrix_sdk::ruma::events::sticker::StickerEventContent;
    let joined = user.room(room).await;
    let uploaded = user
        .client()
        .media()
        .upload(&mime::IMAGE_PNG, bytes.to_vec(), None)
        .await
        .expect("upload");
    let mut info = ImageInfo::new();
    info.mimetype = Some("image/png".into());
    info.size = UInt::new(bytes.len() as u64);
    joined
        .send(StickerEventContent::new(
            body.to_owned(),
            info,
            uploaded.content_uri.clone(),
        ))
        .await
        .expect("sticker sent");
    uploaded.content_uri.to_string()
}

/// Sends an `m.file` named `name` pointing at `source` and claiming `size`
/// bytes (whatever the file really holds).
pub async fn send_file_claiming(
    user: &MatrixCustomer,
    room: &RoomId,
    name: &str,
    source: MediaSource,
    size: u64,
) -> OwnedEventId {
    let joined = user.room(room).await;
    let mut c = FileMessageEventContent::new(name.to_owned(), source);
    let mut info = FileInfo::new();
    info.mimetype = Some("application/pdf".into());
    info.size = UInt::new(size);
    c.info = Some(Box::new(info));
    joined
        .send(RoomMessageEventContent::new(MessageType::File(c)))
        .await
        .expect("file sent")
        .response
        .event_id
}

/// `shopbot run` with Matrix alone (no Telegram token), account `bot`, one
/// Matrix owner and the owners' room `room`; returns once it listens.
pub async fn start_matrix_alone(
    syn: &super::synapse::Synapse,
    bot: &(String, String),
    owner: &str,
    room: &RoomId,
) -> (tempfile::TempDir, super::process::BotProcess) {
    let bot_id = &bot.0;
    let dir = tempfile::tempdir().expect("temp dir");
    let shop = super::process::copy_shop("small", dir.path());
    std::fs::write(dir.path().join("matrix.password"), &bot.1).expect("password");
    let text = std::fs::read_to_string(&shop).expect("shop").replace(
        "[owners]\ntelegram = []\nmatrix = []\n",
        &format!("[owners]\ntelegram = []\nmatrix = [\"{owner}\"]\nmatrix_room = \"{room}\"\n"),
    );
    let text = format!(
        "{text}\n[matrix]\nhomeserver = \"{}\"\nuser = \"{bot_id}\"\npassword_file = \"matrix.password\"\n",
        syn.url()
    );
    std::fs::write(&shop, text).expect("shop");
    let db = dir.path().join("shop.db");
    let bot = super::process::BotProcess::spawn(&shop, &db, &[]);
    let deadline = tokio::time::Instant::now() + T;
    while !bot.log_text().contains("matrix: listening") {
        assert!(tokio::time::Instant::now() < deadline, "{}", bot.log_text());
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    (dir, bot)
}

/// Opens a ticket by typing: `/start`, then the number of "Talk to a person".
pub async fn ticket_by_typing(user: &MatrixCustomer, room: &RoomId, log: &dyn Fn() -> String) {
    user.send_text(room, "/start").await;
    let menu = user
        .wait_for(room, "What would you like to do?", T)
        .await
        .unwrap_or_else(|e| panic!("{e}\n{}", log()));
    let talk = button_number(&menu.body, "Talk to a person").expect("a ticket button");
    user.send_text(room, &talk.to_string()).await;
    user.wait_for(room, "Ticket #", T)
        .await
        .unwrap_or_else(|e| panic!("{e}\n{}", log()));
}
