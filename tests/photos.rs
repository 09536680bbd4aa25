//! Product photos uploaded once: the real `shopbot run` against the fake Bot API,
//! which counts the bytes of every uploaded file.

#[path = "support/bot_process.rs"]
mod bot_process;
mod fake_telegram;
#[path = "support/process.rs"]
mod process;

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
