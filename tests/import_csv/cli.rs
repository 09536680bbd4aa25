//! `shopbot import` / `shopbot export` through the real binary.

use std::path::Path;
use std::process::{Command, Output};

use shopbot::shop::EXAMPLE_TOML;

use super::generate::{excel_bytes, products, rows};
use super::{broken, example_copy, files_in};

fn shopbot(args: &[&str], dir: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_shopbot"))
        .args(args)
        .current_dir(dir)
        .env_remove("SHOPBOT_SHOP")
        .env_remove("SHOPBOT_DB")
        // No default database of the machine's user.
        .env("HOME", dir)
        .env("XDG_DATA_HOME", dir.join("no-data"))
        .output()
        .expect("shopbot runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn the_binary_imports_200_products_and_check_passes() {
    let (dir, shop) = example_copy();
    std::fs::write(
        dir.path().join("products.csv"),
        excel_bytes(&rows(&products())),
    )
    .unwrap();
    let started = std::time::Instant::now();
    let out = shopbot(&["import", "products.csv"], dir.path());
    let took = started.elapsed();
    assert!(
        out.status.success(),
        "{}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    let said = text(&out.stdout);
    assert!(
        said.starts_with("products.csv: 200 product(s): 200 new, 0 updated, 0 unchanged\n"),
        "{said}"
    );
    assert!(said.contains("42 product(s) of shop.toml are not in products.csv and were kept as they are: city-fire-station, "), "{said}");
    assert!(
        said.contains("wrote shop.toml (the previous version is in "),
        "{said}"
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("shop.toml.bak")).unwrap(),
        EXAMPLE_TOML
    );
    assert_eq!(
        files_in(dir.path()),
        ["products.csv", "shop.toml", "shop.toml.bak"]
    );
    let check = shopbot(&["check", "shop.toml"], dir.path());
    assert!(check.status.success(), "{}", text(&check.stdout));
    assert!(
        text(&check.stdout).contains(": 242 products in 7 categories"),
        "{}",
        text(&check.stdout)
    );
    // Export → import: the file stays byte-identical, and no backup is rewritten.
    let imported = std::fs::read(&shop).unwrap();
    std::fs::remove_file(dir.path().join("shop.toml.bak")).unwrap();
    let out = shopbot(&["export", "again.tsv"], dir.path());
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("wrote 242 products (326 rows) to again.tsv"),
        "{}",
        text(&out.stderr)
    );
    let tsv = std::fs::read(dir.path().join("again.tsv")).unwrap();
    assert!(tsv.starts_with(b"\xEF\xBB\xBFid\tname\tdescription\tprice\tstock"));
    let out = shopbot(&["import", "again.tsv"], dir.path());
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("shop.toml already matches again.tsv: nothing to change in it.")
    );
    assert_eq!(std::fs::read(&shop).unwrap(), imported);
    assert_eq!(
        files_in(dir.path()),
        ["again.tsv", "products.csv", "shop.toml"]
    );
    eprintln!("imported 200 products through the binary in {took:?}");
}

#[test]
fn the_binary_refuses_ten_broken_rows_writing_nothing() {
    let (dir, shop) = example_copy();
    let (bytes, expect) = broken();
    std::fs::write(dir.path().join("products.csv"), bytes).unwrap();
    let out = shopbot(
        &["import", "products.csv", "--shop", "shop.toml"],
        dir.path(),
    );
    assert_eq!(out.status.code(), Some(2));
    let lines: Vec<String> = text(&out.stdout).lines().map(str::to_owned).collect();
    assert_eq!(lines, expect);
    assert_eq!(text(&out.stderr), "10 problem(s); nothing was written.\n");
    assert_eq!(std::fs::read_to_string(&shop).unwrap(), EXAMPLE_TOML);
    assert_eq!(
        files_in(dir.path()),
        ["products.csv", "shop.toml"],
        "no temporary or backup file"
    );
}

#[test]
fn dry_run_says_what_would_change_and_writes_nothing() {
    let (dir, shop) = example_copy();
    let csv = "id,price\ncity-fire-station,70.5\nspace-moon-rover,19.99\n";
    std::fs::write(dir.path().join("p.csv"), csv).unwrap();
    let out = shopbot(&["import", "p.csv", "--dry-run"], dir.path());
    assert!(out.status.success(), "{}", text(&out.stderr));
    let said = text(&out.stdout);
    assert!(said.starts_with("p.csv: 2 product(s): 0 new, 1 updated, 1 unchanged\n  updated  city-fire-station: price\n"), "{said}");
    assert!(said.ends_with("dry run: nothing was written.\n"), "{said}");
    assert_eq!(std::fs::read_to_string(&shop).unwrap(), EXAMPLE_TOML);
    assert_eq!(files_in(dir.path()), ["p.csv", "shop.toml"]);
}

