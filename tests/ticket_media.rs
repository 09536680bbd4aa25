//! Issue 14 on Telegram: photos, voice notes, files, places, contacts and
//! albums in tickets, both ways, with the real `shopbot run` against the fake
//! Bot API. Same platform: copied (`copyMessage`), never uploaded again, with
//! the customer's name and ticket number as the caption. From another platform
//! (an outbox row whose bytes are in the spool): uploaded with the method of
//! its kind and the exact bytes, or named in text when it cannot be carried.

#[path = "support/bot_process.rs"]
mod bot_process;
mod fake_telegram;
#[path = "support/process.rs"]
mod process;

use std::path::{Path, PathBuf};
use std::time::Duration;

use bot_process::{BotProcess, copy_shop, settle};
use fake_telegram::{Customer, FakeTelegram, Fault, Kind, Received};

const T: Duration = Duration::from_secs(30);
const OWNER: i64 = 111_111;
const OWNERS_GROUP: i64 = -1_005_555;
const NO_OWNERS: &str = "[owners]\ntelegram = []\nmatrix = []";
const ENV: [(&str, &str); 1] = [("SHOPBOT_TELEGRAM_RATE_LIMIT", "off")];

/// One bot against one fake, restartable.
struct Run {
    fake: FakeTelegram,
    _dir: tempfile::TempDir,
    shop: PathBuf,
    db: PathBuf,
    bot: BotProcess,
    /// Where the owners read: the owner's private chat or the owners' group.
    owners_chat: i64,
}

impl Run {
    async fn start(in_group: bool) -> Self {
        let fake = FakeTelegram::start().await;
        fake.set_strict(false);
        let dir = tempfile::tempdir().expect("temp dir");
        let shop = copy_shop("small", dir.path());
        let text = std::fs::read_to_string(&shop).expect("read shop");
        assert!(text.contains(NO_OWNERS), "small.toml has no empty [owners]");
        let mut owners = format!("[owners]\ntelegram = [{OWNER}]\nmatrix = []");
        if in_group {
            owners = format!("{owners}\ntelegram_chat = {OWNERS_GROUP}");
            fake.group(OWNERS_GROUP, "Brickyard team");
        }
        std::fs::write(&shop, text.replace(NO_OWNERS, &owners)).expect("write shop");
        fake.customer(OWNER, "Boss");
        let db = dir.path().join("shop.db");
        let bot = bot_process::start_polling(&fake, &shop, &db, &ENV).await;
        Self {
            fake,
            _dir: dir,
            shop,
            db,
            bot,
            owners_chat: if in_group { OWNERS_GROUP } else { OWNER },
        }
    }

    /// The owner, where they read the notices.
    fn owner(&self) -> Customer {
        if self.owners_chat == OWNER {
            self.fake.customer(OWNER, "Boss")
        } else {
            self.fake
                .group(OWNERS_GROUP, "Brickyard team")
                .member(OWNER, "Boss")
        }
    }

    async fn restart(&mut self) {
        self.bot = bot_process::start_polling(&self.fake, &self.shop, &self.db, &ENV).await;
    }

