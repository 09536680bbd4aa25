//! Product photos uploaded once: the real `shopbot run` against the fake Bot API,
//! which counts the bytes of every uploaded file.

#[path = "support/bot_process.rs"]
mod bot_process;
mod fake_telegram;
#[path = "support/matrix_customer.rs"]
mod matrix_customer;
#[path = "support/process.rs"]
mod process;
#[path = "support/synapse.rs"]
mod synapse;

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

use bot_process::{BotProcess, copy_shop, settle};
use fake_telegram::{FakeTelegram, PhotoSource, Seen, png_header};

const T: Duration = Duration::from_secs(30);
/// A realistic product photo: about 300 KB.
const PHOTO_BYTES: usize = 300 * 1024;
/// One product (with its own photo) per animal; its name is the search word.
const ANIMALS: [&str; 5] = ["zebra", "giraffe", "pelican", "walrus", "octopus"];
const UNPACED: [(&str, &str); 1] = [("SHOPBOT_TELEGRAM_RATE_LIMIT", "off")];

/// A PNG the fake accepts, padded to `PHOTO_BYTES` with bytes that differ by `seed`.
fn photo(seed: u8, extra: usize) -> Vec<u8> {
    let mut data = png_header(1280, 960);
    let mut x = u32::from(seed).wrapping_mul(2_654_435_761).wrapping_add(1);
    while data.len() < PHOTO_BYTES + extra {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        data.push(x.to_le_bytes()[0]);
    }
    data
}

/// The small test shop, one card per search, plus a product with a photo per animal.
fn shop(dir: &Path) -> PathBuf {
    let path = copy_shop("small", dir);
    let mut toml = std::fs::read_to_string(&path)
        .expect("shop")
        .replace("page_size = 2", "page_size = 1");
    for (i, animal) in ANIMALS.iter().enumerate() {
        let file = format!("images/{animal}.png");
        std::fs::write(dir.join(&file), photo(u8::try_from(i).expect("few"), 0)).expect("photo");
        let _ = write!(
            toml,
            "\n[[products]]\nid = \"{animal}\"\nname = \"{animal} puzzle\"\n\
             description = \"A puzzle.\"\nprice = 9.00\nstock = 100\ncategory = \"cars\"\n\
             image = \"{file}\"\n"
        );
    }
    // An array of tables may continue after other tables: appending is fine.
    std::fs::write(&path, toml).expect("write shop");
    path
}

async fn setup() -> (
    FakeTelegram,
    tempfile::TempDir,
    PathBuf,
    PathBuf,
    BotProcess,
) {
    let fake = FakeTelegram::start().await;
    fake.set_strict(false);
    let dir = tempfile::tempdir().expect("temp dir");
    let shop = shop(dir.path());
    let db = dir.path().join("shop.db");
    let bot = bot_process::start_polling(&fake, &shop, &db, &UNPACED).await;
    (fake, dir, shop, db, bot)
}

fn cards(messages: &[Seen]) -> Vec<&Seen> {
    messages
        .iter()
        .filter(|m| m.from_bot && m.text.contains("puzzle") && m.text.contains('9'))
        .collect()
}

