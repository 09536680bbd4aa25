//! Issue 14, the Telegram sender on its own, for attachments from another platform:
//! an outbox row whose bytes are in the spool (as the Matrix side queues it).

use super::*;
use shopbot::attachment::{Attachment, Media, Origin, Unfetchable};
use shopbot::channel::Channel;
use shopbot::conversation::Reply;
use shopbot::engine::Outgoing;
use shopbot::spool::Spool;
use shopbot::store::Store;

fn from_matrix(media: Media, stored: Option<String>) -> Attachment {
    Attachment {
        media,
        caption: None,
        file_name: None,
        mime: None,
        size: None,
        seconds: None,
        origin: Origin {
            channel: Channel::Matrix,
            chat_id: "!room:example".into(),
            message_id: "$event".into(),
            file: Some("mxc://example/abc".into()),
        },
        stored,
        unfetchable: None,
        album: None,
    }
}

fn queue(db: &Path, chat: i64, text: &str, attachment: Attachment) {
    let mut reply = Reply::plain(text);
    reply.attachment = Some(Box::new(attachment));
    let out = Outgoing {
        reply,
        edit: None,
        first_number: 1,
        ticket: Some(1),
    };
    let payload = serde_json::to_string(&out).unwrap();
    let mut store = Store::open(db).unwrap();
    store
        .write(|tx| {
            let now = jiff::Timestamp::now().as_second();
            tx.push_outbox(Channel::Telegram, &chat.to_string(), &payload, now, &[])
                .map(|_| ())
        })
        .unwrap();
}

#[tokio::test]
#[allow(clippy::too_many_lines)] // one story: six rows, each checked
async fn spooled_bytes_are_uploaded_with_the_right_method_or_named() {
    let run = Run::start(false).await;
    let ana = run.fake.customer(1001, "Ana");
    let spool = Spool::beside(&run.db);
    let voice = spool.put(b"OggS matrix voice").unwrap();
    let photo = png(3, 4000);
    let photo_name = spool.put(&photo).unwrap();
    let huge = spool.put(&png(4, 11 * 1024 * 1024)).unwrap();
    let long = format!("💬 Brickyard: {}", "a long answer. ".repeat(80));
    queue(
        &run.db,
        1001,
        "💬 Brickyard: listen",
        from_matrix(Media::Voice, Some(voice.clone())),
    );
    queue(
        &run.db,
        1001,
        &long,
        from_matrix(Media::Photo, Some(photo_name.clone())),
    );
    queue(
        &run.db,
        1001,
        "💬 Brickyard: huge",
        from_matrix(Media::Photo, Some(huge)),
    );
    let mut lost = from_matrix(Media::Document, None);
    lost.file_name = Some("lost.pdf".into());
    lost.unfetchable = Some(Unfetchable::Failed);
    queue(&run.db, 1001, "💬 Brickyard: see the file", lost);
    queue(
        &run.db,
        1001,
        "💬 Brickyard: we are here",
        from_matrix(
            Media::Location {
                latitude_e6: 44_426_767,
                longitude_e6: 26_102_538,
            },
            None,
        ),
    );
    // The same voice bytes to a second chat go by the file_id Telegram gave.
    queue(
        &run.db,
        OWNER,
        "💬 #1 · Ana: [voice note]",
        from_matrix(Media::Voice, Some(voice)),
    );
    ana.wait_for_text("we are here", T)
        .await
        .unwrap_or_else(|e| panic!("{e}\n{}", run.log()));
    run.media_of(OWNER, 1).await;
    settle(&run.fake, &run.db).await;
    let got = run.fake.received(1001);
    let kinds: Vec<&str> = got.iter().map(|r| r.kind).collect();
    assert_eq!(
        kinds,
        ["voice", "photo", "text", "text", "text", "text", "location"],
        "{got:#?}"
    );
    assert_eq!(got[0].bytes.as_deref(), Some(&b"OggS matrix voice"[..]));
    assert_eq!(got[0].caption.as_deref(), Some("💬 Brickyard: listen"));
    // Too long for a caption: the photo, then the text.
    assert_eq!(got[1].bytes.as_deref(), Some(&photo[..]));
    assert_eq!(got[1].caption, None);
    assert!(
        got[2]
            .caption
            .as_deref()
            .unwrap()
            .starts_with("💬 Brickyard: a long")
    );
    let note = got[3].caption.as_deref().unwrap();
    assert!(
        note.contains("huge") && note.contains("[photo too big for Telegram: 11 MB]"),
        "{note}"
    );
    let named = got[4].caption.as_deref().unwrap();
    assert!(
        named.contains("[file lost.pdf]") && named.contains("could not be fetched"),
        "{named}"
    );
    assert_eq!(got[5].caption.as_deref(), Some("💬 Brickyard: we are here"));
    assert_eq!(
        run.fake.calls_to("sendPhoto").len(),
        1,
        "the 11 MB photo never sent"
    );
    assert_eq!(run.fake.calls_to("sendLocation").len(), 1);
    let to_owner = run.fake.received_media(OWNER);
    assert_eq!(
        to_owner[0].bytes.as_deref(),
        Some(&b"OggS matrix voice"[..])
    );
    // Whichever chat's worker came first uploaded; the other went by its id.
    assert!(
        to_owner[0].uploaded != got[0].uploaded,
        "one upload, one file_id: {got:#?} {to_owner:#?}"
    );
    assert_eq!(to_owner[0].file_id, got[0].file_id);
    let voices = run.fake.calls_to("sendVoice");
    assert_eq!(voices.len(), 2);
    let by_id = voices
        .iter()
        .filter(|c| {
            c.params["voice"]
                .as_str()
                .is_some_and(|v| v.ends_with("fakeFileId"))
        })
        .count();
    assert_eq!(by_id, 1, "{voices:#?}");
    assert_eq!(run.fake.uploads().0, 2, "the voice once, the photo once");
}
