//! Deep links end to end on Telegram (the real `shopbot run` against the fake
//! Bot API), and `shopbot link`: the links it prints, the bot's username asked
//! of the fake with `getMe`, and the QR codes it writes (SVG and PNG, the
//! PNG's modules read back and compared with the link's code).

#[path = "support/bot_process.rs"]
mod bot_process;
mod fake_telegram;
#[path = "support/process.rs"]
mod process;

use std::path::Path;
use std::process::{Command, Output};

use bot_process::Shopper;
use fake_telegram::FakeTelegram;

fn count(db: &Path, sql: &str) -> i64 {
    let conn = rusqlite::Connection::open(db).expect("open db");
    conn.query_row(sql, [], |r| r.get(0)).expect("query")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deep_link_opens_the_product_and_counts_its_source() {
    let (fake, _dir, db, bot) = bot_process::setup("small").await;
    let ana = Shopper {
        customer: fake.customer(3001, "Ana"),
        fake: &fake,
        db: db.clone(),
        bot: &bot,
    };
    // What the Telegram app sends when a customer opens t.me/<bot>?start=…
    ana.say("/start p-castle_s-instagram").await;
    ana.sees("Welcome to Test Bricks");
    let card = ana.sees("Knight's Castle — €45.00");
    assert!(card.has_photo, "{}", ana.transcript());
    ana.tap("Add to cart").await;
    ana.sees("Added Knight's Castle to your cart");

    // Malformed and over-long payloads: the welcome and the menu, no card.
    let bo = Shopper {
        customer: fake.customer(3002, "Bo"),
        fake: &fake,
        db: db.clone(),
        bot: &bot,
    };
    bo.say("/start p-castle_s-").await;
    let long = format!("/start p-castle_s-{}", "a".repeat(54));
    bo.say(&long).await;
    let messages = bo.customer.bot_messages();
    let welcomes = messages
        .iter()
        .filter(|m| m.text.contains("Welcome to Test Bricks"))
        .count();
    assert_eq!(welcomes, 2, "{}", bo.transcript());
    assert!(
        messages.iter().all(|m| !m.text.contains("Knight's Castle")),
        "{}",
        bo.transcript()
    );

    let steps = |source: &str| {
        count(
            &db,
            &format!("SELECT COUNT(*) FROM events WHERE source = '{source}'"),
        )
    };
    assert_eq!(steps("instagram"), 2, "a conversation and a cart");
    assert_eq!(
        count(&db, "SELECT COUNT(*) FROM events WHERE source IS NULL"),
        1,
        "Bo's conversation"
    );
    let failed: Vec<_> = fake.calls().into_iter().filter(|c| !c.ok).collect();
    assert!(failed.is_empty(), "{failed:#?}");
}

/// `shopbot link …` in `dir`, with `env`.
fn link(dir: &Path, args: &[&str], env: &[(String, String)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_shopbot"));
    command
        .current_dir(dir)
        .arg("link")
        .args(args)
        .env_remove("SHOPBOT_TELEGRAM_TOKEN")
        .env_remove("TELOXIDE_API_URL")
        .env_remove("SHOPBOT_SHOP")
        .env("CREDENTIALS_DIRECTORY", dir.join("no-credentials"));
    for (key, value) in env {
        command.env(key, value);
    }
    command.output().expect("shopbot link runs")
}

fn shop_with(dir: &Path, extra: &str) {
    process::copy_shop("small", dir);
    let path = dir.join("shop.toml");
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, format!("{text}\n{extra}\n")).unwrap();
}

const MATRIX: &str =
    "[matrix]\nhomeserver = \"https://matrix.example.org\"\nuser = \"@shop:example.org\"";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shopbot_link_asks_telegram_for_the_username_and_never_shows_the_token() {
    let fake = FakeTelegram::start().await;
    let api = fake.api_url();
    let dir = tempfile::tempdir().unwrap();
    shop_with(dir.path(), "");
    let env = [
        (
            "SHOPBOT_TELEGRAM_TOKEN".to_owned(),
            FakeTelegram::TOKEN.to_owned(),
        ),
        ("TELOXIDE_API_URL".to_owned(), api.clone()),
    ];
    let out = tokio::task::spawn_blocking({
        let dir = dir.path().to_owned();
        move || link(&dir, &["p-castle", "--source", "instagram"], &env)
    })
    .await
    .unwrap();
    let printed = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{printed}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let expected = format!(
        "https://t.me/{}?start=p-castle_s-instagram",
        FakeTelegram::BOT_USERNAME
    );
    assert!(printed.contains(&expected), "{printed}");
    assert_eq!(fake.calls_to("getMe").len(), 1);

    // A refused token: no Telegram link, the reason, and never the token.
    let wrong = "654321:WRONG-secret-token";
    let env = [
        ("SHOPBOT_TELEGRAM_TOKEN".to_owned(), wrong.to_owned()),
        ("TELOXIDE_API_URL".to_owned(), api.clone()),
    ];
    let out = tokio::task::spawn_blocking({
        let dir = dir.path().to_owned();
        move || link(&dir, &["finder"], &env)
    })
    .await
    .unwrap();
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(out.status.code(), Some(1), "{all}");
    assert!(all.contains("no channel to link to"), "{all}");
    assert!(
        all.contains("Telegram: no link: Telegram did not say the bot's username"),
        "{all}"
    );
    assert!(
        !all.contains(wrong) && !all.contains("WRONG-secret"),
        "{all}"
    );
}

#[test]
fn shopbot_link_names_what_is_wrong() {
    let dir = tempfile::tempdir().unwrap();
    shop_with(dir.path(), "[telegram]\nusername = \"TestBricksBot\"");
    let long_tag = "x".repeat(25);
    let cases = [
        (
            vec!["p-castel"],
            "there is no product `castel` in the shop file; did you mean `castle`?",
        ),
        (
            vec!["c-car"],
            "there is no category `car` in the shop file; did you mean `cars`?",
        ),
        (vec!["castle"], "`castle` is a product: write `p-castle`"),
        (
            vec!["dragons!"],
            "cannot tell what `dragons!` is; write p-PRODUCT_ID, c-CATEGORY_ID, finder or menu",
        ),
        (
            vec!["finder", "--source", "Shop Window"],
            "--source \"Shop Window\": the character 'S' is not allowed in a source tag (only a-z 0-9 -)",
        ),
        (
            vec!["finder", "--source", &long_tag],
            "a source tag has 1–24 characters, not 25",
        ),
    ];
    for (args, message) in cases {
        let out = link(dir.path(), &args, &[]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {stderr}");
        assert!(stderr.contains(message), "{args:?}: {stderr}");
        assert!(out.stdout.is_empty(), "{args:?}");
    }
    // A bad username in the shop file is the shop file's error (exit 2).
    let bad = tempfile::tempdir().unwrap();
    shop_with(bad.path(), "[telegram]\nusername = \"my shop\"");
    let out = link(bad.path(), &["finder"], &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("telegram.username"));
    // Neither a username, a token nor a Matrix account: nothing to link to.
    let none = tempfile::tempdir().unwrap();
    shop_with(none.path(), "");
    let out = link(none.path(), &["finder"], &[]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("error: no channel to link to"), "{stderr}");
    assert!(
        stderr.contains("add `username = \"YourShopBot\"` under [telegram]")
            || stderr.contains("Add `username = \"YourShopBot\"` under [telegram]"),
        "{stderr}"
    );
}

#[path = "deep_links_telegram/qr_files.rs"]
mod qr_files;