/// One customer searches `animal` and sees its card, with its photo.
async fn search(fake: &FakeTelegram, db: &Path, bot: &BotProcess, id: i64, animal: &str) -> Seen {
    let customer = fake.customer(id, "Ana");
    let before = cards(&customer.bot_messages()).len();
    customer.send_text(animal);
    settle(fake, db).await;
    let messages = customer.bot_messages();
    let shown = cards(&messages);
    assert_eq!(shown.len(), before + 1, "one more card\n{}", bot.log_text());
    let card = shown.last().expect("card");
    assert!(card.has_photo, "the card shows its photo: {card:?}");
    assert!(card.text.to_lowercase().contains(animal));
    (*card).clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_card_views_upload_each_image_once() {
    let (fake, dir, _shop, db, mut bot) = setup().await;
    let customers: Vec<_> = (0..100)
        .map(|i| fake.customer(5000 + i, &format!("Customer {i}")))
        .collect();
    for c in &customers {
        c.send_text("/start");
    }
    for round in 0..10 {
        for (i, c) in customers.iter().enumerate() {
            c.send_text(ANIMALS[(i + round) % ANIMALS.len()]);
        }
    }
    settle(&fake, &db).await;
    let mut views = 0;
    let mut by_upload = 0;
    for c in &customers {
        let messages = c.bot_messages();
        let shown = cards(&messages);
        assert_eq!(shown.len(), 10, "{}", bot.log_text());
        for card in shown {
            assert!(card.has_photo, "{card:?}");
            views += 1;
            if matches!(card.photo, Some(PhotoSource::Upload { .. })) {
                by_upload += 1;
            }
        }
    }
    assert_eq!(views, 1000);
    let (uploads, bytes) = fake.uploads();
    let sizes: u64 = ANIMALS
        .iter()
        .map(|a| {
            std::fs::metadata(dir.path().join(format!("images/{a}.png")))
                .expect("photo")
                .len()
        })
        .sum();
    assert_eq!(uploads, 5, "one upload per distinct image");
    assert_eq!(by_upload, 5);
    assert_eq!(bytes, sizes);
    // What sending the file with every card (the code before) uploads for the same run.
    let every_card = sizes / 5 * 1000;
    eprintln!(
        "photos: {views} card views, {uploads} uploads, {bytes} bytes uploaded \
         (one upload per card: {every_card} bytes)"
    );
    bot.terminate();
    bot.wait_exit(T);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_image_changed_on_disk_is_uploaded_once_more() {
    let (fake, dir, _shop, db, mut bot) = setup().await;
    search(&fake, &db, &bot, 1001, "zebra").await;
    search(&fake, &db, &bot, 1002, "zebra").await;
    assert_eq!(fake.uploads().0, 1);
    // The same size, other bytes: only the hash tells.
    std::fs::write(dir.path().join("images/zebra.png"), photo(200, 0)).expect("rewrite");
    let changed = search(&fake, &db, &bot, 1001, "zebra").await;
    assert!(matches!(changed.photo, Some(PhotoSource::Upload { .. })));
    search(&fake, &db, &bot, 1003, "zebra").await;
    // Changed again, larger this time.
    std::fs::write(dir.path().join("images/zebra.png"), photo(201, 1000)).expect("rewrite");
    search(&fake, &db, &bot, 1003, "zebra").await;
    search(&fake, &db, &bot, 1004, "zebra").await;
    let (uploads, bytes) = fake.uploads();
    assert_eq!(uploads, 3, "{}", bot.log_text());
    assert_eq!(bytes, 3 * PHOTO_BYTES as u64 + 1000);
    bot.terminate();
    bot.wait_exit(T);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_file_id_is_forgotten_and_the_image_uploaded_again() {
    let (fake, _dir, _shop, db, mut bot) = setup().await;
    search(&fake, &db, &bot, 1001, "walrus").await;
    let by_id = search(&fake, &db, &bot, 1002, "walrus").await;
    assert!(
        matches!(by_id.photo, Some(PhotoSource::FileId(_))),
        "{by_id:?}"
    );
    fake.forget_file_ids();
    // The kept id is refused: the card still comes with its photo, uploaded again.
    let again = search(&fake, &db, &bot, 1003, "walrus").await;
    assert!(
        matches!(again.photo, Some(PhotoSource::Upload { .. })),
        "{again:?}"
    );
    let refused = fake
        .calls_to("sendPhoto")
        .iter()
        .filter(|c| {
            c.error
                .as_deref()
                .is_some_and(|e| e.contains("wrong file identifier"))
        })
        .count();
    assert_eq!(refused, 1, "the id was tried once");
    // And the new id is used from then on.
    let next = search(&fake, &db, &bot, 1004, "walrus").await;
    assert!(
        matches!(next.photo, Some(PhotoSource::FileId(_))),
        "{next:?}"
    );
    assert_eq!(fake.uploads().0, 2);
    bot.terminate();
    bot.wait_exit(T);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_id_survives_kill_9() {
    let (fake, _dir, shop, db, mut bot) = setup().await;
    search(&fake, &db, &bot, 1001, "octopus").await;
    assert_eq!(fake.uploads().0, 1);
    bot.kill9();
    let mut bot = bot_process::start_polling(&fake, &shop, &db, &UNPACED).await;
    let card = search(&fake, &db, &bot, 1002, "octopus").await;
    assert!(
        matches!(card.photo, Some(PhotoSource::FileId(_))),
        "{card:?}"
    );
    assert_eq!(fake.uploads().0, 1, "no upload after the restart");
    bot.terminate();
    bot.wait_exit(T);
}

/// Matrix: the real bot on a real Synapse, customers with real (encrypting) clients.
mod matrix {
    use std::fmt::Write as _;
    use std::path::Path;
    use std::time::{Duration, Instant};

    use matrix_sdk::media::{MediaFormat, MediaRequestParameters};
    use matrix_sdk::ruma::events::room::MediaSource;
    use matrix_sdk::ruma::events::room::message::ImageMessageEventContent;
    use matrix_sdk::ruma::{OwnedRoomId, UserId};

    use super::matrix_customer::{MatrixCustomer, SeenEvent};
    use super::process::BotProcess;
    use super::synapse::Synapse;

    const T: Duration = Duration::from_mins(1);

    fn shopbot_sha256(data: &[u8]) -> String {
        use sha2::Digest as _;
        sha2::Sha256::digest(data)
            .iter()
            .fold(String::new(), |mut out, b| {
                let _ = write!(out, "{b:02x}");
                out
            })
    }

    /// Files the account uploaded to the homeserver, and their bytes (Synapse's
    /// own table of local media).
    fn uploads_by(syn: &Synapse, user: &str) -> (i64, i64) {
        let conn = rusqlite::Connection::open_with_flags(
            syn.dir().join("homeserver.db"),
            rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
        )
        .expect("synapse db");
        conn.query_row(
            "SELECT COUNT(*), COALESCE(SUM(media_length), 0) FROM local_media_repository
             WHERE user_id = ?1",
            [user],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .expect("media count")
    }

    async fn start_bot(shop: &Path, db: &Path) -> BotProcess {
        let bot = BotProcess::spawn(shop, db, &[]);
        let deadline = Instant::now() + T;
        while !bot.log_text().contains("matrix: listening") {
            assert!(
                Instant::now() < deadline,
                "not connected\n{}",
                bot.log_text()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        bot
    }

    struct Chat {
        customer: MatrixCustomer,
        room: OwnedRoomId,
    }

    impl Chat {
        async fn open(syn: &Synapse, bot: &UserId, encrypted: bool) -> Self {
            let (user, password) = syn.register("customer");
            let customer = MatrixCustomer::login(syn.url(), &user, &password).await;
            let room = customer.create_dm(bot, encrypted).await;
            Self { customer, room }
        }

        /// Searches `animal`; the card it gets, an image.
        async fn card(&self, bot: &UserId, animal: &str, log: &BotProcess) -> SeenEvent {
            let before = self.customer.messages(&self.room).len();
            self.customer.send_text(&self.room, animal).await;
            let deadline = Instant::now() + T;
            loop {
                let found = self
                    .customer
                    .messages(&self.room)
                    .into_iter()
                    .skip(before)
                    .find(|m| m.sender == bot && m.body.contains(&format!("{animal} puzzle")));
                if let Some(card) = found {
                    assert!(card.is_image, "{card:?}");
                    return card;
                }
                assert!(
                    Instant::now() < deadline,
                    "no card\n{}\n{}",
                    self.customer.describe(&self.room),
                    log.log_text()
                );
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }

        /// The image of `card` as this customer's client downloads (and decrypts) it.
        async fn image_of(&self, card: &SeenEvent) -> (MediaSource, Vec<u8>) {
            let content: ImageMessageEventContent =
                serde_json::from_value(card.content.clone()).expect("m.image content");
            let request = MediaRequestParameters {
                source: content.source.clone(),
                format: MediaFormat::File,
            };
            let bytes = self
                .customer
                .client()
                .media()
                .get_media_content(&request, false)
                .await
                .expect("download");
            (content.source, bytes)
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn each_image_is_uploaded_once_per_homeserver_and_reused_encrypted() {
        let Some(syn) = Synapse::shared() else { return };
        let dir = tempfile::tempdir().expect("temp dir");
        let shop = super::shop(dir.path());
        let (bot_id, password) = syn.register("shopbot");
        std::fs::write(dir.path().join("matrix.password"), format!("{password}\n")).expect("pw");
        let mut text = std::fs::read_to_string(&shop).expect("shop");
        let _ = write!(
            text,
            "\n[matrix]\nhomeserver = \"{}\"\nuser = \"{bot_id}\"\npassword_file = \"matrix.password\"\n",
            syn.url()
        );
        std::fs::write(&shop, text).expect("shop");
        let db = dir.path().join("shop.db");
        let bot = UserId::parse(bot_id.as_str()).expect("user id");
        let mut log = start_bot(&shop, &db).await;

        // Rooms in the clear: one upload per image, the same mxc in every room.
        let plain = [
            Chat::open(&syn, &bot, false).await,
            Chat::open(&syn, &bot, false).await,
            Chat::open(&syn, &bot, false).await,
        ];
        let zebra = std::fs::read(dir.path().join("images/zebra.png")).expect("zebra");
        let mut sources = Vec::new();
        for chat in &plain {
            for animal in ["zebra", "giraffe", "zebra"] {
                let card = chat.card(&bot, animal, &log).await;
                assert!(!card.encrypted);
                if animal == "zebra" {
                    let (source, bytes) = chat.image_of(&card).await;
                    let MediaSource::Plain(uri) = source else {
                        panic!("not a plain upload: {source:?}")
                    };
                    assert!(bytes == zebra, "the customer sees the zebra");
                    sources.push(uri);
                }
            }
        }
        assert!(
            sources.windows(2).all(|w| w[0] == w[1]),
            "one mxc: {sources:?}"
        );
        let (count, bytes) = uploads_by(&syn, bot.as_str());
        assert_eq!(count, 2, "9 cards, 2 images, 2 uploads\n{}", log.log_text());
        eprintln!("photos (matrix, clear): 9 cards, {count} uploads, {bytes} bytes");

        // Encrypted rooms: the first card encrypts and uploads; the others send the
        // same encrypted upload, its key inside each encrypted event.
        let secret = [
            Chat::open(&syn, &bot, true).await,
            Chat::open(&syn, &bot, true).await,
        ];
        let pelican = std::fs::read(dir.path().join("images/pelican.png")).expect("pelican");
        let mut urls = Vec::new();
        for chat in &secret {
            for _ in 0..2 {
                let card = chat.card(&bot, "pelican", &log).await;
                assert!(card.encrypted, "{card:?}");
                let (source, bytes) = chat.image_of(&card).await;
                let MediaSource::Encrypted(file) = source else {
                    panic!("not an encrypted upload: {source:?}")
                };
                assert!(bytes == pelican, "the customer decrypts the pelican");
                urls.push(file.url.clone());
            }
        }
        assert!(
            urls.windows(2).all(|w| w[0] == w[1]),
            "one upload: {urls:?}"
        );
        let (count, bytes) = uploads_by(&syn, bot.as_str());
        assert_eq!(
            count,
            3,
            "4 encrypted cards, 1 more upload\n{}",
            log.log_text()
        );
        eprintln!("photos (matrix, with encrypted): 13 cards, {count} uploads, {bytes} bytes");

        // A kept mxc the homeserver no longer has: checked at the next start,
        // and the image uploaded again.
        log.terminate();
        log.wait_exit(T);
        let changed = rusqlite::Connection::open(&db)
            .expect("db")
            .execute(
                "UPDATE media SET ref = 'mxc://localhost/gone' WHERE kind = 'mxc' AND sha256 = ?1",
                [shopbot_sha256(&zebra)],
            )
            .expect("update");
        assert_eq!(changed, 1);
        let mut log = start_bot(&shop, &db).await;
        let card = plain[0].card(&bot, "zebra", &log).await;
        let (_, bytes) = plain[0].image_of(&card).await;
        assert!(bytes == zebra, "the customer sees the zebra again");
        assert_eq!(uploads_by(&syn, bot.as_str()).0, 4, "{}", log.log_text());
        plain[1].card(&bot, "zebra", &log).await;
        assert_eq!(uploads_by(&syn, bot.as_str()).0, 4, "and then reused");
        log.terminate();
        log.wait_exit(T);
    }
}
