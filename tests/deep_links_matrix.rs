//! Deep links on a real Synapse: a customer who opened the bot's matrix.to link
//! sends `start <payload>` as the first message of a new encrypted direct room
//! and sees the product; malformed and over-long payloads get the welcome; the
//! source is counted exactly; `shopbot link` prints the same link. Skipped,
//! loudly, when no Synapse is available (see `support/synapse.rs`).

#[path = "support/matrix_customer.rs"]
mod matrix_customer;
#[path = "support/process.rs"]
mod process;
#[path = "support/synapse.rs"]
mod synapse;

use std::fmt::Write as _;
use std::path::Path;
use std::time::{Duration, Instant};

use matrix_customer::{MatrixCustomer, SeenEvent};
use matrix_sdk::ruma::{OwnedRoomId, UserId};
use process::{BotProcess, copy_shop};
use synapse::Synapse;

const T: Duration = Duration::from_mins(1);

fn count(db: &Path, sql: &str) -> i64 {
    let conn = rusqlite::Connection::open(db).expect("open db");
    conn.query_row(sql, [], |r| r.get(0)).expect("query")
}

/// A customer's new encrypted direct room with the bot, and their first message.
async fn first_message(syn: &Synapse, bot: &UserId, text: &str) -> (MatrixCustomer, OwnedRoomId) {
    let (user, password) = syn.register("customer");
    let customer = MatrixCustomer::login(syn.url(), &user, &password).await;
    let room = customer.create_dm(bot, true).await;
    customer.send_text(&room, text).await;
    (customer, room)
}

/// The bot's messages in `room` once one contains `needle`.
async fn bot_says(
    customer: &MatrixCustomer,
    room: &OwnedRoomId,
    bot: &UserId,
    needle: &str,
    log: &BotProcess,
) -> Vec<SeenEvent> {
    let deadline = Instant::now() + T;
    loop {
        let theirs: Vec<SeenEvent> = customer
            .messages(room)
            .into_iter()
            .filter(|m| m.sender == bot)
            .collect();
        if theirs.iter().any(|m| m.body.contains(needle)) {
            return theirs;
        }
        assert!(
            Instant::now() < deadline,
            "no bot message with {needle:?}\n{}\n--- bot log ---\n{}",
            customer.describe(room),
            log.log_text()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn start_with_a_payload_opens_the_product_in_a_new_direct_room() {
    let Some(syn) = Synapse::shared() else { return };
    let dir = tempfile::tempdir().unwrap();
    let (bot_user, password) = syn.register("shopbot");
    let shop = copy_shop("small", dir.path());
    std::fs::write(dir.path().join("matrix.password"), format!("{password}\n")).unwrap();
    let mut text = std::fs::read_to_string(&shop).unwrap();
    let _ = write!(
        text,
        "\n[matrix]\nhomeserver = \"{}\"\nuser = \"{bot_user}\"\npassword_file = \"matrix.password\"\n",
        syn.url()
    );
    std::fs::write(&shop, text).unwrap();
    let db = dir.path().join("shop.db");
    let bot_id = UserId::parse(bot_user.as_str()).unwrap();
    let bot = BotProcess::spawn(&shop, &db, &[]);
    let deadline = Instant::now() + T;
    while !bot.log_text().contains("matrix: listening") {
        assert!(
            Instant::now() < deadline,
            "no connection\n{}",
            bot.log_text()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    // `shopbot link` gives the room's address and the message to send.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_shopbot"))
        .args(["link", "p-castle", "--source", "window", "--out"])
        .arg(dir.path().join("qr"))
        .arg("--shop")
        .arg(&shop)
        .env_remove("SHOPBOT_TELEGRAM_TOKEN")
        .output()
        .unwrap();
    let printed = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{printed}");
    assert!(
        printed.contains(&format!("Matrix:   https://matrix.to/#/{bot_user}\n")),
        "{printed}"
    );
    assert!(
        printed.contains("then send: start p-castle_s-window "),
        "{printed}"
    );
    assert!(printed.contains("Telegram: no link"), "{printed}");
    assert!(
        dir.path()
            .join("qr/qr-p-castle_s-window-matrix.png")
            .exists()
    );

    // Sent as the room's first message, before the bot joined: the card.
    let (ana, room) = first_message(&syn, &bot_id, "start p-castle_s-window").await;
    let seen = bot_says(&ana, &room, &bot_id, "Knight's Castle", &bot).await;
    assert!(
        seen[0].body.starts_with("Hello! Welcome to Test Bricks."),
        "{seen:#?}"
    );
    let card = seen
        .iter()
        .find(|m| m.body.contains("Knight's Castle"))
        .unwrap();
    assert!(card.is_image && card.encrypted, "{card:?}");

    // Malformed, and one character too long: the welcome and the menu.
    let long = format!("start p-castle_s-{}", "a".repeat(54));
    for first in ["start p-", long.as_str(), "START p-castle_s-Window"] {
        let (bo, room) = first_message(&syn, &bot_id, first).await;
        let seen = bot_says(&bo, &room, &bot_id, "What would you like to do?", &bot).await;
        assert!(
            seen[0].body.contains("Welcome to Test Bricks"),
            "{first}: {seen:#?}"
        );
        assert!(
            seen.iter().all(|m| !m.body.contains("Knight's Castle")),
            "{first}: {seen:#?}"
        );
    }

    // Exactly one conversation from the window; three without a link.
    let conversations = |source: &str| {
        count(
            &db,
            &format!("SELECT COUNT(*) FROM events WHERE step = 'conversation' AND {source}"),
        )
    };
    assert_eq!(conversations("source = 'window'"), 1);
    assert_eq!(conversations("source IS NULL"), 3);
    assert_eq!(
        count(
            &db,
            "SELECT COUNT(*) FROM events WHERE source IS NOT NULL AND source <> 'window'"
        ),
        0
    );
}
