//! Issue 14: the bytes of ticket attachments kept for another platform (the
//! media spool) belong to their customer. `/forget` removes that customer's
//! files — but not bytes another customer sent too — and the history purge
//! removes old ones; the rows saying whose they are go with them.

mod support;

use jiff::SignedDuration;
use shopbot::attachment::{Attachment, Media, Origin};
use shopbot::channel::Channel;
use shopbot::conversation::Input;
use shopbot::engine::Engine;
use shopbot::spool::Spool;
use support::{count, noon, press, say, small_shop, temp_db, text_of, turn};

fn photo(chat: &str, n: u32, stored: &str) -> Input {
    Input::Media(Box::new(Attachment {
        media: Media::Photo,
        caption: Some(format!("photo {n} of {chat}")),
        file_name: None,
        mime: Some("image/jpeg".into()),
        size: Some(14),
        seconds: None,
        origin: Origin {
            channel: Channel::Telegram,
            chat_id: chat.into(),
            message_id: n.to_string(),
            file: Some(format!("AgAD{n}")),
        },
        stored: Some(stored.into()),
        unfetchable: None,
        album: None,
    }))
}

#[test]
fn forgetting_one_customer_keeps_anothers_identical_file() {
    let db = temp_db();
    let mut engine = Engine::open(small_shop(), &db.path).unwrap();
    engine.set_channels(&[Channel::Telegram, Channel::Matrix]);
    let spool = Spool::beside(&db.path);
    let shared = spool.put(b"the same photo").unwrap();
    let own = spool.put(b"only ana's one").unwrap();
    for chat in ["ana", "bob"] {
        let said = text_of(&press(&mut engine, chat, "human"));
        assert!(said.contains("Ticket #"), "{said}");
    }
    turn(&mut engine, "ana", photo("ana", 1, &shared));
    turn(&mut engine, "ana", photo("ana", 2, &own));
    turn(&mut engine, "bob", photo("bob", 1, &shared));
    let rows = |engine_db: &std::path::Path| count(engine_db, "SELECT count(*) FROM spool_files");
    assert_eq!(rows(&db.path), 3);
    say(&mut engine, "ana", "/forget");
    press(&mut engine, "ana", "forget");
    assert_eq!(
        count(
            &db.path,
            "SELECT count(*) FROM spool_files WHERE chat_id = 'ana'"
        ),
        0
    );
    assert!(
        spool.path(&own).unwrap().is_none(),
        "ana's own file is gone"
    );
    assert_eq!(
        spool.read(&shared).unwrap(),
        b"the same photo",
        "bob sent the same bytes: kept"
    );
    assert_eq!(rows(&db.path), 1);
    // The purge takes bob's once it is older than the history kept.
    engine
        .tick(noon() + SignedDuration::from_hours(24 * 400))
        .unwrap();
    assert_eq!(rows(&db.path), 0);
    assert!(spool.path(&shared).unwrap().is_none());
    assert_eq!(count(&db.path, "SELECT count(*) FROM spool_trash"), 0);
}
