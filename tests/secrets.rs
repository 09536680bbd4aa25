//! Sentinel secrets: the bot token and the payment provider token never appear
//! in the bot's log (at the most verbose level), the database, its log, or a
//! backup — also when the network fails on the way (5xx, refused connections,
//! refused requests), when teloxide's errors carry the request URL.

#[path = "support/bot_process.rs"]
mod bot_process;
mod fake_telegram;
#[path = "support/process.rs"]
mod process;

use std::path::Path;
use std::time::Duration;

use bot_process::{Shopper, copy_shop};
use fake_telegram::{FakeTelegram, Fault, Outage};

const T: Duration = Duration::from_secs(20);
/// The secret parts of the two tokens (the bot id before `:` is public).
const SENTINELS: [&str; 2] = ["TEST-token_abc", "provider-secret-PROVIDER"];

fn holders(files: &[&Path]) -> Vec<String> {
    let mut found = Vec::new();
    for file in files {
        let Ok(bytes) = std::fs::read(file) else {
            continue;
        };
        for s in SENTINELS {
            if bytes.windows(s.len()).any(|w| w == s.as_bytes()) {
                found.push(format!("{s} in {}", file.display()));
            }
        }
    }
    found
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokens_never_reach_logs_database_or_backups_even_on_network_errors() {
    let fake = FakeTelegram::start().await;
    let dir = tempfile::tempdir().unwrap();
    let shop = copy_shop("small", dir.path());
    let db = dir.path().join("shop.db");
    let env = [("RUST_LOG", "trace")];
    let bot = bot_process::start(&fake, &shop, &db, &env);
    fake.wait_for_polling(T)
        .await
        .unwrap_or_else(|e| panic!("{e}\n{}", bot.log_text()));

    // Errors on the way: the server fails, refuses connections, refuses a message.
    fake.fail_next("sendMessage", 2, Fault::ServerError(502));
    fake.fail_next(
        "sendInvoice",
        1,
        Fault::Custom {
            code: 400,
            description: "Bad Request: CURRENCY_TOTAL_AMOUNT_INVALID".into(),
        },
    );
    let dee = Shopper {
        customer: fake.customer(5005, "Dee"),
        fake: &fake,
        db: db.clone(),
        bot: &bot,
    };
    dee.say("/catalog").await;
    fake.pause_with(Outage::Refuse);
    tokio::time::sleep(Duration::from_secs(3)).await;
    fake.resume();
    for step in [
        "Cars",
        "Race Car",
        "Add to cart",
        "Checkout",
        "Pick up in the shop",
    ] {
        dee.tap(step).await;
    }
    dee.say("Dee").await;
    dee.say("600123456").await;
    dee.tap("Skip").await;
    dee.tap("Yes, please").await;
    dee.tap("Pay in Telegram").await;
    dee.tap("Confirm order").await;
    dee.sees("Your order number is #1001");
    // The refused invoice is logged (with the reason) and given up on; pay anew.
    let calls = fake.calls_to("sendInvoice");
    assert!(!calls.is_empty(), "the bot tried to send the invoice");
    let log = bot.log_text();
    assert!(
        log.contains("CURRENCY_TOTAL_AMOUNT_INVALID") || log.contains("502"),
        "the failures were logged:\n{log}"
    );

    let backup = dir.path().join("backup.db");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_shopbot"))
        .args(["backup", "--db"])
        .arg(&db)
        .arg(&backup)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    bot.terminate();
    let wal = dir.path().join("shop.db-wal");
    let log_files: Vec<std::path::PathBuf> = std::fs::read_dir(dir.path())
        .unwrap()
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "log"))
        .collect();
    assert!(!log_files.is_empty());
    let mut files: Vec<&Path> = vec![&db, &wal, &backup];
    files.extend(log_files.iter().map(std::path::PathBuf::as_path));
    let found = holders(&files);
    assert!(found.is_empty(), "secrets leaked: {found:?}");
    // The log does speak of the bot's traffic at this level (the check is not vacuous).
    assert!(bot.log_text().len() > 10_000, "a verbose log was written");
}
