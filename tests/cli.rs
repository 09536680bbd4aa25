//! The `shopbot` binary as a user runs it: chat with piped input, orders, check, init.

use std::io::Write;
use std::process::{Command, Output, Stdio};

fn shopbot(args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_shopbot"))
        .args(args)
        .env_remove("SHOPBOT_SHOP")
        .env_remove("SHOPBOT_DB")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("shopbot starts");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin.as_bytes())
        .expect("write stdin");
    child.wait_with_output().expect("shopbot ends")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

const SMALL: &str = "tests/fixtures/shops/small.toml";

#[test]
fn chat_with_piped_input_places_an_order_and_orders_lists_it() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("shop.db");
    let db = db.to_str().unwrap();
    let script = "/catalog\n2\n1\nAdd to cart\n2\n1\nAna \"Quotes\", Pop\n+34 600 123 456\nCalle Mayor 5, Madrid\n=1+1\n2\n1\n1\n";
    let out = shopbot(&["chat", "--shop", SMALL, "--db", db], script);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let shown = text(&out.stdout);
    assert!(shown.contains("Your order number is #1001"), "{shown}");

    let out = shopbot(&["orders", "--shop", SMALL, "--db", db], "");
    assert!(out.status.success(), "{}", text(&out.stderr));
    let table = text(&out.stdout);
    assert!(table.contains("#1001"), "{table}");
    assert!(table.contains("Race Car x1"), "{table}");
    assert!(table.contains("1 order(s)."), "{table}");

    let out = shopbot(&["orders", "--shop", SMALL, "--db", db, "--csv"], "");
    assert!(out.status.success(), "{}", text(&out.stderr));
    let csv = text(&out.stdout);
    let mut lines = csv.lines();
    assert!(
        lines
            .next()
            .unwrap()
            .starts_with("number,created_at,status,channel")
    );
    let row = lines.next().unwrap();
    assert!(row.starts_with("1001,"), "{row}");
    assert!(row.contains("\"Ana \"\"Quotes\"\", Pop\""), "{row}");
    assert!(row.contains(",'=1+1,"), "formula defused: {row}");
    assert!(row.contains(",16.90,EUR,"), "{row}");
    assert_eq!(lines.next(), None);

    let out = shopbot(
        &["orders", "--shop", SMALL, "--db", db, "--status", "shipped"],
        "",
    );
    assert!(text(&out.stdout).contains("No orders yet."));

    // A misspelt status is said, not answered with "No orders yet.".
    let out = shopbot(
        &["orders", "--shop", SMALL, "--db", db, "--status", "shiped"],
        "",
    );
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(
        err.contains("unknown order status \"shiped\"") && err.contains("shipped"),
        "{err}"
    );
    assert!(!text(&out.stdout).contains("No orders yet."));
}

#[test]
fn chat_resumes_after_quitting_mid_checkout() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("shop.db");
    let db = db.to_str().unwrap();
    let out = shopbot(
        &["chat", "--shop", SMALL, "--db", db],
        "/catalog\n2\n1\n1\n2\n2\n/quit\n",
    );
    assert!(text(&out.stdout).contains("What is your name?"));
    let out = shopbot(&["chat", "--shop", SMALL, "--db", db], "Ana\n");
    let shown = text(&out.stdout);
    assert!(
        shown.contains("Let's continue where you left off"),
        "{shown}"
    );
    assert!(shown.contains("What phone number"), "{shown}");
}

#[test]
fn bundled_example_runs_without_a_shop_file() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("shop.db");
    let out = Command::new(env!("CARGO_BIN_EXE_shopbot"))
        .args(["chat", "--db", db.to_str().unwrap()])
        .current_dir(dir.path())
        .env_remove("SHOPBOT_SHOP")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("Find a gift"));
}

#[test]
fn check_reports_problems_with_exit_code_2_and_nothing_starts() {
    let dir = tempfile::tempdir().unwrap();
    let broken = dir.path().join("shop.toml");
    std::fs::write(
        &broken,
        "[shop]\nname = \"X\"\ncurrency = \"EUR\"\ntime_zone = \"Mars/Olympus\"\n",
    )
    .unwrap();
    let out = shopbot(&["check", broken.to_str().unwrap()], "");
    assert_eq!(out.status.code(), Some(2));
    let report = text(&out.stdout);
    assert!(report.contains(":4:13: shop.time_zone:"), "{report}");
    let db = dir.path().join("x.db");
    let out = shopbot(
        &[
            "chat",
            "--shop",
            broken.to_str().unwrap(),
            "--db",
            db.to_str().unwrap(),
        ],
        "1\n",
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("shop.time_zone"));
    assert!(!db.exists(), "a broken shop must not create the database");
}

#[test]
fn init_writes_a_valid_commented_example_with_images() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().to_str().unwrap();
    let out = shopbot(&["init", target], "");
    assert!(out.status.success(), "{}", text(&out.stderr));
    let written = std::fs::read_to_string(dir.path().join("shop.toml")).unwrap();
    assert!(
        written
            .lines()
            .filter(|l| l.trim_start().starts_with('#'))
            .count()
            > 30
    );
    let images = std::fs::read_dir(dir.path().join("images"))
        .unwrap()
        .count();
    assert!(images >= 30, "{images} images");
    let out = shopbot(
        &["check", dir.path().join("shop.toml").to_str().unwrap()],
        "",
    );
    assert!(out.status.success(), "{}", text(&out.stdout));
    // A second init does not overwrite the seller's file.
    let out = shopbot(&["init", target], "");
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("already exists"));
}