#[test]
fn import_sets_the_live_stock_and_a_restart_keeps_it() {
    let (dir, shop) = example_copy();
    let db = dir.path().join("shop.db");
    let db_arg = db.to_str().unwrap();
    // The database exists with the example's stock; the owner then sets 2 by /stock.
    drop(shopbot::engine::Engine::open(shopbot::shop::Shop::load(&shop).unwrap(), &db).unwrap());
    let mut store = shopbot::store::Store::open(&db).unwrap();
    store
        .write(|tx| tx.set_stock("city-fire-station", 2).map(|_| ()))
        .unwrap();
    drop(store);
    let out = shopbot(&["export", "-", "--db", db_arg], dir.path());
    assert!(out.status.success(), "{}", text(&out.stderr));
    let csv = text(&out.stdout);
    assert!(csv.contains(",64.99,2,city,"), "the live stock: {csv}");
    // Unchanged back: nothing happens, the shop file keeps its starting stock of 6.
    std::fs::write(dir.path().join("p.csv"), &csv).unwrap();
    let out = shopbot(&["import", "p.csv", "--db", db_arg], dir.path());
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        !text(&out.stdout).contains("stock "),
        "{}",
        text(&out.stdout)
    );
    assert_eq!(std::fs::read_to_string(&shop).unwrap(), EXAMPLE_TOML);
    // 20 in the spreadsheet: 20 in the file and in the live stock.
    std::fs::write(
        dir.path().join("p.csv"),
        csv.replace(",64.99,2,city,", ",64.99,20,city,"),
    )
    .unwrap();
    let out = shopbot(&["import", "p.csv", "--db", db_arg], dir.path());
    assert!(out.status.success(), "{}", text(&out.stderr));
    let said = text(&out.stdout);
    assert!(
        said.contains("  stock    city-fire-station: 2 → 20\n"),
        "{said}"
    );
    assert!(
        said.contains("set the live stock of 1 item(s) in "),
        "{said}"
    );
    let now = std::fs::read_to_string(&shop).unwrap();
    assert_eq!(
        now,
        EXAMPLE_TOML.replacen(
            "price = 64.99\nstock = 6\n",
            "price = 64.99\nstock = 20\n",
            1
        )
    );
    let engine =
        shopbot::engine::Engine::open(shopbot::shop::Shop::load(&shop).unwrap(), &db).unwrap();
    assert_eq!(
        engine.store().stock_levels().unwrap().0["city-fire-station"],
        20,
        "kept after a restart"
    );
    // A --db that does not exist is a mistake, not a fresh start.
    let out = shopbot(&["import", "p.csv", "--db", "nope.db"], dir.path());
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("there is no database at nope.db (see --db)"));
}

#[cfg(unix)]
#[test]
fn a_linked_shop_file_is_written_where_the_link_points_keeping_its_permissions() {
    use std::os::unix::fs::{PermissionsExt, symlink};
    let (dir, real) = example_copy();
    std::fs::set_permissions(&real, std::fs::Permissions::from_mode(0o640)).unwrap();
    let work = dir.path().join("work");
    std::fs::create_dir(&work).unwrap();
    symlink(&real, work.join("shop.toml")).unwrap();
    std::fs::write(work.join("p.csv"), "id,stock\ncity-fire-station,7\n").unwrap();
    let out = shopbot(&["import", "p.csv"], &work);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        std::fs::symlink_metadata(work.join("shop.toml"))
            .unwrap()
            .file_type()
            .is_symlink()
    );
    let now = std::fs::read_to_string(&real).unwrap();
    assert_eq!(
        now,
        EXAMPLE_TOML.replacen(
            "price = 64.99\nstock = 6\n",
            "price = 64.99\nstock = 7\n",
            1
        )
    );
    assert_eq!(
        std::fs::metadata(&real).unwrap().permissions().mode() & 0o777,
        0o640
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("shop.toml.bak")).unwrap(),
        EXAMPLE_TOML
    );
    assert_eq!(files_in(&work), ["p.csv", "shop.toml"]);
    assert_eq!(files_in(dir.path()), ["shop.toml", "shop.toml.bak", "work"]);
}