    fn log(&self) -> String {
        let text = self.bot.log_text();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(80)..].join("\n")
    }

    /// The customer opens a ticket; returns its number.
    async fn open_ticket(&self, who: &Customer) -> u32 {
        let sent = who.send_text("/start");
        who.wait_for_messages(T, |chat| {
            chat.iter().any(|m| {
                m.from_bot
                    && m.message_id > sent
                    && m.all_buttons().any(|(t, _)| t.contains("Talk to a person"))
            })
        })
        .await
        .unwrap_or_else(|e| panic!("{e}\n{}", self.log()));
        who.press_button("Talk to a person")
            .unwrap_or_else(|e| panic!("{e}"));
        let seen = who
            .wait_for_text_after(sent, "Ticket #", T)
            .await
            .unwrap_or_else(|e| panic!("{e}\n{}", self.log()));
        let rest = seen.text.split("Ticket #").nth(1).unwrap_or_default();
        let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
        let number: u32 = digits.parse().expect("a ticket number");
        // And the owners have its notice: nothing of the ticket is still queued.
        let notice = format!("🎫 Ticket #{number}");
        let deadline = tokio::time::Instant::now() + T;
        while !self
            .fake
            .received(self.owners_chat)
            .iter()
            .any(|r| r.caption.as_deref().is_some_and(|c| c.starts_with(&notice)))
        {
            assert!(
                tokio::time::Instant::now() < deadline,
                "no {notice} for the owners\n{}",
                self.log()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        number
    }

    /// Waits until the owners' chat received `count` media messages; returns them.
    async fn owners_media(&self, count: usize) -> Vec<Received> {
        self.media_of(self.owners_chat, count).await
    }

    async fn media_of(&self, chat: i64, count: usize) -> Vec<Received> {
        let deadline = tokio::time::Instant::now() + T;
        loop {
            let got = self.fake.received_media(chat);
            if got.len() >= count {
                return got;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "chat {chat} received {} media of {count}: {got:#?}\n{}",
                got.len(),
                self.log()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Methods that upload bytes or send by `file_id` (none for copies).
    fn uploads(&self) -> usize {
        [
            "sendPhoto",
            "sendDocument",
            "sendVoice",
            "sendAudio",
            "sendVideo",
            "sendVideoNote",
            "sendAnimation",
            "sendSticker",
        ]
        .iter()
        .map(|m| self.fake.calls_to(m).len())
        .sum()
    }
}

/// A PNG the fake can read (sendPhoto checks dimensions).
fn png(seed: u8, len: usize) -> Vec<u8> {
    let mut data = fake_telegram::png_header(800, 600);
    data.resize(len, seed);
    data
}

async fn customers_media_reach_the_owners_copied(in_group: bool) {
    let run = Run::start(in_group).await;
    let ana = run.fake.customer(1001, "Ana");
    let ticket = run.open_ticket(&ana).await;
    let tag = format!("#{ticket} · Ana");
    let photo = ana.send_media(Kind::Photo, b"jpeg of a broken box", Some("the box 📦"));
    let voice = ana.send_media(Kind::Voice, b"ogg voice", None);
    let document = ana.send_document("invoice.pdf", b"%PDF-1.4 invoice", None);
    let place = ana.send_location(44.426_767, 26.102_538);
    let card = ana.send_contact("+40 700 000 000", "Ion");
    let album = ana.send_album(&[b"first", b"second", b"third"], Some("all three"));
    let got = run.owners_media(8).await;
    let sources: Vec<i64> = got
        .iter()
        .map(|r| r.copied_from.expect("copied").1)
        .collect();
    let mut expected = vec![photo, voice, document, place, card];
    expected.extend(&album);
    assert_eq!(sources, expected, "every one, in order: {got:#?}");
    assert!(got.iter().all(|r| r.copied_from.map(|c| c.0) == Some(1001)));
    assert_eq!(run.uploads(), 0, "nothing uploaded again");
    assert_eq!(run.fake.calls_to("copyMessage").len(), 8);
    let kinds: Vec<&str> = got.iter().map(|r| r.kind).collect();
    assert_eq!(
        kinds,
        [
            "photo", "voice", "document", "location", "contact", "photo", "photo", "photo"
        ]
    );
    // Captioned with the customer's name and the ticket (a place or a contact
    // takes none: the text comes right before it).
    let caption = |i: usize| got[i].caption.clone().unwrap_or_default();
    assert!(
        caption(0).contains(&tag) && caption(0).contains("the box 📦"),
        "{}",
        caption(0)
    );
    assert!(caption(1).contains(&tag) && caption(1).contains("[voice note]"));
    assert!(caption(2).contains("[file invoice.pdf]"), "{}", caption(2));
    assert!(caption(5).contains("all three") && caption(7).contains(&tag));
    assert_eq!(got[0].bytes.as_deref(), Some(&b"jpeg of a broken box"[..]));
    let all = run.fake.received(run.owners_chat);
    for r in [&got[3], &got[4]] {
        assert_eq!(r.caption, None);
        let at = all
            .iter()
            .position(|m| m.message_id == r.message_id)
            .unwrap();
        let before = all[at - 1].caption.clone().unwrap_or_default();
        assert!(before.contains(&tag), "{before:?} before the {}", r.kind);
    }
    assert!(
        all[all
            .iter()
            .position(|m| m.message_id == got[3].message_id)
            .unwrap()
            - 1]
        .caption
        .as_deref()
        .unwrap_or_default()
        .contains("[location 44.426767, 26.102538]")
    );

    // The owner answers the relayed photo with a photo: the customer gets it copied.
    let owner = run.owner();
    let before = run.fake.received_media(1001).len();
    owner.reply_media(
        got[0].message_id,
        Kind::Photo,
        b"the blue one",
        Some("blue? 💙"),
    );
    let to_ana = run.media_of(1001, before + 1).await;
    let answer = to_ana.last().unwrap();
    assert_eq!(answer.kind, "photo");
    assert_eq!(answer.copied_from.map(|c| c.0), Some(run.owners_chat));
    assert_eq!(answer.bytes.as_deref(), Some(&b"the blue one"[..]));
    assert!(
        answer
            .caption
            .as_deref()
            .unwrap_or_default()
            .contains("blue? 💙")
    );
    assert_eq!(run.uploads(), 0);
    settle(&run.fake, &run.db).await;
    // Each relayed once.
    assert_eq!(run.fake.received_media(run.owners_chat).len(), 8);
    assert_eq!(run.fake.received_media(1001).len(), before + 1);
}

#[tokio::test]
async fn a_customers_media_reach_the_owner_in_private_and_the_answer_comes_back() {
    customers_media_reach_the_owners_copied(false).await;
}

#[tokio::test]
async fn a_customers_media_reach_the_owners_group_and_the_answer_comes_back() {
    customers_media_reach_the_owners_copied(true).await;
}

#[tokio::test]
async fn media_outside_a_ticket_gets_the_helpful_answer_and_goes_nowhere() {
    let run = Run::start(false).await;
    let bob = run.fake.customer(1002, "Bob");
    let sent = bob.send_media(Kind::Photo, b"a photo", None);
    bob.wait_for_text_after(sent, "I can't look at photos", T)
        .await
        .unwrap_or_else(|e| panic!("{e}\n{}", run.log()));
    let sent = bob.send_media(Kind::Voice, b"a voice", None);
    bob.wait_for_text_after(sent, "Talk to a person", T)
        .await
        .unwrap_or_else(|e| panic!("{e}\n{}", run.log()));
    settle(&run.fake, &run.db).await;
    assert!(run.fake.received_media(OWNER).is_empty());
    assert_eq!(run.fake.calls_to("copyMessage").len(), 0);
    // In the owners' group, media that answers nothing of ours is not seen at all.
    let run = Run::start(true).await;
    let owner = run.owner();
    owner.send_media(Kind::Photo, b"team photo", None);
    owner.send_text("/tickets");
    run.fake
        .wait_for_calls("sendMessage", 1, T)
        .await
        .unwrap_or_else(|e| panic!("{e}\n{}", run.log()));
    settle(&run.fake, &run.db).await;
    assert!(
        run.fake.received(OWNERS_GROUP).iter().all(|m| !m
            .caption
            .as_deref()
            .unwrap_or_default()
            .contains("can't look")),
        "{:#?}",
        run.fake.received(OWNERS_GROUP)
    );
}

#[tokio::test]
async fn duplicate_updates_relay_once_and_a_kill_between_turn_and_send_delivers_once() {
    let mut run = Run::start(false).await;
    let ana = run.fake.customer(1001, "Ana");
    let ticket = run.open_ticket(&ana).await;
    run.fake.duplicate_updates(true);
    ana.send_media(Kind::Voice, b"once", None);
    run.owners_media(1).await;
    settle(&run.fake, &run.db).await;
    assert_eq!(run.fake.received_media(OWNER).len(), 1);
    run.fake.duplicate_updates(false);

    // The owner's chat answers "wait" so the turn is committed but not sent; kill -9.
    run.fake
        .fail_chat(OWNER, Fault::TooManyRequests { retry_after: 60 });
    let doc = ana.send_document("plan.pdf", b"%PDF plan", Some("the plan"));
    let deadline = tokio::time::Instant::now() + T;
    let of_doc = |c: &fake_telegram::Call| {
        let id = &c.params["message_id"];
        !c.ok && (id.as_i64() == Some(doc) || id.as_str() == Some(doc.to_string().as_str()))
    };
    while !run.fake.calls_to("copyMessage").iter().any(of_doc) {
        assert!(tokio::time::Instant::now() < deadline, "{}", run.log());
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    run.bot.kill9();
    run.fake.clear_faults();
    run.restart().await;
    let got = run.owners_media(2).await;
    settle(&run.fake, &run.db).await;
    let got_now = run.fake.received_media(OWNER);
    assert_eq!(got_now.len(), 2, "{got:#?}");
    assert_eq!(got_now[1].copied_from, Some((1001, doc)));
    assert!(
        got_now[1]
            .caption
            .as_deref()
            .unwrap_or_default()
            .contains(&format!("#{ticket} · Ana"))
    );
}

#[tokio::test]
async fn a_copy_of_a_deleted_message_is_named_in_text_once() {
    let run = Run::start(false).await;
    let ana = run.fake.customer(1001, "Ana");
    let ticket = run.open_ticket(&ana).await;
    // The owner's chat holds the notice back while the customer deletes the photo.
    run.fake
        .fail_chat(OWNER, Fault::TooManyRequests { retry_after: 2 });
    let photo = ana.send_media(Kind::Photo, b"oops", Some("wrong one"));
    run.fake.delete_message(1001, photo);
    run.fake
        .wait_for_calls("copyMessage", 1, T)
        .await
        .unwrap_or_else(|e| panic!("{e}\n{}", run.log()));
    run.fake.clear_faults();
    let owner = run.owner();
    owner
        .wait_for_text("no longer available", T)
        .await
        .unwrap_or_else(|e| panic!("{e}\n{}", run.log()));
    settle(&run.fake, &run.db).await;
    let texts: Vec<String> = run
        .fake
        .received(OWNER)
        .into_iter()
        .filter_map(|r| r.caption)
        .filter(|c| c.contains("wrong one"))
        .collect();
    assert_eq!(texts.len(), 1, "{texts:#?}");
    assert!(texts[0].contains(&format!("#{ticket} · Ana: [photo] wrong one")));
    assert!(
        run.fake
            .calls_to("copyMessage")
            .iter()
            .filter(|c| c.error.as_deref() == Some("Bad Request: message to copy not found"))
            .count()
            <= 1,
        "never a loop"
    );
}

// Attachments from another platform, uploaded from the spool.
#[path = "ticket_media/from_elsewhere.rs"]
mod from_elsewhere;
